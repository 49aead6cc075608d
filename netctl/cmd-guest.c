// SPDX-License-Identifier: BSD-2-Clause
/* The `guest` and `port` verbs. */
#include <arpa/inet.h>
#include <getopt.h>

#include "cli.h"
#include "create.h"
#include "elems.h"
#include "fsutil.h"
#include "guest.h"
#include "segment.h"
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
		{"private", no_argument, NULL, 'P'},
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
		case 'P':
			req.private4 = true;
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
		cli_error("guest add: usage: guest add NAME [--ipv4 ADDR | --private] [--mac MAC]");
		return EXIT_USAGE;
	}
	if (req.has_ip4 && req.private4) {
		cli_error("guest add: --ipv4 and --private exclude each other (--ipv4 with an address "
			  "of guest_subnet is private too)");
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

/* Split argv at "--": what follows is the template's (NULL-terminated in place). */
static char **split_dashdash(int *argc, char **argv)
{
	for (int i = 1; i < *argc; i++)
		if (streq(argv[i], "--")) {
			argv[i] = NULL;
			*argc = i;
			return argv + i + 1;
		}
	return NULL;
}

#define CREATE_USAGE                                                                        \
	"guest create NAME (--template T [-- ARGS] | --clone BASE [--snapshot]) [--ipv4 ADDR] " \
	"[--mac MAC] [--port SPEC]... [--mount HOST:GUEST[:ro]]... [--hostname FQDN] "          \
	"[--autostart] [--start] [--provision FILE]..."
#define CREATE_MAX 32

static int guest_create_cmd(const struct ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{"template", required_argument, NULL, 't'}, {"clone", required_argument, NULL, 'c'},
		{"snapshot", no_argument, NULL, 'S'},       {"ipv4", required_argument, NULL, '4'},
		{"mac", required_argument, NULL, 'm'},      {"port", required_argument, NULL, 'p'},
		{"mount", required_argument, NULL, 'M'},    {"hostname", required_argument, NULL, 'H'},
		{"autostart", no_argument, NULL, 'a'},      {"start", no_argument, NULL, 's'},
		{"provision", required_argument, NULL, 'P'}, {},
	};
	static struct port_fwd ports[CREATE_MAX];
	static struct mount_spec mounts[CREATE_MAX];
	static const char *provision[CREATE_MAX];
	_cleanup_(cli_env_done) struct cli_env env = {.lock = -1};
	struct create_req req = {.ports = ports, .mounts = mounts, .provision = provision};
	struct create_result res = {0};
	struct errmsg e = {0};
	char **targs = split_dashdash(&argc, argv);
	int o, r;

	req.tmpl_argv = targs;
	req.verbose = ctx->verbose >= 2;
	optind = 0;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		bool full = (o == 'p' && req.n_ports == CREATE_MAX) ||
			    (o == 'M' && req.n_mounts == CREATE_MAX) ||
			    (o == 'P' && req.n_provision == CREATE_MAX);

		if (full) {
			cli_error("guest create: at most %d of each --port, --mount, --provision",
				  CREATE_MAX);
			return EXIT_USAGE;
		}
		switch (o) {
		case 't':
			if (!valid_name(optarg)) {
				cli_error("guest create: --template: invalid template name");
				return EXIT_USAGE;
			}
			req.tmpl = optarg;
			break;
		case 'c':
			if (!valid_name(optarg)) {
				cli_error("guest create: --clone: invalid container name");
				return EXIT_USAGE;
			}
			req.clone = optarg;
			break;
		case 'S':
			req.snapshot = true;
			break;
		case '4':
			if (addr_parse_ip4(optarg, &req.add.ip4) < 0) {
				cli_error("guest create: --ipv4: invalid IPv4 address");
				return EXIT_USAGE;
			}
			req.add.has_ip4 = true;
			break;
		case 'm':
			if (mac_parse(optarg, req.add.mac) < 0) {
				cli_error("guest create: --mac: invalid unicast MAC address");
				return EXIT_USAGE;
			}
			req.add.has_mac = true;
			break;
		case 'p':
			if (port_parse(optarg, true, &ports[req.n_ports]) < 0) {
				cli_error("guest create: --port: invalid forward '%s' (want "
					  "[ADDR:]HOSTPORT:GUESTPORT[/tcp|/udp])",
					  optarg);
				return EXIT_USAGE;
			}
			req.n_ports++;
			break;
		case 'M':
			if (mount_parse(optarg, &mounts[req.n_mounts]) < 0) {
				cli_error("guest create: --mount: invalid '%s' (want HOST:GUEST[:ro], "
					  "absolute paths without blanks, ':' or '..')",
					  optarg);
				return EXIT_USAGE;
			}
			req.n_mounts++;
			break;
		case 'H':
			if (!hostname_ok(optarg)) {
				cli_error("guest create: --hostname: invalid host name (at most 64)");
				return EXIT_USAGE;
			}
			req.hostname = optarg;
			break;
		case 'a':
			req.autostart = true;
			break;
		case 's':
			req.start = true;
			break;
		case 'P':
			if (access(optarg, R_OK) < 0) {
				cli_error("guest create: --provision: %s: %s", optarg, strerror(errno));
				return EXIT_USAGE;
			}
			provision[req.n_provision++] = optarg;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	for (char **a = targs; a && *a; a++)
		if (!template_arg_ok(*a)) {
			cli_error("guest create: template argument '%s': liblxc sets the name, "
				  "path, rootfs and id maps itself",
				  *a);
			return EXIT_USAGE;
		}
	if (optind != argc - 1 || !req.tmpl == !req.clone || (targs && !req.tmpl)) {
		cli_error("guest create: usage: " CREATE_USAGE);
		return EXIT_USAGE;
	}
	req.add.name = argv[optind];
	if (!valid_name(req.add.name)) {
		cli_error("guest create: invalid name (1-63 of a-z 0-9 -, no edge '-', not all "
			  "digits)");
		return EXIT_USAGE;
	}
	r = cli_prepare(ctx, "guest create", CLI_RUNTIME | CLI_LOCK, NULL, 0, &env);
	if (r != EXIT_OK)
		return r;
	/* Made by hand, not by apply: a stale journal line of its name must go. */
	r = state_applied_forget(env.paths.state, req.add.name);
	if (r < 0) {
		cli_error("guest create: %s/%s: %s", env.paths.state, STATE_APPLIED, strerror(-r));
		return EXIT_FAIL;
	}
	req.lock_fd = &env.lock;
	r = finish(guest_create(&env.paths, &env.model, &req, &res, &e), &e);
	if (r == EXIT_OK && ctx->json) {
		char a4[INET_ADDRSTRLEN], a6[INET6_ADDRSTRLEN] = "", mac[MAC_STRLEN];

		inet_ntop(AF_INET, &res.g.ip4, a4, sizeof(a4));
		if (res.g.has_ip6 && env.model.ipv6)
			inet_ntop(AF_INET6, &res.g.ip6, a6, sizeof(a6));
		mac_format(res.g.mac, mac);
		/* Every value here is validated (name) or formatted by us. */
		printf("{\"name\":\"%s\",\"ipv4\":\"%s\",\"ipv6\":\"%s\",\"mac\":\"%s\","
		       "\"started\":%s,\"ready_ms\":%ld,\"provisioned\":%zu}\n",
		       res.g.name, a4, a6, mac, res.started ? "true" : "false", res.ready_ms,
		       res.provisioned);
	}
	return r;
}

/* Ask on a terminal; anything but y/yes is no. */
static bool confirm(const char *what)
{
	char line[16];

	fprintf(stderr, "%s [y/N] ", what);
	if (!fgets(line, sizeof(line), stdin))
		return false;
	line[strcspn(line, "\n")] = '\0';
	return streq(line, "y") || streq(line, "yes");
}

static int guest_destroy_cmd(const struct ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{"yes", no_argument, NULL, 'y'},
		{"force", no_argument, NULL, 'f'},
		{},
	};
	_cleanup_(cli_env_done) struct cli_env env = {.lock = -1};
	struct errmsg e = {0};
	bool yes = false, force = false;
	char q[160];
	int o, r;

	optind = 0;
	while ((o = getopt_long(argc, argv, "yf", opts, NULL)) != -1) {
		if (o == 'y')
			yes = true;
		else if (o == 'f')
			force = true;
		else
			return EXIT_USAGE;
	}
	if (optind != argc - 1 || !valid_name(argv[optind])) {
		cli_error("guest destroy: usage: guest destroy NAME [--yes] [--force]");
		return EXIT_USAGE;
	}
	if (!yes) {
		if (!isatty(STDIN_FILENO)) {
			cli_error("guest destroy: not on a terminal: --yes confirms");
			return EXIT_USAGE;
		}
		snprintf(q, sizeof(q), "Destroy container %s and everything in it?", argv[optind]);
		if (!confirm(q)) {
			cli_error("guest destroy: %s kept", argv[optind]);
			return EXIT_FAIL;
		}
	}
	r = cli_prepare(ctx, "guest destroy", CLI_RUNTIME | CLI_LOCK, NULL, 0, &env);
	if (r != EXIT_OK)
		return r;
	return finish(guest_destroy(&env.paths, &env.model, argv[optind], force, &e), &e);
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
	return status_print(ctx, "guest list", false, NULL);
}

int cmd_guest(const struct ctx *ctx, int argc, char **argv)
{
	if (argc >= 2 && streq(argv[1], "add"))
		return guest_add_cmd(ctx, argc - 1, argv + 1);
	if (argc >= 2 && streq(argv[1], "del"))
		return guest_del_cmd(ctx, argc - 1, argv + 1);
	if (argc >= 2 && streq(argv[1], "list"))
		return guest_list_cmd(ctx, argc - 1, argv + 1);
	if (argc >= 2 && streq(argv[1], "create"))
		return guest_create_cmd(ctx, argc - 1, argv + 1);
	if (argc >= 2 && streq(argv[1], "destroy"))
		return guest_destroy_cmd(ctx, argc - 1, argv + 1);
	cli_error("guest: usage: guest add|del|list|create|destroy ...");
	return EXIT_USAGE;
}

/*
 * `plug NAME ...`: the lxc.net.0.script.up hook that `guest add` writes into
 * an attached container's config. LXC runs it when it made the guest's veth
 * pair (arguments NAME net up veth PORT, the port also in LXC_NET_PEER), in
 * the host's namespace, before the guest starts. The port, the name `guest
 * add` gave it, goes into the router's namespace onto the guest bridge. No
 * config and no lock: it may run while a command that holds the lock starts
 * the guest. With the router down the port stays in the host, and `up` takes
 * it in; the guest starts either way.
 */
int cmd_plug(const struct ctx *ctx, int argc, char **argv)
{
	const char *peer = getenv("LXC_NET_PEER");
	char port[IFNAMSIZ];
	struct paths p = {0};
	struct errmsg e = {0};
	struct nlk *nl = NULL;
	pid_t holder;
	int r;

	if (argc < 2 || !*argv[1] || strlen(argv[1]) > 255) {
		cli_error("plug: usage: plug NAME [net up veth PORT] (run by LXC)");
		return EXIT_USAGE;
	}
	guest_port_name(argv[1], port);
	if (argc >= 6 && !streq(argv[5], port))
		peer = argv[5];
	if (peer && *peer && !streq(peer, port)) {
		cli_error("plug: %s: the port is %s, not %s (lxc.net.0.veth.pair was changed; "
			  "`lxctogo-net guest add %s` writes it again)",
			  argv[1], peer, port, argv[1]);
		return EXIT_FAIL;
	}
	if (pathf(p.router, sizeof(p.router), "%s/router", ctx->state_dir) < 0) {
		cli_error("plug: state dir %s: path too long", ctx->state_dir);
		return EXIT_USAGE;
	}
	holder = segment_holder(&p);
	if (!holder) {
		fprintf(stderr, "lxctogo-net: plug: the router is down; %s waits in the host for "
				"`lxctogo-net up`\n", port);
		return EXIT_OK;
	}
	r = nlk_open(&nl);
	if (r < 0)
		return finish(fail(&e, r, "plug: netlink: %s", strerror(-r)), &e);
	/* The guest's MAC and address for the port's fast path: read without the
	 * lock (the registry is replaced whole, never written in place). */
	struct registry reg = {0};
	const struct guest *g = registry_load(ctx->state_dir, &reg) == 0 ?
				registry_find(&reg, argv[1]) : NULL;

	r = segment_plug(holder, nl, port, g, &e);
	registry_free(&reg);
	nlk_close(nl);
	return finish(r, &e);
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
