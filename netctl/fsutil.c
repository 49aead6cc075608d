// SPDX-License-Identifier: BSD-2-Clause
#include <fcntl.h>
#include <stdint.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <sys/stat.h>

#include "fsutil.h"
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

int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		p += n;
		len -= n;
	}
	return 0;
}

int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	const char *slash = strrchr(path, '/');
	char *tmp = NULL, *dir = NULL;
	bool created = false;
	int fd = -1, dfd = -1, err;

	/* The temp file must live in the target's directory, or rename() is not atomic. */
	if (!slash)
		dir = strdup(".");
	else if (slash == path)
		dir = strdup("/");
	else
		dir = strndup(path, slash - path);
	tmp = malloc(strlen(path) + sizeof(".tmp.XXXXXX"));
	if (!dir || !tmp) {
		err = -ENOMEM;
		goto out;
	}
	strcpy(stpcpy(tmp, path), ".tmp.XXXXXX");

	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	created = true;

	err = write_all(fd, data, len);
	if (err < 0)
		goto out;
	/* fchmod, not the creation mode: mkstemp forces 0600 and umask must not matter. */
	if (fchmod(fd, mode) < 0 || fsync(fd) < 0) {
		err = -errno;
		goto out;
	}
	if (rename(tmp, path) < 0) {
		err = -errno;
		goto out;
	}
	created = false;

	/*
	 * Without this the rename itself may not survive a power cut. A failure
	 * here leaves the new file in place but still has to be reported.
	 */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) < 0) {
		err = -errno;
		goto out;
	}
	err = 0;
out:
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	if (created)
		unlink(tmp);
	free(tmp);
	free(dir);
	return err;
}

int read_fd(int fd, char **ret, size_t *ret_len)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, cap = 4096;
	struct stat st;

	/* st_size is only a hint: /proc files report 0 and files may grow under us.
	 * +2: room for the NUL and for the read() that sees EOF, so a file that did
	 * not change size is read without a realloc. */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
	    (uintmax_t)st.st_size < SIZE_MAX - 2)
		cap = (size_t)st.st_size + 2;

	buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n;

		if (cap - len < 2) {
			char *nbuf;

			if (cap > SIZE_MAX / 2)
				return -EFBIG;
			nbuf = realloc(buf, cap * 2);
			if (!nbuf)
				return -ENOMEM;
			buf = nbuf;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		len += n;
	}
	buf[len] = '\0';

	*ret = buf;
	buf = NULL;
	if (ret_len)
		*ret_len = len;
	return 0;
}

int read_file(const char *path, char **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	return fd < 0 ? -errno : read_fd(fd, ret, ret_len);
}

int open_untrusted_at(int dfd, const char *path, int flags, mode_t type, int wrong)
{
	struct stat st;
	int fd = openat(dfd, path, flags | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY), r = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		r = -errno;
	else if ((st.st_mode & S_IFMT) != type)
		r = -wrong;
	if (r < 0)
		close(fd);
	return r < 0 ? r : fd;
}

int read_regular_file_at(int dfd, const char *path, char **ret, size_t *ret_len)
{
	/* O_NONBLOCK: opening a FIFO for reading must not wait for a writer. */
	_cleanup_close_ int fd =
		open_untrusted_at(dfd, path, O_RDONLY | O_NONBLOCK, S_IFREG, EINVAL);

	return fd < 0 ? fd : read_fd(fd, ret, ret_len);
}

int read_regular_file(const char *path, char **ret, size_t *ret_len)
{
	return read_regular_file_at(AT_FDCWD, path, ret, ret_len);
}

int libexec_path(const char *name, int amode, char *buf, size_t size)
{
	char self[PATH_MAX], *slash;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n > 0) {
		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash)
			*slash = '\0';
		if (pathf(buf, size, "%s/%s", self, name) == 0 && access(buf, amode) == 0)
			return 0;
		if (pathf(buf, size, "%s/../libexec/lxctogo-net/%s", self, name) == 0 &&
		    access(buf, amode) == 0)
			return 0;
	}
	return pathf(buf, size, "%s/%s", PKGLIBEXECDIR, name);
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
	struct stat st;

	if (!*path)
		return -EINVAL;
	if (strscpy(buf, sizeof(buf), path) < 0)
		return -ENAMETOOLONG;
	for (char *s = buf + 1;; s++) {
		char c = *s;

		if (c != '/' && c != '\0')
			continue;
		*s = '\0';
		/* An existing parent on a read-only or foreign mount may fail with
		 * EROFS or EACCES rather than EEXIST: what counts is that it is a
		 * directory. */
		if (mkdir(buf, mode) < 0) {
			int e = errno;

			if (stat(buf, &st) < 0)
				return -e;
			if (!S_ISDIR(st.st_mode))
				return -ENOTDIR;
		}
		*s = c;
		if (!c)
			return 0;
	}
}

int write_if_changed_at(int dfd, const char *path, const char *data, mode_t mode)
{
	_cleanup_free_ char *cur = NULL;
	size_t len = strlen(data), curlen;
	struct stat st;
	int r;

	/* A symlink or anything else that is not a regular file in its place
	 * differs: the rename below replaces it, nothing is read or written
	 * through it. */
	if (fstatat(dfd, path, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
	    (st.st_mode & 07777) == mode && read_regular_file_at(dfd, path, &cur, &curlen) == 0 &&
	    curlen == len && !memcmp(cur, data, len))
		return 0;
	r = write_file_replace_at(dfd, path, data, len, mode);
	return r < 0 ? r : 1;
}

int write_if_changed(const char *path, const char *data, mode_t mode)
{
	return write_if_changed_at(AT_FDCWD, path, data, mode);
}

int write_file_replace_at(int dfd, const char *path, const void *data, size_t len, mode_t mode)
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
	/* The directory may be one the router writes too (lxtg/run): whatever
	 * stands at the temp name (a FIFO, a link) is removed, never opened. */
	const int flags = O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK;

	fd = openat(dfd, tmp, flags, mode);
	if (fd < 0 && errno == EEXIST && unlinkat(dfd, tmp, 0) == 0)
		fd = openat(dfd, tmp, flags, mode);
	if (fd < 0)
		return -errno;
	r = write_all(fd, data, len);
	if (r == 0 && fchmod(fd, mode) < 0)
		r = -errno;
	if (r == 0 && renameat(dfd, tmp, dfd, path) < 0)
		r = -errno;
	if (r < 0)
		unlinkat(dfd, tmp, 0);
	return r;
}

int write_file_replace(const char *path, const void *data, size_t len, mode_t mode)
{
	return write_file_replace_at(AT_FDCWD, path, data, len, mode);
}

int write_new_or_changed(const char *path, const char *data, mode_t mode)
{
	_cleanup_close_ int fd = -1;
	size_t len = strlen(data);
	int r;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return errno == EEXIST ? write_if_changed(path, data, mode) : -errno;
	r = write_all(fd, data, len);
	if (r == 0 && fchmod(fd, mode) < 0)
		r = -errno;
	if (r == 0)
		return 1;
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

/* Field 22 of /proc/PID/stat: when the process started, in ticks since boot. 0 if gone. */
unsigned long long proc_start_time(pid_t pid)
{
	_cleanup_free_ char *text = NULL;
	unsigned long long start = 0;
	char path[64], *s, state = 0;
	size_t len;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (pid <= 0 || read_file(path, &text, &len) < 0)
		return 0;
	/* After the command name, which may hold spaces and ')'. */
	s = strrchr(text, ')');
	if (!s || sscanf(s + 1,
			 " %c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d "
			 "%*d %*d %*d %*d %llu",
			 &state, &start) != 2)
		return 0;
	/* A zombie has left its namespaces; whoever reaps it may take its time. */
	return state == 'Z' || state == 'X' ? 0 : start;
}
