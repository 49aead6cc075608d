// SPDX-License-Identifier: BSD-2-Clause
/*
 * `up` and `down`, as a plain sequence of steps; each step's detail lives in
 * the module named after it (rootfs, hostnet, routerns, ready, runtime).
 *
 * up:   resolve facts and refuse early (preflight) -> the holder of the
 *       router's namespace (segment.h) -> the rootfs and container config ->
 *       the host link's bridge, addresses and routes -> the router's links in
 *       the segment, guests' ports parked in the host -> start (or restart)
 *       the router -> routed attach -> configure its namespace (sysctls,
 *       addresses, ruleset, guards) and publish server-mode guests ->
 *       radvd.conf and the runtime file -> release its init -> wait until it
 *       serves.
 * down: guests' ports back to the host -> stop and remove the router -> stop
 *       the holder (the segment goes with it) -> undo routed attach and every
 *       host sysctl -> delete the links `up` created.
 */
#include <arpa/inet.h>
#include <sys/stat.h>

#include "autoconfig.h"
#include "birdctl.h"
#include "fault.h"
#include "fsutil.h"
#include "hostnet.h"
#include "lxcw.h"
#include "netns.h"
#include "nft.h"
#include "ready.h"
#include "render.h"
#include "rootfs.h"
#include "router.h"
#include "routerns.h"
#include "runtime.h"
#include "segment.h"
#include "uplink.h"
#include "util.h"

/* What `up` carries from one step to the next. */
struct up {
	const struct paths *p;
	const struct conf *c;   /* the verified config */
	struct runtime learned; /* what this run learns: mode and LAN prefix */
	struct conf model;      /* c with what was learned (runtime_overlay) */
	struct uplink_choice uplink;
	struct router_facts f;
	struct rootfs_changes changed;
	struct registry reg;
	struct nlk *nl; /* the host's namespace */
	struct lxcw_info info;
	pid_t holder; /* of the router's namespace */
	bool started;
	long deadline;
};

/* Resolve the facts `up` needs from the running system (no changes). */
static int resolve_facts(const struct paths *p, const struct conf *c, struct nlk *nl,
			 struct router_facts *f, struct errmsg *e)
{
	uint8_t macs[3][6];
	int r;

	memset(f, 0, sizeof(*f));
	f->rootfs = p->rootfs;
	f->init = p->self;
	f->ndproxy = p->ndproxy;
	if (access(f->ndproxy, X_OK) < 0)
		return fail(e, -errno, "%s: %s (it belongs next to %s)", f->ndproxy, strerror(errno),
			    f->init);
	f->uplink = c->uplink;
	r = nlk_link_mtu(nl, c->uplink, &f->mtu);
	if (r < 0)
		return fail(e, r, "uplink %s: %s", c->uplink, strerror(-r));
	if (c->mtu)
		f->mtu = c->mtu;
	paths_router_macs(p, c, macs);
	memcpy(f->mac_uplink, macs[0], 6);
	memcpy(f->mac_guest, macs[1], 6);
	memcpy(f->mac_host, macs[2], 6);
	if (render_veth_name(c->host_bridge, "r", f->veth_host) < 0)
		return fail(e, -EINVAL, "bridge name %s gives no router link name", c->host_bridge);
	return 0;
}

/* Refuse before changing anything: foreign routes, foreign containers, wrong link types. */
static int preflight(const struct paths *p, const struct conf *c, struct nlk *nl,
		     struct errmsg *e)
{
	const char *ours[] = {c->guest_bridge, c->host_bridge, NULL};
	struct conf_net nets[CONF_NETS];
	size_t n_nets = conf_nets(c, nets);
	char desc[128];
	unsigned flags;
	int r;

	for (size_t i = 0; i < n_nets; i++) {
		r = nlk_route_overlap(nl, nets[i].family, nets[i].addr, nets[i].plen, ours, desc,
				      sizeof(desc));
		if (r < 0)
			return fail(e, r, "reading routes: %s", strerror(-r));
		if (r > 0) {
			char a[INET6_ADDRSTRLEN];

			inet_ntop(nets[i].family, nets[i].addr, a, sizeof(a));
			return fail(e, -EADDRINUSE,
				    "%s %s/%u overlaps the existing route %s; choose another "
				    "subnet in the config",
				    nets[i].key, a, nets[i].plen, desc);
		}
	}
	if (c->bgp && access(BIRD_PATH, X_OK) < 0)
		return fail(e, -ENOENT,
			    "[routing] bgp = on needs BIRD 2 (%s): apt-get install bird2 (its "
			    "service may stay disabled: the router runs its own BIRD)",
			    BIRD_PATH);
	r = nlk_link_flags(nl, c->uplink, &flags);
	if (r < 0)
		return fail(e, r, "uplink %s: %s", c->uplink, strerror(-r));
	r = runtime_router_is_ours(p);
	if (r < 0)
		return fail(e, r, "%s: %s", p->ct_config, strerror(-r));
	if (r == 0) {
		struct stat st;

		if (stat(p->ct_dir, &st) == 0)
			return fail(e, -EEXIST,
				    "container %s exists in %s and was not made by lxctogo-net",
				    c->router, p->lxcpath);
	}
	return 0;
}

/*
 * The liblxc stamp for the runtime file: only once LXC's command socket of
 * the router, found by lxcw_sock_state(), agrees with liblxc that it runs.
 */
static const char *lxc_stamp(const struct paths *p, const struct conf *c)
{
	static char stamp[PATH_MAX + 64];

	if (lxcw_sock_state(p->lxcpath, c->router) != 1 || lxcw_stamp(stamp, sizeof(stamp)) < 0)
		stamp[0] = '\0';
	return stamp;
}

/* How the router reaches the LAN (attach = auto probes the uplink), into the model. */
static int up_decide(struct up *u, struct errmsg *e)
{
	struct runtime before;
	int r;

	r = uplink_choose(u->nl, u->c, &u->uplink);
	if (r < 0)
		return fail(e, r, "probing uplink %s: %s", u->c->uplink, nlk_strerror(u->nl, r));
	runtime_load(u->p, &before);
	/* Nothing to ask now (no gateway, or it answers no probe): an earlier
	 * decision knew more than this one, so keep it rather than flip. */
	if ((u->uplink.verdict == UPLINK_NO_GATEWAY || u->uplink.verdict == UPLINK_SILENT) &&
	    before.attach_known && before.attach != u->uplink.attach) {
		char why[sizeof(u->uplink.why)];

		snprintf(why, sizeof(why), "%.150s; kept the earlier choice", u->uplink.why);
		strscpy(u->uplink.why, sizeof(u->uplink.why), why);
		u->uplink.attach = before.attach;
	}
	if (u->c->attach == ATTACH_AUTO &&
	    (u->uplink.verdict != UPLINK_OPEN ||
	     (before.attach_known && before.attach != u->uplink.attach)))
		log_info("%s: %s attach", u->uplink.why, uplink_attach_name(u->uplink.attach));
	if (u->uplink.attach == ATTACH_ROUTED && (u->c->uplink_plen4 || u->c->uplink_plen6))
		return fail(e, -EINVAL,
			    "%s: the router cannot have a LAN address of its own here (routed "
			    "attach), but uplink_ipv4/uplink_ipv6 fix one; set them to auto",
			    u->uplink.why);
	u->learned.attach_known = true;
	u->learned.attach = u->uplink.attach;
	strscpy(u->learned.attach_why, sizeof(u->learned.attach_why), u->uplink.why);
	runtime_overlay(u->c, &u->learned, &u->model);
	return 0;
}

/* Facts, preflight, the attach, the registry: nothing is changed before this passes. */
static int up_prepare(struct up *u, struct errmsg *e)
{
	int r = nlk_open(&u->nl);

	if (r < 0)
		return fail(e, r, "netlink: %s", strerror(-r));
	r = resolve_facts(u->p, u->c, u->nl, &u->f, e);
	if (r == 0)
		r = preflight(u->p, u->c, u->nl, e);
	if (r == 0)
		r = up_decide(u, e);
	if (r < 0)
		return r;
	r = registry_load(u->p->state, &u->reg);
	if (r < 0)
		return fail(e, r, "reading the guest registry in %s: %s", u->p->state,
			    strerror(-r));
	return 0;
}

/*
 * The holder and a running router must be in the user namespace that
 * router_idmap asks for (none, or one whose root is that host uid). When the
 * key changed, both are made anew: the guests' ports wait in the host
 * meanwhile, as across `down` and `up`.
 */
/* A PID in the holder's or the running router's namespaces if those are not
 * the ones router_idmap asks for, else 0. */
static pid_t userns_stale(const struct up *u)
{
	pid_t holder = segment_holder(u->p), pid = holder ? holder : u->info.pid;

	return pid && segment_idmap_of(pid) != u->c->router_idmap ? pid : 0;
}

static int up_renew_userns(struct up *u, struct errmsg *e)
{
	uint32_t want = u->c->router_idmap;
	pid_t pid = userns_stale(u);
	int r;

	if (!pid)
		return 0;
	if (want)
		log_info("the router moves into a user namespace (host uids %u-%u)", want,
			 want + (ROUTER_IDMAP_COUNT - 1));
	else
		log_info("the router leaves its user namespace (router_idmap = off)");
	segment_park(pid, &u->reg); /* first: without a holder the router's PID holds them */
	if (u->info.running) {
		r = lxcw_stop(u->p->lxcpath, u->c->router);
		if (r < 0)
			return fail(e, r, "stopping the router: %s", strerror(-r));
		u->info.running = false;
	}
	segment_release(u->p);
	return 0;
}

/*
 * The holder of the router's namespace. A router that runs with no holder
 * keeps its namespace when it has the guest bridge (its holder was killed:
 * the guests' ports are in there); any other router is stopped first.
 */
static int up_hold(struct up *u, struct errmsg *e)
{
	pid_t join = 0;
	int r;

	fault_point("up: before holder");
	r = lxcw_info(u->p->lxcpath, u->c->router, false, &u->info);
	if (r < 0)
		return fail(e, r, "router state: %s", strerror(-r));
	/* Every check before anything is changed or stopped: the kernel makes
	 * the user namespace, then the router's uid reaches its files. */
	if (u->c->router_idmap && userns_stale(u) && (r = segment_userns_check()) < 0)
		return fail(e, r,
			    "router_idmap: cannot make a user namespace: %s (see "
			    "/proc/sys/user/max_user_namespaces; router_idmap = off runs the router "
			    "without one); the router was left as it runs",
			    strerror(-r));
	r = rootfs_reachable(u->p, u->c, e);
	if (r == 0)
		r = up_renew_userns(u, e);
	if (r < 0)
		return r;
	if (u->info.running && !segment_holder(u->p)) {
		if (routerns_has_segment(u->info.pid)) {
			join = u->info.pid;
		} else {
			log_info("restarting the router: it runs without its namespace holder");
			r = lxcw_stop(u->p->lxcpath, u->c->router);
			if (r < 0)
				return fail(e, r, "stopping the router: %s", strerror(-r));
			u->info.running = false;
		}
	}
	r = segment_hold(u->p, join, u->c->router_idmap, &u->holder, e);
	u->f.holder = u->holder;
	return r;
}

/* The router's files, the host link, the router's links in the segment, parked guest ports. */
static int up_host(struct up *u, struct errmsg *e)
{
	int r;

	fault_point("up: before rootfs");
	r = rootfs_build(u->p, &u->model, &u->f, &u->reg, &u->changed, e);
	if (r == 0)
		r = hostnet_bridge_nf_restore(u->p, e);
	if (r == 0)
		r = hostnet_links(u->p, &u->model, &u->f, u->nl, e);
	if (r == 0)
		r = segment_links(u->p, &u->model, &u->f, u->holder, u->nl, u->changed.lxc_changed,
				  e);
	if (r == 1) {
		/* A new guest bridge: dnsmasq's DHCP socket and radvd were bound to the old one. */
		u->changed.dnsmasq_changed = u->changed.radvd_changed = true;
		r = 0;
	}
	if (r == 0)
		r = hostnet_router_port(&u->model, &u->f, u->nl, e);
	if (r == 0)
		r = segment_plug_all(u->holder, u->nl, &u->reg, e);
	return r;
}

/* Start the router, or restart it when its links or daemons changed shape. */
static int up_start(struct up *u, struct errmsg *e)
{
	const struct conf *c = u->c;
	char log[PATH_MAX];
	int r;

	fault_point("up: before router start");
	if (u->info.running && (u->changed.lxc_changed || u->changed.inittab_changed)) {
		log_info("restarting the router to apply the new configuration");
		r = lxcw_stop(u->p->lxcpath, c->router);
		if (r < 0)
			return fail(e, r, "stopping the router: %s", strerror(-r));
		u->info.running = false;
	}
	if (u->info.running)
		return 0;
	pathf(log, sizeof(log), "%s/lxc.log", u->p->router);
	r = lxcw_start(u->p->lxcpath, c->router, log);
	if (r < 0)
		return fail(e, r, "starting the router container %s: %s (see %s)", c->router,
			    strerror(-r), log);
	u->started = true;
	r = lxcw_info(u->p->lxcpath, c->router, false, &u->info);
	if (r < 0 || !u->info.pid)
		return fail(e, r < 0 ? r : -ESRCH, "router %s died right after start (see %s)",
			    c->router, log);
	return 0;
}

/* Routed attach (or its removal after a switch back). */
static int up_attach(struct up *u, struct errmsg *e)
{
	int r;

	fault_point("up: router started");
	if (u->model.attach != ATTACH_ROUTED)
		return hostnet_routed_present() ? hostnet_routed_undo(u->p, &u->model, u->nl, e)
						: 0;
	routerns_learn_prefix(u->nl, u->c->uplink, &u->model, u->deadline, &u->learned.prefix);
	runtime_overlay(u->c, &u->learned, &u->model);
	r = hostnet_routed(u->p, &u->model, &u->reg, u->nl, e);
	if (r == 0)
		r = rootfs_host_resolvers(u->p, &u->model, &u->changed.dnsmasq_changed, e);
	return r;
}

/*
 * The pool's lease facts when no DHCP client in the router learns them: with
 * attach = routed the host's uplink (its address's netmask, its default
 * gateway), with a fixed uplink_ipv4 the config. Pool guests lease their LAN
 * address with these (server mode; desktop mode writes an empty file).
 */
static int up_pool(struct up *u, struct errmsg *e)
{
	const struct conf *c = &u->model;
	struct in_addr gw = {0}, a;
	uint8_t plen = 0;

	if (c->attach == ATTACH_ROUTED) {
		int idx = nlk_ifindex(u->nl, c->uplink);

		if (idx <= 0 || nlk_addr_first_global(u->nl, idx, AF_INET, &a, &plen) < 0 ||
		    nlk_default_gw(u->nl, AF_INET, idx, &gw) < 0)
			gw.s_addr = 0;
	} else if (c->uplink_plen4) {
		plen = c->uplink_plen4;
		gw = c->uplink_gw4;
	} else {
		return 0; /* the router's udhcpc script writes it from its lease */
	}
	const char *what = c->attach == ATTACH_ROUTED ? c->uplink : "uplink_ipv4";
	uint32_t mask = plen ? ~0u << (32 - plen) : 0, gw_h = ip4_h(gw);
	bool inside = !((ip4_h(c->pool_start) ^ gw_h) & mask) && !((ip4_h(c->pool_end) ^ gw_h) & mask);

	/* What render_pool_conf() cannot serve, said once here (LXC's lines still work). */
	if (c->mode == MODE_SERVER && !gw.s_addr)
		log_info("note: %s: no IPv4 default gateway, so pool guests get no DHCP lease "
			 "(LXC's static lines only)",
			 c->attach == ATTACH_ROUTED ? c->uplink : "uplink_gateway4");
	else if (c->mode == MODE_SERVER && (plen < 1 || plen > 30))
		log_info("note: %s: a /%u has no room for pool guests on its subnet, so they get "
			 "no DHCP lease (LXC's static lines only)",
			 what, plen);
	/* A fixed uplink_ipv4: the config's own note says it (with FILE:LINE). */
	else if (c->mode == MODE_SERVER && !inside && c->attach == ATTACH_ROUTED)
		log_info("note: [server] ipv4_pool is not inside %s's subnet /%u: pool guests "
			 "would lease addresses the LAN does not route to this host",
			 what, plen);
	return rootfs_pool_conf(u->p, c, plen, gw, u->f.mtu, &u->changed.dnsmasq_changed, e);
}

/* Inside the router's namespace: sysctls, addresses, ruleset, guards, server-mode publishing. */
static int up_inside(struct up *u, struct errmsg *e)
{
	int r, saved = -1;

	r = netns_enter_pid(u->holder, &saved);
	if (r < 0)
		return fail(e, r, "entering the router's network namespace: %s", strerror(-r));
	uint8_t macs[3][6];

	struct ip6_net prefix = u->model.server_prefix;

	paths_router_macs(u->p, u->c, macs);
	r = routerns_configure(&u->model, &u->reg, macs[1], e);
	if (r == 0)
		r = routerns_publish(u->c, &u->reg, u->deadline, &u->learned, &u->model, e);
	/* The LAN's prefix was learned only now: guests may claim addresses in it. */
	if (r == 0 && render_ndproxy_wanted(&u->model) &&
	    (prefix.plen != u->model.server_prefix.plen ||
	     memcmp(&prefix.addr, &u->model.server_prefix.addr, sizeof(prefix.addr))))
		r = routerns_guard(&u->model, &u->reg, macs[1], e);
	netns_leave(saved);
	return r;
}

/* radvd.conf and ndproxy.conf (the LAN prefix is known only now) and the runtime file. */
static int up_record(struct up *u, struct errmsg *e)
{
	_cleanup_free_ char *radvd = NULL, *ndproxy = NULL;
	int r;

	fault_point("up: router configured");
	r = render_radvd(&u->model, u->f.mtu, &radvd);
	if (r < 0)
		return fail(e, r, "rendering radvd.conf: %s", strerror(-r));
	r = render_ndproxy_conf(&u->model, &ndproxy);
	if (r < 0)
		return fail(e, r, "rendering ndproxy.conf: %s", strerror(-r));
	r = rootfs_write_file(u->p, "etc/lxtg/radvd.conf", radvd, 0644, &u->changed.radvd_changed,
			      e);
	/* lxtg-ndproxy reads it every half second. */
	if (r == 0)
		r = rootfs_write_file(u->p, "etc/lxtg/ndproxy.conf", ndproxy, 0644, NULL, e);
	if (r == 0)
		r = runtime_save(u->p, &u->model, u->uplink.why, u->info.pid, lxc_stamp(u->p, u->c));
	return r;
}

/*
 * A new bird.conf: BIRD reloads it (`birdc configure`) and keeps the sessions
 * that did not change. A BIRD that does not answer (it is being restarted by
 * lxtg-init) reads the new file when it starts.
 */
static void bird_reload(const struct paths *p)
{
	char sock[PATH_MAX], err[256];
	int r;

	if (pathf(sock, sizeof(sock), "%s%s", p->rootfs, BIRD_CTL) < 0)
		return;
	r = bird_configure(sock, err, sizeof(err));
	if (r == -EINVAL)
		log_info("BIRD did not take the new bird.conf: %s", err);
	else if (r < 0 && r != -ENOENT && r != -ECONNREFUSED)
		log_info("reloading BIRD: %s", strerror(-r));
}

/* Let the router's init start its daemons (or restart changed ones) and wait until it serves. */
static int up_release(struct up *u, struct errmsg *e)
{
	int r;

	if (!u->started) {
		if (u->changed.dnsmasq_changed)
			ready_restart_daemon(u->info.pid, "dnsmasq");
		if (u->changed.radvd_changed)
			ready_restart_daemon(u->info.pid, "radvd");
		if (u->changed.bird_changed)
			bird_reload(u->p);
	}
	fault_point("up: before release");
	/* A router restarted behind our back waits on the FIFO too: release it. */
	r = ready_release(u->p, u->started ? u->deadline : 0);
	if (r == -ETIMEDOUT && !u->started)
		r = 0;
	if (r < 0)
		return fail(e, r, "releasing the router's init: %s", strerror(-r));
	return ready_wait(u->p, &u->model, u->info.pid, u->deadline + UPLINK_LEASE_MS, e);
}

int router_up(const struct paths *p, const struct conf *c, struct errmsg *e)
{
	struct up u = {
		.p = p,
		.c = c,
		.learned = {.known = true, .mode = c->mode},
		.model = *c,
		.deadline = now_ms() + READY_TIMEOUT_MS,
	};
	int r;

	r = up_prepare(&u, e);
	if (r == 0)
		r = up_hold(&u, e);
	if (r == 0)
		r = up_host(&u, e);
	if (r == 0)
		r = up_start(&u, e);
	if (r == 0)
		r = up_attach(&u, e);
	if (r == 0)
		r = up_pool(&u, e);
	if (r == 0)
		r = up_inside(&u, e);
	if (r == 0)
		r = up_record(&u, e);
	if (r == 0)
		r = up_release(&u, e);
	registry_free(&u.reg);
	nlk_close(u.nl);
	return r;
}

int router_down(const struct paths *p, const struct conf *c, struct errmsg *e)
{
	char nfterr[512];
	struct nlk *nl = NULL;
	struct errmsg undo = {0};
	struct registry reg = {0};
	int r, ours, r_undo;

	ours = runtime_router_is_ours(p);
	if (ours < 0)
		return fail(e, ours, "%s: %s", p->ct_config, strerror(-ours));
	/* Running guests keep their eth0: their ports wait in the host for the next `up`. */
	if (registry_load(p->state, &reg) == 0)
		segment_park(segment_holder(p), &reg);
	registry_free(&reg);
	if (ours) {
		r = lxcw_stop(p->lxcpath, c->router);
		if (r < 0)
			return fail(e, r, "stopping the router: %s", strerror(-r));
		r = rm_rf(p->ct_dir);
		if (r < 0)
			return fail(e, r, "removing %s: %s", p->ct_dir, strerror(-r));
	}
	segment_release(p);
	r = rm_rf(p->router);
	if (r < 0)
		return fail(e, r, "removing %s: %s", p->router, strerror(-r));
	/* The guards of a version that kept them in the host. */
	r = nftx_apply("table bridge lxctogo {}\ndelete table bridge lxctogo\n", nfterr,
		       sizeof(nfterr));
	if (r < 0)
		return fail(e, r, "removing the old guest guards from the host: %s", nfterr);
	r = nlk_open(&nl);
	if (r < 0)
		return fail(e, r, "netlink: %s", strerror(-r));
	/* Whatever the config says now: the host table, proxies and every recorded
	 * sysctl. A failure here is reported, after the links are gone too. */
	r_undo = hostnet_routed_undo(p, c, nl, &undo);
	if (r_undo == 0)
		r_undo = hostnet_sysctls_restore(p, &undo);
	r = hostnet_remove_owned(p, nl, e);
	nlk_close(nl);
	if (r == 0 && r_undo < 0)
		r = fail(e, r_undo, "%s", undo.msg);
	return r;
}
