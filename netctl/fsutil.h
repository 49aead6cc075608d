/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * File I/O, the one owner of it: whole-file reads, atomic and in-place writes
 * (every write loops until all bytes are written), mkdir -p, rm -rf, paths.
 */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * mkdir_p - mkdir -p with @mode for the directories it creates; existing
 * ones are left as they are (an existing parent that a read-only or foreign
 * mount makes fail with EROFS/EACCES is fine). -ENOTDIR if a component is not
 * a directory; 0 or -errno.
 */
int mkdir_p(const char *path, mode_t mode);
/* write(2) until all of @data is written (EINTR retried). 0 or -errno. */
int write_all(int fd, const void *data, size_t len);
/*
 * write_file_atomic - replace @path with @data: temp file in the same dir,
 * fsync, rename, fsync the directory. Readers see the old or the new file.
 */
int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode);
/* Read a whole file, NUL-terminated. -errno. */
int read_fd(int fd, char **ret, size_t *ret_len);
/* read_fd() of the file at @path. */
int read_file(const char *path, char **ret, size_t *ret_len);
/*
 * read_regular_file - read_file() for a path that someone else may control
 * (the router's writable dirs): a symlink as the last component is refused
 * (-ELOOP), and so is anything but a regular file (-EINVAL; a FIFO does not
 * block the caller).
 */
int read_regular_file(const char *path, char **ret, size_t *ret_len);
/* The same, relative to the directory @dfd (AT_FDCWD: as above). */
int read_regular_file_at(int dfd, const char *path, char **ret, size_t *ret_len);
/*
 * open_untrusted_at - open @path (relative to @dfd) with @flags as what stands
 * there, in a place someone else may control: no symlink is followed, and it
 * must be of @type (S_IFREG, S_IFIFO, S_IFSOCK with O_PATH). The descriptor,
 * or -errno (-@wrong when it is of another type).
 */
int open_untrusted_at(int dfd, const char *path, int flags, mode_t type, int wrong);
/*
 * write_if_changed - atomically replace @path (write_file_replace) only when
 * its content or mode differs, so a second `up` touches nothing. Returns 1 if written, 0 if it was
 * already identical, -errno.
 */
int write_if_changed(const char *path, const char *data, mode_t mode);
int write_if_changed_at(int dfd, const char *path, const char *data, mode_t mode);
/*
 * write_file_replace - like write_file_atomic() (readers see the old or the
 * new file, never a torn one) but without fsync: for files derived from the
 * registry, which `up` rewrites anyway after a crash. Keeps `guest add` fast.
 */
int write_file_replace(const char *path, const void *data, size_t len, mode_t mode);
int write_file_replace_at(int dfd, const char *path, const void *data, size_t len, mode_t mode);
/*
 * write_new_or_changed - for files watched with inotify for IN_CLOSE_WRITE
 * (dnsmasq's hostsdir and dhcp-hostsdir): a new @path is created in place
 * (O_EXCL) and written in one write(), without a temp file and a rename, since
 * the reader sees it only once it is closed whole; an existing one goes
 * through write_if_changed(). A failed write removes the new file. Returns 1
 * if written, 0 if already identical, -errno.
 */
int write_new_or_changed(const char *path, const char *data, mode_t mode);
/*
 * read_textf - the whole file at the path printf(@fmt, ...) gives, malloc'd and
 * NUL-terminated, or NULL if it cannot be read. @untrusted: the path lies in a
 * directory the router can write, so read_regular_file() (no symlink, no FIFO).
 */
char *read_textf(bool untrusted, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * libexec_path - where the companion program or plugin @name is: next to this
 * binary (build tree), in ../libexec/lxctogo-net (an unpacked package), else
 * PKGLIBEXECDIR. The first two count only if access(@amode) allows it.
 * 0 or -ENAMETOOLONG.
 */
int libexec_path(const char *name, int amode, char *buf, size_t size);

/* Remove a tree we created; never crosses into another file system. */
int rm_rf(const char *path);
/* When process @pid started (field 22 of /proc/PID/stat, ticks since boot); 0 if it is gone or a zombie. */
unsigned long long proc_start_time(pid_t pid);
/* Symlink @path -> @target unless it already points there. */
int symlink_ensure(const char *target, const char *path);
/* printf into a fixed buffer; -ENAMETOOLONG on truncation. */
int pathf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int vpathf(char *buf, size_t size, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
