// SPDX-License-Identifier: BSD-2-Clause
/*
 * libFuzzer target for the container config editor of `guest add` / `guest
 * del` (render_lxc_net_attach / _detach). Input: any container config text.
 * Properties (THREATS.md A9 and "guest del puts back what was there"):
 *  - after attach, the only lxc.net lines are ours, in our order, at the end;
 *    every other line of the input is still there, in its order;
 *  - attaching twice changes nothing the second time but our lines;
 *  - detach of attach gives the input back, line for line (a last line
 *    without newline gets one), unless the input already held the mark or
 *    saved lines (then it is someone else's half: only "no crash" is asked).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "render.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const items[] = {
	"lxc.net.0.type", "veth", "lxc.net.0.link", "lxtg1", "lxc.net.0.hwaddr", "02:00:00:00:00:01",
	NULL,
};
static const char ours[] = "lxc.net.0.type = veth\nlxc.net.0.link = lxtg1\n"
			   "lxc.net.0.hwaddr = 02:00:00:00:00:01\n";

/* @s without its lxc.net lines and without lines starting with @skip (may be NULL). */
static char *others(const char *s, const char *skip)
{
	char *o = malloc(strlen(s) + 2), *w = o;

	if (!o)
		abort();
	for (const char *l = s; *l;) {
		size_t n = strcspn(l, "\n");

		if (!render_is_lxc_net_line(l) && !(skip && !strncmp(l, skip, strlen(skip)))) {
			memcpy(w, l, n);
			w += n;
			*w++ = '\n';
		}
		l += n + (l[n] == '\n');
	}
	*w = '\0';
	return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in, *a = NULL, *a2 = NULL, *d = NULL, *want, *got;
	bool clean;

	in = malloc(size + 1);
	if (!in)
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';
	if (strlen(in) != size) {
		free(in);
		return 0; /* set_lxc_net refuses a config with a NUL byte */
	}
	clean = !strstr(in, LXC_SAVED_MARK) && !strstr(in, LXC_SAVED_PREFIX);
	if (render_lxc_net_attach(in, items, &a) < 0)
		abort();
	/* ours at the end; no other net line anywhere */
	if (strlen(a) < strlen(ours) || strcmp(a + strlen(a) - strlen(ours), ours))
		abort();
	want = others(in, NULL);
	got = others(a, clean ? LXC_SAVED_PREFIX : NULL);
	/* every other line kept in order: the input's other lines, then (first time) the mark */
	if (clean && (strncmp(got, want, strlen(want)) || strcmp(got + strlen(want), LXC_SAVED_MARK "\n")))
		abort();
	free(got);
	for (const char *l = a; *l; l = strchr(l, '\n') + 1)
		if (render_is_lxc_net_line(l) && !strstr(ours, l))
			abort();
	if (render_lxc_net_attach(a, items, &a2) < 0 || strcmp(a, a2))
		abort(); /* idempotent */
	if (render_lxc_net_detach(a, &d) < 0)
		abort();
	if (clean) {
		char *norm = malloc(size + 2), *w = norm;

		if (!norm)
			abort();
		memcpy(w, in, size);
		w += size;
		if (size && in[size - 1] != '\n')
			*w++ = '\n';
		*w = '\0';
		/* detach restores the input (with a final newline) */
		if (strcmp(d, norm))
			abort();
		free(norm);
	}
	free(want);
	free(in);
	free(a);
	free(a2);
	free(d);
	return 0;
}
