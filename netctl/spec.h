/* SPDX-License-Identifier: BSD-2-Clause */
/* Command-line value syntax shared by the CLI, the completion and the fuzzers. */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "state.h"

/*
 * port_parse - "[ADDR:]HOSTPORT:GUESTPORT[/tcp|/udp]" (port add) or
 * "[ADDR:]HOSTPORT[/tcp|/udp]" (port del, want_guest_port = false). An IPv6
 * ADDR goes in brackets. Returns 0 (ret filled, guest name untouched) or -EINVAL.
 */
int port_parse(const char *spec, bool want_guest_port, struct port_fwd *ret);
/* The canonical text of a forward; port_parse() of it gives the same forward. */
int port_format(const struct port_fwd *p, bool with_guest_port, char *buf, size_t size);

/* A bind mount: HOST:GUEST[:ro]. */
struct mount_spec {
	char host[PATH_MAX];
	char guest[PATH_MAX]; /* absolute in the guest */
	bool ro;
};

/*
 * mount_parse - "HOST:GUEST[:ro]": two absolute paths of plain characters (no
 * blank, control byte, backslash, ':' or ".." component), as an
 * lxc.mount.entry line takes them. 0 or -EINVAL.
 */
int mount_parse(const char *spec, struct mount_spec *ret);

/*
 * template_arg_ok - may @arg be passed to an LXC template? No control byte,
 * and none of the options liblxc sets itself (-n/--name, -p/--path,
 * --rootfs, --mapped-uid/gid, -P/--lxcpath), which would make the template
 * write outside the new container.
 */
bool template_arg_ok(const char *arg);
/* A host name for lxc.uts.name: a valid domain name of at most 64 characters. */
bool hostname_ok(const char *name);
/* The lxc.mount.entry value of @m (its guest path relative to the rootfs). */
int mount_entry(const struct mount_spec *m, char *buf, size_t size);
