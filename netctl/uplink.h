/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What the uplink can carry, and so how the router attaches to the LAN
 * (attach = auto). A macvlan gives the router a MAC of its own; that works
 * only where the LAN delivers frames for a second MAC to this host and takes
 * frames from it. A VirtualBox bridged adapter with promiscuous mode Deny
 * delivers only the VM's own MAC; a WLAN client may send only with its own
 * MAC. Both look healthy and reach nothing, so `up` decides from what can be
 * seen: a wireless uplink goes routed at once; otherwise an ARP probe from
 * 0.0.0.0 to the default gateway, sent once from the uplink itself (the
 * control) and once from a throwaway macvlan, tells the two apart. Works in
 * the host's network namespace.
 */
#pragma once

#include <stdbool.h>

#include "config.h"
#include "netlink.h"

/* How long one probe waits for the gateway's answer (two tries in it). */
#define UPLINK_PROBE_MS 200

enum uplink_verdict {
	UPLINK_CONFIGURED, /* attach = macvlan or routed: nothing probed */
	UPLINK_OPEN,	   /* the gateway answered the macvlan: carries other MACs */
	UPLINK_ONE_MAC,	   /* answered the uplink's own MAC only */
	UPLINK_WIRELESS,   /* a WLAN interface: one MAC, no macvlan */
	UPLINK_NO_GATEWAY, /* no default gateway on the uplink: nothing to ask */
	UPLINK_SILENT,	   /* the gateway answered neither probe */
};

struct uplink_choice {
	enum attach_mode attach; /* ATTACH_MACVLAN or ATTACH_ROUTED */
	enum uplink_verdict verdict;
	char why[256]; /* one line, e.g. "uplink eth0 carries only its own MAC (...)" */
};

/*
 * uplink_choose - resolve @c->attach: the configured choice, or for
 * ATTACH_AUTO what the probes find. Without a gateway to ask, or with a
 * gateway that answers no probe, it keeps macvlan (the choice that leaves the
 * host's network alone) and says so in why. 0 or -errno (netlink).
 */
int uplink_choose(struct nlk *nl, const struct conf *c, struct uplink_choice *ret);

/* "macvlan", "routed" or "auto". */
const char *uplink_attach_name(enum attach_mode a);
/* Is @ifname a WLAN interface (sysfs under @sysfs, normally "/sys")? */
bool uplink_is_wireless(const char *sysfs, const char *ifname);
