/* SPDX-License-Identifier: BSD-2-Clause */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

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

/* Print "lxctogo-net: what: why" to stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* User text made safe for a one-line message (control bytes as \xNN, cut to size). */
const char *cli_printable(const char *s, char *buf, size_t size);
/* Load the config; on error print every FILE:LINE line. Returns exit code. */
int cli_load_conf(const struct ctx *ctx, struct conf *ret, bool quiet_ok);

int cmd_check(const struct ctx *ctx, int argc, char **argv);
int cmd_up(const struct ctx *ctx, int argc, char **argv);
int cmd_down(const struct ctx *ctx, int argc, char **argv);
int cmd_status(const struct ctx *ctx, int argc, char **argv);
int cmd_ruleset(const struct ctx *ctx, int argc, char **argv);
int cmd_guest(const struct ctx *ctx, int argc, char **argv);
int cmd_port(const struct ctx *ctx, int argc, char **argv);
