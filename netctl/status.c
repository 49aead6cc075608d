// SPDX-License-Identifier: BSD-2-Clause
/*
 * `status` and `guest list`: one row per router and guest, printed once
 * through a helper that serves the table and JSON alike.
 */
#include <arpa/inet.h>
#include <unistd.h>

#include "cli.h"
#include "lxcw.h"
#include "router.h"
#include "state.h"
#include "status.h"
#include "util.h"

struct row {
	const char *name;
	const char *kind;
	char state[16];
	char ipv4[INET_ADDRSTRLEN];
	char ipv6[INET6_ADDRSTRLEN];
	char mac[MAC_STRLEN];
	pid_t pid;
	uint64_t mem;
	char ports[256];
};

static void json_str(FILE *f, const char *key, const char *v, bool comma)
{
	fprintf(f, "\"%s\":\"", key);
	for (const char *p = v; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if ((unsigned char)*p < 0x20)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fprintf(f, "\"%s", comma ? "," : "");
}

static void print_row(FILE *f, const struct row *r, bool json, bool color, bool first)
{
	if (json) {
		fprintf(f, "%s{", first ? "" : ",");
		json_str(f, "name", r->name, true);
		json_str(f, "kind", r->kind, true);
		json_str(f, "state", r->state, true);
		json_str(f, "ipv4", r->ipv4, true);
		json_str(f, "ipv6", r->ipv6, true);
		json_str(f, "mac", r->mac, true);
		fprintf(f, "\"pid\":%d,\"memory_bytes\":%llu,", (int)r->pid,
			(unsigned long long)r->mem);
		fprintf(f, "\"ports\":[");
		/* ports are stored as "a,b,c" of validated tokens: no escaping needed */
		for (const char *p = r->ports, *comma; *p; p = comma ? comma + 1 : p + strlen(p)) {
			comma = strchr(p, ',');
			fprintf(f, "%s\"%.*s\"", p == r->ports ? "" : ",",
				(int)(comma ? comma - p : (long)strlen(p)), p);
		}
		fprintf(f, "]}");
		return;
	}
	char pid[16] = "-", mem[16] = "-";
	const char *on = "", *off = "";

	if (r->pid)
		snprintf(pid, sizeof(pid), "%d", (int)r->pid);
	if (r->mem)
		snprintf(mem, sizeof(mem), "%.1fMiB", (double)r->mem / 1048576.0);
	if (color) {
		on = streq(r->state, "RUNNING") ? "\033[32m" : "\033[31m";
		off = "\033[0m";
	}
	fprintf(f, "%-12s %s%-8s%s %-15s %-26s %-17s %-7s %-8s %s\n", r->name, on, r->state, off,
		r->ipv4[0] ? r->ipv4 : "-", r->ipv6[0] ? r->ipv6 : "-", r->mac[0] ? r->mac : "-",
		pid, mem, r->ports[0] ? r->ports : "-");
}

static void fill_ct(struct row *row, const char *lxcpath, const char *name)
{
	struct lxcw_info info;

	if (lxcw_info(lxcpath, name, &info) < 0) {
		snprintf(row->state, sizeof(row->state), "UNKNOWN");
		return;
	}
	snprintf(row->state, sizeof(row->state), "%s", info.state);
	row->pid = info.pid;
	row->mem = info.mem_bytes;
}

int status_print(const struct ctx *ctx, const struct conf *c, bool router_row)
{
	struct registry reg = {0};
	struct paths p;
	bool color = !ctx->json && isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
	bool first = true;
	struct row row;
	struct in6_addr a6;
	int r;

	if (paths_init(&p, ctx->state_dir, ctx->lxcpath, c) < 0) {
		cli_error("status: state dir or lxcpath too long");
		return EXIT_USAGE;
	}
	r = registry_load(ctx->state_dir, &reg);
	if (r < 0 && r != -ENOENT && r != -EACCES) {
		cli_error("status: guest registry in %s: %s", ctx->state_dir, strerror(-r));
		return EXIT_FAIL;
	}
	if (ctx->json)
		printf("[");
	else
		printf("%-12s %-8s %-15s %-26s %-17s %-7s %-8s %s\n", "NAME", "STATE", "IPV4", "IPV6",
		       "MAC", "PID", "MEMORY", "PORTS");
	if (router_row) {
		memset(&row, 0, sizeof(row));
		row.name = c->router;
		row.kind = "router";
		if (router_is_ours(&p) > 0)
			fill_ct(&row, p.lxcpath, c->router);
		else
			snprintf(row.state, sizeof(row.state), "ABSENT");
		struct in_addr a4 = conf_router_ip4(c);

		inet_ntop(AF_INET, &a4, row.ipv4, sizeof(row.ipv4));
		if (c->ipv6) {
			conf_router_ip6(c, &a6);
			inet_ntop(AF_INET6, &a6, row.ipv6, sizeof(row.ipv6));
		}
		print_row(stdout, &row, ctx->json, color, first);
		first = false;
	}
	for (size_t i = 0; i < reg.n_guests; i++) {
		const struct guest *g = &reg.guests[i];
		size_t off = 0;

		memset(&row, 0, sizeof(row));
		row.name = g->name;
		row.kind = "guest";
		fill_ct(&row, p.lxcpath, g->name);
		inet_ntop(AF_INET, &g->ip4, row.ipv4, sizeof(row.ipv4));
		if (g->has_ip6 && c->ipv6)
			inet_ntop(AF_INET6, &g->ip6, row.ipv6, sizeof(row.ipv6));
		mac_format(g->mac, row.mac);
		for (size_t j = 0; j < reg.n_ports; j++) {
			const struct port_fwd *pf = &reg.ports[j];

			if (!streq(pf->guest, g->name) || off >= sizeof(row.ports) - 24)
				continue;
			off += (size_t)snprintf(row.ports + off, sizeof(row.ports) - off, "%s%u->%u/%s",
						off ? "," : "", pf->host_port, pf->guest_port,
						pf->proto == IPPROTO_UDP ? "udp" : "tcp");
		}
		print_row(stdout, &row, ctx->json, color, first);
		first = false;
	}
	if (ctx->json)
		printf("]\n");
	registry_free(&reg);
	return EXIT_OK;
}

int cmd_status(const struct ctx *ctx, int argc, char **argv)
{
	struct conf c;
	int r;

	if (argc > 1) {
		cli_error("status: unexpected argument '%s'", argv[1]);
		return EXIT_USAGE;
	}
	r = cli_load_conf(ctx, &c, false);
	if (r != EXIT_OK)
		return r;
	return status_print(ctx, &c, true);
}
