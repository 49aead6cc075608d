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
 * lxcw_create - define container @name from LXC template @tmpl (its
 * arguments @argv, NULL-terminated, may be NULL), rootfs in a directory.
 * @quiet: the template's output goes to /dev/null. -EEXIST, -EIO (the
 * template failed), 0.
 */
int lxcw_create(const char *lxcpath, const char *name, const char *tmpl, char *const argv[],
		bool quiet);
/* Copy (or with @snapshot, an overlay snapshot of) the stopped container @base as @name. */
int lxcw_clone(const char *lxcpath, const char *base, const char *name, bool snapshot);
/* Stop and destroy a container (config and rootfs); an absent one is fine. */
int lxcw_destroy(const char *lxcpath, const char *name);
/* Set config items (NULL-terminated key, value pairs) and save the config. */
int lxcw_set_items(const char *lxcpath, const char *name, const char *const *items);
/*
 * lxcw_run - start @argv inside the running container (all its namespaces),
 * with only the environment @env (NULL-terminated "K=V"), stdin from @in_fd
 * and stdout and stderr to @out_fd. The caller waits for *@ret_pid.
 */
int lxcw_run(const char *lxcpath, const char *name, char *const argv[], char **env, int in_fd,
	     int out_fd, pid_t *ret_pid);
/*
 * lxcw_sock_state - does the container run? Told without liblxc: while it
 * runs, its LXC monitor serves commands on the abstract unix socket
 * "@LXCPATH/NAME/command" of this network namespace, the name liblxc itself
 * connects to (is_running()). 1: something listens there, 0: nothing does
 * (stopped), -ENAMETOOLONG: LXC hashes such a name, ask liblxc.
 */
int lxcw_sock_state(const char *lxcpath, const char *name);
/*
 * lxcw_stamp - "PATH INODE MTIME SIZE" of the liblxc that is loaded. `up`
 * records it once it has seen lxcw_sock_state() agree with liblxc on the
 * running router; later commands trust lxcw_sock_state() only while
 * lxcw_stamp_current() says that liblxc file is unchanged.
 */
int lxcw_stamp(char *buf, size_t size);
bool lxcw_stamp_current(const char *stamp);
/*
 * lxcw_info_quick - lxcw_info() without memory, and without liblxc for a
 * container that is stopped by lxcw_sock_state() under a current @stamp (may
 * be NULL). Anything else asks liblxc.
 */
int lxcw_info_quick(const char *lxcpath, const char *name, const char *stamp,
		    struct lxcw_info *ret);
