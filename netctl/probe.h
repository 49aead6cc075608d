/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Probing the LAN before an address is handed to a guest (server mode): an
 * ARP probe for IPv4 and a neighbour solicitation through libndp for IPv6.
 * The only module that includes libndp. Works in the caller's netns.
 */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>

/* 1 if some host on @ifname answers for @addr within @timeout_ms, 0 if none, -errno. */
int probe_arp(const char *ifname, struct in_addr addr, int timeout_ms);
int probe_ndp(const char *ifname, const struct in6_addr *addr, int timeout_ms);
/*
 * probe_ndp_many - ask for @n addresses at once on @ifname and wait up to
 * @timeout_ms in all: found[i] tells whether @addrs[i] was answered. The
 * number answered, or -errno.
 */
int probe_ndp_many(const char *ifname, const struct in6_addr *addrs, size_t n, int timeout_ms,
		   bool *found);
/*
 * Tell the LAN that @addr is now at @ifname's MAC: a gratuitous ARP, and an
 * unsolicited neighbour advertisement with the override flag. 0 or -errno.
 */
int probe_announce_arp(const char *ifname, struct in_addr addr);
int probe_announce_na(const char *ifname, const struct in6_addr *addr);
