// SPDX-License-Identifier: BSD-2-Clause
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <ndp.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>

#include "probe.h"
#include "util.h"

static long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

struct arp_pkt {
	uint16_t htype, ptype;
	uint8_t hlen, plen;
	uint16_t op;
	uint8_t sha[6], spa[4], tha[6], tpa[4];
} __attribute__((packed));

/*
 * An ARP packet socket bound to @ifname, an ARP request from its MAC in @req,
 * and @sll set up for the broadcast. The fd, or -errno.
 */
static int arp_socket(const char *ifname, struct sockaddr_ll *sll, struct arp_pkt *req)
{
	struct ifreq ifr = {0};
	int fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_ARP)), r;

	if (fd < 0)
		return -errno;
	*sll = (struct sockaddr_ll){.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ARP)};
	*req = (struct arp_pkt){.htype = htons(1), .ptype = htons(ETH_P_IP), .hlen = 6,
				.plen = 4, .op = htons(1)};
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	sll->sll_ifindex = (int)if_nametoindex(ifname);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0 || !sll->sll_ifindex ||
	    bind(fd, (struct sockaddr *)sll, sizeof(*sll)) < 0) {
		r = !sll->sll_ifindex ? -ENODEV : -errno;
		close(fd);
		return r;
	}
	memcpy(req->sha, ifr.ifr_hwaddr.sa_data, 6);
	sll->sll_halen = 6;
	memset(sll->sll_addr, 0xff, 6);
	return fd;
}

int probe_arp(const char *ifname, struct in_addr addr, int timeout_ms)
{
	struct sockaddr_ll sll;
	struct arp_pkt req;
	_cleanup_close_ int fd = arp_socket(ifname, &sll, &req);
	long deadline = mono_ms() + timeout_ms;

	if (fd < 0)
		return fd;
	/* RFC 5227 probe: sender IP 0.0.0.0, so no host updates its ARP cache. */
	memcpy(req.tpa, &addr, 4);
	for (int tries = 0; tries < 2; tries++) {
		if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&sll, sizeof(sll)) < 0)
			return -errno;
		for (long left; (left = deadline - mono_ms() - (tries ? 0 : timeout_ms / 2)) > 0;) {
			struct pollfd pfd = {.fd = fd, .events = POLLIN};
			struct sockaddr_ll from;
			socklen_t flen = sizeof(from);
			struct arp_pkt rep;

			if (poll(&pfd, 1, (int)left) <= 0)
				break;
			/* Only a reply to this probe counts: sent to our MAC alone (a
			 * broadcast gratuitous ARP of the address, as VRRP sends, would
			 * reach a second MAC on a Deny uplink too). */
			if (recvfrom(fd, &rep, sizeof(rep), 0, (struct sockaddr *)&from, &flen) ==
				    (ssize_t)sizeof(rep) &&
			    from.sll_pkttype == PACKET_HOST && rep.op == htons(2) &&
			    !memcmp(rep.spa, &addr, 4) && !memcmp(rep.tha, req.sha, 6))
				return 1;
		}
	}
	return 0;
}

int probe_announce_arp(const char *ifname, struct in_addr addr)
{
	struct sockaddr_ll sll;
	struct arp_pkt req;
	_cleanup_close_ int fd = arp_socket(ifname, &sll, &req);

	if (fd < 0)
		return fd;
	/* Gratuitous ARP (RFC 5227 announcement): sender and target are @addr, so every
	 * host that has it cached takes our MAC for it. */
	memcpy(req.spa, &addr, 4);
	memcpy(req.tpa, &addr, 4);
	return sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&sll, sizeof(sll)) < 0 ? -errno
											 : 0;
}

int probe_announce_na(const char *ifname, const struct in6_addr *addr)
{
	struct in6_addr target = *addr, all_nodes = {.s6_addr = {0xff, 0x02, [15] = 1}};
	struct ndp *ndp = NULL;
	struct ndp_msg *msg = NULL;
	unsigned ifindex = if_nametoindex(ifname);
	int r;

	if (!ifindex)
		return -ENODEV;
	r = ndp_open(&ndp);
	if (r < 0)
		return r;
	r = ndp_msg_new(&msg, NDP_MSG_NA);
	if (r == 0) {
		/* Unsolicited, override, to all nodes, with our link-layer address. A
		 * plain ndp_msg_send() marks an NA "solicited", and the kernel drops a
		 * multicast NA so marked. */
		ndp_msg_ifindex_set(msg, ifindex);
		ndp_msg_target_set(msg, &target);
		ndp_msg_dest_set(msg, &all_nodes);
		ndp_msg_opt_set(msg);
		r = ndp_msg_send_with_flags(ndp, msg, ND_OPT_NA_UNSOL);
		ndp_msg_destroy(msg);
	}
	ndp_close(ndp);
	return r;
}

struct ndp_wait {
	const struct in6_addr *targets;
	bool *found;
	size_t n, left;
};

static int na_seen(struct ndp *ndp, struct ndp_msg *msg, void *priv)
{
	struct ndp_wait *w = priv;
	struct nd_neighbor_advert *na = ndp_msg_payload(msg);
	(void)ndp;

	if (ndp_msg_payload_len(msg) < sizeof(*na))
		return 0;
	for (size_t i = 0; i < w->n; i++)
		if (!w->found[i] &&
		    !memcmp(&na->nd_na_target, &w->targets[i], sizeof(w->targets[i]))) {
			w->found[i] = true;
			w->left--;
		}
	return 0;
}

int probe_ndp_many(const char *ifname, const struct in6_addr *addrs, size_t n, int timeout_ms,
		   bool *found)
{
	struct ndp_wait w = {.targets = addrs, .found = found, .n = n, .left = n};
	struct ndp *ndp = NULL;
	unsigned ifindex = if_nametoindex(ifname);
	long deadline = mono_ms() + timeout_ms;
	int r;

	for (size_t i = 0; i < n; i++)
		found[i] = false;
	if (!ifindex)
		return -ENODEV;
	r = ndp_open(&ndp);
	if (r < 0)
		return r;
	r = ndp_msgrcv_handler_register(ndp, na_seen, NDP_MSG_NA, ifindex, &w);
	if (r < 0)
		goto out;
	/* Every question first, then one wait for all the answers. */
	for (size_t i = 0; i < n && r == 0; i++) {
		struct ndp_msg *msg = NULL;
		struct in6_addr target = addrs[i];

		r = ndp_msg_new(&msg, NDP_MSG_NS);
		if (r < 0)
			break;
		ndp_msg_ifindex_set(msg, ifindex);
		ndp_msg_target_set(msg, &target);
		ndp_msg_opt_set(msg);
		r = ndp_msg_send(ndp, msg);
		ndp_msg_destroy(msg);
	}
	while (r == 0 && w.left) {
		struct pollfd pfd = {.fd = ndp_get_eventfd(ndp), .events = POLLIN};
		long left = deadline - mono_ms();

		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			break;
		r = ndp_call_eventfd_handler(ndp);
	}
	ndp_msgrcv_handler_unregister(ndp, na_seen, NDP_MSG_NA, ifindex, &w);
out:
	ndp_close(ndp);
	return r < 0 ? r : (int)(n - w.left);
}

int probe_ndp(const char *ifname, const struct in6_addr *addr, int timeout_ms)
{
	bool found = false;
	int r = probe_ndp_many(ifname, addr, 1, timeout_ms, &found);

	return r < 0 ? r : found;
}
