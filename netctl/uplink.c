// SPDX-License-Identifier: BSD-2-Clause
#include <arpa/inet.h>
#include <sys/stat.h>

#include "fsutil.h"
#include "netns.h"
#include "probe.h"
#include "render.h"
#include "sysctl.h"
#include "uplink.h"
#include "util.h"

#define PROBE_LINK "lxtgprobe"

bool uplink_is_wireless(const char *sysfs, const char *ifname)
{
	static const char *const marks[] = {"wireless", "phy80211"};
	char path[PATH_MAX];
	struct stat st;

	for (size_t i = 0; i < ARRAY_SIZE(marks); i++)
		if (pathf(path, sizeof(path), "%s/class/net/%s/%s", sysfs, ifname, marks[i]) == 0 &&
		    stat(path, &st) == 0)
			return true;
	return false;
}

/*
 * Ask @gw from a second MAC: a macvlan on @uplink, born in a throwaway network
 * namespace so that nothing of it is ever seen on the host and a crash leaves
 * nothing behind (the namespace and its link die with the fd). 1 if answered.
 */
static int probe_second_mac(struct nlk *nl, const char *uplink, struct in_addr gw,
			    const uint8_t mac[6])
{
	struct nlk *inner = NULL;
	int ns = -1, saved = -1, r;

	r = netns_new(&ns);
	if (r < 0)
		return r;
	/* No IPv6 on the probe link: no DAD or router solicitation from its MAC. */
	r = netns_enter_fd(ns, &saved);
	if (r == 0) {
		r = sysctl_write("net/ipv6/conf/default/disable_ipv6", "1");
		if (r == -ENOENT) /* a kernel without IPv6 */
			r = 0;
		netns_leave(saved);
	}
	if (r == 0)
		r = nlk_macvlan_add_in(nl, PROBE_LINK, uplink, ns);
	if (r == 0)
		r = netns_enter_fd(ns, &saved);
	if (r == 0) {
		r = nlk_open(&inner);
		if (r == 0)
			r = nlk_link_set_mac(inner, PROBE_LINK, mac);
		if (r == 0)
			r = nlk_link_up(inner, PROBE_LINK, 0);
		if (r == 0)
			r = probe_arp(PROBE_LINK, gw, UPLINK_PROBE_MS);
		nlk_close(inner);
		netns_leave(saved);
	}
	close(ns);
	return r;
}

/*
 * The probe's MAC: one per host and uplink, the same on every run, so probing
 * never fills a switch's MAC table or trips port security with new MACs.
 * Derived from the uplink's own MAC (sysfs), locally administered.
 */
static void probe_mac(const char *uplink, uint8_t ret[6])
{
	_cleanup_free_ char *own = read_textf(false, "/sys/class/net/%s/address", uplink);
	char seed[128];

	snprintf(seed, sizeof(seed), "uplink-probe/%s/%s", uplink, own ? own : "");
	render_mac(seed, ret);
}

static int choose_auto(struct nlk *nl, const struct conf *c, struct uplink_choice *ret)
{
	const char *up = c->uplink;
	char gws[INET_ADDRSTRLEN];
	uint8_t mac[6];
	struct in_addr gw;
	int idx, r;

	ret->attach = ATTACH_ROUTED;
	if (uplink_is_wireless("/sys", up)) {
		ret->verdict = UPLINK_WIRELESS;
		snprintf(ret->why, sizeof(ret->why),
			 "uplink %s is a WLAN interface, which carries only its own MAC", up);
		return 0;
	}
	idx = nlk_ifindex(nl, up);
	if (idx < 0)
		return idx;
	ret->attach = ATTACH_MACVLAN;
	r = nlk_default_gw(nl, AF_INET, idx, &gw);
	if (r == -ENOENT) {
		ret->verdict = UPLINK_NO_GATEWAY;
		snprintf(ret->why, sizeof(ret->why),
			 "uplink %s has no IPv4 default gateway to ask whether it carries a second "
			 "MAC (set attach = routed behind a VirtualBox bridged adapter with "
			 "promiscuous mode Deny, or on a WLAN)",
			 up);
		return 0;
	}
	if (r < 0)
		return r;
	inet_ntop(AF_INET, &gw, gws, sizeof(gws));
	probe_mac(up, mac);
	r = probe_second_mac(nl, up, gw, mac);
	if (r == -EINVAL || r == -EOPNOTSUPP) {
		/* Not an Ethernet uplink (ppp, wireguard, tun): no macvlan on it. */
		ret->verdict = UPLINK_ONE_MAC;
		ret->attach = ATTACH_ROUTED;
		snprintf(ret->why, sizeof(ret->why), "uplink %s cannot carry a macvlan (%s)", up,
			 strerror(-r));
		return 0;
	}
	if (r < 0) {
		ret->verdict = UPLINK_SILENT;
		snprintf(ret->why, sizeof(ret->why),
			 "probing uplink %s from a second MAC failed (%s), so whether it carries one "
			 "is unknown (set attach = routed if the router gets no lease)",
			 up, strerror(-r));
		return 0;
	}
	if (r > 0) {
		ret->verdict = UPLINK_OPEN;
		snprintf(ret->why, sizeof(ret->why),
			 "uplink %s carries other MACs (gateway %s answered a second MAC)", up,
			 gws);
		return 0;
	}
	/* The control: does the gateway answer this host's own MAC? */
	r = probe_arp(up, gw, UPLINK_PROBE_MS);
	if (r < 0)
		return r;
	if (r > 0) {
		ret->verdict = UPLINK_ONE_MAC;
		ret->attach = ATTACH_ROUTED;
		snprintf(ret->why, sizeof(ret->why),
			 "uplink %s carries only its own MAC (VirtualBox promiscuous Deny or WLAN)",
			 up);
		return 0;
	}
	ret->verdict = UPLINK_SILENT;
	snprintf(ret->why, sizeof(ret->why),
		 "gateway %s answers no ARP probe on uplink %s, so whether it carries a second MAC "
		 "is unknown (set attach = routed if the router gets no lease)",
		 gws, up);
	return 0;
}

const char *uplink_attach_name(enum attach_mode a)
{
	switch (a) {
	case ATTACH_MACVLAN:
		return "macvlan";
	case ATTACH_ROUTED:
		return "routed";
	case ATTACH_AUTO:
		return "auto";
	}
	return "?";
}

int uplink_choose(struct nlk *nl, const struct conf *c, struct uplink_choice *ret)
{
	memset(ret, 0, sizeof(*ret));
	switch (c->attach) {
	case ATTACH_MACVLAN:
	case ATTACH_ROUTED:
		ret->attach = c->attach;
		ret->verdict = UPLINK_CONFIGURED;
		snprintf(ret->why, sizeof(ret->why), "attach = %s in the config",
			 uplink_attach_name(c->attach));
		return 0;
	case ATTACH_AUTO:
		return choose_auto(nl, c, ret);
	}
	return -EINVAL;
}
