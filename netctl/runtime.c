// SPDX-License-Identifier: BSD-2-Clause
#include <arpa/inet.h>

#include "fsutil.h"
#include "lxcw.h"
#include "runtime.h"
#include "state.h"
#include "util.h"

/* The first line of every router config `up` writes (managed-rootfs/lxc.conf.in). */
#define MARKER "# lxctogo-net managed router"

/*
 * The runtime file as this process last read it. One command asks for the
 * mode, the router's PID and the liblxc stamp (guest add: all three); the file
 * changes only through `up` under the state lock, which runtime_save() notes.
 */
static struct {
	char router[PATH_MAX]; /* whose file; "" = nothing cached */
	bool ok;
	struct runtime_record rec;
} cache;

int runtime_save(const struct paths *p, const struct conf *c, const char *attach_why, pid_t router,
		 const char *lxc_stamp)
{
	_cleanup_free_ char *text = NULL;
	struct runtime_record rec = {
		.mode = c->mode,
		.prefix = c->server_prefix,
		.pid = router,
		.start = proc_start_time(router),
		.has_attach = true,
		.attach = c->attach == ATTACH_ROUTED ? ATTACH_ROUTED : ATTACH_MACVLAN,
	};
	char path[PATH_MAX];

	if (pathf(path, sizeof(path), "%s/runtime", p->router) < 0)
		return -ENAMETOOLONG;
	/* A reason or stamp too long for the record is cut: it is only shown. */
	snprintf(rec.attach_why, sizeof(rec.attach_why), "%s", attach_why);
	snprintf(rec.stamp, sizeof(rec.stamp), "%s", lxc_stamp);
	text = runtime_record_format(&rec);
	if (!text)
		return -ENOMEM;
	cache.router[0] = '\0';
	return write_if_changed(path, text, 0600) < 0 ? -EIO : 0;
}

/* Read and parse the runtime file; false if there is none or it does not parse. */
static bool runtime_read(const struct paths *p, struct runtime_record *ret)
{
	if (!streq(cache.router, p->router)) {
		_cleanup_free_ char *text = read_textf(false, "%s/runtime", p->router);

		cache.ok = text && runtime_record_parse(text, &cache.rec) == 0;
		strscpy(cache.router, sizeof(cache.router), p->router);
	}
	if (cache.ok)
		*ret = cache.rec;
	return cache.ok;
}

void runtime_load(const struct paths *p, struct runtime *ret)
{
	struct runtime_record rec;

	memset(ret, 0, sizeof(*ret));
	if (!runtime_read(p, &rec))
		return;
	ret->known = true;
	ret->mode = rec.mode;
	ret->prefix = rec.prefix;
	ret->attach_known = rec.has_attach;
	ret->attach = rec.attach;
	strscpy(ret->attach_why, sizeof(ret->attach_why), rec.attach_why);
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
	struct runtime_record rec;

	if (!runtime_read(p, &rec) || !rec.pid || !rec.start)
		return 0;
	return proc_start_time(rec.pid) == rec.start ? rec.pid : 0;
}

int runtime_lxc_stamp(const struct paths *p, char *buf, size_t size)
{
	struct runtime_record rec;

	if (!runtime_read(p, &rec) || !rec.stamp[0])
		return -ENOENT;
	return strscpy(buf, size, rec.stamp);
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
