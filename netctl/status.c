// SPDX-License-Identifier: BSD-2-Clause
/*
 * `status` and `guest list`: one row per router and guest, gathered once into
 * struct row and then printed either as the table or as JSON (every JSON
 * string through json_print_string()).
 */
#include <arpa/inet.h>
#include <unistd.h>

#include "birdctl.h"
#include "cli.h"
#include "fsutil.h"
#include "guestfile.h"
#include "lxcw.h"
#include "netlink.h"
#include "netns.h"
#include "nft.h"
#include "publish.h"
#include "render.h"
#include "runtime.h"
#include "segment.h"
#include "state.h"
#include "status.h"
#include "sysctl.h"
#include "topology.h"
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
	const char *published; /* server mode: "yes"/"no"; NULL otherwise */
	char drift[8][160];    /* router row: what differs from what `up` made */
	size_t n_drift;
	/* router row: how it reaches the LAN, why, and its addresses there */
	const char *attach;
	char attach_why[256];
	char lan[2][4][INET6_ADDRSTRLEN + 4]; /* [0] IPv4, [1] IPv6: "ADDR/LEN" */
	size_t n_lan[2];
	bool lan_default; /* an IPv4 default route toward the LAN */
	/* router row: the BGP sessions ([routing] bgp = on), in the order of peers */
	struct bird_session bgp[CONF_MAX_PEERS];
	size_t n_bgp;
	/* guest row: IPv6 addresses it claimed itself (the guards' port_ip6_dyn) */
	char learned[8][INET6_ADDRSTRLEN + 4];
	size_t n_learned;
};

#define DRIFT_MAX 8

/* Compare the running system with what `up` builds: one line per finding. */
static size_t find_drift(const struct paths *p, const struct conf *c, pid_t pid,
			 char out[DRIFT_MAX][160])
{
	_cleanup_free_ char *listing = NULL;
	struct nlk *nl = NULL;
	size_t n = 0;
	int saved;

#define DRIFT(...)                                                                          \
	do {                                                                                \
		if (n < DRIFT_MAX)                                                          \
			snprintf(out[n++], 160, __VA_ARGS__);                               \
	} while (0)

	if (nlk_open(&nl) == 0) {
		if (nlk_ifindex(nl, c->host_bridge) < 0)
			DRIFT("host: bridge %s is missing (run up)", c->host_bridge);
		nlk_close(nl);
		nl = NULL;
	}
	if (c->attach == ATTACH_ROUTED && nftx_list_table("inet", "lxctogo", true, &listing) < 0)
		DRIFT("host: table inet lxctogo is missing (run up)");
	free(listing);
	listing = NULL;
	if (!segment_holder(p))
		DRIFT("router: its namespace holder is gone; a router restart would take every "
		      "guest's link with it (run up)");
	uint32_t idmap = pid ? segment_idmap_of(pid) : SEGMENT_IDMAP_UNKNOWN;

	if (idmap != SEGMENT_IDMAP_UNKNOWN && idmap != c->router_idmap) {
		if (!idmap)
			DRIFT("router: runs as the host's root; router_idmap = %u asks for a user "
			      "namespace (run up)",
			      c->router_idmap);
		else if (!c->router_idmap)
			DRIFT("router: runs in a user namespace (root is host uid %u); router_idmap = "
			      "off (run up)",
			      idmap);
		else
			DRIFT("router: root inside is host uid %u; router_idmap = %u (run up)", idmap,
			      c->router_idmap);
	}
	if (netns_enter_pid(pid, &saved) == 0) {
		if (nftx_list_table("inet", "lxctogo", true, &listing) < 0)
			DRIFT("router: table inet lxctogo is missing (run up)");
		free(listing);
		listing = NULL;
		if (nftx_list_table("bridge", "lxctogo", true, &listing) < 0)
			DRIFT("router: table bridge lxctogo (the guest guards) is missing (run up)");
		if (nlk_open(&nl) == 0 && nlk_link_is_bridge(nl, ROUTER_GUEST_IF) != 1)
			DRIFT("router: the guest bridge %s is missing (run up)", ROUTER_GUEST_IF);
		nlk_close(nl);
		netns_leave(saved);
	}
#undef DRIFT
	return n;
}

/* The guards' table as text, read in the router's namespace (NULL if there is none). */
static char *guard_listing(pid_t pid)
{
	char *listing = NULL;
	int saved;

	if (!pid || netns_enter_pid(pid, &saved) < 0)
		return NULL;
	if (nftx_list_table("bridge", "lxctogo", false, &listing) < 0) {
		free(listing);
		listing = NULL;
	}
	netns_leave(saved);
	return listing;
}

/*
 * The addresses the guards learned for @port: elements of set port_ip6_dyn,
 * listed as "PORT" . MAC . 0xHEX (the key is a raw 128-bit value).
 */
static size_t learned_of(const char *listing, const char *port, char out[][INET6_ADDRSTRLEN + 4],
			 size_t max)
{
	const char *set = listing ? strstr(listing, "set port_ip6_dyn {") : NULL;
	const char *end = set ? strstr(set, "\n\t}") : NULL;
	char key[IFNAMSIZ + 8];
	size_t n = 0;

	snprintf(key, sizeof(key), "\"%s\" . ", port);
	for (const char *q = set; q && end && n < max && (q = strstr(q, key)) && q < end; q++) {
		const char *hex = strstr(q, " . 0x");
		struct in6_addr a;
		size_t len;

		if (!hex || hex > end)
			break;
		hex += 5;
		len = strspn(hex, "0123456789abcdef");
		if (len == 0 || len > 32)
			continue;
		memset(&a, 0, sizeof(a));
		/* right-aligned: leading zero nibbles may be left out */
		for (size_t i = 0; i < len; i++) {
			size_t nib = 32 - len + i;
			unsigned v = (unsigned)(hex[i] <= '9' ? hex[i] - '0' : hex[i] - 'a' + 10);

			a.s6_addr[nib / 2] |= (uint8_t)(nib % 2 ? v : v << 4);
		}
		inet_ntop(AF_INET6, &a, out[n++], INET6_ADDRSTRLEN);
	}
	return n;
}

static void json_str(FILE *f, const char *key, const char *v, bool comma)
{
	fprintf(f, "\"%s\":", key);
	json_print_string(f, v);
	if (comma)
		fputc(',', f);
}

/* JSON array of strings. */
static void json_list(FILE *f, const char *key, const char (*v)[INET6_ADDRSTRLEN + 4], size_t n)
{
	fprintf(f, ",\"%s\":[", key);
	for (size_t i = 0; i < n; i++) {
		if (i)
			fputc(',', f);
		json_print_string(f, v[i]);
	}
	fputc(']', f);
}

/* The eight text columns of a row, "-" for what is unknown. */
static void row_cols(const struct row *r, char cols[8][64])
{
	snprintf(cols[0], 64, "%s", r->name);
	snprintf(cols[1], 64, "%s", r->state);
	snprintf(cols[2], 64, "%s", r->ipv4[0] ? r->ipv4 : "-");
	snprintf(cols[3], 64, "%s", r->ipv6[0] ? r->ipv6 : "-");
	snprintf(cols[4], 64, "%s", r->mac[0] ? r->mac : "-");
	snprintf(cols[5], 64, "-");
	if (r->pid)
		snprintf(cols[5], 64, "%d", (int)r->pid);
	snprintf(cols[6], 64, "-");
	if (r->mem)
		snprintf(cols[6], 64, "%.1fMiB", (double)r->mem / 1048576.0);
	snprintf(cols[7], 64, "%.63s", r->ports[0] ? r->ports : "-");
}

/* Seconds since @since, or 0 when unknown. */
static long long uptime_of(const struct bird_session *b)
{
	long long now = (long long)time(NULL);

	return b->since > 0 && now >= b->since ? now - b->since : 0;
}

static void print_row(FILE *f, const struct row *r, bool json, bool color, bool first,
		      const int w[9])
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
		fprintf(f, "]");
		if (r->published)
			fprintf(f, ",\"published\":%s", streq(r->published, "yes") ? "true" : "false");
		if (streq(r->kind, "guest"))
			json_list(f, "learned_ipv6", r->learned, r->n_learned);
		if (streq(r->kind, "router")) {
			fprintf(f, ",\"attach\":");
			json_print_string(f, r->attach);
			fprintf(f, ",\"attach_reason\":");
			json_print_string(f, r->attach_why);
			json_list(f, "lan_ipv4", r->lan[0], r->n_lan[0]);
			json_list(f, "lan_ipv6", r->lan[1], r->n_lan[1]);
			fprintf(f, ",\"bgp\":[");
			for (size_t i = 0; i < r->n_bgp; i++) {
				const struct bird_session *b = &r->bgp[i];
				bool up = streq(b->info, "Established");

				fprintf(f, "%s{", i ? "," : "");
				json_str(f, "peer", b->neighbor, true);
				fprintf(f, "\"asn\":%u,", b->neighbor_as);
				json_str(f, "state", up ? "established" : b->state, true);
				json_str(f, "info", b->info, true);
				fprintf(f, "\"uptime_s\":%lld,\"prefixes_received\":%u,"
					   "\"prefixes_sent\":%u}",
					up ? uptime_of(b) : 0, b->imported, b->exported);
			}
			fputc(']', f);
			fprintf(f, ",\"drift\":[");
			for (size_t i = 0; i < r->n_drift; i++) {
				if (i)
					fputc(',', f);
				json_print_string(f, r->drift[i]);
			}
			fputc(']', f);
		}
		fprintf(f, "}");
		return;
	}
	char cols[8][64];
	const char *on = "", *off = "";

	row_cols(r, cols);
	if (color) {
		on = streq(r->state, "RUNNING") ? "\033[32m" : "\033[31m";
		off = "\033[0m";
	}
	fprintf(f, "%-*s  %s%-*s%s  %-*s  %-*s  %-*s  %-*s  %-*s  %-*s", w[0], cols[0], on, w[1],
		cols[1], off, w[2], cols[2], w[3], cols[3], w[4], cols[4], w[5], cols[5], w[6],
		cols[6], w[8] ? w[7] : 0, cols[7]);
	if (w[8])
		fprintf(f, "  %s", r->published ? r->published : "-");
	fputc('\n', f);
	/* Addresses the guest chose itself (stable-privacy, temporary), one line. */
	if (r->n_learned) {
		fprintf(f, "%-*s  learned:", w[0], "");
		for (size_t i = 0; i < r->n_learned; i++)
			fprintf(f, " %s", r->learned[i]);
		fputc('\n', f);
	}
}

static void fill_ct(struct row *row, const char *lxcpath, const char *name)
{
	struct lxcw_info info;

	if (lxcw_info(lxcpath, name, true, &info) < 0) {
		snprintf(row->state, sizeof(row->state), "UNKNOWN");
		return;
	}
	snprintf(row->state, sizeof(row->state), "%s", info.state);
	row->pid = info.pid;
	row->mem = info.mem_bytes;
}

/* Does the guest file name @name? */
static bool in_file(const struct guestfile *gf, const char *name)
{
	for (size_t i = 0; i < gf->n; i++)
		if (streq(gf->guests[i].name, name))
			return true;
	return false;
}

/*
 * The router's addresses on the LAN and whether it has a default route there:
 * its eth0 (macvlan attach) or, with routed attach, the host's uplink.
 */
static void fill_lan(const struct conf *c, pid_t pid, struct row *row)
{
	bool routed = c->attach == ATTACH_ROUTED;
	const char *ifname = routed ? c->uplink : ROUTER_UPLINK_IF;
	struct nlk_addr a[4];
	struct nlk *nl = NULL;
	int saved = -1, idx, n;
	uint8_t gw[16];

	if (!routed && netns_enter_pid(pid, &saved) < 0)
		return;
	if (nlk_open(&nl) == 0 && (idx = nlk_ifindex(nl, ifname)) > 0) {
		for (int f = 0; f < 2; f++) {
			int family = f ? AF_INET6 : AF_INET;

			n = nlk_addr_list(nl, idx, family, a, ARRAY_SIZE(a));
			for (int i = 0; i < n; i++) {
				char s[INET6_ADDRSTRLEN];

				inet_ntop(family, a[i].addr, s, sizeof(s));
				snprintf(row->lan[f][row->n_lan[f]++], sizeof(row->lan[0][0]),
					 "%s/%u", s, a[i].plen);
			}
		}
		row->lan_default = nlk_default_gw(nl, AF_INET, idx, gw) == 0;
	}
	nlk_close(nl);
	netns_leave(saved);
}

/*
 * The BGP sessions, read from BIRD's control socket: one per configured peer,
 * in config order. A peer whose session is not established is drift.
 */
static void fill_bgp(const struct paths *p, const struct conf *c, struct row *row)
{
	struct bird_session got[BIRD_MAX_SESSIONS];
	_cleanup_free_ char *reply = NULL;
	char sock[PATH_MAX];
	size_t n = 0;
	int r = -ENAMETOOLONG;

	if (!c->bgp)
		return;
	if (pathf(sock, sizeof(sock), "%s%s", p->rootfs, BIRD_CTL) == 0)
		r = bird_cmd(sock, "show protocols all", 3000, &reply);
	if (r == 0)
		n = bird_parse_protocols(reply, got, ARRAY_SIZE(got));
	else if (row->n_drift < DRIFT_MAX)
		snprintf(row->drift[row->n_drift++], sizeof(row->drift[0]),
			 "BIRD does not answer on %s (%s): no BGP", BIRD_CTL, strerror(-r));
	for (unsigned i = 0; i < c->n_peers && i < CONF_MAX_PEERS; i++) {
		struct bird_session *b = &row->bgp[row->n_bgp++];
		char name[16], addr[INET6_ADDRSTRLEN];

		render_bird_peer_name(i, name);
		inet_ntop(c->peers[i].addr.family, &c->peers[i].addr.v6, addr, sizeof(addr));
		memset(b, 0, sizeof(*b));
		strscpy(b->name, sizeof(b->name), name);
		strscpy(b->state, sizeof(b->state), "unknown");
		strscpy(b->info, sizeof(b->info), r == 0 ? "not in BIRD" : "unknown");
		for (size_t k = 0; k < n; k++)
			if (streq(got[k].name, name))
				*b = got[k];
		/* The address and AS as configured (BIRD knows them too, once it read the file). */
		strscpy(b->neighbor, sizeof(b->neighbor), addr);
		b->neighbor_as = c->peers[i].asn;
		if (r == 0 && !streq(b->info, "Established") && row->n_drift < DRIFT_MAX)
			snprintf(row->drift[row->n_drift++], sizeof(row->drift[0]),
				 "BGP peer %s (as %u) is not established: %s", addr,
				 c->peers[i].asn, b->info[0] ? b->info : b->state);
	}
}

/* A router that came up without the LAN is drift, with what a user can do about it. */
static void lan_drift(const struct conf *c, struct row *row)
{
	const char *hint = c->attach == ATTACH_ROUTED
				   ? "the host has none either"
				   : "no DHCP lease; an uplink that carries only one MAC needs "
				     "attach = auto or routed";
	const char *ifname = c->attach == ATTACH_ROUTED ? c->uplink : ROUTER_UPLINK_IF;

	if (row->n_drift < DRIFT_MAX && !row->n_lan[0])
		snprintf(row->drift[row->n_drift++], sizeof(row->drift[0]),
			 "router: no LAN IPv4 address on %s (%s)", ifname, hint);
	else if (row->n_drift < DRIFT_MAX && !row->lan_default)
		snprintf(row->drift[row->n_drift++], sizeof(row->drift[0]),
			 "router: no IPv4 default route on %s (the LAN gave no gateway)", ifname);
}

int status_print(const struct ctx *ctx, const char *verb, bool router_row,
		 const struct guestfile *only)
{
	static const char *const head[8] = {"NAME", "STATE", "IPV4", "IPV6",
					    "MAC",  "PID",   "MEMORY", "PORTS"};
	_cleanup_(cli_env_done) struct cli_env env = {.lock = -1};
	const struct conf *c = &env.model;
	const struct paths *p = &env.paths;
	struct registry reg = {0};
	bool color = !ctx->json && isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
	_cleanup_free_ struct row *rows = NULL;
	size_t n = 0;
	int w[9] = {0}, r;
	_cleanup_free_ char *guards = NULL;

	r = cli_prepare(ctx, verb, CLI_RUNTIME, NULL, 0, &env);
	if (r != EXIT_OK)
		return r;
	r = registry_load(ctx->state_dir, &reg);
	if (r < 0 && r != -ENOENT && r != -EACCES) {
		cli_error("status: guest registry in %s: %s", ctx->state_dir, strerror(-r));
		return EXIT_FAIL;
	}
	rows = calloc(reg.n_guests + 1 + (only ? only->n : 0), sizeof(*rows));
	if (!rows) {
		registry_free(&reg);
		cli_error("status: out of memory");
		return EXIT_FAIL;
	}
	if (router_row) {
		struct row *row = &rows[n++];
		struct in_addr a4 = conf_router_ip4(c);
		struct in6_addr a6;

		row->name = c->router;
		row->kind = "router";
		if (runtime_router_is_ours(p) > 0)
			fill_ct(row, p->lxcpath, c->router);
		else
			snprintf(row->state, sizeof(row->state), "ABSENT");
		row->attach = c->attach == ATTACH_ROUTED ? "routed" : "macvlan";
		snprintf(row->attach_why, sizeof(row->attach_why), "%s",
			 env.rt.attach_known ? env.rt.attach_why : "not decided yet (run up)");
		if (row->pid) {
			row->n_drift = find_drift(p, c, row->pid, row->drift);
			fill_lan(c, row->pid, row);
			lan_drift(c, row);
			fill_bgp(p, c, row);
		}
		inet_ntop(AF_INET, &a4, row->ipv4, sizeof(row->ipv4));
		if (c->ipv6) {
			conf_router_ip6(c, &a6);
			inet_ntop(AF_INET6, &a6, row->ipv6, sizeof(row->ipv6));
		}
	}
	if (router_row && rows[0].pid)
		guards = guard_listing(rows[0].pid);
	for (size_t i = 0; i < reg.n_guests; i++) {
		const struct guest *g = &reg.guests[i];
		struct row *row;
		size_t off = 0;
		char port[IFNAMSIZ];

		if (only && !in_file(only, g->name))
			continue;
		row = &rows[n++];
		row->name = g->name;
		row->kind = "guest";
		fill_ct(row, p->lxcpath, g->name);
		inet_ntop(AF_INET, &g->ip4, row->ipv4, sizeof(row->ipv4));
		if (g->has_ip6 && c->ipv6)
			inet_ntop(AF_INET6, &g->ip6, row->ipv6, sizeof(row->ipv6));
		mac_format(g->mac, row->mac);
		guest_port_name(g->name, port);
		row->n_learned = learned_of(guards, port, row->learned, ARRAY_SIZE(row->learned));
		if (publish_v4(c, g) || publish_v6(c, g))
			row->published = publish_present(p, c, g) ? "yes" : "no";
		for (size_t j = 0; j < reg.n_ports; j++) {
			const struct port_fwd *pf = &reg.ports[j];

			if (!streq(pf->guest, g->name) || off >= sizeof(row->ports) - 24)
				continue;
			off += (size_t)snprintf(row->ports + off, sizeof(row->ports) - off,
						"%s%u->%u/%s", off ? "," : "", pf->host_port,
						pf->guest_port, pf->proto == IPPROTO_UDP ? "udp" : "tcp");
		}
	}
	/* A file's guests that are not registered yet: shown as MISSING, so that
	 * `status --file` tells what `apply` has still to do. */
	for (size_t i = 0; only && i < only->n; i++) {
		struct row *row;

		if (registry_find(&reg, only->guests[i].name))
			continue;
		row = &rows[n++];
		row->name = only->guests[i].name;
		row->kind = "guest";
		snprintf(row->state, sizeof(row->state), "MISSING");
	}
	for (int k = 0; k < 8; k++)
		w[k] = (int)strlen(head[k]);
	if (c->mode == MODE_SERVER)
		w[8] = 1;
	for (size_t i = 0; i < n; i++) {
		char cols[8][64];

		row_cols(&rows[i], cols);
		for (int k = 0; k < 8; k++)
			if ((int)strlen(cols[k]) > w[k])
				w[k] = (int)strlen(cols[k]);
	}
	if (ctx->json)
		printf("[");
	else
		printf("%-*s  %-*s  %-*s  %-*s  %-*s  %-*s  %-*s  %-*s%s\n", w[0], head[0], w[1],
		       head[1], w[2], head[2], w[3], head[3], w[4], head[4], w[5], head[5], w[6],
		       head[6], w[8] ? w[7] : 0, head[7], w[8] ? "  PUBLISHED" : "");
	for (size_t i = 0; i < n; i++)
		print_row(stdout, &rows[i], ctx->json, color, i == 0, w);
	if (ctx->json)
		printf("]\n");
	else if (router_row) {
		printf("attach: %s (%s)\n", rows[0].attach, rows[0].attach_why);
		if (rows[0].pid) {
			printf("lan:");
			for (int f = 0; f < 2; f++)
				for (size_t i = 0; i < rows[0].n_lan[f]; i++)
					printf(" %s", rows[0].lan[f][i]);
			printf("%s\n", rows[0].n_lan[0] + rows[0].n_lan[1] ? "" : " none");
		}
		for (size_t i = 0; i < rows[0].n_bgp; i++) {
			const struct bird_session *b = &rows[0].bgp[i];

			if (streq(b->info, "Established"))
				printf("bgp: %s as %u established, up %llds, %u prefixes received, "
				       "%u sent\n",
				       b->neighbor, b->neighbor_as, uptime_of(b), b->imported,
				       b->exported);
			else
				printf("bgp: %s as %u %s (%s)\n", b->neighbor, b->neighbor_as,
				       b->state, b->info);
		}
		for (size_t i = 0; i < rows[0].n_drift; i++)
			printf("drift: %s\n", rows[0].drift[i]);
	}
	registry_free(&reg);
	return EXIT_OK;
}

int cmd_status(const struct ctx *ctx, int argc, char **argv)
{
	static struct conf_errors errs;
	struct guestfile gf = {0};
	int r;

	if (argc == 3 && streq(argv[1], "--file")) {
		/* Only the guests of an `apply` file (the router row stays). */
		r = guestfile_load(argv[2], &gf, &errs);
		if (r < 0) {
			for (unsigned i = 0; i < errs.n; i++)
				fprintf(stderr, "%s\n", errs.msg[i]);
			return EXIT_USAGE; /* as `apply` does for the same file */
		}
		r = status_print(ctx, "status", true, &gf);
		guestfile_free(&gf);
		return r;
	}
	if (argc > 1) {
		cli_error("status: unexpected argument '%s' (status [--file FILE])", argv[1]);
		return EXIT_USAGE;
	}
	return status_print(ctx, "status", true, NULL);
}
