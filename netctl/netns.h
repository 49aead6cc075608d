/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Entering the router's network namespace. Netlink and nftables sockets keep
 * the namespace they were opened in, and /proc/sys/net resolves against the
 * caller's namespace at open time, so "enter, open, leave" is all we need.
 */
#pragma once

#include <sys/types.h>

/*
 * netns_enter_pid - switch this thread into the network namespace of @pid.
 * @ret_saved: fd of the previous namespace, for netns_leave().
 * Returns 0 or -errno.
 */
int netns_enter_pid(pid_t pid, int *ret_saved);
/* netns_enter_pid() for the namespace that the fd @target refers to. */
int netns_enter_fd(int target, int *ret_saved);
/*
 * netns_new - a fresh, empty network namespace that this thread does not
 * enter, as an fd (@ret_fd). It lives as long as the fd (or a process in
 * it): its virtual links go with it, even if we crash. 0 or -errno.
 */
int netns_new(int *ret_fd);
/* Return to the namespace saved by netns_enter_pid() and close the fd. */
int netns_leave(int saved);
