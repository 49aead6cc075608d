// SPDX-License-Identifier: BSD-2-Clause
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <sys/stat.h>

#include "fsutil.h"
#include "state.h"
#include "util.h"

int vpathf(char *buf, size_t size, const char *fmt, va_list ap)
{
	int n = vsnprintf(buf, size, fmt, ap);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int pathf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vpathf(buf, size, fmt, ap);
	va_end(ap);
	return r;
}

char *read_textf(bool untrusted, const char *fmt, ...)
{
	char path[PATH_MAX], *text = NULL;
	va_list ap;
	size_t len;
	int r;

	va_start(ap, fmt);
	r = vpathf(path, sizeof(path), fmt, ap);
	va_end(ap);
	if (r < 0)
		return NULL;
	if ((untrusted ? read_regular_file(path, &text, &len) : read_file(path, &text, &len)) < 0)
		return NULL;
	return text;
}

int mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];

	if (strscpy(buf, sizeof(buf), path) < 0)
		return -ENAMETOOLONG;
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int write_if_changed(const char *path, const char *data, mode_t mode)
{
	_cleanup_free_ char *cur = NULL;
	size_t len = strlen(data), curlen;
	struct stat st;
	int r;

	/* A symlink or anything else that is not a regular file in its place
	 * differs: the rename below replaces it, nothing is read or written
	 * through it. */
	if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 07777) == mode &&
	    read_regular_file(path, &cur, &curlen) == 0 && curlen == len &&
	    !memcmp(cur, data, len))
		return 0;
	r = write_file_replace(path, data, len, mode);
	return r < 0 ? r : 1;
}

int write_file_replace(const char *path, const void *data, size_t len, mode_t mode)
{
	const char *base = strrchr(path, '/');
	char tmp[PATH_MAX];
	_cleanup_close_ int fd = -1;
	int r = 0;

	/* A dotfile: dnsmasq's hostsdir and dhcp-hostsdir watches skip those, so
	 * it reads the file once, when the rename brings it in, not the temp too. */
	base = base ? base + 1 : path;
	if (pathf(tmp, sizeof(tmp), "%.*s.%s.tmp.%d", (int)(base - path), path, base,
		  (int)getpid()) < 0)
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return -errno;
	if (write(fd, data, len) != (ssize_t)len || fchmod(fd, mode) < 0)
		r = errno ? -errno : -EIO;
	else if (rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
	return r;
}

int write_new_or_changed(const char *path, const char *data, mode_t mode)
{
	_cleanup_close_ int fd = -1;
	size_t len = strlen(data);
	ssize_t n;
	int r;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return errno == EEXIST ? write_if_changed(path, data, mode) : -errno;
	n = write(fd, data, len);
	if (n == (ssize_t)len && fchmod(fd, mode) == 0)
		return 1;
	r = n < 0 || n == (ssize_t)len ? -errno : -EIO; /* a short write sets no errno */
	close(fd);
	fd = -1;
	unlink(path);
	return r;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	if (flag == FTW_DP)
		return rmdir(path) < 0 && errno != ENOENT ? -1 : 0;
	return unlink(path) < 0 && errno != ENOENT ? -1 : 0;
}

int rm_rf(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) != 0)
		return errno ? -errno : -EIO;
	return 0;
}

int symlink_ensure(const char *target, const char *path)
{
	char cur[PATH_MAX];
	ssize_t n = readlink(path, cur, sizeof(cur) - 1);

	if (n >= 0) {
		cur[n] = '\0';
		if (streq(cur, target))
			return 0;
		if (unlink(path) < 0)
			return -errno;
	} else if (errno != ENOENT && errno != EINVAL) {
		return -errno;
	} else if (errno == EINVAL && rm_rf(path) < 0) {
		return -errno;
	}
	return symlink(target, path) < 0 ? -errno : 0;
}
