// SPDX-License-Identifier: BSD-2-Clause
/* The `up`, `down` and `ruleset` verbs. */
#include <getopt.h>

#include "cli.h"
#include "guest.h"
#include "render.h"
#include "router.h"
#include "state.h"
#include "util.h"

int cmd_up(const struct ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{"uplink", required_argument, NULL, 'u'},
		{"help", no_argument, NULL, 'h'},
		{},
	};
	/* `up server|desktop` and `--uplink` are values of config keys: they go
	 * through the same parsers and the same verify as the file. */
	struct conf_override ov[2];
	_cleanup_(cli_env_done) struct cli_env env = {.lock = -1};
	struct errmsg e = {0};
	size_t n_ov = 0;
	int o, r;

	optind = 0;
	while ((o = getopt_long(argc, argv, "+u:h", opts, NULL)) != -1) {
		switch (o) {
		case 'u':
			ov[n_ov++] = (struct conf_override){"network.uplink", optarg, "--uplink"};
			break;
		case 'h':
			printf("Usage: lxctogo-net up [server|desktop] [--uplink IFACE]\n");
			return EXIT_OK;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind < argc)
		ov[n_ov++] = (struct conf_override){"network.mode", argv[optind++], "up"};
	if (optind < argc) {
		cli_error("up: unexpected argument '%s'", argv[optind]);
		return EXIT_USAGE;
	}
	r = cli_prepare(ctx, "up", CLI_PATHS | CLI_LOCK, ov, n_ov, &env);
	if (r != EXIT_OK)
		return r;
	for (unsigned i = 0; i < env.conf.n_notes; i++)
		fprintf(stderr, "lxctogo-net: note: %s\n", env.conf.notes[i]);
	r = router_up(&env.paths, &env.conf, &e);
	if (r < 0) {
		cli_error("up: %s", e.msg);
		return EXIT_FAIL;
	}
	/* The pool's lease (the LAN's netmask and gateway) is known now. */
	if (env.conf.mode == MODE_SERVER)
		guest_refresh_lines(&env.paths, &env.conf);
	log_info("router %s is up (%s mode, uplink %s)", env.conf.router,
		 env.conf.mode == MODE_SERVER ? "server" : "desktop", env.conf.uplink);
	return EXIT_OK;
}

int cmd_down(const struct ctx *ctx, int argc, char **argv)
{
	_cleanup_(cli_env_done) struct cli_env env = {.lock = -1};
	struct errmsg e = {0};
	int r;

	if (argc > 1) {
		cli_error("down: unexpected argument '%s'", argv[1]);
		return EXIT_USAGE;
	}
	r = cli_prepare(ctx, "down", CLI_PATHS | CLI_LOCK, NULL, 0, &env);
	if (r != EXIT_OK)
		return r;
	r = router_down(&env.paths, &env.conf, &e);
	if (r < 0) {
		cli_error("down: %s", e.msg);
		return EXIT_FAIL;
	}
	log_info("router %s is down", env.conf.router);
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
	r = cli_load_conf(ctx, NULL, 0, &c);
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
