// SPDX-License-Identifier: BSD-2-Clause
/* Table-driven tests of the address parsers, address math and name validators. */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <string.h>

#include "addr.h"
#include "util.h"
#include "tap.h"

static const char *ip4_str(struct in_addr a, char *buf)
{
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

static const char *ip6_str(const struct in6_addr *a, char *buf)
{
	return inet_ntop(AF_INET6, a, buf, INET6_ADDRSTRLEN);
}

static void test_ip4(void)
{
	static const struct {
		const char *in, *want; /* want NULL: must be rejected */
	} t[] = {
	    {"0.0.0.0", "0.0.0.0"},
	    {"192.168.254.254", "192.168.254.254"},
	    {"255.255.255.255", "255.255.255.255"},
	    {"10.0.0.1", "10.0.0.1"},
	    {"1.2.3.4", "1.2.3.4"},
	    {"", NULL},
	    {"1", NULL},
	    {"1.2", NULL},
	    {"1.2.3", NULL},
	    {"1.2.3.4.5", NULL},
	    {"01.2.3.4", NULL},
	    {"1.2.3.04", NULL},
	    {"1.2.3.00", NULL},
	    {"0x1.2.3.4", NULL},
	    {"256.1.1.1", NULL},
	    {"1.1.1.256", NULL},
	    {"1000.1.1.1", NULL},
	    {" 1.2.3.4", NULL},
	    {"1.2.3.4 ", NULL},
	    {"1.2.3.4\n", NULL},
	    {"1.2.3.4/24", NULL},
	    {"1..3.4", NULL},
	    {".1.2.3", NULL},
	    {"1.2.3.", NULL},
	    {"-1.2.3.4", NULL},
	    {"+1.2.3.4", NULL},
	    {"1.2.3.4x", NULL},
	    {"a.b.c.d", NULL},
	    {"::1", NULL},
	};

	for (unsigned i = 0; i < ARRAY_SIZE(t); i++) {
		struct in_addr a = {.s_addr = 0xdeadbeef};
		char buf[INET_ADDRSTRLEN];
		int r = addr_parse_ip4(t[i].in, &a);

		if (t[i].want)
			tap_is_str(r == 0 ? ip4_str(a, buf) : "(error)", t[i].want,
				   "addr_parse_ip4 '%s'", tap_show(t[i].in));
		else
			tap_ok(r == -EINVAL && a.s_addr == 0xdeadbeef,
			       "addr_parse_ip4 rejects '%s' and leaves ret alone", tap_show(t[i].in));
	}
}

static void test_ip6(void)
{
	static const struct {
		const char *in, *want;
	} t[] = {
	    {"::", "::"},
	    {"::1", "::1"},
	    {"fd00:aaaa:254::254", "fd00:aaaa:254::254"},
	    {"FD00:AAAA:0254:0000::1", "fd00:aaaa:254::1"},
	    {"2001:db8:0:0:0:0:0:1", "2001:db8::1"},
	    {"::ffff:192.0.2.1", "::ffff:192.0.2.1"},
	    {"", NULL},
	    {":", NULL},
	    {":::", NULL},
	    {"1::2::3", NULL},
	    {"fe80::1%eth0", NULL},
	    {" ::1", NULL},
	    {"::1 ", NULL},
	    {"::1/64", NULL},
	    {"12345::", NULL},
	    {"g::1", NULL},
	    {"1.2.3.4", NULL},
	    {"1:2:3:4:5:6:7:8:9", NULL},
	    {"::ffff:192.0.2.01", NULL},
	    {"0000:0000:0000:0000:0000:0000:0000:0000:0000", NULL},
	};

	for (unsigned i = 0; i < ARRAY_SIZE(t); i++) {
		struct in6_addr a;
		char buf[INET6_ADDRSTRLEN];
		int r = addr_parse_ip6(t[i].in, &a);

		if (t[i].want)
			tap_is_str(r == 0 ? ip6_str(&a, buf) : "(error)", t[i].want,
				   "addr_parse_ip6 '%s'", tap_show(t[i].in));
		else
			tap_ok(r == -EINVAL, "addr_parse_ip6 rejects '%s'", tap_show(t[i].in));
	}
}

static void test_ip4_net(void)
{
	static const struct {
		const char *in;
		int ok;
	} t[] = {
	    {"192.168.254.0/24", 1},
	    {"0.0.0.0/0", 1},
	    {"10.0.0.0/8", 1},
	    {"192.168.1.1/32", 1},
	    {"192.168.1.2/31", 1},
	    {"192.168.254.1/24", 0},
	    {"1.0.0.0/0", 0},
	    {"192.168.1.1/31", 0},
	    {"192.168.0.0/33", 0},
	    {"192.168.0.0/024", 0},
	    {"192.168.0.0/", 0},
	    {"192.168.0.0", 0},
	    {"/24", 0},
	    {"192.168.0.0/24/24", 0},
	    {"192.168.0.0/ 24", 0},
	    {"192.168.0.0 /24", 0},
	    {"192.168.0.0/-1", 0},
	    {"192.168.0.0/+24", 0},
	    {"192.168.00.0/24", 0},
	    {"192.168.0.0/24x", 0},
	    {"192.168.0.0/99999999999999999999", 0},
	};

	for (unsigned i = 0; i < ARRAY_SIZE(t); i++) {
		struct ip4_net n;
		char buf[INET_ADDRSTRLEN], out[32];
		int r = addr_parse_ip4_net(t[i].in, &n);

		if (t[i].ok) {
			snprintf(out, sizeof(out), "%s/%u", ip4_str(n.addr, buf), n.plen);
			tap_is_str(r == 0 ? out : "(error)", t[i].in, "addr_parse_ip4_net '%s'",
				   tap_show(t[i].in));
		} else {
			tap_ok(r == -EINVAL, "addr_parse_ip4_net rejects '%s'", tap_show(t[i].in));
		}
	}
}

static void test_ip6_net(void)
{
	static const struct {
		const char *in, *want;
	} t[] = {
	    {"fd00:aaaa:254::/64", "fd00:aaaa:254::/64"},
	    {"::/0", "::/0"},
	    {"2001:db8::/32", "2001:db8::/32"},
	    {"2001:db8::1/128", "2001:db8::1/128"},
	    {"2001:db8:ff00::/40", "2001:db8:ff00::/40"},
	    {"2001:db8:0080::/41", "2001:db8:80::/41"},
	    {"2001:db8:0040::/41", NULL},
	    {"fd00:aaaa:254::1/64", NULL},
	    {"2001:db8::/129", NULL},
	    {"2001:db8::/064", NULL},
	    {"2001:db8::", NULL},
	    {"2001:db8::/", NULL},
	    {"fe80::%eth0/64", NULL},
	    {"2001:db8:: /64", NULL},
	    {"1.2.3.0/24", NULL},
	};

	for (unsigned i = 0; i < ARRAY_SIZE(t); i++) {
		struct ip6_net n;
		char buf[INET6_ADDRSTRLEN], out[64];
		int r = addr_parse_ip6_net(t[i].in, &n);

		if (t[i].want) {
			snprintf(out, sizeof(out), "%s/%u", ip6_str(&n.addr, buf), n.plen);
			tap_is_str(r == 0 ? out : "(error)", t[i].want, "addr_parse_ip6_net '%s'",
				   tap_show(t[i].in));
		} else {
			tap_ok(r == -EINVAL, "addr_parse_ip6_net rejects '%s'", tap_show(t[i].in));
		}
	}
}

static void test_ip4_range(void)
{
	static const struct {
		const char *in;
		int ok;
	} t[] = {
	    {"192.168.254.101-192.168.254.200", 1},
	    {"10.0.0.1-10.0.0.1", 1},
	    {"10.0.0.255-10.0.1.0", 1},
	    {"10.0.0.2-10.0.0.1", 0},
	    {"10.0.0.1 - 10.0.0.2", 0},
	    {"10.0.0.1-", 0},
	    {"-10.0.0.1", 0},
	    {"10.0.0.1", 0},
	    {"10.0.0.1-10.0.0.2-10.0.0.3", 0},
	    {"10.0.0.01-10.0.0.2", 0},
	    {"10.0.0.1-10.0.0.2 ", 0},
	    {"10.0.0.1--10.0.0.2", 0},
	};

	for (unsigned i = 0; i < ARRAY_SIZE(t); i++) {
		struct in_addr s, e;
		char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN], out[40];
		int r = addr_parse_ip4_range(t[i].in, &s, &e);

		if (t[i].ok) {
			snprintf(out, sizeof(out), "%s-%s", ip4_str(s, a), ip4_str(e, b));
			tap_is_str(r == 0 ? out : "(error)", t[i].in, "addr_parse_ip4_range '%s'",
				   tap_show(t[i].in));
		} else {
			tap_ok(r == -EINVAL, "addr_parse_ip4_range rejects '%s'", tap_show(t[i].in));
		}
	}
}

static struct ip4_net net4(const char *s)
{
	struct ip4_net n = {{0}, 0};

	if (addr_parse_ip4_net(s, &n) < 0)
		tap_ok(0, "test setup: bad net '%s'", s);
	return n;
}

static struct ip6_net net6(const char *s)
{
	struct ip6_net n;

	memset(&n, 0, sizeof(n));
	if (addr_parse_ip6_net(s, &n) < 0)
		tap_ok(0, "test setup: bad net '%s'", s);
	return n;
}

static struct in_addr a4(const char *s)
{
	struct in_addr a = {0};

	if (addr_parse_ip4(s, &a) < 0)
		tap_ok(0, "test setup: bad address '%s'", s);
	return a;
}

static void test_ip4_math(void)
{
	static const struct {
		const char *net, *first, *last, *top1;
	} u[] = {
	    {"192.168.254.0/24", "192.168.254.1", "192.168.254.254", "192.168.254.253"},
	    {"192.168.253.0/24", "192.168.253.1", "192.168.253.254", "192.168.253.253"},
	    {"10.0.0.0/8", "10.0.0.1", "10.255.255.254", "10.255.255.253"},
	    {"10.1.2.4/30", "10.1.2.5", "10.1.2.6", "10.1.2.5"},
	    {"10.1.2.4/31", "10.1.2.4", "10.1.2.5", "10.1.2.4"},
	    {"10.1.2.4/32", "10.1.2.4", "10.1.2.4", "10.1.2.3"},
	};
	static const struct {
		const char *net, *addr;
		int in;
	} c[] = {
	    {"192.168.254.0/24", "192.168.254.0", 1},
	    {"192.168.254.0/24", "192.168.254.255", 1},
	    {"192.168.254.0/24", "192.168.253.255", 0},
	    {"192.168.254.0/24", "192.168.255.0", 0},
	    {"0.0.0.0/0", "255.255.255.255", 1},
	    {"10.0.0.1/32", "10.0.0.1", 1},
	    {"10.0.0.1/32", "10.0.0.2", 0},
	};
	static const struct {
		const char *a, *b;
		int overlap;
	} o[] = {
	    {"192.168.254.0/24", "192.168.253.0/24", 0},
	    {"192.168.254.0/24", "192.168.254.0/24", 1},
	    {"192.168.254.0/24", "192.168.252.0/22", 1},
	    {"192.168.252.0/22", "192.168.254.128/25", 1},
	    {"192.168.0.0/23", "192.168.2.0/23", 0},
	    {"0.0.0.0/0", "10.0.0.0/8", 1},
	    {"10.0.0.0/8", "11.0.0.0/8", 0},
	};

	for (unsigned i = 0; i < ARRAY_SIZE(u); i++) {
		struct ip4_net n = net4(u[i].net);
		char buf[INET_ADDRSTRLEN];

		tap_is_str(ip4_str(ip4_net_first_usable(&n), buf), u[i].first, "first usable of %s",
			   u[i].net);
		tap_is_str(ip4_str(ip4_net_last_usable(&n), buf), u[i].last, "last usable of %s",
			   u[i].net);
		tap_is_str(ip4_str(ip4_net_from_top(&n, 0), buf), u[i].last, "from_top 0 of %s",
			   u[i].net);
		tap_is_str(ip4_str(ip4_net_from_top(&n, 1), buf), u[i].top1, "from_top 1 of %s",
			   u[i].net);
	}
	for (unsigned i = 0; i < ARRAY_SIZE(c); i++) {
		struct ip4_net n = net4(c[i].net);

		tap_ok(ip4_net_contains(&n, a4(c[i].addr)) == c[i].in, "%s %s %s", c[i].net,
		       c[i].in ? "contains" : "does not contain", c[i].addr);
	}
	for (unsigned i = 0; i < ARRAY_SIZE(o); i++) {
		struct ip4_net a = net4(o[i].a), b = net4(o[i].b);

		tap_ok(ip4_net_overlaps(&a, &b) == o[i].overlap &&
			   ip4_net_overlaps(&b, &a) == o[i].overlap,
		       "%s and %s %s", o[i].a, o[i].b, o[i].overlap ? "overlap" : "are disjoint");
	}
	tap_ok(ip4_h(ip4_n(0xc0a8fefe)) == 0xc0a8fefe &&
		   ip4_n(0xc0a8fefe).s_addr == htonl(0xc0a8fefe),
	       "ip4_h/ip4_n convert byte order");
}

static void test_ip6_math(void)
{
	static const struct {
		const char *a, *b;
		int overlap;
	} o[] = {
	    {"fd00:aaaa:254::/64", "fd00:aaaa:253::/64", 0},
	    {"fd00:aaaa:254::/64", "fd00:aaaa:254::/64", 1},
	    {"fd00:aaaa::/32", "fd00:aaaa:253::/64", 1},
	    {"fd00:aaaa:200::/41", "fd00:aaaa:254::/64", 1},
	    {"fd00:aaaa:280::/41", "fd00:aaaa:254::/64", 0},
	    {"::/0", "2001:db8::/64", 1},
	};
	struct ip6_net g = net6("fd00:aaaa:254::/64"), p56 = net6("2001:db8:0:100::/56");
	struct in6_addr a;
	char buf[INET6_ADDRSTRLEN];
	const uint8_t mac[6] = {0xaa, 0xbb, 0xcc, 0x00, 0x00, 0x01};
	const uint8_t mac2[6] = {0x02, 0x00, 0x5e, 0x10, 0x20, 0x30};

	for (unsigned i = 0; i < ARRAY_SIZE(o); i++) {
		struct ip6_net x = net6(o[i].a), y = net6(o[i].b);

		tap_ok(ip6_net_overlaps(&x, &y) == o[i].overlap &&
			   ip6_net_overlaps(&y, &x) == o[i].overlap,
		       "%s and %s %s", o[i].a, o[i].b, o[i].overlap ? "overlap" : "are disjoint");
	}
	addr_parse_ip6("fd00:aaaa:254::ffff", &a);
	tap_ok(ip6_net_contains(&g, &a), "fd00:aaaa:254::/64 contains fd00:aaaa:254::ffff");
	addr_parse_ip6("fd00:aaaa:255::1", &a);
	tap_ok(!ip6_net_contains(&g, &a), "fd00:aaaa:254::/64 does not contain fd00:aaaa:255::1");

	ip6_net_host(&g, 0x254, &a);
	tap_is_str(ip6_str(&a, buf), "fd00:aaaa:254::254", "ip6_net_host ::254");
	ip6_net_host(&g, 0x0123456789abcdefULL, &a);
	tap_is_str(ip6_str(&a, buf), "fd00:aaaa:254:0:123:4567:89ab:cdef", "ip6_net_host 64 bits");
	ip6_net_host(&p56, 1, &a);
	tap_is_str(ip6_str(&a, buf), "2001:db8:0:100::1", "ip6_net_host in a /56");

	tap_ok(ip6_eui64(&g, mac, &a) == 0, "ip6_eui64 in a /64");
	tap_is_str(ip6_str(&a, buf), "fd00:aaaa:254:0:a8bb:ccff:fe00:1",
		   "ip6_eui64 flips U/L and inserts ff:fe");
	ip6_eui64(&g, mac2, &a);
	tap_is_str(ip6_str(&a, buf), "fd00:aaaa:254::5eff:fe10:2030",
		   "ip6_eui64 clears a set U/L bit");
	tap_ok(ip6_eui64(&p56, mac, &a) == -EINVAL, "ip6_eui64 refuses a /56");
}

static void test_mac(void)
{
	static const struct {
		const char *in, *want;
	} t[] = {
	    {"aa:bb:cc:00:00:01", "aa:bb:cc:00:00:01"},
	    {"AA:BB:CC:DD:EE:FE", "aa:bb:cc:dd:ee:fe"},
	    {"02:00:00:00:00:00", "02:00:00:00:00:00"},
	    {"00:16:3e:12:34:56", "00:16:3e:12:34:56"},
	    {"00:00:00:00:00:00", NULL},
	    {"01:00:5e:00:00:01", NULL},
	    {"33:33:00:00:00:01", NULL},
	    {"ff:ff:ff:ff:ff:ff", NULL},
	    {"aa:bb:cc:00:00", NULL},
	    {"aa:bb:cc:00:00:01:02", NULL},
	    {"aa:bb:cc:00:00:1", NULL},
	    {"aa-bb-cc-00-00-01", NULL},
	    {"aabb.cc00.0001", NULL},
	    {"aa:bb:cc:00:00:0g", NULL},
	    {" aa:bb:cc:00:00:01", NULL},
	    {"aa:bb:cc:00:00:01 ", NULL},
	    {"aa:bb:cc:00:00:01\n", NULL},
	    {"", NULL},
	};

	for (unsigned i = 0; i < ARRAY_SIZE(t); i++) {
		uint8_t m[6] = {9, 9, 9, 9, 9, 9};
		char buf[MAC_STRLEN];
		int r = mac_parse(t[i].in, m);

		if (t[i].want)
			tap_is_str(r == 0 ? mac_format(m, buf) : "(error)", t[i].want,
				   "mac_parse '%s'", tap_show(t[i].in));
		else
			tap_ok(r == -EINVAL && m[0] == 9, "mac_parse rejects '%s'", tap_show(t[i].in));
	}
}

static void test_names(void)
{
	static const struct {
		const char *in;
		int ok;
	} name[] = {
	    {"web", 1},
	    {"managed", 1},
	    {"a", 1},
	    {"web-1", 1},
	    {"1web", 1},
	    {"0x1", 1},
	    {"a23456789012345678901234567890123456789012345678901234567890123", 1},
	    {"a234567890123456789012345678901234567890123456789012345678901234", 0},
	    {"", 0},
	    {"123", 0},
	    {"0", 0},
	    {"-web", 0},
	    {"web-", 0},
	    {"-", 0},
	    {"Web", 0},
	    {"web_1", 0},
	    {"web.example", 0},
	    {"web 1", 0},
	    {"web\n", 0},
	    {"we$b", 0},
	    {"../etc", 0},
	    {"web;rm", 0},
	};
	static const struct {
		const char *in;
		int ok;
	} ifn[] = {
	    {"eth0", 1},
	    {"lxtg1", 1},
	    {"enp0s31f6", 1},
	    {"br-lan.10", 1},
	    {"WAN_1", 1},
	    {"a", 1},
	    {"a23456789012345", 1},
	    {"a234567890123456", 0},
	    {"", 0},
	    {".", 0},
	    {"..", 0},
	    {"eth 0", 0},
	    {"eth/0", 0},
	    {"eth:0", 0},
	    {"eth0\n", 0},
	    {"eth%d", 0},
	};
	static const struct {
		const char *in;
		int ok;
	} dom[] = {
	    {"lxtg.internal", 1},
	    {"internal", 1},
	    {"a.b.c.d", 1},
	    {"x-1.example.org", 1},
	    {"123.example", 1},
	    {"", 0},
	    {".", 0},
	    {"lxtg.internal.", 0},
	    {".lxtg", 0},
	    {"a..b", 0},
	    {"-a.b", 0},
	    {"a-.b", 0},
	    {"Lxtg.internal", 0},
	    {"lxtg_internal", 0},
	    {"lxtg internal", 0},
	    {"a234567890123456789012345678901234567890123456789012345678901234.b", 0},
	};
	char big[300];

	for (unsigned i = 0; i < ARRAY_SIZE(name); i++)
		tap_ok(valid_name(name[i].in) == name[i].ok, "valid_name '%s' is %s",
		       tap_show(name[i].in), name[i].ok ? "valid" : "invalid");
	for (unsigned i = 0; i < ARRAY_SIZE(ifn); i++)
		tap_ok(valid_ifname(ifn[i].in) == ifn[i].ok, "valid_ifname '%s' is %s",
		       tap_show(ifn[i].in), ifn[i].ok ? "valid" : "invalid");
	for (unsigned i = 0; i < ARRAY_SIZE(dom); i++)
		tap_ok(valid_domain(dom[i].in) == dom[i].ok, "valid_domain '%s' is %s",
		       tap_show(dom[i].in), dom[i].ok ? "valid" : "invalid");

	/* 4 labels of 63 + 3 dots = 255 > 253; trim to exactly 253. */
	memset(big, 'a', sizeof(big));
	for (int i = 63; i < 256; i += 64)
		big[i] = '.';
	big[253] = '\0';
	tap_ok(valid_domain(big), "valid_domain accepts 253 characters");
	big[253] = 'a';
	big[254] = '\0';
	tap_ok(!valid_domain(big), "valid_domain rejects 254 characters");
}

static void test_port(void)
{
	static const struct {
		const char *in;
		int want; /* -1: rejected */
	} t[] = {
	    {"1", 1},
	    {"80", 80},
	    {"65535", 65535},
	    {"8080", 8080},
	    {"0", -1},
	    {"65536", -1},
	    {"080", -1},
	    {"", -1},
	    {"-1", -1},
	    {"+80", -1},
	    {" 80", -1},
	    {"80 ", -1},
	    {"80/tcp", -1},
	    {"0x50", -1},
	    {"999999", -1},
	    {"1e3", -1},
	    {"18446744073709551697", -1},
	};

	for (unsigned i = 0; i < ARRAY_SIZE(t); i++) {
		uint16_t p = 4242;
		int r = parse_port(t[i].in, &p);

		if (t[i].want >= 0)
			tap_ok(r == 0 && p == t[i].want, "parse_port '%s' = %d", tap_show(t[i].in),
			       t[i].want);
		else
			tap_ok(r == -EINVAL && p == 4242, "parse_port rejects '%s'", tap_show(t[i].in));
	}
}

static void test_duration(void)
{
	static const struct {
		const char *in;
		long long want; /* -1: rejected */
	} t[] = {
	    {"infinite", 0},
	    {"120", 120},
	    {"120s", 120},
	    {"2m", 120},
	    {"1h", 3600},
	    {"12h", 43200},
	    {"1d", 86400},
	    {"365d", 31536000},
	    {"31536000", 31536000},
	    {"8760h", 31536000},
	    {"119", -1},
	    {"1m", -1},
	    {"366d", -1},
	    {"31536001", -1},
	    {"0", -1},
	    {"", -1},
	    {"h", -1},
	    {"1H", -1},
	    {"1hh", -1},
	    {"1h30m", -1},
	    {"01h", -1},
	    {" 1h", -1},
	    {"1h ", -1},
	    {"-1h", -1},
	    {"1w", -1},
	    {"infinity", -1},
	    {"99999999999d", -1},
	    {"4294967296", -1},
	    {"4294967295d", -1},
	};

	for (unsigned i = 0; i < ARRAY_SIZE(t); i++) {
		uint32_t d = 4242;
		int r = parse_duration(t[i].in, &d);

		if (t[i].want >= 0)
			tap_ok(r == 0 && d == t[i].want, "parse_duration '%s' = %lld",
			       tap_show(t[i].in), t[i].want);
		else
			tap_ok(r == -EINVAL && d == 4242, "parse_duration rejects '%s'",
			       tap_show(t[i].in));
	}
}

/* addr_format_ip6 writes what inet_ntop writes: fixed cases, then every run shape. */
static void test_ip6_format(void)
{
	static const char *const fixed[] = {
		"::", "::1", "1::", "fd00::", "2001:db8::1", "2001:db8:0:1:1:1:1:1", "1:0:0:2::3",
		"1::2:0:0:3", "0:1::", "1:2:3:4:5:6:7:8", "fe80::ff:fe00:1", "::ffff:192.0.2.1",
		"::192.0.2.1", "a:0:b::", "fd00:aaaa:254::abcd", "0:0:1::", "ffff:ffff:ffff:ffff::",
	};
	char got[INET6_ADDRSTRLEN], want[INET6_ADDRSTRLEN];
	struct in6_addr a;
	unsigned bad = 0, n = 0;

	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		inet_pton(AF_INET6, fixed[i], &a);
		inet_ntop(AF_INET6, &a, want, sizeof(want));
		tap_is_str(addr_format_ip6(&a, got), want, "addr_format_ip6 %s", fixed[i]);
	}
	/* All 256 patterns of zero and non-zero groups, with values of 1 to 4 digits. */
	for (unsigned m = 0; m < 256; m++) {
		for (unsigned v = 0; v < 4; v++, n++) {
			static const uint16_t vals[] = {0x1, 0xab, 0x100, 0xffff};

			for (int g = 0; g < 8; g++) {
				uint16_t x = (m >> g & 1) ? vals[(v + (unsigned)g) % 4] : 0;

				a.s6_addr[2 * g] = (uint8_t)(x >> 8);
				a.s6_addr[2 * g + 1] = (uint8_t)x;
			}
			inet_ntop(AF_INET6, &a, want, sizeof(want));
			if (strcmp(addr_format_ip6(&a, got), want) != 0 && bad++ < 3)
				printf("# %s, want %s\n", got, want);
		}
	}
	tap_ok(bad == 0, "addr_format_ip6 equals inet_ntop on %u addresses of every zero-run shape", n);
}

int main(void)
{
	test_ip4();
	test_ip6_format();
	test_ip6();
	test_ip4_net();
	test_ip6_net();
	test_ip4_range();
	test_ip4_math();
	test_ip6_math();
	test_mac();
	test_names();
	test_port();
	test_duration();
	return tap_done();
}
