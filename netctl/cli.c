// SPDX-License-Identifier: BSD-2-Clause
/*
 * lxctogo-net: the command line. A table of subcommands, global options,
 * and the only place that prints errors for the user.
 */
#include <getopt.h>
#include <stdarg.h>

#include "autoconfig.h"

#include "cli.h"
#include "config.h"
#include "state.h"
#include "util.h"


struct command {
	const char *name;
	int (*fn)(const struct ctx *ctx, int argc, char **argv);
	const char *args;
	const char *help;
};

static const struct command commands[] = {
	{"up", cmd_up, "[server|desktop] [--uplink IFACE]",
	 "build and start the router; converge if already up"},
	{"down", cmd_down, "", "stop the router, remove everything lxctogo-net made"},
	{"status", cmd_status, "", "the router and every guest, one table (or JSON)"},
	{"guest", cmd_guest, "add NAME [--ipv4 ADDR | --private] [--mac MAC]",
	 "attach an existing LXC container as a client"},
	{"guest", cmd_guest, "del NAME", "detach it and remove its entries"},
	{"guest", cmd_guest, "list", "guests with MAC, IPv4, IPv6, ports"},
	{"guest", cmd_guest,
	 "create NAME (--template T [-- ARGS] | --clone BASE) [OPTIONS]",
	 "create, attach, start and provision a new container"},
	{"guest", cmd_guest, "destroy NAME [--yes] [--force]",
	 "stop, detach and destroy a container that `guest create` made"},
	{"port", cmd_port, "add GUEST [ADDR:]HOSTPORT:GUESTPORT[/tcp|/udp]",
	 "forward a router port to a guest"},
	{"port", cmd_port, "del GUEST [ADDR:]HOSTPORT[/tcp|/udp]", "remove a forward"},
	{"apply", cmd_apply, "FILE [GROUP...] [--dry-run] [--prune|--down]",
	 "create, attach, start the guests of a guest file; converge"},
	{"check", cmd_check, "", "preflight diagnostics and config validation"},
	{"ruleset", cmd_ruleset, "", "print the nftables script that `up` loads into the router"},
	{"plug", cmd_plug, "NAME [net up veth PORT]",
	 "LXC's hook for an attached guest: its port onto the router's guest bridge"},
};

void cli_error(const char *fmt, ...)
{
	char msg[1024], shown[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* Messages quote what the user typed: never let it break the one line. */
	fprintf(stderr, "lxctogo-net: %s\n", str_escape(msg, shown, sizeof(shown), false));
}

void json_print_string(FILE *f, const char *v)
{
	fputc('"', f);
	for (const char *p = v; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if ((unsigned char)*p < 0x20)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

int cli_load_conf(const struct ctx *ctx, const struct conf_override *ov, size_t n_ov,
		  struct conf *ret)
{
	static struct conf_errors errs;
	int r;

	memset(&errs, 0, sizeof(errs));
	r = conf_load_with(ctx->config_path, ctx->config_explicit, ov, n_ov, ret, &errs);
	if (r == 0)
		return EXIT_OK;
	for (unsigned i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", errs.msg[i]);
	if (errs.dropped)
		fprintf(stderr, "%s: %u more errors not shown\n", ctx->config_path, errs.dropped);
	return EXIT_USAGE;
}

int cli_prepare(const struct ctx *ctx, const char *verb, unsigned flags,
		const struct conf_override *ov, size_t n_ov, struct cli_env *ret)
{
	int r;

	ret->lock = -1;
	r = cli_load_conf(ctx, ov, n_ov, &ret->conf);
	if (r != EXIT_OK)
		return r;
	ret->rt = (struct runtime){0};
	if (flags & (CLI_PATHS | CLI_RUNTIME)) {
		r = paths_init(&ret->paths, ctx->state_dir, ctx->lxcpath, &ret->conf);
		if (r < 0) {
			cli_error("%s: state dir or lxcpath unusable: %s", verb, strerror(-r));
			return EXIT_USAGE;
		}
	}
	/* The lock first: the running router's facts can change under a
	 * concurrent `up` until we hold it. */
	if (flags & CLI_LOCK) {
		r = state_lock(ctx->state_dir, &ret->lock);
		if (r == -EPERM) {
			cli_error("state directory %s: must belong to this user and not be writable "
				  "by group or others",
				  ctx->state_dir);
			return EXIT_FAIL;
		}
		if (r < 0) {
			cli_error("state directory %s: %s", ctx->state_dir, strerror(-r));
			return EXIT_FAIL;
		}
	}
	/* Mode, LAN prefix and attach as the running router has them. */
	if (flags & CLI_RUNTIME)
		runtime_load(&ret->paths, &ret->rt);
	runtime_overlay(&ret->conf, &ret->rt, &ret->model);
	return EXIT_OK;
}

void cli_env_done(struct cli_env *env)
{
	if (env->lock >= 0)
		close(env->lock);
	env->lock = -1;
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: lxctogo-net [GLOBAL OPTIONS] COMMAND [ARGS]\n\n"
		   "Global options:\n"
		   "  -c, --config FILE     config file (default " CONF_DEFAULT_PATH ")\n"
		   "  -s, --state-dir DIR   state directory (default " STATE_DEFAULT_DIR ")\n"
		   "  -P, --lxcpath DIR     LXC container path (default: liblxc's lxc.lxcpath)\n"
		   "  -j, --json            machine-readable output for status\n"
		   "  -v, --verbose         more output (check: print the canonical config)\n"
		   "  -q, --quiet           errors only\n"
		   "  -h, --help            this help\n"
		   "  -V, --version         print the version\n\n"
		   "Commands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		char head[96];

		snprintf(head, sizeof(head), "%s %s", commands[i].name, commands[i].args);
		fprintf(f, "  %-50s %s\n", head, commands[i].help);
	}
	fprintf(f, "\nExit status: 0 success, 1 operational failure, 2 bad usage or bad config.\n");
}

/* Exact name, or an unambiguous prefix (as ip(8) does). */
static const struct command *find_command(const char *name)
{
	const struct command *hit = NULL;

	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		if (streq(commands[i].name, name))
			return &commands[i];
		if (!strncmp(commands[i].name, name, strlen(name))) {
			if (hit && hit->fn != commands[i].fn)
				return NULL;
			hit = &commands[i];
		}
	}
	return hit;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"state-dir", required_argument, NULL, 's'},
		{"lxcpath", required_argument, NULL, 'P'},
		{"json", no_argument, NULL, 'j'},
		{"verbose", no_argument, NULL, 'v'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{},
	};
	struct ctx ctx = {
		.config_path = CONF_DEFAULT_PATH,
		.state_dir = STATE_DEFAULT_DIR,
		.verbose = 1,
	};
	const struct command *cmd;
	int c;

	while ((c = getopt_long(argc, argv, "+c:s:P:jvqhV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			ctx.config_path = optarg;
			ctx.config_explicit = true;
			break;
		case 's':
			ctx.state_dir = optarg;
			break;
		case 'P':
			ctx.lxcpath = optarg;
			break;
		case 'j':
			ctx.json = true;
			break;
		case 'v':
			ctx.verbose = 2;
			break;
		case 'q':
			ctx.verbose = 0;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'V':
			printf("lxctogo-net %s\n", PACKAGE_VERSION);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	log_level = ctx.verbose;
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	cmd = find_command(argv[optind]);
	if (!cmd) {
		cli_error("%s: unknown or ambiguous command (see --help)", argv[optind]);
		return EXIT_USAGE;
	}
	/* Subcommands see their own name as argv[0], like a separate program. */
	optind++;
	return cmd->fn(&ctx, argc - optind + 1, argv + optind - 1);
}
