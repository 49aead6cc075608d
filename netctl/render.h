/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Renderers for every generated file: router LXC config and inittab, dnsmasq
 * and radvd configs, the nftables script, and the per-guest dnsmasq files.
 * Pure functions of the model: tests/unit/test-render.c checks the lines that
 * must and must not appear, and the integration tests load what they make
 * into the real tools.
 */
#pragma once

#include <net/if.h>
#include <stdint.h>

#include "config.h"
#include "state.h"
#include "topology.h"

/* The router's link toward the LAN: its macvlan, or the host link with attach = routed. */
const char *router_uplink_if(const struct conf *c);

/* Stable locally-administered unicast MAC from a seed string. */
void render_mac(const char *seed, uint8_t ret[6]);
/* Host-side veth name for a link of the router or a guest: "<base>-<suffix>", <= 15 chars. */
int render_veth_name(const char *base, const char *suffix, char ret[IFNAMSIZ]);

int render_lxc_conf(const struct conf *c, const struct router_facts *f, char **ret);
/* Server mode with IPv6 and no routed attach: lxtg-ndproxy runs in the router, and guests
 * may claim addresses of the LAN's /64 (once it is known). */
bool render_ndproxy_wanted(const struct conf *c);
/* lxtg-ndproxy's file: "prefix P/64" when render_ndproxy_wanted() and the prefix is known. */
int render_ndproxy_conf(const struct conf *c, char **ret);
int render_inittab(const struct conf *c, char **ret);
int render_dnsmasq(const struct conf *c, uint32_t mtu, char **ret);
int render_radvd(const struct conf *c, uint32_t mtu, char **ret);
/* bird.conf for [routing] bgp = on: the peers, what is announced and accepted. */
int render_bird(const struct conf *c, char **ret);
/* BIRD's protocol name of peer @i ("peer1"...). */
void render_bird_peer_name(unsigned i, char buf[16]);
/* The router's udhcpc event script (managed-rootfs/udhcpc.script). */
int render_udhcpc_script(const struct conf *c, uint32_t mtu, char **ret);
/* The whole router ruleset as one nft script: replace our table, then fill its sets. */
int render_ruleset(const struct conf *c, const struct registry *reg, char **ret);
/* The host's guest-port guards (table bridge lxctogo) with every guest's elements. */
/* The guards' table; @router_mac: the router's eth1 MAC (its link-local address is claimed). */
int render_guard(const struct conf *c, const struct registry *reg, const uint8_t router_mac[6],
		 char **ret);
/* An address a guest claimed (the guards' port_ip6_dyn), kept across a reload of the guards. */
struct guard_claim {
	char port[IFNAMSIZ];
	uint8_t mac[6];
	struct in6_addr addr;
};
/*
 * render_guard_claims - "add element" lines that give the claims @cl back to a freshly
 * loaded guards' table, without those of a guest no longer registered (port and MAC), in
 * a prefix no longer claimable, or of an address recorded meanwhile (first one wins).
 */
int render_guard_claims(const struct conf *c, const struct registry *reg,
			const uint8_t router_mac[6], const struct guard_claim *cl, size_t n,
			char **ret);
/* attach = routed: the host's own NAT table (inet lxctogo in the host). */
int render_host_routed(const struct conf *c, const struct registry *reg, char **ret);
/* Just the `define`s for ruleset/lxctogo.nft. */
int render_ruleset_defines(const struct conf *c, char **ret);
/* hostsdir file: "IPV4 NAME.DOMAIN NAME" (+ IPv6 line). */
int render_guest_hosts(const struct conf *c, const struct guest *g, char **ret);
/* dhcp-hostsdir file: "MAC,IPV4,NAME". */
int render_guest_dhcp(const struct conf *c, const struct guest *g, char **ret);

/*
 * The pool's lease facts from lxtg/run/dnsmasq.d/pool.conf (written by the
 * router's udhcpc script from its LAN lease): the netmask as a length and the
 * gateway. -ENOENT when the file has none (no lease yet, desktop mode),
 * -EINVAL when a value is malformed.
 */
int render_pool_facts(const char *text, uint8_t *plen, struct in_addr *gw);
/*
 * pool.conf as the router's udhcpc script writes it, for when the router has
 * no lease of its own (attach = routed, a fixed uplink_ipv4): the LAN's
 * netmask (@plen) and gateway (@gw) from the host's uplink or the config.
 * Server mode only (an empty file otherwise, or without a gateway).
 */
int render_pool_conf(const struct conf *c, uint8_t plen, struct in_addr gw, uint32_t mtu,
		     char **ret);

/* Is this line of a container config (leading blanks allowed) an lxc.net / lxc.network item? */
bool render_is_lxc_net_line(const char *line);

/* The comment lines with which `guest add` keeps a container's own lxc.net lines in its config. */
#define LXC_SAVED_MARK "# lxctogo-net: this container's own lxc.net lines, put back by `guest del`:"
#define LXC_SAVED_PREFIX "#lxtg-saved: "

/*
 * render_lxc_net_attach - container config text @orig with its lxc.net (and
 * legacy lxc.network) lines replaced by @items (NULL-terminated key, value
 * pairs, appended as "key = value" after LXC_SAVED_MARK). The first time (no
 * mark yet) the container's own lines stay where they are as LXC_SAVED_PREFIX
 * comments; later times keep those. Every other line stays as it is. A key
 * or value with '\n' or '\r' is -EINVAL.
 */
int render_lxc_net_attach(const char *orig, const char *const *items, char **ret);
/*
 * render_lxc_net_detach - undo render_lxc_net_attach(): no lxc.net lines but
 * the saved ones, uncommented in place; the mark goes. -ENOENT if @orig has
 * no mark (attach never wrote this config: it is left alone).
 */
int render_lxc_net_detach(const char *orig, char **ret);
