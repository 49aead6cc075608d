// SPDX-License-Identifier: BSD-2-Clause
/*
 * Guest registry: text form (strict parse, canonical format, round trips),
 * add/del semantics and every collision rule, the atomic file store under
 * concurrent readers, and the cross-process flock.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "addr.h"
#include "fsutil.h"
#include "state.h"
#include "tap.h"
#include "util.h"

#define H "# lxctogo-net guest registry v1\n"
#define GW "guest web 02:00:00:00:00:01 192.168.254.10 fd00:aaaa:254::10\n"
#define GD "guest db 02:00:00:00:00:02 192.168.254.11 -\n"
/* Longest valid name (63) and one past it. */
#define N63 "a23456789012345678901234567890123456789012345678901234567890123"
#define N64 N63 "4"
#define X68 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"

struct parse_case {
	const char *name;
	const char *text;
	unsigned bad_line; /* 0: must parse */
	const char *canon; /* NULL: text is already canonical */
};

/* clang-format off */
static const struct parse_case parse_cases[] = {
	/* good */
	{ "header only", H, 0, NULL },
	{ "one guest", H GW, 0, NULL },
	{ "guest without ipv6", H GD, 0, NULL },
	{ "two guests without ipv6", H GD "guest db2 02:00:00:00:00:03 192.168.254.12 -\n", 0,
	  NULL },
	{ "guests and ports", H GW GD "port web tcp * 8080 80\n"
				    "port web udp 192.0.2.1 5353 53\n"
				    "port db tcp 2001:db8::1 5432 5432\n",
	  0, NULL },
	{ "upper-case mac canonicalised", H "guest web 02:AB:00:00:00:01 10.0.0.1 -\n", 0,
	  H "guest web 02:ab:00:00:00:01 10.0.0.1 -\n" },
	{ "long ipv6 canonicalised", H "guest web 02:00:00:00:00:01 10.0.0.1 fd00:0:0:0::0010\n", 0,
	  H "guest web 02:00:00:00:00:01 10.0.0.1 fd00::10\n" },
	{ "port before next guest reordered", H GW "port web tcp * 80 80\n" GD, 0,
	  H GW GD "port web tcp * 80 80\n" },
	{ "ports on distinct addresses", H GW "port web tcp 192.0.2.1 80 80\n"
					 "port web tcp 192.0.2.2 80 80\n"
					 "port web tcp 2001:db8::1 80 80\n"
					 "port web udp * 80 80\n"
					 "port web tcp * 81 80\n",
	  0, NULL },
	{ "max name, max port", H "guest " N63 " 02:00:00:00:00:01 10.0.0.1 -\n"
				  "port " N63 " udp * 65535 65535\n",
	  0, NULL },
	{ "v4-mapped ipv6", H "guest web 02:00:00:00:00:01 10.0.0.1 ::ffff:10.0.0.1\n", 0, NULL },

	/* bad: framing */
	{ "empty text", "", 1, NULL },
	{ "no header", GW, 1, NULL },
	{ "wrong version", "# lxctogo-net guest registry v2\n" GW, 1, NULL },
	{ "header without newline", "# lxctogo-net guest registry v1", 1, NULL },
	{ "header with CR", "# lxctogo-net guest registry v1\r\n", 1, NULL },
	{ "truncated last line", H GW "guest db 02:00:00:00:00:02 192.168.254.11 -", 3, NULL },
	{ "truncated port line", H GW "port web tcp * 8080 8", 3, NULL },
	{ "blank line", H GW "\n", 3, NULL },
	{ "comment line", H "# hello\n", 2, NULL },
	{ "CRLF", H "guest web 02:00:00:00:00:01 192.168.254.10 -\r\n", 2, NULL },
	{ "unknown record", H GW "host x 1\n", 3, NULL },
	{ "record type upper case", H "GUEST web 02:00:00:00:00:01 10.0.0.1 -\n", 2, NULL },
	{ "double space", H "guest  web 02:00:00:00:00:01 10.0.0.1 -\n", 2, NULL },
	{ "leading space", H " guest web 02:00:00:00:00:01 10.0.0.1 -\n", 2, NULL },
	{ "trailing space", H "guest web 02:00:00:00:00:01 10.0.0.1 - \n", 2, NULL },
	{ "tab separator", H "guest\tweb 02:00:00:00:00:01 10.0.0.1 -\n", 2, NULL },
	{ "overlong line", H "guest web 02:00:00:00:00:01 10.0.0.1 -" X68 X68 X68 X68 "\n", 2,
	  NULL },

	/* bad: guest fields */
	{ "guest 3 fields", H "guest web 02:00:00:00:00:01 10.0.0.1\n", 2, NULL },
	{ "guest 5 fields", H "guest web 02:00:00:00:00:01 10.0.0.1 - x\n", 2, NULL },
	{ "guest only keyword", H GW "guest\n", 3, NULL },
	{ "name upper case", H "guest Web 02:00:00:00:00:01 10.0.0.1 -\n", 2, NULL },
	{ "name leading dash", H "guest -web 02:00:00:00:00:01 10.0.0.1 -\n", 2, NULL },
	{ "name all digits", H "guest 123 02:00:00:00:00:01 10.0.0.1 -\n", 2, NULL },
	{ "name too long", H "guest " N64 " 02:00:00:00:00:01 10.0.0.1 -\n",
	  2, NULL },
	{ "name with dot", H "guest a.b 02:00:00:00:00:01 10.0.0.1 -\n", 2, NULL },
	{ "mac multicast", H "guest web 01:00:00:00:00:01 10.0.0.1 -\n", 2, NULL },
	{ "mac zero", H "guest web 00:00:00:00:00:00 10.0.0.1 -\n", 2, NULL },
	{ "mac short", H "guest web 02:00:00:00:01 10.0.0.1 -\n", 2, NULL },
	{ "mac dashes", H "guest web 02-00-00-00-00-01 10.0.0.1 -\n", 2, NULL },
	{ "ipv4 short", H "guest web 02:00:00:00:00:01 10.0.1 -\n", 2, NULL },
	{ "ipv4 octal", H "guest web 02:00:00:00:00:01 010.0.0.1 -\n", 2, NULL },
	{ "ipv4 256", H "guest web 02:00:00:00:00:01 10.0.0.256 -\n", 2, NULL },
	{ "ipv4 missing", H "guest web 02:00:00:00:00:01 - -\n", 2, NULL },
	{ "ipv6 zone", H "guest web 02:00:00:00:00:01 10.0.0.1 fe80::1%eth0\n", 2, NULL },
	{ "ipv6 is v4", H "guest web 02:00:00:00:00:01 10.0.0.1 10.0.0.1\n", 2, NULL },
	{ "ipv6 prefix", H "guest web 02:00:00:00:00:01 10.0.0.1 fd00::1/64\n", 2, NULL },

	/* bad: duplicates */
	{ "dup name", H GW GD "guest web 02:00:00:00:00:09 192.168.254.19 -\n", 4, NULL },
	{ "dup mac", H GW GD "guest x 02:00:00:00:00:01 192.168.254.19 -\n", 4, NULL },
	{ "dup mac other case", H GW "guest x 02:00:00:00:00:0A 10.0.0.1 -\n"
				 "guest y 02:00:00:00:00:0a 10.0.0.2 -\n",
	  4, NULL },
	{ "dup ipv4", H GW GD "guest x 02:00:00:00:00:09 192.168.254.10 -\n", 4, NULL },
	{ "dup ipv6", H GW GD "guest x 02:00:00:00:00:09 192.168.254.19 fd00:aaaa:254::10\n", 4,
	  NULL },
	{ "dup ipv6 other spelling", H GW "guest x 02:00:00:00:00:09 192.168.254.19 "
					  "fd00:aaaa:254:0:0:0:0:10\n",
	  3, NULL },

	/* bad: ports */
	{ "port unknown guest", H GW "port nope tcp * 80 80\n", 3, NULL },
	{ "port before its guest", H "port web tcp * 80 80\n" GW, 2, NULL },
	{ "port for deleted-looking guest", H GD "port web tcp * 80 80\n", 3, NULL },
	{ "port 5 fields", H GW "port web tcp * 80\n", 3, NULL },
	{ "port 7 fields", H GW "port web tcp * 80 80 80\n", 3, NULL },
	{ "port sctp", H GW "port web sctp * 80 80\n", 3, NULL },
	{ "port TCP", H GW "port web TCP * 80 80\n", 3, NULL },
	{ "port hostname", H GW "port web tcp localhost 80 80\n", 3, NULL },
	{ "port addr prefix", H GW "port web tcp 192.0.2.0/24 80 80\n", 3, NULL },
	{ "port addr bracketed", H GW "port web tcp [2001:db8::1] 80 80\n", 3, NULL },
	{ "port addr any word", H GW "port web tcp any 80 80\n", 3, NULL },
	{ "host port 0", H GW "port web tcp * 0 80\n", 3, NULL },
	{ "guest port 0", H GW "port web tcp * 80 0\n", 3, NULL },
	{ "port 65536", H GW "port web tcp * 65536 80\n", 3, NULL },
	{ "port leading zero", H GW "port web tcp * 080 80\n", 3, NULL },
	{ "port plus sign", H GW "port web tcp * +80 80\n", 3, NULL },
	{ "port negative", H GW "port web tcp * -80 80\n", 3, NULL },
	{ "port same twice", H GW "port web tcp * 80 80\n"
			      "port web tcp * 80 80\n",
	  4, NULL },
	{ "port wildcard then addr", H GW "port web tcp * 80 80\n"
				      "port web tcp 192.0.2.1 80 81\n",
	  4, NULL },
	{ "port addr then wildcard", H GW "port web tcp 2001:db8::1 80 80\n"
				      "port web tcp * 80 81\n",
	  4, NULL },
	{ "port same addr other guest", H GW GD "port web udp 192.0.2.1 53 53\n"
					 "port db udp 192.0.2.1 53 5353\n",
	  5, NULL },
	{ "port same v6 other spelling", H GW "port web tcp 2001:db8::1 80 80\n"
					  "port web tcp 2001:db8:0::1 80 80\n",
	  4, NULL },
	{ "error line counts ports", H GW GD "port web tcp * 1 1\n"
					  "port web tcp * 2 2\n"
					  "port db tcp * 3 3\n"
					  "port db tcp * 4 x\n",
	  7, NULL },
};
/* clang-format on */

static void test_parse_table(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(parse_cases); i++) {
		const struct parse_case *c = &parse_cases[i];
		struct registry r = {}, r2 = {};
		unsigned line = 0;
		char *out = NULL, *out2 = NULL;
		int err;

		err = registry_parse(c->text, strlen(c->text), &r, &line);
		if (c->bad_line) {
			tap_ok(err == -EBADMSG && line == c->bad_line,
			       "parse/bad/%s: -EBADMSG at line %u (got %d at %u)", c->name,
			       c->bad_line, err, line);
			tap_ok(r.n_guests == 0 && !r.guests && !r.ports,
			       "parse/bad/%s: output untouched", c->name);
			continue;
		}
		tap_ok(err == 0, "parse/good/%s: parses (got %d at line %u)", c->name, err, line);
		out = registry_format(&r);
		tap_is_str(out, c->canon ? c->canon : c->text, "parse/good/%s: canonical form",
			   c->name);
		err = out ? registry_parse(out, strlen(out), &r2, &line) : -ENOMEM;
		out2 = err == 0 ? registry_format(&r2) : NULL;
		tap_is_str(out2, out, "parse/good/%s: format(parse(format)) is stable", c->name);
		free(out);
		free(out2);
		registry_free(&r);
		registry_free(&r2);
	}
}

static void test_parse_binary(void)
{
	static const char nul[] = H "guest web 02:00:00:00:00:01 10.0.0.1 -\n"
				    "guest db\0 02:00:00:00:00:02 10.0.0.2 -\n";
	struct registry r = {};
	unsigned line = 0;
	int err;

	err = registry_parse(nul, sizeof(nul) - 1, &r, &line);
	tap_ok(err == -EBADMSG && line == 3, "parse/bad/embedded NUL: -EBADMSG at line 3");

	/* The length bounds the text; bytes after it must not be read. */
	err = registry_parse(H GW "junk", strlen(H GW), &r, &line);
	tap_ok(err == 0 && r.n_guests == 1, "parse/good/length bounds the text");
	registry_free(&r);

	err = registry_parse(NULL, 0, &r, NULL);
	tap_ok(err == -EBADMSG, "parse/bad/NULL empty text without ret_line");
}

/* ---- helpers for building registries ---- */

static struct guest mkguest(const char *name, unsigned id, const char *ip4, const char *ip6)
{
	struct guest g;

	/* Garbage on purpose: the registry must not depend on fields the caller left unset. */
	memset(&g, 0xa5, sizeof(g));
	snprintf(g.name, sizeof(g.name), "%s", name);
	g.mac[0] = 0x02;
	g.mac[1] = 0;
	g.mac[2] = (uint8_t)(id >> 24);
	g.mac[3] = (uint8_t)(id >> 16);
	g.mac[4] = (uint8_t)(id >> 8);
	g.mac[5] = (uint8_t)id;
	if (addr_parse_ip4(ip4, &g.ip4) < 0)
		abort();
	g.has_ip6 = ip6 != NULL;
	if (ip6 && addr_parse_ip6(ip6, &g.ip6) < 0)
		abort();
	return g;
}

static struct port_fwd mkport(const char *guest, const char *proto, const char *haddr,
			      uint16_t hport, uint16_t gport)
{
	struct port_fwd p;

	memset(&p, 0x5a, sizeof(p));
	snprintf(p.guest, sizeof(p.guest), "%s", guest);
	p.proto = streq(proto, "udp") ? IPPROTO_UDP : IPPROTO_TCP;
	if (streq(haddr, "*"))
		p.family = AF_UNSPEC;
	else if (addr_parse_ip4(haddr, &p.haddr.v4) == 0)
		p.family = AF_INET;
	else if (addr_parse_ip6(haddr, &p.haddr.v6) == 0)
		p.family = AF_INET6;
	else
		abort();
	p.host_port = hport;
	p.guest_port = gport;
	return p;
}

static bool guest_eq(const struct guest *a, const struct guest *b)
{
	return streq(a->name, b->name) && !memcmp(a->mac, b->mac, 6) &&
	       a->ip4.s_addr == b->ip4.s_addr && a->has_ip6 == b->has_ip6 &&
	       (!a->has_ip6 || IN6_ARE_ADDR_EQUAL(&a->ip6, &b->ip6));
}

static bool port_eq(const struct port_fwd *a, const struct port_fwd *b)
{
	if (!streq(a->guest, b->guest) || a->proto != b->proto || a->family != b->family ||
	    a->host_port != b->host_port || a->guest_port != b->guest_port)
		return false;
	if (a->family == AF_INET)
		return a->haddr.v4.s_addr == b->haddr.v4.s_addr;
	if (a->family == AF_INET6)
		return IN6_ARE_ADDR_EQUAL(&a->haddr.v6, &b->haddr.v6);
	return true;
}

static bool registry_eq(const struct registry *a, const struct registry *b)
{
	if (a->n_guests != b->n_guests || a->n_ports != b->n_ports)
		return false;
	for (size_t i = 0; i < a->n_guests; i++)
		if (!guest_eq(&a->guests[i], &b->guests[i]))
			return false;
	for (size_t i = 0; i < a->n_ports; i++)
		if (!port_eq(&a->ports[i], &b->ports[i]))
			return false;
	return true;
}

/* Model and text must agree both ways: parse(format(r)) == r. */
static bool roundtrips(const struct registry *r)
{
	struct registry back = {};
	char *text = registry_format(r);
	unsigned line;
	bool ok;

	ok = text && registry_parse(text, strlen(text), &back, &line) == 0 && registry_eq(r, &back);
	free(text);
	registry_free(&back);
	return ok;
}

/* ---- guests ---- */

struct guest_case {
	const char *name;
	struct guest g;
	int err;
};

static void test_add_guest(void)
{
	struct guest base = mkguest("web", 1, "10.0.0.1", "fd00::1");
	struct guest base6less = mkguest("db", 2, "10.0.0.2", NULL);
	struct guest_case cases[] = {
	    {"all distinct", mkguest("app", 3, "10.0.0.3", "fd00::3"), 0},
	    {"distinct, no ipv6", mkguest("app", 3, "10.0.0.3", NULL), 0},
	    {"same name", mkguest("web", 3, "10.0.0.3", "fd00::3"), -EEXIST},
	    {"same name as v6-less", mkguest("db", 3, "10.0.0.3", NULL), -EEXIST},
	    {"same mac", mkguest("app", 1, "10.0.0.3", "fd00::3"), -EEXIST},
	    {"same ipv4", mkguest("app", 3, "10.0.0.1", "fd00::3"), -EEXIST},
	    {"same ipv4 as v6-less", mkguest("app", 3, "10.0.0.2", "fd00::3"), -EEXIST},
	    {"same ipv6", mkguest("app", 3, "10.0.0.3", "fd00::1"), -EEXIST},
	    /* db's unused ip6 bytes must not take part in the duplicate check. */
	    {"ipv6 :: vs v6-less guest", mkguest("app", 3, "10.0.0.3", "::"), 0},
	    {"bad name", mkguest("App", 3, "10.0.0.3", NULL), -EINVAL},
	    {"empty name", mkguest("", 3, "10.0.0.3", NULL), -EINVAL},
	    {"all-digit name", mkguest("42", 3, "10.0.0.3", NULL), -EINVAL},
	    {"unterminated name", mkguest("app", 3, "10.0.0.3", NULL), -EINVAL},
	    {"multicast mac", mkguest("app", 3, "10.0.0.3", NULL), -EINVAL},
	    {"zero mac", mkguest("app", 3, "10.0.0.3", NULL), -EINVAL},
	};

	memset(cases[12].g.name, 'a', sizeof(cases[12].g.name));
	cases[13].g.mac[0] = 0x03;
	memset(cases[14].g.mac, 0, 6);

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct registry r = {};
		char *before, *after;
		int err;

		if (registry_add_guest(&r, &base) < 0 || registry_add_guest(&r, &base6less) < 0)
			abort();
		before = registry_format(&r);
		err = registry_add_guest(&r, &cases[i].g);
		tap_ok(err == cases[i].err, "guest/add/%s: %d (got %d)", cases[i].name,
		       cases[i].err, err);
		after = registry_format(&r);
		if (err < 0)
			tap_is_str(after, before, "guest/add/%s: refusal changes nothing",
				   cases[i].name);
		if (err == -EEXIST) {
			struct registry r2 = {};
			unsigned line = 0;
			char *text;

			/* The parser's indexed check must agree with the linear one. */
			r.guests[r.n_guests++] = cases[i].g; /* capacity >= 16, see grow() */
			text = registry_format(&r);
			tap_ok(registry_parse(text, strlen(text), &r2, &line) == -EBADMSG &&
				   line == 4,
			       "guest/add/%s: parser refuses it at line 4", cases[i].name);
			free(text);
			registry_free(&r2);
		} else if (err == 0)
			tap_ok(r.n_guests == 3 && guest_eq(&r.guests[2], &cases[i].g) &&
				   roundtrips(&r),
			       "guest/add/%s: appended and round-trips", cases[i].name);
		free(before);
		free(after);
		registry_free(&r);
	}
}

static void test_del_guest(void)
{
	struct registry r = {};
	struct guest a = mkguest("a", 1, "10.0.0.1", "fd00::1");
	struct guest b = mkguest("b", 2, "10.0.0.2", NULL);
	struct guest c = mkguest("c", 3, "10.0.0.3", "fd00::3");
	struct port_fwd pa1 = mkport("a", "tcp", "*", 8001, 80);
	struct port_fwd pb = mkport("b", "tcp", "*", 8002, 80);
	struct port_fwd pa2 = mkport("a", "udp", "192.0.2.1", 53, 53);
	struct port_fwd pc = mkport("c", "tcp", "2001:db8::1", 443, 443);
	char *text;

	registry_add_guest(&r, &a);
	registry_add_guest(&r, &b);
	registry_add_guest(&r, &c);
	registry_add_port(&r, &pa1);
	registry_add_port(&r, &pb);
	registry_add_port(&r, &pa2);
	registry_add_port(&r, &pc);

	tap_ok(registry_del_guest(&r, "zzz") == -ENOENT, "guest/del/unknown: -ENOENT");
	tap_ok(registry_find(&r, "b") == &r.guests[1], "guest/find/b is second");
	tap_ok(registry_find(&r, "nope") == NULL, "guest/find/unknown is NULL");

	/* The name aliases the array slot that the delete shifts over. */
	tap_ok(registry_del_guest(&r, registry_find(&r, "a")->name) == 0,
	       "guest/del/a by its own stored name");
	text = registry_format(&r);
	tap_is_str(text,
		   H "guest b 02:00:00:00:00:02 10.0.0.2 -\n"
		     "guest c 02:00:00:00:00:03 10.0.0.3 fd00::3\n"
		     "port b tcp * 8002 80\n"
		     "port c tcp 2001:db8::1 443 443\n",
		   "guest/del/a: its ports gone, order of the rest kept");
	free(text);
	tap_ok(registry_del_guest(&r, "a") == -ENOENT, "guest/del/a again: -ENOENT");

	tap_ok(registry_add_guest(&r, &a) == 0, "guest/del/a: name, MAC and addresses reusable");
	tap_ok(registry_add_port(&r, &pa1) == 0 && registry_add_port(&r, &pa2) == 0,
	       "guest/del/a: its host ports reusable");

	tap_ok(registry_del_guest(&r, "c") == 0 && registry_del_guest(&r, "b") == 0 &&
		   registry_del_guest(&r, "a") == 0,
	       "guest/del/all three");
	tap_ok(r.n_guests == 0 && r.n_ports == 0, "guest/del/registry empty, ports too");
	text = registry_format(&r);
	tap_is_str(text, H, "guest/del/empty registry formats as header only");
	free(text);
	registry_free(&r);
}

/* ---- ports ---- */

struct collide_case {
	const char *name;
	const char *proto1, *addr1;
	uint16_t port1;
	const char *guest2, *proto2, *addr2;
	uint16_t port2;
	int err;
};

/* clang-format off */
static const struct collide_case collide_cases[] = {
	{ "* vs *", "tcp", "*", 80, "a", "tcp", "*", 80, -EEXIST },
	{ "* vs v4", "tcp", "*", 80, "a", "tcp", "192.0.2.1", 80, -EEXIST },
	{ "* vs v6", "tcp", "*", 80, "a", "tcp", "2001:db8::1", 80, -EEXIST },
	{ "v4 vs *", "tcp", "192.0.2.1", 80, "a", "tcp", "*", 80, -EEXIST },
	{ "v6 vs *", "udp", "2001:db8::1", 53, "a", "udp", "*", 53, -EEXIST },
	{ "v4 vs same v4", "tcp", "192.0.2.1", 80, "a", "tcp", "192.0.2.1", 80, -EEXIST },
	{ "v6 vs same v6", "tcp", "2001:db8::1", 80, "a", "tcp", "2001:db8:0::1", 80, -EEXIST },
	{ "other guest, same everything", "tcp", "*", 80, "b", "tcp", "*", 80, -EEXIST },
	{ "other guest, same v4", "udp", "192.0.2.1", 53, "b", "udp", "192.0.2.1", 53, -EEXIST },
	{ "v4 vs other v4", "tcp", "192.0.2.1", 80, "a", "tcp", "192.0.2.2", 80, 0 },
	{ "v6 vs other v6", "tcp", "2001:db8::1", 80, "b", "tcp", "2001:db8::2", 80, 0 },
	{ "v4 vs v6", "tcp", "192.0.2.1", 80, "b", "tcp", "2001:db8::1", 80, 0 },
	{ "tcp vs udp", "tcp", "*", 80, "a", "udp", "*", 80, 0 },
	{ "udp vs tcp, same v4", "udp", "192.0.2.1", 80, "b", "tcp", "192.0.2.1", 80, 0 },
	{ "other host port", "tcp", "*", 80, "a", "tcp", "*", 81, 0 },
	{ "other host port, same v4", "tcp", "192.0.2.1", 80, "b", "tcp", "192.0.2.1", 8080, 0 },
};
/* clang-format on */

static void test_port_collisions(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(collide_cases); i++) {
		const struct collide_case *c = &collide_cases[i];
		struct guest a = mkguest("a", 1, "10.0.0.1", NULL);
		struct guest b = mkguest("b", 2, "10.0.0.2", NULL);
		struct port_fwd p1 = mkport("a", c->proto1, c->addr1, c->port1, 22);
		struct port_fwd p2 = mkport(c->guest2, c->proto2, c->addr2, c->port2, 2222);
		struct registry r = {};
		int err;

		if (registry_add_guest(&r, &a) < 0 || registry_add_guest(&r, &b) < 0 ||
		    registry_add_port(&r, &p1) < 0)
			abort();
		err = registry_add_port(&r, &p2);
		tap_ok(err == c->err && r.n_ports == (err ? 1u : 2u),
		       "port/collide/%s: %d (got %d)", c->name, c->err, err);

		/* The parser must apply the very same rule. */
		if (err == 0) {
			tap_ok(roundtrips(&r), "port/collide/%s: round-trips", c->name);
		} else {
			struct registry r2 = {};
			unsigned line = 0;
			char *text;
			int perr;

			r.ports[r.n_ports++] = p2; /* capacity >= 16, see grow() */
			text = registry_format(&r);
			perr = registry_parse(text, strlen(text), &r2, &line);
			tap_ok(perr == -EBADMSG && line == 5,
			       "port/collide/%s: parser refuses it at line 5", c->name);
			free(text);
			registry_free(&r2);
		}
		registry_free(&r);
	}
}

/* Many entries under one proto + host port share a hash chain in the parser. */
static void test_port_chain(void)
{
	char *text = NULL, *bad = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);
	struct registry r = {};
	unsigned line = 0;
	int err;

	fputs(H "guest a 02:00:00:00:00:01 10.0.0.1 -\n", f);
	for (int i = 1; i <= 250; i++)
		fprintf(f, "port a tcp 192.0.2.%d 80 %d\n", i, i);
	for (int i = 1; i <= 250; i++)
		fprintf(f, "port a tcp 2001:db8::%x 80 %d\n", i, i);
	fclose(f);
	err = registry_parse(text, strlen(text), &r, &line);
	tap_ok(err == 0 && r.n_ports == 500, "port/chain/500 addresses on tcp 80 parse");
	registry_free(&r);

	if (asprintf(&bad, "%sport a tcp 2001:db8::7 80 1\n", text) < 0)
		abort();
	err = registry_parse(bad, strlen(bad), &r, &line);
	tap_ok(err == -EBADMSG && line == 503, "port/chain/dup at the end found (line %u)", line);
	free(bad);

	if (asprintf(&bad, "%sport a tcp * 80 1\n", text) < 0)
		abort();
	err = registry_parse(bad, strlen(bad), &r, &line);
	tap_ok(err == -EBADMSG && line == 503, "port/chain/wildcard at the end refused");
	free(bad);

	if (asprintf(&bad, "%sport a udp * 80 1\n", text) < 0)
		abort();
	err = registry_parse(bad, strlen(bad), &r, &line);
	tap_ok(err == 0, "port/chain/udp wildcard on the same port is fine");
	registry_free(&r);
	free(bad);
	free(text);
}

static void test_port_validation(void)
{
	struct registry r = {};
	struct guest a = mkguest("a", 1, "10.0.0.1", NULL);
	struct port_fwd p;
	char *before, *after;

	registry_add_guest(&r, &a);
	before = registry_format(&r);

	p = mkport("zzz", "tcp", "*", 80, 80);
	tap_ok(registry_add_port(&r, &p) == -ENOENT, "port/add/unknown guest: -ENOENT");
	p = mkport("Bad", "tcp", "*", 80, 80);
	tap_ok(registry_add_port(&r, &p) == -EINVAL, "port/add/invalid guest name: -EINVAL");
	p = mkport("a", "tcp", "*", 80, 80);
	memset(p.guest, 'a', sizeof(p.guest));
	tap_ok(registry_add_port(&r, &p) == -EINVAL, "port/add/unterminated guest: -EINVAL");
	p = mkport("a", "tcp", "*", 80, 80);
	p.proto = IPPROTO_SCTP;
	tap_ok(registry_add_port(&r, &p) == -EINVAL, "port/add/sctp: -EINVAL");
	p.proto = 0;
	tap_ok(registry_add_port(&r, &p) == -EINVAL, "port/add/proto 0: -EINVAL");
	p = mkport("a", "tcp", "*", 80, 80);
	p.family = AF_UNIX;
	tap_ok(registry_add_port(&r, &p) == -EINVAL, "port/add/AF_UNIX: -EINVAL");
	p = mkport("a", "tcp", "*", 0, 80);
	tap_ok(registry_add_port(&r, &p) == -EINVAL, "port/add/host port 0: -EINVAL");
	p = mkport("a", "tcp", "*", 80, 0);
	tap_ok(registry_add_port(&r, &p) == -EINVAL, "port/add/guest port 0: -EINVAL");
	after = registry_format(&r);
	tap_is_str(after, before, "port/add/refusals change nothing");
	free(before);
	free(after);

	/* Garbage in the unused part of the union must not leak into the model. */
	p = mkport("a", "udp", "*", 53, 53);
	tap_ok(registry_add_port(&r, &p) == 0 && roundtrips(&r),
	       "port/add/wildcard with garbage haddr round-trips");
	registry_free(&r);
}

static void test_del_port(void)
{
	struct registry r = {};
	struct guest a = mkguest("a", 1, "10.0.0.1", NULL);
	struct guest b = mkguest("b", 2, "10.0.0.2", NULL);
	struct port_fwd any = mkport("a", "tcp", "*", 80, 80);
	struct port_fwd v4 = mkport("a", "tcp", "192.0.2.1", 8080, 80);
	struct port_fwd v6 = mkport("b", "udp", "2001:db8::1", 53, 53);
	struct port_fwd p;
	char *text;

	registry_add_guest(&r, &a);
	registry_add_guest(&r, &b);
	registry_add_port(&r, &any);
	registry_add_port(&r, &v4);
	registry_add_port(&r, &v6);

	p = mkport("b", "tcp", "*", 80, 80);
	tap_ok(registry_del_port(&r, &p) == -ENOENT, "port/del/wrong guest: -ENOENT");
	p = mkport("a", "udp", "*", 80, 80);
	tap_ok(registry_del_port(&r, &p) == -ENOENT, "port/del/wrong proto: -ENOENT");
	p = mkport("a", "tcp", "*", 81, 80);
	tap_ok(registry_del_port(&r, &p) == -ENOENT, "port/del/wrong host port: -ENOENT");
	p = mkport("a", "tcp", "192.0.2.1", 80, 80);
	tap_ok(registry_del_port(&r, &p) == -ENOENT,
	       "port/del/address does not match a wildcard entry");
	p = mkport("a", "tcp", "*", 8080, 80);
	tap_ok(registry_del_port(&r, &p) == -ENOENT,
	       "port/del/wildcard does not match an address entry");
	p = mkport("a", "tcp", "192.0.2.2", 8080, 80);
	tap_ok(registry_del_port(&r, &p) == -ENOENT, "port/del/other address: -ENOENT");
	p = mkport("b", "udp", "2001:db8::2", 53, 53);
	tap_ok(registry_del_port(&r, &p) == -ENOENT, "port/del/other v6 address: -ENOENT");
	tap_ok(r.n_ports == 3, "port/del/misses removed nothing");

	p = mkport("a", "tcp", "192.0.2.1", 8080, 9999);
	tap_ok(registry_del_port(&r, &p) == 0, "port/del/v4 matched without the guest port");
	p = mkport("b", "udp", "2001:db8:0:0::1", 53, 53);
	tap_ok(registry_del_port(&r, &p) == 0, "port/del/v6 matched in another spelling");
	text = registry_format(&r);
	tap_is_str(text,
		   H "guest a 02:00:00:00:00:01 10.0.0.1 -\n"
		     "guest b 02:00:00:00:00:02 10.0.0.2 -\n"
		     "port a tcp * 80 80\n",
		   "port/del/only the wildcard entry left");
	free(text);
	p = mkport("a", "tcp", "192.0.2.1", 80, 80);
	tap_ok(registry_add_port(&r, &p) == -EEXIST, "port/del/wildcard still blocks the address");
	tap_ok(registry_del_port(&r, &any) == 0 && registry_add_port(&r, &p) == 0,
	       "port/del/after deleting the wildcard the address is free");
	registry_free(&r);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Thousands of guests, each with an address-bound and a wildcard port. */
static void build_big(struct registry *r, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		char name[32], ip4[32], ip6[64], haddr[32];
		struct guest g;
		struct port_fwd p;

		snprintf(name, sizeof(name), "guest-%u", i);
		snprintf(ip4, sizeof(ip4), "10.%u.%u.%u", i >> 16 & 255, i >> 8 & 255, i & 255);
		snprintf(ip6, sizeof(ip6), "fd00:aaaa:254::%x", i + 1);
		g = mkguest(name, i + 1, ip4, i % 2 ? NULL : ip6);
		if (registry_add_guest(r, &g) < 0)
			abort();
		p = mkport(name, "tcp", "*", (uint16_t)(1 + i), 22);
		if (registry_add_port(r, &p) < 0)
			abort();
		snprintf(haddr, sizeof(haddr), "192.0.2.%u", i % 250 + 1);
		p = mkport(name, i % 3 ? "udp" : "tcp", i % 5 ? haddr : "2001:db8::1",
			   (uint16_t)(20000 + i), 53);
		if (registry_add_port(r, &p) < 0)
			abort();
	}
}

static void test_big_roundtrip(void)
{
	struct registry r = {}, back = {};
	unsigned line = 0, n = 5000;
	char *text, *text2 = NULL;
	double t0, t1;
	int err;

	build_big(&r, n);
	text = registry_format(&r);
	t0 = now();
	err = registry_parse(text, strlen(text), &back, &line);
	t1 = now();
	tap_ok(err == 0 && registry_eq(&r, &back),
	       "big/%u guests + %u ports: parse(format(r)) == r", n, 2 * n);
	if (err == 0)
		text2 = registry_format(&back);
	tap_is_str(text2, text, "big/format is stable");
	printf("# parse of %u guests + %u ports: %.1f ms\n", n, 2 * n, (t1 - t0) * 1e3);
	/* Generous so sanitizer builds pass; quadratic blow-ups take far longer. */
	tap_ok(t1 - t0 < 5.0, "big/parse stays fast");

	tap_ok(registry_del_guest(&r, "guest-0") == 0 && r.n_guests == n - 1 &&
		   r.n_ports == 2 * n - 2 && streq(r.guests[0].name, "guest-1"),
	       "big/del first guest shifts the rest");
	free(text);
	free(text2);
	registry_free(&r);
	registry_free(&back);
}

/* ---- files ---- */

static char tmproot[256];

static char *tpath(const char *sub)
{
	static char buf[4][512];
	static int k;

	k = (k + 1) % 4;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", tmproot, sub);
	return buf[k];
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (!streq(e->d_name, ".") && !streq(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static int put(const char *path, const char *text)
{
	return write_file_atomic(path, text, strlen(text), 0600);
}

static void test_files(void)
{
	char *s = NULL;
	size_t len = 0;
	struct stat st;
	int err;

	mkdir(tpath("f"), 0700);
	err = write_file_atomic(tpath("f/a"), "hello", 5, 0644);
	tap_ok(err == 0 && stat(tpath("f/a"), &st) == 0 && (st.st_mode & 07777) == 0644,
	       "file/write: mode 0644 despite umask 077");
	tap_ok(read_file(tpath("f/a"), &s, &len) == 0 && len == 5 && streq(s, "hello"),
	       "file/read: content and length");
	free(s);
	s = NULL;

	err = write_file_atomic(tpath("f/a"), "", 0, 0600);
	tap_ok(err == 0 && read_file(tpath("f/a"), &s, &len) == 0 && len == 0 && s && !*s,
	       "file/write: empty replaces, read gives \"\"");
	free(s);
	s = NULL;

	{
		size_t big = 300000;
		char *data = malloc(big);

		for (size_t i = 0; i < big; i++)
			data[i] = (char)('a' + i % 26);
		data[1000] = '\0'; /* binary content survives, length tells the truth */
		err = write_file_atomic(tpath("f/big"), data, big, 0600);
		tap_ok(err == 0 && read_file(tpath("f/big"), &s, &len) == 0 && len == big &&
			   !memcmp(s, data, big) && s[big] == '\0',
		       "file/big binary file round-trips, NUL-terminated");
		free(s);
		s = NULL;
		free(data);
	}

	tap_ok(read_file("/proc/self/stat", &s, &len) == 0 && len > 0 && strlen(s) == len,
	       "file/read: /proc file with st_size 0");
	free(s);
	s = NULL;

	tap_ok(read_file(tpath("f/missing"), &s, &len) == -ENOENT && !s,
	       "file/read: missing -> -ENOENT, ret untouched");
	tap_ok(write_file_atomic(tpath("nodir/a"), "x", 1, 0600) == -ENOENT,
	       "file/write: missing directory -> -ENOENT");

	mkdir(tpath("f/isdir"), 0700);
	err = write_file_atomic(tpath("f/isdir"), "x", 1, 0600);
	tap_ok(err == -EISDIR, "file/write: over a directory -> -EISDIR (got %d)", err);
	tap_ok(count_entries(tpath("f")) == 3, "file/write: failed write left no temp file");

	if (geteuid() != 0) {
		mkdir(tpath("ro"), 0500);
		tap_ok(write_file_atomic(tpath("ro/a"), "x", 1, 0600) == -EACCES,
		       "file/write: read-only dir -> -EACCES");
	} else {
		tap_ok(1, "file/write: read-only dir # SKIP root ignores permissions");
	}

	/* A relative path puts the temp file in "." */
	{
		int cwd = open(".", O_RDONLY | O_DIRECTORY);

		err = chdir(tpath("f")) ? -errno : put("rel", "r");
		tap_ok(err == 0 && access("rel", F_OK) == 0, "file/write: relative path");
		if (fchdir(cwd) < 0)
			abort();
		close(cwd);
	}
}

/* The dnsmasq-dir writer: new files in place, existing ones replaced only when they differ. */
static void test_watched_files(void)
{
	struct stat st, st2;
	char *s = NULL;
	size_t len;
	int r;

	mkdir(tpath("w"), 0700);
	r = write_new_or_changed(tpath("w/g1"), "10.0.0.1 g1\n", 0644);
	tap_ok(r == 1 && read_file(tpath("w/g1"), &s, &len) == 0 && streq(s, "10.0.0.1 g1\n") &&
		       stat(tpath("w/g1"), &st) == 0 && (st.st_mode & 07777) == 0644,
	       "watched/new: created with its content, mode 0644 despite umask 077 (r=%d)", r);
	free(s);
	s = NULL;
	tap_ok(count_entries(tpath("w")) == 1, "watched/new: no temp file beside it");
	r = write_new_or_changed(tpath("w/g1"), "10.0.0.1 g1\n", 0644);
	tap_ok(r == 0 && stat(tpath("w/g1"), &st2) == 0 && st2.st_ino == st.st_ino,
	       "watched/same content: not written, same inode (r=%d)", r);
	r = write_new_or_changed(tpath("w/g1"), "10.0.0.2 g1\n", 0644);
	tap_ok(r == 1 && read_file(tpath("w/g1"), &s, &len) == 0 && streq(s, "10.0.0.2 g1\n") &&
		       stat(tpath("w/g1"), &st2) == 0 && st2.st_ino != st.st_ino,
	       "watched/changed: replaced by rename (a new inode), new content (r=%d)", r);
	free(s);
	tap_ok(count_entries(tpath("w")) == 1, "watched/changed: no temp file left");
	tap_ok(symlink("/nonexistent-target", tpath("w/link")) == 0 &&
		       write_new_or_changed(tpath("w/link"), "x\n", 0644) == 1 &&
		       lstat(tpath("w/link"), &st) == 0 && S_ISREG(st.st_mode) &&
		       access("/nonexistent-target", F_OK) < 0,
	       "watched/symlink: the link is replaced by a file, nothing written through it");
	tap_ok(write_new_or_changed(tpath("nodir/g"), "x\n", 0644) == -ENOENT,
	       "watched/missing directory -> -ENOENT");
}

static void test_save_load(void)
{
	struct registry r = {}, back = {};
	char dir[512];
	char *a, *b;
	struct stat st;
	int err;

	snprintf(dir, sizeof(dir), "%s", tpath("state"));
	err = registry_load(tpath("state-missing"), &back);
	tap_ok(err == 0 && back.n_guests == 0 && back.n_ports == 0,
	       "store/load: missing dir -> empty registry");
	mkdir(dir, 0700);
	err = registry_load(dir, &back);
	tap_ok(err == 0 && back.n_guests == 0, "store/load: missing file -> empty registry");

	build_big(&r, 300);
	tap_ok(registry_save(dir, &r) == 0, "store/save: 300 guests");
	tap_ok(stat(tpath("state/guests"), &st) == 0 && (st.st_mode & 07777) == 0600,
	       "store/save: file mode 0600");
	tap_ok(count_entries(dir) == 1, "store/save: only the registry file in the dir");
	err = registry_load(dir, &back);
	tap_ok(err == 0 && registry_eq(&r, &back), "store/load: equals what was saved");
	a = registry_format(&r);
	b = registry_format(&back);
	tap_is_str(b, a, "store/load: same canonical text");
	free(a);
	free(b);
	registry_free(&back);

	registry_del_guest(&r, "guest-7");
	tap_ok(registry_save(dir, &r) == 0 && registry_load(dir, &back) == 0 &&
		   registry_eq(&r, &back) && !registry_find(&back, "guest-7"),
	       "store/save: replace with a smaller registry");
	registry_free(&back);

	/* Damage a loader must refuse instead of reading as "fewer guests". */
	{
		char *text = registry_format(&r);
		size_t n = strlen(text);

		err = write_file_atomic(tpath("state/guests"), text, n - 1, 0600);
		tap_ok(err == 0 && registry_load(dir, &back) == -EBADMSG,
		       "store/load: truncated file -> -EBADMSG");
		free(text);
	}
	put(tpath("state/guests"), "");
	tap_ok(registry_load(dir, &back) == -EBADMSG, "store/load: empty file -> -EBADMSG");
	put(tpath("state/guests"), H "guest x\n");
	tap_ok(registry_load(dir, &back) == -EBADMSG, "store/load: bad record -> -EBADMSG");

	tap_ok(registry_save(tpath("state-missing"), &r) == -ENOENT,
	       "store/save: missing dir -> -ENOENT");
	registry_free(&r);
}

/* Readers never lock, so every load during a stream of saves must see a whole file. */
static void test_torn_writes(void)
{
	struct registry small = {}, big = {};
	char dir[512], *text_small, *text_big;
	int stop[2], ready[2], status, loads = 0, bad = 0, seen_small = 0, seen_big = 0;
	double deadline;
	pid_t pid;
	char c;

	snprintf(dir, sizeof(dir), "%s", tpath("torn"));
	mkdir(dir, 0700);
	build_big(&small, 1);
	build_big(&big, 800);
	text_small = registry_format(&small);
	text_big = registry_format(&big);
	if (registry_save(dir, &small) < 0 || pipe(stop) < 0 || pipe(ready) < 0)
		abort();

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		struct pollfd pfd = {.fd = stop[0], .events = POLLIN};
		unsigned i = 0;

		close(stop[1]);
		close(ready[0]);
		/* Saves until the parent closes the pipe, so no save is cut short. */
		while (poll(&pfd, 1, 0) == 0) {
			if (registry_save(dir, ++i % 2 ? &big : &small) < 0)
				_exit(1);
			if (i == 2 && write(ready[1], "R", 1) != 1)
				_exit(1);
		}
		_exit(i > 0 ? 0 : 2);
	}
	close(stop[0]);
	close(ready[1]);
	if (read(ready[0], &c, 1) != 1)
		abort();
	close(ready[0]);

	/*
	 * fsync makes saves far slower than loads; keep loading past the minimum
	 * until both versions were seen, or the race was never exercised.
	 */
	deadline = now() + 30;
	for (int i = 0; i < 2000 || ((!seen_big || !seen_small) && now() < deadline); i++) {
		struct registry r = {};
		char *text = NULL;
		int err = registry_load(dir, &r);

		if (err == 0)
			text = registry_format(&r);
		if (text && streq(text, text_small))
			seen_small++;
		else if (text && streq(text, text_big))
			seen_big++;
		else if (bad++ == 0)
			printf("# load %d: err %d, %zu guests\n", i, err, r.n_guests);
		free(text);
		registry_free(&r);
		loads++;
	}
	close(stop[1]);
	waitpid(pid, &status, 0);

	printf("# %d loads: %d small, %d big, %d bad\n", loads, seen_small, seen_big, bad);
	tap_ok(bad == 0, "store/torn: %d loads during saves all parse to a saved version", loads);
	tap_ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "store/torn: every save succeeded");
	tap_ok(seen_big > 0 && seen_small > 0, "store/torn: loads saw both versions");
	tap_ok(count_entries(dir) == 1, "store/torn: no temp files left behind");
	free(text_small);
	free(text_big);
	registry_free(&small);
	registry_free(&big);
}

static void test_lock_paths(void)
{
	struct stat st;
	int fd = -1, err;

	err = state_lock(tpath("lk/a/b"), &fd);
	tap_ok(err == 0 && fd >= 0, "lock/creates nested dirs");
	tap_ok(stat(tpath("lk/a/b"), &st) == 0 && (st.st_mode & 07777) == 0700 &&
		   stat(tpath("lk/a"), &st) == 0 && (st.st_mode & 07777) == 0700,
	       "lock/created dirs are 0700");
	tap_ok(stat(tpath("lk/a/b/lock"), &st) == 0 && (st.st_mode & 07777) == 0600,
	       "lock/lock file is 0600");
	tap_ok(fd >= 0 && (fcntl(fd, F_GETFD) & FD_CLOEXEC), "lock/fd is close-on-exec");
	if (fd >= 0)
		close(fd);

	err = state_lock(tpath("lk/a/b/"), &fd);
	tap_ok(err == 0, "lock/trailing slash, existing dir");
	if (err == 0)
		close(fd);

	put(tpath("lk/file"), "x");
	fd = -1;
	err = state_lock(tpath("lk/file"), &fd);
	tap_ok(err == -ENOTDIR && fd == -1, "lock/dir is a file -> -ENOTDIR (got %d)", err);
	err = state_lock(tpath("lk/file/sub"), &fd);
	tap_ok(err == -ENOTDIR, "lock/parent is a file -> -ENOTDIR (got %d)", err);
	err = state_lock("", &fd);
	tap_ok(err == -EINVAL, "lock/empty path -> -EINVAL");

	mkdir(tpath("lk/sym"), 0700);
	if (symlink("/nonexistent-target", tpath("lk/sym/lock")) < 0)
		abort();
	err = state_lock(tpath("lk/sym"), &fd);
	tap_ok(err == -ELOOP, "lock/symlinked lock file refused (got %d)", err);
}

static bool wait_readable(int fd, int ms)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};

	return poll(&pfd, 1, ms) == 1;
}

static void test_lock_blocks(void)
{
	char dir[512];
	int to_holder[2], from_holder[2], from_waiter[2], fd;
	pid_t holder, waiter;
	char c = 0;
	int status;

	snprintf(dir, sizeof(dir), "%s", tpath("lockx"));
	if (pipe(to_holder) < 0 || pipe(from_holder) < 0 || pipe(from_waiter) < 0)
		abort();
	fflush(stdout);
	holder = fork();
	if (holder == 0) {
		int lfd;

		if (state_lock(dir, &lfd) < 0)
			_exit(1);
		if (write(from_holder[1], "L", 1) != 1)
			_exit(1);
		/* Hold until told to go (or the parent dies); exiting drops the lock. */
		if (read(to_holder[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(from_holder[1]);
	close(to_holder[0]);
	tap_ok(read(from_holder[0], &c, 1) == 1 && c == 'L', "lock/child holds the lock");

	fd = open(tpath("lockx/lock"), O_RDWR | O_CLOEXEC);
	tap_ok(fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK,
	       "lock/LOCK_NB from another open -> EWOULDBLOCK");

	fflush(stdout);
	waiter = fork();
	if (waiter == 0) {
		int lfd;

		close(from_waiter[0]);
		if (state_lock(dir, &lfd) < 0)
			_exit(1);
		if (write(from_waiter[1], "W", 1) != 1)
			_exit(1);
		_exit(0);
	}
	close(from_waiter[1]);
	tap_ok(!wait_readable(from_waiter[0], 300), "lock/second locker blocks while held");

	if (write(to_holder[1], "x", 1) != 1)
		abort();
	waitpid(holder, &status, 0);
	tap_ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "lock/holder exited cleanly");
	c = 0;
	tap_ok(wait_readable(from_waiter[0], 10000) && read(from_waiter[0], &c, 1) == 1 && c == 'W',
	       "lock/second locker proceeds once the holder is gone");
	waitpid(waiter, &status, 0);
	tap_ok(fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0, "lock/free after both exited");
	if (fd >= 0)
		close(fd);
	close(from_holder[0]);
	close(to_holder[1]);
	close(from_waiter[0]);
}

static void remove_tree(const char *path)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "chmod -R u+rwx '%s' 2>/dev/null; rm -rf '%s'", path, path);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", path);
}

/* A state dir others may write is refused: they could forge the journals. */
static void test_lock_perms(void)
{
	int fd = -1;

	mkdir(tpath("perm"), 0700);
	tap_ok(state_lock(tpath("perm"), &fd) == 0, "lock/a 0700 dir of ours is taken");
	if (fd >= 0)
		close(fd);
	fd = -1;
	chmod(tpath("perm"), 0777);
	tap_ok(state_lock(tpath("perm"), &fd) == -EPERM && fd == -1,
	       "lock/a dir writable by others -> -EPERM");
	chmod(tpath("perm"), 0770);
	tap_ok(state_lock(tpath("perm"), &fd) == -EPERM, "lock/a dir writable by the group -> -EPERM");
	chmod(tpath("perm"), 0755);
	tap_ok(state_lock(tpath("perm"), &fd) == 0, "lock/0755 is fine");
	if (fd >= 0)
		close(fd);
}

/* ---- the journals: owned-links and host-sysctls ---- */

struct journal_case {
	const char *text;
	unsigned bad_line; /* 0: must parse */
};

static void test_owned_links(void)
{
	static const struct journal_case cases[] = {
		{"", 0},
		{"lxtg1\n", 0},
		{"lxtg1\nlxtg0\n", 0},
		{"a.b-c_d\n", 0},
		{"lxtg1", 1},                      /* unended line */
		{"lxtg1\nlxtg0", 2},
		{"\n", 1},                         /* empty name */
		{"lxtg 1\n", 1},                   /* blank in a name */
		{"lxtg1\nlxtg1\n", 2},             /* twice */
		{"a234567890123456\n", 1},         /* 16 chars: too long for a link */
		{"../etc\n", 1},
		{"lxtg1\n\x01x\n", 2},
		{"ok\nwith\0nul\n", 2},
	};
	struct owned_links o;
	char *text;
	unsigned line;
	int r;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		size_t len = strlen(cases[i].text);

		if (i == ARRAY_SIZE(cases) - 1)
			len = 12; /* with the NUL inside */
		r = owned_links_parse(cases[i].text, len, &o, &line);
		if (!cases[i].bad_line) {
			text = owned_links_format(&o);
			tap_ok(r == 0 && text && streq(text, cases[i].text),
			       "owned-links: '%s' parses and formats back", tap_show(cases[i].text));
			free(text);
		} else {
			tap_ok(r == -EBADMSG && line == cases[i].bad_line,
			       "owned-links: '%s' refused at line %u (got %d, line %u)",
			       tap_show(cases[i].text), cases[i].bad_line, r, line);
		}
	}

	mkdir(tpath("own"), 0700);
	tap_ok(state_owned_links_load(tpath("own"), &o) == 0 && o.n == 0,
	       "owned-links: a missing file is an empty list");
	r = state_owned_links_add(tpath("own"), "lxtg1");
	if (r == 0)
		r = state_owned_links_add(tpath("own"), "lxtg0");
	if (r == 0)
		r = state_owned_links_add(tpath("own"), "lxtg1");
	tap_ok(r == 0 && state_owned_links_load(tpath("own"), &o) == 0 && o.n == 2 &&
		       streq(o.name[0], "lxtg1") && streq(o.name[1], "lxtg0"),
	       "owned-links: add records each name once, in order");
	tap_ok(state_owned_links_add(tpath("own"), "bad name") == -EINVAL,
	       "owned-links: add refuses an invalid name");
	for (int i = 0; i < OWNED_LINKS_MAX; i++) {
		char n[16];

		snprintf(n, sizeof(n), "l%d", i);
		r = state_owned_links_add(tpath("own"), n);
	}
	tap_ok(r == -E2BIG, "owned-links: full at %d names (-E2BIG)", OWNED_LINKS_MAX);
	tap_ok(state_owned_links_clear(tpath("own")) == 0 &&
		       access(tpath("own/" STATE_OWNED_LINKS), F_OK) < 0 && errno == ENOENT &&
		       state_owned_links_clear(tpath("own")) == 0,
	       "owned-links: clear removes the file, and again is fine");
	{
		int fd = open(tpath("own/" STATE_OWNED_LINKS), O_CREAT | O_WRONLY, 0600);

		tap_ok(fd >= 0 && write(fd, "lxtg1\nx y\n", 10) == 10 && close(fd) == 0 &&
			       state_owned_links_load(tpath("own"), &o) == -EBADMSG &&
			       state_owned_links_add(tpath("own"), "lxtg2") == -EBADMSG,
		       "owned-links: a damaged file is -EBADMSG for load and add (not overwritten)");
	}
}

static void test_sysctl_journal(void)
{
	static const struct journal_case cases[] = {
		{"", 0},
		{"net/ipv4/ip_forward 0\n", 0},
		{"net/ipv6/conf/eth0/accept_ra 1\nnet/bridge/bridge-nf-call-iptables 1\n", 0},
		{"net/ipv6/conf/eth0.10/proxy_ndp 0\n", 0},
		{"net/ipv4/ip_forward 0", 1},          /* unended */
		{"net/ipv4/ip_forward\n", 1},          /* no value */
		{"net/ipv4/ip_forward \n", 1},         /* empty value */
		{"net/ipv4/ip_forward 0 1\n", 1},      /* two tokens */
		{"net/ipv4/ip_forward\t0\n", 1},
		{"/net/ipv4/ip_forward 0\n", 1},       /* absolute */
		{"net/../../etc/passwd 0\n", 1},       /* leaves /proc/sys */
		{"net/ipv4/./ip_forward 0\n", 1},
		{"net//ipv4 0\n", 1},
		{"net/ipv4/ 0\n", 1},
		{"net/ipv4/ip_forward 0\nnet/ipv4/ip_forward 1\n", 2}, /* twice */
		{"net/ipv4/ip_forward 0\nnet/ipv4/x$y 1\n", 2},
		{"k \x7f\n", 1},
	};
	struct sysctl_journal j = {0};
	char *text;
	unsigned line;
	int r;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		r = sysctl_journal_parse(cases[i].text, strlen(cases[i].text), &j, &line);
		if (!cases[i].bad_line) {
			text = sysctl_journal_format(&j);
			tap_ok(r == 0 && text && streq(text, cases[i].text),
			       "host-sysctls: '%s' parses and formats back", tap_show(cases[i].text));
			free(text);
		} else {
			tap_ok(r == -EBADMSG && line == cases[i].bad_line,
			       "host-sysctls: '%s' refused at line %u (got %d, line %u)",
			       tap_show(cases[i].text), cases[i].bad_line, r, line);
		}
	}

	j.n = 0;
	tap_ok(sysctl_journal_add(&j, "net/ipv4/ip_forward", "0") == 0 &&
		       sysctl_journal_add(&j, "net/ipv4/ip_forward", "1") == -EEXIST &&
		       sysctl_journal_add(&j, "net/x", "a b") == -EINVAL &&
		       sysctl_journal_add(&j, "net/x\ny 1\nz", "0") == -EINVAL &&
		       sysctl_journal_find(&j, "net/ipv4/ip_forward") == 0 &&
		       sysctl_journal_find(&j, "net/ipv4") == -ENOENT,
	       "host-sysctls: add refuses a second value for a key and anything that would not parse");
	mkdir(tpath("sys"), 0700);
	tap_ok(state_sysctl_journal_load(tpath("sys"), &j) == 0 && j.n == 0,
	       "host-sysctls: a missing file is an empty journal");
	sysctl_journal_add(&j, "net/ipv4/ip_forward", "0");
	sysctl_journal_add(&j, "net/ipv6/conf/all/forwarding", "0");
	r = state_sysctl_journal_save(tpath("sys"), &j);
	tap_ok(r == 0 && read_file(tpath("sys/" STATE_HOST_SYSCTLS), &text, NULL) == 0 &&
		       streq(text, "net/ipv4/ip_forward 0\nnet/ipv6/conf/all/forwarding 0\n"),
	       "host-sysctls: saved as one line a key");
	free(text);
	{
		struct sysctl_journal back;
		struct stat st;

		tap_ok(state_sysctl_journal_load(tpath("sys"), &back) == 0 && back.n == 2 &&
			       streq(back.e[1].key, "net/ipv6/conf/all/forwarding") &&
			       stat(tpath("sys/" STATE_HOST_SYSCTLS), &st) == 0 &&
			       (st.st_mode & 07777) == 0600,
		       "host-sysctls: loads back, file mode 0600");
	}
	j.n = 0;
	tap_ok(state_sysctl_journal_save(tpath("sys"), &j) == 0 &&
		       access(tpath("sys/" STATE_HOST_SYSCTLS), F_OK) < 0,
	       "host-sysctls: an empty journal removes the file");
	for (int i = 0; i <= SYSCTL_JOURNAL_MAX; i++) {
		char k[32];

		snprintf(k, sizeof(k), "net/k%d", i);
		r = sysctl_journal_add(&j, k, "1");
	}
	tap_ok(r == -E2BIG && j.n == SYSCTL_JOURNAL_MAX, "host-sysctls: full at %d keys (-E2BIG)",
	       SYSCTL_JOURNAL_MAX);
	text = sysctl_journal_format(&j);
	tap_ok(text && sysctl_journal_parse(text, strlen(text), &j, &line) == 0 &&
		       j.n == SYSCTL_JOURNAL_MAX,
	       "host-sysctls: a full journal round-trips");
	free(text);
}

static void test_applied(void)
{
	static const struct journal_case cases[] = {
		{"", 0},
		{"0123456789abcdef web\n", 0},
		{"0123456789abcdef web\nfedcba9876543210 db\n0123456789abcdef cache-1\n", 0},
		{"0123456789abcdef web", 1},            /* unended */
		{"0123456789abcdef\n", 1},              /* no name */
		{"0123456789abcdef \n", 1},             /* empty name */
		{"0123456789abcdef web db\n", 1},       /* two names */
		{"0123456789abcdef\tweb\n", 1},
		{"0123456789ABCDEF web\n", 1},          /* upper-case id */
		{"0123456789abcde web\n", 1},           /* short id */
		{"0123456789abcdef0 web\n", 1},         /* long id */
		{"0123456789abcdef Web\n", 1},          /* not a guest name */
		{"0123456789abcdef ../web\n", 1},
		{"0123456789abcdef web\nfedcba9876543210 web\n", 2}, /* a name for two files */
		{"0123456789abcdef web\n\n", 2},
	};
	struct applied *a = calloc(1, sizeof(*a)), *back = calloc(1, sizeof(*back));
	char id[APPLIED_ID_LEN + 1], id2[APPLIED_ID_LEN + 1], *text;
	unsigned line;
	int r;

	if (!a || !back)
		abort();
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		r = applied_parse(cases[i].text, strlen(cases[i].text), a, &line);
		if (!cases[i].bad_line) {
			text = applied_format(a);
			tap_ok(r == 0 && text && streq(text, cases[i].text),
			       "applied: '%s' parses and formats back", tap_show(cases[i].text));
			free(text);
		} else {
			tap_ok(r == -EBADMSG && line == cases[i].bad_line,
			       "applied: '%s' refused at line %u (got %d, line %u)",
			       tap_show(cases[i].text), cases[i].bad_line, r, line);
		}
	}

	applied_file_id("/srv/apps.ini", id);
	applied_file_id("/srv/apps.ini2", id2);
	tap_ok(strlen(id) == APPLIED_ID_LEN && strspn(id, "0123456789abcdef") == APPLIED_ID_LEN &&
		       !streq(id, id2),
	       "applied: a file id is 16 hex digits, one per path (%s, %s)", id, id2);
	applied_file_id("", id2);
	tap_is_str(id2, "cbf29ce484222325", "applied: the id is FNV-1a (of \"\": its offset basis)");

	a->n = 0;
	tap_ok(applied_add(a, id, "web") == 0 && applied_add(a, id, "db") == 0 &&
		       applied_add(a, id2, "web") == -EEXIST && applied_add(a, id, "a b") == -EINVAL &&
		       applied_add(a, "0123", "x") == -EINVAL &&
		       applied_add(a, id, "x\n0123456789abcdef y") == -EINVAL &&
		       applied_find(a, "db") == 1 && applied_find(a, "cache") == -ENOENT,
	       "applied: add records a name once, for one file, and refuses what would not parse");
	tap_ok(applied_del(a, "web") == 0 && a->n == 1 && applied_find(a, "db") == 0 &&
		       applied_del(a, "web") == -ENOENT,
	       "applied: del forgets one name and keeps the others in order");

	mkdir(tpath("app"), 0700);
	tap_ok(state_applied_load(tpath("app"), back) == 0 && back->n == 0,
	       "applied: a missing file is an empty journal");
	applied_add(a, id, "cache");
	r = state_applied_save(tpath("app"), a);
	text = NULL;
	tap_ok(r == 0 && read_file(tpath("app/" STATE_APPLIED), &text, NULL) == 0 && text &&
		       !strncmp(text, id, APPLIED_ID_LEN) && strstr(text, " db\n") &&
		       strstr(text, " cache\n"),
	       "applied: saved as one line a guest");
	free(text);
	{
		struct stat st;

		tap_ok(state_applied_load(tpath("app"), back) == 0 && back->n == 2 &&
			       streq(back->e[1].name, "cache") && streq(back->e[1].file, id) &&
			       stat(tpath("app/" STATE_APPLIED), &st) == 0 &&
			       (st.st_mode & 07777) == 0600,
		       "applied: loads back, file mode 0600");
	}
	{
		int fd = open(tpath("app/" STATE_APPLIED), O_WRONLY | O_APPEND);

		tap_ok(fd >= 0 && write(fd, "junk\n", 5) == 5 && close(fd) == 0 &&
			       state_applied_load(tpath("app"), back) == -EBADMSG,
		       "applied: a damaged journal is -EBADMSG, not guessed at");
	}
	a->n = 0;
	tap_ok(state_applied_save(tpath("app"), a) == 0 &&
		       access(tpath("app/" STATE_APPLIED), F_OK) < 0,
	       "applied: an empty journal removes the file");
	for (int i = 0; i <= APPLIED_MAX; i++) {
		char n[16];

		snprintf(n, sizeof(n), "g%d", i);
		r = applied_add(a, id, n);
	}
	tap_ok(r == -E2BIG && a->n == APPLIED_MAX, "applied: full at %d guests (-E2BIG)",
	       APPLIED_MAX);
	text = applied_format(a);
	tap_ok(text && applied_parse(text, strlen(text), back, &line) == 0 &&
		       back->n == APPLIED_MAX,
	       "applied: a full journal round-trips");
	free(text);
	free(a);
	free(back);
}

/* STATE/router/runtime: strict both ways, older files without the attach line. */
static void test_runtime_record(void)
{
	static const struct {
		const char *text;
		bool ok;
	} cases[] = {
		{"mode desktop\nlan_prefix -/0\nrouter 42 123\nattach macvlan uplink eth0 carries other "
		 "MACs\n", true},
		{"mode server\nlan_prefix 2001:db8:1::/64\nrouter 42 123\nattach routed a b\nlxc "
		 "/usr/lib/liblxc.so.1 5 6 7\n", true},
		{"mode desktop\nlan_prefix -/0\nrouter 42 123\n", true}, /* before attach existed */
		{"mode desktop\nlan_prefix -/0\nrouter 42 123\nlxc /x 1 2 3\n", true},
		{"mode desktop\nlan_prefix -/0\nrouter 42 123", false}, /* cut */
		{"mode desktop\nlan_prefix -/0\n", false},
		{"mode laptop\nlan_prefix -/0\nrouter 42 123\n", false},
		{"mode desktop x\nlan_prefix -/0\nrouter 42 123\n", false},
		{"mode desktop\nlan_prefix 2001:db8::/0\nrouter 42 123\n", false},
		{"mode desktop\nlan_prefix nonsense\nrouter 42 123\n", false},
		{"mode desktop\nlan_prefix -/0\nrouter -1 123\n", false},
		{"mode desktop\nlan_prefix -/0\nrouter 42\n", false},
		{"mode desktop\nlan_prefix -/0\nrouter 42 123\nattach bridge x\n", false},
		{"mode desktop\nlan_prefix -/0\nrouter 42 123\nattach routed a\nattach routed b\n", false},
		{"mode desktop\nlan_prefix -/0\nrouter 42 123\nlxc /x\nattach routed a\n", false},
		{"mode desktop\nlan_prefix -/0\nrouter 42 123\nlxc \n", false},
		{"mode desktop\nlan_prefix -/0\nrouter 42 123\nfoo bar\n", false},
		{"router 42 123\nmode desktop\nlan_prefix -/0\n", false},
	};
	struct runtime_record r, back;
	char *text;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int err = runtime_record_parse(cases[i].text, &r);

		if (!cases[i].ok) {
			tap_ok(err == -EBADMSG, "runtime: refuses '%s'", tap_show(cases[i].text));
			continue;
		}
		text = err == 0 ? runtime_record_format(&r) : NULL;
		tap_ok(text && streq(text, cases[i].text), "runtime: '%s' round-trips",
		       tap_show(cases[i].text));
		free(text);
	}

	/* A reason that holds a newline stays one line; a stamp with one cannot be written. */
	memset(&r, 0, sizeof(r));
	r.mode = MODE_SERVER;
	r.pid = 7;
	r.start = 9;
	r.has_attach = true;
	r.attach = ATTACH_ROUTED;
	strcpy(r.attach_why, "two\nlines");
	text = runtime_record_format(&r);
	tap_ok(text && runtime_record_parse(text, &back) == 0 && back.attach == ATTACH_ROUTED &&
		       streq(back.attach_why, "two\\x0alines") && back.pid == 7 && back.start == 9 &&
		       back.mode == MODE_SERVER && !back.prefix.plen,
	       "runtime: a reason with a newline is escaped to one line and read back");
	free(text);
	strcpy(r.stamp, "/x\nmode desktop");
	tap_ok(runtime_record_format(&r) == NULL, "runtime: a stamp with a newline is not written");
}

int main(void)
{
	const char *t = getenv("TMPDIR");

	umask(077);
	snprintf(tmproot, sizeof(tmproot), "%s/test-state.XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(tmproot)) {
		perror("mkdtemp");
		return 99;
	}

	test_parse_table();
	test_parse_binary();
	test_add_guest();
	test_del_guest();
	test_port_collisions();
	test_port_chain();
	test_port_validation();
	test_del_port();
	test_big_roundtrip();
	test_files();
	test_watched_files();
	test_save_load();
	test_torn_writes();
	test_lock_paths();
	test_lock_blocks();
	test_lock_perms();
	test_owned_links();
	test_sysctl_journal();
	test_runtime_record();
	test_applied();

	remove_tree(tmproot);
	return tap_done();
}
