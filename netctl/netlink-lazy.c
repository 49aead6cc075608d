// SPDX-License-Identifier: BSD-2-Clause
/*
 * netlink.c and probe.c live in lxtg-netlink.so, with libnl-3, libnl-route-3
 * and libndp behind it; this file is their side in the binary. Each function
 * opens the plugin on first use (lazylib.h) and calls through. So a command
 * that never touches a link (`guest add` of a stopped guest, `port add`,
 * `ruleset`) starts without those three libraries.
 *
 * The plugin is looked up like lxtg-init: next to the binary (build tree),
 * in ../libexec/lxctogo-net (an unpacked package), then in PKGLIBEXECDIR.
 */
#include <limits.h>

#include "autoconfig.h"
#include "fsutil.h"
#include "lazylib.h"
#include "netlink-api.h"
#include "netlink.h"
#include "probe.h"
#include "util.h"

#define PLUGIN_NAME "lxtg-netlink.so"

static struct {
#define X(name, params, args) int(*name) params;
	NLK_API_INT(X)
#undef X
	void (*nlk_close)(struct nlk *n);
	const char *(*nlk_strerror)(const struct nlk *n, int r);
} api;

static const char *const api_names[] = {
#define X(name, params, args) #name,
	NLK_API_INT(X)
#undef X
	"nlk_close",
	"nlk_strerror",
};

static char plugin_path[PATH_MAX];
static struct lazylib plugin = {plugin_path, api_names, ARRAY_SIZE(api_names), NULL, 0};

static int load(void)
{
	_Static_assert(sizeof(api) == sizeof(void *) * ARRAY_SIZE(api_names), "one slot per name");
	if (!plugin.handle && !plugin.err)
		libexec_path(PLUGIN_NAME, R_OK, plugin_path, sizeof(plugin_path));
	return lazylib_load(&plugin, (void **)&api);
}

#define X(name, params, args)                          \
	int name params                                \
	{                                              \
		int r = load();                        \
                                                       \
		return r < 0 ? r : api.name args;      \
	}
NLK_API_INT(X)
#undef X

void nlk_close(struct nlk *n)
{
	/* Only a struct nlk from nlk_open() gets here: the plugin is loaded. */
	if (n && load() == 0)
		api.nlk_close(n);
}

const char *nlk_strerror(const struct nlk *n, int r)
{
	/* Only a struct nlk from nlk_open() has an extack: the plugin is loaded then. */
	return n && load() == 0 ? api.nlk_strerror(n, r) : strerror(r < 0 ? -r : r);
}
