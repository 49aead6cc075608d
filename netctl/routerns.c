// SPDX-License-Identifier: BSD-2-Clause
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <poll.h>

#include "netns.h"
#include "nft.h"
#include "publish.h"
#include "render.h"
#include "routerns.h"
#include "sysctl.h"
#include "util.h"

/* The router's sysctls, accept_ra=2 before forwarding. */
static int inside_sysctls(const struct conf *c, struct errmsg *e)
{
	const char *v6 = c->ipv6 ? "0" : "1";
	const char *server = c->mode == MODE_SERVER && c->ipv6 ? "1" : "0";
	const char *server4 = c->mode == MODE_SERVER ? "1" : "0";
	/* A fixed uplink_ipv6: no SLAAC on the uplink (the address and gateway are given). */
	const char *slaac = c->uplink_plen6 ? "0" : "1";
	int r;

	struct {
		const char *key, *val;
	} ctl[] = {
		{"net/ipv6/conf/all/disable_ipv6", v6},
		{"net/ipv6/conf/default/disable_ipv6", v6},
		{"net/ipv6/conf/" ROUTER_UPLINK_IF "/disable_ipv6", v6},
		{"net/ipv6/conf/" ROUTER_GUEST_IF "/disable_ipv6", v6},
		{"net/ipv6/conf/" ROUTER_HOST_IF "/disable_ipv6", v6},
		{"net/ipv6/conf/" ROUTER_UPLINK_IF "/accept_ra", c->uplink_plen6 ? "0" : "2"},
		{"net/ipv6/conf/" ROUTER_UPLINK_IF "/autoconf", slaac},
		/* A fixed address outlives a link that goes down and up. */
		{"net/ipv6/conf/" ROUTER_UPLINK_IF "/keep_addr_on_down", c->uplink_plen6 ? "1" : "0"},
		{"net/ipv6/conf/" ROUTER_GUEST_IF "/accept_ra", "0"},
		{"net/ipv6/conf/" ROUTER_HOST_IF "/accept_ra", "0"},
		{"net/ipv6/conf/" ROUTER_GUEST_IF "/accept_dad", "0"},
		{"net/ipv6/conf/" ROUTER_HOST_IF "/accept_dad", "0"},
		{"net/ipv4/conf/all/rp_filter", "0"},
		{"net/ipv4/conf/" ROUTER_UPLINK_IF "/rp_filter", "2"},
		/* No reverse-path lookup per guest packet: the guards already let a
		 * guest port send only from that guest's addresses (v4 and v6 alike). */
		{"net/ipv4/conf/" ROUTER_GUEST_IF "/rp_filter", "0"},
		{"net/ipv4/conf/" ROUTER_HOST_IF "/rp_filter", "1"},
		{"net/ipv4/ip_forward", "1"},
		/* A router: no socket lookup per forwarded packet ("may add an
		 * additional cost for pure routing workloads", ip-sysctl.rst). The
		 * router's own sockets (DNS, DHCP) are not connected ones anyway. */
		{"net/ipv4/ip_early_demux", "0"},
		{"net/ipv6/conf/all/forwarding", c->ipv6 ? "1" : "0"},
		/* Server mode answers ARP/NDP for guest addresses through exact proxy
		 * entries only; proxy_delay 0 answers at once instead of after ~400 ms. */
		{"net/ipv4/neigh/" ROUTER_UPLINK_IF "/proxy_delay", "0"},
		{"net/ipv6/neigh/" ROUTER_UPLINK_IF "/proxy_delay", "0"},
		{"net/ipv6/conf/all/proxy_ndp", server},
		/* Server-mode guests lease their LAN address with the LAN's netmask
		 * and gateway: the router answers ARP on the guest link for the rest
		 * of the LAN and routes it (never for another guest on eth1). */
		{"net/ipv4/conf/" ROUTER_GUEST_IF "/proxy_arp", server4},
		{"net/ipv4/neigh/" ROUTER_GUEST_IF "/proxy_delay", "0"},
		/* ... and so does lxtg-ndproxy for LAN hosts a guest resolves on
		 * the guest link (IPv6, exact entries). */
		{"net/ipv6/neigh/" ROUTER_GUEST_IF "/proxy_delay", "0"},
		{"net/ipv6/conf/" ROUTER_UPLINK_IF "/proxy_ndp", server},
		/* Bridged guest frames go through the guards (table bridge), not through
		 * the router's forward chain as well. These are the router's own: every
		 * namespace has its values, and the host's stay as they are. */
		{"net/bridge/bridge-nf-call-iptables", "0"},
		{"net/bridge/bridge-nf-call-ip6tables", "0"},
		{"net/bridge/bridge-nf-call-arptables", "0"},
	};

	for (size_t i = 0; i < ARRAY_SIZE(ctl); i++) {
		/* attach = routed: the router has no eth0 of its own. */
		if (c->attach == ATTACH_ROUTED && strstr(ctl[i].key, "/" ROUTER_UPLINK_IF "/"))
			continue;
		r = sysctl_ensure(ctl[i].key, ctl[i].val);
		/* With IPv6 disabled the per-interface IPv6 keys may not exist;
		 * without br_netfilter there are no bridge keys (and nothing to turn off). */
		if (r == -ENOENT && ((!c->ipv6 && strstr(ctl[i].key, "ipv6")) ||
				     !strncmp(ctl[i].key, "net/bridge/", 11)))
			continue;
		if (r < 0)
			return fail(e, r, "router sysctl %s: %s", ctl[i].key, strerror(-r));
	}
	return 0;
}

/* [network] uplink_ipv4 / uplink_ipv6: the router's own LAN addresses and gateways, as given. */
static int inside_uplink_fixed(struct nlk *nl, const struct conf *c, struct errmsg *e)
{
	int up = nlk_ifindex(nl, ROUTER_UPLINK_IF), r = 0;
	struct in_addr any4 = {0};
	struct in6_addr any6 = IN6ADDR_ANY_INIT;

	if (up < 0)
		return fail(e, up, "router uplink %s: %s", ROUTER_UPLINK_IF, strerror(-up));
	if (c->uplink_plen4)
		r = nlk_addr_ensure(nl, up, AF_INET, &c->uplink_ip4, c->uplink_plen4);
	if (r == 0 && c->uplink_plen6 && c->ipv6)
		r = nlk_addr_ensure(nl, up, AF_INET6, &c->uplink_ip6, c->uplink_plen6);
	if (r < 0)
		return fail(e, r, "the router's fixed uplink address: %s", nlk_strerror(nl, r));
	r = nlk_link_up(nl, ROUTER_UPLINK_IF, 0);
	if (r == 0 && c->uplink_plen4 && c->uplink_gw4.s_addr)
		r = nlk_route_replace(nl, AF_INET, &any4, 0, &c->uplink_gw4, up);
	if (r == 0 && c->uplink_plen6 && c->ipv6 && !IN6_IS_ADDR_UNSPECIFIED(&c->uplink_gw6))
		r = nlk_route_replace(nl, AF_INET6, &any6, 0, &c->uplink_gw6, up);
	if (r < 0)
		return fail(e, r, "the router's default route via uplink_gateway: %s",
			    nlk_strerror(nl, r));
	return 0;
}

/* Addresses on the guest and host links, links up, the default route (routed), no tx checksum. */
static int inside_links(struct nlk *nl, const struct conf *c, struct errmsg *e)
{
	struct in_addr g4 = conf_router_ip4(c), h4 = conf_hostlink_router_ip4(c);
	struct in6_addr g6, h6;
	int gi = nlk_ifindex(nl, ROUTER_GUEST_IF), hi = nlk_ifindex(nl, ROUTER_HOST_IF), r;

	if (gi < 0 || hi < 0)
		return fail(e, gi < 0 ? gi : hi, "router links: %s", strerror(-(gi < 0 ? gi : hi)));
	conf_router_ip6(c, &g6);
	conf_hostlink_router_ip6(c, &h6);
	r = nlk_addr_ensure(nl, gi, AF_INET, &g4, c->guest_subnet.plen);
	if (r == 0)
		r = nlk_addr_ensure(nl, hi, AF_INET, &h4, c->host_subnet.plen);
	if (r == 0 && c->ipv6)
		r = nlk_addr_ensure(nl, gi, AF_INET6, &g6, c->guest_prefix.plen);
	if (r == 0 && c->ipv6)
		r = nlk_addr_ensure(nl, hi, AF_INET6, &h6, c->host_prefix.plen);
	if (r < 0)
		return fail(e, r, "router addresses: %s", nlk_strerror(nl, r));
	r = nlk_link_up(nl, "lo", 0);
	if (r == 0 && c->attach != ATTACH_ROUTED)
		r = nlk_link_up(nl, ROUTER_UPLINK_IF, 0);
	if (r == 0)
		r = nlk_link_up(nl, ROUTER_GUEST_IF, 0);
	if (r == 0)
		r = nlk_link_up(nl, ROUTER_HOST_IF, 0);
	if (r < 0)
		return fail(e, r, "router links up: %s", nlk_strerror(nl, r));
	if (c->attach != ATTACH_ROUTED && (c->uplink_plen4 || c->uplink_plen6)) {
		r = inside_uplink_fixed(nl, c, e);
		if (r < 0)
			return r;
	}
	if (c->attach == ATTACH_ROUTED) {
		/* The way out is the host. */
		struct in_addr any4 = {0}, host4 = conf_hostlink_host_ip4(c);
		struct in6_addr any6 = IN6ADDR_ANY_INIT, host6;

		conf_hostlink_host_ip6(c, &host6);
		r = nlk_route_replace(nl, AF_INET, &any4, 0, &host4, hi);
		if (r == 0 && c->ipv6)
			r = nlk_route_replace(nl, AF_INET6, &any6, 0, &host6, hi);
		if (r < 0)
			return fail(e, r, "router default route via the host: %s",
				    nlk_strerror(nl, r));
	}
	/* DHCP replies leave dnsmasq with a partial checksum that a veth never
	 * fills in; clients reading raw frames would drop them. */
	r = nlk_tx_csum_off(nl, ROUTER_GUEST_IF);
	if (r < 0 && r != -EOPNOTSUPP)
		return fail(e, r, "checksum offload of the router's %s: %s", ROUTER_GUEST_IF,
			    strerror(-r));
	return 0;
}

struct claims {
	struct guard_claim *cl;
	size_t n, cap;
};

/* One element of port_ip6_dyn: port (16) . MAC (6, padded to 8) . address (16). */
static int claim_cb(const void *key, uint32_t len, void *priv)
{
	struct claims *s = priv;
	const uint8_t *k = key;

	if (len != IFNAMSIZ + 8 + 16)
		return 0;
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 64;
		struct guard_claim *cl = reallocarray(s->cl, cap, sizeof(*cl));

		if (!cl)
			return -ENOMEM;
		s->cl = cl;
		s->cap = cap;
	}
	memcpy(s->cl[s->n].port, k, IFNAMSIZ);
	s->cl[s->n].port[IFNAMSIZ - 1] = '\0';
	memcpy(s->cl[s->n].mac, k + IFNAMSIZ, 6);
	memcpy(&s->cl[s->n].addr, k + IFNAMSIZ + 8, 16);
	s->n++;
	return 0;
}

int routerns_forget_claims(const char *port)
{
	struct claims s = {0};
	struct nftx_elem *el = NULL;
	size_t n = 0;
	int r;

	r = nftx_set_keys(NFPROTO_BRIDGE, "lxctogo", "port_ip6_dyn", claim_cb, &s);
	if (r == -ENOENT)
		r = 0;
	if (r == 0 && s.n && !(el = calloc(2 * s.n, sizeof(*el))))
		r = -ENOMEM;
	for (size_t i = 0; r == 0 && i < s.n; i++) {
		uint8_t key[IFNAMSIZ + 8] = {0};

		if (strcmp(s.cl[i].port, port))
			continue;
		memcpy(key, s.cl[i].port, strlen(s.cl[i].port));
		memcpy(key + IFNAMSIZ, s.cl[i].mac, 6);
		el[n] = (struct nftx_elem){.del = true, .set = "port_ip6_dyn"};
		nftx_key_put(&el[n].key, key, sizeof(key));
		nftx_key_put(&el[n].key, &s.cl[i].addr, 16);
		n++;
		el[n] = (struct nftx_elem){.del = true, .set = "learned6"};
		nftx_key_put(&el[n].key, &s.cl[i].addr, 16);
		n++;
	}
	if (r == 0)
		r = nftx_elems(NFPROTO_BRIDGE, "lxctogo", el, n, NULL, 0);
	/* The router's cache would send them to the old guest's MAC for seconds. */
	if (r == 0 && n) {
		struct nlk *nl = NULL;
		int gi;

		if (nlk_open(&nl) == 0 && (gi = nlk_ifindex(nl, ROUTER_GUEST_IF)) > 0)
			for (size_t i = 0; i < s.n; i++)
				if (!strcmp(s.cl[i].port, port))
					nlk_neigh_del(nl, gi, AF_INET6, &s.cl[i].addr);
		nlk_close(nl);
	}
	free(el);
	free(s.cl);
	return r;
}

int routerns_guard(const struct conf *c, const struct registry *reg, const uint8_t router_mac[6],
		   struct errmsg *e)
{
	_cleanup_free_ char *guard = NULL, *keep = NULL, *all = NULL;
	struct claims s = {0};
	int r;

	/* The addresses guests claimed stay theirs across the reload: otherwise
	 * each `up` would hand them to whoever claims them first, and the LAN
	 * would lose them (lxtg-ndproxy follows the claims) until the guest
	 * sends again. No table yet: nothing to keep. */
	r = nftx_set_keys(NFPROTO_BRIDGE, "lxctogo", "port_ip6_dyn", claim_cb, &s);
	if (r < 0 && r != -ENOENT)
		log_info("the guards' claimed addresses are not kept: %s", strerror(-r));
	r = render_guard(c, reg, router_mac, &guard);
	if (r == 0)
		r = render_guard_claims(c, reg, router_mac, s.cl, s.n, &keep);
	free(s.cl);
	if (r == 0 && asprintf(&all, "%s%s", guard, keep) < 0)
		r = -ENOMEM;
	return nftx_load("the guest guards", r, all, e);
}

/* The router's table, then the guest-port guards on its bridge: each one transaction with every guest. */
static int inside_ruleset(const struct conf *c, const struct registry *reg,
			  const uint8_t router_mac[6], struct errmsg *e)
{
	_cleanup_free_ char *rules = NULL;
	int r = render_ruleset(c, reg, &rules);

	r = nftx_load("the router ruleset", r, rules, e);
	return r < 0 ? r : routerns_guard(c, reg, router_mac, e);
}

bool routerns_has_segment(pid_t pid)
{
	struct nlk *nl = NULL;
	int saved = -1;
	bool ok = false;

	if (netns_enter_pid(pid, &saved) < 0)
		return false;
	if (nlk_open(&nl) == 0)
		ok = nlk_link_is_bridge(nl, ROUTER_GUEST_IF) == 1;
	nlk_close(nl);
	netns_leave(saved);
	return ok;
}

int routerns_configure(const struct conf *c, const struct registry *reg,
		       const uint8_t router_mac[6], struct errmsg *e)
{
	struct nlk *nl = NULL;
	int r;

	r = inside_sysctls(c, e);
	if (r < 0)
		return r;
	r = nlk_open(&nl);
	if (r < 0)
		return fail(e, r, "netlink in the router: %s", strerror(-r));
	r = inside_links(nl, c, e);
	nlk_close(nl);
	return r < 0 ? r : inside_ruleset(c, reg, router_mac, e);
}

void routerns_learn_prefix(struct nlk *nl, const char *ifname, const struct conf *c,
			   long deadline, struct ip6_net *ret)
{
	int up = nlk_ifindex(nl, ifname), r;
	struct in6_addr a;
	uint8_t plen = 0;

	if (c->mode != MODE_SERVER || !c->ipv6 || !c->server_prefix_auto || up < 0)
		return;
	/* SLAAC on the LAN takes one RA: poll for it, bounded. */
	while ((r = nlk_addr_first_global(nl, up, AF_INET6, &a, &plen)) == -ENOENT &&
	       now_ms() < deadline)
		poll(NULL, 0, 10);
	if (r == 0 && plen == 64) {
		memset(ret, 0, sizeof(*ret));
		ret->plen = 64;
		memcpy(&ret->addr, &a, 8);
	} else {
		log_info("no IPv6 prefix learned on %s: guests get no LAN IPv6", ifname);
	}
}

int routerns_publish(const struct conf *c, const struct registry *reg, long deadline,
		     struct runtime *learned, struct conf *model, struct errmsg *e)
{
	struct nlk *nl = NULL;
	int r;

	r = nlk_open(&nl);
	if (r < 0)
		return fail(e, r, "netlink in the router: %s", strerror(-r));
	runtime_overlay(c, learned, model);
	if (model->attach != ATTACH_ROUTED) {
		routerns_learn_prefix(nl, ROUTER_UPLINK_IF, model, deadline, &learned->prefix);
		runtime_overlay(c, learned, model);
	}
	for (size_t i = 0; i < reg->n_guests && r == 0; i++) {
		r = publish_apply(nl, model, &reg->guests[i], false);
		if (r == 0 && model->attach != ATTACH_ROUTED)
			publish_announce(model, &reg->guests[i], ROUTER_UPLINK_IF);
	}
	if (r < 0)
		fail(e, r, "publishing guests on the uplink: %s", nlk_strerror(nl, r));
	nlk_close(nl);
	return r;
}
