/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Where everything lives: the state dir, the router's container and rootfs,
 * the companion programs, and the names derived from them (the router's
 * stable MACs). Computed once per command from the options and the config.
 */
#pragma once

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct paths {
	char state[PATH_MAX];	/* --state-dir */
	char lxcpath[PATH_MAX]; /* --lxcpath or liblxc's default */
	char router[PATH_MAX];	/* state/router: everything `down` removes */
	char rootfs[PATH_MAX];	/* state/router/rootfs */
	char ct_dir[PATH_MAX];	/* lxcpath/<router> */
	char ct_config[PATH_MAX];
	char self[PATH_MAX]; /* lxtg-init, the router's PID 1 */
	char ndproxy[PATH_MAX]; /* lxtg-ndproxy, in the same directory */
};

/*
 * paths_init - fill @p. @lxcpath NULL means liblxc's default. The state dir and
 * lxtg-init's path go into fstab-style lines of the router's config, so each
 * must be one plain token: -EINVAL otherwise; -ENAMETOOLONG; -ENOENT without
 * an lxcpath.
 */
int paths_init(struct paths *p, const char *state_dir, const char *lxcpath, const struct conf *c);

/* The router's three MACs (uplink, guest link, host link): stable per state dir. */
void paths_router_macs(const struct paths *p, const struct conf *c, uint8_t ret[3][6]);
