/* SPDX-License-Identifier: BSD-2-Clause */
/* Minimal TAP producer for the unit tests (read by automake's tap-driver). */
#pragma once

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

static inline void tap_ok(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline void tap_ok(int cond, const char *fmt, ...)
{
	va_list ap;

	tap_n++;
	printf("%s %d - ", cond ? "ok" : "not ok", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!cond)
		tap_failed++;
}

#define tap_is_str(got, want, ...)                                                          \
	do {                                                                                \
		const char *g_ = (got), *w_ = (want);                                       \
		int eq_ = (g_ && w_) ? strcmp(g_, w_) == 0 : g_ == w_;                      \
		tap_ok(eq_, __VA_ARGS__);                                                   \
		if (!eq_)                                                                   \
			printf("#   got:  '%s'\n#   want: '%s'\n", g_ ? g_ : "(null)",      \
			       w_ ? w_ : "(null)");                                         \
	} while (0)

/*
 * tap_show - test input made safe for a TAP line: control bytes and '#' (a
 * TAP directive) as \xNN, cut to fit. Four rotating buffers, so one tap_ok()
 * may show several inputs.
 */
static inline const char *tap_show(const char *s)
{
	static char bufs[4][160];
	static unsigned next;
	char *b = bufs[next++ % 4];
	size_t o = 0;

	for (; *s && o < sizeof(bufs[0]) - 5; s++) {
		if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f || *s == '#')
			o += (size_t)snprintf(b + o, 5, "\\x%02x", (unsigned char)*s);
		else
			b[o++] = *s;
	}
	b[o] = '\0';
	return b;
}

static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}
