// SPDX-License-Identifier: BSD-2-Clause
/*
 * Table-driven tests of the nftables element descriptions: which elements a
 * guest and a port forward make in each mode, their nft text, the host-side
 * port names and the server-mode publishing rules.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "addr.h"
#include "config.h"
#include "elems.h"
#include "state.h"
#include "util.h"
#include "tap.h"

static const char desktop_conf[] = "";
static const char desktop_no6_conf[] = "[ipv6]\nenable = no\n";
static const char routed_conf[] = "[network]\nattach = routed\n";
static const char server_conf[] =
    "[network]\nmode = server\n[server]\nipv6_prefix = 2001:db8:1::/64\n";
static const char server_auto_conf[] = "[network]\nmode = server\n";
static const char server_no6_conf[] = "[network]\nmode = server\n[ipv6]\nenable = no\n";

static bool conf_of(const char *text, struct conf *c)
{
	static struct conf_errors errs;

	if (conf_parse_buffer("t.conf", text, strlen(text), c, &errs) < 0) {
		tap_ok(0, "test setup: config '%s' parses (%s)", text, errs.msg[0]);
		return false;
	}
	return true;
}

/* ip6 NULL: no IPv6 address. */
static struct guest guest_of(const char *name, const char *mac, const char *ip4, const char *ip6)
{
	struct guest g;

	memset(&g, 0, sizeof(g));
	snprintf(g.name, sizeof(g.name), "%s", name);
	if (mac_parse(mac, g.mac) < 0 || addr_parse_ip4(ip4, &g.ip4) < 0 ||
	    (ip6 && addr_parse_ip6(ip6, &g.ip6) < 0))
		tap_ok(0, "test setup: bad guest %s", name);
	g.has_ip6 = ip6 != NULL;
	return g;
}

/* family AF_UNSPEC: addr ignored. */
static struct port_fwd fwd_of(int family, const char *addr, uint8_t proto, uint16_t host,
			      uint16_t guest)
{
	struct port_fwd p;
	int r = 0;

	memset(&p, 0, sizeof(p));
	p.family = family;
	p.proto = proto;
	p.host_port = host;
	p.guest_port = guest;
	if (family == AF_INET)
		r = addr_parse_ip4(addr, &p.haddr.v4);
	else if (family == AF_INET6)
		r = addr_parse_ip6(addr, &p.haddr.v6);
	if (r < 0)
		tap_ok(0, "test setup: bad address %s", addr);
	return p;
}

static const char *table_name(enum elem_table t)
{
	return t == ELEM_ROUTER	 ? "router"
	       : t == ELEM_GUARD ? "guard"
	       : t == ELEM_HOST	 ? "host"
				 : "?";
}

struct want_elem {
	enum elem_table table;
	const char *text; /* without the newline */
};

/* Compares count, table and nft text of each element, in order. */
static void check_elems(const char *what, const struct elem_desc *e, size_t n,
			const struct want_elem *want, size_t n_want)
{
	tap_ok(n == n_want, "%s: %zu elements (got %zu)", what, n_want, n);
	for (size_t i = 0; i < n && i < n_want; i++) {
		char *buf = NULL, line[512];
		size_t len = 0;

		snprintf(line, sizeof(line), "%s\n", want[i].text);
		tap_ok(e[i].table == want[i].table, "%s: element %zu in the %s table (got %s)",
		       what, i, table_name(want[i].table), table_name(e[i].table));
		tap_ok(elem_text(&e[i], &buf, &len) == 0 && len == strlen(line),
		       "%s: element %zu text has the right length", what, i);
		tap_is_str(buf, line, "%s: element %zu text", what, i);
		free(buf);
	}
}

#define MAC1 "02:00:00:00:00:01"
#define MAC2 "02:00:00:00:00:02"
/* clang-format off */
#define R(s) {ELEM_ROUTER, "add element inet lxctogo " s}
#define G(s) {ELEM_GUARD, "add element bridge lxctogo " s}
#define H(s) {ELEM_HOST, "add element inet lxctogo " s}
/* clang-format on */

static const struct want_elem web_v6[] = {
    R("guest4 { 192.168.254.101 }"),
    R("guest6 { fd00:aaaa:254::1 }"),
    G("port_mac { \"lxg-web\" . " MAC1 " }"),
    G("port_chaddr { \"lxg-web\" . 0x020000000001 }"),
    G("port_ip4 { \"lxg-web\" . " MAC1 " . 192.168.254.101 }"),
    G("port_ip6 { \"lxg-web\" . " MAC1 " . fe80::ff:fe00:1 }"),
    G("port_nd { \"lxg-web\" . " MAC1 " . 0xfe80000000000000000000fffe000001 }"),
    G("claimed6 { 0xfe80000000000000000000fffe000001 }"),
    G("port_ip6 { \"lxg-web\" . " MAC1 " . fd00:aaaa:254::1 }"),
    G("port_nd { \"lxg-web\" . " MAC1 " . 0xfd00aaaa025400000000000000000001 }"),
    G("claimed6 { 0xfd00aaaa025400000000000000000001 }"),
};

/* IPv6 off (config) or no IPv6 address (guest): the link-local address is still guarded. */
static const struct want_elem web_v4[] = {
    R("guest4 { 192.168.254.101 }"),
    G("port_mac { \"lxg-web\" . " MAC1 " }"),
    G("port_chaddr { \"lxg-web\" . 0x020000000001 }"),
    G("port_ip4 { \"lxg-web\" . " MAC1 " . 192.168.254.101 }"),
    G("port_ip6 { \"lxg-web\" . " MAC1 " . fe80::ff:fe00:1 }"),
    G("port_nd { \"lxg-web\" . " MAC1 " . 0xfe80000000000000000000fffe000001 }"),
    G("claimed6 { 0xfe80000000000000000000fffe000001 }"),
};

static const struct want_elem pub_v6[] = {
    R("guest4 { 192.0.2.100 }"),
    R("guest6 { 2001:db8:1::2 }"),
    G("port_mac { \"lxg-pub\" . " MAC2 " }"),
    G("port_chaddr { \"lxg-pub\" . 0x020000000002 }"),
    G("port_ip4 { \"lxg-pub\" . " MAC2 " . 192.0.2.100 }"),
    G("port_ip6 { \"lxg-pub\" . " MAC2 " . fe80::ff:fe00:2 }"),
    G("port_nd { \"lxg-pub\" . " MAC2 " . 0xfe80000000000000000000fffe000002 }"),
    G("claimed6 { 0xfe80000000000000000000fffe000002 }"),
    G("port_ip6 { \"lxg-pub\" . " MAC2 " . 2001:db8:1::2 }"),
    G("port_nd { \"lxg-pub\" . " MAC2 " . 0x20010db8000100000000000000000002 }"),
    G("claimed6 { 0x20010db8000100000000000000000002 }"),
};

/* A name too long for "lxg-NAME": the hashed port name (FNV-1a, computed independently). */
static const struct want_elem long_v4[] = {
    R("guest4 { 192.168.254.7 }"),
    G("port_mac { \"lxg-averyl5be81\" . aa:bb:cc:00:00:07 }"),
    G("port_chaddr { \"lxg-averyl5be81\" . 0xaabbcc000007 }"),
    G("port_ip4 { \"lxg-averyl5be81\" . aa:bb:cc:00:00:07 . 192.168.254.7 }"),
    G("port_ip6 { \"lxg-averyl5be81\" . aa:bb:cc:00:00:07 . fe80::a8bb:ccff:fe00:7 }"),
    G("port_nd { \"lxg-averyl5be81\" . aa:bb:cc:00:00:07 . 0xfe80000000000000a8bbccfffe000007 }"),
    G("claimed6 { 0xfe80000000000000a8bbccfffe000007 }"),
};

static void test_guest(void)
{
	static const struct {
		const char *what, *conf, *name, *mac, *ip4, *ip6;
		const struct want_elem *want;
		size_t n_want;
	} t[] = {
	    {"desktop web", desktop_conf, "web", MAC1, "192.168.254.101", "fd00:aaaa:254::1",
	     web_v6, ARRAY_SIZE(web_v6)},
	    {"desktop web, ipv6 off", desktop_no6_conf, "web", MAC1, "192.168.254.101",
	     "fd00:aaaa:254::1", web_v4, ARRAY_SIZE(web_v4)},
	    {"desktop web without IPv6", desktop_conf, "web", MAC1, "192.168.254.101", NULL, web_v4,
	     ARRAY_SIZE(web_v4)},
	    {"server web", server_conf, "web", MAC1, "192.168.254.101", "fd00:aaaa:254::1", web_v6,
	     ARRAY_SIZE(web_v6)},
	    {"server pub", server_conf, "pub", MAC2, "192.0.2.100", "2001:db8:1::2", pub_v6,
	     ARRAY_SIZE(pub_v6)},
	    {"desktop long name", desktop_conf, "averylongguestname", "aa:bb:cc:00:00:07",
	     "192.168.254.7", NULL, long_v4, ARRAY_SIZE(long_v4)},
	};

	for (unsigned i = 0; i < ARRAY_SIZE(t); i++) {
		struct elem_desc e[ELEMS_MAX];
		struct conf c;
		struct guest g = guest_of(t[i].name, t[i].mac, t[i].ip4, t[i].ip6);
		size_t n;

		if (!conf_of(t[i].conf, &c))
			continue;
		n = elems_guest(&c, &g, e);
		check_elems(t[i].what, e, n, t[i].want, t[i].n_want);
	}

	/* Key fields of the description itself, not only its text. */
	{
		struct elem_desc e[ELEMS_MAX];
		struct conf c;
		struct guest g = guest_of("web", MAC1, "192.168.254.101", "fd00:aaaa:254::1");
		size_t n;

		if (conf_of(desktop_conf, &c)) {
			n = elems_guest(&c, &g, e);
			tap_ok(n >= 9 && streq(e[2].set, "port_mac") && e[2].n_key == 2 &&
				   e[2].n_data == 0 && e[2].key[0].kind == F_IFNAME &&
				   streq(e[2].key[0].ifname, "lxg-web") &&
				   e[2].key[1].kind == F_MAC && !memcmp(e[2].key[1].mac, g.mac, 6),
			       "elems_guest: port_mac key is ifname . mac");
			tap_ok(n >= 9 && streq(e[3].set, "port_chaddr") &&
				   e[3].key[1].kind == F_MAC_RAW,
			       "elems_guest: port_chaddr matches the MAC as raw payload");
			tap_ok(n >= 11 && e[6].key[2].kind == F_IP6_RAW &&
				   e[9].key[2].kind == F_IP6_RAW &&
				   !memcmp(&e[9].key[2].ip6, &g.ip6, 16) &&
				   e[5].key[2].kind == F_IP6 && e[8].key[2].kind == F_IP6 &&
				   streq(e[10].set, "claimed6") && e[10].key[0].kind == F_IP6_RAW &&
				   !memcmp(&e[10].key[0].ip6, &g.ip6, 16),
			       "elems_guest: port_nd and claimed6 keys are raw IPv6, port_ip6 keys "
			       "addresses");
			tap_ok(n >= 1 && e[0].n_key == 1 && e[0].key[0].kind == F_IP4 &&
				   e[0].key[0].ip4.s_addr == g.ip4.s_addr,
			       "elems_guest: guest4 key is the guest's IPv4 address");
		}
	}
}

static const struct want_elem fwd_any[] = {
    R("fwd4 { tcp . 8080 : 192.168.254.101 . 80 }"),
    R("fwd6 { tcp . 8080 : fd00:aaaa:254::1 . 80 }"),
};
static const struct want_elem fwd_any_no6[] = {
    R("fwd4 { tcp . 8080 : 192.168.254.101 . 80 }"),
};
static const struct want_elem fwd_addr4[] = {
    R("fwd4_addr { 192.168.253.254 . udp . 5353 : 192.168.254.101 . 53 }"),
};
static const struct want_elem fwd_addr6[] = {
    R("fwd6_addr { 2001:db8::5 . tcp . 443 : fd00:aaaa:254::1 . 8443 }"),
};
static const struct want_elem fwd_routed[] = {
    R("fwd4 { udp . 65535 : 192.168.254.101 . 1 }"),
    H("fwd_ports { udp . 65535 }"),
    R("fwd6 { udp . 65535 : fd00:aaaa:254::1 . 1 }"),
};
static const struct want_elem fwd_pub[] = {
    R("fwd4 { tcp . 8080 : 192.0.2.100 . 80 }"),
    R("expose4 { 192.0.2.100 . tcp . 80 }"),
    R("expose6 { 2001:db8:1::2 . tcp . 80 }"),
    R("fwd6 { tcp . 8080 : 2001:db8:1::2 . 80 }"),
};
static const struct want_elem fwd_pub_auto[] = {
    R("fwd4 { tcp . 8080 : 192.0.2.100 . 80 }"),
    R("expose4 { 192.0.2.100 . tcp . 80 }"),
    R("fwd6 { tcp . 8080 : 2001:db8:1::2 . 80 }"),
};
static const struct want_elem fwd_pub_no6[] = {
    R("fwd4 { udp . 53 : 192.0.2.120 . 5353 }"),
    R("expose4 { 192.0.2.120 . udp . 5353 }"),
};
static const struct want_elem fwd_web_server[] = {
    R("fwd4 { tcp . 8080 : 192.168.254.101 . 80 }"),
    R("fwd6 { tcp . 8080 : fd00:aaaa:254::1 . 80 }"),
};

static void test_port(void)
{
	static const struct {
		const char *what, *conf, *ip4, *ip6;
		int family;
		const char *haddr;
		uint8_t proto;
		uint16_t host, guest;
		const struct want_elem *want;
		size_t n_want;
	} t[] = {
	    {"desktop any address", desktop_conf, "192.168.254.101", "fd00:aaaa:254::1", AF_UNSPEC,
	     NULL, IPPROTO_TCP, 8080, 80, fwd_any, ARRAY_SIZE(fwd_any)},
	    {"desktop any address, ipv6 off", desktop_no6_conf, "192.168.254.101",
	     "fd00:aaaa:254::1", AF_UNSPEC, NULL, IPPROTO_TCP, 8080, 80, fwd_any_no6,
	     ARRAY_SIZE(fwd_any_no6)},
	    {"desktop any address, guest without IPv6", desktop_conf, "192.168.254.101", NULL,
	     AF_UNSPEC, NULL, IPPROTO_TCP, 8080, 80, fwd_any_no6, ARRAY_SIZE(fwd_any_no6)},
	    {"desktop IPv4 host address", desktop_conf, "192.168.254.101", "fd00:aaaa:254::1",
	     AF_INET, "192.168.253.254", IPPROTO_UDP, 5353, 53, fwd_addr4, ARRAY_SIZE(fwd_addr4)},
	    {"desktop IPv6 host address", desktop_conf, "192.168.254.101", "fd00:aaaa:254::1",
	     AF_INET6, "2001:db8::5", IPPROTO_TCP, 443, 8443, fwd_addr6, ARRAY_SIZE(fwd_addr6)},
	    {"desktop IPv6 host address, guest without IPv6", desktop_conf, "192.168.254.101", NULL,
	     AF_INET6, "2001:db8::5", IPPROTO_TCP, 443, 8443, NULL, 0},
	    {"routed any address", routed_conf, "192.168.254.101", "fd00:aaaa:254::1", AF_UNSPEC,
	     NULL, IPPROTO_UDP, 65535, 1, fwd_routed, ARRAY_SIZE(fwd_routed)},
	    {"routed IPv4 host address", routed_conf, "192.168.254.101", "fd00:aaaa:254::1",
	     AF_INET, "192.168.253.254", IPPROTO_UDP, 5353, 53, fwd_addr4, ARRAY_SIZE(fwd_addr4)},
	    {"server pool guest", server_conf, "192.0.2.100", "2001:db8:1::2", AF_UNSPEC, NULL,
	     IPPROTO_TCP, 8080, 80, fwd_pub, ARRAY_SIZE(fwd_pub)},
	    {"server pool guest, prefix auto", server_auto_conf, "192.0.2.100", "2001:db8:1::2",
	     AF_UNSPEC, NULL, IPPROTO_TCP, 8080, 80, fwd_pub_auto, ARRAY_SIZE(fwd_pub_auto)},
	    {"server pool guest, ipv6 off", server_no6_conf, "192.0.2.120", "2001:db8:1::2",
	     AF_UNSPEC, NULL, IPPROTO_UDP, 53, 5353, fwd_pub_no6, ARRAY_SIZE(fwd_pub_no6)},
	    {"server guest-subnet guest", server_conf, "192.168.254.101", "fd00:aaaa:254::1",
	     AF_UNSPEC, NULL, IPPROTO_TCP, 8080, 80, fwd_web_server, ARRAY_SIZE(fwd_web_server)},
	};

	for (unsigned i = 0; i < ARRAY_SIZE(t); i++) {
		struct elem_desc e[ELEMS_MAX];
		struct conf c;
		struct guest g = guest_of("web", MAC1, t[i].ip4, t[i].ip6);
		struct port_fwd p =
		    fwd_of(t[i].family, t[i].haddr, t[i].proto, t[i].host, t[i].guest);
		size_t n;

		if (!conf_of(t[i].conf, &c))
			continue;
		snprintf(p.guest, sizeof(p.guest), "web");
		n = elems_port(&c, &g, &p, e);
		check_elems(t[i].what, e, n, t[i].want, t[i].n_want);
	}
}

static void test_elem_text(void)
{
	struct elem_desc a, b;
	char *buf = NULL;
	size_t len = 0;

	memset(&a, 0, sizeof(a));
	a.table = ELEM_HOST;
	a.set = "fwd_ports";
	a.n_key = 2;
	a.key[0].kind = F_PROTO;
	a.key[0].proto = IPPROTO_UDP;
	a.key[1].kind = F_PORT;
	a.key[1].port = 1;

	memset(&b, 0, sizeof(b));
	b.table = ELEM_GUARD;
	b.set = "port_ip6";
	b.n_key = 1;
	b.key[0].kind = F_IP6_RAW;
	addr_parse_ip6("::1", &b.key[0].ip6);
	b.n_data = 2;
	b.data[0].kind = F_MAC_RAW;
	mac_parse("aa:bb:cc:dd:ee:ff", b.data[0].mac);
	b.data[1].kind = F_IFNAME;
	snprintf(b.data[1].ifname, sizeof(b.data[1].ifname), "%s", "x");

	tap_ok(elem_text(&a, &buf, &len) == 0, "elem_text: first element");
	tap_is_str(buf, "add element inet lxctogo fwd_ports { udp . 1 }\n",
		   "elem_text: host table is inet, proto . port");
	tap_ok(elem_text(&b, &buf, &len) == 0, "elem_text: second element");
	tap_is_str(buf,
		   "add element inet lxctogo fwd_ports { udp . 1 }\n"
		   "add element bridge lxctogo port_ip6 { 0x00000000000000000000000000000001 : "
		   "0xaabbccddeeff . \"x\" }\n",
		   "elem_text: appends; data after ' : ', joined by ' . '");
	tap_ok(buf && len == strlen(buf), "elem_text: length tracks the text (%zu)", len);
	free(buf);
}

static bool is_hex_lower(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
			return false;
	return s[n] == '\0';
}

static void test_port_name(void)
{
	static const struct {
		const char *name, *want;
	} t[] = {
	    {"a", "lxg-a"},
	    {"web", "lxg-web"},
	    {"web-1", "lxg-web-1"},
	    {"abcdefghijk", "lxg-abcdefghijk"}, /* 11 characters: exactly IFNAMSIZ - 1 */
	    /* Longer: 6 characters and 5 hex digits of FNV-1a (computed independently). */
	    {"abcdefghijkl", "lxg-abcdefb3e15"},
	    {"abcdefghijkm", "lxg-abcdefb3c82"},
	    {"averylongguestname", "lxg-averyl5be81"},
	};
	static const char *const longs[] = {
	    "abcdefghijkl",
	    "web-frontend-1",
	    "web-frontend-2",
	    "a23456789012345678901234567890123456789012345678901234567890123",
	};
	char a[IFNAMSIZ], b[IFNAMSIZ];

	for (unsigned i = 0; i < ARRAY_SIZE(t); i++) {
		memset(a, 'X', sizeof(a));
		tap_ok(guest_port_name(t[i].name, a) == 0, "guest_port_name '%s' succeeds",
		       t[i].name);
		tap_is_str(a, t[i].want, "guest_port_name '%s'", t[i].name);
	}
	for (unsigned i = 0; i < ARRAY_SIZE(longs); i++) {
		memset(a, 'X', sizeof(a));
		memset(b, 'Y', sizeof(b));
		guest_port_name(longs[i], a);
		guest_port_name(longs[i], b);
		tap_ok(strnlen(a, sizeof(a)) == IFNAMSIZ - 1 && valid_ifname(a),
		       "guest_port_name '%.20s': 15 characters, a valid interface name", longs[i]);
		tap_ok(!strncmp(a, "lxg-", 4) && !strncmp(a + 4, longs[i], 6) &&
			   is_hex_lower(a + 10, 5),
		       "guest_port_name '%.20s': prefix, 6 characters of the name, 5 hex digits",
		       longs[i]);
		tap_is_str(a, b, "guest_port_name '%.20s' is deterministic", longs[i]);
	}
	guest_port_name("web-frontend-1", a);
	guest_port_name("web-frontend-2", b);
	tap_ok(strcmp(a, b) != 0, "guest_port_name: same prefix, different names -> %s != %s", a,
	       b);
}

static void test_publish(void)
{
	static const struct {
		const char *conf, *ip4, *ip6;
		bool v4, v6;
		uint8_t plen; /* 0: as configured */
	} t[] = {
	    {server_conf, "192.0.2.100", "2001:db8:1::2", true, true, 0},
	    {server_conf, "192.0.2.120", "2001:db8:1::ffff", true, true, 0},
	    {server_conf, "192.0.2.99", "2001:db8:2::2", false, false, 0},
	    {server_conf, "192.0.2.121", NULL, false, false, 0},
	    {server_conf, "192.168.254.101", "fd00:aaaa:254::1", false, false, 0},
	    {server_conf, "192.0.2.110", "2001:db8:1::2", true, false, 32},
	    {server_auto_conf, "192.0.2.110", "2001:db8:1::2", true, false, 0},
	    {server_no6_conf, "192.0.2.110", "2001:db8:1::2", true, false, 0},
	    {desktop_conf, "192.0.2.100", "2001:db8:1::2", false, false, 0},
	    {desktop_conf, "192.168.254.101", "fd00:aaaa:254::1", false, false, 0},
	};

	for (unsigned i = 0; i < ARRAY_SIZE(t); i++) {
		struct conf c;
		struct guest g = guest_of("pub", MAC2, t[i].ip4, t[i].ip6);
		const char *mode;

		if (!conf_of(t[i].conf, &c))
			continue;
		if (t[i].plen) {
			/* A prefix that is not a /64 yet contains the guest: still not published.
			 */
			addr_parse_ip6("2001:db8::", &c.server_prefix.addr);
			c.server_prefix.plen = t[i].plen;
		}
		mode = t[i].conf == server_conf	       ? "server"
		       : t[i].conf == server_auto_conf ? "server, prefix auto"
		       : t[i].conf == server_no6_conf  ? "server, ipv6 off"
						       : "desktop";
		tap_ok(publish_v4(&c, &g) == t[i].v4, "publish_v4 %s %s is %s", mode, t[i].ip4,
		       t[i].v4 ? "true" : "false");
		tap_ok(publish_v6(&c, &g) == t[i].v6, "publish_v6 %s %s%s%s is %s", mode,
		       t[i].ip6 ? t[i].ip6 : "(none)", t[i].plen ? " in a /" : "",
		       t[i].plen ? "32" : "", t[i].v6 ? "true" : "false");
	}
}

int main(void)
{
	test_guest();
	test_port();
	test_elem_text();
	test_port_name();
	test_publish();
	return tap_done();
}
