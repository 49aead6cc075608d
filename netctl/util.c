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

const char *str_escape(const char *s, char *buf, size_t size, bool all)
{
	size_t o = 0;

	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		bool esc = ch < 0x20 || ch == 0x7f || (all && (ch >= 0x80 || ch == '\\'));
		size_t need = esc ? 4 : 1;

		/* Keep room for "..." and the NUL: a cut value says it was cut. */
		if (o + need + 4 > size) {
			memcpy(buf + o, "...", 4);
			return buf;
		}
		if (esc)
			o += (size_t)snprintf(buf + o, size - o, "\\x%02x", ch);
		else
			buf[o++] = (char)ch;
	}
	buf[o] = '\0';
	return buf;
}
