// SPDX-License-Identifier: BSD-2-Clause
#include <arpa/inet.h>
#include <linux/netfilter.h>

#include "elems.h"
#include "fault.h"
#include "hostnet.h"
#include "nft.h"
#include "publish.h"
#include "render.h"
#include "sysctl.h"
#include "util.h"

int hostnet_links(const struct paths *p, const struct conf *c, const struct router_facts *f,
		  struct nlk *nl, struct errmsg *e)
{
	struct in_addr h4 = conf_hostlink_host_ip4(c), r4 = conf_hostlink_router_ip4(c);
	struct in6_addr h6, r6;
	const char *bridges[] = {c->host_bridge};
	int r, hidx;

	conf_hostlink_host_ip6(c, &h6);
	conf_hostlink_router_ip6(c, &r6);
	for (size_t i = 0; i < ARRAY_SIZE(bridges); i++) {
		char seed[PATH_MAX + 64];
		uint8_t mac[6];

		fault_point("up: bridge");
		/* A stable bridge MAC keeps the host's link-local address on it, and the
		 * router's and guests' neighbour entries for the host, across restarts. */
		snprintf(seed, sizeof(seed), "bridge/%s/%s", p->state, bridges[i]);
		render_mac(seed, mac);
		/* Record before creating: a crash in between must not leak the link. */
		if (nlk_ifindex(nl, bridges[i]) == -ENODEV) {
			r = state_owned_links_add(p->state, bridges[i]);
			if (r < 0)
				return fail(e, r, "recording %s: %s", bridges[i], strerror(-r));
		}
		r = nlk_bridge_ensure(nl, bridges[i], f->mtu, mac);
		if (r == -EEXIST)
			return fail(e, r, "%s exists and is not a bridge", bridges[i]);
		if (r < 0)
			return fail(e, r, "bridge %s: %s", bridges[i], nlk_strerror(nl, r));
		/* No RA, no autoconf: the host must not learn routes from guests. */
		r = sysctl_ensuref("0", "net/ipv6/conf/%s/accept_ra", bridges[i]);
		if (r == 0)
			r = sysctl_ensuref("0", "net/ipv6/conf/%s/autoconf", bridges[i]);
		if (r < 0)
			return fail(e, r, "sysctls of %s: %s", bridges[i], strerror(-r));
	}
	if (!c->ipv6) {
		r = sysctl_ensuref("1", "net/ipv6/conf/%s/disable_ipv6", c->host_bridge);
		if (r < 0)
			return fail(e, r, "sysctls of %s: %s", c->host_bridge, strerror(-r));
	}
	hidx = nlk_ifindex(nl, c->host_bridge);
	if (hidx < 0)
		return fail(e, hidx, "%s: %s", c->host_bridge, strerror(-hidx));
	r = nlk_addr_ensure(nl, hidx, AF_INET, &h4, c->host_subnet.plen);
	if (r == 0 && c->ipv6)
		r = nlk_addr_ensure(nl, hidx, AF_INET6, &h6, c->host_prefix.plen);
	if (r < 0)
		return fail(e, r, "address on %s: %s", c->host_bridge, nlk_strerror(nl, r));
	r = nlk_route_replace(nl, AF_INET, &c->guest_subnet.addr, c->guest_subnet.plen, &r4, hidx);
	if (r == 0 && c->ipv6)
		r = nlk_route_replace(nl, AF_INET6, &c->guest_prefix.addr, c->guest_prefix.plen,
				      &r6, hidx);
	if (r < 0)
		return fail(e, r, "route to the guests via %s: %s", c->host_bridge,
			    nlk_strerror(nl, r));
	return 0;
}

/*
 * Host sysctls we change (attach = routed). Each one's
 * previous value goes into the state's journal, durably, before the first
 * change, so `down` (or a later `up` that no longer needs it) puts it back.
 */
static int hsys_set(const struct paths *p, const char *key, const char *want, struct errmsg *e)
{
	struct sysctl_journal j;
	char cur[64];
	int r;

	if (sysctl_read(key, cur, sizeof(cur)) < 0)
		return 0; /* not on this kernel: nothing to change */
	if (streq(cur, want))
		return 0;
	r = state_sysctl_journal_load(p->state, &j);
	if (r < 0)
		return fail(e, r, "reading %s/%s: %s", p->state, STATE_HOST_SYSCTLS, strerror(-r));
	if (sysctl_journal_find(&j, key) < 0) {
		r = sysctl_journal_add(&j, key, cur);
		if (r == 0)
			r = state_sysctl_journal_save(p->state, &j);
		if (r < 0)
			return fail(e, r, "saving host sysctl %s: %s", key, strerror(-r));
	}
	r = sysctl_write(key, want);
	return r < 0 ? fail(e, r, "host sysctl %s: %s", key, strerror(-r)) : 0;
}

/* Put back the recorded values whose key @match accepts (all if NULL), newest first. */
static int hsys_restore(const struct paths *p, bool (*match)(const char *key), struct errmsg *e)
{
	struct sysctl_journal j;
	size_t keep = 0;
	int r;

	r = state_sysctl_journal_load(p->state, &j);
	if (r < 0)
		return fail(e, r, "reading %s/%s: %s", p->state, STATE_HOST_SYSCTLS, strerror(-r));
	for (size_t i = j.n; i-- > 0;)
		if (!match || match(j.e[i].key))
			sysctl_write(j.e[i].key, j.e[i].value);
	for (size_t i = 0; i < j.n; i++)
		if (match && !match(j.e[i].key))
			j.e[keep++] = j.e[i];
	j.n = keep;
	r = state_sysctl_journal_save(p->state, &j);
	return r < 0 ? fail(e, r, "saving %s/%s: %s", p->state, STATE_HOST_SYSCTLS, strerror(-r))
		     : 0;
}

int hostnet_sysctls_restore(const struct paths *p, struct errmsg *e)
{
	return hsys_restore(p, NULL, e);
}

static bool bridge_key(const char *key)
{
	return strncmp(key, "net/bridge/", 11) == 0;
}

static bool routed_key(const char *key)
{
	return !bridge_key(key);
}

static int host_sysctls_set(const struct paths *p, const struct conf *c, struct errmsg *e)
{
	char key[128];
	int r;

	/* accept_ra=2 before forwarding, or the host stops taking RAs on its NIC */
	snprintf(key, sizeof(key), "net/ipv6/conf/%s/accept_ra", c->uplink);
	r = hsys_set(p, key, "2", e);
	if (r == 0)
		r = hsys_set(p, "net/ipv4/ip_forward", "1", e);
	if (r == 0 && c->ipv6)
		r = hsys_set(p, "net/ipv6/conf/all/forwarding", "1", e);
	snprintf(key, sizeof(key), "net/ipv4/neigh/%s/proxy_delay", c->uplink);
	if (r == 0)
		r = hsys_set(p, key, "0", e);
	snprintf(key, sizeof(key), "net/ipv6/neigh/%s/proxy_delay", c->uplink);
	if (r == 0 && c->ipv6)
		r = hsys_set(p, key, "0", e);
	if (r == 0 && c->ipv6 && c->mode == MODE_SERVER) {
		r = hsys_set(p, "net/ipv6/conf/all/proxy_ndp", "1", e);
		snprintf(key, sizeof(key), "net/ipv6/conf/%s/proxy_ndp", c->uplink);
		if (r == 0)
			r = hsys_set(p, key, "1", e);
	}
	return r;
}

/*
 * Versions that kept the guest bridge in the host switched the host's
 * bridge-nf-call-* sysctls off; the guest bridge now lives in the router's
 * namespace, whose own values the router sets. Put back what such a version
 * recorded.
 */
int hostnet_bridge_nf_restore(const struct paths *p, struct errmsg *e)
{
	return hsys_restore(p, bridge_key, e);
}

bool hostnet_routed_present(void)
{
	return nftx_table_exists(NFPROTO_INET, "lxctogo") == 1;
}

int hostnet_routed_undo(const struct paths *p, const struct conf *c, struct nlk *nl,
			struct errmsg *e)
{
	struct registry reg = {0};

	nftx_apply("table inet lxctogo {}\ndelete table inet lxctogo\n", NULL, 0);
	if (registry_load(p->state, &reg) == 0)
		for (size_t i = 0; i < reg.n_guests; i++)
			publish_host(nl, c, &reg.guests[i], true);
	registry_free(&reg);
	return hsys_restore(p, routed_key, e);
}

/*
 * attach = routed: the host forwards between its NIC and the router,
 * masquerades the host link onto the NIC, and answers ARP/NDP on the NIC for
 * guests with LAN addresses.
 */
int hostnet_routed(const struct paths *p, const struct conf *c, const struct registry *reg,
		   struct nlk *nl, struct errmsg *e)
{
	_cleanup_free_ char *rules = NULL;
	int r;

	r = host_sysctls_set(p, c, e);
	if (r < 0)
		return r;
	r = render_host_routed(c, reg, &rules);
	r = nftx_load("the host table", r, rules, e);
	if (r < 0)
		return r;
	for (size_t i = 0; i < reg->n_guests; i++) {
		r = publish_host(nl, c, &reg->guests[i], false);
		if (r < 0)
			return fail(e, r, "publishing %s on %s: %s", reg->guests[i].name, c->uplink,
				    nlk_strerror(nl, r));
		publish_announce(c, &reg->guests[i], c->uplink);
	}
	return 0;
}

/*
 * The host's end of the router's host link: on the host bridge (a recreated
 * bridge lost it) and with no IPv6 of its own, so the host never hears the
 * router's RAs on it.
 */
int hostnet_router_port(const struct conf *c, const struct router_facts *f, struct nlk *nl,
			struct errmsg *e)
{
	int r = sysctl_ensuref("1", "net/ipv6/conf/%s/disable_ipv6", f->veth_host);

	if (r == 0)
		r = nlk_link_set_master(nl, f->veth_host, c->host_bridge);
	if (r == 0)
		r = nlk_link_up(nl, f->veth_host, 0);
	if (r < 0)
		return fail(e, r, "attaching %s to %s: %s", f->veth_host, c->host_bridge,
			    nlk_strerror(nl, r));
	return 0;
}

int hostnet_remove_owned(const struct paths *p, struct nlk *nl, struct errmsg *e)
{
	struct owned_links o;
	int r;

	r = state_owned_links_load(p->state, &o);
	if (r < 0)
		return fail(e, r, "reading %s/%s: %s", p->state, STATE_OWNED_LINKS, strerror(-r));
	/* Addresses and routes on the bridges go with them. */
	for (size_t i = 0; i < o.n; i++) {
		r = nlk_link_del(nl, o.name[i]);
		if (r < 0)
			return fail(e, r, "removing %s: %s", o.name[i], nlk_strerror(nl, r));
	}
	r = state_owned_links_clear(p->state);
	return r < 0 ? fail(e, r, "removing %s/%s: %s", p->state, STATE_OWNED_LINKS, strerror(-r))
		     : 0;
}
