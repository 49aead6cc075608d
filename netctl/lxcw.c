// SPDX-License-Identifier: BSD-2-Clause
#include <lxc/lxccontainer.h>

#include "autoconfig.h"
#include "lazylib.h"
#include "lxcw.h"
#include "util.h"

/* liblxc, opened on first use (lazylib.h); the rest of its API is the
 * function pointers of struct lxc_container. */
static struct {
	__typeof__(&lxc_container_new) container_new;
	__typeof__(&lxc_container_put) container_put;
	__typeof__(&lxc_get_global_config_item) global_config_item;
} lxc;
static const char *const lxc_names[] = {
	"lxc_container_new",
	"lxc_container_put",
	"lxc_get_global_config_item",
};
static struct lazylib liblxc = {LIBLXC_SONAME, lxc_names, ARRAY_SIZE(lxc_names), NULL, 0};

static int load(void)
{
	_Static_assert(sizeof(lxc) == sizeof(void *) * ARRAY_SIZE(lxc_names), "one slot per name");
	return lazylib_load(&liblxc, (void **)&lxc);
}

static void putp(struct lxc_container **c)
{
	if (*c)
		lxc.container_put(*c);
}
#define _cleanup_lxc_ _cleanup_(putp)

const char *lxcw_default_path(void)
{
	return load() < 0 ? NULL : lxc.global_config_item("lxc.lxcpath");
}

static int open_ct(const char *lxcpath, const char *name, struct lxc_container **ret)
{
	struct lxc_container *c;
	int r = load();

	if (r < 0)
		return r;
	c = lxc.container_new(name, lxcpath);
	if (!c)
		return -ENOMEM;
	*ret = c;
	return 0;
}

static uint64_t memory_of(struct lxc_container *c)
{
	/* cgroup v1 names first, then v2. */
	static const char *const keys[] = {"memory.usage_in_bytes", "memory.current"};
	char buf[64];

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		int n = c->get_cgroup_item(c, keys[i], buf, sizeof(buf));

		if (n > 0 && (size_t)n < sizeof(buf))
			return strtoull(buf, NULL, 10);
	}
	return 0;
}

int lxcw_info(const char *lxcpath, const char *name, bool memory, struct lxcw_info *ret)
{
	_cleanup_lxc_ struct lxc_container *c = NULL;
	struct lxcw_info info = {0};
	int r;

	r = open_ct(lxcpath, name, &c);
	if (r < 0)
		return r;
	info.defined = c->is_defined(c);
	snprintf(info.state, sizeof(info.state), "%s", info.defined ? c->state(c) : "ABSENT");
	info.running = c->is_running(c);
	if (info.running) {
		info.pid = c->init_pid(c);
		if (memory)
			info.mem_bytes = memory_of(c);
	}
	*ret = info;
	return 0;
}

int lxcw_start(const char *lxcpath, const char *name, const char *logfile)
{
	_cleanup_lxc_ struct lxc_container *c = NULL;
	int r;

	r = open_ct(lxcpath, name, &c);
	if (r < 0)
		return r;
	if (!c->is_defined(c))
		return -ENOENT;
	if (c->is_running(c))
		return 0;
	if (logfile) {
		c->set_config_item(c, "lxc.log.file", logfile);
		c->set_config_item(c, "lxc.log.level", "WARN");
	}
	c->want_daemonize(c, true);
	c->want_close_all_fds(c, true);
	if (!c->start(c, 0, NULL))
		return -EIO;
	if (!c->wait(c, "RUNNING", 10))
		return -ETIMEDOUT;
	return 0;
}

int lxcw_stop(const char *lxcpath, const char *name)
{
	_cleanup_lxc_ struct lxc_container *c = NULL;
	int r;

	r = open_ct(lxcpath, name, &c);
	if (r < 0)
		return r;
	if (!c->is_running(c))
		return 0;
	if (!c->stop(c))
		return -EIO;
	if (!c->wait(c, "STOPPED", 10))
		return -ETIMEDOUT;
	return 0;
}

int lxcw_attach_iface(const char *lxcpath, const char *name, const char *dev, const char *dst)
{
	_cleanup_lxc_ struct lxc_container *c = NULL;
	int r;

	r = open_ct(lxcpath, name, &c);
	if (r < 0)
		return r;
	if (!c->is_running(c))
		return -ESRCH;
	return c->attach_interface(c, dev, dst) ? 0 : -EIO;
}

int lxcw_set_net(const char *lxcpath, const char *name, const char *const *items)
{
	_cleanup_lxc_ struct lxc_container *c = NULL;
	int r;

	r = open_ct(lxcpath, name, &c);
	if (r < 0)
		return r;
	if (!c->is_defined(c))
		return -ENOENT;
	if (!c->clear_config_item(c, "lxc.net"))
		return -EIO;
	for (const char *const *kv = items; kv && kv[0]; kv += 2)
		if (!c->set_config_item(c, kv[0], kv[1]))
			return -EINVAL;
	return c->save_config(c, NULL) ? 0 : -EIO;
}

