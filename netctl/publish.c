// SPDX-License-Identifier: BSD-2-Clause
#include <arpa/inet.h>

#include "netns.h"
#include "probe.h"
#include "publish.h"
#include "runtime.h"
#include "segment.h"
#include "topology.h"
#include "util.h"

/* Proxy entry on @up (0: none) and a route via @gw (NULL: on-link) on @down. */
static int one(struct nlk *nl, int up, int down, const void *gw, int family, const void *addr,
	       bool want)
{
	uint8_t plen = family == AF_INET ? 32 : 128;
	int r = 0;

	if (!want) {
		if (up)
			r = nlk_proxy_del(nl, up, family, addr);
		if (r == 0)
			r = nlk_route_del(nl, family, addr, plen, down);
		return r;
	}
	r = nlk_route_replace(nl, family, addr, plen, gw, down);
	if (r == 0 && up)
		r = nlk_proxy_add(nl, up, family, addr);
	return r;
}

void publish_announce(const struct conf *c, const struct guest *g, const char *ifname)
{
	if (publish_v4(c, g))
		probe_announce_arp(ifname, g->ip4);
	if (g->has_ip6 && publish_v6(c, g))
		probe_announce_na(ifname, &g->ip6);
}

int publish_host(struct nlk *nl, const struct conf *c, const struct guest *g, bool del)
{
	struct in_addr r4 = conf_hostlink_router_ip4(c);
	struct in6_addr r6;
	int up, down, r;

	if (c->attach != ATTACH_ROUTED && !del)
		return 0;
	conf_hostlink_router_ip6(c, &r6);
	up = nlk_ifindex(nl, c->uplink);
	down = nlk_ifindex(nl, c->host_bridge);
	if (up < 0 || down < 0)
		return del ? 0 : (up < 0 ? up : down);
	r = one(nl, up, down, &r4, AF_INET, &g->ip4, !del && publish_v4(c, g));
	if (r == 0 && g->has_ip6)
		r = one(nl, up, down, &r6, AF_INET6, &g->ip6, !del && publish_v6(c, g));
	return r;
}

int publish_apply(struct nlk *nl, const struct conf *c, const struct guest *g, bool del)
{
	/* With attach = routed the host answers on the LAN; the router only routes. */
	int up = c->attach == ATTACH_ROUTED ? 0 : nlk_ifindex(nl, ROUTER_UPLINK_IF);
	int down = nlk_ifindex(nl, ROUTER_GUEST_IF);
	int r;

	if (up < 0 || down < 0)
		return up < 0 ? up : down;
	r = one(nl, up, down, NULL, AF_INET, &g->ip4, !del && publish_v4(c, g));
	if (r == 0 && g->has_ip6)
		r = one(nl, up, down, NULL, AF_INET6, &g->ip6, !del && publish_v6(c, g));
	return r;
}

/* "VERB: publishing NAME on the LAN: the kernel's words" */
static void publish_error(struct errmsg *e, const char *verb, bool del, const struct guest *g,
			  const struct nlk *nl, int r)
{
	fail(e, r, "%s: %s %s %s the LAN: %s", verb, del ? "withdrawing" : "publishing", g->name,
	     del ? "from" : "on", nlk_strerror(nl, r));
}

int publish_guest(const struct paths *p, const struct conf *c, const struct guest *g, bool del,
		  const char *verb, struct errmsg *e)
{
	struct nlk *nl = NULL;
	pid_t pid = segment_netns_pid(p, c);
	int r, saved;

	if (c->attach == ATTACH_ROUTED) {
		r = nlk_open(&nl);
		if (r == 0)
			r = publish_host(nl, c, g, del || !pid);
		if (r < 0)
			publish_error(e, verb, del, g, nl, r);
		else if (!del && pid)
			publish_announce(c, g, c->uplink);
		nlk_close(nl);
		nl = NULL;
		if (r < 0)
			return r;
	}
	if (!pid)
		return 0;
	r = netns_enter_pid(pid, &saved);
	if (r < 0)
		return fail(e, r, "%s: entering the router: %s", verb, strerror(-r));
	r = nlk_open(&nl);
	if (r == 0)
		r = publish_apply(nl, c, g, del);
	if (r < 0)
		publish_error(e, verb, del, g, nl, r);
	else if (!del && c->attach != ATTACH_ROUTED)
		publish_announce(c, g, ROUTER_UPLINK_IF);
	nlk_close(nl);
	netns_leave(saved);
	return r;
}

bool publish_present(const struct paths *p, const struct conf *c, const struct guest *g)
{
	struct nlk *nl = NULL;
	pid_t pid = segment_netns_pid(p, c);
	bool ok = false, routed = c->attach == ATTACH_ROUTED;
	int saved = -1, up;

	if (!pid || (!routed && netns_enter_pid(pid, &saved) < 0))
		return false;
	if (nlk_open(&nl) == 0 &&
	    (up = nlk_ifindex(nl, routed ? c->uplink : ROUTER_UPLINK_IF)) > 0) {
		ok = true;
		if (publish_v4(c, g))
			ok &= nlk_proxy_has(nl, up, AF_INET, &g->ip4) == 1;
		if (publish_v6(c, g))
			ok &= nlk_proxy_has(nl, up, AF_INET6, &g->ip6) == 1;
	}
	nlk_close(nl);
	netns_leave(saved);
	return ok;
}
