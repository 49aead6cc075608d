/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Orchestration code returns -errno like everything else, and leaves the
 * user-facing "why" here for the CLI to print as one line.
 */
#pragma once

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

struct errmsg {
	char msg[512];
	bool usage; /* the user's input was wrong: exit status 2, not 1 */
};

/* Format the message and return r, so callers can `return fail(e, r, ...)`. */
static inline int fail(struct errmsg *e, int r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static inline int fail(struct errmsg *e, int r, const char *fmt, ...)
{
	va_list ap;

	if (e) {
		va_start(ap, fmt);
		vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
		va_end(ap);
	}
	return r;
}

/* A refusal caused by the user's input (bad name, taken address...): -EINVAL, exit 2. */
static inline int bad(struct errmsg *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline int bad(struct errmsg *e, const char *fmt, ...)
{
	va_list ap;

	if (e) {
		va_start(ap, fmt);
		vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
		va_end(ap);
		e->usage = true;
	}
	return -EINVAL;
}
