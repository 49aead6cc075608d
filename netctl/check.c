// SPDX-License-Identifier: BSD-2-Clause
/*
 * `check`: preflight diagnostics. Kernel features are probed for real, in a
 * throwaway network namespace, so the probe changes nothing on the host.
 */
#include <arpa/inet.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "autoconfig.h"
#include "cli.h"
#include "lxcw.h"
#include "netlink.h"
#include "nft.h"
#include "sysctl.h"
#include "uplink.h"
#include "util.h"

enum probe {
	PROBE_VETH,
	PROBE_BRIDGE,
	PROBE_MACVLAN,
	PROBE_NFT_SETS,
	PROBE_NFT_BRIDGE,
	PROBE_IPV6,
	PROBE_COUNT,
};

static const char *const probe_names[PROBE_COUNT] = {
	[PROBE_VETH] = "kernel: veth",
	[PROBE_BRIDGE] = "kernel: bridge",
	[PROBE_MACVLAN] = "kernel: macvlan",
	[PROBE_NFT_SETS] = "kernel: nf_tables sets, concatenations, maps, NAT",
	[PROBE_NFT_BRIDGE] = "kernel: nf_tables bridge family",
	[PROBE_IPV6] = "kernel: IPv6",
};

static const char nft_probe[] =
	"table inet lxtgprobe {\n"
	"  set s { type ifname . ether_addr . ipv4_addr; }\n"
	"  map m { type inet_proto . inet_service : ipv4_addr . inet_service; }\n"
	"  chain p { type nat hook prerouting priority dstnat;\n"
	"    fib daddr type local dnat ip addr . port to meta l4proto . th dport map @m; }\n"
	"  chain o { type nat hook postrouting priority srcnat; masquerade; }\n"
	"}\n";

static const char nft_bridge_probe[] =
	"table bridge lxtgprobe {\n"
	"  set s { type ifname . ether_addr . ipv6_addr; }\n"
	"  chain f { type filter hook forward priority filter;\n"
	"    iifname . ether saddr . ip6 saddr @s accept; }\n"
	"}\n";

/* Runs in a forked child inside a fresh netns; returns a bitmask of successes. */
static int probe_child(void)
{
	struct nlk *nl;
	struct stat st;
	int ok = 0;

	if (nlk_open(&nl) < 0)
		return 0;
	if (nlk_veth_add(nl, "lxtgp0", "lxtgp1", 0) == 0)
		ok |= 1 << PROBE_VETH;
	if (nlk_bridge_ensure(nl, "lxtgpbr", 0, NULL) >= 0)
		ok |= 1 << PROBE_BRIDGE;
	if ((ok & (1 << PROBE_VETH)) && nlk_macvlan_add(nl, "lxtgpmv", "lxtgp0") == 0)
		ok |= 1 << PROBE_MACVLAN;
	nlk_close(nl);
	if (nftx_apply(nft_probe, NULL, 0) == 0)
		ok |= 1 << PROBE_NFT_SETS;
	if (nftx_apply(nft_bridge_probe, NULL, 0) == 0)
		ok |= 1 << PROBE_NFT_BRIDGE;
	if (stat("/proc/sys/net/ipv6/conf/all/forwarding", &st) == 0)
		ok |= 1 << PROBE_IPV6;
	return ok;
}

/* -1 if no netns could be made; else the probe bitmask. */
static int run_probes(void)
{
	int pipefd[2], status, ok = -1;
	pid_t pid;

	if (pipe(pipefd) < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int res = -1;

		close(pipefd[0]);
		if (unshare(CLONE_NEWNET) == 0)
			res = probe_child();
		if (write(pipefd[1], &res, sizeof(res)) != sizeof(res))
			_exit(1);
		_exit(0);
	}
	close(pipefd[1]);
	if (read(pipefd[0], &ok, sizeof(ok)) != sizeof(ok))
		ok = -1;
	close(pipefd[0]);
	waitpid(pid, &status, 0);
	return ok;
}

static int report(bool ok, const char *what, const char *detail)
{
	printf("%-4s %s%s%s\n", ok ? "OK" : "FAIL", what, detail && *detail ? ": " : "",
	       detail ? detail : "");
	return ok ? 0 : 1;
}

static int check_overlaps(const struct conf *c, struct nlk *nl)
{
	const char *ours[] = {c->guest_bridge, c->host_bridge, NULL};
	struct conf_net nets[CONF_NETS];
	size_t n_nets = conf_nets(c, nets);
	int fails = 0;

	for (size_t i = 0; i < n_nets; i++) {
		char desc[160] = "", what[96], a[INET6_ADDRSTRLEN];
		int r;

		inet_ntop(nets[i].family, nets[i].addr, a, sizeof(a));
		snprintf(what, sizeof(what), "%s %s/%u free of existing routes", nets[i].key, a,
			 nets[i].plen);
		r = nlk_route_overlap(nl, nets[i].family, nets[i].addr, nets[i].plen, ours, desc,
				      sizeof(desc));
		if (r < 0)
			snprintf(desc, sizeof(desc), "cannot read routes: %s", strerror(-r));
		else if (r > 0) {
			char tmp[160];

			snprintf(tmp, sizeof(tmp), "overlaps %s", desc);
			memcpy(desc, tmp, sizeof(desc));
		}
		fails += report(r == 0, what, desc);
	}
	return fails;
}

int cmd_check(const struct ctx *ctx, int argc, char **argv)
{
	static const struct {
		const char *name, *path;
	} progs[] = {{"dnsmasq", DNSMASQ_PATH}, {"radvd", RADVD_PATH}, {"busybox", BUSYBOX_PATH}};
	const char *lxcpath = ctx->lxcpath ? ctx->lxcpath : lxcw_default_path();
	struct conf c;
	struct nlk *nl = NULL;
	char desc[400] = "";
	struct stat st;
	int fails = 0, probes, r;
	enum attach_mode attach;

	if (argc > 1) {
		cli_error("check: unexpected argument '%s'", argv[1]);
		return EXIT_USAGE;
	}
	r = cli_load_conf(ctx, NULL, 0, &c);
	if (r != EXIT_OK)
		return r;
	attach = c.attach;
	if (ctx->verbose >= 2)
		conf_print(stdout, &c);
	printf("configuration OK (%s)\n", ctx->config_path);

	probes = run_probes();
	fails += report(probes >= 0, "kernel: network namespaces", NULL);
	for (int i = 0; i < PROBE_COUNT; i++)
		fails += report(probes > 0 && (probes & (1 << i)), probe_names[i], NULL);
	for (size_t i = 0; i < ARRAY_SIZE(progs); i++) {
		snprintf(desc, sizeof(desc), "%s", progs[i].path);
		fails += report(access(progs[i].path, X_OK) == 0, progs[i].name, desc);
	}
	/* BIRD only matters with [routing] bgp = on. */
	if (c.bgp) {
		snprintf(desc, sizeof(desc), "%s (apt-get install bird2)", BIRD_PATH);
		fails += report(access(BIRD_PATH, X_OK) == 0, "bird ([routing] bgp = on)", desc);
	}
	desc[0] = '\0';
	if (!lxcpath)
		fails += report(false, "lxcpath", "liblxc reports none");
	else if (stat(lxcpath, &st) == 0 && !S_ISDIR(st.st_mode))
		fails += report(false, "lxcpath", lxcpath);
	else {
		snprintf(desc, sizeof(desc), "%s%s", lxcpath,
			 stat(lxcpath, &st) < 0 ? " (created by up)" : "");
		fails += report(true, "lxcpath", desc);
	}

	r = nlk_open(&nl);
	if (r < 0) {
		fails += report(false, "netlink", strerror(-r));
	} else {
		uint32_t mtu;

		r = nlk_link_mtu(nl, c.uplink, &mtu);
		if (r < 0)
			snprintf(desc, sizeof(desc), "%s: %s", c.uplink, strerror(-r));
		else
			snprintf(desc, sizeof(desc), "%s (mtu %u)", c.uplink, mtu);
		fails += report(r == 0, "uplink", desc);
		if (r == 0) {
			struct uplink_choice u;

			/* What `up` would pick now (attach = auto probes the uplink). */
			r = uplink_choose(nl, &c, &u);
			if (r < 0) {
				snprintf(desc, sizeof(desc), "probing %s: %s", c.uplink,
					 strerror(-r));
				fails += report(false, "attach", desc);
			} else {
				snprintf(desc, sizeof(desc), "%s: %s attach", u.why,
					 uplink_attach_name(u.attach));
				report(true, "attach", desc);
				attach = u.attach;
			}
		}
		fails += check_overlaps(&c, nl);
		nlk_close(nl);
	}

	/* The router forwards in its own namespace: a host FORWARD drop policy is
	 * only on the guests' path with routed attach. */
	r = nftx_foreign_forward_drop("lxctogo", desc, sizeof(desc));
	if (r < 0) {
		char d[300];

		snprintf(d, sizeof(d), "cannot list chains: %s", strerror(-r));
		fails += report(false, "host FORWARD policy", d);
	} else if (r > 0) {
		char d[400];

		snprintf(d, sizeof(d), "drop policy in %s %s", desc,
			 attach == ATTACH_ROUTED
				 ? "(on the guests' path with attach = routed)"
				 : "(the router forwards and bridges guest frames in its own "
				   "namespace: not on the guests' path)");
		fails += report(attach != ATTACH_ROUTED, "host FORWARD policy", d);
	} else {
		report(true, "host FORWARD policy", "no foreign drop policy");
	}
	{
		char v[16] = "0", d[200];
		bool on = sysctl_read("net/bridge/bridge-nf-call-iptables", v, sizeof(v)) == 0 &&
			  !streq(v, "0");

		/* Bridge netfilter settings are per namespace: the router has its own. */
		snprintf(d, sizeof(d), "%s in the host; the guest bridge is in the router's "
				       "namespace, which has its own (0): up leaves the host's as it is",
			 on ? "bridge-nf-call-iptables=1" : "off");
		report(true, "br_netfilter", d);
	}
	for (unsigned i = 0; i < c.n_notes; i++)
		report(true, "config", c.notes[i]);
	printf("%d problem%s found\n", fails, fails == 1 ? "" : "s");
	return fails ? EXIT_FAIL : EXIT_OK;
}
