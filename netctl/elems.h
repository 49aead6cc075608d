/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The nftables set and map elements that stand for one guest or one port
 * forward. One description feeds both encodings: nft text for the ruleset
 * that `up` loads, and binary keys for the libnftnl batches of guest/port
 * commands, so the two can never disagree.
 */
#pragma once

#include <net/if.h>
#include <netinet/in.h>
#include <stdint.h>

#include "config.h"
#include "state.h"

enum field_kind { F_IFNAME, F_MAC, F_MAC_RAW, F_IP4, F_IP6, F_IP6_RAW, F_PROTO, F_PORT };

struct field {
	enum field_kind kind;
	union {
		char ifname[IFNAMSIZ];
		uint8_t mac[6]; /* F_MAC and F_MAC_RAW (a MAC read as raw payload) */
		struct in_addr ip4;
		struct in6_addr ip6; /* F_IP6 and F_IP6_RAW */
		uint8_t proto;
		uint16_t port; /* host order */
	};
};

/* inet lxctogo in the router, bridge lxctogo in the host, inet lxctogo in the host (routed) */
enum elem_table { ELEM_ROUTER, ELEM_GUARD, ELEM_HOST, ELEM_TABLES };

struct elem_desc {
	enum elem_table table;
	const char *set;
	unsigned n_key, n_data;
	struct field key[4];
	struct field data[2];
};

#define ELEMS_MAX 16
#define GUEST_PORT_PREFIX "lxg-"

/* Does this guest own a LAN address (pool IPv4 / LAN-prefix IPv6) in this mode? */
bool publish_v4(const struct conf *c, const struct guest *g);
bool publish_v6(const struct conf *c, const struct guest *g);
/* Host-side veth of a guest: "lxg-NAME", or "lxg-" + 6 chars + 5 hex of a hash. */
int guest_port_name(const char *name, char ret[IFNAMSIZ]);
/* Elements of one guest (router sets and host guards). Returns the count. */
size_t elems_guest(const struct conf *c, const struct guest *g, struct elem_desc *out);
/* The router's own elements (its eth1 addresses in claimed6), for `up`. Returns the count. */
size_t elems_router(const struct conf *c, const uint8_t router_mac[6], struct elem_desc *out);
/* Elements of one port forward. Returns the count. */
size_t elems_port(const struct conf *c, const struct guest *g, const struct port_fwd *p,
		  struct elem_desc *out);
/* "add element <family> lxctogo <set> { k . k : d . d }\n" appended to a malloc'd string. */
int elem_text(const struct elem_desc *e, char **buf, size_t *len);
