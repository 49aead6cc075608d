// SPDX-License-Identifier: BSD-2-Clause
/*
 * libFuzzer target for the value validators that guard every generated file
 * (THREATS.md A9). Oracle: an independent, deliberately naive re-check of the
 * documented rules, and canonical round trips for MACs and addresses.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <net/if.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int ref_label(const char *s, size_t n, int allow_upper)
{
	if (n < 1 || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '-' ||
		      (allow_upper && isupper((unsigned char)s[i]))))
			return 0;
	return 1;
}

static int ref_name(const char *s)
{
	size_t n = strlen(s), digits = 0;

	for (size_t i = 0; i < n; i++)
		digits += isdigit((unsigned char)s[i]) != 0;
	return ref_label(s, n, 0) && digits != n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[300], buf[INET6_ADDRSTRLEN];
	uint8_t mac[6], mac2[6];
	struct in_addr a4;
	struct in6_addr a6, b6;

	if (size >= sizeof(s))
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (strlen(s) != size)
		return 0; /* C strings only: the CLI never sees an embedded NUL */

	if (valid_name(s) != ref_name(s))
		abort();
	if (valid_ifname(s)) {
		if (size == 0 || size >= IFNAMSIZ || !strcmp(s, ".") || !strcmp(s, ".."))
			abort();
		for (size_t i = 0; i < size; i++)
			if (!isalnum((unsigned char)s[i]) && !strchr("_.-", s[i]))
				abort();
	}
	if (valid_domain(s)) {
		size_t start = 0;

		if (size > 253)
			abort();
		for (size_t i = 0; i <= size; i++)
			if (i == size || s[i] == '.') {
				if (!ref_label(s + start, i - start, 1))
					abort();
				start = i + 1;
			}
	}
	if (mac_parse(s, mac) == 0) {
		if ((mac[0] & 1) || !memcmp(mac, "\0\0\0\0\0\0", 6))
			abort();
		if (mac_parse(mac_format(mac, buf), mac2) < 0 || memcmp(mac, mac2, 6))
			abort();
	}
	/* Accepted IPv4 text is already canonical: no leading zeros, no shorthand. */
	if (addr_parse_ip4(s, &a4) == 0 && strcmp(inet_ntop(AF_INET, &a4, buf, sizeof(buf)), s))
		abort();
	if (addr_parse_ip6(s, &a6) == 0 &&
	    (addr_parse_ip6(inet_ntop(AF_INET6, &a6, buf, sizeof(buf)), &b6) < 0 ||
	     memcmp(&a6, &b6, 16)))
		abort();
	/* The registry's own IPv6 writer spells every address as inet_ntop does. */
	if (size == 16) {
		char mine[INET6_ADDRSTRLEN];

		memcpy(&a6, data, 16);
		if (strcmp(addr_format_ip6(&a6, mine), inet_ntop(AF_INET6, &a6, buf, sizeof(buf))))
			abort();
	}
	return 0;
}
