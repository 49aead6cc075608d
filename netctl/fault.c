// SPDX-License-Identifier: BSD-2-Clause
#include <signal.h>

#include "fault.h"
#include "util.h"

void fault_point(const char *name)
{
	static int count;
	const char *at = getenv("LXTG_FAULT_AT");

	count++;
	if (getenv("LXTG_FAULT_LIST"))
		fprintf(stderr, "fault point %d: %s\n", count, name);
	if (at && atoi(at) == count)
		kill(getpid(), SIGKILL);
}
