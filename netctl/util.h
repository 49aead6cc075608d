/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Small helpers shared by every module: cleanup attributes, string copies
 * that report truncation, and the -errno convention.
 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static inline void freep(void *p)
{
	free(*(void **)p);
}

static inline void closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}

static inline void fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)

/* Copy src into a fixed buffer; -ENAMETOOLONG instead of silent truncation. */
static inline int strscpy(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

	if (n >= size)
		return -ENAMETOOLONG;
	memcpy(dst, src, n + 1);
	return 0;
}

/* Monotonic clock in milliseconds, for deadlines. */
static inline long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static inline bool streq(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

/* Verbosity set by the CLI: 0 quiet, 1 normal, 2 verbose. */
extern int log_level;

void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * str_escape - @s made safe to show on one line: control bytes and DEL as
 * \xNN; with @all also backslashes and bytes >= 0x80, so the result is plain,
 * unambiguous ASCII (for quoting a config value). Cut to @size (at least 8)
 * with "..." when too long. Returns @buf.
 */
const char *str_escape(const char *s, char *buf, size_t size, bool all);
