/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Server mode: guests with LAN addresses, published on the uplink through
 * exact proxy ARP / proxy NDP entries and reached through host routes.
 */
#pragma once

#include <stdbool.h>

#include "config.h"
#include "elems.h"
#include "netlink.h"
#include "router.h"
#include "state.h"

/*
 * publish_apply - in the router's netns (nl opened there): add (or with
 * @del remove) the proxy entries on the uplink and the /32 and /128 routes
 * to the guest link. Entries the guest should not have are removed, so
 * switching modes converges.
 */
int publish_apply(struct nlk *nl, const struct conf *c, const struct guest *g, bool del);
/* attach = routed, in the host: proxy entries on the NIC, routes via the router. */
int publish_host(struct nlk *nl, const struct conf *c, const struct guest *g, bool del);
/* Enter the running router and publish_apply() there. 0 if the router is down. */
int publish_guest(const struct paths *p, const struct conf *c, const struct guest *g, bool del);
/* Are the proxy entries of this guest present? (for status) */
bool publish_present(const struct paths *p, const struct conf *c, const struct guest *g);

/*
 * Runtime facts that `up` learned and later commands need: mode, LAN prefix,
 * the router's PID 1 with its start time (which tells a live router from
 * a reused PID without asking liblxc), and the liblxc stamp (lxcw.h; "" for none).
 */
int runtime_save(const struct paths *p, const struct conf *c, pid_t router, const char *lxc_stamp);
/* Override c->mode and (if learned) c->server_prefix from the running router. */
void runtime_load(const struct paths *p, struct conf *c);
/* The router's PID 1 as `up` recorded it, if that very process still runs; else 0. */
pid_t runtime_router_pid(const struct paths *p);
/* The liblxc stamp `up` recorded (lxcw_stamp()) into @buf; -ENOENT if none. */
int runtime_lxc_stamp(const struct paths *p, char *buf, size_t size);
