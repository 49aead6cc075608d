// SPDX-License-Identifier: BSD-2-Clause
#include <fcntl.h>
#include <sched.h>

#include "netns.h"
#include "util.h"

int netns_enter_pid(pid_t pid, int *ret_saved)
{
	char path[64];
	_cleanup_close_ int target = -1;
	int saved;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	target = open(path, O_RDONLY | O_CLOEXEC);
	if (target < 0)
		return -errno;
	saved = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
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
