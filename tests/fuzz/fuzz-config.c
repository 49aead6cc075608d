// SPDX-License-Identifier: BSD-2-Clause
/*
 * libFuzzer target for the config parser. Besides "no crash", it checks the
 * property the CLI relies on for `check`/`-n`: whatever the parser accepts,
 * conf_print() writes back as text that parses to the same model and prints
 * identically again.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *print_conf(const struct conf *c, size_t *ret_len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, ret_len);

	if (!f)
		abort();
	conf_print(f, c);
	if (fclose(f) != 0)
		abort();
	return buf;
}

static void check_errors(const struct conf_errors *e)
{
	if (e->n == 0 && e->dropped == 0)
		abort(); /* -EINVAL promises at least one message */
	for (unsigned i = 0; i < e->n; i++) {
		const char *m = e->msg[i];

		if (!memchr(m, '\0', sizeof(e->msg[i])) || strncmp(m, "f.conf:", 7) != 0)
			abort();
		/* Messages reach a terminal: no raw control bytes may get through. */
		for (; *m; m++)
			if ((unsigned char)*m < 0x20 || (unsigned char)*m == 0x7f)
				abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf c, again;
	struct conf_errors e;
	char *text, *text2;
	size_t len, len2;

	if (conf_parse_buffer("f.conf", (const char *)data, size, &c, &e) < 0) {
		check_errors(&e);
		return 0;
	}
	text = print_conf(&c, &len);
	if (conf_parse_buffer("f.conf", text, len, &again, &e) < 0) {
		fprintf(stderr, "canonical text refused: %s\n%s", e.msg[0], text);
		abort();
	}
	if (!conf_equal(&c, &again)) {
		fprintf(stderr, "round trip changed the model:\n%s", text);
		abort();
	}
	text2 = print_conf(&again, &len2);
	if (len != len2 || memcmp(text, text2, len) != 0)
		abort();
	free(text);
	free(text2);
	return 0;
}
