// SPDX-License-Identifier: BSD-2-Clause
/*
 * libFuzzer target for the guest file parser (`apply`). Besides "no crash":
 * a refusal carries at least one message, each "f.ini:..." without a raw
 * control byte (they reach a terminal); what is accepted holds only values
 * the verbs would accept themselves (names, one of template or clone, ports
 * owned by their guest, lists within their bounds).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "guestfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_errors(const struct conf_errors *e)
{
	if (e->n == 0 && e->dropped == 0)
		abort();
	for (unsigned i = 0; i < e->n; i++) {
		const char *m = e->msg[i];

		if (!memchr(m, '\0', sizeof(e->msg[i])) || strncmp(m, "f.ini:", 6) != 0)
			abort();
		for (; *m; m++)
			if ((unsigned char)*m < 0x20 || (unsigned char)*m == 0x7f)
				abort();
	}
}

static void check_guest(const struct gf_guest *g)
{
	if (!valid_name(g->name) || !*g->tmpl == !*g->clone || (*g->tmpl && !valid_name(g->tmpl)) ||
	    (*g->clone && !valid_name(g->clone)) || (*g->hostname && !valid_domain(g->hostname)))
		abort();
	if (g->n_targs > GUESTFILE_MAX_LIST || g->n_ports > GUESTFILE_MAX_LIST ||
	    g->n_mounts > GUESTFILE_MAX_LIST || g->n_provision > GUESTFILE_MAX_LIST ||
	    g->n_groups > GUESTFILE_MAX_LIST)
		abort();
	for (size_t i = 0; i < g->n_ports; i++)
		if (strcmp(g->ports[i].guest, g->name) != 0 || !g->ports[i].host_port ||
		    !g->ports[i].guest_port)
			abort();
	for (size_t i = 0; i < g->n_groups; i++)
		if (!valid_name(g->groups[i]))
			abort();
	for (size_t i = 0; i < g->n_provision; i++)
		if (g->provision[i][0] != '/')
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct guestfile gf;
	struct conf_errors e;

	if (guestfile_parse("f.ini", (const char *)data, size, &gf, &e) < 0) {
		check_errors(&e);
		return 0;
	}
	for (size_t i = 0; i < gf.n; i++) {
		check_guest(&gf.guests[i]);
		if (guestfile_find(&gf, gf.guests[i].name) != &gf.guests[i])
			abort(); /* names are unique */
	}
	guestfile_free(&gf);
	return 0;
}
