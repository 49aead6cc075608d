// SPDX-License-Identifier: BSD-2-Clause
/*
 * libFuzzer target for registry_parse(). Besides "no crash", it checks the
 * properties the store depends on:
 *  - format(parse(x)) parses again to the same text (saving never produces
 *    a file that a later load rejects or reads differently);
 *  - the parser's indexed conflict checks agree with the linear ones of
 *    registry_add_guest()/registry_add_port();
 *  - a reported error line is the first bad line: everything before it parses.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_error_line(const char *text, size_t size, unsigned line)
{
	struct registry r = {};
	const char *p = text, *end = text + size;
	unsigned prefix_line;

	if (line == 0)
		abort();
	/* Skip line - 1 complete lines; they must exist and must parse on their own. */
	for (unsigned i = 1; i < line; i++) {
		p = memchr(p, '\n', end - p);
		if (!p)
			abort();
		p++;
	}
	if (line > 1) {
		if (registry_parse(text, p - text, &r, &prefix_line) != 0)
			abort();
		registry_free(&r);
	}
}

static void check_rebuild(const struct registry *r, const char *canon)
{
	struct registry b = {};
	char *out;

	for (size_t i = 0; i < r->n_guests; i++)
		if (registry_add_guest(&b, &r->guests[i]) != 0)
			abort();
	for (size_t i = 0; i < r->n_ports; i++)
		if (registry_add_port(&b, &r->ports[i]) != 0)
			abort();
	/* Re-adding anything already present must be refused. */
	if (r->n_guests && registry_add_guest(&b, &r->guests[r->n_guests - 1]) != -EEXIST)
		abort();
	if (r->n_ports && registry_add_port(&b, &r->ports[0]) != -EEXIST)
		abort();

	out = registry_format(&b);
	if (!out || strcmp(out, canon) != 0)
		abort();
	free(out);

	/* Deleting the guests must take their ports along. */
	while (b.n_guests) {
		char name[sizeof(b.guests[0].name)];

		memcpy(name, b.guests[0].name, sizeof(name));
		if (registry_del_guest(&b, name) != 0 || registry_find(&b, name))
			abort();
		for (size_t i = 0; i < b.n_ports; i++)
			if (strcmp(b.ports[i].guest, name) == 0)
				abort();
	}
	if (b.n_ports)
		abort();
	registry_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct registry r = {}, r2 = {};
	const char *text = (const char *)data;
	unsigned line = 0;
	char *out, *out2;
	int err;

	err = registry_parse(text, size, &r, &line);
	if (err == -EBADMSG) {
		check_error_line(text, size, line);
		return 0;
	}
	if (err == -ENOMEM)
		return 0;
	if (err != 0)
		abort();

	out = registry_format(&r);
	if (!out)
		abort();
	if (registry_parse(out, strlen(out), &r2, &line) != 0)
		abort();
	out2 = registry_format(&r2);
	if (!out2 || strcmp(out, out2) != 0)
		abort();

	check_rebuild(&r, out);

	free(out);
	free(out2);
	registry_free(&r);
	registry_free(&r2);
	return 0;
}
