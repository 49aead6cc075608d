/* SPDX-License-Identifier: BSD-2-Clause */
/* sysctls of the calling thread's network namespace, through /proc/sys. */
#pragma once

#include <stddef.h>

/* @key uses dots or slashes ("net.ipv6.conf.eth0.accept_ra"). 0 or -errno. */
int sysctl_write(const char *key, const char *value);
int sysctl_read(const char *key, char *buf, size_t size);
/* Write only if different: keeps `up` from touching what is already right. */
int sysctl_ensure(const char *key, const char *value);
/* printf-style key builder for per-interface keys. */
int sysctl_ensuref(const char *value, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
