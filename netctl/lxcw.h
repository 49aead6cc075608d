/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * liblxc wrapper: the only module that includes liblxc. liblxc answers in
 * bools; this turns them into 0 / -errno. liblxc is opened on first use
 * (lazylib.h): a failure to load it is -ELIBACC, after one line on stderr.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct lxcw_info {
	bool defined;
	bool running;
	char state[16]; /* "RUNNING", "STOPPED", ... or "ABSENT" */
	pid_t pid;      /* 0 if not running */
	uint64_t mem_bytes; /* 0 if unknown */
};

/* liblxc's default lxcpath (lxc.lxcpath). */
const char *lxcw_default_path(void);
/*
 * Defined and state; never fails for an absent container (defined = false).
 * @memory: also read the memory use of a running one (a cgroup file).
 */
int lxcw_info(const char *lxcpath, const char *name, bool memory, struct lxcw_info *ret);
/*
 * lxcw_start - start a defined container (daemonized, our fds closed so the
 * monitor never inherits the state lock) and wait until it is RUNNING.
 * @logfile: liblxc log for the start (NULL: none).
 */
int lxcw_start(const char *lxcpath, const char *name, const char *logfile);
/* Kill it (SIGKILL to init) and wait until STOPPED; not running is fine. */
int lxcw_stop(const char *lxcpath, const char *name);
/* Move host link @dev into the running container as @dst. */
int lxcw_attach_iface(const char *lxcpath, const char *name, const char *dev, const char *dst);

/*
 * lxcw_set_net - replace all lxc.net.* items of a defined container with
 * @items (NULL-terminated key, value pairs) and save the config file.
 * With items == NULL the network section is removed.
 */
int lxcw_set_net(const char *lxcpath, const char *name, const char *const *items);
