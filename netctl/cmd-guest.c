// SPDX-License-Identifier: BSD-2-Clause
/* The `guest` and `port` verbs. */
#include <arpa/inet.h>
#include <getopt.h>

#include "cli.h"
#include "guest.h"
#include "state.h"
#include "status.h"
#include "util.h"

static int finish(int r, const struct errmsg *e)
{
	if (r == 0)
		return EXIT_OK;
	cli_error("%s", e->msg);
	return e->usage ? EXIT_USAGE : EXIT_FAIL;
}

static int guest_add_cmd(const struct ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{"ipv4", required_argument, NULL, '4'},
		{"mac", required_argument, NULL, 'm'},
		{},
	};
	struct guest_req req = {0};
	struct errmsg e = {0};
	_cleanup_(cli_env_done) struct cli_env env = {.lock = -1};
	int o, r;

	optind = 0;
	while ((o = getopt_long(argc, argv, "4:m:", opts, NULL)) != -1) {
		switch (o) {
		case '4':
			if (addr_parse_ip4(optarg, &req.ip4) < 0) {
				cli_error("guest add: --ipv4: invalid IPv4 address");
				return EXIT_USAGE;
			}
			req.has_ip4 = true;
			break;
		case 'm':
			if (mac_parse(optarg, req.mac) < 0) {
				cli_error("guest add: --mac: invalid unicast MAC address");
				return EXIT_USAGE;
			}
			req.has_mac = true;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		cli_error("guest add: usage: guest add NAME [--ipv4 ADDR] [--mac MAC]");
		return EXIT_USAGE;
	}
	req.name = argv[optind];
	if (!valid_name(req.name)) {
		cli_error("guest add: invalid name (1-63 of a-z 0-9 -, no edge '-', not all "
			  "digits)");
		return EXIT_USAGE;
	}
	r = cli_prepare(ctx, "guest add", CLI_RUNTIME | CLI_LOCK, NULL, 0, &env);
	if (r != EXIT_OK)
		return r;
	return finish(guest_add(&env.paths, &env.model, &req, &e), &e);
}

static int guest_del_cmd(const struct ctx *ctx, int argc, char **argv)
{
	struct errmsg e = {0};
	_cleanup_(cli_env_done) struct cli_env env = {.lock = -1};
	int r;

	if (argc != 2) {
		cli_error("guest del: usage: guest del NAME");
		return EXIT_USAGE;
	}
	if (!valid_name(argv[1])) {
		cli_error("guest del: invalid name");
		return EXIT_USAGE;
	}
	r = cli_prepare(ctx, "guest del", CLI_RUNTIME | CLI_LOCK, NULL, 0, &env);
	if (r != EXIT_OK)
		return r;
	return finish(guest_del(&env.paths, &env.model, argv[1], &e), &e);
}

static int guest_list_cmd(const struct ctx *ctx, int argc, char **argv)
{
	if (argc != 1) {
		cli_error("guest list: unexpected argument '%s'", argv[1]);
		return EXIT_USAGE;
	}
	return status_print(ctx, "guest list", false);
}

int cmd_guest(const struct ctx *ctx, int argc, char **argv)
{
	if (argc >= 2 && streq(argv[1], "add"))
		return guest_add_cmd(ctx, argc - 1, argv + 1);
	if (argc >= 2 && streq(argv[1], "del"))
		return guest_del_cmd(ctx, argc - 1, argv + 1);
	if (argc >= 2 && streq(argv[1], "list"))
		return guest_list_cmd(ctx, argc - 1, argv + 1);
	cli_error("guest: usage: guest add|del|list ...");
	return EXIT_USAGE;
}

int cmd_port(const struct ctx *ctx, int argc, char **argv)
{
	bool add = argc == 4 && streq(argv[1], "add"), del = argc == 4 && streq(argv[1], "del");
	struct errmsg e = {0};
	struct port_fwd pf;
	_cleanup_(cli_env_done) struct cli_env env = {.lock = -1};
	int r;

	if (!add && !del) {
		cli_error("port: usage: port add GUEST [ADDR:]HOSTPORT:GUESTPORT[/tcp|/udp] | "
			  "port del GUEST [ADDR:]HOSTPORT[/tcp|/udp]");
		return EXIT_USAGE;
	}
	if (!valid_name(argv[2])) {
		cli_error("port %s: invalid guest name", argv[1]);
		return EXIT_USAGE;
	}
	if (port_parse(argv[3], add, &pf) < 0) {
		cli_error("port %s: invalid forward '%s' (want %s)", argv[1], argv[3],
			  add ? "[ADDR:]HOSTPORT:GUESTPORT[/tcp|/udp]" : "[ADDR:]HOSTPORT[/tcp|/udp]");
		return EXIT_USAGE;
	}
	strscpy(pf.guest, sizeof(pf.guest), argv[2]);
	r = cli_prepare(ctx, add ? "port add" : "port del", CLI_RUNTIME | CLI_LOCK, NULL, 0, &env);
	if (r != EXIT_OK)
		return r;
	return finish(add ? port_add(&env.paths, &env.model, &pf, &e)
			  : port_del(&env.paths, &env.model, &pf, &e), &e);
}
