// SPDX-License-Identifier: BSD-2-Clause
#include <arpa/inet.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/macvlan.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/neighbour.h>
#include <netlink/route/route.h>
#include <netlink/route/qdisc.h>
#include <linux/pkt_sched.h>
#include <linux/pkt_cls.h>
#include <linux/tc_act/tc_mirred.h>

#include "netlink.h"
#include "util.h"

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif

struct nlk {
	struct nl_sock *sk;
	/* The kernel's extended-ack text of the last request that failed on this
	 * socket, and the -errno it came with: nlk_strerror() shows it only for
	 * that very error. Cleared by every request. */
	char extack[256];
	int extack_err;
};

/* libnl speaks NLE_*; the rest of the program speaks -errno. */
static int nle_to_errno(int nle)
{
	switch (abs(nle)) {
	case 0:
		return 0;
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_EXIST:
		return -EEXIST;
	case NLE_NODEV:
		return -ENODEV;
	case NLE_OBJ_NOTFOUND:
		return -ENOENT;
	case NLE_PERM:
		return -EPERM;
	case NLE_INVAL:
		return -EINVAL;
	case NLE_OPNOTSUPP:
		return -EOPNOTSUPP;
	case NLE_BUSY:
		return -EBUSY;
	case NLE_RANGE:
		return -ERANGE;
	case NLE_NOADDR:
		return -EADDRNOTAVAIL;
	default:
		return -EIO;
	}
}

const char *nlk_strerror(const struct nlk *n, int r)
{
	if (n && n->extack[0] && n->extack_err == r && r < 0)
		return n->extack;
	return strerror(r < 0 ? -r : r);
}

int nlk_open(struct nlk **ret)
{
	struct nlk *n;
	int one = 1, r;

	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->sk = nl_socket_alloc();
	if (!n->sk) {
		free(n);
		return -ENOMEM;
	}
	r = nl_connect(n->sk, NETLINK_ROUTE);
	if (r < 0) {
		nl_socket_free(n->sk);
		free(n);
		return nle_to_errno(r);
	}
	/* Ask for the kernel's own words on failure (extended ack). */
	setsockopt(nl_socket_get_fd(n->sk), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	*ret = n;
	return 0;
}

void nlk_close(struct nlk *n)
{
	if (!n)
		return;
	nl_socket_free(n->sk);
	free(n);
}

struct talk {
	int err;
	bool done;
	struct nlk *n;
};

static int talk_err(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct talk *t = arg;
	struct nlmsghdr *h = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1] = {0};
	size_t off = sizeof(*e);

	t->err = e->error;
	t->done = true;
	if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
		return NL_STOP;
	if (!(h->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	if (NLMSG_HDRLEN + off >= h->nlmsg_len)
		return NL_STOP;
	if (nla_parse(tb, NLMSGERR_ATTR_MAX, (struct nlattr *)((char *)e + off),
		      (int)(h->nlmsg_len - NLMSG_HDRLEN - off), NULL) == 0 &&
	    tb[NLMSGERR_ATTR_MSG])
		snprintf(t->n->extack, sizeof(t->n->extack), "%s",
			 (const char *)nla_data(tb[NLMSGERR_ATTR_MSG]));
	return NL_STOP;
}

static int talk_ack(struct nl_msg *msg, void *arg)
{
	struct talk *t = arg;

	t->err = 0;
	t->done = true;
	return NL_STOP;
}

/*
 * A private copy of the socket's callbacks (nl_cb_put() it). nl_socket_get_cb()
 * takes a reference of its own, which is dropped here: kept, the socket's
 * callbacks would never be freed (LeakSanitizer showed it once per request).
 */
static struct nl_cb *socket_cb_clone(struct nlk *n)
{
	struct nl_cb *orig = nl_socket_get_cb(n->sk), *cb;

	if (!orig)
		return NULL;
	cb = nl_cb_clone(orig);
	nl_cb_put(orig);
	return cb;
}

/* Send one request, wait for its ACK, return the kernel's -errno. */
static int talk(struct nlk *n, struct nl_msg *msg)
{
	struct talk t = {.n = n};
	struct nl_cb *cb;
	int r;

	n->extack[0] = '\0';
	n->extack_err = 0;
	nlmsg_hdr(msg)->nlmsg_flags |= NLM_F_ACK;
	r = nl_send_auto(n->sk, msg);
	if (r < 0)
		return nle_to_errno(r);
	cb = socket_cb_clone(n);
	if (!cb)
		return -ENOMEM;
	nl_cb_err(cb, NL_CB_CUSTOM, talk_err, &t);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, talk_ack, &t);
	while (!t.done) {
		r = nl_recvmsgs(n->sk, cb);
		if (r < 0 && !t.done) {
			nl_cb_put(cb);
			return nle_to_errno(r);
		}
	}
	nl_cb_put(cb);
	if (t.err < 0)
		n->extack_err = t.err;
	else
		n->extack[0] = '\0';
	return t.err;
}

static int get_link(struct nlk *n, const char *name, struct rtnl_link **ret)
{
	int r = rtnl_link_get_kernel(n->sk, 0, name, ret);

	return r < 0 ? (r == -NLE_OBJ_NOTFOUND ? -ENODEV : nle_to_errno(r)) : 0;
}

int nlk_ifindex(struct nlk *n, const char *name)
{
	struct rtnl_link *l;
	int r = get_link(n, name, &l);

	if (r < 0)
		return r;
	r = rtnl_link_get_ifindex(l);
	rtnl_link_put(l);
	return r;
}

int nlk_link_is_bridge(struct nlk *n, const char *name)
{
	struct rtnl_link *l;
	const char *type;
	int r = get_link(n, name, &l);

	if (r < 0)
		return r;
	type = rtnl_link_get_type(l);
	r = type && streq(type, "bridge");
	rtnl_link_put(l);
	return r;
}

int nlk_link_mtu(struct nlk *n, const char *name, uint32_t *ret_mtu)
{
	struct rtnl_link *l;
	int r = get_link(n, name, &l);

	if (r < 0)
		return r;
	*ret_mtu = rtnl_link_get_mtu(l);
	rtnl_link_put(l);
	return 0;
}

int nlk_link_flags(struct nlk *n, const char *name, unsigned *ret_flags)
{
	struct rtnl_link *l;
	int r = get_link(n, name, &l);

	if (r < 0)
		return r;
	*ret_flags = rtnl_link_get_flags(l);
	rtnl_link_put(l);
	return 0;
}

/* RTM_NEWLINK for a bridge with the nf_call knobs off; libnl 3.7 has no setters. */
static int bridge_msg(struct nlk *n, const char *name, int ifindex, uint32_t mtu,
		      const uint8_t *mac)
{
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_index = ifindex};
	/* The bridge learns source MACs of IEEE link-local frames (LLDP, 802.1X,
	 * LACP) before any netfilter hook sees them: a guest could move the
	 * router's MAC to its own port. No learning from those frames. */
	struct br_boolopt_multi no_ll_learn = {
		.optval = 1u << BR_BOOLOPT_NO_LL_LEARN,
		.optmask = 1u << BR_BOOLOPT_NO_LL_LEARN,
	};
	struct nlattr *info, *data;
	struct nl_msg *msg;
	int r = -ENOMEM;

	msg = nlmsg_alloc_simple(RTM_NEWLINK,
				 NLM_F_REQUEST | (ifindex ? 0 : NLM_F_CREATE | NLM_F_EXCL));
	if (!msg)
		return -ENOMEM;
	if (nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0)
		goto out;
	if (!ifindex && nla_put_string(msg, IFLA_IFNAME, name) < 0)
		goto out;
	if (mtu && nla_put_u32(msg, IFLA_MTU, mtu) < 0)
		goto out;
	/* A MAC given to a bridge at creation stays; otherwise it takes the lowest
	 * of its ports' MACs, and the router's veths get new random ones at every
	 * start of it. */
	if (!ifindex && mac && nla_put(msg, IFLA_ADDRESS, 6, mac) < 0)
		goto out;
	info = nla_nest_start(msg, IFLA_LINKINFO);
	if (!info || nla_put_string(msg, IFLA_INFO_KIND, "bridge") < 0)
		goto out;
	data = nla_nest_start(msg, IFLA_INFO_DATA);
	if (!data || nla_put_u8(msg, IFLA_BR_NF_CALL_IPTABLES, 0) < 0 ||
	    nla_put_u8(msg, IFLA_BR_NF_CALL_IP6TABLES, 0) < 0 ||
	    nla_put_u8(msg, IFLA_BR_NF_CALL_ARPTABLES, 0) < 0 ||
	    nla_put(msg, IFLA_BR_MULTI_BOOLOPT, sizeof(no_ll_learn), &no_ll_learn) < 0)
		goto out;
	nla_nest_end(msg, data);
	nla_nest_end(msg, info);
	r = talk(n, msg);
out:
	nlmsg_free(msg);
	return r;
}

int nlk_bridge_ensure(struct nlk *n, const char *name, uint32_t mtu, const uint8_t *mac)
{
	struct rtnl_link *l;
	int r, created = 0, ifindex = 0;

	r = get_link(n, name, &l);
	if (r == 0) {
		const char *type = rtnl_link_get_type(l);

		ifindex = rtnl_link_get_ifindex(l);
		if (!type || !streq(type, "bridge"))
			r = -EEXIST;
		rtnl_link_put(l);
		if (r < 0)
			return r;
	} else if (r != -ENODEV) {
		return r;
	} else {
		created = 1;
	}
	r = bridge_msg(n, name, ifindex, mtu, mac);
	if (r < 0)
		return r;
	r = nlk_link_up(n, name, 0);
	return r < 0 ? r : created;
}

int nlk_link_up(struct nlk *n, const char *name, uint32_t mtu)
{
	struct rtnl_link *cur, *want;
	struct nl_msg *msg = NULL;
	int r;

	r = get_link(n, name, &cur);
	if (r < 0)
		return r;
	if ((rtnl_link_get_flags(cur) & IFF_UP) && (!mtu || rtnl_link_get_mtu(cur) == mtu)) {
		rtnl_link_put(cur);
		return 0;
	}
	want = rtnl_link_alloc();
	if (!want) {
		rtnl_link_put(cur);
		return -ENOMEM;
	}
	rtnl_link_set_flags(want, IFF_UP);
	if (mtu)
		rtnl_link_set_mtu(want, mtu);
	r = rtnl_link_build_change_request(cur, want, 0, &msg);
	r = r < 0 ? nle_to_errno(r) : talk(n, msg);
	nlmsg_free(msg);
	rtnl_link_put(want);
	rtnl_link_put(cur);
	return r;
}

int nlk_link_del(struct nlk *n, const char *name)
{
	struct rtnl_link *l;
	struct nl_msg *msg = NULL;
	int r;

	r = get_link(n, name, &l);
	if (r == -ENODEV)
		return 0;
	if (r < 0)
		return r;
	r = rtnl_link_build_delete_request(l, &msg);
	r = r < 0 ? nle_to_errno(r) : talk(n, msg);
	nlmsg_free(msg);
	rtnl_link_put(l);
	return r == -ENODEV ? 0 : r;
}

static struct nl_addr *mk_addr(int family, const void *addr, uint8_t plen)
{
	struct nl_addr *a;

	a = nl_addr_build(family, addr, family == AF_INET ? 4 : 16);
	if (a)
		nl_addr_set_prefixlen(a, plen);
	return a;
}

int nlk_addr_has(struct nlk *n, int ifindex, int family, const void *addr, uint8_t plen)
{
	struct nl_cache *cache;
	struct nl_addr *want;
	int found = 0, r;

	r = rtnl_addr_alloc_cache(n->sk, &cache);
	if (r < 0)
		return nle_to_errno(r);
	want = mk_addr(family, addr, plen);
	if (!want) {
		nl_cache_free(cache);
		return -ENOMEM;
	}
	for (struct nl_object *o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		struct rtnl_addr *a = (struct rtnl_addr *)o;
		struct nl_addr *local = rtnl_addr_get_local(a);

		if (rtnl_addr_get_ifindex(a) == ifindex && rtnl_addr_get_family(a) == family &&
		    local && nl_addr_cmp_prefix(local, want) == 0 &&
		    rtnl_addr_get_prefixlen(a) == plen &&
		    !memcmp(nl_addr_get_binary_addr(local), addr, family == AF_INET ? 4 : 16)) {
			found = 1;
			break;
		}
	}
	nl_addr_put(want);
	nl_cache_free(cache);
	return found;
}

int nlk_addr_ensure(struct nlk *n, int ifindex, int family, const void *addr, uint8_t plen)
{
	struct rtnl_addr *a;
	struct nl_addr *local;
	struct nl_msg *msg = NULL;
	int r;

	r = nlk_addr_has(n, ifindex, family, addr, plen);
	if (r != 0)
		return r < 0 ? r : 0;
	a = rtnl_addr_alloc();
	local = mk_addr(family, addr, plen);
	if (!a || !local) {
		r = -ENOMEM;
		goto out;
	}
	rtnl_addr_set_ifindex(a, ifindex);
	rtnl_addr_set_family(a, family);
	rtnl_addr_set_local(a, local);
	rtnl_addr_set_prefixlen(a, plen);
	if (family == AF_INET6)
		rtnl_addr_set_flags(a, IFA_F_NODAD);
	r = rtnl_addr_build_add_request(a, NLM_F_CREATE | NLM_F_REPLACE, &msg);
	r = r < 0 ? nle_to_errno(r) : talk(n, msg);
out:
	nlmsg_free(msg);
	nl_addr_put(local);
	rtnl_addr_put(a);
	return r;
}

static struct rtnl_route *mk_route(int family, const void *dst, uint8_t plen, const void *gw,
				   int ifindex)
{
	struct rtnl_route *rt = rtnl_route_alloc();
	struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
	struct nl_addr *d = mk_addr(family, dst, plen), *g = NULL;

	if (!rt || !nh || !d)
		goto fail;
	rtnl_route_set_family(rt, family);
	rtnl_route_set_table(rt, RT_TABLE_MAIN);
	rtnl_route_set_protocol(rt, RTPROT_STATIC);
	rtnl_route_set_scope(rt, gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK);
	rtnl_route_set_type(rt, RTN_UNICAST);
	if (rtnl_route_set_dst(rt, d) < 0)
		goto fail;
	rtnl_route_nh_set_ifindex(nh, ifindex);
	if (gw) {
		g = mk_addr(family, gw, family == AF_INET ? 32 : 128);
		if (!g)
			goto fail;
		rtnl_route_nh_set_gateway(nh, g);
		nl_addr_put(g);
	}
	rtnl_route_add_nexthop(rt, nh);
	nl_addr_put(d);
	return rt;
fail:
	nl_addr_put(d);
	if (nh)
		rtnl_route_nh_free(nh);
	if (rt)
		rtnl_route_put(rt);
	return NULL;
}

int nlk_route_replace(struct nlk *n, int family, const void *dst, uint8_t plen, const void *gw,
		      int ifindex)
{
	struct rtnl_route *rt = mk_route(family, dst, plen, gw, ifindex);
	struct nl_msg *msg = NULL;
	int r;

	if (!rt)
		return -ENOMEM;
	r = rtnl_route_build_add_request(rt, NLM_F_CREATE | NLM_F_REPLACE, &msg);
	r = r < 0 ? nle_to_errno(r) : talk(n, msg);
	nlmsg_free(msg);
	rtnl_route_put(rt);
	return r;
}

int nlk_route_del(struct nlk *n, int family, const void *dst, uint8_t plen, int ifindex)
{
	struct rtnl_route *rt = mk_route(family, dst, plen, NULL, ifindex);
	struct nl_msg *msg = NULL;
	int r;

	if (!rt)
		return -ENOMEM;
	rtnl_route_set_scope(rt, RT_SCOPE_NOWHERE);
	r = rtnl_route_build_del_request(rt, 0, &msg);
	r = r < 0 ? nle_to_errno(r) : talk(n, msg);
	nlmsg_free(msg);
	rtnl_route_put(rt);
	return r == -ESRCH || r == -ENOENT ? 0 : r;
}

struct route_walk {
	void (*fn)(struct rtnl_route *rt, struct route_walk *w);
	int family;
	const uint8_t *dst;
	uint8_t plen;
	const char *const *ignore;
	struct nlk *n;
	int found;
	char *desc;
	size_t size;
	int ifindex;     /* default-route search: the link (0: any) */
	uint8_t gw[16];  /* ... and its gateway */
};

static bool prefix_overlap(int family, const uint8_t *a, uint8_t alen, const uint8_t *b,
			   uint8_t blen)
{
	unsigned bits = alen < blen ? alen : blen;

	(void)family;
	for (unsigned i = 0; i < bits; i++) {
		unsigned byte = i / 8, mask = 0x80u >> (i % 8);

		if ((a[byte] & mask) != (b[byte] & mask))
			return false;
	}
	return true;
}

/* Does the route's nexthop @i leave through a link of @w->ignore? */
static bool nh_ignored(struct route_walk *w, struct rtnl_route *rt, int i, char *ifname)
{
	struct rtnl_nexthop *nh = rtnl_route_nexthop_n(rt, i);
	int oif = nh ? rtnl_route_nh_get_ifindex(nh) : 0;

	strcpy(ifname, "?");
	if (oif)
		if_indextoname(oif, ifname);
	for (const char *const *ig = w->ignore; ig && *ig; ig++)
		if (streq(*ig, ifname))
			return true;
	return false;
}

static void walk_route(struct rtnl_route *rt, struct route_walk *w)
{
	struct nl_addr *d = rtnl_route_get_dst(rt);
	uint8_t zero[16] = {0};
	const uint8_t *bin;
	uint8_t plen;
	int nnh = rtnl_route_get_nnexthops(rt);
	char ifname[IF_NAMESIZE], buf[INET6_ADDRSTRLEN];

	if (w->found || rtnl_route_get_family(rt) != w->family)
		return;
	if (rtnl_route_get_type(rt) != RTN_UNICAST)
		return;
	plen = d ? nl_addr_get_prefixlen(d) : 0;
	bin = d && nl_addr_get_len(d) ? nl_addr_get_binary_addr(d) : zero;
	/* A default route overlaps everything and conflicts with nothing. */
	if (plen == 0)
		return;
	if (w->family == AF_INET6 && bin[0] == 0xfe && (bin[1] & 0xc0) == 0x80)
		return;
	if (rtnl_route_get_table(rt) == RT_TABLE_LOCAL)
		return;
	if (!prefix_overlap(w->family, bin, plen, w->dst, w->plen))
		return;
	/* Every nexthop counts: one through a foreign link is an overlap. */
	for (int i = 0; i < (nnh > 0 ? nnh : 1); i++) {
		if (nh_ignored(w, rt, i, ifname))
			continue;
		w->found = 1;
		inet_ntop(w->family, bin, buf, sizeof(buf));
		snprintf(w->desc, w->size, "%s/%u dev %s", buf, plen, ifname);
		return;
	}
}

static int walk_msg(struct nl_msg *msg, void *arg)
{
	struct rtnl_route *rt = NULL;

	if (rtnl_route_parse(nlmsg_hdr(msg), &rt) == 0) {
		struct route_walk *w = arg;

		w->fn(rt, w);
		rtnl_route_put(rt);
	}
	return NL_OK;
}

/*
 * Every route of the family, one message at a time. Not through a libnl route
 * cache: the cache keys routes by (family, tos, table, dst, priority) and keeps
 * one of those that share a key, so a foreign route with the very prefix of one
 * of ours (an address in host_subnet on the uplink) would stay hidden.
 */
/* A dump request of @type with header @hdr, each message to @cb, on a socket of
 * its own (the dump's replies never mix with a request's ACK). 0 or -errno. */
static int dump(int type, const void *hdr, size_t len, nl_recvmsg_msg_cb_t cb, void *arg)
{
	struct nl_sock *sk = nl_socket_alloc();
	int r;

	if (!sk)
		return -ENOMEM;
	r = nl_connect(sk, NETLINK_ROUTE);
	if (r == 0)
		r = nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, cb, arg);
	if (r == 0)
		r = nl_send_simple(sk, type, NLM_F_DUMP, (void *)hdr, len);
	if (r >= 0)
		r = nl_recvmsgs_default(sk);
	nl_socket_free(sk);
	return r < 0 ? nle_to_errno(r) : 0;
}

static int route_walk(struct nlk *n, struct route_walk *w)
{
	struct rtgenmsg g = {.rtgen_family = (unsigned char)w->family};
	int r;

	(void)n;
	r = dump(RTM_GETROUTE, &g, sizeof(g), walk_msg, w);
	return r < 0 ? r : w->found;
}

int nlk_route_overlap(struct nlk *n, int family, const void *dst, uint8_t plen,
		      const char *const *ignore, char *desc, size_t size)
{
	struct route_walk w = {.fn = walk_route, .family = family, .dst = dst, .plen = plen,
			       .ignore = ignore, .n = n, .desc = desc, .size = size};

	return route_walk(n, &w);
}

/* A default route of the main table with a gateway on @w->ifindex (any link if 0). */
static void walk_default(struct rtnl_route *rt, struct route_walk *w)
{
	struct nl_addr *d = rtnl_route_get_dst(rt);
	int nnh = rtnl_route_get_nnexthops(rt);

	if (w->found || rtnl_route_get_family(rt) != w->family ||
	    rtnl_route_get_type(rt) != RTN_UNICAST || rtnl_route_get_table(rt) != RT_TABLE_MAIN ||
	    (d && nl_addr_get_prefixlen(d) != 0))
		return;
	for (int i = 0; i < nnh; i++) {
		struct rtnl_nexthop *nh = rtnl_route_nexthop_n(rt, i);
		struct nl_addr *gw = nh ? rtnl_route_nh_get_gateway(nh) : NULL;

		if (!gw || (w->ifindex && rtnl_route_nh_get_ifindex(nh) != w->ifindex) ||
		    nl_addr_get_len(gw) != (w->family == AF_INET ? 4u : 16u))
			continue;
		memcpy(w->gw, nl_addr_get_binary_addr(gw), nl_addr_get_len(gw));
		w->found = 1;
		return;
	}
}

int nlk_default_gw(struct nlk *n, int family, int ifindex, void *ret_gw)
{
	struct route_walk w = {.fn = walk_default, .family = family, .ifindex = ifindex, .n = n};
	int r = route_walk(n, &w);

	if (r < 0)
		return r;
	if (!w.found)
		return -ENOENT;
	memcpy(ret_gw, w.gw, family == AF_INET ? 4 : 16);
	return 0;
}

static struct rtnl_neigh *mk_proxy(int ifindex, int family, const void *addr)
{
	struct rtnl_neigh *ne = rtnl_neigh_alloc();
	struct nl_addr *a = mk_addr(family, addr, family == AF_INET ? 32 : 128);

	if (!ne || !a) {
		nl_addr_put(a);
		if (ne)
			rtnl_neigh_put(ne);
		return NULL;
	}
	rtnl_neigh_set_ifindex(ne, ifindex);
	rtnl_neigh_set_family(ne, family);
	rtnl_neigh_set_dst(ne, a);
	rtnl_neigh_set_flags(ne, NTF_PROXY);
	nl_addr_put(a);
	return ne;
}

int nlk_proxy_add(struct nlk *n, int ifindex, int family, const void *addr)
{
	struct rtnl_neigh *ne = mk_proxy(ifindex, family, addr);
	struct nl_msg *msg = NULL;
	int r;

	if (!ne)
		return -ENOMEM;
	r = rtnl_neigh_build_add_request(ne, NLM_F_CREATE | NLM_F_REPLACE, &msg);
	r = r < 0 ? nle_to_errno(r) : talk(n, msg);
	nlmsg_free(msg);
	rtnl_neigh_put(ne);
	return r;
}

int nlk_proxy_del(struct nlk *n, int ifindex, int family, const void *addr)
{
	struct rtnl_neigh *ne = mk_proxy(ifindex, family, addr);
	struct nl_msg *msg = NULL;
	int r;

	if (!ne)
		return -ENOMEM;
	r = rtnl_neigh_build_delete_request(ne, 0, &msg);
	r = r < 0 ? nle_to_errno(r) : talk(n, msg);
	nlmsg_free(msg);
	rtnl_neigh_put(ne);
	return r == -ENOENT ? 0 : r;
}

int nlk_neigh_del(struct nlk *n, int ifindex, int family, const void *addr)
{
	struct rtnl_neigh *ne = mk_proxy(ifindex, family, addr);
	struct nl_msg *msg = NULL;
	int r;

	if (!ne)
		return -ENOMEM;
	rtnl_neigh_unset_flags(ne, NTF_PROXY);
	r = rtnl_neigh_build_delete_request(ne, 0, &msg);
	r = r < 0 ? nle_to_errno(r) : talk(n, msg);
	nlmsg_free(msg);
	rtnl_neigh_put(ne);
	return r == -ENOENT ? 0 : r;
}

struct proxy_dump {
	int ifindex, family;
	const void *addr;
	int found;
};

static int proxy_dump_cb(struct nl_msg *msg, void *arg)
{
	struct proxy_dump *d = arg;
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct ndmsg *ndm = nlmsg_data(h);
	struct nlattr *tb[NDA_MAX + 1];

	if (h->nlmsg_type != RTM_NEWNEIGH || !(ndm->ndm_flags & NTF_PROXY) ||
	    ndm->ndm_family != d->family || ndm->ndm_ifindex != d->ifindex)
		return NL_OK;
	if (nlmsg_parse(h, sizeof(*ndm), tb, NDA_MAX, NULL) < 0 || !tb[NDA_DST])
		return NL_OK;
	if (nla_len(tb[NDA_DST]) == (d->family == AF_INET ? 4 : 16) &&
	    !memcmp(nla_data(tb[NDA_DST]), d->addr, (size_t)nla_len(tb[NDA_DST])))
		d->found = 1;
	return NL_OK;
}

/* libnl's neighbour cache never asks for proxy entries: dump them by hand. */
int nlk_proxy_has(struct nlk *n, int ifindex, int family, const void *addr)
{
	struct ndmsg ndm = {.ndm_family = (uint8_t)family, .ndm_flags = NTF_PROXY};
	struct proxy_dump d = {.ifindex = ifindex, .family = family, .addr = addr};
	struct nl_msg *msg;
	struct nl_cb *cb;
	int r;

	msg = nlmsg_alloc_simple(RTM_GETNEIGH, NLM_F_REQUEST | NLM_F_DUMP);
	if (!msg)
		return -ENOMEM;
	r = nlmsg_append(msg, &ndm, sizeof(ndm), NLMSG_ALIGNTO);
	if (r == 0)
		r = nl_send_auto(n->sk, msg);
	nlmsg_free(msg);
	if (r < 0)
		return nle_to_errno(r);
	cb = socket_cb_clone(n);
	if (!cb)
		return -ENOMEM;
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, proxy_dump_cb, &d);
	r = nl_recvmsgs(n->sk, cb);
	nl_cb_put(cb);
	return r < 0 ? nle_to_errno(r) : d.found;
}

int nlk_veth_add(struct nlk *n, const char *name, const char *peer, uint32_t mtu)
{
	struct rtnl_link *l = rtnl_link_veth_alloc(), *p;
	struct nl_msg *msg = NULL;
	int r;

	if (!l)
		return -ENOMEM;
	rtnl_link_set_name(l, name);
	p = rtnl_link_veth_get_peer(l);
	rtnl_link_set_name(p, peer);
	if (mtu) {
		rtnl_link_set_mtu(l, mtu);
		rtnl_link_set_mtu(p, mtu);
	}
	rtnl_link_put(p);
	r = rtnl_link_build_add_request(l, NLM_F_CREATE | NLM_F_EXCL, &msg);
	r = r < 0 ? nle_to_errno(r) : talk(n, msg);
	nlmsg_free(msg);
	rtnl_link_veth_release(l);
	return r;
}

int nlk_macvlan_add(struct nlk *n, const char *name, const char *lower)
{
	return nlk_macvlan_add_in(n, name, lower, -1);
}

int nlk_macvlan_add_in(struct nlk *n, const char *name, const char *lower, int netns_fd)
{
	struct rtnl_link *l;
	struct nl_msg *msg = NULL;
	int r, idx = nlk_ifindex(n, lower);

	if (idx < 0)
		return idx;
	l = rtnl_link_macvlan_alloc();
	if (!l)
		return -ENOMEM;
	rtnl_link_set_name(l, name);
	rtnl_link_set_link(l, idx);
	rtnl_link_macvlan_set_mode(l, rtnl_link_macvlan_str2mode("bridge"));
	if (netns_fd >= 0)
		rtnl_link_set_ns_fd(l, netns_fd);
	r = rtnl_link_build_add_request(l, NLM_F_CREATE | NLM_F_EXCL, &msg);
	r = r < 0 ? nle_to_errno(r) : talk(n, msg);
	nlmsg_free(msg);
	rtnl_link_put(l);
	return r;
}

int nlk_link_move(struct nlk *n, const char *name, int netns_fd, const char *newname)
{
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
	struct nl_msg *msg;
	int r, idx = nlk_ifindex(n, name);

	if (idx < 0)
		return idx;
	ifi.ifi_index = idx;
	msg = nlmsg_alloc_simple(RTM_NEWLINK, NLM_F_REQUEST);
	if (!msg)
		return -ENOMEM;
	r = -ENOMEM;
	if (nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) == 0 &&
	    nla_put_u32(msg, IFLA_NET_NS_FD, (uint32_t)netns_fd) == 0 &&
	    (!newname || nla_put_string(msg, IFLA_IFNAME, newname) == 0))
		r = talk(n, msg);
	nlmsg_free(msg);
	return r;
}

int nlk_link_set_master(struct nlk *n, const char *name, const char *master)
{
	struct rtnl_link *cur, *want;
	struct nl_msg *msg = NULL;
	int r, midx = nlk_ifindex(n, master);

	if (midx < 0)
		return midx;
	r = get_link(n, name, &cur);
	if (r < 0)
		return r;
	if (rtnl_link_get_master(cur) == midx) {
		rtnl_link_put(cur);
		return 0;
	}
	want = rtnl_link_alloc();
	if (!want) {
		rtnl_link_put(cur);
		return -ENOMEM;
	}
	rtnl_link_set_master(want, midx);
	r = rtnl_link_build_change_request(cur, want, 0, &msg);
	r = r < 0 ? nle_to_errno(r) : talk(n, msg);
	nlmsg_free(msg);
	rtnl_link_put(want);
	rtnl_link_put(cur);
	return r;
}

int nlk_link_set_mac(struct nlk *n, const char *name, const uint8_t mac[6])
{
	struct rtnl_link *cur, *want;
	struct nl_addr *a;
	struct nl_msg *msg = NULL;
	int r;

	r = get_link(n, name, &cur);
	if (r < 0)
		return r;
	want = rtnl_link_alloc();
	a = nl_addr_build(AF_LLC, mac, 6);
	if (!want || !a) {
		r = -ENOMEM;
		goto out;
	}
	rtnl_link_set_addr(want, a);
	r = rtnl_link_build_change_request(cur, want, 0, &msg);
	r = r < 0 ? nle_to_errno(r) : talk(n, msg);
out:
	nlmsg_free(msg);
	nl_addr_put(a);
	if (want)
		rtnl_link_put(want);
	rtnl_link_put(cur);
	return r;
}

int nlk_addr_first_global(struct nlk *n, int ifindex, int family, void *ret_addr,
			  uint8_t *ret_plen)
{
	struct nl_cache *cache;
	int r = -ENOENT;

	if (rtnl_addr_alloc_cache(n->sk, &cache) < 0)
		return -EIO;
	for (struct nl_object *o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		struct rtnl_addr *a = (struct rtnl_addr *)o;
		struct nl_addr *local = rtnl_addr_get_local(a);

		if (rtnl_addr_get_ifindex(a) != ifindex || rtnl_addr_get_family(a) != family ||
		    rtnl_addr_get_scope(a) != RT_SCOPE_UNIVERSE || !local ||
		    (rtnl_addr_get_flags(a) & IFA_F_TENTATIVE))
			continue;
		memcpy(ret_addr, nl_addr_get_binary_addr(local), family == AF_INET ? 4 : 16);
		*ret_plen = (uint8_t)rtnl_addr_get_prefixlen(a);
		r = 0;
		break;
	}
	nl_cache_free(cache);
	return r;
}

int nlk_addr_list(struct nlk *n, int ifindex, int family, struct nlk_addr *out, size_t max)
{
	struct nl_cache *cache;
	int count = 0;

	if (rtnl_addr_alloc_cache(n->sk, &cache) < 0)
		return -EIO;
	for (struct nl_object *o = nl_cache_get_first(cache); o && (size_t)count < max;
	     o = nl_cache_get_next(o)) {
		struct rtnl_addr *a = (struct rtnl_addr *)o;
		struct nl_addr *local = rtnl_addr_get_local(a);

		if (rtnl_addr_get_ifindex(a) != ifindex || rtnl_addr_get_family(a) != family ||
		    rtnl_addr_get_scope(a) != RT_SCOPE_UNIVERSE || !local ||
		    nl_addr_get_len(local) != (family == AF_INET ? 4u : 16u))
			continue;
		memset(&out[count], 0, sizeof(out[count]));
		out[count].family = family;
		memcpy(out[count].addr, nl_addr_get_binary_addr(local), nl_addr_get_len(local));
		out[count].plen = (uint8_t)rtnl_addr_get_prefixlen(a);
		count++;
	}
	nl_cache_free(cache);
	return count;
}

int nlk_tx_csum_off(struct nlk *n, const char *ifname)
{
	struct ethtool_value ev = {.cmd = ETHTOOL_STXCSUM, .data = 0};
	struct ifreq ifr = {0};
	_cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	(void)n; /* the ethtool ioctl needs a socket of the namespace, not netlink */
	if (fd < 0)
		return -errno;
	if (strscpy(ifr.ifr_name, sizeof(ifr.ifr_name), ifname) < 0)
		return -ENAMETOOLONG;
	ifr.ifr_data = (void *)&ev;
	return ioctl(fd, SIOCETHTOOL, &ifr) < 0 ? -errno : 0;
}

/*
 * The guest port's fast path (segment.c). The port's ingress qdisc holds two
 * u32 filters that hand DHCP to the bridge (classified, no action: the frame
 * goes on as before) and one that takes an IPv4 frame from the guest's own MAC
 * and address to the router's MAC straight into @router_if's receive path
 * (mirred ingress redirect), past the bridge and its guard chain, whose
 * verdict for such a frame is known: the same checks as ip4_in, on the same
 * frame. The port gets the router's MAC, so that the frame is the router's own
 * (PACKET_HOST) when it arrives there; and a static FDB entry for the guest's
 * MAC, which the bridge would otherwise learn only from the frames that still
 * cross it. Offsets are from the IPv4 header (u32 keys are 32-bit aligned; the
 * MAC header is 14 bytes before it). The two DHCP filters hold no identity:
 * made once and kept, so that the redirect never exists without them, even
 * when `plug` (no lock) and `up` do this at once. The redirect is replaced;
 * on a failure it is removed (the frames take the bridge). With @ip4 NULL or
 * 0.0.0.0 the qdisc and its filters go (the MAC and the FDB entry stay; they
 * let nothing through).
 */
#define FP_HANDLE TC_H_MAKE(TC_H_INGRESS, 0)

static int fp_qdisc(struct nlk *n, int ifindex, bool add)
{
	struct rtnl_qdisc *q = rtnl_qdisc_alloc();
	struct nl_msg *msg = NULL;
	int r;

	if (!q)
		return -ENOMEM;
	rtnl_tc_set_ifindex(TC_CAST(q), ifindex);
	rtnl_tc_set_parent(TC_CAST(q), TC_H_INGRESS);
	rtnl_tc_set_handle(TC_CAST(q), FP_HANDLE);
	r = rtnl_tc_set_kind(TC_CAST(q), "ingress");
	if (r >= 0)
		r = add ? rtnl_qdisc_build_add_request(q, NLM_F_CREATE | NLM_F_EXCL, &msg)
			: rtnl_qdisc_build_delete_request(q, &msg);
	r = r < 0 ? nle_to_errno(r) : msg ? talk(n, msg) : -ENOMEM;
	nlmsg_free(msg);
	rtnl_qdisc_put(q);
	return r;
}

struct fp_key {
	int off;
	uint32_t val, mask; /* host order */
};

/* One u32 filter on @ifindex's ingress: all of @k match (offsets from the IPv4
 * header), then the frame goes on as before (@redirect_to 0) or into the
 * receive path of @redirect_to (mirred ingress redirect). Built by hand:
 * libnl's mirred knows only the egress actions. */
/* The header of a request for @ifindex's ingress filters of priority @prio. */
static struct tcmsg fp_tcm(int ifindex, uint16_t prio)
{
	return (struct tcmsg){
		.tcm_family = AF_UNSPEC,
		.tcm_ifindex = ifindex,
		.tcm_parent = FP_HANDLE,
		.tcm_info = TC_H_MAKE((uint32_t)prio << 16, htons(ETH_P_IP)),
	};
}

static int fp_filter(struct nlk *n, int ifindex, uint16_t prio, const struct fp_key *k, size_t nk,
		     int redirect_to)
{
	struct tcmsg tcm = fp_tcm(ifindex, prio);
	_Alignas(struct tc_u32_sel) uint8_t sel[sizeof(struct tc_u32_sel) +
						 8 * sizeof(struct tc_u32_key)] = {0};
	struct tc_u32_sel *hdr = (struct tc_u32_sel *)sel;
	struct tc_mirred mirred = {
		.action = TC_ACT_STOLEN,
		.eaction = TCA_INGRESS_REDIR,
		.ifindex = (uint32_t)redirect_to,
	};
	struct nlattr *opt, *acts, *act, *aopt;
	struct nl_msg *msg;
	int r = -ENOMEM;

	if (nk > 8)
		return -EINVAL;
	hdr->flags = TC_U32_TERMINAL;
	hdr->nkeys = (unsigned char)nk;
	for (size_t i = 0; i < nk; i++) {
		struct tc_u32_key key = {
			.mask = htonl(k[i].mask),
			.val = htonl(k[i].val & k[i].mask),
			.off = k[i].off,
		};

		memcpy(sel + sizeof(*hdr) + i * sizeof(key), &key, sizeof(key));
	}
	msg = nlmsg_alloc_simple(RTM_NEWTFILTER, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL);
	if (!msg)
		return -ENOMEM;
	if (nlmsg_append(msg, &tcm, sizeof(tcm), NLMSG_ALIGNTO) < 0 ||
	    nla_put_string(msg, TCA_KIND, "u32") < 0 || !(opt = nla_nest_start(msg, TCA_OPTIONS)) ||
	    nla_put(msg, TCA_U32_SEL, (int)(sizeof(*hdr) + nk * sizeof(struct tc_u32_key)), sel) < 0)
		goto out;
	if (!redirect_to) {
		if (nla_put_u32(msg, TCA_U32_CLASSID, TC_H_MAKE(1u << 16, 1)) < 0)
			goto out;
	} else {
		if (!(acts = nla_nest_start(msg, TCA_U32_ACT)) || !(act = nla_nest_start(msg, 1)) ||
		    nla_put_string(msg, TCA_ACT_KIND, "mirred") < 0 ||
		    !(aopt = nla_nest_start(msg, TCA_ACT_OPTIONS)) ||
		    nla_put(msg, TCA_MIRRED_PARMS, sizeof(mirred), &mirred) < 0)
			goto out;
		nla_nest_end(msg, aopt);
		nla_nest_end(msg, act);
		nla_nest_end(msg, acts);
	}
	nla_nest_end(msg, opt);
	r = talk(n, msg);
out:
	nlmsg_free(msg);
	return r;
}

/* Remove the filters of priority @prio from @ifindex's ingress (none there: 0). */
static int fp_filter_del(struct nlk *n, int ifindex, uint16_t prio)
{
	struct tcmsg tcm = fp_tcm(ifindex, prio);
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_DELTFILTER, NLM_F_REQUEST);
	int r = -ENOMEM;

	if (msg && nlmsg_append(msg, &tcm, sizeof(tcm), NLMSG_ALIGNTO) == 0)
		r = talk(n, msg);
	nlmsg_free(msg);
	return r == -ENOENT || r == -EINVAL ? 0 : r;
}

/* Dump callback: the priorities (1-31) of the filters seen, as bits. */
static int fp_prio_msg(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *h = nlmsg_hdr(msg);
	uint32_t *prios = arg, prio;

	if (h->nlmsg_type != RTM_NEWTFILTER || nlmsg_datalen(h) < (int)sizeof(struct tcmsg))
		return NL_OK;
	prio = TC_H_MAJ(((struct tcmsg *)nlmsg_data(h))->tcm_info) >> 16;
	if (prio < 32)
		*prios |= 1u << prio;
	return NL_OK;
}

/* The DHCP filters (priorities 1 and 2) that are not there yet: u32 takes a
 * second filter of a priority as another node, so adding one again would
 * pile them up. One dump for both. */
static int fp_dhcp_filters(struct nlk *n, int ifindex, const struct fp_key *from67, size_t n1,
			   const struct fp_key *to67, size_t n2)
{
	struct tcmsg tcm = fp_tcm(ifindex, 0);
	uint32_t prios = 0;
	int r;

	tcm.tcm_info = 0; /* every priority */
	r = dump(RTM_GETTFILTER, &tcm, sizeof(tcm), fp_prio_msg, &prios);
	if (r == 0 && !(prios & 1u << 1))
		r = fp_filter(n, ifindex, 1, from67, n1, 0);
	if (r == 0 && !(prios & 1u << 2))
		r = fp_filter(n, ifindex, 2, to67, n2, 0);
	return r;
}

static int fdb_static(struct nlk *n, int ifindex, const uint8_t mac[6])
{
	struct rtnl_neigh *ne = rtnl_neigh_alloc();
	struct nl_addr *a = nl_addr_build(AF_LLC, mac, 6);
	struct nl_msg *msg = NULL;
	int r = -ENOMEM;

	if (ne && a) {
		rtnl_neigh_set_family(ne, AF_BRIDGE);
		rtnl_neigh_set_ifindex(ne, ifindex);
		rtnl_neigh_set_lladdr(ne, a);
		rtnl_neigh_set_state(ne, NUD_NOARP);
		rtnl_neigh_set_flags(ne, NTF_MASTER);
		r = rtnl_neigh_build_add_request(ne, NLM_F_CREATE | NLM_F_REPLACE, &msg);
		r = r < 0 ? nle_to_errno(r) : msg ? talk(n, msg) : -ENOMEM;
	}
	nlmsg_free(msg);
	nl_addr_put(a);
	if (ne)
		rtnl_neigh_put(ne);
	return r;
}

/* @name's MAC and ifindex. */
static int link_mac(struct nlk *n, const char *name, uint8_t mac[6], int *ifindex)
{
	struct rtnl_link *l = NULL;
	struct nl_addr *a;
	int r = get_link(n, name, &l);

	if (r < 0)
		return r;
	a = rtnl_link_get_addr(l);
	if (a && nl_addr_get_len(a) == 6)
		memcpy(mac, nl_addr_get_binary_addr(a), 6);
	else
		r = -EADDRNOTAVAIL;
	if (ifindex)
		*ifindex = rtnl_link_get_ifindex(l);
	rtnl_link_put(l);
	return r;
}

int nlk_port_fastpath(struct nlk *n, const char *port, const char *router_if,
		      const uint8_t guest_mac[6], const struct in_addr *ip4)
{
	uint8_t rmac[6], pmac[6];
	int pidx, ridx, r;

	r = link_mac(n, port, pmac, &pidx);
	if (r < 0)
		return r;
	if (!ip4 || !ip4->s_addr) {
		r = fp_qdisc(n, pidx, false);
		return r == -ENOENT || r == -EINVAL ? 0 : r;
	}
	r = link_mac(n, router_if, rmac, &ridx);
	if (r < 0)
		return r;

	const uint8_t *g = guest_mac;
	const struct fp_key ihl5 = {0, 0x05000000, 0x0f000000},
			    udp = {8, 0x00110000, 0x00ff0000}; /* protocol, byte 9 */
	const struct fp_key from67[] = {ihl5, udp, {20, 67u << 16, 0xffff0000}};
	const struct fp_key to67[] = {ihl5, udp, {20, 67, 0x0000ffff}};
	const struct fp_key fast[] = {
		ihl5,
		{12, ntohl(ip4->s_addr), 0xffffffff},
		{-16, (uint32_t)rmac[0] << 8 | rmac[1], 0x0000ffff},
		{-12, (uint32_t)rmac[2] << 24 | rmac[3] << 16 | rmac[4] << 8 | rmac[5], 0xffffffff},
		{-8, (uint32_t)g[0] << 24 | g[1] << 16 | g[2] << 8 | g[3], 0xffffffff},
		{-4, (uint32_t)g[4] << 24 | g[5] << 16 | ETH_P_IP, 0xffffffff},
	};

	/* Only when it differs: setting a link's MAC, even to the same one, is a
	 * NETDEV_CHANGEADDR, and the bridge redoes its local entries for it. */
	if (memcmp(pmac, rmac, 6))
		r = nlk_link_set_mac(n, port, rmac);
	if (r == 0)
		r = fdb_static(n, pidx, guest_mac);
	/* A qdisc that is there stays: adding or removing one deactivates the
	 * link for a moment (frames to the guest are dropped), so `up` under
	 * traffic only replaces the filters, the redirect first out, last in. */
	if (r == 0) {
		r = fp_qdisc(n, pidx, true);
		if (r == -EEXIST)
			r = 0;
	}
	if (r == 0)
		r = fp_dhcp_filters(n, pidx, from67, ARRAY_SIZE(from67), to67, ARRAY_SIZE(to67));
	if (r == 0)
		r = fp_filter_del(n, pidx, 3);
	if (r == 0)
		r = fp_filter(n, pidx, 3, fast, ARRAY_SIZE(fast), ridx);
	if (r < 0)
		fp_filter_del(n, pidx, 3);
	return r;
}
