/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Libraries that only some commands need, loaded on first use.
 *
 * liblxc and libnftables bring nine shared objects between them (seccomp,
 * selinux, apparmor, cap, jansson, gmp, xtables...). Mapping and relocating
 * them is most of the start-up time of a process, and `guest add`, `port add`
 * and `status` are started once per call. So the binary links only libnftnl
 * and libmnl, and opens these two by soname (recorded by configure) when a
 * command first calls into them; libnl and libndp live in lxtg-netlink.so,
 * which netlink-lazy.c opens the same way.
 */
#pragma once

#include <stddef.h>

struct lazylib {
	const char *soname;
	const char *const *names; /* symbols to resolve, in the order of syms */
	size_t n;
	void *handle;
	int err; /* 0 until tried; then 0 on success or -ELIBACC */
};

/*
 * lazylib_load - dlopen @lib and resolve its symbols into @syms (once; later
 * calls return the first result). On failure prints one line naming the
 * library and returns -ELIBACC.
 */
int lazylib_load(struct lazylib *lib, void **syms);
