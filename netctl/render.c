// SPDX-License-Identifier: BSD-2-Clause
#include <arpa/inet.h>
#include <stdarg.h>

#include "autoconfig.h"

#include "elems.h"
#include "render.h"
#include "templates.h"
#include "tmpl.h"
#include "util.h"

/* A growing string; every renderer builds through it. */
struct sbuf {
	char *s;
	size_t len, cap;
	int err;
};

static void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->err)
		return;
	for (;;) {
		size_t room = b->cap - b->len;

		va_start(ap, fmt);
		n = vsnprintf(b->s ? b->s + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->err = -EINVAL;
			return;
		}
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		size_t ncap = b->cap ? b->cap * 2 : 1024;

		while (ncap < b->len + (size_t)n + 1)
			ncap *= 2;
		char *p = realloc(b->s, ncap);

		if (!p) {
			b->err = -ENOMEM;
			return;
		}
		b->s = p;
		b->cap = ncap;
	}
}

static int sb_finish(struct sbuf *b, char **ret)
{
	if (!b->s && !b->err)
		sb_printf(b, "%s", "");
	if (b->err) {
		free(b->s);
		return b->err;
	}
	*ret = b->s;
	return 0;
}

void render_mac(const char *seed, uint8_t ret[6])
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */

	for (const char *p = seed; *p; p++) {
		h ^= (uint8_t)*p;
		h *= 0x100000001b3ull;
	}
	for (int i = 0; i < 6; i++)
		ret[i] = (uint8_t)(h >> (8 * i));
	ret[0] = (uint8_t)((ret[0] & 0xfc) | 0x02); /* locally administered, unicast */
}

int render_veth_name(const char *base, const char *suffix, char ret[IFNAMSIZ])
{
	size_t room = IFNAMSIZ - 1 - strlen(suffix) - 1;
	int n = snprintf(ret, IFNAMSIZ, "%.*s-%s", (int)room, base, suffix);

	return n < 0 || n >= IFNAMSIZ ? -ENAMETOOLONG : 0;
}

static const char *ntop4(struct in_addr a, char *buf)
{
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

static const char *ntop6(const struct in6_addr *a, char *buf)
{
	return inet_ntop(AF_INET6, a, buf, INET6_ADDRSTRLEN);
}

const char *router_uplink_if(const struct conf *c)
{
	return c->attach == ATTACH_ROUTED ? ROUTER_HOST_IF : ROUTER_UPLINK_IF;
}

int render_lxc_conf(const struct conf *c, const struct router_facts *f, char **ret)
{
	struct sbuf net = {0};
	char m0[MAC_STRLEN], m1[MAC_STRLEN], m2[MAC_STRLEN];
	_cleanup_free_ char *nets = NULL;
	int r;

	mac_format(f->mac_uplink, m0);
	mac_format(f->mac_guest, m1);
	mac_format(f->mac_host, m2);
	/* The controller makes the links in the holder's namespace (segment.h);
	 * the comment names their shape, so that a change of it restarts the
	 * router and renews them. With attach = routed there is no macvlan. */
	sb_printf(&net, "# links, made by lxctogo-net: ");
	if (c->attach != ATTACH_ROUTED)
		sb_printf(&net, ROUTER_UPLINK_IF " macvlan on %s %s, ", f->uplink, m0);
	sb_printf(&net,
		  ROUTER_GUEST_IF " guest bridge %s, " ROUTER_HOST_IF " veth %s %s to %s, mtu %u\n"
		  "lxc.namespace.share.net = %d",
		  m1, m2, f->veth_host, c->host_bridge, f->mtu, f->holder);
	r = sb_finish(&net, &nets);
	if (r < 0)
		return r;
	const struct tmpl_var vars[] = {
		{"ROUTER", c->router},
		{"ROOTFS", f->rootfs},
		{"INIT", f->init},
		/* What the router needs, nothing more (see docs/architecture.md). */
		{"CAPS", "net_admin net_raw net_bind_service setuid setgid kill"},
		{"NET", nets},
	};
	return tmpl_render(tmpl_lxc_conf_in, vars, ARRAY_SIZE(vars), ret);
}

int render_inittab(const struct conf *c, char **ret)
{
	struct sbuf b = {0};
	_cleanup_free_ char *respawn = NULL;
	int r;

	sb_printf(&b, "::respawn:" DNSMASQ_PATH " --keep-in-foreground "
		      "--conf-file=/etc/lxtg/dnsmasq.conf --log-facility=-\n");
	if (c->ipv6)
		sb_printf(&b, "::respawn:" RADVD_PATH " --nodaemon --config=/etc/lxtg/radvd.conf "
			      "--pidfile=/run/radvd.pid --logmethod=stderr\n");
	/* BGP with the other hosts' routers; the control socket is where the
	 * controller reaches it from the host (lxtg/run is bind-mounted). */
	if (c->bgp)
		sb_printf(&b, "::respawn:" BIRD_PATH " -f -c /etc/lxtg/bird.conf -s " BIRD_CTL "\n");
	/* A fixed uplink address needs no DHCP client. */
	if (c->attach != ATTACH_ROUTED && !c->uplink_plen4)
		sb_printf(&b, "::respawn:" BUSYBOX_PATH " udhcpc -f -i " ROUTER_UPLINK_IF
			      " -s /etc/lxtg/udhcpc.script -x hostname:%s\n",
			  c->router);
	r = sb_finish(&b, &respawn);
	if (r < 0)
		return r;
	const struct tmpl_var vars[] = {{"RESPAWN", respawn}};

	return tmpl_render(tmpl_inittab_in, vars, ARRAY_SIZE(vars), ret);
}

/* dnsmasq's lease time: "3600s" or "infinite". */
static void lease_text(const struct conf *c, char *buf, size_t size)
{
	if (c->lease_time)
		snprintf(buf, size, "%us", c->lease_time);
	else
		snprintf(buf, size, "infinite");
}

int render_dnsmasq(const struct conf *c, uint32_t mtu, char **ret)
{
	char start[INET_ADDRSTRLEN], end[INET_ADDRSTRLEN], mask[INET_ADDRSTRLEN];
	char r4[INET_ADDRSTRLEN], r6[INET6_ADDRSTRLEN], lease[32], mtus[16], r6rec[64];
	struct in6_addr a6;
	struct sbuf up = {0}, rb = {0};
	_cleanup_free_ char *upstream = NULL, *rebind = NULL;
	int r;

	ntop4(c->dhcp_start, start);
	ntop4(c->dhcp_end, end);
	ntop4(ip4_n(c->guest_subnet.plen ? ~0u << (32 - c->guest_subnet.plen) : 0), mask);
	ntop4(conf_router_ip4(c), r4);
	conf_router_ip6(c, &a6);
	ntop6(&a6, r6);
	if (c->ipv6)
		snprintf(r6rec, sizeof(r6rec), ",%s", r6);
	else
		r6rec[0] = '\0';
	lease_text(c, lease, sizeof(lease));
	snprintf(mtus, sizeof(mtus), "%u", mtu);
	if (c->upstream_auto) {
		/* The router's DHCP client writes what the LAN announced. */
		sb_printf(&up, "resolv-file=/lxtg/run/resolv.conf");
	} else {
		sb_printf(&up, "no-resolv");
		for (unsigned i = 0; i < c->n_upstream; i++) {
			char a[INET6_ADDRSTRLEN];

			inet_ntop(c->upstream[i].family, &c->upstream[i].v6, a, sizeof(a));
			sb_printf(&up, "\nserver=%s", a);
		}
	}
	r = sb_finish(&up, &upstream);
	if (r < 0)
		return r;
	/* [dns] rebind_protection and rebind_ok: names are checked by the config parser. */
	if (c->rebind_protection) {
		sb_printf(&rb, "stop-dns-rebind\nrebind-localhost-ok");
		for (unsigned i = 0; i < c->n_rebind_ok; i++)
			sb_printf(&rb, "\nrebind-domain-ok=/%s/", c->rebind_ok[i]);
	} else {
		sb_printf(&rb, "# rebind protection off ([dns] rebind_protection = off)");
	}
	/* [routing] peers: each peer's guest names (and reverse lookups of its
	 * subnets) from that peer's router, which answers with its guests' private
	 * addresses: exempt from rebind protection. Our router answers the peers
	 * on the uplink (the ruleset lets only their addresses in). */
	for (unsigned i = 0; c->bgp && i < c->n_peers; i++) {
		const struct bgp_peer *pe = &c->peers[i];
		char a[INET6_ADDRSTRLEN];

		inet_ntop(pe->addr.family, &pe->addr.v6, a, sizeof(a));
		if (i == 0 && c->attach != ATTACH_ROUTED)
			sb_printf(&rb, "\ninterface=" ROUTER_UPLINK_IF
				       "\nno-dhcp-interface=" ROUTER_UPLINK_IF);
		if (pe->domain[0]) {
			sb_printf(&rb, "\nserver=/%s/%s", pe->domain, a);
			if (c->rebind_protection)
				sb_printf(&rb, "\nrebind-domain-ok=/%s/", pe->domain);
		}
		for (unsigned k = 0; k < pe->n_subnets; k++) {
			char n[INET6_ADDRSTRLEN + 4];

			sb_printf(&rb, "\nrev-server=%s,%s",
				  conf_format_ip_net(&pe->subnets[k], n), a);
		}
	}
	r = sb_finish(&rb, &rebind);
	if (r < 0)
		return r;
	const struct tmpl_var vars[] = {
		{"GUEST_IF", ROUTER_GUEST_IF}, {"HOST_IF", ROUTER_HOST_IF},
		{"DOMAIN", c->domain},         {"DHCP_START", start},
		{"DHCP_END", end},             {"NETMASK", mask},
		{"LEASE", lease},              {"ROUTER4", r4},
		{"MTU", mtus},                 {"ROUTER", c->router},
		{"ROUTER6_REC", r6rec},        {"UPSTREAM", upstream},
		{"REBIND", rebind},
	};
	return tmpl_render(tmpl_dnsmasq_conf_in, vars, ARRAY_SIZE(vars), ret);
}

int render_udhcpc_script(const struct conf *c, uint32_t mtu, char **ret)
{
	char pool[INET_ADDRSTRLEN] = "", r4[INET_ADDRSTRLEN], lease[32], mtus[16];

	/* Server mode with the router on the LAN: the script hands dnsmasq the LAN's
	 * netmask and gateway for the pool guests' leases. */
	if (c->mode == MODE_SERVER && c->attach != ATTACH_ROUTED)
		ntop4(c->pool_start, pool);
	ntop4(conf_router_ip4(c), r4);
	lease_text(c, lease, sizeof(lease));
	snprintf(mtus, sizeof(mtus), "%u", mtu);
	const struct tmpl_var vars[] = {
		{"POOL", pool},	  {"GUEST_IF", ROUTER_GUEST_IF}, {"LEASE", lease},
		{"ROUTER4", r4}, {"DOMAIN", c->domain},		 {"MTU", mtus},
	};
	return tmpl_render(tmpl_udhcpc_script, vars, ARRAY_SIZE(vars), ret);
}

int render_radvd(const struct conf *c, uint32_t mtu, char **ret)
{
	char prefix[INET6_ADDRSTRLEN + 4], p[INET6_ADDRSTRLEN], r6[INET6_ADDRSTRLEN], mtus[16];
	/* Server mode hands out the LAN's prefix, off-link: guests send everything
	 * to the router, which proxies NDP for them on the uplink. */
	bool lan = c->mode == MODE_SERVER && c->server_prefix.plen == 64;
	const struct ip6_net *net = lan ? &c->server_prefix : &c->guest_prefix;
	struct in6_addr a6;

	ntop6(&net->addr, p);
	snprintf(prefix, sizeof(prefix), "%s/%u", p, net->plen);
	conf_router_ip6(c, &a6);
	ntop6(&a6, r6);
	snprintf(mtus, sizeof(mtus), "%u", mtu);
	const struct tmpl_var vars[] = {
		{"GUEST_IF", ROUTER_GUEST_IF}, {"MTU", mtus},         {"PREFIX", prefix},
		{"ROUTER6", r6},               {"DOMAIN", c->domain},
		{"ONLINK", lan ? "off" : "on"},
	};
	return tmpl_render(tmpl_radvd_conf_in, vars, ARRAY_SIZE(vars), ret);
}

/* BIRD's name of peer @i: "peer1".. (status maps it back to the address). */
void render_bird_peer_name(unsigned i, char buf[16])
{
	snprintf(buf, 16, "peer%u", i + 1);
}

/* "filter accept4 { if net ~ [ P+, ... ] then accept; reject; }" for one family. */
static void bird_filter(struct sbuf *b, const struct conf *c, int family, char v)
{
	unsigned n = 0;

	sb_printf(b, "filter accept%c {\n", v);
	for (unsigned i = 0; i < c->n_accept; i++) {
		char net[INET6_ADDRSTRLEN + 4];

		if (c->accept[i].family != family)
			continue;
		sb_printf(b, "%s%s+", n++ ? ", " : "\tif net ~ [ ",
			  conf_format_ip_net(&c->accept[i], net));
	}
	if (n)
		sb_printf(b, " ] then accept;\n");
	sb_printf(b, "\treject;\n}\n");
}

int render_bird(const struct conf *c, char **ret)
{
	struct sbuf rid = {0}, kern = {0}, ann = {0}, filt = {0}, peers = {0};
	_cleanup_free_ char *t_rid = NULL, *t_kern = NULL, *t_ann = NULL, *t_filt = NULL,
			    *t_peers = NULL;
	struct ip_net a[CONF_MAX_ROUTES];
	unsigned n_ann = conf_announce(c, a);
	char addr[INET6_ADDRSTRLEN], local[INET6_ADDRSTRLEN + 8];
	struct in_addr id = c->router_id;
	int r;

	/* auto: the fixed uplink address, else the router's guest-side address
	 * (unique among peers, whose guest subnets differ; BIRD's own choice could
	 * be the host-link address, which every host may share). */
	if (!id.s_addr)
		id = c->uplink_plen4 ? c->uplink_ip4 : conf_router_ip4(c);
	sb_printf(&rid, "router id %s;", ntop4(id, addr));
	sb_printf(&kern, "protocol kernel kernel4 {\n\tipv4 { import none; export where source = "
			 "RTS_BGP || proto = \"hold4\"; };\n}");
	if (c->ipv6)
		sb_printf(&kern, "\nprotocol kernel kernel6 {\n\tipv6 { import none; export where "
				 "source = RTS_BGP || proto = \"hold6\"; };\n}");
	for (int fam = 0; fam < (c->ipv6 ? 2 : 1); fam++) {
		char v = fam ? '6' : '4';

		sb_printf(&ann, "%sprotocol static announce%c {\n\tipv%c;\n", fam ? "\n" : "", v, v);
		for (unsigned i = 0; i < n_ann; i++) {
			char net[INET6_ADDRSTRLEN + 4];

			if (a[i].family == (fam ? AF_INET6 : AF_INET))
				sb_printf(&ann, "\troute %s blackhole;\n",
					  conf_format_ip_net(&a[i], net));
		}
		sb_printf(&ann, "}");
		/* Each accepted prefix is unreachable unless a peer's route is there
		 * (preference 10, below BGP's 100): guest traffic for a peer that is
		 * down is refused at the router instead of leaving un-NATed toward
		 * the LAN's default gateway. */
		sb_printf(&ann, "\nprotocol static hold%c {\n\tipv%c { preference 10; };\n", v, v);
		for (unsigned i = 0; i < c->n_accept; i++) {
			char net[INET6_ADDRSTRLEN + 4];

			if (c->accept[i].family == (fam ? AF_INET6 : AF_INET))
				sb_printf(&ann, "\troute %s unreachable;\n",
					  conf_format_ip_net(&c->accept[i], net));
		}
		sb_printf(&ann, "}");
		bird_filter(&filt, c, fam ? AF_INET6 : AF_INET, v);
	}
	local[0] = '\0';
	for (unsigned i = 0; i < c->n_peers; i++) {
		const struct bgp_peer *pe = &c->peers[i];
		char name[16];

		if (pe->addr.family == AF_INET && c->uplink_plen4)
			snprintf(local, sizeof(local), " %s", ntop4(c->uplink_ip4, addr));
		else if (pe->addr.family == AF_INET6 && c->uplink_plen6)
			snprintf(local, sizeof(local), " %s", ntop6(&c->uplink_ip6, addr));
		else
			local[0] = '\0';
		render_bird_peer_name(i, name);
		inet_ntop(pe->addr.family, &pe->addr.v6, addr, sizeof(addr));
		/* direct: peers share the LAN with us. Short retry and error waits,
		 * so a peer that comes back is peered again within seconds. */
		sb_printf(&peers,
			  "protocol bgp %s {\n"
			  "\tdescription \"%s\";\n"
			  "\tlocal%s as %u;\n"
			  "\tneighbor %s as %u;\n"
			  "\tdirect;\n"
			  "\thold time %u;\n"
			  "\tkeepalive time %u;\n"
			  "\tconnect retry time 2;\n"
			  "\tconnect delay time 1;\n"
			  "\terror wait time 1, 8;\n",
			  name, addr, local, c->asn, addr, pe->asn, c->hold_time,
			  c->hold_time / 3 ? c->hold_time / 3 : 1);
		if (c->password[0])
			sb_printf(&peers, "\tpassword \"%s\";\n", c->password);
		sb_printf(&peers, "\tipv4 { import filter accept4; export where proto = \"announce4\"; };\n");
		if (c->ipv6)
			sb_printf(&peers, "\tipv6 { import filter accept6; export where proto = "
					  "\"announce6\"; };\n");
		sb_printf(&peers, "}\n");
	}
	if ((r = sb_finish(&rid, &t_rid)) < 0 || (r = sb_finish(&kern, &t_kern)) < 0 ||
	    (r = sb_finish(&ann, &t_ann)) < 0 || (r = sb_finish(&filt, &t_filt)) < 0 ||
	    (r = sb_finish(&peers, &t_peers)) < 0)
		return r;
	const struct tmpl_var vars[] = {
		{"ROUTER_ID", t_rid}, {"KERNEL", t_kern},   {"ANNOUNCE", t_ann},
		{"FILTERS", t_filt},  {"PEERS", t_peers},
	};
	return tmpl_render(tmpl_bird_conf_in, vars, ARRAY_SIZE(vars), ret);
}

int render_ruleset_defines(const struct conf *c, char **ret)
{
	char g4[INET_ADDRSTRLEN], g6[INET6_ADDRSTRLEN], h4[INET_ADDRSTRLEN], h6[INET6_ADDRSTRLEN];
	struct sbuf b = {0};

	ntop4(c->guest_subnet.addr, g4);
	ntop6(&c->guest_prefix.addr, g6);
	ntop4(c->host_subnet.addr, h4);
	ntop6(&c->host_prefix.addr, h6);
	sb_printf(&b,
		  "define UPLINK_IF = \"%s\"\n"
		  "define GUEST_IF = \"" ROUTER_GUEST_IF "\"\n"
		  "define HOST_IF = \"" ROUTER_HOST_IF "\"\n"
		  "define GUEST_NET4 = %s/%u\n"
		  "define GUEST_NET6 = %s/%u\n"
		  "define HOST_NET4 = %s/%u\n"
		  "define HOST_NET6 = %s/%u\n",
		  router_uplink_if(c), g4, c->guest_subnet.plen, g6, c->guest_prefix.plen, h4,
		  c->host_subnet.plen, h6, c->host_prefix.plen);
	return sb_finish(&b, ret);
}

/* Append the elements of every guest and port forward that live in @table. */
/* Append the text of those of @e[0..n) that live in @table. */
static int elems_of(const struct elem_desc *e, size_t n, enum elem_table table, char **text,
		    size_t *len)
{
	int r = 0;

	for (size_t j = 0; j < n && r == 0; j++)
		if (e[j].table == table)
			r = elem_text(&e[j], text, len);
	return r;
}

static int render_elems(const struct conf *c, const struct registry *reg, enum elem_table table,
			const uint8_t *router_mac, struct sbuf *b)
{
	struct elem_desc e[ELEMS_MAX];
	char *text = NULL;
	size_t len = 0;
	int r = 0;

	if (router_mac)
		r = elems_of(e, elems_router(c, router_mac, e), table, &text, &len);
	for (size_t i = 0; i < reg->n_guests && r == 0; i++)
		r = elems_of(e, elems_guest(c, &reg->guests[i], e), table, &text, &len);
	for (size_t i = 0; i < reg->n_ports && r == 0; i++) {
		const struct guest *g = registry_find(reg, reg->ports[i].guest);

		r = elems_of(e, g ? elems_port(c, g, &reg->ports[i], e) : 0, table, &text, &len);
	}
	if (r == 0 && text)
		sb_printf(b, "%s", text);
	free(text);
	return r;
}

/* The router's table with the per-guest limits of [guests] filled in. */
static int render_limits(const struct conf *c, char **ret)
{
	char v[7][16];
	const uint32_t n[7] = {c->max_connections, c->new_connections, 2 * c->new_connections,
			       c->dns_rate,	   2 * c->dns_rate,	  c->dhcp_rate,
			       2 * c->dhcp_rate};

	for (size_t i = 0; i < ARRAY_SIZE(n); i++)
		snprintf(v[i], sizeof(v[i]), "%u", n[i]);
	const struct tmpl_var vars[] = {
		{"MAX_CONNS", v[0]}, {"NEW_RATE", v[1]},  {"NEW_BURST", v[2]}, {"DNS_RATE", v[3]},
		{"DNS_BURST", v[4]}, {"DHCP_RATE", v[5]}, {"DHCP_BURST", v[6]},
	};
	return tmpl_render(tmpl_lxctogo_nft, vars, ARRAY_SIZE(vars), ret);
}

int render_ruleset(const struct conf *c, const struct registry *reg, char **ret)
{
	_cleanup_free_ char *defines = NULL, *table = NULL;
	struct sbuf b = {0};
	int r;

	r = render_ruleset_defines(c, &defines);
	if (r < 0)
		return r;
	/* nft takes no variables in limits and counts: the numbers go in as text. */
	r = render_limits(c, &table);
	if (r < 0)
		return r;
	/* Create-then-delete makes the replacement one transaction whether or not
	 * the table exists: traffic never sees a half-loaded ruleset. */
	sb_printf(&b, "table inet lxctogo {}\ndelete table inet lxctogo\n%s%s", defines, table);
	r = render_elems(c, reg, ELEM_ROUTER, NULL, &b);
	if (r < 0)
		b.err = r;
	if (c->mode == MODE_SERVER && c->inbound == INBOUND_OPEN)
		sb_printf(&b, "add element inet lxctogo inbound_open { \"%s\" }\n",
			  router_uplink_if(c));
	/* Server-mode guests sit on the LAN: the LAN may ping their own addresses. */
	if (c->mode == MODE_SERVER)
		sb_printf(&b, "add element inet lxctogo lan_ping { \"%s\" }\n",
			  router_uplink_if(c));
	if (c->host_access == HOST_ACCESS_ALL)
		sb_printf(&b, "add element inet lxctogo host_all { \"" ROUTER_GUEST_IF "\" }\n");
	/* [routing]: addresses and prefixes were verified by the config parser. */
	for (unsigned i = 0; c->bgp && i < c->n_peers; i++) {
		char a[INET6_ADDRSTRLEN];

		inet_ntop(c->peers[i].addr.family, &c->peers[i].addr.v6, a, sizeof(a));
		sb_printf(&b, "add element inet lxctogo peer_routers%c { %s }\n",
			  c->peers[i].addr.family == AF_INET ? '4' : '6', a);
	}
	for (unsigned i = 0; c->bgp && i < c->n_accept; i++) {
		char n[INET6_ADDRSTRLEN + 4];

		if (c->accept[i].family == AF_INET6 && !c->ipv6)
			continue;
		sb_printf(&b, "add element inet lxctogo peer_nets%c { %s }\n",
			  c->accept[i].family == AF_INET ? '4' : '6',
			  conf_format_ip_net(&c->accept[i], n));
	}
	for (unsigned i = 0; i < c->n_host_ports; i++)
		sb_printf(&b, "add element inet lxctogo host_ports { %s . %u }\n",
			  c->host_ports[i].proto == IPPROTO_TCP ? "tcp" : "udp",
			  c->host_ports[i].port);
	return sb_finish(&b, ret);
}

int render_guard(const struct conf *c, const struct registry *reg, const uint8_t router_mac[6],
		 char **ret)
{
	struct sbuf b = {0};
	int r;

	/* The prefixes in which a guest may claim addresses: link-local always;
	 * the guest prefix in desktop mode. In server mode the LAN would not
	 * reach a claimed address (no proxy NDP for it), so guests keep their
	 * recorded one there. */
	sb_printf(&b, "table bridge lxctogo {}\ndelete table bridge lxctogo\n"
		      "define GUEST_PORTS = \"" GUEST_PORT_PREFIX "*\"\n"
		      "define LEARN6 = { 0xfe80000000000000");
	if (c->mode == MODE_DESKTOP && c->ipv6 && c->guest_prefix.plen == 64) {
		sb_printf(&b, ", 0x");
		for (int i = 0; i < 8; i++)
			sb_printf(&b, "%02x", c->guest_prefix.addr.s6_addr[i]);
	}
	sb_printf(&b, " }\n%s", tmpl_guard_nft);
	r = render_elems(c, reg, ELEM_GUARD, router_mac, &b);
	if (r < 0)
		b.err = r;
	return sb_finish(&b, ret);
}

int render_host_routed(const struct conf *c, const struct registry *reg, char **ret)
{
	char h4[INET_ADDRSTRLEN], h6[INET6_ADDRSTRLEN], r4[INET_ADDRSTRLEN], r6[INET6_ADDRSTRLEN];
	struct in6_addr a6;
	struct sbuf b = {0};
	int r;

	ntop4(c->host_subnet.addr, h4);
	ntop6(&c->host_prefix.addr, h6);
	ntop4(conf_hostlink_router_ip4(c), r4);
	conf_hostlink_router_ip6(c, &a6);
	ntop6(&a6, r6);
	sb_printf(&b,
		  "table inet lxctogo {}\ndelete table inet lxctogo\n"
		  "define NIC = \"%s\"\ndefine HOST_NET4 = %s/%u\ndefine HOST_NET6 = %s/%u\n"
		  "define ROUTER4 = %s\ndefine ROUTER6 = %s\n%s",
		  c->uplink, h4, c->host_subnet.plen, h6, c->host_prefix.plen, r4, r6,
		  tmpl_host_routed_nft);
	r = render_elems(c, reg, ELEM_HOST, NULL, &b);
	if (r < 0)
		b.err = r;
	return sb_finish(&b, ret);
}

int render_guest_hosts(const struct conf *c, const struct guest *g, char **ret)
{
	char a4[INET_ADDRSTRLEN], a6[INET6_ADDRSTRLEN];
	struct sbuf b = {0};

	sb_printf(&b, "%s %s.%s %s\n", ntop4(g->ip4, a4), g->name, c->domain, g->name);
	if (g->has_ip6 && c->ipv6)
		sb_printf(&b, "%s %s.%s %s\n", ntop6(&g->ip6, a6), g->name, c->domain, g->name);
	return sb_finish(&b, ret);
}

int render_guest_dhcp(const struct conf *c, const struct guest *g, char **ret)
{
	char a4[INET_ADDRSTRLEN], a6[INET6_ADDRSTRLEN + 3] = "", mac[MAC_STRLEN];
	struct sbuf b = {0};

	if (g->has_ip6 && c->ipv6) {
		a6[0] = '[';
		ntop6(&g->ip6, a6 + 1);
		strcat(a6, "],");
	}
	/* A guest with a LAN address leases it from the pool's context (pool.conf,
	 * written by the router's DHCP client from the LAN's lease); the tag keeps
	 * it out of the guest subnet's dynamic range while there is none. */
	sb_printf(&b, "%s,%s%s,%s%s\n", mac_format(g->mac, mac),
		  publish_v4(c, g) ? "set:poolguest," : "", ntop4(g->ip4, a4), a6, g->name);
	return sb_finish(&b, ret);
}

bool render_is_lxc_net_line(const char *line)
{
	line += strspn(line, " \t");
	if (!strncmp(line, "lxc.network", 11))
		return true;
	return !strncmp(line, "lxc.net", 7) && strchr(". \t=", line[7]) && line[7];
}

static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
		if (!strncmp(l, line, n) && (l[n] == '\n' || l[n] == '\0'))
			return true;
	return false;
}

int render_lxc_net_attach(const char *orig, const char *const *items, char **ret)
{
	bool save = !has_line(orig, LXC_SAVED_MARK);
	struct sbuf b = {0};

	for (const char *const *kv = items; kv && kv[0]; kv += 2)
		if (!kv[1] || kv[0][strcspn(kv[0], "\r\n")] || kv[1][strcspn(kv[1], "\r\n")])
			return -EINVAL;
	for (const char *l = orig; l && *l;) {
		size_t n = strcspn(l, "\n");

		/* The container's own lines stay where they are, as comments, the
		 * first time. A last line without newline gets one. */
		if (!render_is_lxc_net_line(l))
			sb_printf(&b, "%.*s\n", (int)n, l);
		else if (save)
			sb_printf(&b, "%s%.*s\n", LXC_SAVED_PREFIX, (int)n, l);
		l += n + (l[n] == '\n');
	}
	if (save)
		sb_printf(&b, "%s\n", LXC_SAVED_MARK);
	for (const char *const *kv = items; kv && kv[0]; kv += 2)
		sb_printf(&b, "%s = %s\n", kv[0], kv[1]);
	return sb_finish(&b, ret);
}

int render_lxc_net_detach(const char *orig, char **ret)
{
	size_t plen = strlen(LXC_SAVED_PREFIX);
	struct sbuf b = {0};

	if (!has_line(orig, LXC_SAVED_MARK))
		return -ENOENT;
	for (const char *l = orig; *l;) {
		size_t n = strcspn(l, "\n");

		if (!strncmp(l, LXC_SAVED_PREFIX, plen) && n >= plen)
			sb_printf(&b, "%.*s\n", (int)(n - plen), l + plen);
		else if (!render_is_lxc_net_line(l) &&
			 !(n == strlen(LXC_SAVED_MARK) && !strncmp(l, LXC_SAVED_MARK, n)))
			sb_printf(&b, "%.*s\n", (int)n, l);
		l += n + (l[n] == '\n');
	}
	return sb_finish(&b, ret);
}
