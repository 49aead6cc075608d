/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The guest segment: the router's network namespace, with the guest bridge
 * (the router's eth1) and every guest's port in it. A process of its own
 * holds the namespace (`lxtg-init hold STATE`, outside the router container),
 * and the router container shares it (lxc.namespace.share.net), so a router
 * that dies or restarts takes no guest link with it.
 *
 * A guest's port is born in the host namespace (LXC makes the veth pair at
 * every lxc-start; `guest add` makes one for a running guest) and is moved in
 * by segment_plug(): from the guest's lxc.net.0.script.up hook (`lxctogo-net
 * plug`), from `guest add`, and by `up` for ports parked in the host while
 * the router was down.
 */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "errmsg.h"
#include "netlink.h"
#include "paths.h"
#include "state.h"
#include "topology.h"

/* The holder's PID if the recorded holder still runs (same start time), else 0. */
pid_t segment_holder(const struct paths *p);
/*
 * segment_hold - make sure a holder runs and return its PID in @ret: the
 * recorded one, else a new one in the namespaces of @join (> 0: a router that
 * still runs keeps its namespaces) or in new ones (0). With @idmap (the
 * config's router_idmap) the network namespace belongs to a user namespace
 * whose root is host uid and gid @idmap: the router shares both
 * (lxc.namespace.share.user), and the holder itself runs as that uid.
 */
int segment_hold(const struct paths *p, pid_t join, uint32_t idmap, pid_t *ret,
		 struct errmsg *e);
/* Can this process make a user namespace with a network namespace in it? 0 or -errno. */
int segment_userns_check(void);
/* The first host uid of @pid's user namespace as segment_hold makes it, 0 for
 * the host's own, SEGMENT_IDMAP_UNKNOWN for any other map or a PID gone. */
#define SEGMENT_IDMAP_UNKNOWN UINT32_MAX
uint32_t segment_idmap_of(pid_t pid);
/* The PID whose namespace is the router's: the holder, else the router's init; 0 if neither runs. */
pid_t segment_netns_pid(const struct paths *p, const struct conf *c);
/* Stop the holder (SIGTERM) and wait up to 2 s until it is gone; forget it. */
void segment_release(const struct paths *p);
/* Switch this thread into the segment's namespace (netns_leave(*saved) goes back). -ESRCH: no holder. */
int segment_enter(const struct paths *p, int *saved);
/*
 * segment_links - the router's links in the segment of @holder: the guest
 * bridge eth1, the host link eth2 (a veth whose host end @f->veth_host is put
 * on the host bridge) and, unless routed, the uplink eth0 (a macvlan on
 * @f->uplink). With @renew, eth0 and eth2 are made anew (their shape
 * changed); the bridge and the guests' ports on it always stay. Returns 1
 * when the bridge was made anew (a running dnsmasq bound its DHCP socket to
 * the old one and must restart), 0, or -errno with @e set.
 */
int segment_links(const struct paths *p, const struct conf *c, const struct router_facts *f,
		  pid_t holder, struct nlk *host, bool renew, struct errmsg *e);
/*
 * segment_plug - move the guest port @port from this namespace (the host's)
 * into the segment of @holder and onto the guest bridge. A port already in
 * the segment is only put on the bridge. When the bridge is gone (the router
 * is going down) the port goes back to the host: parked, not lost. With @g
 * (the port's guest, with an IPv4 address), the port also gets the fast path
 * past the bridge for the guest's own IPv4 frames to the router
 * (nlk_port_fastpath); a kernel without u32 or mirred only loses the
 * shortcut, with a warning.
 */
int segment_plug(pid_t holder, struct nlk *host, const char *port, const struct guest *g,
		 struct errmsg *e);
/* The ports of @reg's guests that wait in the host namespace go into the segment, and every
 * guest port in the segment goes on the guest bridge (a bridge made anew has no ports). */
int segment_plug_all(pid_t holder, struct nlk *host, const struct registry *reg,
		     struct errmsg *e);
/* `down`: every guest port of @reg goes back to the host namespace, so running guests keep eth0. */
void segment_park(pid_t holder, const struct registry *reg);
