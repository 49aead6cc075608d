/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The state store, sole owner of --state-dir's own files: the guest registry
 * and the two journals of what `up` did to the host (`owned-links`, the links
 * it created; `host-sysctls`, the host values it changed), each written
 * atomically (temp file, fsync, rename, fsync dir) under one flock, and each
 * with a strict parser that accepts exactly what its formatter writes.
 */
#pragma once

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <limits.h>
#include <sys/types.h>

#include "config.h"

#define STATE_DEFAULT_DIR "/var/lib/lxctogo-net"
#define STATE_REGISTRY "guests"
#define STATE_LOCK "lock"
#define STATE_OWNED_LINKS "owned-links"
#define STATE_HOST_SYSCTLS "host-sysctls"
#define STATE_APPLIED "applied"

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
 * Blocks until the lock is free. Returns 0 and the fd in @ret_fd, or -errno;
 * -EPERM when @dir is not ours or others may write it (they could forge the
 * journals that `down` and `apply --prune` act on).
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
/* Would @a and @b take the same router port (a wildcard address takes them all)? */
bool port_fwd_collides(const struct port_fwd *a, const struct port_fwd *b);

/*
 * owned-links: one interface name a line, recorded before `up` creates the
 * link, so a crash in between cannot leak it and `down` removes exactly these
 * (never a bridge the admin made).
 */
#define OWNED_LINKS_MAX 16
struct owned_links {
	size_t n;
	char name[OWNED_LINKS_MAX][IFNAMSIZ];
};

/* Strict: valid interface names, each once, every line ended. -EBADMSG with the line. */
int owned_links_parse(const char *text, size_t len, struct owned_links *ret, unsigned *ret_line);
/* Malloc'd text form; NULL on ENOMEM. */
char *owned_links_format(const struct owned_links *o);
/* A missing file is an empty list. */
int state_owned_links_load(const char *dir, struct owned_links *ret);
/* Record @ifname (no-op if already there). -EINVAL bad name, -E2BIG full. */
int state_owned_links_add(const char *dir, const char *ifname);
/* Forget them all (the file goes). */
int state_owned_links_clear(const char *dir);

/*
 * host-sysctls: "KEY VALUE" a line, the value a host sysctl had before `up`
 * first changed it (KEY as under /proc/sys, e.g. net/ipv4/ip_forward), so
 * `down`, or an `up` that no longer needs the change, puts it back.
 */
#define SYSCTL_JOURNAL_MAX 32
struct sysctl_saved {
	char key[128];
	char value[64];
};
struct sysctl_journal {
	size_t n;
	struct sysctl_saved e[SYSCTL_JOURNAL_MAX];
};

/* Strict: a sysctl path key ([A-Za-z0-9_.-] components, no ".."), one token value, each key once. */
int sysctl_journal_parse(const char *text, size_t len, struct sysctl_journal *ret,
			 unsigned *ret_line);
char *sysctl_journal_format(const struct sysctl_journal *j);
/* Index of @key, or -ENOENT. */
int sysctl_journal_find(const struct sysctl_journal *j, const char *key);
/* Append; -EEXIST if the key is there, -EINVAL if key or value would not parse, -E2BIG full. */
int sysctl_journal_add(struct sysctl_journal *j, const char *key, const char *value);
/* A missing file is an empty journal. */
int state_sysctl_journal_load(const char *dir, struct sysctl_journal *ret);
/* An empty journal removes the file. */
int state_sysctl_journal_save(const char *dir, const struct sysctl_journal *j);

/*
 * applied: "FILE_ID NAME" a line, each guest container that `apply` created
 * from a guest file, recorded before it is created, so that `apply --prune`
 * destroys exactly what an earlier apply of the same file made (never a
 * container that was there before, nor one of another file). FILE_ID is
 * applied_file_id() of the file's canonical path.
 */
#define APPLIED_MAX 1024
#define APPLIED_ID_LEN 16
struct applied_entry {
	char file[APPLIED_ID_LEN + 1];
	char name[64];
};
struct applied {
	size_t n;
	struct applied_entry e[APPLIED_MAX];
};

/* 16 lower-case hex digits of a 64-bit FNV-1a hash of @path. */
void applied_file_id(const char *path, char ret[APPLIED_ID_LEN + 1]);
/* Strict: a file id, one blank, a valid guest name; each name once. -EBADMSG with the line. */
int applied_parse(const char *text, size_t len, struct applied *ret, unsigned *ret_line);
char *applied_format(const struct applied *a);
/* Index of @name, or -ENOENT. */
int applied_find(const struct applied *a, const char *name);
/* Append; -EEXIST if @name is recorded (for any file), -EINVAL if it would not parse, -E2BIG. */
int applied_add(struct applied *a, const char *file_id, const char *name);
/* -ENOENT if @name is not recorded. */
int applied_del(struct applied *a, const char *name);
/* A missing file is an empty journal. */
int state_applied_load(const char *dir, struct applied *ret);
/* An empty journal removes the file. */
int state_applied_save(const char *dir, const struct applied *a);
/*
 * state_applied_forget - drop @name from the journal (no-op if absent): the
 * container it meant is gone, so a later one of that name was not made by
 * `apply` and --prune must never take it for one.
 */
int state_applied_forget(const char *dir, const char *name);

/*
 * STATE/router/runtime: what `up` ended with, for later commands. Lines, in
 * this order: "mode desktop|server", "lan_prefix ADDR/LEN" ("-/0" for none),
 * "router PID STARTTIME", "attach macvlan|routed REASON" (files of older
 * versions lack it), and optionally "lxc STAMP".
 */
struct runtime_record {
	enum net_mode mode;
	struct ip6_net prefix; /* plen 0: none */
	pid_t pid;
	unsigned long long start; /* of the router's PID 1, in ticks since boot */
	bool has_attach;
	enum attach_mode attach; /* ATTACH_MACVLAN or ATTACH_ROUTED */
	char attach_why[256];    /* one line: control bytes escaped on the way in */
	char stamp[PATH_MAX + 64]; /* "" for none */
};

/* Malloc'd text of @r (the reason escaped to one line); NULL on ENOMEM or a stamp with a newline. */
char *runtime_record_format(const struct runtime_record *r);
/* Strict: exactly what runtime_record_format() writes, or an older file without attach. -EBADMSG. */
int runtime_record_parse(const char *text, struct runtime_record *ret);
