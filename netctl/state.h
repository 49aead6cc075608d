/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The state store: the guest registry under --state-dir, written atomically
 * (temp file, fsync, rename, fsync dir) and serialised by one flock.
 */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define STATE_DEFAULT_DIR "/var/lib/lxctogo-net"
#define STATE_REGISTRY "guests"
#define STATE_LOCK "lock"

struct guest {
	char name[64];
	uint8_t mac[6];
	struct in_addr ip4;
	bool has_ip6;
	struct in6_addr ip6;
};

struct port_fwd {
	char guest[64];
	uint8_t proto; /* IPPROTO_TCP or IPPROTO_UDP */
	int family;    /* AF_UNSPEC: any host address; AF_INET/AF_INET6: only haddr */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} haddr;
	uint16_t host_port;
	uint16_t guest_port;
};

struct registry {
	size_t n_guests, cap_guests;
	struct guest *guests;
	size_t n_ports, cap_ports;
	struct port_fwd *ports;
};

/*
 * state_lock - create @dir (0700) if needed and take the exclusive lock.
 * Blocks until the lock is free. Returns 0 and the fd in @ret_fd, or -errno.
 */
int state_lock(const char *dir, int *ret_fd);

/* Missing registry file = empty registry. -EBADMSG if the file is malformed. */
int registry_load(const char *dir, struct registry *ret);
int registry_save(const char *dir, const struct registry *r);
void registry_free(struct registry *r);

/* Text form, shared by load/save, unit tests and the fuzzer. */
int registry_parse(const char *text, size_t len, struct registry *ret, unsigned *ret_line);
/* Returns a malloc'd NUL-terminated string, or NULL on ENOMEM. */
char *registry_format(const struct registry *r);

struct guest *registry_find(const struct registry *r, const char *name);
/* -EEXIST when the name, MAC, IPv4 or IPv6 is already taken. */
int registry_add_guest(struct registry *r, const struct guest *g);
/* Removes the guest and its ports. -ENOENT if unknown. */
int registry_del_guest(struct registry *r, const char *name);
/* -ENOENT unknown guest; -EEXIST when proto/host address/port collides. */
int registry_add_port(struct registry *r, const struct port_fwd *p);
/* Match on guest, proto, family/address and host port. -ENOENT if none. */
int registry_del_port(struct registry *r, const struct port_fwd *p);

/*
 * write_file_atomic - replace @path with @data: temp file in the same dir,
 * fsync, rename, fsync the directory. Readers see the old or the new file.
 */
int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode);
/* Read a whole file, NUL-terminated. -errno. */
int read_file(const char *path, char **ret, size_t *ret_len);
/*
 * read_regular_file - read_file() for a path that someone else may control
 * (the router's writable dirs): a symlink as the last component is refused
 * (-ELOOP), and so is anything but a regular file (-EINVAL; a FIFO does not
 * block the caller).
 */
int read_regular_file(const char *path, char **ret, size_t *ret_len);
