// SPDX-License-Identifier: BSD-2-Clause
#include <arpa/inet.h>

#include "fsutil.h"
#include "netns.h"
#include "publish.h"
#include "render.h"
#include "util.h"

/* Proxy entry on @up (0: none) and a route via @gw (NULL: on-link) on @down. */
static int one(struct nlk *nl, int up, int down, const void *gw, int family, const void *addr,
	       bool want)
{
	uint8_t plen = family == AF_INET ? 32 : 128;
	int r = 0;

	if (!want) {
		if (up)
			r = nlk_proxy_del(nl, up, family, addr);
		if (r == 0)
			r = nlk_route_del(nl, family, addr, plen, down);
		return r;
	}
	r = nlk_route_replace(nl, family, addr, plen, gw, down);
	if (r == 0 && up)
		r = nlk_proxy_add(nl, up, family, addr);
	return r;
}

int publish_host(struct nlk *nl, const struct conf *c, const struct guest *g, bool del)
{
	struct in_addr r4 = conf_hostlink_router_ip4(c);
	struct in6_addr r6;
	int up, down, r;

	if (c->attach != ATTACH_ROUTED && !del)
		return 0;
	conf_hostlink_router_ip6(c, &r6);
	up = nlk_ifindex(nl, c->uplink);
	down = nlk_ifindex(nl, c->host_bridge);
	if (up < 0 || down < 0)
		return del ? 0 : (up < 0 ? up : down);
	r = one(nl, up, down, &r4, AF_INET, &g->ip4, !del && publish_v4(c, g));
	if (r == 0 && g->has_ip6)
		r = one(nl, up, down, &r6, AF_INET6, &g->ip6, !del && publish_v6(c, g));
	return r;
}

int publish_apply(struct nlk *nl, const struct conf *c, const struct guest *g, bool del)
{
	/* With attach = routed the host answers on the LAN; the router only routes. */
	int up = c->attach == ATTACH_ROUTED ? 0 : nlk_ifindex(nl, ROUTER_UPLINK_IF);
	int down = nlk_ifindex(nl, ROUTER_GUEST_IF);
	int r;

	if (up < 0 || down < 0)
		return up < 0 ? up : down;
	r = one(nl, up, down, NULL, AF_INET, &g->ip4, !del && publish_v4(c, g));
	if (r == 0 && g->has_ip6)
		r = one(nl, up, down, NULL, AF_INET6, &g->ip6, !del && publish_v6(c, g));
	return r;
}

int publish_guest(const struct paths *p, const struct conf *c, const struct guest *g, bool del)
{
	struct nlk *nl = NULL;
	pid_t pid = router_pid(p, c);
	int r, saved;

	if (c->attach == ATTACH_ROUTED) {
		r = nlk_open(&nl);
		if (r == 0)
			r = publish_host(nl, c, g, del || !pid);
		nlk_close(nl);
		nl = NULL;
		if (r < 0)
			return r;
	}
	if (!pid)
		return 0;
	r = netns_enter_pid(pid, &saved);
	if (r < 0)
		return r;
	r = nlk_open(&nl);
	if (r == 0)
		r = publish_apply(nl, c, g, del);
	nlk_close(nl);
	netns_leave(saved);
	return r;
}

bool publish_present(const struct paths *p, const struct conf *c, const struct guest *g)
{
	struct nlk *nl = NULL;
	pid_t pid = router_pid(p, c);
	bool ok = false, routed = c->attach == ATTACH_ROUTED;
	int saved = -1, up;

	if (!pid || (!routed && netns_enter_pid(pid, &saved) < 0))
		return false;
	if (nlk_open(&nl) == 0 &&
	    (up = nlk_ifindex(nl, routed ? c->uplink : ROUTER_UPLINK_IF)) > 0) {
		ok = true;
		if (publish_v4(c, g))
			ok &= nlk_proxy_has(nl, up, AF_INET, &g->ip4) == 1;
		if (publish_v6(c, g))
			ok &= nlk_proxy_has(nl, up, AF_INET6, &g->ip6) == 1;
	}
	nlk_close(nl);
	netns_leave(saved);
	return ok;
}

/* Field 22 of /proc/PID/stat: when the process started, in ticks since boot. 0 if gone. */
static unsigned long long proc_starttime(pid_t pid)
{
	_cleanup_free_ char *text = NULL;
	unsigned long long start = 0;
	char path[64], *s;
	size_t len;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (pid <= 0 || read_file(path, &text, &len) < 0)
		return 0;
	/* After the command name, which may hold spaces and ')'. */
	s = strrchr(text, ')');
	if (!s || sscanf(s + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d "
				"%*d %*d %*d %*d %llu", &start) != 1)
		return 0;
	return start;
}

int runtime_save(const struct paths *p, const struct conf *c, pid_t router, const char *lxc_stamp)
{
	char path[PATH_MAX], text[PATH_MAX + 512], pfx[INET6_ADDRSTRLEN] = "-";

	if (pathf(path, sizeof(path), "%s/runtime", p->router) < 0)
		return -ENAMETOOLONG;
	if (c->server_prefix.plen)
		inet_ntop(AF_INET6, &c->server_prefix.addr, pfx, sizeof(pfx));
	snprintf(text, sizeof(text), "mode %s\nlan_prefix %s/%u\nrouter %d %llu\n%s%s%s",
		 c->mode == MODE_SERVER ? "server" : "desktop", pfx, c->server_prefix.plen,
		 (int)router, proc_starttime(router), *lxc_stamp ? "lxc " : "", lxc_stamp,
		 *lxc_stamp ? "\n" : "");
	return write_if_changed(path, text, 0600) < 0 ? -EIO : 0;
}

/* STATE/router/runtime as text (malloc'd), or NULL if there is none. */
static char *runtime_text(const struct paths *p)
{
	return read_textf(false, "%s/runtime", p->router);
}

pid_t runtime_router_pid(const struct paths *p)
{
	_cleanup_free_ char *text = runtime_text(p);
	unsigned long long start;
	const char *l;
	int pid;

	if (!text)
		return 0;
	l = strstr(text, "\nrouter ");
	if (!l || sscanf(l, "\nrouter %d %llu", &pid, &start) != 2 || pid <= 0 || !start)
		return 0;
	return proc_starttime(pid) == start ? pid : 0;
}

int runtime_lxc_stamp(const struct paths *p, char *buf, size_t size)
{
	_cleanup_free_ char *text = runtime_text(p);
	const char *l;
	size_t n;

	if (!text)
		return -ENOENT;
	l = strstr(text, "\nlxc ");
	if (!l)
		return -ENOENT;
	l += 5;
	n = strcspn(l, "\n");
	if (n >= size)
		return -ENAMETOOLONG;
	memcpy(buf, l, n);
	buf[n] = '\0';
	return 0;
}

void runtime_load(const struct paths *p, struct conf *c)
{
	_cleanup_free_ char *text = runtime_text(p);
	char mode[16], pfx[INET6_ADDRSTRLEN + 8];
	struct ip6_net net;

	if (!text)
		return;
	if (sscanf(text, "mode %15s\nlan_prefix %47s", mode, pfx) != 2)
		return;
	c->mode = streq(mode, "server") ? MODE_SERVER : MODE_DESKTOP;
	if (c->server_prefix_auto && addr_parse_ip6_net(pfx, &net) == 0)
		c->server_prefix = net;
}
