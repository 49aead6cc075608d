// SPDX-License-Identifier: BSD-2-Clause
#include <arpa/inet.h>

#include "fsutil.h"
#include "lxcw.h"
#include "runtime.h"
#include "util.h"

/* The first line of every router config `up` writes (managed-rootfs/lxc.conf.in). */
#define MARKER "# lxctogo-net managed router"

/* STATE/router/runtime, parsed. */
struct runtime_file {
	struct runtime rt;
	pid_t pid;
	unsigned long long start;
	char stamp[PATH_MAX + 64];
};

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
	if (!s || sscanf(s + 1,
			 " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d "
			 "%*d %*d %*d %*d %llu",
			 &start) != 1)
		return 0;
	return start;
}

int runtime_save(const struct paths *p, const struct conf *c, const char *attach_why, pid_t router,
		 const char *lxc_stamp)
{
	char path[PATH_MAX], text[PATH_MAX + 768], pfx[INET6_ADDRSTRLEN] = "-", why[256];

	if (pathf(path, sizeof(path), "%s/runtime", p->router) < 0)
		return -ENAMETOOLONG;
	if (c->server_prefix.plen)
		inet_ntop(AF_INET6, &c->server_prefix.addr, pfx, sizeof(pfx));
	str_escape(attach_why, why, sizeof(why), false); /* one line, whatever it holds */
	snprintf(
	    text, sizeof(text), "mode %s\nlan_prefix %s/%u\nrouter %d %llu\nattach %s %s\n%s%s%s",
	    c->mode == MODE_SERVER ? "server" : "desktop", pfx, c->server_prefix.plen, (int)router,
	    proc_starttime(router), c->attach == ATTACH_ROUTED ? "routed" : "macvlan", why,
	    *lxc_stamp ? "lxc " : "", lxc_stamp, *lxc_stamp ? "\n" : "");
	return write_if_changed(path, text, 0600) < 0 ? -EIO : 0;
}

/* Read and parse the runtime file; false if there is none or it is not ours to trust. */
static bool runtime_read(const struct paths *p, struct runtime_file *ret)
{
	_cleanup_free_ char *text = read_textf(false, "%s/runtime", p->router);
	char mode[16], pfx[INET6_ADDRSTRLEN + 8];
	const char *l;
	int pid;

	memset(ret, 0, sizeof(*ret));
	if (!text || sscanf(text, "mode %15s\nlan_prefix %47s", mode, pfx) != 2 ||
	    !(streq(mode, "server") || streq(mode, "desktop")))
		return false;
	ret->rt.known = true;
	ret->rt.mode = streq(mode, "server") ? MODE_SERVER : MODE_DESKTOP;
	if (addr_parse_ip6_net(pfx, &ret->rt.prefix) < 0)
		ret->rt.prefix.plen = 0;
	l = strstr(text, "\nrouter ");
	if (l && sscanf(l, "\nrouter %d %llu", &pid, &ret->start) == 2 && pid > 0)
		ret->pid = pid;
	l = strstr(text, "\nattach ");
	if (l) {
		const char *word = l + 8, *why = word + strcspn(word, " \n");
		size_t len = *why == ' ' ? strcspn(why + 1, "\n") : 0;

		if (!strncmp(word, "routed ", 7) || !strncmp(word, "macvlan ", 8)) {
			ret->rt.attach_known = true;
			ret->rt.attach = word[0] == 'r' ? ATTACH_ROUTED : ATTACH_MACVLAN;
			if (len >= sizeof(ret->rt.attach_why))
				len = sizeof(ret->rt.attach_why) - 1;
			memcpy(ret->rt.attach_why, why + 1, len);
		}
	}
	l = strstr(text, "\nlxc ");
	if (l) {
		size_t n = strcspn(l + 5, "\n");

		if (n < sizeof(ret->stamp))
			memcpy(ret->stamp, l + 5, n);
	}
	return true;
}

void runtime_load(const struct paths *p, struct runtime *ret)
{
	struct runtime_file f;

	runtime_read(p, &f);
	*ret = f.rt;
}

void runtime_overlay(const struct conf *c, const struct runtime *rt, struct conf *ret)
{
	*ret = *c;
	if (c->attach == ATTACH_AUTO)
		ret->attach = rt->known && rt->attach_known ? rt->attach : ATTACH_MACVLAN;
	if (!rt->known)
		return;
	ret->mode = rt->mode;
	if (c->server_prefix_auto && rt->prefix.plen)
		ret->server_prefix = rt->prefix;
}

pid_t runtime_recorded_pid(const struct paths *p)
{
	struct runtime_file f;

	if (!runtime_read(p, &f) || !f.pid || !f.start)
		return 0;
	return proc_starttime(f.pid) == f.start ? f.pid : 0;
}

int runtime_lxc_stamp(const struct paths *p, char *buf, size_t size)
{
	struct runtime_file f;

	if (!runtime_read(p, &f) || !f.stamp[0])
		return -ENOENT;
	return strscpy(buf, size, f.stamp);
}

pid_t runtime_router_pid(const struct paths *p, const struct conf *c)
{
	/* Asked several times by one guest/port/status command: answered once
	 * per process (`up`, which restarts the router, never asks), from what
	 * `up` recorded if that process still runs, else by liblxc. */
	static pid_t cached = -1;
	struct lxcw_info info;

	if (cached >= 0)
		return cached;
	cached = runtime_recorded_pid(p);
	if (cached > 0)
		return cached;
	if (lxcw_info(p->lxcpath, c->router, false, &info) < 0 || !info.running)
		cached = 0;
	else
		cached = info.pid;
	return cached;
}

int runtime_router_is_ours(const struct paths *p)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	int r = read_file(p->ct_config, &text, &len);

	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	return strncmp(text, MARKER, strlen(MARKER)) == 0;
}
