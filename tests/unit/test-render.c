// SPDX-License-Identifier: BSD-2-Clause
/*
 * The file writers, table-driven: for each configuration, lines that must be
 * in the rendered file and lines that must not. radvd's own check mode runs
 * on every rendered radvd.conf (dnsmasq's needs the router's directories, so
 * the integration test runs it inside the router).
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "autoconfig.h"
#include "birdctl.h"
#include "config.h"
#include "render.h"
#include "util.h"
#include "state.h"
#include "tap.h"

#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

enum file {
	F_DNSMASQ,
	F_RADVD,
	F_INITTAB,
	F_LXC,
	F_RULESET,
	F_GUARD,
	F_HOSTS,
	F_DHCP,
	F_BIRD,
	F_NDPROXY
};

struct want {
	const char *conf;     /* config text */
	enum file file;
	const char *has[6];   /* whole lines that must be present */
	const char *hasnt[4]; /* substrings that must be absent */
};

static const char registry[] =
	"# lxctogo-net guest registry v1\n"
	"guest web 02:00:00:00:00:01 192.168.254.101 fd00:aaaa:254::1\n"
	"guest pub 02:00:00:00:00:02 192.0.2.100 2001:db8:1::2\n"
	"port web tcp * 8080 80\n"
	"port web udp 192.168.253.254 5353 53\n";

#define BGP "[routing]\nbgp = on\nasn = 65001\npeers = 192.0.2.62 as 65002 domain b.lxtg.internal " \
	    "subnet 10.82.0.0/24 subnet fd00:82::/64, 2001:db8:1::63 as 4200000003\n" \
	    "accept = 10.82.0.0/24, 10.83.0.0/24, fd00:82::/64\n"
#define FIXED "[network]\nuplink_ipv4 = 192.0.2.61/24\nuplink_gateway4 = 192.0.2.1\n" \
	      "[dns]\nupstream = 192.0.2.1\n"

static const struct want cases[] = {
	/* [routing]: BIRD's file, and what BGP changes in the others */
	{BGP, F_BIRD,
	 {"router id 192.168.254.254;", "protocol bgp peer1 {", "\tneighbor 192.0.2.62 as 65002;",
	  "\thold time 9;", "\tif net ~ [ 10.82.0.0/24+, 10.83.0.0/24+ ] then accept;",
	  "\troute 192.168.254.0/24 blackhole;"},
	 {"password", "local 192"}},
	{BGP, F_BIRD,
	 {"\tneighbor 2001:db8:1::63 as 4200000003;", "\troute fd00:aaaa:254::/64 blackhole;",
	  "\troute 10.82.0.0/24 unreachable;", "\troute fd00:82::/64 unreachable;",
	  "\tipv6 { import filter accept6; export where proto = \"announce6\"; };"}},
	{FIXED BGP "password = s3cr3t!\nhold_time = 30\n", F_BIRD,
	 {"router id 192.0.2.61;", "\tlocal 192.0.2.61 as 65001;", "\tpassword \"s3cr3t!\";",
	  "\thold time 30;", "\tkeepalive time 10;"}},
	{"[network]\nmode = server\n[routing]\nbgp = on\nasn = 65001\nrouter_id = 10.0.0.1\n"
	 "peers = 192.0.2.62 as 65002\n", F_BIRD,
	 {"router id 10.0.0.1;", "filter accept4 {", "\treject;"},
	 {"blackhole", "if net ~", "unreachable"}},
	{"[ipv6]\nenable = no\n[routing]\nbgp = on\nasn = 65001\npeers = 192.0.2.62 as 65002\n",
	 F_BIRD, {"protocol kernel kernel4 {"}, {"ipv6", "kernel6", "announce6"}},
	{BGP, F_DNSMASQ,
	 {"interface=eth0", "no-dhcp-interface=eth0", "server=/b.lxtg.internal/192.0.2.62",
	  "rebind-domain-ok=/b.lxtg.internal/", "rev-server=10.82.0.0/24,192.0.2.62",
	  "rev-server=fd00:82::/64,192.0.2.62"}},
	{"[routing]\nasn = 65001\npeers = 192.0.2.62 as 65002 domain b.lxtg.internal\n", F_DNSMASQ,
	 {""}, {"interface=eth0", "server=/b.lxtg.internal/"}},
	{BGP, F_RULESET,
	 {"add element inet lxctogo peer_routers4 { 192.0.2.62 }",
	  "add element inet lxctogo peer_routers6 { 2001:db8:1::63 }",
	  "add element inet lxctogo peer_nets4 { 10.82.0.0/24 }",
	  "add element inet lxctogo peer_nets6 { fd00:82::/64 }"}},
	{FIXED BGP, F_INITTAB, {"::respawn:" BIRD_PATH " -f -c /etc/lxtg/bird.conf -s " BIRD_CTL},
	 {"udhcpc"}},
	{"", F_INITTAB, {""}, {"bird"}},
	{"", F_DNSMASQ,
	 {"interface=eth1", "interface=eth2", "no-dhcp-interface=eth2",
	  "dhcp-range=set:guests,tag:!poolguest,192.168.254.101,192.168.254.200,255.255.255.0,3600s",
	  "dhcp-option=tag:guests,option:mtu,1500", "resolv-file=/lxtg/run/resolv.conf"},
	 {"interface=eth0", "no-resolv"}},
	{"[dns]\nupstream = 192.0.2.1, 2001:db8::53\n", F_DNSMASQ,
	 {"no-resolv", "server=192.0.2.1", "server=2001:db8::53"}, {"resolv-file"}},
	{"[dns]\ndomain = example.test\n", F_DNSMASQ,
	 {"domain=example.test", "local=/example.test/"}, {"lxtg.internal"}},
	{"", F_DNSMASQ, {"stop-dns-rebind", "rebind-localhost-ok"}, {"rebind-domain-ok"}},
	{"[dns]\nrebind_ok = corp.example, b.example\n", F_DNSMASQ,
	 {"stop-dns-rebind", "rebind-domain-ok=/corp.example/", "rebind-domain-ok=/b.example/"}},
	{"[dns]\nrebind_protection = off\nrebind_ok = corp.example\n", F_DNSMASQ,
	 {"# rebind protection off ([dns] rebind_protection = off)"},
	 {"stop-dns-rebind", "rebind-domain-ok=/corp.example/"}},
	/* per-guest limits and host access, as numbers and elements in the router's table */
	{"", F_RULESET,
	 {"\t\tadd @guest_conns { ether saddr ct count over 8192 } counter name \"conn_limit\" drop",
	  "\t\tadd @guest_rate { ether saddr limit rate over 200/second burst 400 packets } counter "
	  "name \"conn_limit\" drop"},
	 {"add element inet lxctogo host_all", "add element inet lxctogo host_ports",
	  "add element inet lxctogo lan_ping"}},
	{"[network]\nhost_access = tcp/22, udp/5353\n[guests]\nmax_connections = 64\n"
	 "dns_rate = 10\ndhcp_rate = 1\n",
	 F_RULESET,
	 {"add element inet lxctogo host_ports { tcp . 22 }",
	  "add element inet lxctogo host_ports { udp . 5353 }",
	  "\t\tadd @guest_conns { ether saddr ct count over 64 } counter name \"conn_limit\" drop"},
	 {"add element inet lxctogo host_all"}},
	{"[network]\nhost_access = all\nmode = server\n", F_RULESET,
	 {"add element inet lxctogo host_all { \"eth1\" }",
	  "add element inet lxctogo lan_ping { \"eth0\" }"}},
	{"", F_RADVD,
	 {"\tprefix fd00:aaaa:254::/64 {", "\t\tAdvOnLink on;", "\tRDNSS fd00:aaaa:254::254 {",
	  "\tDNSSL lxtg.internal {", "\tAdvLinkMTU 1500;"}},
	{"[network]\nmode = server\n[server]\nipv6_prefix = 2001:db8:1::/64\n", F_RADVD,
	 {"\tprefix 2001:db8:1::/64 {", "\t\tAdvOnLink off;"}, {"fd00:aaaa:254::/64"}},
	{"", F_INITTAB,
	 {"::respawn:" DNSMASQ_PATH
	  " --keep-in-foreground --conf-file=/etc/lxtg/dnsmasq.conf --log-facility=-"},
	 {"sysinit"}},
	{"[ipv6]\nenable = no\n", F_INITTAB, {""}, {"radvd"}},
	{"[network]\nattach = routed\n", F_INITTAB, {""}, {"udhcpc"}},
	/* lxtg-ndproxy runs with IPv6, in either mode (a switch of mode restarts nothing); its
	 * file names the LAN's prefix in server mode only, and not with routed attach. */
	{"", F_INITTAB, {"::respawn:" ROUTER_NDPROXY " eth0 eth1 " NDPROXY_CONF}},
	{"[network]\nmode = server\n[ipv6]\nenable = no\n", F_INITTAB, {""}, {"ndproxy"}},
	{"[network]\nmode = server\n[server]\nipv6_prefix = 2001:db8:1::/64\n", F_NDPROXY,
	 {"prefix 2001:db8:1::/64"}},
	{"", F_NDPROXY, {""}, {"\nprefix"}},
	{"[network]\nmode = server\n", F_NDPROXY, {""}, {"\nprefix"}}, /* auto, not learned yet */
	{"[network]\nmode = server\nattach = routed\n[server]\nipv6_prefix = 2001:db8:1::/64\n",
	 F_NDPROXY, {""}, {"\nprefix"}},
	/* ... and the guards let guests claim addresses of the LAN's prefix there. */
	{"[network]\nmode = server\n[server]\nipv6_prefix = 2001:db8:1::/64\n", F_GUARD,
	 {"define LEARN6 = { 0xfe80000000000000, 0x20010db800010000 }"}},
	{"[network]\nmode = server\nattach = routed\n[server]\nipv6_prefix = 2001:db8:1::/64\n",
	 F_GUARD, {"define LEARN6 = { 0xfe80000000000000 }"}},
	{"", F_GUARD, {"define LEARN6 = { 0xfe80000000000000, 0xfd00aaaa02540000 }"}},
	/* asked6 records neighbour solicitations for the LAN's prefix in server mode
	 * only; elsewhere a prefix no solicitation targets. */
	{"[network]\nmode = server\n[server]\nipv6_prefix = 2001:db8:1::/64\n", F_GUARD,
	 {"define ASK6 = { 0x20010db800010000 }"}},
	{"", F_GUARD, {"define ASK6 = { 0xffffffffffffffff }"}},
	{"[network]\nmode = server\nattach = routed\n[server]\nipv6_prefix = 2001:db8:1::/64\n",
	 F_GUARD, {"define ASK6 = { 0xffffffffffffffff }"}},
	/* The router shares its holder's namespace: LXC makes none of its links. */
	{"", F_LXC,
	 {"# lxctogo-net managed router", "lxc.namespace.share.net = 4242",
	  "# links, made by lxctogo-net: eth0 macvlan on eth0 00:00:00:00:00:00, eth1 guest bridge "
	  "00:00:00:00:00:00, eth2 veth 02:00:00:00:00:03 lxtg0-r to lxtg0, mtu 1500",
	  "lxc.mount.entry = /usr usr none ro,bind,nodev 0 0",
	  "lxc.mount.entry = /usr/libexec/lxctogo-net/lxtg-ndproxy lxtg/lxtg-ndproxy none "
	  "ro,bind,create=file 0 0"},
	 {"lxc.net."}},
	/* Root inside is host uid 1500000000: the holder's user namespace, shared. */
	{"", F_LXC,
	 {"lxc.idmap = u 0 1500000000 65536", "lxc.idmap = g 0 1500000000 65536",
	  "lxc.namespace.share.user = 4242"}},
	{"[network]\nrouter_idmap = off\n", F_LXC,
	 {"lxc.namespace.share.net = 4242"},
	 {"lxc.idmap", "lxc.namespace.share.user"}},
	{"[network]\nattach = routed\n", F_LXC,
	 {"# links, made by lxctogo-net: eth1 guest bridge 00:00:00:00:00:00, eth2 veth "
	  "02:00:00:00:00:03 lxtg0-r to lxtg0, mtu 1500",
	  "lxc.namespace.share.net = 4242"},
	 {"macvlan", "lxc.net."}},
	{"", F_RULESET,
	 {"define UPLINK_IF = \"eth0\"", "define GUEST_NET4 = 192.168.254.0/24",
	  "add element inet lxctogo guest4 { 192.168.254.101 }",
	  "add element inet lxctogo fwd4 { tcp . 8080 : 192.168.254.101 . 80 }",
	  "add element inet lxctogo fwd6 { tcp . 8080 : fd00:aaaa:254::1 . 80 }",
	  "add element inet lxctogo fwd4_addr { 192.168.253.254 . udp . 5353 : 192.168.254.101 . 53 }"},
	 {"add element inet lxctogo expose4", "add element inet lxctogo inbound_open"}},
	/* raw_pre is hooked in server mode only (guest to guest through the router). */
	{"[network]\nmode = server\n", F_RULESET,
	 {"\t\ttype filter hook prerouting priority raw; policy accept;"}},
	{"", F_RULESET, {"\t\t# desktop mode: not hooked"}, {"priority raw"}},
	{"[network]\nmode = server\nattach = routed\n[server]\ninbound = open\n", F_RULESET,
	 {"define UPLINK_IF = \"eth2\"", "add element inet lxctogo inbound_open { \"eth2\" }"}},
	{"", F_GUARD,
	 {"define GUEST_PORTS = \"lxg-*\"",
	  "add element bridge lxctogo port_mac { \"lxg-web\" . 02:00:00:00:00:01 }",
	  "add element bridge lxctogo port_ip4 { \"lxg-web\" . 02:00:00:00:00:01 . 192.168.254.101 }",
	  "add element bridge lxctogo port_ip6 { \"lxg-web\" . 02:00:00:00:00:01 . fe80::ff:fe00:1 }",
	  "add element bridge lxctogo port_nd { \"lxg-web\" . 02:00:00:00:00:01 . "
	  "0xfd00aaaa025400000000000000000001 }"}},
	{"", F_HOSTS,
	 {"192.168.254.101 web.lxtg.internal web", "fd00:aaaa:254::1 web.lxtg.internal web"}},
	/* The IPv6 address in dhcp-host is for dnsmasq's bookkeeping, not DHCPv6 (there is none):
	 * a config with a name and no IPv6 address makes dnsmasq 2.90 look for an address of that
	 * name in every other config after each hostsdir/dhcp-hostsdir change, O(guests^2). */
	{"", F_DHCP, {"02:00:00:00:00:01,192.168.254.101,[fd00:aaaa:254::1],web"}},
	{"[network]\nmode = server\n", F_DHCP,
	 {"02:00:00:00:00:01,192.168.254.101,[fd00:aaaa:254::1],web"}},
	{"[ipv6]\nenable = no\n", F_DHCP, {"02:00:00:00:00:01,192.168.254.101,web"}, {"["}},
};

static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	if (!n)
		return true;
	for (const char *p = text; (p = strstr(p, line)); p++)
		if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0'))
			return true;
	return false;
}

static int radvd_configtest(const char *text)
{
	char path[] = "/tmp/lxtg-test-radvd.XXXXXX";
	int fd = mkstemp(path), status;
	pid_t pid;

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		return -1;
	close(fd);
	fflush(stdout); /* or the child would print our buffered TAP lines again */
	pid = fork();
	if (pid == 0) {
		freopen("/dev/null", "w", stderr);
		freopen("/dev/null", "w", stdout);
		execl(RADVD_PATH, "radvd", "--configtest", "-C", path, (char *)NULL);
		_exit(127);
	}
	waitpid(pid, &status, 0);
	unlink(path);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int bird_configtest(const char *text)
{
	char path[] = "/tmp/lxtg-test-bird.XXXXXX", err[256];
	int fd = mkstemp(path), r;

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		return -1;
	close(fd);
	fflush(stdout);
	r = bird_check(path, err, sizeof(err));
	if (r < 0)
		printf("# bird -p: %s\n", err);
	unlink(path);
	return r;
}

/* A reply of BIRD 2.0.12 to `show protocols all`, as its control socket sends it. */
static void test_bird_protocols(void)
{
	static const char reply[] =
		"2002-Name       Proto      Table      State  Since         Info\n"
		"1002-device1    Device     ---        up     1796490313    \n"
		"1006-\n"
		"1002-peer1      BGP        ---        up     1796490314    Established   \n"
		"1006-  Description:    192.0.2.62\n"
		"   BGP state:          Established\n"
		"     Neighbor address: 192.0.2.62\n"
		"     Neighbor AS:      65002\n"
		"   Channel ipv4\n"
		"     Routes:         1 imported, 2 exported, 1 preferred\n"
		"   Channel ipv6\n"
		"     Routes:         1 imported, 0 filtered, 1 exported, 1 preferred\n"
		"1002-peer2      BGP        ---        start  1796490315    Active        Socket: "
		"Connection refused\n"
		"1006-  Description:    192.0.2.63\n"
		"     Neighbor address: 192.0.2.63\n"
		"     Neighbor AS:      65003\n"
		" \n"
		"0000 \n";
	struct bird_session s[4];
	size_t n = bird_parse_protocols(reply, s, 4);

	tap_ok(n == 2, "bird: two BGP protocols (the device protocol is not one), got %zu", n);
	if (n != 2)
		return;
	tap_is_str(s[0].name, "peer1", "bird: first is peer1");
	tap_is_str(s[0].info, "Established", "bird: peer1 established (trailing blanks cut)");
	tap_ok(s[0].since == 1796490314, "bird: peer1 since (seconds)");
	tap_is_str(s[0].neighbor, "192.0.2.62", "bird: peer1's address");
	tap_ok(s[0].neighbor_as == 65002, "bird: peer1's AS");
	tap_ok(s[0].imported == 2 && s[0].exported == 3, "bird: routes summed over channels");
	tap_is_str(s[1].state, "start", "bird: peer2 state");
	tap_is_str(s[1].info, "Active        Socket: Connection refused", "bird: peer2 info");
	tap_ok(s[1].imported == 0, "bird: peer2 has no routes");
	tap_ok(bird_parse_protocols("0000 \n", s, 4) == 0, "bird: an empty reply has no sessions");
}

static int count(const char *s, const char *what)
{
	int n = 0;

	for (; (s = strstr(s, what)); s += strlen(what))
		n++;
	return n;
}

/* The container config editor of `guest add` / `guest del`. */
static void test_lxc_net(void)
{
	static const char *const items[] = {"lxc.net.0.type", "veth", "lxc.net.0.hwaddr",
					    "02:00:00:00:00:01", NULL};
	static const char *const items2[] = {"lxc.net.0.type", "veth", NULL};
	static const char *const nl_key[] = {"lxc.net.0.type\nlxc.hook.pre-start", "x", NULL};
	static const char *const nl_val[] = {"lxc.net.0.link", "lxtg1\nlxc.hook.pre-start = /x", NULL};
	static const char *const cr_val[] = {"lxc.net.0.link", "lxtg1\r", NULL};
	static const char orig[] = "lxc.uts.name = a\nlxc.net.0.type = empty\n  lxc.net.0.flags = up\n"
				   "lxc.network.type = veth\nlxc.netx = 1\n# lxc.net.0.type = x\n"
				   "lxc.rootfs.path = dir:/r";
	static const char attached[] =
		"lxc.uts.name = a\n" LXC_SAVED_PREFIX "lxc.net.0.type = empty\n" LXC_SAVED_PREFIX
		"  lxc.net.0.flags = up\n" LXC_SAVED_PREFIX "lxc.network.type = veth\nlxc.netx = 1\n"
		"# lxc.net.0.type = x\nlxc.rootfs.path = dir:/r\n" LXC_SAVED_MARK
		"\nlxc.net.0.type = veth\nlxc.net.0.hwaddr = 02:00:00:00:00:01\n";
	char *out = NULL, *again = NULL, *back = NULL;

	tap_ok(render_lxc_net_attach(orig, items, &out) == 0 && streq(out, attached),
	       "lxc net: attach comments the net lines out in place, appends the mark and ours");
	tap_ok(out && render_lxc_net_attach(out, items2, &again) == 0 &&
		       strstr(again, LXC_SAVED_PREFIX "lxc.net.0.type = empty\n") &&
		       !strstr(again, LXC_SAVED_PREFIX "lxc.net.0.type = veth") &&
		       !strstr(again, "hwaddr") && count(again, LXC_SAVED_MARK) == 1,
	       "lxc net: attach again keeps the first saved lines (never saves its own)");
	tap_ok(again && render_lxc_net_detach(again, &back) == 0 &&
		       streq(back, "lxc.uts.name = a\nlxc.net.0.type = empty\n  lxc.net.0.flags = up\n"
				   "lxc.network.type = veth\nlxc.netx = 1\n# lxc.net.0.type = x\n"
				   "lxc.rootfs.path = dir:/r\n"),
	       "lxc net: detach puts the container's own lines back where they were, drops ours "
	       "and the mark");
	free(out);
	free(again);
	free(back);
	out = back = NULL;
	tap_ok(render_lxc_net_detach(orig, &back) == -ENOENT,
	       "lxc net: detach of a config attach never wrote: -ENOENT (left alone)");
	tap_ok(render_lxc_net_attach("lxc.uts.name = a\n", items2, &out) == 0 &&
		       streq(out, "lxc.uts.name = a\n" LXC_SAVED_MARK "\nlxc.net.0.type = veth\n") &&
		       render_lxc_net_detach(out, &back) == 0 && streq(back, "lxc.uts.name = a\n"),
	       "lxc net: a container without network gets none back");
	free(out);
	free(back);
	out = NULL;
	tap_ok(render_lxc_net_attach("", items2, &out) == 0 &&
		       streq(out, LXC_SAVED_MARK "\nlxc.net.0.type = veth\n"),
	       "lxc net: an empty config");
	free(out);
	tap_ok(render_lxc_net_attach("a = b\n", nl_key, &out) == -EINVAL, "lxc net: newline in a key refused");
	tap_ok(render_lxc_net_attach("a = b\n", nl_val, &out) == -EINVAL, "lxc net: newline in a value refused");
	tap_ok(render_lxc_net_attach("a = b\n", cr_val, &out) == -EINVAL, "lxc net: CR in a value refused");
	tap_ok(render_is_lxc_net_line("\t lxc.net.1.link = x") && render_is_lxc_net_line("lxc.net=") &&
		       !render_is_lxc_net_line("lxc.netfoo = 1") && !render_is_lxc_net_line("#lxc.net.0.x"),
	       "lxc net: which lines are network lines");
}

/* Claims kept across a reload of the guards: only a registered guest's, in a claimable prefix. */
static void test_guard_claims(const struct registry *reg)
{
	static const uint8_t rmac[6] = {2, 0, 0, 0, 0xfe, 1};
	static struct conf_errors errs;
	struct guard_claim cl[8] = {
		{"lxg-web", {2, 0, 0, 0, 0, 1}},  /* kept */
		{"lxg-web", {2, 0, 0, 0, 0, 9}},  /* another MAC on web's port */
		{"lxg-gone", {2, 0, 0, 0, 0, 1}}, /* no such guest */
		{"lxg-web", {2, 0, 0, 0, 0, 1}},  /* outside the claimable prefixes */
		{"lxg-web", {2, 0, 0, 0, 0, 1}},  /* web's recorded address */
		{"lxg-pub", {2, 0, 0, 0, 0, 2}},  /* the first claim of 1234 was web's */
		{"lxg-pub", {2, 0, 0, 0, 0, 2}},  /* a link-local claim: kept */
		{"lxg-pub", {2, 0, 0, 0, 0, 2}},  /* the router's link-local address */
	};
	const char *addrs[8] = {"fd00:aaaa:254::1234", "fd00:aaaa:254::99", "fd00:aaaa:254::98",
				"2001:db8:9::1",       "fd00:aaaa:254::1",  "fd00:aaaa:254::1234",
				"fe80::1234",	       "fe80::ff:fe00:1"};
	struct conf c;
	char *out = NULL;

	for (int i = 0; i < 8; i++)
		inet_pton(AF_INET6, addrs[i], &cl[i].addr);
	conf_parse_buffer("t.conf", "", 0, &c, &errs);
	tap_ok(render_guard_claims(&c, reg, rmac, cl, 8, &out) == 0, "claims: render");
	tap_is_str(out,
		   "add element bridge lxctogo port_ip6_dyn { \"lxg-web\" . 02:00:00:00:00:01 . "
		   "0xfd00aaaa025400000000000000001234 }\n"
		   "add element bridge lxctogo learned6 { 0xfd00aaaa025400000000000000001234 }\n"
		   "add element bridge lxctogo port_ip6_dyn { \"lxg-pub\" . 02:00:00:00:00:02 . "
		   "0xfe800000000000000000000000001234 }\n"
		   "add element bridge lxctogo learned6 { 0xfe800000000000000000000000001234 }\n",
		   "claims: a registered guest's on its port with its MAC, in a claimable prefix, not "
		   "recorded, first claim only");
	free(out);
	out = NULL;
	/* Server mode: the LAN's prefix is claimable, the guest prefix is not. */
	conf_parse_buffer("t.conf", "[network]\nmode = server\n[server]\nipv6_prefix = 2001:db8:9::/64\n",
			  63, &c, &errs);
	tap_ok(render_guard_claims(&c, reg, rmac, cl, 4, &out) == 0 && out &&
		       !strstr(out, "fd00aaaa") && strstr(out, "0x20010db8000900000000000000000001 }"),
	       "claims: server mode keeps the LAN prefix's claims, not the guest prefix's");
	free(out);
	out = NULL;
	/* Server mode, the LAN's prefix not learned yet: global claims are kept for the reload
	 * that follows once it is. */
	conf_parse_buffer("t.conf", "[network]\nmode = server\n", 23, &c, &errs);
	tap_ok(render_guard_claims(&c, reg, rmac, cl, 4, &out) == 0 && out &&
		       !strstr(out, "fd00aaaa") && strstr(out, "0x20010db8000900000000000000000001 }"),
	       "claims: server mode with the prefix unknown keeps global claims");
	free(out);
}

/* pool.conf as the router's udhcpc script writes it: the LAN's netmask and gateway. */
static void test_pool_facts(void)
{
	static const char good[] = "shared-network=eth1,192.0.2.100\n"
				   "dhcp-range=set:pool,192.0.2.100,static,255.255.255.0,3600s\n"
				   "dhcp-option=tag:pool,option:router,192.0.2.1\n"
				   "dhcp-option=tag:pool,option:dns-server,192.168.254.254\n";
	static const struct {
		const char *text;
		int want;
	} bad[] = {
		{"\n", -ENOENT},
		{"dhcp-range=set:pool,192.0.2.100,static,255.255.255.0,3600s\n", -ENOENT},
		{"dhcp-option=tag:pool,option:router,192.0.2.1\n", -ENOENT},
		{"dhcp-range=set:pool,192.0.2.100,static,255.0.255.0,3600s\n"
		 "dhcp-option=tag:pool,option:router,192.0.2.1\n", -EINVAL},
		{"dhcp-range=set:pool,192.0.2.100,static,255.255.255.254,3600s\n"
		 "dhcp-option=tag:pool,option:router,192.0.2.1\n", -EINVAL},
		{"dhcp-range=set:pool,192.0.2.100,static,255.255.255.0,3600s\n"
		 "dhcp-option=tag:pool,option:router,192.0.2.1 x\n", -EINVAL},
		{"dhcp-range=set:pool,192.0.2.100,static,255.255.255.0,3600s\n"
		 "dhcp-option=tag:pool,option:router,192.0.2.999\n", -EINVAL},
	};
	struct in_addr gw = {0};
	uint8_t plen = 0;

	tap_ok(render_pool_facts(good, &plen, &gw) == 0 && plen == 24 &&
		       gw.s_addr == inet_addr("192.0.2.1"),
	       "pool.conf: the LAN's /24 and gateway 192.0.2.1");
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		tap_ok(render_pool_facts(bad[i].text, &plen, &gw) == bad[i].want,
		       "pool.conf case %zu refused with %d", i, bad[i].want);

	/* Written by `up` (attach = routed, fixed uplink_ipv4): what the script writes. */
	static struct conf_errors errs;
	struct conf c;
	char *out = NULL;

	conf_parse_buffer("t.conf", "[network]\nmode = server\n", 23, &c, &errs);
	render_pool_conf(&c, 24, (struct in_addr){inet_addr("192.0.2.1")}, 1500, &out);
	tap_is_str(out, "shared-network=eth1,192.0.2.100\n"
			"dhcp-range=set:pool,192.0.2.100,static,255.255.255.0,3600s\n"
			"dhcp-option=tag:pool,option:router,192.0.2.1\n"
			"dhcp-option=tag:pool,option:dns-server,192.168.254.254\n"
			"dhcp-option=tag:pool,option:domain-search,lxtg.internal\n"
			"dhcp-option=tag:pool,option:mtu,1500\n",
		   "pool.conf from the host's facts");
	plen = 0;
	tap_ok(out && render_pool_facts(out, &plen, &gw) == 0 && plen == 24 &&
		       gw.s_addr == inet_addr("192.0.2.1"),
	       "... which reads back as the same facts");
	free(out);
	out = NULL;
	render_pool_conf(&c, 24, (struct in_addr){0}, 1500, &out);
	tap_is_str(out, "", "no gateway: an empty pool.conf");
	free(out);
	out = NULL;
	conf_parse_buffer("t.conf", "[network]\nmode = desktop\n", 24, &c, &errs);
	render_pool_conf(&c, 24, (struct in_addr){inet_addr("192.0.2.1")}, 1500, &out);
	tap_is_str(out, "", "desktop mode: an empty pool.conf");
	free(out);
}

int main(void)
{
	struct router_facts f = {.mtu = 1500, .rootfs = "/var/lib/lxctogo-net/router/rootfs",
				 .uplink = "eth0", .init = "/usr/sbin/lxctogo-net", .ndproxy = "/usr/libexec/lxctogo-net/lxtg-ndproxy",
				 .veth_host = "lxtg0-r", .holder = 4242,
				 .mac_host = {2, 0, 0, 0, 0, 3}};
	static struct conf_errors errs;
	struct registry reg = {0};
	unsigned line;

	test_bird_protocols();
	if (registry_parse(registry, strlen(registry), &reg, &line) < 0) {
		printf("Bail out! test registry does not parse (line %u)\n", line);
		return 1;
	}
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct want *w = &cases[i];
		struct conf c;
		char *out = NULL;
		int r = -1;

		if (conf_parse_buffer("t.conf", w->conf, strlen(w->conf), &c, &errs) < 0) {
			tap_ok(0, "case %zu: config parses (%s)", i, errs.msg[0]);
			continue;
		}
		switch (w->file) {
		case F_DNSMASQ:
			r = render_dnsmasq(&c, 1500, &out);
			break;
		case F_RADVD:
			r = render_radvd(&c, 1500, &out);
			break;
		case F_INITTAB:
			r = render_inittab(&c, &out);
			break;
		case F_LXC:
			r = render_lxc_conf(&c, &f, &out);
			break;
		case F_RULESET:
			r = render_ruleset(&c, &reg, &out);
			break;
		case F_GUARD:
			r = render_guard(&c, &reg, (const uint8_t[6]){2, 0, 0, 0, 0xfe, 1}, &out);
			break;
		case F_HOSTS:
			r = render_guest_hosts(&c, &reg.guests[0], &out);
			break;
		case F_DHCP:
			r = render_guest_dhcp(&c, &reg.guests[0], &out);
			break;
		case F_BIRD:
			r = render_bird(&c, &out);
			break;
		case F_NDPROXY:
			r = render_ndproxy_conf(&c, &out);
			break;
		}
		tap_ok(r == 0, "case %zu: renders", i);
		if (r < 0)
			continue;
		for (size_t k = 0; k < 6 && w->has[k]; k++)
			tap_ok(has_line(out, w->has[k]), "case %zu: has line '%s'", i, w->has[k]);
		for (size_t k = 0; k < 4 && w->hasnt[k]; k++)
			tap_ok(!strstr(out, w->hasnt[k]), "case %zu: no '%s'", i, w->hasnt[k]);
		if (w->file == F_RADVD && access(RADVD_PATH, X_OK) == 0)
			tap_ok(radvd_configtest(out) == 0, "case %zu: radvd --configtest accepts it", i);
		if (w->file == F_BIRD && access(BIRD_PATH, X_OK) == 0)
			tap_ok(bird_configtest(out) == 0, "case %zu: bird -p accepts it", i);
		free(out);
	}
	/* A pool guest in server mode leases its LAN address from the pool's context
	 * only (tag poolguest keeps it out of the guest subnet's range). */
	{
		struct conf c;
		char *out = NULL;

		conf_parse_buffer("t.conf", "[network]\nmode = server\n", 23, &c, &errs);
		render_guest_dhcp(&c, &reg.guests[1], &out);
		tap_is_str(out, "02:00:00:00:00:02,set:poolguest,192.0.2.100,[2001:db8:1::2],pub\n",
			   "server mode: pool guest leases its pool address, tagged");
		free(out);
		out = NULL;
		render_udhcpc_script(&c, 1500, &out);
		tap_ok(out && strstr(out, "\tpool=192.0.2.100\n") && !strstr(out, "{{"),
		       "server mode: the router's udhcpc script knows the pool");
		free(out);
		out = NULL;
		conf_parse_buffer("t.conf", "[network]\nmode = server\nattach = routed\n", 40, &c, &errs);
		render_udhcpc_script(&c, 1500, &out);
		tap_ok(out && strstr(out, "\tpool=\n"), "server mode, routed attach: no pool in the script");
		free(out);
	}
	test_pool_facts();
	test_lxc_net();
	test_guard_claims(&reg);
	registry_free(&reg);
	return tap_done();
}
