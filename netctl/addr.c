// SPDX-License-Identifier: BSD-2-Clause
/*
 * Address math and value validators. Everything here is strict on purpose:
 * a value accepted by these parsers may be written verbatim into a dnsmasq,
 * radvd or nft file, so "close enough" forms (octal octets, whitespace,
 * trailing text) are refused instead of normalised (THREATS.md A9).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "util.h"

/* Locale-independent on purpose: isdigit() and friends follow LC_CTYPE. */
static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_lower_alnum(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z');
}

static int hex_val(char c)
{
	if (is_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Decimal without sign or leading zeros, at most @max. Stops at the first
 * non-digit and hands back where, so callers decide what may follow.
 */
static int parse_dec(const char *s, unsigned max_digits, uint64_t max, uint64_t *ret,
		     const char **ret_end)
{
	uint64_t v = 0;
	unsigned n = 0;

	if (!is_digit(s[0]) || (s[0] == '0' && is_digit(s[1])))
		return -EINVAL;
	for (; is_digit(*s); s++) {
		if (++n > max_digits)
			return -EINVAL;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (v > max)
		return -EINVAL;
	*ret = v;
	*ret_end = s;
	return 0;
}

static int parse_ip4_prefix(const char *s, uint32_t *ret, const char **ret_end)
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++) {
		uint64_t octet;

		if (i > 0 && *s++ != '.')
			return -EINVAL;
		if (parse_dec(s, 3, 255, &octet, &s) < 0)
			return -EINVAL;
		v = v << 8 | (uint32_t)octet;
	}
	*ret = v;
	*ret_end = s;
	return 0;
}

int addr_parse_ip4(const char *s, struct in_addr *ret)
{
	uint32_t v;

	if (parse_ip4_prefix(s, &v, &s) < 0 || *s)
		return -EINVAL;
	ret->s_addr = htonl(v);
	return 0;
}

int addr_parse_ip6(const char *s, struct in6_addr *ret)
{
	struct in6_addr a;

	/* inet_pton already refuses zone ids and whitespace; the length cap keeps
	 * absurd inputs away from it and from the fixed buffers of our callers. */
	if (strlen(s) >= INET6_ADDRSTRLEN || inet_pton(AF_INET6, s, &a) != 1)
		return -EINVAL;
	*ret = a;
	return 0;
}

char *addr_format_ip6(const struct in6_addr *a, char *buf)
{
	static const char hex[] = "0123456789abcdef";
	const uint8_t *b = a->s6_addr;
	int best = -1, best_len = 0;
	char *o = buf;

	/* ::ffff:a.b.c.d and the like: inet_ntop's own spelling. */
	if (IN6_IS_ADDR_V4MAPPED(a) || IN6_IS_ADDR_V4COMPAT(a))
		return (char *)inet_ntop(AF_INET6, a, buf, INET6_ADDRSTRLEN);
	for (int i = 0; i < 8;) {
		int j = i;

		while (j < 8 && !b[2 * j] && !b[2 * j + 1])
			j++;
		if (j - i > best_len) {
			best = i;
			best_len = j - i;
		}
		i = j > i ? j : i + 1;
	}
	if (best_len < 2)
		best = -1, best_len = 0;
	for (int i = 0; i < 8; i++) {
		unsigned v = (unsigned)b[2 * i] << 8 | b[2 * i + 1];
		bool lead = true;

		if (i == best) {
			*o++ = ':';
			*o++ = ':';
			i += best_len - 1;
			continue;
		}
		/* no separator right after "::" */
		if (i && i != best + best_len)
			*o++ = ':';
		for (int sh = 12; sh >= 0; sh -= 4) {
			unsigned d = v >> sh & 15;

			if (d || !lead || !sh) {
				*o++ = hex[d];
				lead = false;
			}
		}
	}
	*o = '\0';
	return buf;
}

static uint32_t mask4(uint8_t plen)
{
	return plen ? ~(uint32_t)0 << (32 - plen) : 0;
}

/* Split "ADDR/N" into a copy of ADDR and the prefix length. */
static int split_net(const char *s, char *addr, size_t size, unsigned max_plen, uint8_t *ret_plen)
{
	const char *slash = strchr(s, '/');
	const char *end;
	uint64_t plen;
	size_t n;

	if (!slash)
		return -EINVAL;
	n = (size_t)(slash - s);
	if (n == 0 || n >= size)
		return -EINVAL;
	if (parse_dec(slash + 1, 3, max_plen, &plen, &end) < 0 || *end)
		return -EINVAL;
	memcpy(addr, s, n);
	addr[n] = '\0';
	*ret_plen = (uint8_t)plen;
	return 0;
}

int addr_parse_ip4_net(const char *s, struct ip4_net *ret)
{
	char buf[INET_ADDRSTRLEN];
	struct in_addr a;
	uint8_t plen;

	if (split_net(s, buf, sizeof(buf), 32, &plen) < 0 || addr_parse_ip4(buf, &a) < 0)
		return -EINVAL;
	if (ntohl(a.s_addr) & ~mask4(plen))
		return -EINVAL;
	ret->addr = a;
	ret->plen = plen;
	return 0;
}

static bool ip6_bits_equal(const struct in6_addr *a, const struct in6_addr *b, unsigned plen)
{
	unsigned bytes = plen / 8, bits = plen % 8;

	if (memcmp(a->s6_addr, b->s6_addr, bytes) != 0)
		return false;
	if (bits) {
		uint8_t m = (uint8_t)(0xff << (8 - bits));

		return ((a->s6_addr[bytes] ^ b->s6_addr[bytes]) & m) == 0;
	}
	return true;
}

int addr_parse_ip6_net(const char *s, struct ip6_net *ret)
{
	char buf[INET6_ADDRSTRLEN];
	struct in6_addr a, masked;
	uint8_t plen;

	if (split_net(s, buf, sizeof(buf), 128, &plen) < 0 || addr_parse_ip6(buf, &a) < 0)
		return -EINVAL;
	memset(&masked, 0, sizeof(masked));
	memcpy(masked.s6_addr, a.s6_addr, plen / 8);
	if (plen % 8)
		masked.s6_addr[plen / 8] = a.s6_addr[plen / 8] & (uint8_t)(0xff << (8 - plen % 8));
	if (memcmp(&masked, &a, sizeof(a)) != 0)
		return -EINVAL;
	ret->addr = a;
	ret->plen = plen;
	return 0;
}

int addr_parse_ip4_range(const char *s, struct in_addr *ret_start, struct in_addr *ret_end)
{
	uint32_t start, end;

	if (parse_ip4_prefix(s, &start, &s) < 0 || *s++ != '-')
		return -EINVAL;
	if (parse_ip4_prefix(s, &end, &s) < 0 || *s)
		return -EINVAL;
	if (start > end)
		return -EINVAL;
	ret_start->s_addr = htonl(start);
	ret_end->s_addr = htonl(end);
	return 0;
}

uint32_t ip4_h(struct in_addr a)
{
	return ntohl(a.s_addr);
}

struct in_addr ip4_n(uint32_t host_order)
{
	struct in_addr a = {.s_addr = htonl(host_order)};

	return a;
}

bool ip4_net_contains(const struct ip4_net *n, struct in_addr a)
{
	return ((ip4_h(a) ^ ip4_h(n->addr)) & mask4(n->plen)) == 0;
}

bool ip4_net_overlaps(const struct ip4_net *a, const struct ip4_net *b)
{
	uint8_t plen = a->plen < b->plen ? a->plen : b->plen;

	return ((ip4_h(a->addr) ^ ip4_h(b->addr)) & mask4(plen)) == 0;
}

bool ip6_net_contains(const struct ip6_net *n, const struct in6_addr *a)
{
	return ip6_bits_equal(&n->addr, a, n->plen);
}

bool ip6_net_overlaps(const struct ip6_net *a, const struct ip6_net *b)
{
	return ip6_bits_equal(&a->addr, &b->addr, a->plen < b->plen ? a->plen : b->plen);
}

struct in_addr ip4_net_first_usable(const struct ip4_net *n)
{
	uint32_t net = ip4_h(n->addr) & mask4(n->plen);

	return ip4_n(n->plen >= 31 ? net : net + 1);
}

struct in_addr ip4_net_last_usable(const struct ip4_net *n)
{
	uint32_t bcast = ip4_h(n->addr) | ~mask4(n->plen);

	return ip4_n(n->plen >= 31 ? bcast : bcast - 1);
}

struct in_addr ip4_net_from_top(const struct ip4_net *n, uint32_t k)
{
	return ip4_n(ip4_h(ip4_net_last_usable(n)) - k);
}

void ip6_net_host(const struct ip6_net *n, uint64_t suffix, struct in6_addr *ret)
{
	struct in6_addr a = n->addr;

	for (int i = 15; i >= 8; i--) {
		a.s6_addr[i] |= (uint8_t)(suffix & 0xff);
		suffix >>= 8;
	}
	*ret = a;
}

int ip6_eui64(const struct ip6_net *n, const uint8_t mac[6], struct in6_addr *ret)
{
	struct in6_addr a = n->addr;

	if (n->plen != 64)
		return -EINVAL;
	/* RFC 4291 appendix A: invert the universal/local bit, ff:fe in the middle. */
	a.s6_addr[8] = mac[0] ^ 0x02;
	a.s6_addr[9] = mac[1];
	a.s6_addr[10] = mac[2];
	a.s6_addr[11] = 0xff;
	a.s6_addr[12] = 0xfe;
	a.s6_addr[13] = mac[3];
	a.s6_addr[14] = mac[4];
	a.s6_addr[15] = mac[5];
	*ret = a;
	return 0;
}

int mac_parse(const char *s, uint8_t ret[6])
{
	uint8_t mac[6];
	bool zero = true;

	if (strlen(s) != MAC_STRLEN - 1)
		return -EINVAL;
	for (int i = 0; i < 6; i++, s += 3) {
		int hi = hex_val(s[0]), lo = hex_val(s[1]);

		if (hi < 0 || lo < 0 || (i < 5 && s[2] != ':'))
			return -EINVAL;
		mac[i] = (uint8_t)(hi << 4 | lo);
		if (mac[i])
			zero = false;
	}
	/* A guest's source MAC is pinned by the bridge filter; a group or zero
	 * address there would match frames it must never own. */
	if (zero || (mac[0] & 0x01))
		return -EINVAL;
	memcpy(ret, mac, 6);
	return 0;
}

char *mac_format(const uint8_t mac[6], char *buf)
{
	snprintf(buf, MAC_STRLEN, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
		 mac[4], mac[5]);
	return buf;
}

/* One DNS label or guest name: [a-z0-9-], 1..63, no '-' at either end. */
static bool valid_label(const char *s, size_t n)
{
	if (n < 1 || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_lower_alnum(s[i]) && s[i] != '-')
			return false;
	return true;
}

bool valid_name(const char *s)
{
	size_t n = strlen(s);

	if (!valid_label(s, n))
		return false;
	/* All digits would read as a number (or an address) to dnsmasq and resolvers. */
	for (size_t i = 0; i < n; i++)
		if (!is_digit(s[i]))
			return true;
	return false;
}

bool valid_ifname(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n >= IFNAMSIZ || streq(s, ".") || streq(s, ".."))
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!is_lower_alnum(c) && !(c >= 'A' && c <= 'Z') && c != '_' && c != '.' &&
		    c != '-')
			return false;
	}
	return true;
}

bool valid_domain(const char *s)
{
	size_t n = strlen(s);
	const char *p = s;

	if (n < 1 || n > 253)
		return false;
	for (;;) {
		const char *dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);

		if (!valid_label(p, len))
			return false;
		if (!dot)
			return true;
		p = dot + 1;
	}
}

int parse_uint(const char *s, uint32_t min, uint32_t max, uint32_t *ret)
{
	uint64_t v;

	if (parse_dec(s, 10, max, &v, &s) < 0 || *s || v < min)
		return -EINVAL;
	*ret = (uint32_t)v;
	return 0;
}

int parse_port(const char *s, uint16_t *ret)
{
	uint64_t v;

	if (parse_dec(s, 5, 65535, &v, &s) < 0 || *s || v == 0)
		return -EINVAL;
	*ret = (uint16_t)v;
	return 0;
}

int parse_duration(const char *s, uint32_t *ret)
{
	uint64_t v, mult = 1;

	if (streq(s, "infinite")) {
		*ret = 0;
		return 0;
	}
	if (parse_dec(s, 10, UINT32_MAX, &v, &s) < 0)
		return -EINVAL;
	switch (*s) {
	case '\0':
		break;
	case 's':
		mult = 1;
		s++;
		break;
	case 'm':
		mult = 60;
		s++;
		break;
	case 'h':
		mult = 3600;
		s++;
		break;
	case 'd':
		mult = 86400;
		s++;
		break;
	default:
		return -EINVAL;
	}
	if (*s)
		return -EINVAL;
	v *= mult;
	/* dnsmasq refuses leases under two minutes; a year is already "forever". */
	if (v < 120 || v > 365 * 86400)
		return -EINVAL;
	*ret = (uint32_t)v;
	return 0;
}
