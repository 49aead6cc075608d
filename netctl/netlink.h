/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * rtnetlink through libnl-route-3: links, bridges, addresses, routes and
 * proxy neighbours. The only module that includes libnl. Each call works in
 * the namespace the socket was opened in; see netns.h.
 */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

struct nlk; /* opaque: socket plus scratch state */

int nlk_open(struct nlk **ret);
void nlk_close(struct nlk *n);

/* ifindex (> 0), or -ENODEV. */
int nlk_ifindex(struct nlk *n, const char *name);
int nlk_link_mtu(struct nlk *n, const char *name, uint32_t *ret_mtu);
/* 1 if @name is a bridge, 0 if another kind, -errno (-ENODEV: none). */
int nlk_link_is_bridge(struct nlk *n, const char *name);
/* Flags IFF_UP etc. */
int nlk_link_flags(struct nlk *n, const char *name, unsigned *ret_flags);

/*
 * nlk_bridge_ensure - create bridge @name, or repair an existing one: MTU,
 * nf_call_{ip,ip6,arp}tables = 0 (so br_netfilter never filters guest frames),
 * link up. A new bridge gets the fixed MAC @mac (NULL: the kernel's choice);
 * an existing one keeps its own. Returns 1 if created, 0 if it existed,
 * -errno (-EEXIST if @name exists but is not a bridge).
 */
int nlk_bridge_ensure(struct nlk *n, const char *name, uint32_t mtu, const uint8_t *mac);
/* Set MTU (0 = leave) and bring it up. */
int nlk_link_up(struct nlk *n, const char *name, uint32_t mtu);
/* Delete a link; a missing one is not an error. */
int nlk_link_del(struct nlk *n, const char *name);

/* Add an address if missing (IFA_F_NODAD for IPv6). family AF_INET/AF_INET6. */
int nlk_addr_ensure(struct nlk *n, int ifindex, int family, const void *addr, uint8_t plen);
/* 1 if present, 0 if not. */
int nlk_addr_has(struct nlk *n, int ifindex, int family, const void *addr, uint8_t plen);

/* Create or replace a unicast route in the main table. gw may be NULL. */
int nlk_route_replace(struct nlk *n, int family, const void *dst, uint8_t plen, const void *gw,
		      int ifindex);
int nlk_route_del(struct nlk *n, int family, const void *dst, uint8_t plen, int ifindex);

/*
 * nlk_route_overlap - is there a route in any table (local/multicast/link-local
 * and default routes excepted) overlapping dst/plen, on an interface not in
 * @ignore (NULL-terminated)? Returns 1 and a description "ROUTE dev IF" in desc, 0, or -errno.
 */
int nlk_route_overlap(struct nlk *n, int family, const void *dst, uint8_t plen,
		      const char *const *ignore, char *desc, size_t size);

/* Proxy neighbour entries (NTF_PROXY), as `ip neigh add proxy`. */
int nlk_proxy_add(struct nlk *n, int ifindex, int family, const void *addr);
int nlk_proxy_del(struct nlk *n, int ifindex, int family, const void *addr);
int nlk_proxy_has(struct nlk *n, int ifindex, int family, const void *addr);
/* Forget a neighbour cache entry (an address that moved to another host); none is not an error. */
int nlk_neigh_del(struct nlk *n, int ifindex, int family, const void *addr);

/*
 * nlk_strerror - the text for @r, a -errno from a call on @n: the kernel's
 * own extended-ack message when the last request on @n failed with exactly
 * @r and came with one, else strerror(). @n may be NULL.
 */
const char *nlk_strerror(const struct nlk *n, int r);

/* Create a veth pair (both ends in this namespace, down). -EEXIST if present. */
int nlk_veth_add(struct nlk *n, const char *name, const char *peer, uint32_t mtu);
/* Create a macvlan (bridge mode) on @lower. */
int nlk_macvlan_add(struct nlk *n, const char *name, const char *lower);
/* The same, born in the network namespace of @netns_fd (-1: this one). */
int nlk_macvlan_add_in(struct nlk *n, const char *name, const char *lower, int netns_fd);
/* Move @name into the network namespace of @netns_fd, renamed @newname there (NULL: same name). */
int nlk_link_move(struct nlk *n, const char *name, int netns_fd, const char *newname);
/* Enslave @name to bridge @master (no-op if already). */
int nlk_link_set_master(struct nlk *n, const char *name, const char *master);
/* Set a link's MAC address. */
int nlk_link_set_mac(struct nlk *n, const char *name, const uint8_t mac[6]);
/* The gateway of the main table's default route via @ifindex (0: any link): 0, -ENOENT, -errno. */
int nlk_default_gw(struct nlk *n, int family, int ifindex, void *ret_gw);
/* One global (universe-scope) address of a link. */
struct nlk_addr {
	int family;
	uint8_t addr[16];
	uint8_t plen;
};
/* The global addresses of @family on @ifindex (up to @max) into @out: the count, or -errno. */
int nlk_addr_list(struct nlk *n, int ifindex, int family, struct nlk_addr *out, size_t max);
/* Turn off tx checksum offload of @ifname (ethtool; a veth never fills in dnsmasq's partial sums). */
int nlk_tx_csum_off(struct nlk *n, const char *ifname);
/* A guest port's fast path past the bridge for its own IPv4 frames to the router
 * (see netlink.c); @ip4 NULL or 0.0.0.0: only removes it. 0 or -errno. */
int nlk_port_fastpath(struct nlk *n, const char *port, const char *router_if,
		      const uint8_t guest_mac[6], const struct in_addr *ip4);
/* First global-scope address of @family on @ifindex (0 and the address, or -ENOENT). */
int nlk_addr_first_global(struct nlk *n, int ifindex, int family, void *ret_addr,
			  uint8_t *ret_plen);
