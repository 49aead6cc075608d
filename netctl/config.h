/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The configuration model: INI text -> parse -> verify -> struct conf.
 * Nothing outside this module sees the text; everything else reads the model.
 */
#pragma once

#include <limits.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "addr.h"

#define CONF_DEFAULT_PATH "/etc/lxctogo-net/lxctogo-net.conf"
#define CONF_MAX_UPSTREAM 4
#define CONF_MAX_ERRORS 64
#define CONF_MAX_SIZE (64 * 1024) /* bytes in a config file */
#define ROUTER_IDMAP_COUNT 65536u /* ids of the router's user namespace ([network] router_idmap) */
#define CONF_MAX_LINE 1024        /* characters in one line, without the newline */

enum net_mode { MODE_DESKTOP, MODE_SERVER };
/*
 * ATTACH_AUTO is a config value only: `up` decides macvlan or routed from what
 * the uplink can carry (uplink.h) and records it; the model that commands act
 * on (runtime_overlay) always holds ATTACH_MACVLAN or ATTACH_ROUTED.
 */
enum attach_mode { ATTACH_MACVLAN, ATTACH_ROUTED, ATTACH_AUTO };
enum inbound_policy { INBOUND_PORTS, INBOUND_OPEN };
/* What guests may open on the host ([network] host_access). */
enum host_access { HOST_ACCESS_NONE, HOST_ACCESS_ALL, HOST_ACCESS_PORTS };
#define CONF_MAX_HOST_PORTS 16
#define CONF_MAX_REBIND_OK 8

struct host_port {
	uint8_t proto; /* IPPROTO_TCP or IPPROTO_UDP */
	uint16_t port;
};

struct dns_server {
	int family; /* AF_INET or AF_INET6 */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	};
};

/* An IPv4 or IPv6 prefix (host bits zero). */
struct ip_net {
	int family; /* AF_INET or AF_INET6 */
	union {
		struct ip4_net v4;
		struct ip6_net v6;
	};
};

#define CONF_MAX_PEERS 8
#define CONF_MAX_PEER_SUBNETS 4
#define CONF_MAX_ROUTES 16
#define CONF_MAX_PASSWORD 80

/* [routing] peers: "ADDRESS as ASN [domain DOMAIN] [subnet CIDR]...". */
struct bgp_peer {
	struct dns_server addr; /* the peer router's address (family + address) */
	uint32_t asn;
	char domain[254]; /* "" = none: its guests' names are not forwarded */
	unsigned n_subnets; /* its guest networks, for reverse lookups */
	struct ip_net subnets[CONF_MAX_PEER_SUBNETS];
};

struct conf {
	/* [network] */
	enum net_mode mode;
	char uplink[IFNAMSIZ];
	enum attach_mode attach;
	char guest_bridge[IFNAMSIZ];
	char host_bridge[IFNAMSIZ];
	uint32_t mtu; /* 0 = auto (follow the uplink) */
	char router[64]; /* router container name, default "managed" */
	/* The host uid and gid of root inside the router (it has ROUTER_IDMAP_COUNT
	 * of them from there); 0 = off: the router runs as the host's root. */
	uint32_t router_idmap;
	/* bridge_nf = off|keep: deprecated, no effect. Versions that kept the
	 * guest bridge in the host turned the host's bridge netfilter off with it;
	 * the guest bridge now lives in the router's namespace. */
	bool bridge_nf_keep;
	enum host_access host_access;
	unsigned n_host_ports; /* HOST_ACCESS_PORTS */
	struct host_port host_ports[CONF_MAX_HOST_PORTS];
	/* A fixed uplink address for the router (peering servers need one);
	 * plen 0 = auto (DHCP / SLAAC). A gateway of all zeros = none. */
	struct in_addr uplink_ip4;
	uint8_t uplink_plen4;
	struct in_addr uplink_gw4;
	struct in6_addr uplink_ip6;
	uint8_t uplink_plen6;
	struct in6_addr uplink_gw6;
	/* What is accepted but worth saying (deprecated keys, a pool that a fixed
	 * uplink address cannot serve): one "FILE:LINE: ..." note each. */
	unsigned n_notes;
	char notes[4][256];

	/* [ipv4] */
	struct ip4_net guest_subnet;
	struct in_addr dhcp_start, dhcp_end;
	struct ip4_net host_subnet;
	uint32_t lease_time; /* seconds, 0 = infinite */

	/* [ipv6] */
	bool ipv6; /* enable = yes|no */
	struct ip6_net guest_prefix;
	struct ip6_net host_prefix;

	/* [dns] */
	char domain[254];
	bool upstream_auto;
	unsigned n_upstream;
	struct dns_server upstream[CONF_MAX_UPSTREAM];
	bool rebind_protection;
	unsigned n_rebind_ok;
	char rebind_ok[CONF_MAX_REBIND_OK][254]; /* domains whose answers may be private */

	/* [server] */
	struct in_addr pool_start, pool_end;
	bool server_prefix_auto;
	struct ip6_net server_prefix;
	enum inbound_policy inbound;

	/* [guests] */
	char provision_dir[256]; /* hooks `guest create` runs in every new guest; "" = none */
	/* Per-guest limits: connections a guest has open at once, new ones per
	 * second (burst: twice that), DNS and DHCP packets per second to the router. */
	uint32_t max_connections, new_connections, dns_rate, dhcp_rate;

	/* [routing]: BGP with the routers of other hosts (BIRD in the router). */
	bool bgp;
	uint32_t asn; /* 0 = none */
	struct in_addr router_id; /* 0 = auto: the fixed uplink address, else BIRD's choice */
	unsigned n_peers;
	struct bgp_peer peers[CONF_MAX_PEERS];
	char password[CONF_MAX_PASSWORD + 1]; /* "" = none */
	uint32_t hold_time; /* seconds */
	bool announce_auto; /* desktop: the guest subnet and prefix; server: nothing */
	unsigned n_announce;
	struct ip_net announce[CONF_MAX_ROUTES];
	unsigned n_accept; /* each also accepts longer prefixes inside it */
	struct ip_net accept[CONF_MAX_ROUTES];
};

/* What BGP announces: [routing] announce, or its default for the mode. Returns the count. */
unsigned conf_announce(const struct conf *c, struct ip_net out[CONF_MAX_ROUTES]);
/* "A.B.C.D/N" or "X::/N" (host bits zero). 0 or -EINVAL. */
int conf_parse_ip_net(const char *s, struct ip_net *ret);
/* The canonical text of @n into buf[INET6_ADDRSTRLEN + 4]. */
char *conf_format_ip_net(const struct ip_net *n, char *buf);

/* Collected diagnostics: every error, each "FILE:LINE: message". */
struct conf_errors {
	unsigned n;
	unsigned dropped; /* errors beyond CONF_MAX_ERRORS */
	char msg[CONF_MAX_ERRORS][256];
};

/* Fill with the documented defaults (INTERFACE.md). */
void conf_defaults(struct conf *c);

/*
 * conf_parse_buffer - parse and verify INI text
 * @name: file name used in messages
 * @text, @len: the text (need not be NUL-terminated)
 * @ret: model, written only on success
 * @errs: receives every error found (parse and verify), may not be NULL
 * Returns 0, or -EINVAL when errs->n > 0.
 */
int conf_parse_buffer(const char *name, const char *text, size_t len, struct conf *ret,
		      struct conf_errors *errs);

/*
 * A value given on the command line for a config key: "SECTION.KEY" (e.g.
 * "network.uplink"), the value, and where it came from for messages
 * ("--uplink"). It goes through the key table's parser and the same verify
 * as the file; a conflict it causes is blamed on it.
 */
struct conf_override {
	const char *key;
	const char *value;
	const char *origin;
};

/* conf_parse_buffer() with @ov applied after the text (errors "ORIGIN: message"). */
int conf_parse_with(const char *name, const char *text, size_t len, const struct conf_override *ov,
		    size_t n_ov, struct conf *ret, struct conf_errors *errs);

/*
 * conf_load - read a file and parse it.
 * @must_exist: false for the default path, where a missing file means defaults.
 * Returns 0, -EINVAL (see errs), or -errno from reading (errs gets "FILE: why").
 */
int conf_load(const char *path, bool must_exist, struct conf *ret, struct conf_errors *errs);
/* conf_load() with command-line overrides (conf_parse_with()). */
int conf_load_with(const char *path, bool must_exist, const struct conf_override *ov, size_t n_ov,
		   struct conf *ret, struct conf_errors *errs);

/* Print the model as canonical INI (every key, sorted by section as documented). */
void conf_print(FILE *f, const struct conf *c);

/* Field-by-field comparison (the structs hold unions and string tails, so no memcmp). */
bool conf_equal(const struct conf *a, const struct conf *b);

/* The networks lxctogo-net claims on the host (for overlap checks). */
#define CONF_NETS 4
struct conf_net {
	int family;
	const void *addr; /* into the conf */
	uint8_t plen;
	const char *key;  /* config key, for messages */
};
/* Fills @out with the IPv4 subnets and, if IPv6 is on, the prefixes. Returns the count. */
size_t conf_nets(const struct conf *c, struct conf_net out[CONF_NETS]);

/* Derived addresses: router side is the last usable address, the host is the one below. */
struct in_addr conf_router_ip4(const struct conf *c);      /* 192.168.254.254 */
struct in_addr conf_hostlink_router_ip4(const struct conf *c); /* 192.168.253.254 */
struct in_addr conf_hostlink_host_ip4(const struct conf *c);   /* 192.168.253.253 */
void conf_router_ip6(const struct conf *c, struct in6_addr *ret);          /* ...254::254 */
void conf_hostlink_router_ip6(const struct conf *c, struct in6_addr *ret); /* ...253::254 */
void conf_hostlink_host_ip6(const struct conf *c, struct in6_addr *ret);   /* ...253::253 */
