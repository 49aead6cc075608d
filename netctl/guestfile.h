/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The guest file of `apply`: INI text in the main config's dialect, one
 * `[guest NAME]` section per guest -> parse -> verify -> struct guestfile.
 * Every value goes through the parser the command line uses for it (names,
 * addresses, forwards, mounts, host names), every error is collected as
 * FILE:LINE, and nothing is returned unless the whole file is good.
 */
#pragma once

#include <limits.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "spec.h"
#include "state.h"

#define GUESTFILE_MAX_GUESTS 128
#define GUESTFILE_MAX_LIST 16 /* entries of each list key of one guest */

/* The keys of a [guest NAME] section, in the order the manual lists them. */
enum gf_key {
	GF_TEMPLATE,
	GF_TEMPLATE_ARGS,
	GF_CLONE,
	GF_IPV4,
	GF_PORTS,
	GF_MOUNTS,
	GF_HOSTNAME,
	GF_AUTOSTART,
	GF_START,
	GF_PROVISION,
	GF_GROUPS,
	GF_N_KEYS,
};

struct gf_guest {
	char name[64];
	unsigned line;		      /* of its [guest NAME] header */
	unsigned key_line[GF_N_KEYS]; /* where each key was set; 0 = not set */
	char tmpl[64];		      /* "" for a clone */
	size_t n_targs;		      /* template_args, split on blanks */
	char targs[GUESTFILE_MAX_LIST][128];
	char clone[64]; /* "" for a template */
	bool has_ip4;
	struct in_addr ip4;
	size_t n_ports;
	struct port_fwd ports[GUESTFILE_MAX_LIST]; /* .guest is the guest's name */
	size_t n_mounts;
	struct mount_spec mounts[GUESTFILE_MAX_LIST];
	char hostname[254]; /* "" = the container's own */
	bool autostart;
	bool start; /* default yes */
	size_t n_provision;
	char provision[GUESTFILE_MAX_LIST][PATH_MAX]; /* absolute, readable when parsed */
	size_t n_groups;
	char groups[GUESTFILE_MAX_LIST][64];
};

struct guestfile {
	size_t n;
	struct gf_guest *guests; /* in file order; guestfile_free() */
};

/*
 * guestfile_parse - parse and verify guest file text
 * @name: the file's path: messages start with it, and relative `provision`
 *        paths are taken from its directory (then made absolute, and checked
 *        to be readable regular files)
 * @text, @len: the text (need not be NUL-terminated; at most CONF_MAX_SIZE)
 * @ret: written only on success
 * @errs: every error, "NAME:LINE: message", in line order
 * Returns 0, -EINVAL (see @errs) or -ENOMEM.
 */
int guestfile_parse(const char *name, const char *text, size_t len, struct guestfile *ret,
		    struct conf_errors *errs);
/* guestfile_parse() of the file at @path; a file that cannot be read is one "PATH: why". */
int guestfile_load(const char *path, struct guestfile *ret, struct conf_errors *errs);
void guestfile_free(struct guestfile *gf);

/* The guest called @name, or NULL. */
const struct gf_guest *guestfile_find(const struct guestfile *gf, const char *name);
/* Is @g in one of @groups (all guests are when @n is 0)? */
bool guestfile_selected(const struct gf_guest *g, char *const *groups, size_t n);

/*
 * guestfile_error - append "FILE:LINE: message" (or "FILE: message" for line
 * 0) to @errs; beyond CONF_MAX_ERRORS it is counted in errs->dropped.
 * guestfile_sort_errors() puts them in line order (stable). For the checks
 * that `apply` adds against what exists, so they read like the parser's.
 */
void guestfile_error(struct conf_errors *errs, const char *file, unsigned line, const char *fmt,
		     ...) __attribute__((format(printf, 4, 5)));
void guestfile_sort_errors(struct conf_errors *errs, const char *file);
