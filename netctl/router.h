/* SPDX-License-Identifier: BSD-2-Clause */
/* `up` and `down`: orchestration of the managed router and the links around it. */
#pragma once

#include <limits.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "errmsg.h"
#include "state.h"

struct paths {
	char state[PATH_MAX];    /* --state-dir */
	char lxcpath[PATH_MAX];  /* --lxcpath or liblxc's default */
	char router[PATH_MAX];   /* state/router: everything `down` removes */
	char rootfs[PATH_MAX];   /* state/router/rootfs */
	char ct_dir[PATH_MAX];   /* lxcpath/<router> */
	char ct_config[PATH_MAX];
	char self[PATH_MAX];     /* lxtg-init, the router's PID 1 */
};

int paths_init(struct paths *p, const char *state_dir, const char *lxcpath, const struct conf *c);

/*
 * router_up - build or converge the router and its links. Preflight checks run
 * first; a refusal changes nothing. Returns 0 or -errno with e->msg set.
 */
int router_up(const struct paths *p, const struct conf *c, struct errmsg *e);
/* Stop and remove the router and everything up made; registrations stay. */
int router_down(const struct paths *p, const struct conf *c, struct errmsg *e);

/*
 * router_guest_dns - write (or with @del remove) the guest's files in the
 * router's dnsmasq hostsdir and dhcp-hostsdir (write_new_or_changed).
 */
int router_guest_dns(const struct paths *p, const struct conf *c, const struct guest *g, bool del,
		     struct errmsg *e);
/* PID of the router's init if it runs (0 otherwise). */
pid_t router_pid(const struct paths *p, const struct conf *c);
/* The router's three MACs (uplink, guest link, host link): stable per state dir. */
void router_macs(const struct paths *p, const struct conf *c, uint8_t ret[3][6]);
/* Is the lxcpath entry ours (written by `up`)? */
int router_is_ours(const struct paths *p);
/* Find a process named @comm in the router's network namespace. 0 if none. */
pid_t router_find_proc(pid_t init, const char *comm);
