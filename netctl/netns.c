// SPDX-License-Identifier: BSD-2-Clause
#include <fcntl.h>
#include <sched.h>

#include "netns.h"
#include "util.h"

int netns_enter_pid(pid_t pid, int *ret_saved)
{
	char path[64];
	_cleanup_close_ int target = -1;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	target = open(path, O_RDONLY | O_CLOEXEC);
	if (target < 0)
		return -errno;
	return netns_enter_fd(target, ret_saved);
}

int netns_enter_fd(int target, int *ret_saved)
{
	int saved = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);

	if (saved < 0)
		return -errno;
	if (setns(target, CLONE_NEWNET) < 0) {
		int r = -errno;

		close(saved);
		return r;
	}
	*ret_saved = saved;
	return 0;
}

int netns_new(int *ret_fd)
{
	int saved, fd = -1, r = 0;

	saved = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (saved < 0)
		return -errno;
	if (unshare(CLONE_NEWNET) < 0) {
		r = -errno;
		close(saved);
		return r;
	}
	fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		r = -errno;
	/* Back where we were, whatever happened: nothing may run in the new one. */
	if (setns(saved, CLONE_NEWNET) < 0 && r == 0)
		r = -errno;
	close(saved);
	if (r < 0) {
		if (fd >= 0)
			close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

int netns_leave(int saved)
{
	int r = 0;

	if (saved < 0)
		return 0;
	if (setns(saved, CLONE_NEWNET) < 0)
		r = -errno;
	close(saved);
	return r;
}
