/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The router's start-up handshake: its init waits on a FIFO until `up` has
 * configured its namespace, then starts dnsmasq and radvd; `up` returns only
 * once dnsmasq answers a DNS query and radvd runs (no fixed sleeps).
 */
#pragma once

#include <sys/types.h>

#include "config.h"
#include "errmsg.h"
#include "paths.h"
#include "state.h"

/* How long `up` waits for a started router to be ready. */
#define READY_TIMEOUT_MS 5000
/* How long it waits, on top, for the first DHCP lease on the uplink. */
#define UPLINK_LEASE_MS 2000

/*
 * ready_release - open the FIFO the router's init is blocked on (only a FIFO,
 * never a symlink or a file put there by the router): then it starts its
 * daemons. Polls for the reader until @deadline (monotonic ms). 0, -ETIMEDOUT, -errno.
 */
int ready_release(const struct paths *p, long deadline);
/*
 * ready_wait - wait (bounded by @deadline) for the first uplink lease (macvlan
 * attach; a LAN without DHCP costs UPLINK_LEASE_MS), then until the router's
 * dnsmasq answers for its own name and radvd runs. 0 or -ETIMEDOUT with e->msg.
 */
int ready_wait(const struct paths *p, const struct conf *c, pid_t init, long deadline,
	       struct errmsg *e);
/* A daemon whose config changed under a running router: SIGTERM, and init respawns it. */
void ready_restart_daemon(pid_t init, const char *comm);
/*
 * ready_guest - wait (bounded by @deadline) until the guest holds its
 * address by DHCP (with @lease: dnsmasq's lease file has its MAC and IPv4)
 * and the router resolves NAME.DOMAIN to it; with a lease, then up to 2 s more
 * until the running container sees a default route. 0 or -ETIMEDOUT with
 * e->msg.
 */
int ready_guest(const struct paths *p, const struct conf *c, const struct guest *g, bool lease,
		long deadline, struct errmsg *e);
