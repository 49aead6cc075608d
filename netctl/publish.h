/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Server mode: guests with LAN addresses, published on the uplink through
 * exact proxy ARP / proxy NDP entries and reached through host routes.
 */
#pragma once

#include <stdbool.h>

#include "config.h"
#include "elems.h"
#include "errmsg.h"
#include "netlink.h"
#include "paths.h"
#include "state.h"

/*
 * publish_apply - in the router's netns (nl opened there): add (or with
 * @del remove) the proxy entries on the uplink and the /32 and /128 routes
 * to the guest link. Entries the guest should not have are removed, so
 * switching modes converges.
 */
int publish_apply(struct nlk *nl, const struct conf *c, const struct guest *g, bool del);
/*
 * publish_announce - after a guest's LAN addresses moved to another MAC (the
 * router restarted, or the attach changed): a gratuitous ARP and an
 * unsolicited NA on @ifname, so LAN hosts update their caches at once.
 */
void publish_announce(const struct conf *c, const struct guest *g, const char *ifname);
/* attach = routed, in the host: proxy entries on the NIC, routes via the router. */
int publish_host(struct nlk *nl, const struct conf *c, const struct guest *g, bool del);
/*
 * publish_guest - enter the running router and publish_apply() there (and
 * publish_host() with attach = routed). 0 if the router is down; else 0 or
 * -errno with e->msg "VERB: publishing NAME on the LAN: the kernel's words".
 */
int publish_guest(const struct paths *p, const struct conf *c, const struct guest *g, bool del,
		  const char *verb, struct errmsg *e);
/* Are the proxy entries of this guest present? (for status) */
bool publish_present(const struct paths *p, const struct conf *c, const struct guest *g);
