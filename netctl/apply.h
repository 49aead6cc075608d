/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * `apply FILE`: the guests of a guest file made to exist, attached, with
 * exactly their ports, and running (`guest create`, `guest add`, `port
 * add/del`, start); with prune, the guests an earlier apply of the same file
 * created and the file no longer names are destroyed; with down, the file's
 * guests are stopped. The plan is computed from the file, the registry,
 * liblxc and the `applied` journal (state.h), and checked against them,
 * before anything changes; an applied file's plan is empty.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "errmsg.h"
#include "guestfile.h"
#include "paths.h"
#include "state.h"

/* In the order they run: what frees names, addresses and ports goes first. */
enum apply_op {
	APPLY_DESTROY,
	APPLY_FORGET,
	APPLY_PORT_DEL,
	APPLY_CREATE,
	APPLY_ATTACH,
	APPLY_PORT_ADD,
	APPLY_MOUNT,
	APPLY_START,
	APPLY_STOP,
	APPLY_N_OPS,
};

struct apply_step {
	enum apply_op op;
	char name[64];
	const struct gf_guest *g; /* the file's guest; NULL for destroy and forget */
	struct port_fwd port;	  /* port add and del */
	const struct mount_spec *mount; /* mount: an entry the container's config lacks */
};

struct apply_plan {
	size_t n;
	struct apply_step *steps; /* in the order they run */
};

struct apply_opts {
	const char *file;		  /* as given, for messages */
	char file_id[APPLIED_ID_LEN + 1]; /* applied_file_id() of its canonical path */
	char *const *groups;		  /* only the guests of these groups; none: all */
	size_t n_groups;
	bool prune;   /* destroy what an earlier apply of the file made and it no longer names */
	bool down;    /* stop the file's guests, nothing else */
	bool verbose; /* the templates' own output */
};

/*
 * apply_plan - what apply would do. Conflicts with what exists (a guest
 * registered with another address, a router port that another guest holds,
 * a group no guest is in...) go to @errs as "FILE:LINE: ..." like the
 * file's own errors, and make it -EINVAL; anything else is -errno with
 * e->msg. Free @ret with apply_plan_free().
 */
int apply_plan(const struct paths *p, const struct conf *c, const struct guestfile *gf,
	       const struct apply_opts *o, struct apply_plan *ret, struct conf_errors *errs,
	       struct errmsg *e);
void apply_plan_free(struct apply_plan *plan);
/* One line, e.g. "port add web 8080:80/tcp" (what --dry-run prints). */
void apply_step_format(const struct apply_step *s, char *buf, size_t size);
/*
 * apply_run - run the steps in order, each announced through log_info; the
 * first failure stops it (what ran stays; the next apply converges). 0, or
 * -errno with e->msg (e->usage when a step refused its input).
 */
int apply_run(const struct paths *p, const struct conf *c, const struct apply_opts *o,
	      const struct apply_plan *plan, struct errmsg *e);
