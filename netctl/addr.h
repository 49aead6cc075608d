/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Address math and value validators. Pure: no kernel, no allocation.
 * Every parser is strict (no leading/trailing junk, no whitespace) because
 * its output may end up in a generated file (THREATS.md A9).
 */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

struct ip4_net {
	struct in_addr addr; /* network byte order, host bits zero */
	uint8_t plen;
};

struct ip6_net {
	struct in6_addr addr; /* host bits zero */
	uint8_t plen;
};

#define MAC_STRLEN 18 /* "aa:bb:cc:dd:ee:ff" + NUL */

/* Dotted quad only (no "1", "1.2", octal or hex forms). 0 or -EINVAL. */
int addr_parse_ip4(const char *s, struct in_addr *ret);
/* inet_pton(AF_INET6) without zone ids. 0 or -EINVAL. */
int addr_parse_ip6(const char *s, struct in6_addr *ret);
/*
 * addr_format_ip6 - what inet_ntop(AF_INET6) writes (RFC 5952: lower case,
 * no leading zeros, the first longest run of two or more zero groups as
 * "::"), without glibc's sprintf per group: the registry writes one per guest
 * on every `guest add`. Returns @buf (INET6_ADDRSTRLEN bytes).
 */
char *addr_format_ip6(const struct in6_addr *a, char *buf);
/* "A.B.C.D/N": N in 0..32; host bits must be zero. 0 or -EINVAL. */
int addr_parse_ip4_net(const char *s, struct ip4_net *ret);
/* "X::/N": N in 0..128; host bits must be zero. 0 or -EINVAL. */
int addr_parse_ip6_net(const char *s, struct ip6_net *ret);
/* "A.B.C.D-E.F.G.H", start <= end. 0 or -EINVAL. */
int addr_parse_ip4_range(const char *s, struct in_addr *ret_start, struct in_addr *ret_end);

uint32_t ip4_h(struct in_addr a);        /* to host byte order */
struct in_addr ip4_n(uint32_t host_order); /* from host byte order */

bool ip4_net_contains(const struct ip4_net *n, struct in_addr a);
bool ip4_net_overlaps(const struct ip4_net *a, const struct ip4_net *b);
bool ip6_net_contains(const struct ip6_net *n, const struct in6_addr *a);
bool ip6_net_overlaps(const struct ip6_net *a, const struct ip6_net *b);
/* Network and broadcast excluded; for /31 and /32 the whole net is usable. */
struct in_addr ip4_net_first_usable(const struct ip4_net *n);
struct in_addr ip4_net_last_usable(const struct ip4_net *n);
/* last_usable - k (k = 0 gives the router .254 of a /24). */
struct in_addr ip4_net_from_top(const struct ip4_net *n, uint32_t k);
/* prefix | low 64 bits = suffix (e.g. ::254). Prefix must be <= /64. */
void ip6_net_host(const struct ip6_net *n, uint64_t suffix, struct in6_addr *ret);
/* SLAAC address (modified EUI-64) of mac in a /64. -EINVAL if plen != 64. */
int ip6_eui64(const struct ip6_net *n, const uint8_t mac[6], struct in6_addr *ret);

/* "aa:bb:cc:dd:ee:ff", hex digits either case. Rejects multicast and all-zero. */
int mac_parse(const char *s, uint8_t ret[6]);
/* Lower-case canonical form into buf[MAC_STRLEN]. */
char *mac_format(const uint8_t mac[6], char *buf);

/* Guest / container / router name: 1..63 of [a-z0-9-], no leading or trailing '-',
 * not all digits (THREATS.md A9). */
bool valid_name(const char *s);
/* Interface name: 1..IFNAMSIZ-1 of [A-Za-z0-9_.-], not "." or "..". */
bool valid_ifname(const char *s);
/* DNS domain: labels of 1..63 [a-z0-9-] without edge '-', total <= 253, >= 1 label. */
bool valid_domain(const char *s);
/* Decimal @min..@max, no sign, no leading zeros. 0 or -EINVAL. */
int parse_uint(const char *s, uint32_t min, uint32_t max, uint32_t *ret);
/* Decimal 1..65535, no sign, no leading zeros. 0 or -EINVAL. */
int parse_port(const char *s, uint16_t *ret);
/* Duration: N, Ns, Nm, Nh, Nd (seconds out), 120 s .. 365 d, or "infinite" (0). */
int parse_duration(const char *s, uint32_t *ret);
