// SPDX-License-Identifier: BSD-2-Clause
/* The `up`, `down` and `ruleset` verbs. */
#include <getopt.h>

#include "cli.h"
#include "render.h"
#include "router.h"
#include "state.h"
#include "util.h"

static int lock_state(const struct ctx *ctx, int *ret_fd)
{
	int r = state_lock(ctx->state_dir, ret_fd);

	if (r < 0)
		cli_error("state directory %s: %s", ctx->state_dir, strerror(-r));
	return r;
}

int cmd_up(const struct ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{"uplink", required_argument, NULL, 'u'},
		{"help", no_argument, NULL, 'h'},
		{},
	};
	const char *uplink = NULL;
	struct paths p;
	struct conf c;
	struct errmsg e = {0};
	_cleanup_close_ int lock = -1;
	int o, r;

	optind = 0;
	while ((o = getopt_long(argc, argv, "+u:h", opts, NULL)) != -1) {
		switch (o) {
		case 'u':
			uplink = optarg;
			break;
		case 'h':
			printf("Usage: lxctogo-net up [server|desktop] [--uplink IFACE]\n");
			return EXIT_OK;
		default:
			return EXIT_USAGE;
		}
	}
	r = cli_load_conf(ctx, &c, false);
	if (r != EXIT_OK)
		return r;
	if (optind < argc) {
		if (streq(argv[optind], "server")) {
			c.mode = MODE_SERVER;
		} else if (streq(argv[optind], "desktop")) {
			c.mode = MODE_DESKTOP;
		} else {
			cli_error("up: unknown mode '%s' (server or desktop)", argv[optind]);
			return EXIT_USAGE;
		}
		optind++;
	}
	if (optind < argc) {
		cli_error("up: unexpected argument '%s'", argv[optind]);
		return EXIT_USAGE;
	}
	if (uplink) {
		if (!valid_ifname(uplink)) {
			cli_error("up: --uplink: invalid interface name");
			return EXIT_USAGE;
		}
		strscpy(c.uplink, sizeof(c.uplink), uplink);
	}
	if (paths_init(&p, ctx->state_dir, ctx->lxcpath, &c) < 0) {
		cli_error("up: state dir or lxcpath too long");
		return EXIT_USAGE;
	}
	if (lock_state(ctx, &lock) < 0)
		return EXIT_FAIL;
	r = router_up(&p, &c, &e);
	if (r < 0) {
		cli_error("up: %s", e.msg);
		return EXIT_FAIL;
	}
	log_info("router %s is up (%s mode, uplink %s)", c.router,
		 c.mode == MODE_SERVER ? "server" : "desktop", c.uplink);
	return EXIT_OK;
}

int cmd_down(const struct ctx *ctx, int argc, char **argv)
{
	struct paths p;
	struct conf c;
	struct errmsg e = {0};
	_cleanup_close_ int lock = -1;
	int r;

	if (argc > 1) {
		cli_error("down: unexpected argument '%s'", argv[1]);
		return EXIT_USAGE;
	}
	r = cli_load_conf(ctx, &c, false);
	if (r != EXIT_OK)
		return r;
	if (paths_init(&p, ctx->state_dir, ctx->lxcpath, &c) < 0) {
		cli_error("down: state dir or lxcpath too long");
		return EXIT_USAGE;
	}
	if (lock_state(ctx, &lock) < 0)
		return EXIT_FAIL;
	r = router_down(&p, &c, &e);
	if (r < 0) {
		cli_error("down: %s", e.msg);
		return EXIT_FAIL;
	}
	log_info("router %s is down", c.router);
	return EXIT_OK;
}

int cmd_ruleset(const struct ctx *ctx, int argc, char **argv)
{
	struct registry reg = {0};
	_cleanup_free_ char *text = NULL;
	struct conf c;
	int r;

	if (argc > 1) {
		cli_error("ruleset: unexpected argument '%s'", argv[1]);
		return EXIT_USAGE;
	}
	r = cli_load_conf(ctx, &c, false);
	if (r != EXIT_OK)
		return r;
	r = registry_load(ctx->state_dir, &reg);
	if (r < 0 && r != -ENOENT) {
		cli_error("ruleset: guest registry: %s", strerror(-r));
		return EXIT_FAIL;
	}
	r = render_ruleset(&c, &reg, &text);
	registry_free(&reg);
	if (r < 0) {
		cli_error("ruleset: %s", strerror(-r));
		return EXIT_FAIL;
	}
	fputs(text, stdout);
	return EXIT_OK;
}
