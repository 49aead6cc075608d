// SPDX-License-Identifier: BSD-2-Clause
/*
 * libFuzzer target for the file writers: any config and registry the parsers
 * accept renders into dnsmasq, radvd, LXC, inittab and nftables text that a
 * strict re-parser accepts. The point is THREATS.md A9: no value, however it
 * got past the parsers, may add a line, a key or a statement of its own.
 * Input: config text, a NUL byte, registry text.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "render.h"
#include "state.h"
#include "templates.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned lines(const char *s)
{
	unsigned n = 0;

	for (; *s; s++) {
		if (*s == '\n')
			n++;
		else if ((unsigned char)*s < 0x20 && *s != '\t')
			abort(); /* no control characters at all */
	}
	return n;
}

/* dnsmasq: comments, or "key" / "key=value" with no blanks. */
static void check_dnsmasq(const char *s)
{
	for (const char *l = s; *l; l = strchr(l, '\n') + 1) {
		size_t n = strcspn(l, "\n");

		if (n == 0 || l[0] == '#')
			continue;
		for (size_t i = 0; i < n; i++)
			if (isspace((unsigned char)l[i]))
				abort();
		if (!islower((unsigned char)l[0]))
			abort();
	}
}

static void check_hosts(const char *s)
{
	unsigned n = lines(s);

	if (n < 1 || n > 2)
		abort();
	for (const char *l = s; *l; l = strchr(l, '\n') + 1) {
		int fields = 0, in = 0;

		for (const char *c = l; *c != '\n'; c++) {
			if (*c == ' ')
				in = 0;
			else if (!in)
				in = 1, fields++;
		}
		if (fields != 3)
			abort();
	}
}

/* The ruleset: the template plus one "add element" line per element, nothing else. */
static void check_nft(const char *s, const char *tmpl_start)
{
	const char *after = strstr(s, tmpl_start);

	if (!after)
		abort();
	lines(s);
	for (const char *l = strstr(after, "\n}\n"); l && *l; l = strchr(l, '\n') + 1) {
		size_t n = strcspn(l, "\n");

		if (n == 0 || !strncmp(l, "}", 1))
			continue;
		if (strncmp(l, "add element ", 12) || l[n - 1] != '}')
			abort();
		if (memchr(l, ';', n))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	static struct conf_errors errs;
	struct router_facts f = {.mtu = 1500, .rootfs = "/var/lib/lxctogo-net/router/rootfs",
				 .uplink = "eth0", .init = "/usr/sbin/lxctogo-net", .ndproxy = "/usr/libexec/lxctogo-net/lxtg-ndproxy",
				 .veth_host = "lxtg0-r", .holder = 4242};
	struct registry reg = {0};
	struct conf c;
	unsigned line;
	char *out = NULL;

	if (!nul)
		return 0;
	if (conf_parse_buffer("fuzz.conf", (const char *)data, (size_t)(nul - data), &c, &errs))
		return 0;
	if (registry_parse((const char *)nul + 1, size - (size_t)(nul - data) - 1, &reg, &line))
		return 0;
	if (render_dnsmasq(&c, 1500, &out) == 0) {
		lines(out);
		check_dnsmasq(out);
		free(out);
	}
	if (render_radvd(&c, 1500, &out) == 0) {
		/* Every value is one token: the template's line count cannot change. */
		if (lines(out) != lines(tmpl_radvd_conf_in))
			abort();
		free(out);
	}
	if (render_inittab(&c, &out) == 0) {
		/* The template plus at most dnsmasq, radvd, bird, lxtg-ndproxy and udhcpc. */
		if (lines(out) > lines(tmpl_inittab_in) + 5)
			abort();
		free(out);
	}
	if (render_lxc_conf(&c, &f, &out) == 0) {
		/* The template plus three links of six lines. */
		if (lines(out) > lines(tmpl_lxc_conf_in) + 18)
			abort();
		free(out);
	}
	if (render_ruleset(&c, &reg, &out) == 0) {
		check_nft(out, "table inet lxctogo {\n\t# Addresses");
		free(out);
	}
	if (render_guard(&c, &reg, (const uint8_t[6]){2, 0, 0, 0, 0xfe, 1}, &out) == 0) {
		check_nft(out, "table bridge lxctogo {\n");
		free(out);
	}
	for (size_t i = 0; i < reg.n_guests; i++) {
		if (render_guest_hosts(&c, &reg.guests[i], &out) == 0) {
			check_hosts(out);
			free(out);
		}
		if (render_guest_dhcp(&c, &reg.guests[i], &out) == 0) {
			if (lines(out) != 1 || strchr(out, ' '))
				abort();
			free(out);
		}
	}
	registry_free(&reg);
	return 0;
}
