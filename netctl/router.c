// SPDX-License-Identifier: BSD-2-Clause
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include "elems.h"
#include "fault.h"
#include "fsutil.h"
#include "init.h"
#include "lxcw.h"
#include "netlink.h"
#include "netns.h"
#include "publish.h"
#include "nft.h"
#include "render.h"
#include "router.h"
#include "state.h"
#include "sysctl.h"
#include "templates.h"
#include "util.h"

#define MARKER "# lxctogo-net managed router"
#define READY_TIMEOUT_MS 5000
#define UPLINK_LEASE_MS 2000

int paths_init(struct paths *p, const char *state_dir, const char *lxcpath, const struct conf *c)
{
	const char *lp = lxcpath ? lxcpath : lxcw_default_path();
	ssize_t n;

	if (!lp)
		return -ENOENT;
	/* The router's PID 1, lxtg-init, sits next to this binary in the build tree
	 * and in PKGLIBEXECDIR once installed. Its path goes into an fstab-style
	 * line, so it must be one plain token. */
	n = readlink("/proc/self/exe", p->self, sizeof(p->self) - 1);
	if (n < 0)
		return -errno;
	p->self[n] = '\0';
	{
		char *slash = strrchr(p->self, '/');

		char dir[PATH_MAX];

		*(slash ? slash : p->self) = '\0';
		strscpy(dir, sizeof(dir), p->self);
		/* build tree; an unpacked package (sbin/../libexec); the configured place */
		if ((pathf(p->self, sizeof(p->self), "%s/%s", dir, INIT_NAME) < 0 ||
		     access(p->self, X_OK) < 0) &&
		    (pathf(p->self, sizeof(p->self), "%s/../libexec/lxctogo-net/%s", dir,
			   INIT_NAME) < 0 ||
		     access(p->self, X_OK) < 0) &&
		    pathf(p->self, sizeof(p->self), "%s/%s", PKGLIBEXECDIR, INIT_NAME) < 0)
			return -ENAMETOOLONG;
		if (realpath(p->self, dir))
			strscpy(p->self, sizeof(p->self), dir);
	}
	for (const char *s = p->self; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == '\\')
			return -EINVAL;
	/* The router's rootfs goes into fstab-style lines too: one plain token. */
	for (const char *s = state_dir; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == '\\')
			return -EINVAL;
	for (const char *s = lp; *s; s++)
		if ((unsigned char)*s < ' ')
			return -EINVAL;
	if (strscpy(p->state, sizeof(p->state), state_dir) < 0 ||
	    strscpy(p->lxcpath, sizeof(p->lxcpath), lp) < 0 ||
	    pathf(p->router, sizeof(p->router), "%s/router", state_dir) < 0 ||
	    pathf(p->rootfs, sizeof(p->rootfs), "%s/router/rootfs", state_dir) < 0 ||
	    pathf(p->ct_dir, sizeof(p->ct_dir), "%s/%s", lp, c->router) < 0 ||
	    pathf(p->ct_config, sizeof(p->ct_config), "%s/%s/config", lp, c->router) < 0)
		return -ENAMETOOLONG;
	return 0;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

int router_is_ours(const struct paths *p)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	int r = read_file(p->ct_config, &text, &len);

	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	return strncmp(text, MARKER, strlen(MARKER)) == 0;
}

pid_t router_pid(const struct paths *p, const struct conf *c)
{
	/* Asked several times by one guest/port/status command: answered once
	 * per process (`up`, which restarts the router, never asks), from what
	 * `up` recorded if that process still runs, else by liblxc. */
	static pid_t cached = -1;
	struct lxcw_info info;

	if (cached >= 0)
		return cached;
	cached = runtime_router_pid(p);
	if (cached > 0)
		return cached;
	if (lxcw_info(p->lxcpath, c->router, false, &info) < 0 || !info.running)
		cached = 0;
	else
		cached = info.pid;
	return cached;
}

pid_t router_find_proc(pid_t init, const char *comm)
{
	char path[64], want[64], link[64];
	struct dirent *de;
	ssize_t n;
	DIR *d;
	pid_t found = 0;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)init);
	n = readlink(path, want, sizeof(want) - 1);
	if (n < 0)
		return 0;
	want[n] = '\0';
	d = opendir("/proc");
	if (!d)
		return 0;
	while (!found && (de = readdir(d))) {
		char c[32];
		_cleanup_close_ int fd = -1;
		pid_t pid = (pid_t)atoi(de->d_name);

		if (pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
		n = readlink(path, link, sizeof(link) - 1);
		if (n < 0)
			continue;
		link[n] = '\0';
		if (!streq(link, want))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, c, sizeof(c) - 1);
		if (n <= 0)
			continue;
		c[n] = '\0';
		c[strcspn(c, "\n")] = '\0';
		if (streq(c, comm))
			found = pid;
	}
	closedir(d);
	return found;
}

void router_macs(const struct paths *p, const struct conf *c, uint8_t ret[3][6])
{
	static const char *const role[3] = {"uplink", "guest", "host"};
	char seed[PATH_MAX + 128];

	/* Stable MACs keep the router's LAN lease and the guests' neighbour
	 * caches valid across restarts. */
	for (int i = 0; i < 3; i++) {
		snprintf(seed, sizeof(seed), "router/%s/%s/%s", p->state, c->router, role[i]);
		render_mac(seed, ret[i]);
	}
}

/* Resolve the facts `up` needs from the running system (no changes). */
static int resolve_facts(const struct paths *p, const struct conf *c, struct nlk *nl,
			 struct router_facts *f, struct errmsg *e)
{
	uint8_t macs[3][6];
	int r;

	memset(f, 0, sizeof(*f));
	f->rootfs = p->rootfs;
	f->init = p->self;
	f->uplink = c->uplink;
	r = nlk_link_mtu(nl, c->uplink, &f->mtu);
	if (r < 0)
		return fail(e, r, "uplink %s: %s", c->uplink, strerror(-r));
	if (c->mtu)
		f->mtu = c->mtu;
	router_macs(p, c, macs);
	memcpy(f->mac_uplink, macs[0], 6);
	memcpy(f->mac_guest, macs[1], 6);
	memcpy(f->mac_host, macs[2], 6);
	if (render_veth_name(c->guest_bridge, "r", f->veth_guest) < 0 ||
	    render_veth_name(c->host_bridge, "r", f->veth_host) < 0 ||
	    streq(f->veth_guest, f->veth_host))
		return fail(e, -EINVAL, "bridge names %s and %s give clashing router link names",
			    c->guest_bridge, c->host_bridge);
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
	r = nlk_link_flags(nl, c->uplink, &flags);
	if (r < 0)
		return fail(e, r, "uplink %s: %s", c->uplink, strerror(-r));
	r = router_is_ours(p);
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

static int write_rootfs_file(const struct paths *p, const char *rel, const char *data,
			     mode_t mode, bool *changed, struct errmsg *e)
{
	char path[PATH_MAX];
	int r;

	if (pathf(path, sizeof(path), "%s/%s", p->rootfs, rel) < 0)
		return fail(e, -ENAMETOOLONG, "%s/%s: path too long", p->rootfs, rel);
	r = write_if_changed(path, data, mode);
	if (r < 0)
		return fail(e, r, "writing %s: %s", path, strerror(-r));
	if (r > 0 && changed)
		*changed = true;
	return 0;
}

struct build_result {
	bool lxc_changed, inittab_changed, dnsmasq_changed, radvd_changed;
};

int router_guest_dns(const struct paths *p, const struct conf *c, const struct guest *g, bool del,
		     struct errmsg *e)
{
	static const char *const dirs[] = {"hosts", "dhcp-hosts"};

	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		_cleanup_free_ char *text = NULL;
		char path[PATH_MAX];
		int r;

		if (pathf(path, sizeof(path), "%s/lxtg/%s/%s", p->rootfs, dirs[i], g->name) < 0)
			return fail(e, -ENAMETOOLONG, "%s: path too long", p->rootfs);
		if (del) {
			if (unlink(path) < 0 && errno != ENOENT)
				return fail(e, -errno, "removing %s: %s", path, strerror(errno));
			continue;
		}
		r = i == 0 ? render_guest_hosts(c, g, &text) : render_guest_dhcp(c, g, &text);
		if (r < 0)
			return fail(e, r, "rendering dnsmasq files of %s: %s", g->name,
				    strerror(-r));
		r = write_new_or_changed(path, text, 0644);
		if (r < 0)
			return fail(e, r, "writing %s: %s", path, strerror(-r));
	}
	return 0;
}

/*
 * The router can write lxtg/run and lxtg/state: what stands at @path there is
 * removed unless it is of @type (S_IFIFO, S_IFREG), a symlink included. 0 or -errno.
 */
static int remove_unless_type(const char *path, mode_t type)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if ((st.st_mode & S_IFMT) == type)
		return 0;
	return unlink(path) < 0 && errno != ENOENT ? -errno : 0;
}

/* Remove files in a dnsmasq dir whose guest is no longer registered. */
static void prune_dir(const struct paths *p, const char *rel, const struct registry *reg)
{
	char dir[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int fd;

	/* O_NOFOLLOW: never list (and unlink in) a directory a symlink points to. */
	if (pathf(dir, sizeof(dir), "%s/%s", p->rootfs, rel) < 0 ||
	    (fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return;
	if (!(d = fdopendir(fd))) {
		close(fd);
		return;
	}
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' && !registry_find(reg, de->d_name))
			unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
}

static int build_rootfs(const struct paths *p, const struct conf *c, const struct router_facts *f,
			const struct registry *reg, struct build_result *br, struct errmsg *e)
{
	static const char *const dirs[] = {"dev", "proc", "sys", "tmp", "run", "usr", "etc/lxtg",
					   "lxtg/hosts", "lxtg/dhcp-hosts", "lxtg/state",
					   "lxtg/run/dnsmasq.d", "var"};
	/* Mirror the host's merged-/usr links so host binaries find their loader. */
	static const char *const links[][2] = {{"usr/bin", "bin"}, {"usr/sbin", "sbin"},
					       {"usr/lib", "lib"}, {"usr/lib64", "lib64"},
					       {"/run", "var/run"}};
	_cleanup_free_ char *lxcconf = NULL, *inittab = NULL, *dnsmasq = NULL;
	char path[PATH_MAX];
	int r;

	r = mkdir_p(p->router, 0700);
	if (r < 0)
		return fail(e, r, "creating %s: %s", p->router, strerror(-r));
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		if (pathf(path, sizeof(path), "%s/%s", p->rootfs, dirs[i]) < 0)
			return fail(e, -ENAMETOOLONG, "%s: path too long", p->rootfs);
		r = mkdir_p(path, 0755);
		if (r < 0)
			return fail(e, r, "creating %s: %s", path, strerror(-r));
	}
	for (size_t i = 0; i < ARRAY_SIZE(links); i++) {
		if (pathf(path, sizeof(path), "%s/%s", p->rootfs, links[i][1]) < 0)
			return fail(e, -ENAMETOOLONG, "%s: path too long", p->rootfs);
		r = symlink_ensure(links[i][0], path);
		if (r < 0)
			return fail(e, r, "linking %s: %s", path, strerror(-r));
	}
	r = render_inittab(c, &inittab);
	if (r == 0)
		r = render_dnsmasq(c, f->mtu, &dnsmasq);
	if (r == 0)
		r = render_lxc_conf(c, f, &lxcconf);
	if (r < 0)
		return fail(e, r, "rendering router files: %s", strerror(-r));
	if ((r = write_rootfs_file(p, "etc/inittab", inittab, 0644, &br->inittab_changed, e)) ||
	    (r = write_rootfs_file(p, "etc/lxtg/udhcpc.script", tmpl_udhcpc_script, 0755,
				   &br->inittab_changed, e)) ||
	    (r = write_rootfs_file(p, "etc/lxtg/dnsmasq.conf", dnsmasq, 0644,
				   &br->dnsmasq_changed, e)) ||
	    (r = write_rootfs_file(p, "etc/passwd",
				   "root:x:0:0:root:/:/bin/sh\n"
				   "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
				   0644, NULL, e)) ||
	    /* The mount point of lxtg-init: LXC cannot create it in a read-only rootfs. */
	    (r = write_rootfs_file(p, "lxtg/lxtg-init", "", 0755, NULL, e)) ||
	    (r = write_rootfs_file(p, "etc/group", "root:x:0:\nnogroup:x:65534:\n", 0644, NULL,
				   e)) ||
	    (r = write_rootfs_file(p, "etc/hosts", "127.0.0.1 localhost\n::1 localhost\n", 0644,
				   NULL, e)))
		return r;
	for (size_t i = 0; i < reg->n_guests; i++) {
		r = router_guest_dns(p, c, &reg->guests[i], false, e);
		if (r < 0)
			return r;
	}
	prune_dir(p, "lxtg/hosts", reg);
	prune_dir(p, "lxtg/dhcp-hosts", reg);
	if (pathf(path, sizeof(path), "%s/lxtg/run/go", p->rootfs) < 0)
		return fail(e, -ENAMETOOLONG, "%s: path too long", p->rootfs);
	r = remove_unless_type(path, S_IFIFO);
	if (r < 0)
		return fail(e, r, "removing %s: %s", path, strerror(-r));
	if (mkfifo(path, 0600) < 0 && errno != EEXIST)
		return fail(e, -errno, "creating %s: %s", path, strerror(errno));
	/* dnsmasq would not start with anything but a file (or nothing) there. */
	if (pathf(path, sizeof(path), "%s/lxtg/state/dnsmasq.leases", p->rootfs) < 0)
		return fail(e, -ENAMETOOLONG, "%s: path too long", p->rootfs);
	r = remove_unless_type(path, S_IFREG);
	if (r < 0)
		return fail(e, r, "removing %s: %s", path, strerror(-r));

	fault_point("up: rootfs written");
	r = mkdir_p(p->ct_dir, 0755);
	if (r < 0)
		return fail(e, r, "creating %s: %s", p->ct_dir, strerror(-r));
	r = write_if_changed(p->ct_config, lxcconf, 0644);
	if (r < 0)
		return fail(e, r, "writing %s: %s", p->ct_config, strerror(-r));
	br->lxc_changed = r > 0;
	return 0;
}

/* Does a line of @text start with @prefix? */
static bool recorded(const char *text, const char *prefix)
{
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (!strncmp(l, prefix, strlen(prefix)))
			return true;
	return false;
}

/* Links we created, so `down` removes those and never a bridge the admin made. */
static int owned_path(const struct paths *p, char *buf, size_t size)
{
	return pathf(buf, size, "%s/owned-links", p->state);
}

static int owned_add(const struct paths *p, const char *name)
{
	_cleanup_free_ char *cur = NULL, *next = NULL;
	char path[PATH_MAX], line[IFNAMSIZ + 1];
	size_t len = 0;
	int r;

	r = owned_path(p, path, sizeof(path));
	if (r < 0)
		return r;
	r = read_file(path, &cur, &len);
	if (r < 0 && r != -ENOENT)
		return r;
	snprintf(line, sizeof(line), "%s\n", name);
	if (recorded(cur, line))
		return 0;
	if (asprintf(&next, "%s%s\n", cur ? cur : "", name) < 0)
		return -ENOMEM;
	return write_file_atomic(path, next, strlen(next), 0600);
}

static int host_links(const struct paths *p, const struct conf *c, const struct router_facts *f,
		      struct nlk *nl, struct errmsg *e)
{
	struct in_addr h4 = conf_hostlink_host_ip4(c), r4 = conf_hostlink_router_ip4(c);
	struct in6_addr h6, r6;
	const char *bridges[] = {c->guest_bridge, c->host_bridge};
	int r, hidx;

	conf_hostlink_host_ip6(c, &h6);
	conf_hostlink_router_ip6(c, &r6);
	for (size_t i = 0; i < ARRAY_SIZE(bridges); i++) {
		char seed[PATH_MAX + 64];
		uint8_t mac[6];

		fault_point("up: bridge");
		/* A stable bridge MAC keeps the host's link-local address on it, and the
		 * router's and guests' neighbour entries for the host, across restarts. */
		snprintf(seed, sizeof(seed), "bridge/%s/%s", p->state, bridges[i]);
		render_mac(seed, mac);
		/* Record before creating: a crash in between must not leak the link. */
		if (nlk_ifindex(nl, bridges[i]) == -ENODEV) {
			r = owned_add(p, bridges[i]);
			if (r < 0)
				return fail(e, r, "recording %s: %s", bridges[i], strerror(-r));
		}
		r = nlk_bridge_ensure(nl, bridges[i], f->mtu, mac);
		if (r == -EEXIST)
			return fail(e, r, "%s exists and is not a bridge", bridges[i]);
		if (r < 0)
			return fail(e, r, "bridge %s: %s", bridges[i], nlk_strerror(r));
		/* No RA, no autoconf: the host must not learn routes from guests. */
		r = sysctl_ensuref("0", "net/ipv6/conf/%s/accept_ra", bridges[i]);
		if (r == 0)
			r = sysctl_ensuref("0", "net/ipv6/conf/%s/autoconf", bridges[i]);
		if (r < 0)
			return fail(e, r, "sysctls of %s: %s", bridges[i], strerror(-r));
	}
	/* The host has no business on the guest segment: no address, no IPv6 stack. */
	r = sysctl_ensuref("1", "net/ipv6/conf/%s/disable_ipv6", c->guest_bridge);
	if (r == 0 && !c->ipv6)
		r = sysctl_ensuref("1", "net/ipv6/conf/%s/disable_ipv6", c->host_bridge);
	if (r < 0)
		return fail(e, r, "sysctls of %s: %s", c->guest_bridge, strerror(-r));
	hidx = nlk_ifindex(nl, c->host_bridge);
	if (hidx < 0)
		return fail(e, hidx, "%s: %s", c->host_bridge, strerror(-hidx));
	r = nlk_addr_ensure(nl, hidx, AF_INET, &h4, c->host_subnet.plen);
	if (r == 0 && c->ipv6)
		r = nlk_addr_ensure(nl, hidx, AF_INET6, &h6, c->host_prefix.plen);
	if (r < 0)
		return fail(e, r, "address on %s: %s", c->host_bridge, nlk_strerror(r));
	r = nlk_route_replace(nl, AF_INET, &c->guest_subnet.addr, c->guest_subnet.plen, &r4, hidx);
	if (r == 0 && c->ipv6)
		r = nlk_route_replace(nl, AF_INET6, &c->guest_prefix.addr, c->guest_prefix.plen,
				      &r6, hidx);
	if (r < 0)
		return fail(e, r, "route to the guests via %s: %s", c->host_bridge,
			    nlk_strerror(r));
	return 0;
}

/*
 * Host sysctls we change (attach = routed, bridge_nf = off). Each one's
 * previous value is recorded before the first change, durably, so `down` (or a
 * later `up` that no longer needs it) puts it back.
 */
static int host_sysctls_path(const struct paths *p, char *buf, size_t size)
{
	return pathf(buf, size, "%s/host-sysctls", p->state);
}

static int hsys_set(const struct paths *p, const char *key, const char *want, struct errmsg *e)
{
	_cleanup_free_ char *text = NULL, *next = NULL;
	char path[PATH_MAX], cur[64], rec[300];
	size_t len = 0;
	int r;

	r = host_sysctls_path(p, path, sizeof(path));
	if (r < 0)
		return fail(e, r, "state dir path too long");
	if (sysctl_read(key, cur, sizeof(cur)) < 0)
		return 0; /* not on this kernel: nothing to change */
	if (streq(cur, want))
		return 0;
	r = read_file(path, &text, &len);
	if (r < 0 && r != -ENOENT)
		return fail(e, r, "reading %s: %s", path, strerror(-r));
	snprintf(rec, sizeof(rec), "%s ", key);
	if (!recorded(text, rec)) {
		if (asprintf(&next, "%s%s %s\n", text ? text : "", key, cur) < 0)
			return fail(e, -ENOMEM, "out of memory");
		r = write_file_atomic(path, next, strlen(next), 0600);
		if (r < 0)
			return fail(e, r, "saving host sysctls: %s", strerror(-r));
	}
	r = sysctl_write(key, want);
	return r < 0 ? fail(e, r, "host sysctl %s: %s", key, strerror(-r)) : 0;
}

/* Put back the recorded values whose key @match accepts (all if NULL), newest first. */
static void hsys_restore(const struct paths *p, bool (*match)(const char *key))
{
	_cleanup_free_ char *text = NULL, *keep = NULL;
	char path[PATH_MAX];
	size_t len, klen = 0;

	if (host_sysctls_path(p, path, sizeof(path)) < 0 || read_file(path, &text, &len) < 0)
		return;
	keep = calloc(1, len + 1);
	if (!keep)
		return;
	for (char *l = text + len; l > text;) {
		char *start, *sp;

		*--l = '\0';
		start = l;
		while (start > text && start[-1] != '\n')
			start--;
		sp = strchr(start, ' ');
		l = start;
		if (!sp)
			continue;
		*sp = '\0';
		if (!match || match(start)) {
			sysctl_write(start, sp + 1);
			continue;
		}
		/* kept lines are collected in reverse; order does not matter to restore */
		klen += (size_t)sprintf(keep + klen, "%s %s\n", start, sp + 1);
	}
	if (klen)
		write_file_atomic(path, keep, klen, 0600);
	else
		unlink(path);
}

static bool bridge_key(const char *key)
{
	return strncmp(key, "net/bridge/", 11) == 0;
}

static bool routed_key(const char *key)
{
	return !bridge_key(key);
}

static int host_sysctls_set(const struct paths *p, const struct conf *c, struct errmsg *e)
{
	char key[128];
	int r;

	/* accept_ra=2 before forwarding, or the host stops taking RAs on its NIC */
	snprintf(key, sizeof(key), "net/ipv6/conf/%s/accept_ra", c->uplink);
	r = hsys_set(p, key, "2", e);
	if (r == 0)
		r = hsys_set(p, "net/ipv4/ip_forward", "1", e);
	if (r == 0 && c->ipv6)
		r = hsys_set(p, "net/ipv6/conf/all/forwarding", "1", e);
	snprintf(key, sizeof(key), "net/ipv4/neigh/%s/proxy_delay", c->uplink);
	if (r == 0)
		r = hsys_set(p, key, "0", e);
	snprintf(key, sizeof(key), "net/ipv6/neigh/%s/proxy_delay", c->uplink);
	if (r == 0 && c->ipv6)
		r = hsys_set(p, key, "0", e);
	if (r == 0 && c->ipv6 && c->mode == MODE_SERVER) {
		r = hsys_set(p, "net/ipv6/conf/all/proxy_ndp", "1", e);
		snprintf(key, sizeof(key), "net/ipv6/conf/%s/proxy_ndp", c->uplink);
		if (r == 0)
			r = hsys_set(p, key, "1", e);
	}
	return r;
}

/*
 * bridge_nf = off: bridge netfilter hands bridged IPv4/IPv6 frames to the
 * host's iptables/nft FORWARD chains whenever the namespace-wide sysctl is on,
 * whatever the per-bridge nf_call_* switch says (the kernel ORs the two). A
 * Docker-style FORWARD drop policy would then drop guest traffic.
 */
static int host_bridge_nf(const struct paths *p, const struct conf *c, struct errmsg *e)
{
	static const char *const keys[] = {"net/bridge/bridge-nf-call-iptables",
					   "net/bridge/bridge-nf-call-ip6tables",
					   "net/bridge/bridge-nf-call-arptables"};
	int r = 0;

	if (c->bridge_nf_keep) {
		hsys_restore(p, bridge_key); /* an earlier `up` may have turned it off */
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(keys) && r == 0; i++)
		r = hsys_set(p, keys[i], "0", e);
	return r;
}

static bool host_table_exists(void)
{
	_cleanup_free_ char *text = NULL;

	return nftx_list_table("inet", "lxctogo", true, &text) == 0;
}

/* Undo host_routed(): the host's table, proxy entries and sysctls. */
static void host_routed_undo(const struct paths *p, const struct conf *c, struct nlk *nl)
{
	struct registry reg = {0};

	nftx_apply("table inet lxctogo {}\ndelete table inet lxctogo\n", NULL, 0);
	if (registry_load(p->state, &reg) == 0)
		for (size_t i = 0; i < reg.n_guests; i++)
			publish_host(nl, c, &reg.guests[i], true);
	registry_free(&reg);
	hsys_restore(p, routed_key);
}

/* Routed attach has no DHCP on the router: upstream = auto means the host's resolvers. */
static int copy_host_resolvers(const struct paths *p, struct errmsg *e)
{
	_cleanup_free_ char *text = NULL, *out = NULL;
	char path[PATH_MAX];
	size_t len, olen = 0;
	int r;

	r = read_file("/etc/resolv.conf", &text, &len);
	if (r < 0)
		return 0;
	out = calloc(1, len + 1);
	if (!out)
		return fail(e, -ENOMEM, "out of memory");
	for (char *l = text, *nl; l && *l; l = nl ? nl + 1 : NULL) {
		char ns[64];
		struct in_addr a4;
		struct in6_addr a6;

		nl = strchr(l, '\n');
		if (sscanf(l, "nameserver %63s", ns) != 1)
			continue;
		/* The host's loopback stub is not reachable from the router. */
		if ((addr_parse_ip4(ns, &a4) == 0 && (ip4_h(a4) >> 24) != 127) ||
		    (addr_parse_ip6(ns, &a6) == 0 && !IN6_IS_ADDR_LOOPBACK(&a6)))
			olen += (size_t)sprintf(out + olen, "nameserver %s\n", ns);
	}
	if (pathf(path, sizeof(path), "%s/lxtg/run/resolv.conf", p->rootfs) < 0)
		return fail(e, -ENAMETOOLONG, "path too long");
	r = write_if_changed(path, out, 0644);
	return r < 0 ? fail(e, r, "writing %s: %s", path, strerror(-r)) : 0;
}

/*
 * attach = routed: the host forwards between its NIC and the router,
 * masquerades the host link onto the NIC, and answers ARP/NDP on the NIC for
 * guests with LAN addresses.
 */
static int host_routed(const struct paths *p, const struct conf *c, const struct registry *reg,
		       struct nlk *nl, struct errmsg *e)
{
	_cleanup_free_ char *rules = NULL;
	char nfterr[512];
	int r;

	r = host_sysctls_set(p, c, e);
	if (r < 0)
		return r;
	r = render_host_routed(c, reg, &rules);
	if (r < 0)
		return fail(e, r, "rendering the host table: %s", strerror(-r));
	r = nftx_apply(rules, nfterr, sizeof(nfterr));
	if (r < 0)
		return fail(e, r, "loading the host table: %s", nfterr);
	for (size_t i = 0; i < reg->n_guests; i++) {
		r = publish_host(nl, c, &reg->guests[i], false);
		if (r < 0)
			return fail(e, r, "publishing %s on %s: %s", reg->guests[i].name, c->uplink,
				    nlk_strerror(r));
	}
	return 0;
}

/*
 * The host ends of the router's links: on their bridges (a recreated bridge
 * lost them) and with no IPv6 of their own, so the host never hears the
 * router's RAs on them.
 */
static int router_ports(const struct conf *c, const struct router_facts *f, struct nlk *nl,
			struct errmsg *e)
{
	const char *ports[][2] = {{f->veth_guest, c->guest_bridge}, {f->veth_host, c->host_bridge}};
	int r;

	for (size_t i = 0; i < ARRAY_SIZE(ports); i++) {
		r = sysctl_ensuref("1", "net/ipv6/conf/%s/disable_ipv6", ports[i][0]);
		if (r == 0)
			r = nlk_link_set_master(nl, ports[i][0], ports[i][1]);
		if (r == 0)
			r = nlk_link_up(nl, ports[i][0], 0);
		if (r < 0)
			return fail(e, r, "attaching %s to %s: %s", ports[i][0], ports[i][1],
				    nlk_strerror(r));
	}
	return 0;
}

/*
 * The guest-port guards (one transaction, with every guest's elements), and
 * the ports of guests that run while the bridge was recreated: a deleted
 * bridge drops its ports, `up` puts them back.
 */
static int host_guards(const struct conf *c, const struct registry *reg, struct nlk *nl,
		       struct errmsg *e)
{
	_cleanup_free_ char *guard = NULL;
	char nfterr[512];
	int r;

	r = render_guard(c, reg, &guard);
	if (r < 0)
		return fail(e, r, "rendering the guest guards: %s", strerror(-r));
	r = nftx_apply(guard, nfterr, sizeof(nfterr));
	if (r < 0)
		return fail(e, r, "loading the guest guards: %s", nfterr);
	for (size_t i = 0; i < reg->n_guests; i++) {
		char port[IFNAMSIZ];

		guest_port_name(reg->guests[i].name, port);
		if (nlk_ifindex(nl, port) < 0)
			continue;
		r = nlk_link_set_master(nl, port, c->guest_bridge);
		if (r == 0)
			r = nlk_link_up(nl, port, 0);
		if (r == 0)
			r = sysctl_ensuref("1", "net/ipv6/conf/%s/disable_ipv6", port);
		if (r < 0)
			return fail(e, r, "reattaching %s to %s: %s", port, c->guest_bridge,
				    nlk_strerror(r));
	}
	return 0;
}

/* DHCP replies leave dnsmasq with a partial checksum that a veth never fills
 * in; clients reading raw frames would drop them. Turn tx offload off. */
static int tx_csum_off(const char *ifname)
{
	struct ethtool_value ev = {.cmd = ETHTOOL_STXCSUM, .data = 0};
	struct ifreq ifr = {0};
	_cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = (void *)&ev;
	return ioctl(fd, SIOCETHTOOL, &ifr) < 0 ? -errno : 0;
}

/* Inside the router's netns: sysctls (accept_ra=2 before forwarding), addresses, nft. */
static int router_inside(const struct conf *c, const struct registry *reg, struct errmsg *e)
{
	struct in_addr g4 = conf_router_ip4(c), h4 = conf_hostlink_router_ip4(c);
	struct in6_addr g6, h6;
	const char *v6 = c->ipv6 ? "0" : "1";
	const char *server = c->mode == MODE_SERVER && c->ipv6 ? "1" : "0";
	_cleanup_free_ char *rules = NULL;
	struct nlk *nl = NULL;
	char nfterr[512];
	int r, gi, hi;

	conf_router_ip6(c, &g6);
	conf_hostlink_router_ip6(c, &h6);
	struct {
		const char *key, *val;
	} ctl[] = {
		{"net/ipv6/conf/all/disable_ipv6", v6},
		{"net/ipv6/conf/default/disable_ipv6", v6},
		{"net/ipv6/conf/" ROUTER_UPLINK_IF "/disable_ipv6", v6},
		{"net/ipv6/conf/" ROUTER_GUEST_IF "/disable_ipv6", v6},
		{"net/ipv6/conf/" ROUTER_HOST_IF "/disable_ipv6", v6},
		{"net/ipv6/conf/" ROUTER_UPLINK_IF "/accept_ra", "2"},
		{"net/ipv6/conf/" ROUTER_UPLINK_IF "/autoconf", "1"},
		{"net/ipv6/conf/" ROUTER_GUEST_IF "/accept_ra", "0"},
		{"net/ipv6/conf/" ROUTER_HOST_IF "/accept_ra", "0"},
		{"net/ipv6/conf/" ROUTER_GUEST_IF "/accept_dad", "0"},
		{"net/ipv6/conf/" ROUTER_HOST_IF "/accept_dad", "0"},
		{"net/ipv4/conf/all/rp_filter", "0"},
		{"net/ipv4/conf/" ROUTER_UPLINK_IF "/rp_filter", "2"},
		{"net/ipv4/conf/" ROUTER_GUEST_IF "/rp_filter", "1"},
		{"net/ipv4/conf/" ROUTER_HOST_IF "/rp_filter", "1"},
		{"net/ipv4/ip_forward", "1"},
		{"net/ipv6/conf/all/forwarding", c->ipv6 ? "1" : "0"},
		/* Server mode answers ARP/NDP for guest addresses through exact proxy
		 * entries only; proxy_delay 0 answers at once instead of after ~400 ms. */
		{"net/ipv4/neigh/" ROUTER_UPLINK_IF "/proxy_delay", "0"},
		{"net/ipv6/neigh/" ROUTER_UPLINK_IF "/proxy_delay", "0"},
		{"net/ipv6/conf/all/proxy_ndp", server},
		{"net/ipv6/conf/" ROUTER_UPLINK_IF "/proxy_ndp", server},
	};

	for (size_t i = 0; i < ARRAY_SIZE(ctl); i++) {
		/* attach = routed: the router has no eth0 of its own. */
		if (c->attach == ATTACH_ROUTED && strstr(ctl[i].key, "/" ROUTER_UPLINK_IF "/"))
			continue;
		r = sysctl_ensure(ctl[i].key, ctl[i].val);
		/* With IPv6 disabled the per-interface IPv6 keys may not exist. */
		if (r == -ENOENT && !c->ipv6 && strstr(ctl[i].key, "ipv6"))
			continue;
		if (r < 0)
			return fail(e, r, "router sysctl %s: %s", ctl[i].key, strerror(-r));
	}
	r = nlk_open(&nl);
	if (r < 0)
		return fail(e, r, "netlink in the router: %s", strerror(-r));
	gi = nlk_ifindex(nl, ROUTER_GUEST_IF);
	hi = nlk_ifindex(nl, ROUTER_HOST_IF);
	if (gi < 0 || hi < 0) {
		r = gi < 0 ? gi : hi;
		fail(e, r, "router links: %s", strerror(-r));
		goto out;
	}
	r = nlk_addr_ensure(nl, gi, AF_INET, &g4, c->guest_subnet.plen);
	if (r == 0)
		r = nlk_addr_ensure(nl, hi, AF_INET, &h4, c->host_subnet.plen);
	if (r == 0 && c->ipv6)
		r = nlk_addr_ensure(nl, gi, AF_INET6, &g6, c->guest_prefix.plen);
	if (r == 0 && c->ipv6)
		r = nlk_addr_ensure(nl, hi, AF_INET6, &h6, c->host_prefix.plen);
	if (r < 0) {
		fail(e, r, "router addresses: %s", nlk_strerror(r));
		goto out;
	}
	r = nlk_link_up(nl, "lo", 0);
	if (r == 0 && c->attach == ATTACH_MACVLAN)
		r = nlk_link_up(nl, ROUTER_UPLINK_IF, 0);
	if (r == 0)
		r = nlk_link_up(nl, ROUTER_GUEST_IF, 0);
	if (r == 0)
		r = nlk_link_up(nl, ROUTER_HOST_IF, 0);
	if (r < 0) {
		fail(e, r, "router links up: %s", nlk_strerror(r));
		goto out;
	}
	if (r == 0 && c->attach == ATTACH_ROUTED) {
		/* The way out is the host. */
		struct in_addr any4 = {0}, host4 = conf_hostlink_host_ip4(c);
		struct in6_addr any6 = IN6ADDR_ANY_INIT, host6;

		conf_hostlink_host_ip6(c, &host6);
		r = nlk_route_replace(nl, AF_INET, &any4, 0, &host4, hi);
		if (r == 0 && c->ipv6)
			r = nlk_route_replace(nl, AF_INET6, &any6, 0, &host6, hi);
		if (r < 0) {
			fail(e, r, "router default route via the host: %s", nlk_strerror(r));
			goto out;
		}
	}
	r = tx_csum_off(ROUTER_GUEST_IF);
	if (r < 0 && r != -EOPNOTSUPP) {
		fail(e, r, "checksum offload of the router's %s: %s", ROUTER_GUEST_IF,
		     strerror(-r));
		goto out;
	}
	r = render_ruleset(c, reg, &rules);
	if (r < 0) {
		fail(e, r, "rendering the ruleset: %s", strerror(-r));
		goto out;
	}
	r = nftx_apply(rules, nfterr, sizeof(nfterr));
	if (r < 0)
		fail(e, r, "loading the router ruleset: %s", nfterr);
out:
	nlk_close(nl);
	return r;
}

/*
 * Server mode, inside the router's netns: learn the LAN's /64 from the
 * uplink's SLAAC address (ipv6_prefix = auto), then publish every guest that
 * owns LAN addresses. In desktop mode the same call withdraws them.
 */
/* ipv6_prefix = auto: the /64 of the first global SLAAC address on @ifname. */
static void learn_prefix(struct nlk *nl, const char *ifname, struct conf *c, long deadline)
{
	int up = nlk_ifindex(nl, ifname), r;
	struct in6_addr a;
	uint8_t plen = 0;

	if (c->mode != MODE_SERVER || !c->ipv6 || !c->server_prefix_auto || up < 0)
		return;
	/* SLAAC on the LAN takes one RA: poll for it, bounded. */
	while ((r = nlk_addr_first_global(nl, up, AF_INET6, &a, &plen)) == -ENOENT &&
	       now_ms() < deadline)
		poll(NULL, 0, 10);
	if (r == 0 && plen == 64) {
		c->server_prefix.plen = 64;
		memset(&c->server_prefix.addr, 0, sizeof(c->server_prefix.addr));
		memcpy(&c->server_prefix.addr, &a, 8);
	} else {
		log_info("no IPv6 prefix learned on %s: guests get no LAN IPv6", ifname);
	}
}

static int router_publish(struct conf *c, const struct registry *reg, long deadline,
			  struct errmsg *e)
{
	struct nlk *nl = NULL;
	int r;

	r = nlk_open(&nl);
	if (r < 0)
		return fail(e, r, "netlink in the router: %s", strerror(-r));
	if (c->attach == ATTACH_MACVLAN)
		learn_prefix(nl, ROUTER_UPLINK_IF, c, deadline);
	r = 0;
	for (size_t i = 0; i < reg->n_guests && r == 0; i++)
		r = publish_apply(nl, c, &reg->guests[i], false);
	nlk_close(nl);
	return r < 0 ? fail(e, r, "publishing guests on the uplink: %s", nlk_strerror(r)) : 0;
}

/* Open the FIFO the router's init is blocked on: then it starts its daemons. */
static int release_router(const struct paths *p, long deadline)
{
	char path[PATH_MAX];

	if (pathf(path, sizeof(path), "%s/lxtg/run/go", p->rootfs) < 0)
		return -ENAMETOOLONG;
	for (;;) {
		/* lxtg/run is writable by the router: only its own FIFO, never a
		 * symlink or a file put there instead, is written to. */
		int fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
		struct stat st;

		if (fd >= 0) {
			ssize_t n = -1;

			if (fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode))
				n = write(fd, "go\n", 3);
			close(fd);
			return n == 3 ? 0 : -EIO;
		}
		/* ENXIO: no reader yet; init opens it within milliseconds of start. */
		if (errno != ENXIO)
			return -errno;
		if (now_ms() > deadline)
			return -ETIMEDOUT;
		poll(NULL, 0, 2);
	}
}

/* One DNS query for the router's own name; 1 if dnsmasq answered. */
static int dns_probe(struct in_addr server, const char *name, const char *domain)
{
	uint8_t q[512], a[512];
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(53), .sin_addr = server};
	size_t len = 12;
	_cleanup_close_ int fd = -1;
	struct pollfd pfd;
	char fqdn[320];
	uint16_t id = (uint16_t)(now_ms() & 0xffff);

	snprintf(fqdn, sizeof(fqdn), "%s.%s", name, domain);
	memset(q, 0, 12);
	q[0] = (uint8_t)(id >> 8);
	q[1] = (uint8_t)id;
	q[2] = 0x01; /* RD */
	q[5] = 1;    /* QDCOUNT */
	for (char *lab = fqdn, *dot; lab && *lab; lab = dot ? dot + 1 : NULL) {
		size_t l;

		dot = strchr(lab, '.');
		l = dot ? (size_t)(dot - lab) : strlen(lab);
		if (l > 63 || len + l + 6 > sizeof(q))
			return -EINVAL;
		q[len++] = (uint8_t)l;
		memcpy(q + len, lab, l);
		len += l;
	}
	q[len++] = 0;
	q[len++] = 0;
	q[len++] = 1; /* A */
	q[len++] = 0;
	q[len++] = 1; /* IN */
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (sendto(fd, q, len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return 0;
	pfd.fd = fd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 50) <= 0)
		return 0;
	if (recv(fd, a, sizeof(a), 0) < 12)
		return 0;
	return a[0] == q[0] && a[1] == q[1] && (a[2] & 0x80);
}

static int wait_ready(const struct paths *p, const struct conf *c, pid_t init, long deadline,
		      struct errmsg *e)
{
	bool dns = false, ra = !c->ipv6;
	char bound[PATH_MAX];
	long lease_deadline = now_ms() + UPLINK_LEASE_MS;
	struct stat st;

	/* The first uplink lease may restart dnsmasq once (the LAN's domain goes into
	 * its rebind exemption): let that happen before saying "ready". A LAN without
	 * DHCP only costs UPLINK_LEASE_MS. */
	if (c->attach == ATTACH_MACVLAN &&
	    pathf(bound, sizeof(bound), "%s/lxtg/run/uplink.bound", p->rootfs) == 0) {
		while (stat(bound, &st) < 0 && now_ms() < lease_deadline)
			poll(NULL, 0, 5);
		if (stat(bound, &st) < 0)
			log_info("no DHCP lease on the uplink yet; the router keeps asking");
	}

	while (!dns || !ra) {
		if (!dns)
			dns = dns_probe(conf_hostlink_router_ip4(c), c->router, c->domain) > 0;
		if (!ra)
			ra = router_find_proc(init, "radvd") > 0;
		if (dns && ra)
			break;
		if (now_ms() > deadline)
			return fail(e, -ETIMEDOUT, "router not ready after %d ms: %s",
				    READY_TIMEOUT_MS,
				    !dns ? "dnsmasq does not answer" : "radvd is not running");
		if (dns)
			poll(NULL, 0, 5);
	}
	return 0;
}

/* A daemon whose config changed under a running router: init respawns it. */
static void restart_daemon(pid_t init, const char *comm)
{
	pid_t pid = router_find_proc(init, comm);

	if (pid > 0)
		kill(pid, SIGTERM);
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

int router_up(const struct paths *p, const struct conf *c, struct errmsg *e)
{
	_cleanup_free_ char *radvd = NULL;
	struct conf cc = *c;
	struct router_facts f;
	struct build_result br = {0};
	struct registry reg = {0};
	struct lxcw_info info;
	struct nlk *nl = NULL;
	long deadline = now_ms() + READY_TIMEOUT_MS;
	char log[PATH_MAX];
	bool started = false;
	int r, saved = -1;

	r = nlk_open(&nl);
	if (r < 0)
		return fail(e, r, "netlink: %s", strerror(-r));
	r = resolve_facts(p, c, nl, &f, e);
	if (r == 0)
		r = preflight(p, c, nl, e);
	if (r < 0)
		goto out;
	r = registry_load(p->state, &reg);
	if (r < 0) {
		fail(e, r, "reading the guest registry in %s: %s", p->state, strerror(-r));
		goto out;
	}
	fault_point("up: before rootfs");
	r = build_rootfs(p, c, &f, &reg, &br, e);
	if (r == 0)
		r = host_bridge_nf(p, c, e);
	if (r == 0)
		r = host_links(p, c, &f, nl, e);
	if (r == 0)
		r = host_guards(c, &reg, nl, e);
	if (r < 0)
		goto out;
	fault_point("up: before router start");
	r = lxcw_info(p->lxcpath, c->router, false, &info);
	if (r < 0) {
		fail(e, r, "router state: %s", strerror(-r));
		goto out;
	}
	if (info.running && (br.lxc_changed || br.inittab_changed)) {
		/* Links or daemons changed shape: only a restart applies that. */
		log_info("restarting the router to apply the new configuration");
		r = lxcw_stop(p->lxcpath, c->router);
		if (r < 0) {
			fail(e, r, "stopping the router: %s", strerror(-r));
			goto out;
		}
		info.running = false;
	}
	if (!info.running) {
		pathf(log, sizeof(log), "%s/lxc.log", p->router);
		r = lxcw_start(p->lxcpath, c->router, log);
		if (r < 0) {
			fail(e, r, "starting the router container %s: %s (see %s)", c->router,
			     strerror(-r), log);
			goto out;
		}
		started = true;
		r = lxcw_info(p->lxcpath, c->router, false, &info);
		if (r < 0 || !info.pid) {
			r = r < 0 ? r : -ESRCH;
			fail(e, r, "router %s died right after start (see %s)", c->router, log);
			goto out;
		}
	}
	fault_point("up: router started");
	r = router_ports(c, &f, nl, e);
	if (r == 0 && c->attach == ATTACH_ROUTED) {
		learn_prefix(nl, c->uplink, &cc, deadline);
		r = host_routed(p, &cc, &reg, nl, e);
		if (r == 0 && c->upstream_auto)
			r = copy_host_resolvers(p, e);
	} else if (r == 0 && host_table_exists()) {
		host_routed_undo(p, c, nl); /* switched back to macvlan attach */
	}
	if (r < 0)
		goto out;
	r = netns_enter_pid(info.pid, &saved);
	if (r < 0) {
		fail(e, r, "entering the router's network namespace: %s", strerror(-r));
		goto out;
	}
	r = router_inside(&cc, &reg, e);
	if (r == 0)
		r = router_publish(&cc, &reg, deadline, e);
	netns_leave(saved);
	if (r < 0)
		goto out;
	fault_point("up: router configured");
	/* radvd advertises the LAN prefix in server mode: known only now. */
	r = render_radvd(&cc, f.mtu, &radvd);
	if (r < 0) {
		fail(e, r, "rendering radvd.conf: %s", strerror(-r));
		goto out;
	}
	r = write_rootfs_file(p, "etc/lxtg/radvd.conf", radvd, 0644, &br.radvd_changed, e);
	if (r == 0)
		r = runtime_save(p, &cc, info.pid, lxc_stamp(p, c));
	if (r < 0)
		goto out;
	if (!started) {
		if (br.dnsmasq_changed)
			restart_daemon(info.pid, "dnsmasq");
		if (br.radvd_changed)
			restart_daemon(info.pid, "radvd");
	}
	fault_point("up: before release");
	/* A router restarted behind our back waits on the FIFO too: release it. */
	r = release_router(p, started ? deadline : 0);
	if (r == -ETIMEDOUT && !started)
		r = 0;
	if (r < 0) {
		fail(e, r, "releasing the router's init: %s", strerror(-r));
		goto out;
	}
	r = wait_ready(p, c, info.pid, deadline + UPLINK_LEASE_MS, e);
out:
	registry_free(&reg);
	nlk_close(nl);
	return r;
}

int router_down(const struct paths *p, const struct conf *c, struct errmsg *e)
{
	_cleanup_free_ char *owned = NULL;
	char path[PATH_MAX];
	struct nlk *nl = NULL;
	size_t len;
	int r, ours;

	ours = router_is_ours(p);
	if (ours < 0)
		return fail(e, ours, "%s: %s", p->ct_config, strerror(-ours));

	if (ours) {
		r = lxcw_stop(p->lxcpath, c->router);
		if (r < 0)
			return fail(e, r, "stopping the router: %s", strerror(-r));
		r = rm_rf(p->ct_dir);
		if (r < 0)
			return fail(e, r, "removing %s: %s", p->ct_dir, strerror(-r));
	}
	r = rm_rf(p->router);
	if (r < 0)
		return fail(e, r, "removing %s: %s", p->router, strerror(-r));
	r = nftx_apply("table bridge lxctogo {}\ndelete table bridge lxctogo\n", path,
		       sizeof(path));
	if (r < 0)
		return fail(e, r, "removing the guest guards: %s", path);
	r = nlk_open(&nl);
	if (r < 0)
		return fail(e, r, "netlink: %s", strerror(-r));
	/* Whatever the config says now: the host table, proxies and every recorded sysctl. */
	host_routed_undo(p, c, nl);
	hsys_restore(p, NULL);
	/* Addresses and routes on the bridges go with them. */
	r = owned_path(p, path, sizeof(path));
	if (r == 0)
		r = read_file(path, &owned, &len);
	if (r == -ENOENT)
		r = 0;
	for (char *l = owned, *nl_end; r == 0 && l && *l; l = nl_end + 1) {
		nl_end = strchr(l, '\n');
		if (!nl_end)
			break;
		*nl_end = '\0';
		r = nlk_link_del(nl, l);
		if (r < 0)
			fail(e, r, "removing %s: %s", l, nlk_strerror(r));
	}
	if (r == 0 && unlink(path) < 0 && errno != ENOENT)
		r = fail(e, -errno, "removing %s: %s", path, strerror(errno));
	nlk_close(nl);
	return r;
}
