/* SPDX-License-Identifier: BSD-2-Clause */
/* Guests and port forwards: orchestration of `guest add/del` and `port add/del`. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "errmsg.h"
#include "paths.h"
#include "spec.h"
#include "state.h"

struct guest_req {
	const char *name;
	bool has_ip4;
	struct in_addr ip4;
	bool has_mac;
	uint8_t mac[6];
	bool private4; /* server mode: a private address (NAT), not one of ipv4_pool */
};

/*
 * guest_add - register an LXC container as a client and attach it. Adding a
 * registered guest again converges it (same address and MAC) instead of failing.
 * Returns 0, or -errno with e->msg set (e->usage for bad input).
 */
int guest_add(const struct paths *p, const struct conf *c, const struct guest_req *req,
	      struct errmsg *e);
/* Why a fixed IPv4 can never be a guest's in this model (NULL if it can): its subnet, the router's. */
const char *guest_ip4_unusable(const struct conf *c, struct in_addr a);
int guest_del(const struct paths *p, const struct conf *c, const char *name, struct errmsg *e);
/*
 * guest_refresh_lines - `up`: rewrite the static IPv4 lines of the registered
 * pool guests' LXC configs where the LAN's netmask or gateway (the pool's
 * lease, pool.conf) changed; a config that cannot be written is said, not fatal.
 */
void guest_refresh_lines(const struct paths *p, const struct conf *c);

int port_add(const struct paths *p, const struct conf *c, const struct port_fwd *pf,
	     struct errmsg *e);
int port_del(const struct paths *p, const struct conf *c, const struct port_fwd *pf,
	     struct errmsg *e);
