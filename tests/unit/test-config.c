// SPDX-License-Identifier: BSD-2-Clause
/*
 * Config parser tests: defaults against INTERFACE.md, good and bad files with
 * their exact FILE:LINE messages, and the print -> parse round trip.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "util.h"
#include "tap.h"

/* INTERFACE.md's example, inline comments and all: it must mean the defaults
 * (with attach = auto, the default since uplinks are probed: issue 16). */
static const char interface_example[] =
	"[network]\n"
	"mode = desktop                # desktop | server: used when `up` is given no mode\n"
	"uplink = eth0                 # host NIC facing the LAN\n"
	"attach = auto                 # auto | macvlan | routed\n"
	"guest_bridge = lxtg1\n"
	"host_bridge = lxtg0\n"
	"mtu = auto                    # auto = follow the uplink\n"
	"\n"
	"[ipv4]\n"
	"guest_subnet = 192.168.254.0/24     # router is the last usable address (.254)\n"
	"dhcp_range = 192.168.254.101-192.168.254.200\n"
	"host_subnet = 192.168.253.0/24      # host .253, router .254\n"
	"lease_time = 1h\n"
	"\n"
	"[ipv6]\n"
	"guest_prefix = fd00:aaaa:254::/64\n"
	"host_prefix = fd00:aaaa:253::/64\n"
	"\n"
	"[dns]\n"
	"domain = lxtg.internal\n"
	"upstream = auto               # auto = what the router learned on its uplink\n"
	"\n"
	"[server]\n"
	"ipv4_pool = 192.0.2.100-192.0.2.120  # LAN addresses that guests may own (proxy ARP)\n"
	"ipv6_prefix = auto                    # auto = the uplink's on-link /64 (proxy NDP)\n";

static const char canonical_defaults[] = "[network]\n"
					 "mode = desktop\n"
					 "uplink = eth0\n"
					 "attach = auto\n"
					 "guest_bridge = lxtg1\n"
					 "host_bridge = lxtg0\n"
					 "mtu = auto\n"
					 "router = managed\n"
					 "router_idmap = 1500000000\n"
					 "bridge_nf = off\n"
					 "host_access = none\n"
					 "uplink_ipv4 = auto\n"
					 "uplink_gateway4 = auto\n"
					 "uplink_ipv6 = auto\n"
					 "uplink_gateway6 = auto\n"
					 "\n"
					 "[ipv4]\n"
					 "guest_subnet = 192.168.254.0/24\n"
					 "dhcp_range = 192.168.254.101-192.168.254.200\n"
					 "host_subnet = 192.168.253.0/24\n"
					 "lease_time = 1h\n"
					 "\n"
					 "[ipv6]\n"
					 "enable = yes\n"
					 "guest_prefix = fd00:aaaa:254::/64\n"
					 "host_prefix = fd00:aaaa:253::/64\n"
					 "\n"
					 "[dns]\n"
					 "domain = lxtg.internal\n"
					 "upstream = auto\n"
					 "rebind_protection = on\n"
					 "rebind_ok = none\n"
					 "\n"
					 "[server]\n"
					 "ipv4_pool = 192.0.2.100-192.0.2.120\n"
					 "ipv6_prefix = auto\n"
					 "inbound = ports\n"
					 "\n"
					 "[guests]\n"
					 "provision_dir = none\n"
					 "max_connections = 8192\n"
					 "new_connections = 200\n"
					 "dns_rate = 100\n"
					 "dhcp_rate = 5\n"
					 "\n"
					 "[routing]\n"
					 "bgp = off\n"
					 "asn = none\n"
					 "router_id = auto\n"
					 "peers = none\n"
					 "password = none\n"
					 "hold_time = 9\n"
					 "announce = auto\n"
					 "accept = none\n";

static char *print_conf(const struct conf *c)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	if (!f)
		abort();
	conf_print(f, c);
	fclose(f);
	return buf;
}

static int parse_str(const char *text, struct conf *c, struct conf_errors *e)
{
	return conf_parse_buffer("t.conf", text, strlen(text), c, e);
}

/* All messages, one per line, for exact comparison. */
static char *join_errors(const struct conf_errors *e)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	if (!f)
		abort();
	for (unsigned i = 0; i < e->n; i++)
		fprintf(f, "%s\n", e->msg[i]);
	fclose(f);
	return buf;
}

static const char *ip4s(struct in_addr a, char *buf)
{
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

static const char *ip6s(const struct in6_addr *a, char *buf)
{
	return inet_ntop(AF_INET6, a, buf, INET6_ADDRSTRLEN);
}

static void test_defaults(void)
{
	struct conf c, p;
	struct conf_errors e;
	char b[INET6_ADDRSTRLEN];
	_cleanup_free_ char *out = NULL;

	conf_defaults(&c);
	tap_ok(c.mode == MODE_DESKTOP, "default mode = desktop");
	tap_is_str(c.uplink, "eth0", "default uplink");
	tap_ok(c.attach == ATTACH_AUTO, "default attach = auto");
	tap_is_str(c.guest_bridge, "lxtg1", "default guest_bridge");
	tap_is_str(c.host_bridge, "lxtg0", "default host_bridge");
	tap_ok(c.mtu == 0, "default mtu = auto");
	tap_is_str(c.router, "managed", "default router");
	tap_is_str(ip4s(c.guest_subnet.addr, b), "192.168.254.0", "default guest_subnet address");
	tap_ok(c.guest_subnet.plen == 24, "default guest_subnet /24");
	tap_is_str(ip4s(c.dhcp_start, b), "192.168.254.101", "default dhcp_range start");
	tap_is_str(ip4s(c.dhcp_end, b), "192.168.254.200", "default dhcp_range end");
	tap_is_str(ip4s(c.host_subnet.addr, b), "192.168.253.0", "default host_subnet address");
	tap_ok(c.host_subnet.plen == 24, "default host_subnet /24");
	tap_ok(c.lease_time == 3600, "default lease_time = 1h");
	tap_ok(c.ipv6, "default ipv6 enable = yes");
	tap_is_str(ip6s(&c.guest_prefix.addr, b), "fd00:aaaa:254::", "default guest_prefix");
	tap_ok(c.guest_prefix.plen == 64, "default guest_prefix /64");
	tap_is_str(ip6s(&c.host_prefix.addr, b), "fd00:aaaa:253::", "default host_prefix");
	tap_ok(c.host_prefix.plen == 64, "default host_prefix /64");
	tap_is_str(c.domain, "lxtg.internal", "default domain");
	tap_ok(c.upstream_auto && c.n_upstream == 0, "default upstream = auto");
	tap_is_str(ip4s(c.pool_start, b), "192.0.2.100", "default ipv4_pool start");
	tap_is_str(ip4s(c.pool_end, b), "192.0.2.120", "default ipv4_pool end");
	tap_ok(c.server_prefix_auto, "default ipv6_prefix = auto");
	tap_ok(c.inbound == INBOUND_PORTS, "default inbound = ports");

	tap_is_str(ip4s(conf_router_ip4(&c), b), "192.168.254.254", "router ip4");
	tap_is_str(ip4s(conf_hostlink_router_ip4(&c), b), "192.168.253.254",
		   "host-link router ip4");
	tap_is_str(ip4s(conf_hostlink_host_ip4(&c), b), "192.168.253.253", "host-link host ip4");
	{
		struct in6_addr a;

		conf_router_ip6(&c, &a);
		tap_is_str(ip6s(&a, b), "fd00:aaaa:254::254", "router ip6");
		conf_hostlink_router_ip6(&c, &a);
		tap_is_str(ip6s(&a, b), "fd00:aaaa:253::254", "host-link router ip6");
		conf_hostlink_host_ip6(&c, &a);
		tap_is_str(ip6s(&a, b), "fd00:aaaa:253::253", "host-link host ip6");
	}

	out = print_conf(&c);
	tap_is_str(out, canonical_defaults, "conf_print of the defaults is the canonical text");

	tap_ok(parse_str("", &p, &e) == 0 && e.n == 0 && conf_equal(&p, &c),
	       "an empty file means the defaults");
	tap_ok(parse_str("# only a comment\n\n; another\n", &p, &e) == 0 && conf_equal(&p, &c),
	       "a file of comments means the defaults");
	tap_ok(parse_str(interface_example, &p, &e) == 0 && conf_equal(&p, &c),
	       "the INTERFACE.md example parses to the defaults");
	tap_ok(parse_str(canonical_defaults, &p, &e) == 0 && conf_equal(&p, &c),
	       "the canonical defaults parse to the defaults");
}

/* Each good config and one line its canonical form must contain. */
static const struct {
	const char *text, *want_line;
} good[] = {
	{"[network]\nmode = server\n", "mode = server\n"},
	{"[network]\nmode=server\n", "mode = server\n"},
	{"  [network]  \n\tmode\t=\tserver\t\n", "mode = server\n"},
	{"[ network ]\nmode = server\n", "mode = server\n"},
	{"[network]\r\nmode = server\r\n", "mode = server\n"},
	{"[network]\nmode = server", "mode = server\n"},
	{"[network]\nmode = server # comment\n", "mode = server\n"},
	{"[network]\nmode = server ; comment\n", "mode = server\n"},
	{"[network] # the first section\nmode = server\n", "mode = server\n"},
	{"[network]\nuplink = enp0s31f6\n", "uplink = enp0s31f6\n"},
	{"[network]\nuplink = wlan0\nattach = routed\n", "attach = routed\n"},
	{"[network]\nattach = auto\n", "attach = auto\n"},
	{"[network]\nattach = macvlan\n", "attach = macvlan\n"},
	{"[guests]\nprovision_dir = /etc/lxctogo-net/provision.d\n",
	 "provision_dir = /etc/lxctogo-net/provision.d\n"},
	{"[network]\nguest_bridge = br-guests\n", "guest_bridge = br-guests\n"},
	{"[network]\nhost_bridge = br_host.1\n", "host_bridge = br_host.1\n"},
	{"[network]\nmtu = 1500\n", "mtu = 1500\n"},
	{"[network]\nmtu = 576\n", "mtu = 576\n"},
	{"[network]\nmtu = 9000\n", "mtu = 9000\n"},
	{"[network]\nrouter = edge-1\n", "router = edge-1\n"},
	{"[ipv4]\nguest_subnet = 10.10.0.0/16\ndhcp_range = 10.10.1.1-10.10.1.250\n",
	 "guest_subnet = 10.10.0.0/16\n"},
	{"[ipv4]\nguest_subnet = 10.0.0.0/8\ndhcp_range = 10.0.0.1-10.255.255.253\n",
	 "dhcp_range = 10.0.0.1-10.255.255.253\n"},
	{"[ipv4]\nguest_subnet = 172.16.0.0/30\ndhcp_range = 172.16.0.1-172.16.0.1\n",
	 "guest_subnet = 172.16.0.0/30\n"},
	{"[ipv4]\nhost_subnet = 172.31.0.0/30\n", "host_subnet = 172.31.0.0/30\n"},
	{"[ipv4]\nlease_time = infinite\n", "lease_time = infinite\n"},
	{"[ipv4]\nlease_time = 120\n", "lease_time = 2m\n"},
	{"[ipv4]\nlease_time = 90m\n", "lease_time = 90m\n"},
	{"[ipv4]\nlease_time = 7200s\n", "lease_time = 2h\n"},
	{"[ipv4]\nlease_time = 24h\n", "lease_time = 1d\n"},
	{"[ipv4]\nlease_time = 125\n", "lease_time = 125s\n"},
	{"[ipv4]\nlease_time = 365d\n", "lease_time = 365d\n"},
	{"[ipv6]\nenable = no\n", "enable = no\n"},
	{"[ipv6]\nguest_prefix = 2001:db8:1:2::/64\n", "guest_prefix = 2001:db8:1:2::/64\n"},
	{"[ipv6]\nhost_prefix = FD00:0:0:1::/64\n", "host_prefix = fd00:0:0:1::/64\n"},
	{"[dns]\ndomain = home.arpa\n", "domain = home.arpa\n"},
	{"[dns]\nupstream = 9.9.9.9\n", "upstream = 9.9.9.9\n"},
	{"[dns]\nupstream = 1.1.1.1,2606:4700::1111\n", "upstream = 1.1.1.1, 2606:4700::1111\n"},
	{"[dns]\nupstream = 1.1.1.1 8.8.8.8  ,  9.9.9.9\t149.112.112.112\n",
	 "upstream = 1.1.1.1, 8.8.8.8, 9.9.9.9, 149.112.112.112\n"},
	{"[server]\nipv4_pool = 198.51.100.10-198.51.100.10\n",
	 "ipv4_pool = 198.51.100.10-198.51.100.10\n"},
	{"[server]\nipv6_prefix = 2001:db8:1::/64\n", "ipv6_prefix = 2001:db8:1::/64\n"},
	{"[server]\ninbound = open\n", "inbound = open\n"},
	{"[network]\nmode = server\n[ipv4]\nlease_time = 2h\n[network]\nmtu = 1400\n",
	 "mtu = 1400\n"},
};

static void test_good(void)
{
	for (unsigned i = 0; i < ARRAY_SIZE(good); i++) {
		struct conf c, again;
		struct conf_errors e;
		_cleanup_free_ char *out = NULL, *out2 = NULL, *errs = NULL;
		int r = parse_str(good[i].text, &c, &e);

		errs = join_errors(&e);
		tap_ok(r == 0 && e.n == 0, "good config %u: '%s'", i, tap_show(good[i].text));
		if (r < 0) {
			printf("# %s", errs);
			continue;
		}
		out = print_conf(&c);
		tap_ok(strstr(out, good[i].want_line) != NULL, "good config %u prints '%s'", i,
		       tap_show(good[i].want_line));
		tap_ok(parse_str(out, &again, &e) == 0 && conf_equal(&c, &again),
		       "good config %u survives print -> parse", i);
		out2 = print_conf(&again);
		tap_is_str(out2, out, "good config %u prints identically after a round trip", i);
	}
}

/* Each bad config and all of its messages, in order. */
static const struct {
	const char *text, *want;
} bad[] = {
	/* syntax */
	{"mode = server\n", "t.conf:1: key 'mode' outside of a section\n"},
	{"[network]\nmode server\n",
	 "t.conf:2: expected 'key = value' or '[section]', got 'mode server'\n"},
	{"[network]\n= server\n", "t.conf:2: missing key before '='\n"},
	{"[network]\nmode =\n", "t.conf:2: mode: missing value\n"},
	{"[network]\nmode = # nothing\n", "t.conf:2: mode: missing value\n"},
	{"[network\nmode = server\n", "t.conf:1: invalid section header '[network'\n"},
	{"[network] x\n", "t.conf:1: invalid section header '[network] x'\n"},
	{"[]\n", "t.conf:1: unknown section []\n"},
	{"[bogus]\nfoo = 1\nbar = 2\n", "t.conf:1: unknown section [bogus]\n"},
	{"[Network]\n", "t.conf:1: unknown section [Network]\n"},
	{"[desktop]\n", "t.conf:1: unknown section [desktop]\n"},
	{"[ipv4]\nfoo = 1\n", "t.conf:2: unknown key 'foo' in section [ipv4]\n"},
	{"[ipv4]\nMode = 1\n", "t.conf:2: unknown key 'Mode' in section [ipv4]\n"},
	{"[ipv4]\nmtu = 1500\n",
	 "t.conf:2: unknown key 'mtu' in section [ipv4] (it belongs in [network])\n"},
	{"[network]\nmtu = 1500\n\nmtu = 1400\n",
	 "t.conf:4: duplicate key 'mtu' in section [network] (first set on line 2)\n"},
	{"[network]\nmtu = 1500\n[ipv4]\n[network]\nmtu = 1500\n",
	 "t.conf:5: duplicate key 'mtu' in section [network] (first set on line 2)\n"},
	{"[network]\nmode = x\x1b[2J\n",
	 "t.conf:2: mode: invalid value 'x\\x1b[2J' (expected desktop or server)\n"},
	/* [network] values */
	{"[network]\nmode = Server\n",
	 "t.conf:2: mode: invalid value 'Server' (expected desktop or server)\n"},
	{"[network]\nattach = bridge\n",
	 "t.conf:2: attach: invalid value 'bridge' (expected auto, macvlan or routed)\n"},
	{"[guests]\nprovision_dir = hooks.d\n",
	 "t.conf:2: provision_dir: invalid value 'hooks.d' (expected none or an absolute directory)\n"},
	{"[guests]\nprovision_dir = /srv/a\tb\n",
	 "t.conf:2: provision_dir: invalid value '/srv/a\\x09b' (expected none or an absolute "
	 "directory)\n"},
	{"[network]\nuplink = eth 0\n",
	 "t.conf:2: uplink: invalid interface name 'eth 0' (1 to 15 of A-Z a-z 0-9 _ . -)\n"},
	{"[network]\nguest_bridge = averyveryverylongname\n",
	 "t.conf:2: guest_bridge: invalid interface name 'averyveryverylongname' "
	 "(1 to 15 of A-Z a-z 0-9 _ . -)\n"},
	{"[network]\nhost_bridge = ..\n",
	 "t.conf:2: host_bridge: invalid interface name '..' (1 to 15 of A-Z a-z 0-9 _ . -)\n"},
	{"[network]\nmtu = 575\n",
	 "t.conf:2: mtu: invalid value '575' (expected auto or 576 to 9000)\n"},
	{"[network]\nmtu = 9001\n",
	 "t.conf:2: mtu: invalid value '9001' (expected auto or 576 to 9000)\n"},
	{"[network]\nmtu = 01500\n",
	 "t.conf:2: mtu: invalid value '01500' (expected auto or 576 to 9000)\n"},
	{"[network]\nmtu = 1500b\n",
	 "t.conf:2: mtu: invalid value '1500b' (expected auto or 576 to 9000)\n"},
	{"[network]\nrouter = 123\n", "t.conf:2: router: invalid container name '123' "
				  "(1 to 63 of a-z 0-9 -, not all digits)\n"},
	{"[network]\nrouter = -r\n", "t.conf:2: router: invalid container name '-r' "
				 "(1 to 63 of a-z 0-9 -, not all digits)\n"},
	{"[network]\nguest_bridge = lxtg0\n",
	 "t.conf:2: guest_bridge and host_bridge are both 'lxtg0'\n"},
	{"[network]\nuplink = lxtg1\n", "t.conf:2: uplink and guest_bridge are both 'lxtg1'\n"},
	{"[network]\nhost_bridge = x\nuplink = x\n",
	 "t.conf:3: uplink and host_bridge are both 'x'\n"},
	/* [ipv4] */
	{"[ipv4]\nguest_subnet = 192.168.254.1/24\n",
	 "t.conf:2: guest_subnet: invalid CIDR '192.168.254.1/24' (host bits set)\n"},
	{"[ipv4]\nguest_subnet = 192.168.254.0\n",
	 "t.conf:2: guest_subnet: invalid CIDR '192.168.254.0'\n"},
	{"[ipv4]\nguest_subnet = 192.168.254.0/33\n",
	 "t.conf:2: guest_subnet: invalid CIDR '192.168.254.0/33'\n"},
	{"[ipv4]\nhost_subnet = 10.0.0.0/7\n",
	 "t.conf:2: host_subnet: prefix length must be /8 to /30, not /7\n"},
	{"[ipv4]\nhost_subnet = 10.0.0.0/31\n",
	 "t.conf:2: host_subnet: prefix length must be /8 to /30, not /31\n"},
	{"[ipv4]\nhost_subnet = 127.0.0.0/24\n",
	 "t.conf:2: host_subnet: '127.0.0.0/24' is not a unicast range\n"},
	{"[ipv4]\nhost_subnet = 224.0.0.0/24\n",
	 "t.conf:2: host_subnet: '224.0.0.0/24' is not a unicast range\n"},
	{"[ipv4]\nhost_subnet = 192.168.254.0/25\n",
	 "t.conf:2: guest_subnet 192.168.254.0/24 overlaps host_subnet 192.168.254.0/25\n"},
	{"[ipv4]\nguest_subnet = 10.0.0.0/24\n",
	 "t.conf:2: dhcp_range 192.168.254.101-192.168.254.200 is not inside guest_subnet "
	 "10.0.0.0/24\n"},
	{"[ipv4]\ndhcp_range = 192.168.254.0-192.168.254.20\n",
	 "t.conf:2: dhcp_range 192.168.254.0-192.168.254.20 is not inside guest_subnet "
	 "192.168.254.0/24\n"},
	{"[ipv4]\ndhcp_range = 192.168.254.200-192.168.254.255\n",
	 "t.conf:2: dhcp_range 192.168.254.200-192.168.254.255 is not inside guest_subnet "
	 "192.168.254.0/24\n"},
	{"[ipv4]\ndhcp_range = 192.168.254.100-192.168.254.254\n",
	 "t.conf:2: dhcp_range 192.168.254.100-192.168.254.254 contains the router address "
	 "192.168.254.254\n"},
	{"[ipv4]\ndhcp_range = 10.0.0.1-10.0.0.20\nguest_subnet = 10.0.0.0/28\n",
	 "t.conf:3: dhcp_range 10.0.0.1-10.0.0.20 is not inside guest_subnet 10.0.0.0/28\n"},
	{"[ipv4]\nguest_subnet = 10.0.0.0/28\ndhcp_range = 10.0.0.1-10.0.0.14\n",
	 "t.conf:3: dhcp_range 10.0.0.1-10.0.0.14 contains the router address 10.0.0.14\n"},
	{"[ipv4]\ndhcp_range = 192.168.254.20-192.168.254.10\n",
	 "t.conf:2: dhcp_range: invalid range '192.168.254.20-192.168.254.10' (start after "
	 "end)\n"},
	{"[ipv4]\ndhcp_range = 192.168.254.10 - 192.168.254.20\n",
	 "t.conf:2: dhcp_range: invalid range '192.168.254.10 - 192.168.254.20' (expected "
	 "A.B.C.D-E.F.G.H)\n"},
	{"[ipv4]\nlease_time = 1m\n",
	 "t.conf:2: lease_time: invalid value '1m' (expected 120s to 365d, or infinite)\n"},
	{"[ipv4]\nlease_time = 1 h\n",
	 "t.conf:2: lease_time: invalid value '1 h' (expected 120s to 365d, or infinite)\n"},
	/* [ipv6] */
	{"[ipv6]\nenable = true\n", "t.conf:2: enable: invalid value 'true' (expected yes or "
				"no)\n"},
	{"[ipv6]\nguest_prefix = fd00:aaaa:254::1/64\n",
	 "t.conf:2: guest_prefix: invalid prefix 'fd00:aaaa:254::1/64' (host bits set)\n"},
	{"[ipv6]\nguest_prefix = fd00:aaaa::/48\n",
	 "t.conf:2: guest_prefix: prefix length must be /64, not /48\n"},
	{"[ipv6]\nguest_prefix = fd00:aaaa:254::\n",
	 "t.conf:2: guest_prefix: invalid prefix 'fd00:aaaa:254::'\n"},
	{"[ipv6]\nhost_prefix = fe80::/64\n",
	 "t.conf:2: host_prefix: 'fe80::/64' is not a global or unique-local prefix\n"},
	{"[ipv6]\nhost_prefix = ff02::/64\n",
	 "t.conf:2: host_prefix: 'ff02::/64' is not a global or unique-local prefix\n"},
	{"[ipv6]\nhost_prefix = fd00:aaaa:254::/64\n",
	 "t.conf:2: guest_prefix fd00:aaaa:254::/64 overlaps host_prefix fd00:aaaa:254::/64\n"},
	/* [dns] */
	{"[dns]\ndomain = lxtg.internal.\n", "t.conf:2: domain: invalid domain 'lxtg.internal.' "
					 "(labels of a-z 0-9 -, at most 253 characters)\n"},
	{"[dns]\ndomain = LXTG\n", "t.conf:2: domain: invalid domain 'LXTG' "
			       "(labels of a-z 0-9 -, at most 253 characters)\n"},
	{"[dns]\nupstream = 1.1.1.1,,8.8.8.8\n",
	 "t.conf:2: upstream: empty entry in list '1.1.1.1,,8.8.8.8'\n"},
	{"[dns]\nupstream = 1.1.1.1,\n", "t.conf:2: upstream: empty entry in list '1.1.1.1,'\n"},
	{"[dns]\nupstream = ,1.1.1.1\n", "t.conf:2: upstream: empty entry in list ',1.1.1.1'\n"},
	{"[dns]\nupstream = 1.1.1.1, auto\n", "t.conf:2: upstream: invalid address 'auto'\n"},
	{"[dns]\nupstream = 1.1.1.01\n", "t.conf:2: upstream: invalid address '1.1.1.01'\n"},
	{"[dns]\nupstream = 1.1.1.1 1.0.0.1 8.8.8.8 8.8.4.4 9.9.9.9\n",
	 "t.conf:2: upstream: too many addresses (at most 4)\n"},
	{"[dns]\nupstream = 127.0.0.1\n",
	 "t.conf:2: upstream: '127.0.0.1' is not a usable upstream server address\n"},
	{"[dns]\nupstream = fe80::1\n",
	 "t.conf:2: upstream: 'fe80::1' is not a usable upstream server address\n"},
	{"[dns]\nupstream = ::\n", "t.conf:2: upstream: '::' is not a usable upstream server "
			       "address\n"},
	/* [server] */
	{"[server]\nipv4_pool = 192.0.2.120-192.0.2.100\n",
	 "t.conf:2: ipv4_pool: invalid range '192.0.2.120-192.0.2.100' (start after end)\n"},
	{"[server]\nipv4_pool = 192.168.254.1-192.168.254.9\n",
	 "t.conf:2: ipv4_pool 192.168.254.1-192.168.254.9 overlaps guest_subnet "
	 "192.168.254.0/24\n"},
	{"[server]\nipv4_pool = 192.168.252.250-192.168.253.0\n",
	 "t.conf:2: ipv4_pool 192.168.252.250-192.168.253.0 overlaps host_subnet "
	 "192.168.253.0/24\n"},
	{"[server]\nipv4_pool = 126.255.255.250-128.0.0.1\n",
	 "t.conf:2: ipv4_pool: '126.255.255.250-128.0.0.1' is not a unicast range\n"},
	{"[server]\nipv6_prefix = 2001:db8::/56\n",
	 "t.conf:2: ipv6_prefix: prefix length must be /64, not /56\n"},
	{"[server]\nipv6_prefix = fd00:aaaa:253::/64\n",
	 "t.conf:2: host_prefix fd00:aaaa:253::/64 overlaps ipv6_prefix fd00:aaaa:253::/64\n"},
	{"[server]\ninbound = closed\n",
	 "t.conf:2: inbound: invalid value 'closed' (expected ports or open)\n"},
	{"[network]\nhost_access = ssh\n",
	 "t.conf:2: host_access: invalid entry 'ssh' (expected none, all, or PROTO/PORT entries "
	 "like tcp/22, udp/53)\n"},
	{"[network]\nhost_access = tcp/22, sctp/9\n",
	 "t.conf:2: host_access: invalid entry 'sctp/9' (expected none, all, or PROTO/PORT entries "
	 "like tcp/22, udp/53)\n"},
	{"[network]\nhost_access = tcp/0\n",
	 "t.conf:2: host_access: invalid entry 'tcp/0' (expected none, all, or PROTO/PORT entries "
	 "like tcp/22, udp/53)\n"},
	{"[network]\nhost_access = tcp/22,,udp/53\n",
	 "t.conf:2: host_access: empty entry in list 'tcp/22,,udp/53'\n"},
	{"[dns]\nrebind_protection = yes\n",
	 "t.conf:2: rebind_protection: invalid value 'yes' (expected on or off)\n"},
	/* a single label would trust a whole top-level domain */
	{"[dns]\nrebind_ok = corp.example, com\n",
	 "t.conf:2: rebind_ok: invalid domain 'com' (a domain of two labels or more, e.g. "
	 "corp.example)\n"},
	{"[dns]\nrebind_ok = a.b\nlocal=/x/\n",
	 "t.conf:3: unknown key 'local' in section [dns]\n"},
	{"[dns]\nrebind_ok = a.b/#x\n",
	 "t.conf:2: rebind_ok: invalid domain 'a.b/#x' (a domain of two labels or more, e.g. "
	 "corp.example)\n"},
	/* below 100000: the host's own users */
	{"[network]\nrouter_idmap = 1000\n",
	 "t.conf:2: router_idmap: invalid value '1000' (expected off or a host uid from 100000 to "
	 "4294901759)\n"},
	/* the last of its 65536 ids would be 4294967295, "no id" */
	{"[network]\nrouter_idmap = 4294901760\n",
	 "t.conf:2: router_idmap: invalid value '4294901760' (expected off or a host uid from "
	 "100000 to 4294901759)\n"},
	{"[network]\nrouter_idmap = no\n",
	 "t.conf:2: router_idmap: invalid value 'no' (expected off or a host uid from 100000 to "
	 "4294901759)\n"},
	{"[guests]\nmax_connections = 10\n",
	 "t.conf:2: max_connections: invalid value '10' (expected a whole number from 64 to "
	 "1048576)\n"},
	{"[guests]\ndns_rate = 0\n",
	 "t.conf:2: dns_rate: invalid value '0' (expected a whole number from 10 to 1000000)\n"},
	{"[guests]\ndhcp_rate = 5/s\n",
	 "t.conf:2: dhcp_rate: invalid value '5/s' (expected a whole number from 1 to 10000)\n"},
	{"[guests]\nnew_connections = 010\n",
	 "t.conf:2: new_connections: invalid value '010' (expected a whole number from 10 to "
	 "1000000)\n"},
	/* [network] fixed uplink addresses */
	{"[network]\nuplink_ipv4 = 192.0.2.0/24\n",
	 "t.conf:2: uplink_ipv4: invalid value '192.0.2.0/24' (expected auto or a host address with "
	 "its prefix length, like 192.0.2.61/24)\n"},
	{"[network]\nuplink_ipv4 = 192.0.2.61\n",
	 "t.conf:2: uplink_ipv4: invalid value '192.0.2.61' (expected auto or a host address with "
	 "its prefix length, like 192.0.2.61/24)\n"},
	{"[network]\nuplink_ipv6 = fe80::1/64\n",
	 "t.conf:2: uplink_ipv6: invalid value 'fe80::1/64' (expected auto or a global host address "
	 "with its prefix length, like 2001:db8:1::61/64)\n"},
	{"[network]\nuplink_gateway4 = 192.0.2.1\n",
	 "t.conf:2: uplink_gateway4 is set, but uplink_ipv4 is auto (DHCP gives the gateway)\n"},
	{"[network]\nuplink_ipv4 = 192.0.2.61/24\nuplink_gateway4 = 198.51.100.1\n[dns]\n"
	 "upstream = 192.0.2.1\n",
	 "t.conf:3: uplink_gateway4 is not another address of uplink_ipv4's subnet\n"},
	{"[network]\nuplink_ipv4 = 192.0.2.61/24\n",
	 "t.conf:2: uplink_ipv4 is fixed, so no DHCP lease tells the router the LAN's DNS servers: "
	 "set [dns] upstream\n"},
	{"[network]\nattach = routed\nuplink_ipv4 = 192.0.2.61/24\n[dns]\nupstream = 192.0.2.1\n",
	 "t.conf:3: uplink_ipv4 needs the router on the LAN (attach = macvlan or auto): with attach "
	 "= routed the router has no LAN address of its own\n"},
	/* [routing] */
	{"[routing]\nbgp = yes\n", "t.conf:2: bgp: invalid value 'yes' (expected on or off)\n"},
	{"[routing]\nbgp = on\n",
	 "t.conf:2: bgp = on needs asn (this router's AS number)\n"
	 "t.conf:2: bgp = on needs peers (ADDRESS as ASN, ...)\n"},
	{"[routing]\nasn = 23456\n",
	 "t.conf:2: asn: invalid value '23456' (expected none or an AS number, e.g. 65001 or "
	 "4200000001)\n"},
	{"[routing]\npeers = 192.0.2.62 65002\n",
	 "t.conf:2: peers: invalid peer '192.0.2.62 65002' (expected ADDRESS as ASN [domain DOMAIN] "
	 "[subnet CIDR]..., at most 4 subnets)\n"},
	{"[routing]\npeers = 192.0.2.62 as 65002 domain b.x, 192.0.2.62 as 65003\n",
	 "t.conf:2: peers: peer '192.0.2.62 as 65003' is listed twice\n"},
	{"[routing]\npeers = 192.0.2.62 as 65002 domain b.x/\n",
	 "t.conf:2: peers: peer 192.0.2.62: invalid domain 'b.x/'\n"},
	{"[routing]\npeers = 192.0.2.62 as 65002,, 192.0.2.63 as 1\n",
	 "t.conf:2: peers: empty entry in list '192.0.2.62 as 65002,, 192.0.2.63 as 1'\n"},
	{"[routing]\npeers = 192.168.254.9 as 65002\n",
	 "t.conf:2: peer 192.168.254.9 is inside guest_subnet 192.168.254.0/24: peers are other "
	 "hosts' routers on the LAN\n"},
	{"[routing]\npassword = a\"b\n",
	 "t.conf:2: password: invalid password (none, or 1 to 80 printable ASCII characters "
	 "without blanks, quotes or backslashes)\n"},
	{"[routing]\nhold_time = 2\n",
	 "t.conf:2: hold_time: invalid value '2' (expected seconds, a whole number from 3 to "
	 "65535)\n"},
	/* check refuses a guest subnet that overlaps accept (and a default route) */
	{"[routing]\naccept = 192.168.0.0/16\n",
	 "t.conf:2: accept 192.168.0.0/16 overlaps guest_subnet 192.168.254.0/24\n"
	 "t.conf:2: accept 192.168.0.0/16 overlaps host_subnet 192.168.253.0/24\n"
	 "t.conf:2: accept 192.168.0.0/16 overlaps 192.168.254.0/24, which this router announces\n"},
	{"[routing]\naccept = ::/0\nannounce = none\n",
	 "t.conf:2: accept ::/0 overlaps guest_prefix fd00:aaaa:254::/64\n"
	 "t.conf:2: accept ::/0 overlaps host_prefix fd00:aaaa:253::/64\n"},
	{"[routing]\naccept = 10.82.0.1/24\n",
	 "t.conf:2: accept: invalid prefix '10.82.0.1/24' (a CIDR prefix with its host bits zero, "
	 "like 10.82.0.0/16 or fd00:82::/48)\n"},
	/* a refused key is left out of the cross-checks instead of cascading */
	{"[ipv4]\nguest_subnet = 10.0.0.1/24\ndhcp_range = 192.168.1.1-192.168.1.9\n",
	 "t.conf:2: guest_subnet: invalid CIDR '10.0.0.1/24' (host bits set)\n"},
	/* errors come out in line order even when found in different passes */
	{"[ipv4]\nguest_subnet = 10.0.0.0/24\n[network]\nmode = x\n",
	 "t.conf:2: dhcp_range 192.168.254.101-192.168.254.200 is not inside guest_subnet "
	 "10.0.0.0/24\n"
	 "t.conf:4: mode: invalid value 'x' (expected desktop or server)\n"},
};

static void test_bad(void)
{
	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
		struct conf c;
		struct conf_errors e;
		_cleanup_free_ char *got = NULL;
		int r;

		memset(&c, 0x5a, sizeof(c));
		r = parse_str(bad[i].text, &c, &e);
		got = join_errors(&e);
		tap_ok(r == -EINVAL && ((unsigned char *)&c)[0] == 0x5a,
		       "bad config %u is refused and ret untouched: '%s'", i, tap_show(bad[i].text));
		tap_is_str(got, bad[i].want, "bad config %u messages", i);
	}
}

static void test_bad_bytes(void)
{
	struct conf c;
	struct conf_errors e;
	char text[3000];
	_cleanup_free_ char *got = NULL;
	static const char nul[] = "[network]\nmode = ser\0ver\nmtu = 1500\n";
	size_t n;

	tap_ok(conf_parse_buffer("t.conf", nul, sizeof(nul) - 1, &c, &e) == -EINVAL && e.n == 1,
	       "a NUL byte is one error");
	tap_is_str(e.msg[0], "t.conf:2: NUL byte in line", "NUL byte message");

	n = (size_t)snprintf(text, sizeof(text), "[network]\n# ");
	memset(text + n, 'x', CONF_MAX_LINE - 2);
	n += CONF_MAX_LINE - 2;
	n += (size_t)snprintf(text + n, sizeof(text) - n, "\nmtu = 1500\n");
	tap_ok(conf_parse_buffer("t.conf", text, n, &c, &e) == 0,
	       "a line of exactly %d characters is fine", CONF_MAX_LINE);

	n = (size_t)snprintf(text, sizeof(text), "[network]\n# ");
	memset(text + n, 'x', CONF_MAX_LINE - 1);
	n += CONF_MAX_LINE - 1;
	n += (size_t)snprintf(text + n, sizeof(text) - n, "\nmtu = 1\n");
	conf_parse_buffer("t.conf", text, n, &c, &e);
	got = join_errors(&e);
	tap_is_str(got,
		   "t.conf:2: line too long (more than 1024 characters)\n"
		   "t.conf:3: mtu: invalid value '1' (expected auto or 576 to 9000)\n",
		   "a line of %d characters is an error and parsing goes on", CONF_MAX_LINE + 1);

	/* The value is cut in the message so the message itself still fits. */
	n = (size_t)snprintf(text, sizeof(text), "[dns]\ndomain = ");
	memset(text + n, 'a', 900);
	n += 900;
	conf_parse_buffer("t.conf", text, n, &c, &e);
	tap_ok(e.n == 1 && strstr(e.msg[0], "...' (labels of") != NULL,
	       "a huge value is shortened in its message");

	{
		_cleanup_free_ char *big = malloc(CONF_MAX_SIZE + 2);

		memset(big, '\n', CONF_MAX_SIZE + 1);
		tap_ok(conf_parse_buffer("t.conf", big, CONF_MAX_SIZE, &c, &e) == 0,
		       "exactly CONF_MAX_SIZE bytes are accepted");
		tap_ok(conf_parse_buffer("t.conf", big, CONF_MAX_SIZE + 1, &c, &e) == -EINVAL &&
			   e.n == 1 &&
			   streq(e.msg[0], "t.conf: file too large (more than "
					   "65536 bytes)"),
		       "one byte more is refused");
	}

	/* More errors than fit are counted, not lost silently. */
	{
		_cleanup_free_ char *many = NULL;
		size_t size = 0;
		FILE *f = open_memstream(&many, &size);

		fputs("[network]\n", f);
		for (int i = 0; i < CONF_MAX_ERRORS + 10; i++)
			fprintf(f, "k%d = 1\n", i);
		fclose(f);
		tap_ok(parse_str(many, &c, &e) == -EINVAL && e.n == CONF_MAX_ERRORS &&
			   e.dropped == 10,
		       "errors beyond CONF_MAX_ERRORS are counted in dropped");
		tap_is_str(e.msg[CONF_MAX_ERRORS - 1],
			   "t.conf:65: unknown key 'k63' in section [network]", "last kept error");
	}
}

static void test_three_errors(void)
{
	static const char text[] = "# three mistakes on three lines\n"
				   "[network]\n"
				   "mode = sever\n"
				   "uplink = eth0\n"
				   "[ipv4]\n"
				   "guest_subnet = 192.168.254.1/24\n"
				   "lease_time = 1h\n"
				   "[dns]\n"
				   "domain = lxtg.internal\n"
				   "dns = 1.1.1.1\n";
	struct conf c;
	struct conf_errors e;

	tap_ok(parse_str(text, &c, &e) == -EINVAL, "three errors: refused");
	tap_ok(e.n == 3 && e.dropped == 0, "three errors: exactly three messages (got %u)", e.n);
	tap_is_str(e.msg[0], "t.conf:3: mode: invalid value 'sever' (expected desktop or server)",
		   "three errors: first");
	tap_is_str(e.msg[1],
		   "t.conf:6: guest_subnet: invalid CIDR '192.168.254.1/24' (host bits set)",
		   "three errors: second");
	tap_is_str(e.msg[2], "t.conf:10: unknown key 'dns' in section [dns]",
		   "three errors: third");
}

/* A pool outside a fixed uplink_ipv4's subnet is accepted, with a FILE:LINE note; inside, none. */
static void test_pool_note(void)
{
	static const char fmt[] = "[network]\n"
				  "uplink = eth0\n"
				  "uplink_ipv4 = %s\n"
				  "uplink_gateway4 = 192.0.2.1\n"
				  "[dns]\n"
				  "upstream = 192.0.2.1\n"
				  "[server]\n"
				  "ipv4_pool = 192.0.2.100-192.0.2.101\n";
	char text[sizeof(fmt) + 32];
	struct conf c;
	struct conf_errors e;

	snprintf(text, sizeof(text), fmt, "192.0.2.61/26");
	tap_ok(parse_str(text, &c, &e) == 0, "pool outside uplink_ipv4's /26: accepted");
	tap_ok(c.n_notes == 1, "... with one note (got %u)", c.n_notes);
	tap_is_str(c.n_notes ? c.notes[0] : "",
		   "t.conf:8: [server] ipv4_pool 192.0.2.100-192.0.2.101 is not inside "
		   "uplink_ipv4's subnet /26: pool guests would lease addresses the LAN does not "
		   "route to this host",
		   "... that names the pool's line");
	snprintf(text, sizeof(text), fmt, "192.0.2.61/24");
	tap_ok(parse_str(text, &c, &e) == 0 && c.n_notes == 0, "pool inside uplink_ipv4's /24: no note");
}

static void test_round_trip(void)
{
	static const char *const texts[] = {
	    "[network]\nmode = server\nuplink = eno1\nattach = routed\nguest_bridge = g0\n"
	    "host_bridge = h0\nmtu = 1480\nrouter = gw\n"
	    "[ipv4]\nguest_subnet = 10.20.0.0/22\ndhcp_range = 10.20.1.0-10.20.3.200\n"
	    "host_subnet = 10.21.0.0/30\nlease_time = 3d\n"
	    "[ipv6]\nenable = no\nguest_prefix = 2001:db8:0:20::/64\n"
	    "host_prefix = 2001:db8:0:21::/64\n"
	    "[dns]\ndomain = lab.example.org\nupstream = 2001:4860:4860::8888 8.8.8.8\n"
	    "[server]\nipv4_pool = 198.51.100.2-198.51.100.62\n"
	    "ipv6_prefix = 2001:db8:0:1::/64\ninbound = open\n",
	    "[ipv4]\nlease_time = 121\n[dns]\nupstream = ::ffff:8.8.8.8\n",
	    "[dns]\nupstream = 1.1.1.1, 1.1.1.1, 1.1.1.1, 1.1.1.1\n",
	    "[network]\nhost_access = tcp/22 udp/5353,tcp/8080\n[dns]\nrebind_protection = off\n"
	    "rebind_ok = corp.example, intra.corp.example\n[guests]\nmax_connections = 64\n"
	    "new_connections = 10\ndns_rate = 1000000\ndhcp_rate = 10000\n",
	    "[network]\nhost_access = all\nrouter_idmap = off\n",
	    "[network]\nrouter_idmap = 100000\n",
	    "[network]\nrouter_idmap = 4294901759\n",
	    "[network]\nuplink_ipv4 = 192.0.2.61/24\nuplink_gateway4 = 192.0.2.1\n"
	    "uplink_ipv6 = 2001:db8:1::61/64\nuplink_gateway6 = fe80::1\n"
	    "[ipv4]\nguest_subnet = 10.81.0.0/24\ndhcp_range = 10.81.0.100-10.81.0.200\n"
	    "[dns]\nupstream = 192.0.2.1\n"
	    "[routing]\nbgp = on\nasn = 4200000001\nrouter_id = 192.0.2.61\n"
	    "peers = 192.0.2.62 as 65002 domain b.lxtg.internal subnet 10.82.0.0/24 subnet "
	    "fd00:82::/64, 2001:db8:1::63 as 65003\npassword = s3cr3t!\nhold_time = 30\n"
	    "announce = 10.81.0.0/24, fd00:aaaa:254::/64\naccept = 10.82.0.0/15, fd00:80::/32\n",
	};

	for (unsigned i = 0; i < ARRAY_SIZE(texts); i++) {
		struct conf a, b;
		struct conf_errors e;
		_cleanup_free_ char *p1 = NULL, *p2 = NULL, *errs = NULL;
		int r = parse_str(texts[i], &a, &e);

		errs = join_errors(&e);
		tap_ok(r == 0, "round trip %u: parses", i);
		if (r < 0) {
			printf("# %s", errs);
			continue;
		}
		p1 = print_conf(&a);
		tap_ok(parse_str(p1, &b, &e) == 0 && conf_equal(&a, &b),
		       "round trip %u: conf_print -> conf_parse_buffer is equal", i);
		p2 = print_conf(&b);
		tap_is_str(p2, p1, "round trip %u: canonical text is a fixed point", i);
	}

	{
		struct conf a, b;

		conf_defaults(&a);
		conf_defaults(&b);
		b.upstream_auto = false;
		b.n_upstream = 1;
		b.upstream[0].family = AF_INET;
		tap_ok(!conf_equal(&a, &b), "conf_equal sees an upstream change");
		conf_defaults(&b);
		strcpy(b.uplink, "eth1");
		tap_ok(!conf_equal(&a, &b), "conf_equal sees an uplink change");
		conf_defaults(&b);
		b.host_access = HOST_ACCESS_PORTS;
		b.n_host_ports = 1;
		tap_ok(!conf_equal(&a, &b), "conf_equal sees a host_access change");
		conf_defaults(&b);
		b.dns_rate = 7;
		tap_ok(!conf_equal(&a, &b), "conf_equal sees a dns_rate change");
		conf_defaults(&b);
		b.server_prefix.plen = 7;
		tap_ok(conf_equal(&a, &b), "conf_equal ignores server_prefix while it is auto");
	}
}

static void test_load(void)
{
	char dir[] = "/tmp/test-config.XXXXXX";
	char path[128], want[256];
	struct conf c, d;
	struct conf_errors e;
	FILE *f;

	if (!mkdtemp(dir)) {
		tap_ok(0, "mkdtemp");
		return;
	}
	snprintf(path, sizeof(path), "%s/missing.conf", dir);
	conf_defaults(&d);
	memset(&c, 0, sizeof(c));
	tap_ok(conf_load(path, false, &c, &e) == 0 && e.n == 0 && conf_equal(&c, &d),
	       "missing optional file means the defaults");
	tap_ok(conf_load(path, true, &c, &e) == -ENOENT && e.n == 1,
	       "missing required file is -ENOENT");
	snprintf(want, sizeof(want), "%s: No such file or directory", path);
	tap_is_str(e.msg[0], want, "missing required file message");

	tap_ok(conf_load(dir, true, &c, &e) == -EISDIR && e.n == 1, "a directory is -EISDIR");
	snprintf(want, sizeof(want), "%s: Is a directory", dir);
	tap_is_str(e.msg[0], want, "directory message");

	snprintf(path, sizeof(path), "%s/good.conf", dir);
	f = fopen(path, "w");
	fputs("[network]\nmode = server\n", f);
	fclose(f);
	tap_ok(conf_load(path, true, &c, &e) == 0 && c.mode == MODE_SERVER, "loads a file");

	snprintf(path, sizeof(path), "%s/bad.conf", dir);
	f = fopen(path, "w");
	fputs("[network]\n\nmode = sever\n", f);
	fclose(f);
	tap_ok(conf_load(path, false, &c, &e) == -EINVAL && e.n == 1, "a bad file is -EINVAL");
	snprintf(want, sizeof(want),
		 "%s:3: mode: invalid value 'sever' (expected desktop or server)", path);
	tap_is_str(e.msg[0], want, "a bad file names the path and line");
	unlink(path);

	snprintf(path, sizeof(path), "%s/big.conf", dir);
	f = fopen(path, "w");
	for (int i = 0; i <= CONF_MAX_SIZE; i++)
		fputc('\n', f);
	fclose(f);
	tap_ok(conf_load(path, true, &c, &e) == -EFBIG && e.n == 1, "a file over 64 KiB is -EFBIG");
	snprintf(want, sizeof(want), "%s: file too large (more than 65536 bytes)", path);
	tap_is_str(e.msg[0], want, "too large message");
	unlink(path);
	unlink(strcat(strcpy(path, dir), "/good.conf"));
	rmdir(dir);
}

int main(void)
{
	test_defaults();
	test_good();
	test_bad();
	test_bad_bytes();
	test_three_errors();
	test_pool_note();
	test_round_trip();
	test_load();
	return tap_done();
}
