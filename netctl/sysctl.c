// SPDX-License-Identifier: BSD-2-Clause
#include <fcntl.h>
#include <stdarg.h>

#include "fsutil.h"
#include "sysctl.h"
#include "util.h"

static int key_to_path(const char *key, char *path, size_t size)
{
	size_t n = strlen("/proc/sys/");

	if (strlen(key) + n >= size || strstr(key, ".."))
		return -EINVAL;
	memcpy(path, "/proc/sys/", n);
	/* Interface names may contain '.', so only the first dots of known prefixes
	 * are separators; callers that need a '.' in a name pass slashes instead. */
	for (const char *k = key; *k; k++)
		path[n++] = (*k == '.' && !strchr(key, '/')) ? '/' : *k;
	path[n] = '\0';
	return 0;
}

int sysctl_write(const char *key, const char *value)
{
	char path[256];
	_cleanup_close_ int fd = -1;
	size_t len = strlen(value);
	int r;

	r = key_to_path(key, path, sizeof(path));
	if (r < 0)
		return r;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, value, len) != (ssize_t)len)
		return -errno ? -errno : -EIO;
	return 0;
}

int sysctl_read(const char *key, char *buf, size_t size)
{
	char path[256];
	_cleanup_close_ int fd = -1;
	ssize_t n;
	int r;

	r = key_to_path(key, path, sizeof(path));
	if (r < 0)
		return r;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	if (n < 0)
		return -errno;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	buf[n] = '\0';
	return 0;
}

int sysctl_ensure(const char *key, const char *value)
{
	char cur[64];

	if (sysctl_read(key, cur, sizeof(cur)) == 0 && streq(cur, value))
		return 0;
	return sysctl_write(key, value);
}

int sysctl_ensuref(const char *value, const char *fmt, ...)
{
	char key[256];
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vpathf(key, sizeof(key), fmt, ap);
	va_end(ap);
	return r < 0 ? r : sysctl_ensure(key, value);
}
