/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What `up` does inside the router's network namespace (the caller has
 * entered it, netns.h): sysctls, addresses and links, the ruleset, and, in
 * server mode, the LAN prefix and the guests' proxy entries.
 */
#pragma once

#include "config.h"
#include "errmsg.h"
#include "netlink.h"
#include "runtime.h"
#include "state.h"

/* Sysctls, addresses, links up, the default route (routed), then the whole ruleset. */
/* @router_mac: the router's eth1 MAC (paths_router_macs()[1]), for the guards. */
int routerns_configure(const struct conf *c, const struct registry *reg,
		       const uint8_t router_mac[6], struct errmsg *e);
/* The guest-port guards alone, reloaded (their dynamic sets start empty). */
int routerns_guard(const struct conf *c, const struct registry *reg, const uint8_t router_mac[6],
		   struct errmsg *e);
/* Drop the addresses the guest on guards' port @port claimed (in the current netns). */
int routerns_forget_claims(const char *port);
/* Is the namespace of @pid a segment (its eth1 is the guest bridge)? */
bool routerns_has_segment(pid_t pid);
/*
 * routerns_learn_prefix - server mode with ipv6_prefix = auto: the /64 of the
 * first global SLAAC address on @ifname into @ret, polled until @deadline
 * (monotonic ms); @ret is left alone when none is learned.
 */
void routerns_learn_prefix(struct nlk *nl, const char *ifname, const struct conf *c, long deadline,
			   struct ip6_net *ret);
/*
 * routerns_publish - (macvlan attach) learn the LAN prefix into @learned,
 * build the model @c + @learned into @model, and publish every guest that owns
 * LAN addresses in it; in desktop mode the same call withdraws them.
 */
int routerns_publish(const struct conf *c, const struct registry *reg, long deadline,
		     struct runtime *learned, struct conf *model, struct errmsg *e);
