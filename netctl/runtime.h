/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The router as it runs now: the runtime file that `up` writes
 * (STATE/router/runtime: mode, LAN prefix, the router's PID 1 with its start
 * time, the liblxc stamp), the router's PID, and whether its container is ours.
 *
 * What `up` learned at run time is a separate input, never an edit of the
 * verified config: commands read it into struct runtime and build the model
 * they act on with runtime_overlay().
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "config.h"
#include "paths.h"

struct runtime {
	bool known;		 /* a runtime file was there and parsed */
	enum net_mode mode;	 /* the mode of the running router */
	struct ip6_net prefix;	 /* the LAN prefix it learned (plen 0: none) */
	bool attach_known;	 /* `up` recorded its attach decision */
	enum attach_mode attach; /* ATTACH_MACVLAN or ATTACH_ROUTED */
	char attach_why[256];	 /* why (uplink.h), one line */
};

/*
 * runtime_save - record what `up` ended with: the model @c's mode, server
 * prefix and attach (with @attach_why), the router's PID 1 @router with its
 * start time (which tells a live router from a reused PID without asking
 * liblxc), and @lxc_stamp (lxcw.h; "" for none). 0 or -errno.
 */
int runtime_save(const struct paths *p, const struct conf *c, const char *attach_why, pid_t router,
		 const char *lxc_stamp);
/* The recorded facts; ret->known is false when there are none. */
void runtime_load(const struct paths *p, struct runtime *ret);
/*
 * runtime_overlay - the model a command acts on: the verified config @c with
 * the running router's mode, (ipv6_prefix = auto) its LAN prefix and
 * (attach = auto) its attach. An attach never decided counts as macvlan.
 */
void runtime_overlay(const struct conf *c, const struct runtime *rt, struct conf *ret);
/* The router's PID 1 as `up` recorded it, if that very process still runs; else 0. */
pid_t runtime_recorded_pid(const struct paths *p);
/* The liblxc stamp `up` recorded (lxcw_stamp()) into @buf; -ENOENT if none. */
int runtime_lxc_stamp(const struct paths *p, char *buf, size_t size);
/*
 * runtime_router_pid - PID of the router's init if it runs, else 0: the
 * recorded one if it still runs, else liblxc's answer. Answered once per process.
 */
pid_t runtime_router_pid(const struct paths *p, const struct conf *c);
/* Is the lxcpath entry ours (written by `up`)? 1, 0 or -errno. */
int runtime_router_is_ours(const struct paths *p);
