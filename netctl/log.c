// SPDX-License-Identifier: BSD-2-Clause
#include <stdarg.h>

#include "util.h"

int log_level = 1;

void log_info(const char *fmt, ...)
{
	va_list ap;

	if (log_level < 1)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
