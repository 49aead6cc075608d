// SPDX-License-Identifier: BSD-2-Clause
#include <arpa/inet.h>

#include "elems.h"
#include "util.h"

int guest_port_name(const char *name, char ret[IFNAMSIZ])
{
	uint32_t h = 2166136261u;

	if (strlen(GUEST_PORT_PREFIX) + strlen(name) < IFNAMSIZ) {
		snprintf(ret, IFNAMSIZ, GUEST_PORT_PREFIX "%s", name);
		return 0;
	}
	for (const char *p = name; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	snprintf(ret, IFNAMSIZ, GUEST_PORT_PREFIX "%.6s%05x", name, h & 0xfffff);
	return 0;
}

bool publish_v4(const struct conf *c, const struct guest *g)
{
	return c->mode == MODE_SERVER && ip4_h(g->ip4) >= ip4_h(c->pool_start) &&
	       ip4_h(g->ip4) <= ip4_h(c->pool_end);
}

bool publish_v6(const struct conf *c, const struct guest *g)
{
	return c->mode == MODE_SERVER && c->ipv6 && g->has_ip6 && c->server_prefix.plen == 64 &&
	       ip6_net_contains(&c->server_prefix, &g->ip6);
}

static void link_local(const uint8_t mac[6], struct in6_addr *ret)
{
	struct ip6_net ll = {.plen = 64};

	ll.addr.s6_addr[0] = 0xfe;
	ll.addr.s6_addr[1] = 0x80;
	ip6_eui64(&ll, mac, ret);
}

static struct elem_desc *next(struct elem_desc *out, size_t *n, enum elem_table t, const char *set)
{
	struct elem_desc *e = &out[(*n)++];

	memset(e, 0, sizeof(*e));
	e->table = t;
	e->set = set;
	return e;
}

static void f_ifname(struct field *f, const char *s)
{
	f->kind = F_IFNAME;
	memset(f->ifname, 0, sizeof(f->ifname));
	snprintf(f->ifname, sizeof(f->ifname), "%s", s);
}

static void f_mac(struct field *f, const uint8_t *mac)
{
	f->kind = F_MAC;
	memcpy(f->mac, mac, 6);
}

static void f_ip4(struct field *f, struct in_addr a)
{
	f->kind = F_IP4;
	f->ip4 = a;
}

static void f_ip6(struct field *f, const struct in6_addr *a, enum field_kind k)
{
	f->kind = k;
	f->ip6 = *a;
}

size_t elems_guest(const struct conf *c, const struct guest *g, struct elem_desc *out)
{
	char port[IFNAMSIZ];
	struct in6_addr ll;
	struct elem_desc *e;
	size_t n = 0;

	guest_port_name(g->name, port);
	link_local(g->mac, &ll);

	e = next(out, &n, ELEM_ROUTER, "guest4");
	e->n_key = 1;
	f_ip4(&e->key[0], g->ip4);
	if (c->ipv6 && g->has_ip6) {
		e = next(out, &n, ELEM_ROUTER, "guest6");
		e->n_key = 1;
		f_ip6(&e->key[0], &g->ip6, F_IP6);
	}

	e = next(out, &n, ELEM_GUARD, "port_mac");
	e->n_key = 2;
	f_ifname(&e->key[0], port);
	f_mac(&e->key[1], g->mac);

	/* Its DHCP requests must carry its own MAC as client hardware address. */
	e = next(out, &n, ELEM_GUARD, "port_chaddr");
	e->n_key = 2;
	f_ifname(&e->key[0], port);
	f_mac(&e->key[1], g->mac);
	e->key[1].kind = F_MAC_RAW;

	e = next(out, &n, ELEM_GUARD, "port_ip4");
	e->n_key = 3;
	f_ifname(&e->key[0], port);
	f_mac(&e->key[1], g->mac);
	f_ip4(&e->key[2], g->ip4);

	/* IPv6: the link-local address always (RS, NS, MLD), the global one if enabled. */
	for (int i = 0; i < ((c->ipv6 && g->has_ip6) ? 2 : 1); i++) {
		const struct in6_addr *a = i == 0 ? &ll : &g->ip6;

		e = next(out, &n, ELEM_GUARD, "port_ip6");
		e->n_key = 3;
		f_ifname(&e->key[0], port);
		f_mac(&e->key[1], g->mac);
		f_ip6(&e->key[2], a, F_IP6);

		e = next(out, &n, ELEM_GUARD, "port_nd");
		e->n_key = 3;
		f_ifname(&e->key[0], port);
		f_mac(&e->key[1], g->mac);
		f_ip6(&e->key[2], a, F_IP6_RAW);

		/* Recorded: no other guest may claim it (FCFS learning). */
		e = next(out, &n, ELEM_GUARD, "claimed6");
		e->n_key = 1;
		f_ip6(&e->key[0], a, F_IP6_RAW);
	}
	return n;
}

size_t elems_router(const struct conf *c, const uint8_t router_mac[6], struct elem_desc *out)
{
	struct in6_addr a[2];
	size_t n = 0;

	/* Its addresses on eth1 are nobody's to claim (the guards' FCFS learning). */
	conf_router_ip6(c, &a[0]);
	link_local(router_mac, &a[1]);
	for (int i = 0; i < 2; i++) {
		struct elem_desc *e = next(out, &n, ELEM_GUARD, "claimed6");

		e->n_key = 1;
		f_ip6(&e->key[0], &a[i], F_IP6_RAW);
	}
	return n;
}

size_t elems_port(const struct conf *c, const struct guest *g, const struct port_fwd *p,
		  struct elem_desc *out)
{
	struct elem_desc *e;
	size_t n = 0;
	bool v4 = p->family != AF_INET6, v6 = p->family != AF_INET && c->ipv6 && g->has_ip6;

	if (v4) {
		e = next(out, &n, ELEM_ROUTER, p->family == AF_INET ? "fwd4_addr" : "fwd4");
		if (p->family == AF_INET)
			f_ip4(&e->key[e->n_key++], p->haddr.v4);
		e->key[e->n_key].kind = F_PROTO;
		e->key[e->n_key++].proto = p->proto;
		e->key[e->n_key].kind = F_PORT;
		e->key[e->n_key++].port = p->host_port;
		e->n_data = 2;
		f_ip4(&e->data[0], g->ip4);
		e->data[1].kind = F_PORT;
		e->data[1].port = p->guest_port;
	}
	/* attach = routed: the host passes the port on to the router. */
	if (c->attach == ATTACH_ROUTED && p->family == AF_UNSPEC) {
		e = next(out, &n, ELEM_HOST, "fwd_ports");
		e->key[e->n_key].kind = F_PROTO;
		e->key[e->n_key++].proto = p->proto;
		e->key[e->n_key].kind = F_PORT;
		e->key[e->n_key++].port = p->host_port;
	}
	/* Server mode: the guest's own port is open to the LAN on its LAN address. */
	if (publish_v4(c, g)) {
		e = next(out, &n, ELEM_ROUTER, "expose4");
		f_ip4(&e->key[e->n_key++], g->ip4);
		e->key[e->n_key].kind = F_PROTO;
		e->key[e->n_key++].proto = p->proto;
		e->key[e->n_key].kind = F_PORT;
		e->key[e->n_key++].port = p->guest_port;
	}
	if (publish_v6(c, g)) {
		e = next(out, &n, ELEM_ROUTER, "expose6");
		f_ip6(&e->key[e->n_key++], &g->ip6, F_IP6);
		e->key[e->n_key].kind = F_PROTO;
		e->key[e->n_key++].proto = p->proto;
		e->key[e->n_key].kind = F_PORT;
		e->key[e->n_key++].port = p->guest_port;
	}
	if (v6) {
		e = next(out, &n, ELEM_ROUTER, p->family == AF_INET6 ? "fwd6_addr" : "fwd6");
		if (p->family == AF_INET6)
			f_ip6(&e->key[e->n_key++], &p->haddr.v6, F_IP6);
		e->key[e->n_key].kind = F_PROTO;
		e->key[e->n_key++].proto = p->proto;
		e->key[e->n_key].kind = F_PORT;
		e->key[e->n_key++].port = p->host_port;
		e->n_data = 2;
		f_ip6(&e->data[0], &g->ip6, F_IP6);
		e->data[1].kind = F_PORT;
		e->data[1].port = p->guest_port;
	}
	return n;
}

static int field_text(const struct field *f, char *buf, size_t size)
{
	char a[INET6_ADDRSTRLEN];

	switch (f->kind) {
	case F_IFNAME:
		return snprintf(buf, size, "\"%s\"", f->ifname);
	case F_MAC:
		return snprintf(buf, size, "%s", mac_format(f->mac, a));
	case F_MAC_RAW:
		return snprintf(buf, size, "0x%02x%02x%02x%02x%02x%02x", f->mac[0], f->mac[1],
				f->mac[2], f->mac[3], f->mac[4], f->mac[5]);
	case F_IP4:
		return snprintf(buf, size, "%s", inet_ntop(AF_INET, &f->ip4, a, sizeof(a)));
	case F_IP6:
		return snprintf(buf, size, "%s", inet_ntop(AF_INET6, &f->ip6, a, sizeof(a)));
	case F_IP6_RAW: {
		int o = snprintf(buf, size, "0x");

		for (int i = 0; i < 16; i++)
			o += snprintf(buf + o, size - (size_t)o, "%02x", f->ip6.s6_addr[i]);
		return o;
	}
	case F_PROTO:
		return snprintf(buf, size, "%s", f->proto == IPPROTO_UDP ? "udp" : "tcp");
	case F_PORT:
		return snprintf(buf, size, "%u", f->port);
	}
	return -EINVAL;
}

int elem_text(const struct elem_desc *e, char **buf, size_t *len)
{
	char line[512];
	size_t o;
	char *p;

	o = (size_t)snprintf(line, sizeof(line), "add element %s lxctogo %s { ",
			     e->table == ELEM_GUARD ? "bridge" : "inet", e->set);
	for (unsigned i = 0; i < e->n_key; i++) {
		o += (size_t)snprintf(line + o, sizeof(line) - o, "%s", i ? " . " : "");
		o += (size_t)field_text(&e->key[i], line + o, sizeof(line) - o);
	}
	for (unsigned i = 0; i < e->n_data; i++) {
		o += (size_t)snprintf(line + o, sizeof(line) - o, "%s", i ? " . " : " : ");
		o += (size_t)field_text(&e->data[i], line + o, sizeof(line) - o);
	}
	o += (size_t)snprintf(line + o, sizeof(line) - o, " }\n");
	p = realloc(*buf, *len + o + 1);
	if (!p)
		return -ENOMEM;
	memcpy(p + *len, line, o + 1);
	*buf = p;
	*len += o;
	return 0;
}
