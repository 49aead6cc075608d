/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The router's shape: the names of its links inside its namespace, and the
 * facts about it that only the running system knows (MTU, MACs, the host-side
 * veth name, the namespace's holder), which `up` resolves and the renderers
 * consume. The guest link eth1 is the guest bridge itself.
 */
#pragma once

#include <net/if.h>
#include <stdint.h>

#define ROUTER_GUEST_IF "eth1"
#define ROUTER_HOST_IF "eth2"
#define ROUTER_UPLINK_IF "eth0"
/* BIRD's control socket, inside the router; the host sees it under the
 * router's rootfs (lxtg/run is a bind mount of the host's directory). */
#define BIRD_CTL "/lxtg/run/bird.ctl"
/* lxtg-ndproxy inside the router (bind-mounted, like lxtg-init). */
#define ROUTER_NDPROXY "/lxtg/lxtg-ndproxy"
/* ... and what it is to do (render_ndproxy_conf), inside the router. */
#define NDPROXY_CONF "/etc/lxtg/ndproxy.conf"

/* Facts known only at run time, resolved by the router module. */
struct router_facts {
	uint32_t mtu;
	const char *rootfs;
	const char *uplink; /* link the macvlan hangs off */
	const char *init;   /* lxtg-init, bind-mounted as the router's PID 1 */
	const char *ndproxy; /* lxtg-ndproxy, bind-mounted next to it */
	uint8_t mac_uplink[6], mac_guest[6], mac_host[6];
	char veth_host[IFNAMSIZ]; /* the host's end of the host link */
	int holder;		  /* PID of the segment's holder (segment.h) */
};
