// SPDX-License-Identifier: BSD-2-Clause
/*
 * guest add/del and port add/del. Each one writes the registry first (the
 * intent, so `up` can always converge), then applies the O(1) side effects:
 * a few netlink messages, one libnftnl batch per table, two small files for
 * dnsmasq and the container's lxc.net lines. A failed step undoes the others.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/netfilter.h>
#include <sys/stat.h>

#include "elems.h"
#include "fault.h"
#include "fsutil.h"
#include "guest.h"
#include "lxcw.h"
#include "netlink.h"
#include "netns.h"
#include "nft.h"
#include "probe.h"
#include "publish.h"
#include "render.h"
#include "rootfs.h"
#include "routerns.h"
#include "runtime.h"
#include "segment.h"
#include "sysctl.h"
#include "util.h"

static void encode(const struct field *f, struct nftx_key *k)
{
	uint16_t port;

	switch (f->kind) {
	case F_IFNAME:
		nftx_key_put(k, f->ifname, IFNAMSIZ);
		return;
	case F_MAC:
	case F_MAC_RAW:
		nftx_key_put(k, f->mac, 6);
		return;
	case F_IP4:
		nftx_key_put(k, &f->ip4, 4);
		return;
	case F_IP6:
	case F_IP6_RAW:
		nftx_key_put(k, &f->ip6, 16);
		return;
	case F_PROTO:
		nftx_key_put(k, &f->proto, 1);
		return;
	case F_PORT:
		port = htons(f->port);
		nftx_key_put(k, &port, 2);
		return;
	}
}

/*
 * Elements into table @fname lxctogo of the current netns, one batch. No such
 * table (router down, no host table with macvlan attach): skipped, `up` loads
 * everything from the registry. The table without one of its sets or maps is
 * drift: fail, so that nothing reports a forward or guest that is not there.
 */
static int table_elems(uint16_t family, const char *fname, const char *where,
		       const struct nftx_elem *el, size_t n, struct errmsg *e)
{
	char why[256];
	int r = nftx_elems(family, "lxctogo", el, n, why, sizeof(why));

	if (r == -ENOENT && nftx_table_exists(family, "lxctogo") == 0)
		return 0;
	if (r == -ENOENT)
		return fail(e, r, "%s table %s lxctogo lacks a set or map: %s (`lxctogo-net up` "
				  "repairs it)", where, fname, why);
	if (r < 0)
		return fail(e, r, "%s table %s lxctogo: %s", where, fname, why);
	return 0;
}

/*
 * Add or delete elements: the router's and the guards in its namespace (if
 * there is one), routed attach's in the host. A table that does not exist
 * (router down) is skipped: `up` loads everything from the registry anyway.
 */
static int apply_elems(const struct paths *p, const struct conf *c, const struct elem_desc *d,
		       size_t n, bool del, struct errmsg *e)
{
	struct nftx_elem el[ELEM_TABLES][ELEMS_MAX * 2];
	size_t cnt[ELEM_TABLES] = {0};
	pid_t pid;
	int r, saved;

	for (size_t i = 0; i < n; i++) {
		struct nftx_elem *x = &el[d[i].table][cnt[d[i].table]++];

		memset(x, 0, sizeof(*x));
		x->del = del;
		x->set = d[i].set;
		for (unsigned k = 0; k < d[i].n_key; k++)
			encode(&d[i].key[k], &x->key);
		x->has_data = d[i].n_data > 0;
		for (unsigned k = 0; k < d[i].n_data; k++)
			encode(&d[i].data[k], &x->data);
	}
	r = table_elems(NFPROTO_INET, "inet", "host", el[ELEM_HOST], cnt[ELEM_HOST], e);
	if (r < 0)
		return r;
	pid = segment_netns_pid(p, c);
	if (!pid || (!cnt[ELEM_ROUTER] && !cnt[ELEM_GUARD]))
		return 0;
	r = netns_enter_pid(pid, &saved);
	if (r < 0)
		return fail(e, r, "entering the router: %s", strerror(-r));
	r = table_elems(NFPROTO_BRIDGE, "bridge", "router", el[ELEM_GUARD], cnt[ELEM_GUARD], e);
	if (r == 0)
		r = table_elems(NFPROTO_INET, "inet", "router", el[ELEM_ROUTER], cnt[ELEM_ROUTER],
				e);
	netns_leave(saved);
	return r;
}

/* The addresses a deleted guest claimed itself are free again (best effort: `up` drops them too). */
static void forget_claims(const struct paths *p, const struct conf *c, const struct guest *g)
{
	char port[IFNAMSIZ];
	pid_t pid = segment_netns_pid(p, c);
	int r, saved;

	if (!pid || netns_enter_pid(pid, &saved) < 0)
		return;
	guest_port_name(g->name, port);
	r = routerns_forget_claims(port);
	netns_leave(saved);
	if (r < 0)
		log_info("guest del: the addresses %s claimed stay claimed until the next up: %s",
			 g->name, strerror(-r));
}

/* dnsmasq picks these up by inotify: no restart, no reload of other guests. */
static int dns_files(const struct paths *p, const struct conf *c, const struct guest *g,
		     bool del, struct errmsg *e)
{
	struct stat st;

	if (stat(p->rootfs, &st) < 0)
		return 0; /* router down: `up` writes them */
	return rootfs_guest_dns(p, c, g, del, e);
}

/*
 * Edit a defined container's config without liblxc: with @items, replace its
 * lxc.net lines by ours, keeping its own as comments the first time
 * (render_lxc_net_attach); without, put its own back (render_lxc_net_detach).
 * Every other line stays as it is. Written to a temporary file and renamed,
 * so lxc-start reads the old or the new config, never half of one, and the
 * container's own lines and ours change in one step.
 * -ENOENT: no such container, or (detach) a config attach never wrote.
 */
static int set_lxc_net(const struct paths *p, const char *name, const char *const *items)
{
	_cleanup_free_ char *text = NULL, *out = NULL, *real = NULL;
	char path[PATH_MAX];
	struct stat st;
	size_t len;
	int r;

	if (pathf(path, sizeof(path), "%s/%s/config", p->lxcpath, name) < 0)
		return -ENAMETOOLONG;
	r = read_file(path, &text, &len);
	if (r < 0)
		return r;
	if (strlen(text) != len)
		return -EINVAL; /* a NUL byte: not a config file */
	r = items ? render_lxc_net_attach(text, items, &out) : render_lxc_net_detach(text, &out);
	if (r < 0)
		return r;
	if (!strcmp(out, text))
		return 0; /* a second `guest add` or `up` touches nothing */
	/* A symlinked config is replaced where it really is. */
	real = realpath(path, NULL);
	if (!real)
		return -errno;
	if (stat(real, &st) < 0)
		return -errno;
	r = write_file_replace(real, out, strlen(out), st.st_mode & 07777);
	/* The new file is ours (root); keep the owner the config had. */
	if (r == 0 && (st.st_uid || st.st_gid) && chown(real, st.st_uid, st.st_gid) < 0)
		r = -errno;
	return r;
}

/* Put the container's own lxc.net lines back (none if it had none). */
static int restore_orig_net(const struct paths *p, const char *name, struct errmsg *e)
{
	int r = set_lxc_net(p, name, NULL);

	if (r < 0 && r != -ENOENT)
		return fail(e, r, "restoring the network config of %s: %s", name, strerror(-r));
	return 0;
}

/*
 * The hook LXC runs once it made the guest's veth pair, before the guest
 * starts: `lxctogo-net --state-dir STATE plug`, which moves the host end
 * into the router's namespace onto the guest bridge (segment_plug). LXC runs
 * it with /bin/sh -c: both paths are quoted, and a quote or a control
 * character in either is refused.
 */
static int plug_hook(const struct paths *p, char *buf, size_t size)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0)
		return -errno;
	exe[n] = '\0';
	for (const char *s = exe; *s; s++)
		if (*s == '\'' || (unsigned char)*s < 0x20 || *s == 0x7f)
			return -EINVAL;
	for (const char *s = p->state; *s; s++)
		if (*s == '\'' || (unsigned char)*s < 0x20 || *s == 0x7f)
			return -EINVAL;
	if (snprintf(buf, size, "'%s' --state-dir '%s' plug", exe, p->state) >= (int)size)
		return -ENAMETOOLONG;
	return 0;
}

/*
 * A pool guest's IPv4 as LXC's static lines and the hot-plug give it: what
 * its DHCP lease says, so that a guest with a DHCP client and one without end
 * with the same address, netmask and default route (the client replaces the
 * address, it does not add a second one). That is the LAN's netmask and
 * gateway once the router has leased its own address (pool.conf), else a /32
 * with the router as gateway on-link (LXC adds the route to it).
 */
static void pool_v4(const struct paths *p, const struct conf *c, const struct guest *g,
		    uint8_t *plen, struct in_addr *gw)
{
	_cleanup_free_ char *text = NULL;
	struct in_addr lan_gw;
	uint8_t n;
	size_t len;

	*plen = 32;
	*gw = conf_router_ip4(c);
	_cleanup_close_ int dfd = rootfs_confdir(p, c->router_idmap);

	if (dfd < 0 || read_regular_file_at(dfd, "pool.conf", &text, &len) < 0 ||
	    strlen(text) != len || render_pool_facts(text, &n, &lan_gw) < 0)
		return;
	struct ip4_net lan = {.addr = ip4_n(ip4_h(lan_gw) & (~0u << (32 - n))), .plen = n};

	if (!ip4_net_contains(&lan, g->ip4) || lan_gw.s_addr == g->ip4.s_addr)
		return;
	*plen = n;
	*gw = lan_gw;
}

static int write_lxc_net(const struct paths *p, const struct conf *c, const struct guest *g,
			 struct errmsg *e)
{
	char port[IFNAMSIZ], mac[MAC_STRLEN], a4[INET_ADDRSTRLEN + 4], gw[INET_ADDRSTRLEN];
	char hook[2 * PATH_MAX + 64];
	struct in_addr router;
	uint8_t plen;
	const char *items[] = {
		"lxc.net.0.type", "veth",
		"lxc.net.0.script.up", hook,
		"lxc.net.0.flags", "up",
		"lxc.net.0.name", "eth0",
		"lxc.net.0.hwaddr", mac_format(g->mac, mac),
		"lxc.net.0.veth.pair", port,
		/* A LAN address: the same as its lease (pool_v4), for a guest
		 * without a DHCP client. */
		publish_v4(c, g) ? "lxc.net.0.ipv4.address" : NULL, a4,
		"lxc.net.0.ipv4.gateway", gw,
		NULL,
	};
	int r;

	r = plug_hook(p, hook, sizeof(hook));
	if (r < 0)
		return fail(e, r, "the plug hook for %s (the program's or the state dir's path "
				  "cannot go into an LXC hook): %s", g->name, strerror(-r));
	guest_port_name(g->name, port);
	pool_v4(p, c, g, &plen, &router);
	inet_ntop(AF_INET, &g->ip4, a4, sizeof(a4));
	snprintf(a4 + strlen(a4), sizeof(a4) - strlen(a4), "/%u", plen);
	inet_ntop(AF_INET, &router, gw, sizeof(gw));
	r = set_lxc_net(p, g->name, items);
	if (r < 0)
		return fail(e, r, "writing the network config of container %s: %s", g->name,
			    strerror(-r));
	return 0;
}

/* In the guest's netns: its LAN address and gateway (pool_v4), what LXC does
 * from the config at the next start. */
static int static_v4(const struct paths *p, struct nlk *nl, const struct conf *c,
		     const struct guest *g)
{
	struct in_addr router, any = {0};
	int idx = nlk_ifindex(nl, "eth0"), r;
	uint8_t plen;

	if (idx < 0)
		return idx;
	pool_v4(p, c, g, &plen, &router);
	r = nlk_addr_ensure(nl, idx, AF_INET, &g->ip4, plen);
	if (r == 0 && plen == 32)
		r = nlk_route_replace(nl, AF_INET, &router, 32, NULL, idx);
	if (r == 0)
		r = nlk_route_replace(nl, AF_INET, &any, 0, &router, idx);
	return r;
}

/* Is @port in the segment of @holder? */
static bool port_in_segment(pid_t holder, const char *port)
{
	struct nlk *nl = NULL;
	int saved = -1;
	bool in = false;

	if (netns_enter_pid(holder, &saved) < 0)
		return false;
	if (nlk_open(&nl) == 0)
		in = nlk_ifindex(nl, port) > 0;
	nlk_close(nl);
	netns_leave(saved);
	return in;
}

/* A running guest gets its link now: a veth pair, one end moved in as eth0, the other onto the guest bridge. */
static int hotplug(const struct paths *p, const struct conf *c, const struct guest *g,
		   const struct lxcw_info *info, struct errmsg *e)
{
	char port[IFNAMSIZ], peer[IFNAMSIZ];
	struct nlk *nl = NULL;
	uint32_t mtu = 0;
	pid_t holder;
	int r, saved;

	if (!info->running)
		return 0;
	guest_port_name(g->name, port);
	holder = segment_holder(p);
	if (!holder)
		return 0; /* router down: `up` or the next lxc-start attaches it */
	r = nlk_open(&nl);
	if (r < 0)
		return fail(e, r, "netlink: %s", strerror(-r));
	if (port_in_segment(holder, port)) { /* converge: on the bridge, with its fast path */
		r = segment_plug(holder, nl, port, g, e);
		nlk_close(nl);
		return r;
	}
	if (nlk_ifindex(nl, port) > 0) { /* parked in the host */
		r = segment_plug(holder, nl, port, g, e);
		nlk_close(nl);
		return r;
	}
	nlk_link_mtu(nl, c->uplink, &mtu);
	if (c->mtu)
		mtu = c->mtu;
	snprintf(peer, sizeof(peer), "lxgp%u", (unsigned)getpid());
	r = nlk_veth_add(nl, port, peer, mtu);
	if (r == 0)
		r = nlk_link_set_mac(nl, peer, g->mac);
	if (r < 0) {
		fail(e, r, "creating %s: %s", port, nlk_strerror(nl, r));
		nlk_link_del(nl, port);
		nlk_close(nl);
		return r;
	}
	r = lxcw_attach_iface(p->lxcpath, g->name, peer, "eth0");
	if (r < 0) {
		nlk_link_del(nl, port);
		nlk_close(nl);
		return fail(e, r, "moving the link into container %s (has it an eth0?)", g->name);
	}
	r = segment_plug(holder, nl, port, g, e);
	nlk_close(nl);
	if (r < 0)
		return r;
	r = netns_enter_pid(info->pid, &saved);
	if (r < 0)
		return fail(e, r, "entering container %s: %s", g->name, strerror(-r));
	r = nlk_open(&nl);
	if (r == 0)
		r = nlk_link_up(nl, "eth0", 0);
	if (r == 0 && publish_v4(c, g))
		r = static_v4(p, nl, c, g);
	if (r < 0)
		fail(e, r, "configuring eth0 in %s: %s", g->name, nlk_strerror(nl, r));
	nlk_close(nl);
	netns_leave(saved);
	return r;
}

/* The guest's port goes, in the segment or parked in the host; the peer inside the guest goes with it. */
static void unplug(const struct paths *p, const struct guest *g)
{
	char port[IFNAMSIZ];
	pid_t holder = segment_holder(p);
	struct nlk *nl = NULL;
	int saved = -1;

	guest_port_name(g->name, port);
	if (nlk_open(&nl) == 0)
		nlk_link_del(nl, port);
	nlk_close(nl);
	nl = NULL;
	if (!holder || netns_enter_pid(holder, &saved) < 0)
		return;
	if (nlk_open(&nl) == 0)
		nlk_link_del(nl, port);
	nlk_close(nl);
	netns_leave(saved);
}

/* dnsmasq's lease file (NULL if none): read once per `guest add`. */
static char *load_leases(const struct paths *p)
{
	/* The router writes this directory: no symlink or FIFO is followed. */
	return read_textf(true, "%s/lxtg/state/dnsmasq.leases", p->rootfs);
}

/* An IPv4 lease in dnsmasq's lease file: "EXPIRY MAC IPV4 NAME CLIENT-ID". */
struct lease {
	bool has_mac; /* false: not an Ethernet MAC, so never ours */
	uint8_t mac[6];
	struct in_addr ip4;
};

/* The next IPv4 lease at or after *@pos (advanced past it); false at the end. */
static bool lease_next(const char **pos, struct lease *ret)
{
	for (const char *l = *pos, *nl; l && *l; l = nl ? nl + 1 : NULL) {
		char line[256], lmac[32], lip[64];
		size_t n;

		nl = strchr(l, '\n');
		n = nl ? (size_t)(nl - l) : strlen(l);
		if (n >= sizeof(line))
			n = sizeof(line) - 1; /* the fields we read come first */
		memcpy(line, l, n);
		line[n] = '\0';
		if (sscanf(line, "%*s %31s %63s", lmac, lip) != 2 ||
		    inet_pton(AF_INET, lip, &ret->ip4) != 1)
			continue;
		ret->has_mac = mac_parse(lmac, ret->mac) == 0;
		*pos = nl ? nl + 1 : l + n;
		return true;
	}
	return false;
}

static bool lease_of_other(const struct lease *l, const uint8_t mac[6])
{
	return !l->has_mac || memcmp(l->mac, mac, 6) != 0;
}

/* Addresses currently leased by dnsmasq to another MAC are not free either. */
static bool leased_to_other(const char *text, struct in_addr a, const uint8_t mac[6])
{
	struct lease l;

	for (const char *pos = text; lease_next(&pos, &l);)
		if (l.ip4.s_addr == a.s_addr && lease_of_other(&l, mac))
			return true;
	return false;
}

static bool ip4_taken(const struct registry *reg, struct in_addr a, const char *except)
{
	for (size_t i = 0; i < reg->n_guests; i++)
		if (reg->guests[i].ip4.s_addr == a.s_addr && !streq(reg->guests[i].name, except))
			return true;
	return false;
}

static bool mac_taken(const struct registry *reg, const uint8_t mac[6], const char *except,
		      const uint8_t router[3][6])
{
	/* A guest speaking with one of the router's MACs would be let through the guard as it. */
	for (int i = 0; i < 3; i++)
		if (!memcmp(router[i], mac, 6))
			return true;
	for (size_t i = 0; i < reg->n_guests; i++)
		if (!memcmp(reg->guests[i].mac, mac, 6) && !streq(reg->guests[i].name, except))
			return true;
	return false;
}

/* Ask the LAN whether an address is taken, from the router's uplink. */
static int lan_probe(const struct paths *p, const struct conf *c, int family, const void *addr)
{
	pid_t pid = segment_netns_pid(p, c);
	int r, saved;

	if (!pid)
		return 0; /* router down: `up` publishes, nobody to ask now */
	if (c->attach == ATTACH_ROUTED) /* the host's NIC is on the LAN */
		return family == AF_INET ? probe_arp(c->uplink, *(const struct in_addr *)addr, 300)
					 : probe_ndp(c->uplink, addr, 300);
	r = netns_enter_pid(pid, &saved);
	if (r < 0)
		return r;
	r = family == AF_INET ? probe_arp(ROUTER_UPLINK_IF, *(const struct in_addr *)addr, 300)
			      : probe_ndp(ROUTER_UPLINK_IF, addr, 300);
	netns_leave(saved);
	return r;
}

/* Addresses (host order, sorted) a new guest cannot get: the next-free scans
 * look each candidate up in O(log n) instead of walking every guest and every
 * lease for it, which made `guest add` quadratic in the number of guests. */
struct taken {
	uint32_t *a;
	size_t n;
};

static int cmp_u32(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;

	return a < b ? -1 : a > b;
}

/* Other guests' addresses, the router's and (@leases != NULL) those leased to another MAC. */
static int taken_build(const struct registry *reg, const char *except, struct in_addr router,
		       const char *leases, const uint8_t mac[6], struct taken *t)
{
	struct lease lease;
	size_t cap = reg->n_guests + 1;

	for (const char *l = leases; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
		cap++;
	t->a = calloc(cap, sizeof(*t->a));
	if (!t->a)
		return -ENOMEM;
	t->n = 0;
	t->a[t->n++] = ip4_h(router);
	for (size_t i = 0; i < reg->n_guests; i++)
		if (!streq(reg->guests[i].name, except))
			t->a[t->n++] = ip4_h(reg->guests[i].ip4);
	for (const char *pos = leases; t->n < cap && lease_next(&pos, &lease);)
		if (lease_of_other(&lease, mac))
			t->a[t->n++] = ip4_h(lease.ip4);
	qsort(t->a, t->n, sizeof(*t->a), cmp_u32);
	return 0;
}

static bool taken_has(const struct taken *t, uint32_t x)
{
	return bsearch(&x, t->a, t->n, sizeof(*t->a), cmp_u32) != NULL;
}

const char *guest_ip4_unusable(const struct conf *c, struct in_addr a)
{
	bool pool = c->mode == MODE_SERVER && ip4_h(a) >= ip4_h(c->pool_start) &&
		    ip4_h(a) <= ip4_h(c->pool_end);

	if (!pool && (!ip4_net_contains(&c->guest_subnet, a) ||
		      ip4_h(a) < ip4_h(ip4_net_first_usable(&c->guest_subnet)) ||
		      ip4_h(a) > ip4_h(ip4_net_last_usable(&c->guest_subnet))))
		return c->mode == MODE_SERVER ? "is not a usable address of ipv4_pool or guest_subnet"
					      : "is not a usable address of guest_subnet";
	if (a.s_addr == conf_router_ip4(c).s_addr)
		return "is the router's address";
	return NULL;
}

/* Decide MAC and addresses of a new guest (or check a converging re-add). */
static int plan_guest(const struct paths *p, const struct conf *c, const struct registry *reg,
		      const struct guest_req *req, struct guest *g, struct errmsg *e)
{
	struct in_addr router = conf_router_ip4(c);
	_cleanup_free_ char *leases = load_leases(p);
	char a[INET6_ADDRSTRLEN];
	uint8_t rmacs[3][6];

	paths_router_macs(p, c, rmacs);
	memset(g, 0, sizeof(*g));
	strscpy(g->name, sizeof(g->name), req->name);
	if (req->has_mac) {
		if (mac_taken(reg, req->mac, req->name, rmacs))
			return bad(e, "guest add: MAC %s is taken by another guest or the router",
				   mac_format(req->mac, a));
		memcpy(g->mac, req->mac, 6);
	} else {
		char seed[96];

		for (unsigned i = 0;; i++) {
			snprintf(seed, sizeof(seed), "guest/%s/%u", req->name, i);
			render_mac(seed, g->mac);
			if (!mac_taken(reg, g->mac, req->name, rmacs))
				break;
		}
	}
	if (req->has_ip4) {
		bool pool = c->mode == MODE_SERVER && ip4_h(req->ip4) >= ip4_h(c->pool_start) &&
			    ip4_h(req->ip4) <= ip4_h(c->pool_end);
		const char *why = guest_ip4_unusable(c, req->ip4);

		inet_ntop(AF_INET, &req->ip4, a, sizeof(a));
		if (why)
			return bad(e, "guest add: %s %s", a, why);
		if (ip4_taken(reg, req->ip4, req->name))
			return bad(e, "guest add: %s is taken by another guest", a);
		if (leased_to_other(leases, req->ip4, g->mac))
			return bad(e, "guest add: %s is leased to another client", a);
		if (pool && lan_probe(p, c, AF_INET, &req->ip4) > 0)
			return bad(e, "guest add: %s is already in use on the LAN", a);
		g->ip4 = req->ip4;
	} else if (c->mode == MODE_SERVER && !req->private4) {
		uint32_t lo = ip4_h(c->pool_start), hi = ip4_h(c->pool_end);
		_cleanup_free_ uint32_t *held = NULL;
		struct taken t;

		/* LAN addresses: other guests only (the router's is no pool address). */
		if (taken_build(reg, req->name, (struct in_addr){0}, NULL, g->mac, &t) < 0)
			return fail(e, -ENOMEM, "out of memory");
		held = t.a;
		for (uint32_t x = lo; x <= hi && x >= lo; x++) {
			struct in_addr cand = ip4_n(x);

			if (taken_has(&t, x))
				continue;
			if (lan_probe(p, c, AF_INET, &cand) > 0) {
				log_info("skipping %s: in use on the LAN",
					 inet_ntop(AF_INET, &cand, a, sizeof(a)));
				continue;
			}
			g->ip4 = cand;
			break;
		}
		/* Pool full: a private address behind NAT, as in desktop mode. */
		if (!g->ip4.s_addr)
			log_info("ipv4_pool is full: %s gets a private address (NAT) from dhcp_range",
				 req->name);
	}
	if (!g->ip4.s_addr) {
		uint32_t lo = ip4_h(c->dhcp_start), hi = ip4_h(c->dhcp_end);
		_cleanup_free_ uint32_t *held = NULL;
		struct taken t;

		if (taken_build(reg, req->name, router, leases, g->mac, &t) < 0)
			return fail(e, -ENOMEM, "out of memory");
		held = t.a;
		for (uint32_t x = lo; x <= hi && x >= lo; x++) {
			if (taken_has(&t, x))
				continue;
			g->ip4 = ip4_n(x);
			break;
		}
		if (!g->ip4.s_addr)
			return fail(e, -ENOSPC, "guest add: no free address left in dhcp_range");
	}
	if (c->ipv6) {
		bool lan = c->mode == MODE_SERVER && c->server_prefix.plen == 64;

		if (ip6_eui64(lan ? &c->server_prefix : &c->guest_prefix, g->mac, &g->ip6) == 0)
			g->has_ip6 = true;
		if (lan && g->has_ip6 && lan_probe(p, c, AF_INET6, &g->ip6) > 0)
			return bad(e, "guest add: %s is already in use on the LAN",
				   inet_ntop(AF_INET6, &g->ip6, a, sizeof(a)));
	}
	return 0;
}

int guest_add(const struct paths *p, const struct conf *c, const struct guest_req *req,
	      struct errmsg *e)
{
	struct elem_desc d[ELEMS_MAX];
	struct registry reg = {0};
	struct lxcw_info info;
	char stamp[PATH_MAX + 64];
	const struct guest *old;
	struct guest g;
	size_t n;
	int r;

	if (streq(req->name, c->router))
		return bad(e, "guest add: %s is the router's name", req->name);
	/* A stopped container is told without liblxc (lxcw_info_quick). */
	if (runtime_lxc_stamp(p, stamp, sizeof(stamp)) < 0)
		stamp[0] = '\0';
	r = lxcw_info_quick(p->lxcpath, req->name, stamp, &info);
	if (r < 0)
		return fail(e, r, "guest add: %s: %s", req->name, strerror(-r));
	if (!info.defined)
		return bad(e, "guest add: no LXC container %s in %s", req->name, p->lxcpath);
	r = registry_load(p->state, &reg);
	if (r < 0)
		return fail(e, r, "guest add: guest registry: %s", strerror(-r));
	old = registry_find(&reg, req->name);
	if (old) {
		/* Re-adding converges; asking for something else is a conflict. */
		if ((req->has_ip4 && req->ip4.s_addr != old->ip4.s_addr) ||
		    (req->private4 && !ip4_net_contains(&c->guest_subnet, old->ip4)) ||
		    (req->has_mac && memcmp(req->mac, old->mac, 6))) {
			r = bad(e, "guest add: %s is already registered with other values "
				   "(guest del it first)", req->name);
			goto out;
		}
		g = *old;
	} else {
		r = plan_guest(p, c, &reg, req, &g, e);
		if (r < 0)
			goto out;
		fault_point("guest add: planned");
		r = registry_add_guest(&reg, &g);
		if (r == 0)
			r = registry_save(p->state, &reg);
		if (r < 0) {
			fail(e, r, "guest add: saving the registry: %s", strerror(-r));
			goto out;
		}
	}
	n = elems_guest(c, &g, d);
	fault_point("guest add: registered");
	/* Guards before the link: the first frame of the guest is checked. */
	r = apply_elems(p, c, d, n, false, e);
	fault_point("guest add: elements");
	if (r == 0)
		r = dns_files(p, c, &g, false, e);
	fault_point("guest add: dns files");
	if (r == 0)
		r = write_lxc_net(p, c, &g, e);
	fault_point("guest add: lxc config");
	if (r == 0)
		r = hotplug(p, c, &g, &info, e);
	fault_point("guest add: hotplug");
	/* Desktop mode publishes nothing on the LAN, and `up` removed what server
	 * mode had published: nothing to converge, no netlink to load. */
	if (r == 0 && (c->mode == MODE_SERVER || c->attach == ATTACH_ROUTED)) {
		r = publish_guest(p, c, &g, false, "guest add", e);
	}
	if (r < 0 && !old) {
		struct errmsg ignore;

		publish_guest(p, c, &g, true, "guest add", &ignore);
		unplug(p, &g);
		restore_orig_net(p, g.name, &ignore);
		dns_files(p, c, &g, true, &ignore);
		apply_elems(p, c, d, n, true, &ignore);
		registry_del_guest(&reg, g.name);
		if (registry_save(p->state, &reg) == 0)
			unplug(p, &g); /* a port plugged meanwhile (see guest_del) */
	}
out:
	registry_free(&reg);
	return r;
}

void guest_refresh_lines(const struct paths *p, const struct conf *c)
{
	struct registry reg = {0};
	struct errmsg e;
	int r = registry_load(p->state, &reg);

	if (r < 0)
		log_info("reading the guest registry in %s: %s", p->state, strerror(-r));
	for (size_t i = 0; r == 0 && i < reg.n_guests; i++) {
		const struct guest *g = &reg.guests[i];
		char path[PATH_MAX];

		if (!publish_v4(c, g) ||
		    pathf(path, sizeof(path), "%s/%s/config", p->lxcpath, g->name) < 0 ||
		    access(path, F_OK) < 0)
			continue;
		if (write_lxc_net(p, c, g, &e) < 0)
			log_info("%s", e.msg);
	}
	registry_free(&reg);
}

int guest_del(const struct paths *p, const struct conf *c, const char *name, struct errmsg *e)
{
	struct elem_desc d[ELEMS_MAX];
	struct registry reg = {0};
	const struct guest *found;
	struct guest g;
	size_t n;
	int r;

	r = registry_load(p->state, &reg);
	if (r < 0)
		return fail(e, r, "guest del: guest registry: %s", strerror(-r));
	found = registry_find(&reg, name);
	if (!found) {
		r = bad(e, "guest del: %s is not a registered guest", name);
		goto out;
	}
	g = *found;
	r = publish_guest(p, c, &g, true, "guest del", e);
	if (r < 0)
		goto out;
	unplug(p, &g);
	for (size_t i = 0; i < reg.n_ports; i++) {
		if (!streq(reg.ports[i].guest, name))
			continue;
		n = elems_port(c, &g, &reg.ports[i], d);
		r = apply_elems(p, c, d, n, true, e);
		if (r < 0)
			goto out;
	}
	n = elems_guest(c, &g, d);
	r = apply_elems(p, c, d, n, true, e);
	if (r == 0)
		forget_claims(p, c, &g);
	if (r == 0)
		r = dns_files(p, c, &g, true, e);
	if (r == 0)
		r = restore_orig_net(p, name, e);
	if (r < 0)
		goto out;
	r = registry_del_guest(&reg, name);
	if (r == 0)
		r = registry_save(p->state, &reg);
	if (r < 0)
		fail(e, r, "guest del: saving the registry: %s", strerror(-r));
	/* A restart of the container since the first unplug made a new port,
	 * and LXC's plug hook (no lock) may have given it the fast path from the
	 * registry as it was: that port goes too, now that the registry no
	 * longer has the guest. */
	if (r == 0)
		unplug(p, &g);
out:
	registry_free(&reg);
	return r;
}

int port_add(const struct paths *p, const struct conf *c, const struct port_fwd *pf,
	     struct errmsg *e)
{
	struct elem_desc d[ELEMS_MAX];
	struct registry reg = {0};
	const struct guest *g;
	size_t n;
	int r;

	r = registry_load(p->state, &reg);
	if (r < 0)
		return fail(e, r, "port add: guest registry: %s", strerror(-r));
	g = registry_find(&reg, pf->guest);
	if (!g) {
		r = bad(e, "port add: %s is not a registered guest", pf->guest);
		goto out;
	}
	r = registry_add_port(&reg, pf);
	if (r == -EEXIST) {
		r = bad(e, "port add: %s port %u is already forwarded",
			pf->proto == IPPROTO_UDP ? "udp" : "tcp", pf->host_port);
		goto out;
	}
	if (r == 0)
		r = registry_save(p->state, &reg);
	if (r < 0) {
		fail(e, r, "port add: saving the registry: %s", strerror(-r));
		goto out;
	}
	n = elems_port(c, g, pf, d);
	r = apply_elems(p, c, d, n, false, e);
	if (r < 0) {
		registry_del_port(&reg, pf);
		registry_save(p->state, &reg);
	}
out:
	registry_free(&reg);
	return r;
}

int port_del(const struct paths *p, const struct conf *c, const struct port_fwd *pf,
	     struct errmsg *e)
{
	struct elem_desc d[ELEMS_MAX];
	struct registry reg = {0};
	const struct guest *g;
	struct port_fwd full = *pf;
	size_t n;
	int r;

	r = registry_load(p->state, &reg);
	if (r < 0)
		return fail(e, r, "port del: guest registry: %s", strerror(-r));
	g = registry_find(&reg, pf->guest);
	if (!g) {
		r = bad(e, "port del: %s is not a registered guest", pf->guest);
		goto out;
	}
	/* The guest port is not part of the key: take it from the registry. */
	for (size_t i = 0; i < reg.n_ports; i++) {
		const struct port_fwd *q = &reg.ports[i];

		if (streq(q->guest, pf->guest) && q->proto == pf->proto &&
		    q->family == pf->family && q->host_port == pf->host_port &&
		    !memcmp(&q->haddr, &pf->haddr, sizeof(q->haddr)))
			full = *q;
	}
	r = registry_del_port(&reg, pf);
	if (r == -ENOENT) {
		r = bad(e, "port del: %s has no such forward", pf->guest);
		goto out;
	}
	n = elems_port(c, g, &full, d);
	r = apply_elems(p, c, d, n, true, e);
	if (r == 0)
		r = registry_save(p->state, &reg);
out:
	registry_free(&reg);
	return r;
}
