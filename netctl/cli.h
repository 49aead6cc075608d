/* SPDX-License-Identifier: BSD-2-Clause */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "config.h"
#include "paths.h"
#include "runtime.h"

/* Exit codes of INTERFACE.md. */
enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

/* Global options, filled by the dispatcher and handed to every command. */
struct ctx {
	const char *config_path;
	bool config_explicit;
	const char *state_dir;
	const char *lxcpath; /* NULL: liblxc's default */
	bool json;
	int verbose; /* 0 quiet, 1 normal, 2 verbose */
};

/* A JSON string on @f: quotes, backslashes and control bytes escaped. */
void json_print_string(FILE *f, const char *v);
/* Print "lxctogo-net: what: why" to stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * cli_load_conf - load and verify the config with the command line's values
 * @ov (may be NULL); on error print every "FILE:LINE: ..." (or "ORIGIN: ...")
 * line. Returns an exit code (EXIT_USAGE for a bad config).
 */
int cli_load_conf(const struct ctx *ctx, const struct conf_override *ov, size_t n_ov,
		  struct conf *ret);

/* What cli_prepare() sets up, beyond the config. */
enum {
	CLI_PATHS = 1 << 0,   /* paths_init() */
	CLI_RUNTIME = 1 << 1, /* the running router's facts (implies CLI_PATHS) */
	CLI_LOCK = 1 << 2,    /* the state lock, held until cli_env_done() */
};

/* The model a verb works on, built once and verified once. */
struct cli_env {
	struct conf conf;  /* verified: the file plus the command line's values */
	struct runtime rt; /* what the running router learned (CLI_RUNTIME) */
	struct conf model; /* conf with rt overlaid: what the verb acts on */
	struct paths paths;
	int lock; /* -1 without CLI_LOCK */
};

/*
 * cli_prepare - the start of every verb: load and verify the config (with
 * @ov), then what @flags ask for. Prints the error itself; returns an exit
 * code. Release with cli_env_done().
 */
int cli_prepare(const struct ctx *ctx, const char *verb, unsigned flags,
		const struct conf_override *ov, size_t n_ov, struct cli_env *ret);
void cli_env_done(struct cli_env *env);

int cmd_check(const struct ctx *ctx, int argc, char **argv);
int cmd_up(const struct ctx *ctx, int argc, char **argv);
int cmd_down(const struct ctx *ctx, int argc, char **argv);
int cmd_status(const struct ctx *ctx, int argc, char **argv);
int cmd_ruleset(const struct ctx *ctx, int argc, char **argv);
int cmd_guest(const struct ctx *ctx, int argc, char **argv);
int cmd_port(const struct ctx *ctx, int argc, char **argv);
int cmd_apply(const struct ctx *ctx, int argc, char **argv);
int cmd_plug(const struct ctx *ctx, int argc, char **argv);
