// SPDX-License-Identifier: BSD-2-Clause
#include "tmpl.h"
#include "util.h"

static int append(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
	if (*len + n + 1 > *cap) {
		size_t ncap = (*cap ? *cap * 2 : 1024);
		char *p;

		while (ncap < *len + n + 1)
			ncap *= 2;
		p = realloc(*buf, ncap);
		if (!p)
			return -ENOMEM;
		*buf = p;
		*cap = ncap;
	}
	memcpy(*buf + *len, s, n);
	*len += n;
	(*buf)[*len] = '\0';
	return 0;
}

int tmpl_render(const char *tmpl, const struct tmpl_var *vars, size_t n, char **ret)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	const char *p = tmpl;
	int r = 0;

	while (*p) {
		const char *open = strstr(p, "{{"), *close;
		size_t i;

		if (!open) {
			r = append(&buf, &len, &cap, p, strlen(p));
			break;
		}
		r = append(&buf, &len, &cap, p, (size_t)(open - p));
		if (r < 0)
			break;
		close = strstr(open + 2, "}}");
		if (!close) {
			r = -EINVAL;
			break;
		}
		for (i = 0; i < n; i++)
			if (strlen(vars[i].name) == (size_t)(close - open - 2) &&
			    !strncmp(vars[i].name, open + 2, (size_t)(close - open - 2)))
				break;
		if (i == n) {
			r = -ENOENT;
			break;
		}
		r = append(&buf, &len, &cap, vars[i].value, strlen(vars[i].value));
		if (r < 0)
			break;
		p = close + 2;
	}
	if (r == 0 && !buf)
		r = append(&buf, &len, &cap, "", 0);
	if (r < 0) {
		free(buf);
		return r;
	}
	*ret = buf;
	return 0;
}
