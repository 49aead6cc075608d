// SPDX-License-Identifier: BSD-2-Clause
/*
 * libFuzzer target for the port-forward syntax of `port add/del`. Oracle:
 * whatever port_parse() accepts has nonzero ports and a canonical text form
 * that parses back to exactly the same forward.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same(const struct port_fwd *a, const struct port_fwd *b)
{
	if (a->proto != b->proto || a->family != b->family || a->host_port != b->host_port ||
	    a->guest_port != b->guest_port)
		abort();
	if (a->family == AF_INET && a->haddr.v4.s_addr != b->haddr.v4.s_addr)
		abort();
	if (a->family == AF_INET6 && memcmp(&a->haddr.v6, &b->haddr.v6, 16))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[256], canon[128];

	if (size >= sizeof(s))
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	for (int with_guest = 0; with_guest < 2; with_guest++) {
		struct port_fwd a, b;

		memset(&a, 0, sizeof(a));
		memset(&b, 0, sizeof(b));
		if (port_parse(s, with_guest, &a) < 0)
			continue;
		if (!a.host_port || (with_guest && !a.guest_port))
			abort();
		if (a.proto != IPPROTO_TCP && a.proto != IPPROTO_UDP)
			abort();
		if (port_format(&a, with_guest, canon, sizeof(canon)) < 0)
			abort();
		if (port_parse(canon, with_guest, &b) < 0)
			abort();
		same(&a, &b);
	}
	return 0;
}
