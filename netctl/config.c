// SPDX-License-Identifier: BSD-2-Clause
/*
 * Config text -> model. The whole file is read before anything is judged, and
 * every problem is collected, so one run of `lxctogo-net check` shows all of
 * them (like rad(8)) instead of one per edit-and-retry cycle.
 *
 * One table drives parsing, defaults and printing. A key added to it is
 * therefore parsed, defaulted and printed by construction, which is what keeps
 * conf_print() -> conf_parse_buffer() an exact round trip.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "util.h"

enum section {
	SEC_NETWORK,
	SEC_IPV4,
	SEC_IPV6,
	SEC_DNS,
	SEC_SERVER,
	SEC_GUESTS,
	SEC_ROUTING,
	N_SECTIONS,
	SEC_NONE, /* before the first header */
	SEC_SKIP, /* inside a bad or unknown section: its error is already reported */
};

static const char *const section_names[N_SECTIONS] = {
	[SEC_NETWORK] = "network", [SEC_IPV4] = "ipv4", [SEC_IPV6] = "ipv6",
	[SEC_DNS] = "dns",	   [SEC_SERVER] = "server", [SEC_GUESTS] = "guests",
	[SEC_ROUTING] = "routing",
};

enum key {
	K_MODE,
	K_UPLINK,
	K_ATTACH,
	K_GUEST_BRIDGE,
	K_HOST_BRIDGE,
	K_MTU,
	K_ROUTER,
	K_ROUTER_IDMAP,
	K_BRIDGE_NF,
	K_HOST_ACCESS,
	K_UPLINK_IPV4,
	K_UPLINK_GATEWAY4,
	K_UPLINK_IPV6,
	K_UPLINK_GATEWAY6,
	K_GUEST_SUBNET,
	K_DHCP_RANGE,
	K_HOST_SUBNET,
	K_LEASE_TIME,
	K_IPV6_ENABLE,
	K_GUEST_PREFIX,
	K_HOST_PREFIX,
	K_DOMAIN,
	K_UPSTREAM,
	K_REBIND_PROTECTION,
	K_REBIND_OK,
	K_IPV4_POOL,
	K_IPV6_PREFIX,
	K_INBOUND,
	K_PROVISION_DIR,
	K_MAX_CONNECTIONS,
	K_NEW_CONNECTIONS,
	K_DNS_RATE,
	K_DHCP_RATE,
	K_BGP,
	K_ASN,
	K_ROUTER_ID,
	K_PEERS,
	K_PASSWORD,
	K_HOLD_TIME,
	K_ANNOUNCE,
	K_ACCEPT,
	N_KEYS,
};

#define WHY_MAX 200

/* Parse @v into @c; on failure write the reason (without the key) into why[WHY_MAX]. */
typedef int (*parse_fn)(struct conf *c, const char *v, char *why);
/* Write the canonical text of the value into buf[CONF_MAX_LINE + 1]. */
typedef void (*format_fn)(const struct conf *c, char *buf);

struct key_def {
	enum section section;
	const char *name;
	const char *def; /* the default, as text: INTERFACE.md is the source */
	parse_fn parse;
	format_fn format;
};

/*
 * User text quoted in a message: control bytes escaped and long values cut, so
 * a hostile config cannot smuggle terminal escapes or crowd out the message.
 */
struct quoted {
	char s[72];
};

static struct quoted quote(const char *v)
{
	struct quoted q;

	str_escape(v, q.s, sizeof(q.s), true);
	return q;
}

static void why_set(char *why, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void why_set(char *why, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, WHY_MAX, fmt, ap);
	va_end(ap);
}

static int bad_value(char *why, const char *v, const char *expected)
{
	why_set(why, "invalid value '%s' (expected %s)", quote(v).s, expected);
	return -EINVAL;
}

static int empty_entry(char *why, const char *v)
{
	why_set(why, "empty entry in list '%s'", quote(v).s);
	return -EINVAL;
}

/*
 * Split a list value and hand each entry to @fn, which parses it into @out.
 * Separators are blanks and at most one comma: "a, b", "a,b" and "a b" are
 * lists, "a,,b" and a trailing comma are a typo we point out.
 * Returns the number of entries (1..@max) or -EINVAL with @why set.
 */
typedef int (*entry_fn)(const char *tok, unsigned i, void *out, char *why);
static int parse_list(const char *v, unsigned max, const char *what, entry_fn fn, void *out,
		      char *why)
{
	char buf[CONF_MAX_LINE + 1];
	unsigned n = 0;
	char *p = buf;

	if (strscpy(buf, sizeof(buf), v) < 0) {
		why_set(why, "value too long");
		return -EINVAL;
	}
	for (;;) {
		size_t len = strcspn(p, ", \t");
		unsigned commas = 0;
		char *tok = p;

		if (len == 0)
			return empty_entry(why, v);
		for (p += len; *p == ',' || *p == ' ' || *p == '\t'; p++) {
			if (*p == ',')
				commas++;
			*p = '\0';
		}
		if (n == max) {
			why_set(why, "too many %s (at most %u)", what, max);
			return -EINVAL;
		}
		if (fn(tok, n++, out, why) < 0)
			return -EINVAL;
		if (commas > 1 || (commas == 1 && !*p))
			return empty_entry(why, v);
		if (!*p)
			return (int)n;
	}
}

/* ---- [network] ---- */

static int parse_mode(struct conf *c, const char *v, char *why)
{
	if (streq(v, "desktop"))
		c->mode = MODE_DESKTOP;
	else if (streq(v, "server"))
		c->mode = MODE_SERVER;
	else
		return bad_value(why, v, "desktop or server");
	return 0;
}

static void format_mode(const struct conf *c, char *buf)
{
	switch (c->mode) {
	case MODE_DESKTOP:
		strcpy(buf, "desktop");
		return;
	case MODE_SERVER:
		strcpy(buf, "server");
		return;
	}
	strcpy(buf, "?");
}

static int parse_attach(struct conf *c, const char *v, char *why)
{
	if (streq(v, "auto"))
		c->attach = ATTACH_AUTO;
	else if (streq(v, "macvlan"))
		c->attach = ATTACH_MACVLAN;
	else if (streq(v, "routed"))
		c->attach = ATTACH_ROUTED;
	else
		return bad_value(why, v, "auto, macvlan or routed");
	return 0;
}

static int parse_bridge_nf(struct conf *c, const char *v, char *why)
{
	if (streq(v, "off"))
		c->bridge_nf_keep = false;
	else if (streq(v, "keep"))
		c->bridge_nf_keep = true;
	else
		return bad_value(why, v, "off or keep");
	return 0;
}

static void format_bridge_nf(const struct conf *c, char *buf)
{
	strcpy(buf, c->bridge_nf_keep ? "keep" : "off");
}

/* "tcp/22": a protocol and a port on the host that guests may open. */
static int host_port_entry(const char *tok, unsigned i, void *out, char *why)
{
	struct host_port *hp = &((struct host_port *)out)[i];
	const char *slash = strchr(tok, '/');

	if (slash && slash - tok == 3 && !strncmp(tok, "tcp", 3))
		hp->proto = IPPROTO_TCP;
	else if (slash && slash - tok == 3 && !strncmp(tok, "udp", 3))
		hp->proto = IPPROTO_UDP;
	else
		slash = NULL;
	if (!slash || parse_port(slash + 1, &hp->port) < 0) {
		why_set(why, "invalid entry '%s' (expected none, all, or PROTO/PORT entries "
			     "like tcp/22, udp/53)", quote(tok).s);
		return -EINVAL;
	}
	return 0;
}

static int parse_host_access(struct conf *c, const char *v, char *why)
{
	struct host_port list[CONF_MAX_HOST_PORTS];
	int n;

	memset(list, 0, sizeof(list));
	c->n_host_ports = 0;
	if (streq(v, "none")) {
		c->host_access = HOST_ACCESS_NONE;
	} else if (streq(v, "all")) {
		c->host_access = HOST_ACCESS_ALL;
	} else {
		n = parse_list(v, CONF_MAX_HOST_PORTS, "ports", host_port_entry, list, why);
		if (n < 0)
			return n;
		c->host_access = HOST_ACCESS_PORTS;
		c->n_host_ports = (unsigned)n;
	}
	memcpy(c->host_ports, list, sizeof(list));
	return 0;
}

static void format_host_access(const struct conf *c, char *buf)
{
	size_t o = 0;

	switch (c->host_access) {
	case HOST_ACCESS_NONE:
		strcpy(buf, "none");
		return;
	case HOST_ACCESS_ALL:
		strcpy(buf, "all");
		return;
	case HOST_ACCESS_PORTS:
		break;
	}
	buf[0] = '\0';
	for (unsigned i = 0; i < c->n_host_ports; i++)
		o += (size_t)snprintf(buf + o, CONF_MAX_LINE + 1 - o, "%s%s/%u", i ? ", " : "",
				      c->host_ports[i].proto == IPPROTO_TCP ? "tcp" : "udp",
				      c->host_ports[i].port);
}

static void format_attach(const struct conf *c, char *buf)
{
	switch (c->attach) {
	case ATTACH_AUTO:
		strcpy(buf, "auto");
		return;
	case ATTACH_MACVLAN:
		strcpy(buf, "macvlan");
		return;
	case ATTACH_ROUTED:
		strcpy(buf, "routed");
		return;
	}
	strcpy(buf, "?");
}

static int parse_ifname(char dst[IFNAMSIZ], const char *v, char *why)
{
	if (!valid_ifname(v)) {
		why_set(why, "invalid interface name '%s' (1 to %d of A-Z a-z 0-9 _ . -)",
			quote(v).s, IFNAMSIZ - 1);
		return -EINVAL;
	}
	strcpy(dst, v);
	return 0;
}

static int parse_uplink(struct conf *c, const char *v, char *why)
{
	return parse_ifname(c->uplink, v, why);
}

static void format_uplink(const struct conf *c, char *buf)
{
	strcpy(buf, c->uplink);
}

static int parse_guest_bridge(struct conf *c, const char *v, char *why)
{
	return parse_ifname(c->guest_bridge, v, why);
}

static void format_guest_bridge(const struct conf *c, char *buf)
{
	strcpy(buf, c->guest_bridge);
}

static int parse_host_bridge(struct conf *c, const char *v, char *why)
{
	return parse_ifname(c->host_bridge, v, why);
}

static void format_host_bridge(const struct conf *c, char *buf)
{
	strcpy(buf, c->host_bridge);
}

static int parse_mtu(struct conf *c, const char *v, char *why)
{
	unsigned n = 0;

	if (streq(v, "auto")) {
		c->mtu = 0;
		return 0;
	}
	/* IPv4's minimum and a common jumbo frame limit; no leading zeros, no sign. */
	if (v[0] < '1' || v[0] > '9' || strlen(v) > 4)
		return bad_value(why, v, "auto or 576 to 9000");
	for (const char *p = v; *p; p++) {
		if (*p < '0' || *p > '9')
			return bad_value(why, v, "auto or 576 to 9000");
		n = n * 10 + (unsigned)(*p - '0');
	}
	if (n < 576 || n > 9000)
		return bad_value(why, v, "auto or 576 to 9000");
	c->mtu = n;
	return 0;
}

static void format_mtu(const struct conf *c, char *buf)
{
	if (c->mtu == 0)
		strcpy(buf, "auto");
	else
		snprintf(buf, CONF_MAX_LINE + 1, "%u", c->mtu);
}

static int parse_router(struct conf *c, const char *v, char *why)
{
	if (!valid_name(v)) {
		why_set(why, "invalid container name '%s' (1 to 63 of a-z 0-9 -, not all digits)",
			quote(v).s);
		return -EINVAL;
	}
	strcpy(c->router, v);
	return 0;
}

static void format_router(const struct conf *c, char *buf)
{
	strcpy(buf, c->router);
}

/*
 * router_idmap = off | FIRST: root inside the router is host uid and gid FIRST,
 * and the router has 65536 of them. Below 100000 are the host's own users
 * (and Debian's /etc/subuid starts there); the last id must stay below
 * 4294967295, which is "no id".
 */
#define IDMAP_MIN 100000u
#define IDMAP_MAX (4294967294u - (ROUTER_IDMAP_COUNT - 1))

static int parse_router_idmap(struct conf *c, const char *v, char *why)
{
	if (streq(v, "off")) {
		c->router_idmap = 0;
		return 0;
	}
	if (parse_uint(v, IDMAP_MIN, IDMAP_MAX, &c->router_idmap) < 0)
		return bad_value(why, v, "off or a host uid from 100000 to 4294901759");
	return 0;
}

/* A number, or @none for 0. */
static void format_uint_or(char *buf, uint32_t v, const char *none)
{
	if (v)
		snprintf(buf, CONF_MAX_LINE + 1, "%u", v);
	else
		strcpy(buf, none);
}

static void format_router_idmap(const struct conf *c, char *buf)
{
	format_uint_or(buf, c->router_idmap, "off");
}

/* ---- [ipv4] ---- */

static bool ip4_unicast(uint32_t a)
{
	/* 0/8 "this network", 127/8 loopback, 224/4 multicast and 240/4 reserved */
	uint32_t top = a >> 24;

	return top != 0 && top != 127 && top < 224;
}

/* "A.B.C.D/N" that failed to parse: would it parse with the host bits cleared? */
static bool ip4_host_bits_set(const char *v)
{
	const char *slash = strchr(v, '/');
	char addr[INET_ADDRSTRLEN], net[32];
	struct in_addr a;
	struct ip4_net n;

	if (!slash || (size_t)(slash - v) >= sizeof(addr) || strlen(slash) > 8)
		return false;
	memcpy(addr, v, (size_t)(slash - v));
	addr[slash - v] = '\0';
	snprintf(net, sizeof(net), "0.0.0.0%s", slash);
	return addr_parse_ip4(addr, &a) == 0 && addr_parse_ip4_net(net, &n) == 0;
}

static int parse_subnet(struct ip4_net *dst, const char *v, char *why)
{
	struct ip4_net n;

	if (addr_parse_ip4_net(v, &n) < 0) {
		why_set(why, "invalid CIDR '%s'%s", quote(v).s,
			ip4_host_bits_set(v) ? " (host bits set)" : "");
		return -EINVAL;
	}
	/* /30 is the smallest net with both a router and a host address besides
	 * network and broadcast; below /8 is not a LAN. */
	if (n.plen < 8 || n.plen > 30) {
		why_set(why, "prefix length must be /8 to /30, not /%u", n.plen);
		return -EINVAL;
	}
	if (!ip4_unicast(ip4_h(n.addr))) {
		why_set(why, "'%s' is not a unicast range", quote(v).s);
		return -EINVAL;
	}
	*dst = n;
	return 0;
}

static void format_ip4_net(const struct ip4_net *n, char *buf)
{
	char a[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &n->addr, a, sizeof(a));
	snprintf(buf, CONF_MAX_LINE + 1, "%s/%u", a, n->plen);
}

static int parse_guest_subnet(struct conf *c, const char *v, char *why)
{
	return parse_subnet(&c->guest_subnet, v, why);
}

static void format_guest_subnet(const struct conf *c, char *buf)
{
	format_ip4_net(&c->guest_subnet, buf);
}

static int parse_host_subnet(struct conf *c, const char *v, char *why)
{
	return parse_subnet(&c->host_subnet, v, why);
}

static void format_host_subnet(const struct conf *c, char *buf)
{
	format_ip4_net(&c->host_subnet, buf);
}

static int parse_range(struct in_addr *ret_start, struct in_addr *ret_end, const char *v, char *why)
{
	const char *dash = strchr(v, '-');
	char start[INET_ADDRSTRLEN];
	struct in_addr a, b;

	if (addr_parse_ip4_range(v, ret_start, ret_end) == 0)
		return 0;
	if (dash && (size_t)(dash - v) < sizeof(start)) {
		memcpy(start, v, (size_t)(dash - v));
		start[dash - v] = '\0';
		if (addr_parse_ip4(start, &a) == 0 && addr_parse_ip4(dash + 1, &b) == 0 &&
		    ip4_h(a) > ip4_h(b)) {
			why_set(why, "invalid range '%s' (start after end)", quote(v).s);
			return -EINVAL;
		}
	}
	why_set(why, "invalid range '%s' (expected A.B.C.D-E.F.G.H)", quote(v).s);
	return -EINVAL;
}

static void format_range(struct in_addr start, struct in_addr end, char *buf)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &start, a, sizeof(a));
	inet_ntop(AF_INET, &end, b, sizeof(b));
	snprintf(buf, CONF_MAX_LINE + 1, "%s-%s", a, b);
}

static int parse_dhcp_range(struct conf *c, const char *v, char *why)
{
	return parse_range(&c->dhcp_start, &c->dhcp_end, v, why);
}

static void format_dhcp_range(const struct conf *c, char *buf)
{
	format_range(c->dhcp_start, c->dhcp_end, buf);
}

static int parse_lease_time(struct conf *c, const char *v, char *why)
{
	if (parse_duration(v, &c->lease_time) < 0)
		return bad_value(why, v, "120s to 365d, or infinite");
	return 0;
}

static void format_lease_time(const struct conf *c, char *buf)
{
	uint32_t t = c->lease_time;

	if (t == 0)
		strcpy(buf, "infinite");
	else if (t % 86400 == 0)
		snprintf(buf, CONF_MAX_LINE + 1, "%ud", t / 86400);
	else if (t % 3600 == 0)
		snprintf(buf, CONF_MAX_LINE + 1, "%uh", t / 3600);
	else if (t % 60 == 0)
		snprintf(buf, CONF_MAX_LINE + 1, "%um", t / 60);
	else
		snprintf(buf, CONF_MAX_LINE + 1, "%us", t);
}

/* ---- [ipv6] ---- */

static int parse_enable(struct conf *c, const char *v, char *why)
{
	if (streq(v, "yes"))
		c->ipv6 = true;
	else if (streq(v, "no"))
		c->ipv6 = false;
	else
		return bad_value(why, v, "yes or no");
	return 0;
}

static void format_enable(const struct conf *c, char *buf)
{
	strcpy(buf, c->ipv6 ? "yes" : "no");
}

static bool ip6_unicast_prefix(const struct in6_addr *a)
{
	/* ::/8 (unspecified, loopback, mapped), fe80::/10 link-local, ff00::/8 multicast */
	return a->s6_addr[0] != 0 && a->s6_addr[0] != 0xff &&
	       !(a->s6_addr[0] == 0xfe && (a->s6_addr[1] & 0xc0) == 0x80);
}

static bool ip6_host_bits_set(const char *v)
{
	const char *slash = strchr(v, '/');
	char addr[INET6_ADDRSTRLEN], net[32];
	struct in6_addr a;
	struct ip6_net n;

	if (!slash || (size_t)(slash - v) >= sizeof(addr) || strlen(slash) > 8)
		return false;
	memcpy(addr, v, (size_t)(slash - v));
	addr[slash - v] = '\0';
	snprintf(net, sizeof(net), "::%s", slash);
	return addr_parse_ip6(addr, &a) == 0 && addr_parse_ip6_net(net, &n) == 0;
}

/* Every IPv6 network here carries SLAAC, which needs exactly a /64. */
static int parse_prefix64(struct ip6_net *dst, const char *v, char *why)
{
	struct ip6_net n;

	if (addr_parse_ip6_net(v, &n) < 0) {
		why_set(why, "invalid prefix '%s'%s", quote(v).s,
			ip6_host_bits_set(v) ? " (host bits set)" : "");
		return -EINVAL;
	}
	if (n.plen != 64) {
		why_set(why, "prefix length must be /64, not /%u", n.plen);
		return -EINVAL;
	}
	if (!ip6_unicast_prefix(&n.addr)) {
		why_set(why, "'%s' is not a global or unique-local prefix", quote(v).s);
		return -EINVAL;
	}
	*dst = n;
	return 0;
}

static void format_ip6_net(const struct ip6_net *n, char *buf)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(AF_INET6, &n->addr, a, sizeof(a));
	snprintf(buf, CONF_MAX_LINE + 1, "%s/%u", a, n->plen);
}

static int parse_guest_prefix(struct conf *c, const char *v, char *why)
{
	return parse_prefix64(&c->guest_prefix, v, why);
}

static void format_guest_prefix(const struct conf *c, char *buf)
{
	format_ip6_net(&c->guest_prefix, buf);
}

static int parse_host_prefix(struct conf *c, const char *v, char *why)
{
	return parse_prefix64(&c->host_prefix, v, why);
}

static void format_host_prefix(const struct conf *c, char *buf)
{
	format_ip6_net(&c->host_prefix, buf);
}

/* ---- [dns] ---- */

static int parse_domain(struct conf *c, const char *v, char *why)
{
	if (!valid_domain(v)) {
		why_set(why, "invalid domain '%s' (labels of a-z 0-9 -, at most 253 characters)",
			quote(v).s);
		return -EINVAL;
	}
	strcpy(c->domain, v);
	return 0;
}

static void format_domain(const struct conf *c, char *buf)
{
	strcpy(buf, c->domain);
}

static bool usable_server(const struct dns_server *s)
{
	if (s->family == AF_INET)
		return ip4_unicast(ip4_h(s->v4));
	/* A link-local server would need an interface, which a bare address lacks. */
	return !IN6_IS_ADDR_UNSPECIFIED(&s->v6) && !IN6_IS_ADDR_LOOPBACK(&s->v6) &&
	       !IN6_IS_ADDR_MULTICAST(&s->v6) && !IN6_IS_ADDR_LINKLOCAL(&s->v6);
}

static int parse_server_addr(struct dns_server *ret, const char *tok, char *why)
{
	struct dns_server s;

	memset(&s, 0, sizeof(s));
	if (addr_parse_ip4(tok, &s.v4) == 0) {
		s.family = AF_INET;
	} else if (addr_parse_ip6(tok, &s.v6) == 0) {
		s.family = AF_INET6;
	} else {
		why_set(why, "invalid address '%s'", quote(tok).s);
		return -EINVAL;
	}
	if (!usable_server(&s)) {
		why_set(why, "'%s' is not a usable upstream server address", quote(tok).s);
		return -EINVAL;
	}
	*ret = s;
	return 0;
}

static int upstream_entry(const char *tok, unsigned i, void *out, char *why)
{
	return parse_server_addr(&((struct dns_server *)out)[i], tok, why);
}

static int parse_upstream(struct conf *c, const char *v, char *why)
{
	struct dns_server list[CONF_MAX_UPSTREAM];
	int n;

	if (streq(v, "auto")) {
		c->upstream_auto = true;
		c->n_upstream = 0;
		memset(c->upstream, 0, sizeof(c->upstream));
		return 0;
	}
	memset(list, 0, sizeof(list));
	n = parse_list(v, CONF_MAX_UPSTREAM, "addresses", upstream_entry, list, why);
	if (n < 0)
		return n;
	c->upstream_auto = false;
	c->n_upstream = (unsigned)n;
	memcpy(c->upstream, list, sizeof(list));
	return 0;
}

static void format_upstream(const struct conf *c, char *buf)
{
	size_t o = 0;

	if (c->upstream_auto) {
		strcpy(buf, "auto");
		return;
	}
	buf[0] = '\0';
	for (unsigned i = 0; i < c->n_upstream && i < CONF_MAX_UPSTREAM; i++) {
		const struct dns_server *s = &c->upstream[i];
		char a[INET6_ADDRSTRLEN];

		inet_ntop(s->family, s->family == AF_INET ? (const void *)&s->v4 : &s->v6, a,
			  sizeof(a));
		o += (size_t)snprintf(buf + o, CONF_MAX_LINE + 1 - o, "%s%s", i ? ", " : "", a);
	}
}

static int parse_on_off(bool *dst, const char *v, char *why)
{
	if (streq(v, "on"))
		*dst = true;
	else if (streq(v, "off"))
		*dst = false;
	else
		return bad_value(why, v, "on or off");
	return 0;
}

static int parse_rebind_protection(struct conf *c, const char *v, char *why)
{
	return parse_on_off(&c->rebind_protection, v, why);
}

static void format_rebind_protection(const struct conf *c, char *buf)
{
	strcpy(buf, c->rebind_protection ? "on" : "off");
}

/* A trusted domain has two labels or more: "com" would trust a whole TLD. */
static int rebind_entry(const char *tok, unsigned i, void *out, char *why)
{
	char(*list)[254] = out;

	if (!valid_domain(tok) || !strchr(tok, '.')) {
		why_set(why, "invalid domain '%s' (a domain of two labels or more, e.g. corp.example)",
			quote(tok).s);
		return -EINVAL;
	}
	strcpy(list[i], tok);
	return 0;
}

static int parse_rebind_ok(struct conf *c, const char *v, char *why)
{
	char list[CONF_MAX_REBIND_OK][254];
	int n;

	memset(list, 0, sizeof(list));
	if (!streq(v, "none")) {
		n = parse_list(v, CONF_MAX_REBIND_OK, "domains", rebind_entry, list, why);
		if (n < 0)
			return n;
		c->n_rebind_ok = (unsigned)n;
	} else {
		c->n_rebind_ok = 0;
	}
	memcpy(c->rebind_ok, list, sizeof(list));
	return 0;
}

static void format_rebind_ok(const struct conf *c, char *buf)
{
	size_t o = 0;

	strcpy(buf, c->n_rebind_ok ? "" : "none");
	for (unsigned i = 0; i < c->n_rebind_ok; i++)
		o += (size_t)snprintf(buf + o, CONF_MAX_LINE + 1 - o, "%s%s", i ? ", " : "",
				      c->rebind_ok[i]);
}

/* ---- [server] ---- */

static int parse_ipv4_pool(struct conf *c, const char *v, char *why)
{
	return parse_range(&c->pool_start, &c->pool_end, v, why);
}

static void format_ipv4_pool(const struct conf *c, char *buf)
{
	format_range(c->pool_start, c->pool_end, buf);
}

static int parse_ipv6_prefix(struct conf *c, const char *v, char *why)
{
	if (streq(v, "auto")) {
		c->server_prefix_auto = true;
		memset(&c->server_prefix, 0, sizeof(c->server_prefix));
		return 0;
	}
	if (parse_prefix64(&c->server_prefix, v, why) < 0)
		return -EINVAL;
	c->server_prefix_auto = false;
	return 0;
}

static void format_ipv6_prefix(const struct conf *c, char *buf)
{
	if (c->server_prefix_auto)
		strcpy(buf, "auto");
	else
		format_ip6_net(&c->server_prefix, buf);
}

static int parse_inbound(struct conf *c, const char *v, char *why)
{
	if (streq(v, "ports"))
		c->inbound = INBOUND_PORTS;
	else if (streq(v, "open"))
		c->inbound = INBOUND_OPEN;
	else
		return bad_value(why, v, "ports or open");
	return 0;
}

static void format_inbound(const struct conf *c, char *buf)
{
	switch (c->inbound) {
	case INBOUND_PORTS:
		strcpy(buf, "ports");
		return;
	case INBOUND_OPEN:
		strcpy(buf, "open");
		return;
	}
	strcpy(buf, "?");
}

static int parse_provision_dir(struct conf *c, const char *v, char *why)
{
	if (streq(v, "none")) {
		c->provision_dir[0] = '\0';
		return 0;
	}
	if (v[0] != '/')
		return bad_value(why, v, "none or an absolute directory");
	for (const char *s = v; *s; s++)
		if ((unsigned char)*s < ' ' || (unsigned char)*s == 0x7f)
			return bad_value(why, v, "none or an absolute directory");
	if (strscpy(c->provision_dir, sizeof(c->provision_dir), v) < 0)
		return bad_value(why, v, "a shorter path");
	return 0;
}

static void format_provision_dir(const struct conf *c, char *buf)
{
	strcpy(buf, c->provision_dir[0] ? c->provision_dir : "none");
}

/* Per-guest limits: whole numbers in a range that keeps a normal guest unaware of them. */
#define LIMIT_KEY(name, min, max)                                                          \
	static int parse_##name(struct conf *c, const char *v, char *why)                  \
	{                                                                                  \
		if (parse_uint(v, min, max, &c->name) < 0)                                 \
			return bad_value(why, v, "a whole number from " #min " to " #max); \
		return 0;                                                                  \
	}                                                                                  \
	static void format_##name(const struct conf *c, char *buf)                         \
	{                                                                                  \
		snprintf(buf, CONF_MAX_LINE + 1, "%u", c->name);                           \
	}
LIMIT_KEY(max_connections, 64, 1048576)
LIMIT_KEY(new_connections, 10, 1000000)
LIMIT_KEY(dns_rate, 10, 1000000)
LIMIT_KEY(dhcp_rate, 1, 10000)

static bool dns_server_eq(const struct dns_server *a, const struct dns_server *b);
static char *trim(char *s);

/* ---- [network] uplink_ipv4 ... uplink_gateway6 ---- */

/* "ADDR/LEN" with the host's own address (host bits set): an interface address. */
static int parse_if_addr(int family, const char *v, void *addr, uint8_t *plen, char *why)
{
	char buf[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(v, '/');
	unsigned max = family == AF_INET ? 32 : 128;
	uint32_t len;
	int r;

	if (!slash || (size_t)(slash - v) >= sizeof(buf) || parse_uint(slash + 1, 1, max, &len) < 0)
		goto bad;
	memcpy(buf, v, (size_t)(slash - v));
	buf[slash - v] = '\0';
	r = family == AF_INET ? addr_parse_ip4(buf, addr) : addr_parse_ip6(buf, addr);
	if (r < 0)
		goto bad;
	if (family == AF_INET) {
		uint32_t a = ip4_h(*(struct in_addr *)addr), host = len == 32 ? 0 : ~0u >> len;

		/* Not the network or broadcast address of its subnet (a /31 or /32 has neither). */
		if (!ip4_unicast(a) || (len < 31 && ((a & host) == 0 || (a & host) == host)))
			goto bad;
	} else {
		const struct in6_addr *a = addr;

		if (IN6_IS_ADDR_UNSPECIFIED(a) || IN6_IS_ADDR_LOOPBACK(a) ||
		    IN6_IS_ADDR_MULTICAST(a) || IN6_IS_ADDR_LINKLOCAL(a))
			goto bad;
	}
	*plen = (uint8_t)len;
	return 0;
bad:
	return bad_value(why, v,
			 family == AF_INET ? "auto or a host address with its prefix length, "
					     "like 192.0.2.61/24"
					   : "auto or a global host address with its prefix "
					     "length, like 2001:db8:1::61/64");
}

static void format_if_addr(int family, const void *addr, uint8_t plen, char *buf)
{
	char a[INET6_ADDRSTRLEN];

	if (!plen) {
		strcpy(buf, "auto");
		return;
	}
	inet_ntop(family, addr, a, sizeof(a));
	snprintf(buf, CONF_MAX_LINE + 1, "%s/%u", a, plen);
}

static int parse_uplink_ipv4(struct conf *c, const char *v, char *why)
{
	c->uplink_plen4 = 0;
	c->uplink_ip4.s_addr = 0;
	return streq(v, "auto") ? 0 : parse_if_addr(AF_INET, v, &c->uplink_ip4, &c->uplink_plen4, why);
}

static void format_uplink_ipv4(const struct conf *c, char *buf)
{
	format_if_addr(AF_INET, &c->uplink_ip4, c->uplink_plen4, buf);
}

static int parse_uplink_ipv6(struct conf *c, const char *v, char *why)
{
	c->uplink_plen6 = 0;
	memset(&c->uplink_ip6, 0, sizeof(c->uplink_ip6));
	return streq(v, "auto") ? 0 : parse_if_addr(AF_INET6, v, &c->uplink_ip6, &c->uplink_plen6, why);
}

static void format_uplink_ipv6(const struct conf *c, char *buf)
{
	format_if_addr(AF_INET6, &c->uplink_ip6, c->uplink_plen6, buf);
}

/* auto: from DHCP / the LAN's router advertisements; with a fixed address, none. */
static int parse_uplink_gateway4(struct conf *c, const char *v, char *why)
{
	c->uplink_gw4.s_addr = 0;
	if (streq(v, "auto"))
		return 0;
	if (addr_parse_ip4(v, &c->uplink_gw4) < 0 || !ip4_unicast(ip4_h(c->uplink_gw4)))
		return bad_value(why, v, "auto or an IPv4 address");
	return 0;
}

static void format_uplink_gateway4(const struct conf *c, char *buf)
{
	if (!c->uplink_gw4.s_addr)
		strcpy(buf, "auto");
	else
		inet_ntop(AF_INET, &c->uplink_gw4, buf, CONF_MAX_LINE + 1);
}

static int parse_uplink_gateway6(struct conf *c, const char *v, char *why)
{
	memset(&c->uplink_gw6, 0, sizeof(c->uplink_gw6));
	if (streq(v, "auto"))
		return 0;
	if (addr_parse_ip6(v, &c->uplink_gw6) < 0 || IN6_IS_ADDR_UNSPECIFIED(&c->uplink_gw6) ||
	    IN6_IS_ADDR_MULTICAST(&c->uplink_gw6) || IN6_IS_ADDR_LOOPBACK(&c->uplink_gw6))
		return bad_value(why, v, "auto or an IPv6 address (link-local allowed)");
	return 0;
}

static void format_uplink_gateway6(const struct conf *c, char *buf)
{
	if (IN6_IS_ADDR_UNSPECIFIED(&c->uplink_gw6))
		strcpy(buf, "auto");
	else
		inet_ntop(AF_INET6, &c->uplink_gw6, buf, CONF_MAX_LINE + 1);
}

/* ---- [routing] ---- */

int conf_parse_ip_net(const char *s, struct ip_net *ret)
{
	struct ip_net n;

	memset(&n, 0, sizeof(n));
	if (addr_parse_ip4_net(s, &n.v4) == 0)
		n.family = AF_INET;
	else if (addr_parse_ip6_net(s, &n.v6) == 0)
		n.family = AF_INET6;
	else
		return -EINVAL;
	*ret = n;
	return 0;
}

char *conf_format_ip_net(const struct ip_net *n, char *buf)
{
	char a[INET6_ADDRSTRLEN];

	if (n->family == AF_INET)
		inet_ntop(AF_INET, &n->v4.addr, a, sizeof(a));
	else
		inet_ntop(AF_INET6, &n->v6.addr, a, sizeof(a));
	sprintf(buf, "%s/%u", a, n->family == AF_INET ? n->v4.plen : n->v6.plen);
	return buf;
}

static bool ip_net_overlaps(const struct ip_net *a, const struct ip_net *b)
{
	if (a->family != b->family)
		return false;
	return a->family == AF_INET ? ip4_net_overlaps(&a->v4, &b->v4)
				    : ip6_net_overlaps(&a->v6, &b->v6);
}

static bool ip_net_eq(const struct ip_net *a, const struct ip_net *b)
{
	char x[INET6_ADDRSTRLEN + 4], y[INET6_ADDRSTRLEN + 4];

	return a->family == b->family && streq(conf_format_ip_net(a, x), conf_format_ip_net(b, y));
}

static int parse_bgp(struct conf *c, const char *v, char *why)
{
	return parse_on_off(&c->bgp, v, why);
}

static void format_bgp(const struct conf *c, char *buf)
{
	strcpy(buf, c->bgp ? "on" : "off");
}

/* An AS number: 1..4294967294 without AS_TRANS (23456) and the reserved 65535. */
static int parse_asn_value(const char *v, uint32_t *ret)
{
	uint32_t a;

	if (parse_uint(v, 1, 4294967294u, &a) < 0 || a == 23456 || a == 65535)
		return -EINVAL;
	*ret = a;
	return 0;
}

static int parse_asn(struct conf *c, const char *v, char *why)
{
	c->asn = 0;
	if (streq(v, "none"))
		return 0;
	if (parse_asn_value(v, &c->asn) < 0)
		return bad_value(why, v, "none or an AS number, e.g. 65001 or 4200000001");
	return 0;
}

static void format_asn(const struct conf *c, char *buf)
{
	format_uint_or(buf, c->asn, "none");
}

static int parse_router_id(struct conf *c, const char *v, char *why)
{
	c->router_id.s_addr = 0;
	if (streq(v, "auto"))
		return 0;
	if (addr_parse_ip4(v, &c->router_id) < 0 || !c->router_id.s_addr)
		return bad_value(why, v, "auto or an IPv4 address");
	return 0;
}

static void format_router_id(const struct conf *c, char *buf)
{
	if (c->router_id.s_addr)
		inet_ntop(AF_INET, &c->router_id, buf, CONF_MAX_LINE + 1);
	else
		strcpy(buf, "auto");
}

/* One peer: "ADDRESS as ASN [domain DOMAIN] [subnet CIDR]...", words split on blanks. */
static int peer_entry(const char *text, struct bgp_peer *pe, char *why)
{
	char s[CONF_MAX_LINE + 1], *save = NULL, *w[2 + 2 + 2 * (1 + CONF_MAX_PEER_SUBNETS) + 1];
	unsigned n = 0;
	bool domain = false;

	memset(pe, 0, sizeof(*pe));
	strscpy(s, sizeof(s), text);
	for (char *t = strtok_r(s, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
		if (n == ARRAY_SIZE(w))
			goto bad;
		w[n++] = t;
	}
	if (n < 3 || n % 2 == 0 || !streq(w[1], "as"))
		goto bad;
	if (parse_server_addr(&pe->addr, w[0], why) < 0)
		return -EINVAL;
	if (parse_asn_value(w[2], &pe->asn) < 0) {
		why_set(why, "peer %s: invalid AS number '%s'", w[0], quote(w[2]).s);
		return -EINVAL;
	}
	for (unsigned i = 3; i + 1 < n; i += 2) {
		if (streq(w[i], "domain") && !domain) {
			if (!valid_domain(w[i + 1])) {
				why_set(why, "peer %s: invalid domain '%s'", w[0], quote(w[i + 1]).s);
				return -EINVAL;
			}
			strcpy(pe->domain, w[i + 1]);
			domain = true;
		} else if (streq(w[i], "subnet") && pe->n_subnets < CONF_MAX_PEER_SUBNETS) {
			if (conf_parse_ip_net(w[i + 1], &pe->subnets[pe->n_subnets]) < 0) {
				why_set(why, "peer %s: invalid subnet '%s' (a CIDR prefix)", w[0],
					quote(w[i + 1]).s);
				return -EINVAL;
			}
			pe->n_subnets++;
		} else {
			goto bad;
		}
	}
	return 0;
bad:
	why_set(why, "invalid peer '%s' (expected ADDRESS as ASN [domain DOMAIN] [subnet CIDR]..., "
		     "at most %d subnets)", quote(text).s, CONF_MAX_PEER_SUBNETS);
	return -EINVAL;
}

/* Peers are separated by commas (their words by blanks). */
static int parse_peers(struct conf *c, const char *v, char *why)
{
	char buf[CONF_MAX_LINE + 1], *save = NULL;
	struct bgp_peer list[CONF_MAX_PEERS];
	unsigned n = 0;

	memset(list, 0, sizeof(list));
	c->n_peers = 0;
	if (streq(v, "none")) {
		memcpy(c->peers, list, sizeof(list));
		return 0;
	}
	if (strscpy(buf, sizeof(buf), v) < 0 || strstr(buf, ",,") || buf[strlen(buf) - 1] == ',' ||
	    buf[0] == ',')
		return empty_entry(why, v);
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		char tmp[CONF_MAX_LINE + 1];

		if (n == CONF_MAX_PEERS) {
			why_set(why, "too many peers (at most %d)", CONF_MAX_PEERS);
			return -EINVAL;
		}
		strcpy(tmp, t);
		if (!*trim(tmp))
			return empty_entry(why, v);
		if (peer_entry(trim(tmp), &list[n], why) < 0)
			return -EINVAL;
		for (unsigned k = 0; k < n; k++)
			if (dns_server_eq(&list[k].addr, &list[n].addr)) {
				why_set(why, "peer '%s' is listed twice", quote(trim(tmp)).s);
				return -EINVAL;
			}
		n++;
	}
	c->n_peers = n;
	memcpy(c->peers, list, sizeof(list));
	return 0;
}

static void format_peers(const struct conf *c, char *buf)
{
	size_t o = 0;

	if (!c->n_peers) {
		strcpy(buf, "none");
		return;
	}
	buf[0] = '\0';
	for (unsigned i = 0; i < c->n_peers && o < CONF_MAX_LINE; i++) {
		const struct bgp_peer *pe = &c->peers[i];
		char a[INET6_ADDRSTRLEN];

		inet_ntop(pe->addr.family, &pe->addr.v6, a, sizeof(a));
		o += (size_t)snprintf(buf + o, CONF_MAX_LINE + 1 - o, "%s%s as %u", i ? ", " : "", a,
				      pe->asn);
		if (pe->domain[0] && o < CONF_MAX_LINE)
			o += (size_t)snprintf(buf + o, CONF_MAX_LINE + 1 - o, " domain %s",
					      pe->domain);
		for (unsigned k = 0; k < pe->n_subnets && o < CONF_MAX_LINE; k++) {
			char n[INET6_ADDRSTRLEN + 4];

			o += (size_t)snprintf(buf + o, CONF_MAX_LINE + 1 - o, " subnet %s",
					      conf_format_ip_net(&pe->subnets[k], n));
		}
	}
}

/* Printable ASCII without blanks, quotes or backslashes: it goes into bird.conf in quotes. */
static int parse_password(struct conf *c, const char *v, char *why)
{
	c->password[0] = '\0';
	if (streq(v, "none"))
		return 0;
	if (strlen(v) > CONF_MAX_PASSWORD)
		goto bad;
	for (const char *s = v; *s; s++)
		if (*s <= ' ' || *s > '~' || *s == '"' || *s == '\\' || *s == '\'')
			goto bad;
	strcpy(c->password, v);
	return 0;
bad:
	why_set(why, "invalid password (none, or 1 to %d printable ASCII characters without "
		     "blanks, quotes or backslashes)", CONF_MAX_PASSWORD);
	return -EINVAL;
}

static void format_password(const struct conf *c, char *buf)
{
	strcpy(buf, c->password[0] ? c->password : "none");
}

static int parse_hold_time(struct conf *c, const char *v, char *why)
{
	if (parse_uint(v, 3, 65535, &c->hold_time) < 0)
		return bad_value(why, v, "seconds, a whole number from 3 to 65535");
	return 0;
}

static void format_hold_time(const struct conf *c, char *buf)
{
	snprintf(buf, CONF_MAX_LINE + 1, "%u", c->hold_time);
}

static int route_entry(const char *tok, unsigned i, void *out, char *why)
{
	if (conf_parse_ip_net(tok, &((struct ip_net *)out)[i]) < 0) {
		why_set(why, "invalid prefix '%s' (a CIDR prefix with its host bits zero, like "
			     "10.82.0.0/16 or fd00:82::/48)", quote(tok).s);
		return -EINVAL;
	}
	return 0;
}

static int parse_routes(const char *v, bool allow_auto, bool *is_auto, unsigned *n_ret,
			struct ip_net out[CONF_MAX_ROUTES], char *why)
{
	struct ip_net list[CONF_MAX_ROUTES];
	int n = 0;

	memset(list, 0, sizeof(list));
	if (allow_auto && streq(v, "auto")) {
		*is_auto = true;
	} else if (!streq(v, "none")) {
		n = parse_list(v, CONF_MAX_ROUTES, "prefixes", route_entry, list, why);
		if (n < 0)
			return n;
	}
	if (is_auto && !streq(v, "auto"))
		*is_auto = false;
	*n_ret = (unsigned)n;
	memcpy(out, list, sizeof(list));
	return 0;
}

static void format_routes(bool is_auto, unsigned n, const struct ip_net *list, char *buf)
{
	size_t o = 0;

	strcpy(buf, is_auto ? "auto" : n ? "" : "none");
	for (unsigned i = 0; !is_auto && i < n; i++) {
		char a[INET6_ADDRSTRLEN + 4];

		o += (size_t)snprintf(buf + o, CONF_MAX_LINE + 1 - o, "%s%s", i ? ", " : "",
				      conf_format_ip_net(&list[i], a));
	}
}

static int parse_announce(struct conf *c, const char *v, char *why)
{
	return parse_routes(v, true, &c->announce_auto, &c->n_announce, c->announce, why);
}

static void format_announce(const struct conf *c, char *buf)
{
	format_routes(c->announce_auto, c->n_announce, c->announce, buf);
}

static int parse_accept(struct conf *c, const char *v, char *why)
{
	return parse_routes(v, false, NULL, &c->n_accept, c->accept, why);
}

static void format_accept(const struct conf *c, char *buf)
{
	format_routes(false, c->n_accept, c->accept, buf);
}

unsigned conf_announce(const struct conf *c, struct ip_net out[CONF_MAX_ROUTES])
{
	unsigned n = 0;

	if (!c->announce_auto) {
		memcpy(out, c->announce, sizeof(c->announce));
		return c->n_announce;
	}
	memset(out, 0, sizeof(*out) * CONF_MAX_ROUTES);
	if (c->mode == MODE_SERVER)
		return 0;
	out[n].family = AF_INET;
	out[n++].v4 = c->guest_subnet;
	if (c->ipv6) {
		out[n].family = AF_INET6;
		out[n++].v6 = c->guest_prefix;
	}
	return n;
}

/* The printing order: sections as documented, keys as in INTERFACE.md. */
#define KEY(k, sec, name, def) [k] = { sec, #name, def, parse_##name, format_##name }
static const struct key_def keys[N_KEYS] = {
	KEY(K_MODE, SEC_NETWORK, mode, "desktop"),
	KEY(K_UPLINK, SEC_NETWORK, uplink, "eth0"),
	KEY(K_ATTACH, SEC_NETWORK, attach, "auto"),
	KEY(K_GUEST_BRIDGE, SEC_NETWORK, guest_bridge, "lxtg1"),
	KEY(K_HOST_BRIDGE, SEC_NETWORK, host_bridge, "lxtg0"),
	KEY(K_MTU, SEC_NETWORK, mtu, "auto"),
	KEY(K_ROUTER, SEC_NETWORK, router, "managed"),
	KEY(K_ROUTER_IDMAP, SEC_NETWORK, router_idmap, "1500000000"),
	KEY(K_BRIDGE_NF, SEC_NETWORK, bridge_nf, "off"),
	KEY(K_HOST_ACCESS, SEC_NETWORK, host_access, "none"),
	KEY(K_UPLINK_IPV4, SEC_NETWORK, uplink_ipv4, "auto"),
	KEY(K_UPLINK_GATEWAY4, SEC_NETWORK, uplink_gateway4, "auto"),
	KEY(K_UPLINK_IPV6, SEC_NETWORK, uplink_ipv6, "auto"),
	KEY(K_UPLINK_GATEWAY6, SEC_NETWORK, uplink_gateway6, "auto"),
	KEY(K_GUEST_SUBNET, SEC_IPV4, guest_subnet, "192.168.254.0/24"),
	KEY(K_DHCP_RANGE, SEC_IPV4, dhcp_range, "192.168.254.101-192.168.254.200"),
	KEY(K_HOST_SUBNET, SEC_IPV4, host_subnet, "192.168.253.0/24"),
	KEY(K_LEASE_TIME, SEC_IPV4, lease_time, "1h"),
	KEY(K_IPV6_ENABLE, SEC_IPV6, enable, "yes"),
	KEY(K_GUEST_PREFIX, SEC_IPV6, guest_prefix, "fd00:aaaa:254::/64"),
	KEY(K_HOST_PREFIX, SEC_IPV6, host_prefix, "fd00:aaaa:253::/64"),
	KEY(K_DOMAIN, SEC_DNS, domain, "lxtg.internal"),
	KEY(K_UPSTREAM, SEC_DNS, upstream, "auto"),
	KEY(K_REBIND_PROTECTION, SEC_DNS, rebind_protection, "on"),
	KEY(K_REBIND_OK, SEC_DNS, rebind_ok, "none"),
	KEY(K_IPV4_POOL, SEC_SERVER, ipv4_pool, "192.0.2.100-192.0.2.120"),
	KEY(K_IPV6_PREFIX, SEC_SERVER, ipv6_prefix, "auto"),
	KEY(K_INBOUND, SEC_SERVER, inbound, "ports"),
	KEY(K_PROVISION_DIR, SEC_GUESTS, provision_dir, "none"),
	KEY(K_MAX_CONNECTIONS, SEC_GUESTS, max_connections, "8192"),
	KEY(K_NEW_CONNECTIONS, SEC_GUESTS, new_connections, "200"),
	KEY(K_DNS_RATE, SEC_GUESTS, dns_rate, "100"),
	KEY(K_DHCP_RATE, SEC_GUESTS, dhcp_rate, "5"),
	KEY(K_BGP, SEC_ROUTING, bgp, "off"),
	KEY(K_ASN, SEC_ROUTING, asn, "none"),
	KEY(K_ROUTER_ID, SEC_ROUTING, router_id, "auto"),
	KEY(K_PEERS, SEC_ROUTING, peers, "none"),
	KEY(K_PASSWORD, SEC_ROUTING, password, "none"),
	KEY(K_HOLD_TIME, SEC_ROUTING, hold_time, "9"),
	KEY(K_ANNOUNCE, SEC_ROUTING, announce, "auto"),
	KEY(K_ACCEPT, SEC_ROUTING, accept, "none"),
};
#undef KEY

void conf_defaults(struct conf *c)
{
	char why[WHY_MAX];

	memset(c, 0, sizeof(*c));
	/* The table's defaults are checked by the unit test, so this cannot fail. */
	for (unsigned k = 0; k < N_KEYS; k++)
		(void)keys[k].parse(c, keys[k].def, why);
}

/* ---- the parser ---- */

/* Overrides from the command line get line numbers past any file's, so that
 * messages sort after the file's and cross-key blame goes to them. */
#define OVERRIDE_LINE 0x40000000u

struct parser {
	const char *name;
	const struct conf_override *ov;
	struct conf_errors *errs;
	unsigned err_line[CONF_MAX_ERRORS]; /* for sorting the messages by line */
	unsigned line[N_KEYS];		    /* where each key was set; 0 = default */
	bool bad[N_KEYS];		    /* set, but refused: leave it out of cross-checks */
	struct conf c;
};

static void perr(struct parser *p, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void perr(struct parser *p, unsigned line, const char *fmt, ...)
{
	struct conf_errors *e = p->errs;
	char *m;
	int o;
	va_list ap;

	if (e->n >= CONF_MAX_ERRORS) {
		e->dropped++;
		return;
	}
	m = e->msg[e->n];
	if (line >= OVERRIDE_LINE)
		o = snprintf(m, sizeof(e->msg[0]), "%s: ", p->ov[line - OVERRIDE_LINE].origin);
	else if (line)
		o = snprintf(m, sizeof(e->msg[0]), "%s:%u: ", p->name, line);
	else
		o = snprintf(m, sizeof(e->msg[0]), "%s: ", p->name);
	if (o >= 0 && (size_t)o < sizeof(e->msg[0])) {
		va_start(ap, fmt);
		vsnprintf(m + o, sizeof(e->msg[0]) - (size_t)o, fmt, ap);
		va_end(ap);
	}
	p->err_line[e->n++] = line;
}

static bool is_blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\f' || ch == '\v';
}

static char *trim(char *s)
{
	size_t n;

	while (is_blank(*s))
		s++;
	n = strlen(s);
	while (n > 0 && is_blank(s[n - 1]))
		s[--n] = '\0';
	return s;
}

static int find_section(const char *name)
{
	for (int s = 0; s < N_SECTIONS; s++)
		if (streq(section_names[s], name))
			return s;
	return -1;
}

static int find_key(enum section sec, const char *name)
{
	for (int k = 0; k < N_KEYS; k++)
		if (keys[k].section == sec && streq(keys[k].name, name))
			return k;
	return -1;
}

static int find_key_anywhere(const char *name)
{
	for (int k = 0; k < N_KEYS; k++)
		if (streq(keys[k].name, name))
			return k;
	return -1;
}

static void parse_assignment(struct parser *p, unsigned lineno, enum section sec, char *s, char *eq)
{
	char why[WHY_MAX];
	char *key, *value;
	int k;

	*eq = '\0';
	key = trim(s);
	value = trim(eq + 1);
	if (!*key) {
		perr(p, lineno, "missing key before '='");
		return;
	}
	if (sec == SEC_NONE) {
		perr(p, lineno, "key '%s' outside of a section", quote(key).s);
		return;
	}
	if (sec == SEC_SKIP)
		return;
	k = find_key(sec, key);
	if (k < 0) {
		int other = find_key_anywhere(key);

		if (other >= 0)
			perr(p, lineno, "unknown key '%s' in section [%s] (it belongs in [%s])",
			     key, section_names[sec], section_names[keys[other].section]);
		else
			perr(p, lineno, "unknown key '%s' in section [%s]", quote(key).s,
			     section_names[sec]);
		return;
	}
	if (p->line[k]) {
		perr(p, lineno, "duplicate key '%s' in section [%s] (first set on line %u)", key,
		     section_names[sec], p->line[k]);
		return;
	}
	p->line[k] = lineno;
	if (!*value) {
		perr(p, lineno, "%s: missing value", key);
		p->bad[k] = true;
		return;
	}
	if (keys[k].parse(&p->c, value, why) < 0) {
		perr(p, lineno, "%s: %s", key, why);
		p->bad[k] = true;
	}
}

/* Returns the section that the following lines belong to. */
static enum section parse_header(struct parser *p, unsigned lineno, char *s)
{
	size_t n = strlen(s);
	char *name;
	int sec;

	if (n < 2 || s[n - 1] != ']') {
		perr(p, lineno, "invalid section header '%s'", quote(s).s);
		return SEC_SKIP;
	}
	s[n - 1] = '\0';
	name = trim(s + 1);
	sec = find_section(name);
	if (sec < 0) {
		perr(p, lineno, "unknown section [%s]", quote(name).s);
		return SEC_SKIP;
	}
	return (enum section)sec;
}

static void parse_text(struct parser *p, const char *text, size_t len)
{
	enum section sec = SEC_NONE;
	char buf[CONF_MAX_LINE + 1];
	unsigned lineno = 0;
	size_t pos = 0;

	while (pos < len) {
		const char *line = text + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - line) : len - pos;
		char *s, *eq;

		pos += n + 1;
		lineno++;
		if (n > CONF_MAX_LINE) {
			perr(p, lineno, "line too long (more than %d characters)", CONF_MAX_LINE);
			continue;
		}
		if (memchr(line, '\0', n)) {
			perr(p, lineno, "NUL byte in line");
			continue;
		}
		memcpy(buf, line, n);
		buf[n] = '\0';
		s = trim(buf);
		if (!*s || *s == '#' || *s == ';')
			continue;
		/* Inline comments need a blank before them, so a value can never lose its
		 * tail to a '#' that is part of it. */
		for (char *c = s + 1; *c; c++)
			if ((*c == '#' || *c == ';') && is_blank(c[-1])) {
				*c = '\0';
				s = trim(s);
				break;
			}
		if (*s == '[') {
			sec = parse_header(p, lineno, s);
			continue;
		}
		eq = strchr(s, '=');
		if (!eq) {
			perr(p, lineno, "expected 'key = value' or '[section]', got '%s'",
			     quote(s).s);
			continue;
		}
		parse_assignment(p, lineno, sec, s, eq);
	}
}

/* Command-line values: the same key table and parsers as the file, applied after it. */
static void parse_overrides(struct parser *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct conf_override *o = &p->ov[i];
		unsigned line = OVERRIDE_LINE + (unsigned)i;
		char why[WHY_MAX];
		const char *dot = strchr(o->key, '.');
		int k = -1;

		for (int s = 0; dot && s < N_SECTIONS && k < 0; s++)
			if (strlen(section_names[s]) == (size_t)(dot - o->key) &&
			    !strncmp(section_names[s], o->key, (size_t)(dot - o->key)))
				k = find_key((enum section)s, dot + 1);
		if (k < 0) {
			perr(p, line, "unknown key '%s'", quote(o->key).s);
			continue;
		}
		p->line[k] = line;
		p->bad[k] = false;
		if (!*o->value) {
			perr(p, line, "%s: missing value", keys[k].name);
			p->bad[k] = true;
		} else if (keys[k].parse(&p->c, o->value, why) < 0) {
			perr(p, line, "%s: %s", keys[k].name, why);
			p->bad[k] = true;
		}
	}
}

/* ---- verify: relations between keys ---- */

static bool usable(const struct parser *p, enum key a, enum key b)
{
	return !p->bad[a] && !p->bad[b];
}

/* A conflict belongs to the key set last: that is the edit that broke it. */
static unsigned blame(const struct parser *p, enum key a, enum key b)
{
	return p->line[a] > p->line[b] ? p->line[a] : p->line[b];
}

static void verify_names(struct parser *p)
{
	static const enum key ifs[] = {K_UPLINK, K_GUEST_BRIDGE, K_HOST_BRIDGE};
	const struct conf *c = &p->c;
	const char *val[] = {c->uplink, c->guest_bridge, c->host_bridge};

	for (unsigned i = 0; i < ARRAY_SIZE(ifs); i++)
		for (unsigned j = i + 1; j < ARRAY_SIZE(ifs); j++)
			if (usable(p, ifs[i], ifs[j]) && streq(val[i], val[j]))
				perr(p, blame(p, ifs[i], ifs[j]), "%s and %s are both '%s'",
				     keys[ifs[i]].name, keys[ifs[j]].name, val[i]);
}

static void verify_ipv4(struct parser *p)
{
	const struct conf *c = &p->c;
	char g[CONF_MAX_LINE + 1], h[CONF_MAX_LINE + 1], r[CONF_MAX_LINE + 1];

	format_ip4_net(&c->guest_subnet, g);
	format_ip4_net(&c->host_subnet, h);

	if (usable(p, K_GUEST_SUBNET, K_HOST_SUBNET) &&
	    ip4_net_overlaps(&c->guest_subnet, &c->host_subnet))
		perr(p, blame(p, K_GUEST_SUBNET, K_HOST_SUBNET),
		     "guest_subnet %s overlaps host_subnet %s", g, h);

	if (usable(p, K_DHCP_RANGE, K_GUEST_SUBNET)) {
		uint32_t first = ip4_h(ip4_net_first_usable(&c->guest_subnet));
		uint32_t last = ip4_h(ip4_net_last_usable(&c->guest_subnet));
		unsigned line = blame(p, K_DHCP_RANGE, K_GUEST_SUBNET);
		struct in_addr ra = ip4_n(last);
		char router[INET_ADDRSTRLEN];

		format_dhcp_range(c, r);
		inet_ntop(AF_INET, &ra, router, sizeof(router));
		if (ip4_h(c->dhcp_start) < first || ip4_h(c->dhcp_end) > last)
			perr(p, line, "dhcp_range %s is not inside guest_subnet %s", r, g);
		else if (ip4_h(c->dhcp_end) == last)
			perr(p, line, "dhcp_range %s contains the router address %s", r, router);
	}

	/* Pool addresses are LAN addresses answered by proxy ARP; inside our own
	 * subnets they would be routed to the wrong link. */
	if (!p->bad[K_IPV4_POOL]) {
		static const enum key nets[] = {K_GUEST_SUBNET, K_HOST_SUBNET};
		const struct ip4_net *n[] = {&c->guest_subnet, &c->host_subnet};
		uint32_t s = ip4_h(c->pool_start), e = ip4_h(c->pool_end);

		format_ipv4_pool(c, r);
		if (!ip4_unicast(s) || !ip4_unicast(e) || (s >> 24 < 127 && e >> 24 > 127))
			perr(p, p->line[K_IPV4_POOL], "ipv4_pool: '%s' is not a unicast range", r);
		for (unsigned i = 0; i < ARRAY_SIZE(nets); i++) {
			uint32_t lo = ip4_h(n[i]->addr), hi = ip4_h(ip4_net_last_usable(n[i])) + 1;

			if (usable(p, K_IPV4_POOL, nets[i]) && s <= hi && e >= lo)
				perr(p, blame(p, K_IPV4_POOL, nets[i]),
				     "ipv4_pool %s overlaps %s %s", r, keys[nets[i]].name,
				     i ? h : g);
		}
	}
}

static void verify_ipv6(struct parser *p)
{
	static const enum key pfx[] = {K_GUEST_PREFIX, K_HOST_PREFIX, K_IPV6_PREFIX};
	const struct conf *c = &p->c;
	const struct ip6_net *n[] = {&c->guest_prefix, &c->host_prefix, &c->server_prefix};

	for (unsigned i = 0; i < ARRAY_SIZE(pfx); i++)
		for (unsigned j = i + 1; j < ARRAY_SIZE(pfx); j++) {
			char a[CONF_MAX_LINE + 1], b[CONF_MAX_LINE + 1];

			if (!usable(p, pfx[i], pfx[j]))
				continue;
			if (pfx[j] == K_IPV6_PREFIX && c->server_prefix_auto)
				continue;
			if (!ip6_net_overlaps(n[i], n[j]))
				continue;
			format_ip6_net(n[i], a);
			format_ip6_net(n[j], b);
			perr(p, blame(p, pfx[i], pfx[j]), "%s %s overlaps %s %s", keys[pfx[i]].name,
			     a, keys[pfx[j]].name, b);
		}
}

/* Like perr(), for what is accepted but worth saying: a "FILE:LINE: ..." note. */
static void pnote(struct parser *p, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void pnote(struct parser *p, unsigned line, const char *fmt, ...)
{
	struct conf *c = &p->c;
	size_t size = sizeof(c->notes[0]);
	int o = 0;
	char *m;
	va_list ap;

	if (c->n_notes >= ARRAY_SIZE(c->notes))
		return;
	m = c->notes[c->n_notes++];
	if (line >= OVERRIDE_LINE)
		o = snprintf(m, size, "%s: ", p->ov[line - OVERRIDE_LINE].origin);
	else if (line)
		o = snprintf(m, size, "%s:%u: ", p->name, line);
	if (o < 0 || (size_t)o >= size)
		o = 0;
	va_start(ap, fmt);
	vsnprintf(m + o, size - (size_t)o, fmt, ap);
	va_end(ap);
}

/* A fixed uplink address: the gateway inside its subnet, and what DHCP gave is given otherwise. */
static void verify_uplink(struct parser *p)
{
	const struct conf *c = &p->c;
	bool fixed4 = c->uplink_plen4 && !p->bad[K_UPLINK_IPV4];
	bool fixed6 = c->uplink_plen6 && !p->bad[K_UPLINK_IPV6];

	if (!c->uplink_plen4 && c->uplink_gw4.s_addr && usable(p, K_UPLINK_IPV4, K_UPLINK_GATEWAY4))
		perr(p, blame(p, K_UPLINK_IPV4, K_UPLINK_GATEWAY4),
		     "uplink_gateway4 is set, but uplink_ipv4 is auto (DHCP gives the gateway)");
	if (!c->uplink_plen6 && !IN6_IS_ADDR_UNSPECIFIED(&c->uplink_gw6) &&
	    usable(p, K_UPLINK_IPV6, K_UPLINK_GATEWAY6))
		perr(p, blame(p, K_UPLINK_IPV6, K_UPLINK_GATEWAY6),
		     "uplink_gateway6 is set, but uplink_ipv6 is auto (router advertisements give "
		     "the gateway)");
	if (fixed4 && c->uplink_gw4.s_addr && usable(p, K_UPLINK_IPV4, K_UPLINK_GATEWAY4)) {
		struct ip4_net n = {.plen = c->uplink_plen4};
		uint32_t mask = c->uplink_plen4 ? ~0u << (32 - c->uplink_plen4) : 0;

		n.addr = ip4_n(ip4_h(c->uplink_ip4) & mask);
		if (!ip4_net_contains(&n, c->uplink_gw4) ||
		    c->uplink_gw4.s_addr == c->uplink_ip4.s_addr)
			perr(p, blame(p, K_UPLINK_IPV4, K_UPLINK_GATEWAY4),
			     "uplink_gateway4 is not another address of uplink_ipv4's subnet");
	}
	/* Server mode leases pool addresses with uplink_ipv4's netmask: outside its
	 * subnet they are addresses the LAN does not route here. Static guests
	 * (LXC's lines) still work, so a note, not an error; a pool set in the
	 * file says server mode is meant even when `check` reads it as desktop. */
	if (fixed4 && c->uplink_plen4 <= 30 && usable(p, K_UPLINK_IPV4, K_IPV4_POOL) &&
	    (c->mode == MODE_SERVER || p->line[K_IPV4_POOL])) {
		uint32_t mask = ~0u << (32 - c->uplink_plen4), net = ip4_h(c->uplink_ip4) & mask;
		char r[CONF_MAX_LINE + 1];

		format_ipv4_pool(c, r);
		if ((ip4_h(c->pool_start) & mask) != net || (ip4_h(c->pool_end) & mask) != net)
			pnote(p, blame(p, K_IPV4_POOL, K_UPLINK_IPV4),
			      "[server] ipv4_pool %s is not inside uplink_ipv4's subnet /%u: pool "
			      "guests would lease addresses the LAN does not route to this host",
			      r, c->uplink_plen4);
	}
	if (fixed6 && !c->ipv6 && usable(p, K_UPLINK_IPV6, K_IPV6_ENABLE))
		perr(p, blame(p, K_UPLINK_IPV6, K_IPV6_ENABLE),
		     "uplink_ipv6 is set, but [ipv6] enable = no");
	if ((fixed4 || fixed6) && c->attach == ATTACH_ROUTED) {
		enum key k = fixed4 ? K_UPLINK_IPV4 : K_UPLINK_IPV6;

		perr(p, blame(p, k, K_ATTACH),
		     "%s needs the router on the LAN (attach = macvlan or auto): with attach = "
		     "routed the router has no LAN address of its own", keys[k].name);
	}
	if (fixed4 && c->upstream_auto && usable(p, K_UPLINK_IPV4, K_UPSTREAM))
		perr(p, blame(p, K_UPLINK_IPV4, K_UPSTREAM),
		     "uplink_ipv4 is fixed, so no DHCP lease tells the router the LAN's DNS servers: "
		     "set [dns] upstream");
}

/* [routing]: a session needs our AS and a peer; nothing accepted may cover our own networks. */
static void verify_routing(struct parser *p)
{
	const struct conf *c = &p->c;
	struct ip_net own[4], ann[CONF_MAX_ROUTES];
	const enum key own_key[4] = {K_GUEST_SUBNET, K_HOST_SUBNET, K_GUEST_PREFIX, K_HOST_PREFIX};
	unsigned n_own = 0, n_ann;
	char a[INET6_ADDRSTRLEN + 4], b[INET6_ADDRSTRLEN + 4];

	if (c->bgp && !c->asn && usable(p, K_BGP, K_ASN))
		perr(p, blame(p, K_BGP, K_ASN), "bgp = on needs asn (this router's AS number)");
	if (c->bgp && !c->n_peers && usable(p, K_BGP, K_PEERS))
		perr(p, blame(p, K_BGP, K_PEERS), "bgp = on needs peers (ADDRESS as ASN, ...)");

	memset(own, 0, sizeof(own));
	own[n_own].family = AF_INET;
	own[n_own++].v4 = c->guest_subnet;
	own[n_own].family = AF_INET;
	own[n_own++].v4 = c->host_subnet;
	if (c->ipv6) {
		own[n_own].family = AF_INET6;
		own[n_own++].v6 = c->guest_prefix;
		own[n_own].family = AF_INET6;
		own[n_own++].v6 = c->host_prefix;
	}
	for (unsigned i = 0; i < c->n_accept && !p->bad[K_ACCEPT]; i++) {
		for (unsigned k = 0; k < n_own; k++)
			if (usable(p, K_ACCEPT, own_key[k]) && ip_net_overlaps(&c->accept[i], &own[k]))
				perr(p, blame(p, K_ACCEPT, own_key[k]), "accept %s overlaps %s %s",
				     conf_format_ip_net(&c->accept[i], a), keys[own_key[k]].name,
				     conf_format_ip_net(&own[k], b));
		n_ann = conf_announce(c, ann);
		for (unsigned k = 0; k < n_ann && !p->bad[K_ANNOUNCE]; k++)
			if (ip_net_overlaps(&c->accept[i], &ann[k]))
				perr(p, blame(p, K_ACCEPT, K_ANNOUNCE),
				     "accept %s overlaps %s, which this router announces",
				     conf_format_ip_net(&c->accept[i], a),
				     conf_format_ip_net(&ann[k], b));
	}
	for (unsigned i = 0; i < c->n_peers && !p->bad[K_PEERS]; i++) {
		const struct bgp_peer *pe = &c->peers[i];
		char addr[INET6_ADDRSTRLEN];

		inet_ntop(pe->addr.family, &pe->addr.v6, addr, sizeof(addr));
		if (pe->addr.family == AF_INET6 && !c->ipv6 && usable(p, K_PEERS, K_IPV6_ENABLE))
			perr(p, blame(p, K_PEERS, K_IPV6_ENABLE),
			     "peer %s is an IPv6 address, but [ipv6] enable = no", addr);
		if ((pe->addr.family == AF_INET && c->uplink_plen4 &&
		     pe->addr.v4.s_addr == c->uplink_ip4.s_addr) ||
		    (pe->addr.family == AF_INET6 && c->uplink_plen6 &&
		     !memcmp(&pe->addr.v6, &c->uplink_ip6, sizeof(pe->addr.v6))))
			perr(p, p->line[K_PEERS], "peer %s is this router's own uplink address", addr);
		for (unsigned k = 0; k < n_own; k++) {
			bool in = pe->addr.family == AF_INET && own[k].family == AF_INET
				      ? ip4_net_contains(&own[k].v4, pe->addr.v4)
				  : pe->addr.family == AF_INET6 && own[k].family == AF_INET6
				      ? ip6_net_contains(&own[k].v6, &pe->addr.v6)
				      : false;

			if (in && usable(p, K_PEERS, own_key[k]))
				perr(p, blame(p, K_PEERS, own_key[k]),
				     "peer %s is inside %s %s: peers are other hosts' routers on "
				     "the LAN", addr, keys[own_key[k]].name,
				     conf_format_ip_net(&own[k], b));
		}
	}
}

/* Stable, so messages of one line keep the order in which they were found. */
static void sort_errors(struct parser *p)
{
	struct conf_errors *e = p->errs;

	for (unsigned i = 1; i < e->n; i++) {
		char msg[sizeof(e->msg[0])];
		unsigned line = p->err_line[i], j = i;

		memcpy(msg, e->msg[i], sizeof(msg));
		for (; j > 0 && p->err_line[j - 1] > line; j--) {
			memcpy(e->msg[j], e->msg[j - 1], sizeof(msg));
			p->err_line[j] = p->err_line[j - 1];
		}
		memcpy(e->msg[j], msg, sizeof(msg));
		p->err_line[j] = line;
	}
}

/* Deprecated keys that the file sets: accepted, with a note each (INTERFACE.md: changes are additive). */
static void notes_deprecated(struct parser *p)
{
	static const struct {
		enum key k;
		const char *why;
	} dep[] = {
		{K_BRIDGE_NF, "is deprecated and has no effect: the guest bridge lives in the router's "
			      "namespace, so the host's bridge netfilter never sees guest frames"},
		{K_GUEST_BRIDGE, "is deprecated and has no effect: the guest bridge is the router's "
				 "eth1, in the router's namespace"},
	};

	for (size_t i = 0; i < ARRAY_SIZE(dep) && p->c.n_notes < ARRAY_SIZE(p->c.notes); i++)
		if (p->line[dep[i].k] && !p->bad[dep[i].k])
			snprintf(p->c.notes[p->c.n_notes++], sizeof(p->c.notes[0]), "%s:%u: %s %s",
				 p->name, p->line[dep[i].k], keys[dep[i].k].name, dep[i].why);
}

int conf_parse_buffer(const char *name, const char *text, size_t len, struct conf *ret,
		      struct conf_errors *errs)
{
	return conf_parse_with(name, text, len, NULL, 0, ret, errs);
}

int conf_parse_with(const char *name, const char *text, size_t len, const struct conf_override *ov,
		    size_t n_ov, struct conf *ret, struct conf_errors *errs)
{
	struct parser parser, *p = &parser;

	memset(p, 0, sizeof(*p));
	errs->n = 0;
	errs->dropped = 0;
	p->name = name ? name : "(config)";
	p->errs = errs;
	p->ov = ov;
	conf_defaults(&p->c);

	if (len > CONF_MAX_SIZE) {
		perr(p, 0, "file too large (more than %d bytes)", CONF_MAX_SIZE);
		return -EINVAL;
	}
	parse_text(p, text, len);
	parse_overrides(p, n_ov);
	verify_names(p);
	verify_ipv4(p);
	verify_ipv6(p);
	verify_uplink(p);
	verify_routing(p);
	notes_deprecated(p);
	sort_errors(p);
	if (errs->n > 0 || errs->dropped > 0)
		return -EINVAL;
	*ret = p->c;
	return 0;
}

/* A file-level problem: one message naming the file, no line. */
static int load_error(struct conf_errors *errs, const char *path, int r, const char *why)
{
	snprintf(errs->msg[0], sizeof(errs->msg[0]), "%s: %s", path, why ? why : strerror(-r));
	errs->n = 1;
	errs->dropped = 0;
	return r;
}

int conf_load(const char *path, bool must_exist, struct conf *ret, struct conf_errors *errs)
{
	return conf_load_with(path, must_exist, NULL, 0, ret, errs);
}

int conf_load_with(const char *path, bool must_exist, const struct conf_override *ov, size_t n_ov,
		   struct conf *ret, struct conf_errors *errs)
{
	_cleanup_free_ char *buf = NULL;
	_cleanup_close_ int fd = -1;
	size_t len = 0;

	errs->n = 0;
	errs->dropped = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		if (errno == ENOENT && !must_exist)
			return conf_parse_with(path, "", 0, ov, n_ov, ret, errs);
		return load_error(errs, path, -errno, NULL);
	}
	/* One byte past the limit tells "exactly 64 KiB" from "more". */
	buf = malloc(CONF_MAX_SIZE + 1);
	if (!buf)
		return load_error(errs, path, -ENOMEM, NULL);
	while (len <= CONF_MAX_SIZE) {
		ssize_t n = read(fd, buf + len, CONF_MAX_SIZE + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return load_error(errs, path, -errno, NULL);
		if (n == 0)
			break;
		len += (size_t)n;
	}
	_Static_assert(CONF_MAX_SIZE == 65536, "keep the message below in step");
	if (len > CONF_MAX_SIZE)
		return load_error(errs, path, -EFBIG, "file too large (more than 65536 bytes)");
	return conf_parse_with(path, buf, len, ov, n_ov, ret, errs);
}

void conf_print(FILE *f, const struct conf *c)
{
	char buf[CONF_MAX_LINE + 1];

	for (int s = 0; s < N_SECTIONS; s++) {
		fprintf(f, "%s[%s]\n", s ? "\n" : "", section_names[s]);
		for (int k = 0; k < N_KEYS; k++) {
			if (keys[k].section != (enum section)s)
				continue;
			keys[k].format(c, buf);
			fprintf(f, "%s = %s\n", keys[k].name, buf);
		}
	}
}

static bool ip4_net_eq(const struct ip4_net *a, const struct ip4_net *b)
{
	return a->addr.s_addr == b->addr.s_addr && a->plen == b->plen;
}

static bool ip6_net_eq(const struct ip6_net *a, const struct ip6_net *b)
{
	return memcmp(&a->addr, &b->addr, sizeof(a->addr)) == 0 && a->plen == b->plen;
}

static bool dns_server_eq(const struct dns_server *a, const struct dns_server *b)
{
	if (a->family != b->family)
		return false;
	if (a->family == AF_INET)
		return a->v4.s_addr == b->v4.s_addr;
	return memcmp(&a->v6, &b->v6, sizeof(a->v6)) == 0;
}

bool conf_equal(const struct conf *a, const struct conf *b)
{
	if (a->mode != b->mode || !streq(a->uplink, b->uplink) || a->attach != b->attach ||
	    a->bridge_nf_keep != b->bridge_nf_keep ||
	    !streq(a->guest_bridge, b->guest_bridge) || !streq(a->host_bridge, b->host_bridge) ||
	    a->mtu != b->mtu || !streq(a->router, b->router))
		return false;
	if (!ip4_net_eq(&a->guest_subnet, &b->guest_subnet) ||
	    a->dhcp_start.s_addr != b->dhcp_start.s_addr ||
	    a->dhcp_end.s_addr != b->dhcp_end.s_addr ||
	    !ip4_net_eq(&a->host_subnet, &b->host_subnet) || a->lease_time != b->lease_time)
		return false;
	if (a->ipv6 != b->ipv6 || !ip6_net_eq(&a->guest_prefix, &b->guest_prefix) ||
	    !ip6_net_eq(&a->host_prefix, &b->host_prefix))
		return false;
	if (!streq(a->domain, b->domain) || a->upstream_auto != b->upstream_auto ||
	    a->n_upstream != b->n_upstream)
		return false;
	for (unsigned i = 0; i < a->n_upstream && i < CONF_MAX_UPSTREAM; i++)
		if (!dns_server_eq(&a->upstream[i], &b->upstream[i]))
			return false;
	if (a->pool_start.s_addr != b->pool_start.s_addr ||
	    a->pool_end.s_addr != b->pool_end.s_addr ||
	    a->server_prefix_auto != b->server_prefix_auto || a->inbound != b->inbound ||
	    !streq(a->provision_dir, b->provision_dir))
		return false;
	if (a->host_access != b->host_access || a->n_host_ports != b->n_host_ports ||
	    a->rebind_protection != b->rebind_protection || a->n_rebind_ok != b->n_rebind_ok ||
	    a->max_connections != b->max_connections || a->new_connections != b->new_connections ||
	    a->dns_rate != b->dns_rate || a->dhcp_rate != b->dhcp_rate)
		return false;
	for (unsigned i = 0; i < a->n_host_ports && i < CONF_MAX_HOST_PORTS; i++)
		if (a->host_ports[i].proto != b->host_ports[i].proto ||
		    a->host_ports[i].port != b->host_ports[i].port)
			return false;
	for (unsigned i = 0; i < a->n_rebind_ok && i < CONF_MAX_REBIND_OK; i++)
		if (!streq(a->rebind_ok[i], b->rebind_ok[i]))
			return false;
	if (a->uplink_ip4.s_addr != b->uplink_ip4.s_addr || a->uplink_plen4 != b->uplink_plen4 ||
	    a->uplink_gw4.s_addr != b->uplink_gw4.s_addr || a->uplink_plen6 != b->uplink_plen6 ||
	    memcmp(&a->uplink_ip6, &b->uplink_ip6, sizeof(a->uplink_ip6)) ||
	    memcmp(&a->uplink_gw6, &b->uplink_gw6, sizeof(a->uplink_gw6)))
		return false;
	if (a->bgp != b->bgp || a->asn != b->asn || a->router_id.s_addr != b->router_id.s_addr ||
	    a->n_peers != b->n_peers || !streq(a->password, b->password) ||
	    a->hold_time != b->hold_time || a->announce_auto != b->announce_auto ||
	    a->n_announce != b->n_announce || a->n_accept != b->n_accept)
		return false;
	for (unsigned i = 0; i < a->n_peers && i < CONF_MAX_PEERS; i++) {
		const struct bgp_peer *x = &a->peers[i], *y = &b->peers[i];

		if (!dns_server_eq(&x->addr, &y->addr) || x->asn != y->asn ||
		    !streq(x->domain, y->domain) || x->n_subnets != y->n_subnets)
			return false;
		for (unsigned k = 0; k < x->n_subnets && k < CONF_MAX_PEER_SUBNETS; k++)
			if (!ip_net_eq(&x->subnets[k], &y->subnets[k]))
				return false;
	}
	for (unsigned i = 0; i < a->n_announce && i < CONF_MAX_ROUTES; i++)
		if (!ip_net_eq(&a->announce[i], &b->announce[i]))
			return false;
	for (unsigned i = 0; i < a->n_accept && i < CONF_MAX_ROUTES; i++)
		if (!ip_net_eq(&a->accept[i], &b->accept[i]))
			return false;
	return a->server_prefix_auto || ip6_net_eq(&a->server_prefix, &b->server_prefix);
}

struct in_addr conf_router_ip4(const struct conf *c)
{
	return ip4_net_last_usable(&c->guest_subnet);
}

struct in_addr conf_hostlink_router_ip4(const struct conf *c)
{
	return ip4_net_last_usable(&c->host_subnet);
}

struct in_addr conf_hostlink_host_ip4(const struct conf *c)
{
	return ip4_net_from_top(&c->host_subnet, 1);
}

/* ::254 and ::253 read as decimal host numbers, matching the IPv4 .254/.253. */
void conf_router_ip6(const struct conf *c, struct in6_addr *ret)
{
	ip6_net_host(&c->guest_prefix, 0x254, ret);
}

void conf_hostlink_router_ip6(const struct conf *c, struct in6_addr *ret)
{
	ip6_net_host(&c->host_prefix, 0x254, ret);
}

void conf_hostlink_host_ip6(const struct conf *c, struct in6_addr *ret)
{
	ip6_net_host(&c->host_prefix, 0x253, ret);
}

size_t conf_nets(const struct conf *c, struct conf_net out[CONF_NETS])
{
	size_t n = 0;

	out[n++] = (struct conf_net){AF_INET, &c->guest_subnet.addr, c->guest_subnet.plen,
				     "guest_subnet"};
	out[n++] = (struct conf_net){AF_INET, &c->host_subnet.addr, c->host_subnet.plen,
				     "host_subnet"};
	if (c->ipv6) {
		out[n++] = (struct conf_net){AF_INET6, &c->guest_prefix.addr,
					     c->guest_prefix.plen, "guest_prefix"};
		out[n++] = (struct conf_net){AF_INET6, &c->host_prefix.addr, c->host_prefix.plen,
					     "host_prefix"};
	}
	return n;
}
