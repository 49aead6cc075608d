/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The functions of netlink.h and probe.h that return int, as one X-macro
 * list: X(name, parameters, arguments). netlink-lazy.c builds the binary's
 * side of them from it (see there).
 */
#pragma once

#define NLK_API_INT(X)                                                                            \
	X(nlk_open, (struct nlk * *ret), (ret))                                                  \
	X(nlk_ifindex, (struct nlk * n, const char *name), (n, name))                              \
	X(nlk_link_mtu, (struct nlk * n, const char *name, uint32_t *ret_mtu), (n, name, ret_mtu)) \
	X(nlk_link_is_bridge, (struct nlk * n, const char *name), (n, name))                      \
	X(nlk_link_flags, (struct nlk * n, const char *name, unsigned *ret_flags),                 \
	  (n, name, ret_flags))                                                                    \
	X(nlk_bridge_ensure, (struct nlk * n, const char *name, uint32_t mtu, const uint8_t *mac),\
	  (n, name, mtu, mac))                                                                     \
	X(nlk_link_up, (struct nlk * n, const char *name, uint32_t mtu), (n, name, mtu))           \
	X(nlk_link_del, (struct nlk * n, const char *name), (n, name))                             \
	X(nlk_addr_ensure,                                                                         \
	  (struct nlk * n, int ifindex, int family, const void *addr, uint8_t plen),               \
	  (n, ifindex, family, addr, plen))                                                        \
	X(nlk_addr_has, (struct nlk * n, int ifindex, int family, const void *addr, uint8_t plen), \
	  (n, ifindex, family, addr, plen))                                                        \
	X(nlk_route_replace,                                                                       \
	  (struct nlk * n, int family, const void *dst, uint8_t plen, const void *gw, int ifindex), \
	  (n, family, dst, plen, gw, ifindex))                                                     \
	X(nlk_route_del, (struct nlk * n, int family, const void *dst, uint8_t plen, int ifindex), \
	  (n, family, dst, plen, ifindex))                                                         \
	X(nlk_route_overlap,                                                                       \
	  (struct nlk * n, int family, const void *dst, uint8_t plen, const char *const *ignore,   \
	   char *desc, size_t size),                                                               \
	  (n, family, dst, plen, ignore, desc, size))                                              \
	X(nlk_proxy_add, (struct nlk * n, int ifindex, int family, const void *addr),              \
	  (n, ifindex, family, addr))                                                              \
	X(nlk_proxy_del, (struct nlk * n, int ifindex, int family, const void *addr),              \
	  (n, ifindex, family, addr))                                                              \
	X(nlk_proxy_has, (struct nlk * n, int ifindex, int family, const void *addr),              \
	  (n, ifindex, family, addr))                                                              \
	X(nlk_neigh_del, (struct nlk * n, int ifindex, int family, const void *addr),              \
	  (n, ifindex, family, addr))                                                              \
	X(nlk_veth_add, (struct nlk * n, const char *name, const char *peer, uint32_t mtu),        \
	  (n, name, peer, mtu))                                                                    \
	X(nlk_macvlan_add, (struct nlk * n, const char *name, const char *lower),                  \
	  (n, name, lower))                                                                        \
	X(nlk_macvlan_add_in, (struct nlk * n, const char *name, const char *lower, int netns_fd),  \
	  (n, name, lower, netns_fd))                                                              \
	X(nlk_link_move, (struct nlk * n, const char *name, int netns_fd, const char *newname),     \
	  (n, name, netns_fd, newname))                                                            \
	X(nlk_link_set_master, (struct nlk * n, const char *name, const char *master),             \
	  (n, name, master))                                                                       \
	X(nlk_link_set_mac, (struct nlk * n, const char *name, const uint8_t mac[6]),              \
	  (n, name, mac))                                                                          \
	X(nlk_addr_first_global,                                                                   \
	  (struct nlk * n, int ifindex, int family, void *ret_addr, uint8_t *ret_plen),            \
	  (n, ifindex, family, ret_addr, ret_plen))                                                \
	X(nlk_default_gw, (struct nlk * n, int family, int ifindex, void *ret_gw),                 \
	  (n, family, ifindex, ret_gw))                                                            \
	X(nlk_addr_list,                                                                           \
	  (struct nlk * n, int ifindex, int family, struct nlk_addr *out, size_t max),             \
	  (n, ifindex, family, out, max))                                                          \
	X(nlk_tx_csum_off, (struct nlk * n, const char *ifname), (n, ifname))                     \
	X(nlk_port_fastpath,                                                                       \
	  (struct nlk * n, const char *port, const char *router_if, const uint8_t guest_mac[6],    \
	   const struct in_addr *ip4),                                                             \
	  (n, port, router_if, guest_mac, ip4))                                                    \
	X(probe_arp, (const char *ifname, struct in_addr addr, int timeout_ms),                    \
	  (ifname, addr, timeout_ms))                                                              \
	X(probe_ndp, (const char *ifname, const struct in6_addr *addr, int timeout_ms),            \
	  (ifname, addr, timeout_ms))                                                              \
	X(probe_announce_arp, (const char *ifname, struct in_addr addr), (ifname, addr))           \
	X(probe_announce_na, (const char *ifname, const struct in6_addr *addr), (ifname, addr))
