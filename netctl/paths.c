// SPDX-License-Identifier: BSD-2-Clause
#include <stdlib.h>

#include "fsutil.h"
#include "init.h"
#include "lxcw.h"
#include "paths.h"
#include "render.h"
#include "util.h"

/* One plain token for an fstab-style line: no blank, no control byte, no backslash. */
static bool plain_token(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == '\\')
			return false;
	return true;
}

int paths_init(struct paths *p, const char *state_dir, const char *lxcpath, const struct conf *c)
{
	const char *lp = lxcpath ? lxcpath : lxcw_default_path();
	char real[PATH_MAX];

	if (!lp)
		return -ENOENT;
	if (libexec_path(INIT_NAME, X_OK, p->self, sizeof(p->self)) < 0)
		return -ENAMETOOLONG;
	if (realpath(p->self, real))
		strscpy(p->self, sizeof(p->self), real);
	if (pathf(p->ndproxy, sizeof(p->ndproxy), "%.*s/" NDPROXY_NAME,
		  (int)(strrchr(p->self, '/') ? strrchr(p->self, '/') - p->self : 1),
		  strrchr(p->self, '/') ? p->self : ".") < 0)
		return -ENAMETOOLONG;
	if (!plain_token(p->self) || !plain_token(p->ndproxy) || !plain_token(state_dir))
		return -EINVAL;
	for (const char *s = lp; *s; s++)
		if ((unsigned char)*s < ' ')
			return -EINVAL;
	if (strscpy(p->state, sizeof(p->state), state_dir) < 0 ||
	    strscpy(p->lxcpath, sizeof(p->lxcpath), lp) < 0 ||
	    pathf(p->router, sizeof(p->router), "%s/router", state_dir) < 0 ||
	    pathf(p->rootfs, sizeof(p->rootfs), "%s/router/rootfs", state_dir) < 0 ||
	    pathf(p->ct_dir, sizeof(p->ct_dir), "%s/%s", lp, c->router) < 0 ||
	    pathf(p->ct_config, sizeof(p->ct_config), "%s/%s/config", lp, c->router) < 0)
		return -ENAMETOOLONG;
	return 0;
}

void paths_router_macs(const struct paths *p, const struct conf *c, uint8_t ret[3][6])
{
	static const char *const role[3] = {"uplink", "guest", "host"};
	char seed[PATH_MAX + 128];

	/* Stable MACs keep the router's LAN lease and the guests' neighbour
	 * caches valid across restarts. */
	for (int i = 0; i < 3; i++) {
		snprintf(seed, sizeof(seed), "router/%s/%s/%s", p->state, c->router, role[i]);
		render_mac(seed, ret[i]);
	}
}
