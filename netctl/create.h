/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * `guest create` and `guest destroy`: a guest from nothing to serving (an LXC
 * template or a clone of a base, attached, its ports, started, ready, its
 * provisioning hooks run) and back to nothing.
 */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "errmsg.h"
#include "guest.h"
#include "paths.h"
#include "spec.h"
#include "state.h"

/* The first line that `guest create` adds to a container's config: what destroy looks for. */
#define CREATED_MARK "# lxctogo-net: made by `guest create`"

struct create_req {
	struct guest_req add;	/* name, --ipv4, --mac */
	const char *tmpl;	/* --template, or NULL */
	char *const *tmpl_argv; /* what follows "--" (NULL-terminated), may be NULL */
	const char *clone;	/* --clone BASE, or NULL */
	bool snapshot;		/* --snapshot: an overlay snapshot of BASE */
	const struct port_fwd *ports;
	size_t n_ports;
	const struct mount_spec *mounts;
	size_t n_mounts;
	const char *hostname; /* --hostname FQDN, or NULL */
	bool autostart;
	bool start;
	const char *const *provision; /* scripts run inside the guest once it is ready */
	size_t n_provision;
	bool verbose; /* the template's own output */
	int *lock_fd; /* the state lock, closed (and set to -1) before the hooks run; may be NULL */
};

/* What guest_create() made, for the -j summary. */
struct create_result {
	struct guest g; /* as registered */
	bool started;
	long ready_ms;	    /* from the start of the call to readiness (started only) */
	size_t provisioned; /* hooks that ran to the end with status 0 */
};

/*
 * guest_create - create, attach, start and provision one guest. Up to
 * readiness every failure removes what this call made (no half-made
 * container); a failed provisioning hook leaves the guest as it is. Progress
 * goes to stderr through log_info. 0, or -errno with e->msg (e->usage for bad input).
 */
int guest_create(const struct paths *p, const struct conf *c, const struct create_req *req,
		 struct create_result *ret, struct errmsg *e);
/* Does container @name carry CREATED_MARK (made by `guest create` or `apply`)? */
bool guest_made_by_create(const struct paths *p, const char *name);
/*
 * guest_destroy - stop, detach (all that `guest del` removes) and destroy.
 * A container without CREATED_MARK is refused unless @force.
 */
int guest_destroy(const struct paths *p, const struct conf *c, const char *name, bool force,
		  struct errmsg *e);
