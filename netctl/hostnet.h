/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The host's side of the router: the two bridges and the host's address and
 * routes on them, the router's ports on those bridges, the guest-port guards
 * (table bridge lxctogo), the host sysctls `up` may change (journalled in the
 * state dir and given back), and attach = routed (the host forwards for the
 * router). Works in the host's network namespace.
 */
#pragma once

#include <stdbool.h>

#include "config.h"
#include "errmsg.h"
#include "netlink.h"
#include "paths.h"
#include "state.h"
#include "topology.h"

/*
 * hostnet_links - the host-link bridge (recorded in owned-links before it is
 * created), its sysctls, the host's address on it and the host's routes to
 * the guest subnet and prefix via the router. The guest bridge is not the
 * host's: it lives in the router's namespace (segment.h).
 */
int hostnet_links(const struct paths *p, const struct conf *c, const struct router_facts *f,
		  struct nlk *nl, struct errmsg *e);
/* The host's end of the router's host link on the host bridge, without IPv6 of its own. */
int hostnet_router_port(const struct conf *c, const struct router_facts *f, struct nlk *nl,
			struct errmsg *e);
/* The host's bridge-nf-call-* sysctls that an older version switched off (journalled) go back. */
int hostnet_bridge_nf_restore(const struct paths *p, struct errmsg *e);
/* attach = routed: host sysctls, the host's own table, proxy entries for LAN-address guests. */
int hostnet_routed(const struct paths *p, const struct conf *c, const struct registry *reg,
		   struct nlk *nl, struct errmsg *e);
/* Does the host hold routed attach's table (inet lxctogo)? */
bool hostnet_routed_present(void);
/* Undo hostnet_routed(): the host's table, proxy entries and routed sysctls. */
int hostnet_routed_undo(const struct paths *p, const struct conf *c, struct nlk *nl,
			struct errmsg *e);
/* Put back every host sysctl in the journal (newest first); the journal goes. */
int hostnet_sysctls_restore(const struct paths *p, struct errmsg *e);
/* Delete the links in owned-links (their addresses and routes go with them), then the list. */
int hostnet_remove_owned(const struct paths *p, struct nlk *nl, struct errmsg *e);
