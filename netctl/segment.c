// SPDX-License-Identifier: BSD-2-Clause
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include "elems.h"
#include "fault.h"
#include "fsutil.h"
#include "netns.h"
#include "runtime.h"
#include "segment.h"
#include "sysctl.h"
#include "util.h"

/* STATE/router/holder: "PID START\n", START as proc_start_time() gives it. */
static int holder_file(const struct paths *p, char *buf, size_t size)
{
	return pathf(buf, size, "%s/holder", p->router);
}

pid_t segment_holder(const struct paths *p)
{
	_cleanup_free_ char *text = NULL;
	unsigned long long start;
	char path[PATH_MAX], end;
	long long pid;
	size_t len;

	if (holder_file(p, path, sizeof(path)) < 0 || read_regular_file(path, &text, &len) < 0)
		return 0;
	if (sscanf(text, "%lld %llu%c", &pid, &start, &end) != 3 || end != '\n' || pid <= 1 ||
	    pid > INT_MAX || !start)
		return 0;
	return proc_start_time((pid_t)pid) == start ? (pid_t)pid : 0;
}

uint32_t segment_idmap_of(pid_t pid)
{
	_cleanup_free_ char *text = NULL;
	unsigned long long in, out, count;
	char path[64], end;
	size_t len;

	snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)pid);
	if (read_regular_file(path, &text, &len) < 0)
		return SEGMENT_IDMAP_UNKNOWN;
	/* The whole map is one line: "0 0 4294967295" (no user namespace of its own)
	 * or "0 FIRST 65536" (one made by segment_hold). */
	if (sscanf(text, "%llu %llu %llu%c", &in, &out, &count, &end) != 4 || end != '\n' ||
	    text[strcspn(text, "\n") + 1] || in != 0)
		return SEGMENT_IDMAP_UNKNOWN;
	if (out == 0 && count == 4294967295ull)
		return 0;
	if (out && out <= UINT32_MAX && count == ROUTER_IDMAP_COUNT)
		return (uint32_t)out;
	return SEGMENT_IDMAP_UNKNOWN;
}

/* Write @pid's uid_map and gid_map: root inside is @first outside. 0 or -errno. */
static int write_idmap(pid_t pid, uint32_t first)
{
	static const char *const files[] = {"uid_map", "gid_map"};
	char path[64], line[64];
	int len = snprintf(line, sizeof(line), "0 %u %u\n", first, ROUTER_IDMAP_COUNT);

	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		_cleanup_close_ int fd = -1;

		snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, files[i]);
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		/* One write: the kernel takes the map whole or not at all. */
		if (write(fd, line, (size_t)len) != len)
			return errno ? -errno : -EIO;
	}
	return 0;
}

/* Become root of the user namespace just joined or mapped (no other group). */
static int become_root(void)
{
	return setresgid(0, 0, 0) < 0 || setgroups(0, NULL) < 0 || setresuid(0, 0, 0) < 0 ? -1 : 0;
}

/*
 * The child: a session of its own, no terminal, the namespaces, then
 * lxtg-init hold. With a user namespace (@idmap) it is made first, the parent
 * writes its map (a byte on @syncfd[0] asks, one on @syncfd[1] answers), and
 * the network namespace is made inside it, so that root inside the router
 * (that user namespace's root) administers the router's network and nothing
 * else. When joining a running router, its user namespace is joined first.
 * An errno goes back on @errfd.
 */
static void holder_child(const struct paths *p, int joinnet, int joinuser, bool idmap,
			 const int syncfd[2], const int parent_ends[3], int errfd)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC), err = 0;
	char b = 0;

	/* Only the parent may hold these: a parent gone means EOF here, not a hang. */
	for (int i = 0; i < 3; i++)
		close(parent_ends[i]);
	setsid();
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
	}
	if (joinnet >= 0) {
		if ((joinuser >= 0 && (setns(joinuser, CLONE_NEWUSER) < 0 || become_root() < 0)) ||
		    setns(joinnet, CLONE_NEWNET) < 0)
			err = errno;
	} else if (idmap) {
		if (unshare(CLONE_NEWUSER) < 0 || write(syncfd[1], &b, 1) != 1 ||
		    read(syncfd[0], &b, 1) != 1 || become_root() < 0 || unshare(CLONE_NEWNET) < 0)
			err = errno ? errno : EIO;
	} else if (unshare(CLONE_NEWNET) < 0) {
		err = errno;
	}
	if (!err) {
		execl(p->self, "lxtg-init", "hold", p->state, (char *)NULL);
		err = -errno; /* negative: the namespaces were made, exec failed */
	}
	if (write(errfd, &err, sizeof(err)) < 0)
		_exit(126);
	_exit(127);
}

static int open_ns(pid_t pid, const char *ns, struct errmsg *e)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail(e, -errno, "the router's namespace (%s): %s", path, strerror(errno));
	return fd;
}

/* In the parent: answer the child's request for its map. 0, or -errno (the child is told). */
static int map_child(pid_t pid, uint32_t idmap, const int syncfd[2])
{
	struct sigaction ign = {.sa_handler = SIG_IGN}, old;
	ssize_t n;
	char b = 0;
	int r;

	do
		n = read(syncfd[0], &b, 1);
	while (n < 0 && errno == EINTR);
	if (n == 0)
		return 0; /* the child failed before it asked: its errno follows */
	if (n < 0)
		return -errno;
	r = write_idmap(pid, idmap);
	/* A child gone meanwhile is an EPIPE here, not a SIGPIPE that kills `up`. */
	sigaction(SIGPIPE, &ign, &old);
	if (r == 0 && write(syncfd[1], &b, 1) != 1)
		r = -errno;
	sigaction(SIGPIPE, &old, NULL);
	return r;
}

int segment_userns_check(void)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0)
		_exit(unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0 ? errno : 0); /* errno < 256 */
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0
	       : WIFEXITED(status)			      ? -WEXITSTATUS(status)
							      : -ECHILD;
}

int segment_hold(const struct paths *p, pid_t join, uint32_t idmap, pid_t *ret,
		 struct errmsg *e)
{
	_cleanup_close_ int joinnet = -1, joinuser = -1;
	char path[PATH_MAX], line[64];
	int pfd[2] = {-1, -1}, up[2] = {-1, -1}, down[2] = {-1, -1}, err = 0, r = 0;
	ssize_t n;
	pid_t pid = segment_holder(p);

	if (pid) {
		*ret = pid;
		return 0;
	}
	if (join > 0) {
		joinnet = open_ns(join, "net", e);
		if (joinnet < 0)
			return joinnet;
		if (idmap) {
			joinuser = open_ns(join, "user", e);
			if (joinuser < 0)
				return joinuser;
		}
	}
	if (mkdir_p(p->router, 0700) < 0 || holder_file(p, path, sizeof(path)) < 0)
		return fail(e, -EIO, "cannot create %s", p->router);
	/* up: child -> parent, down: parent -> child. */
	if (pipe2(pfd, O_CLOEXEC) < 0 || pipe2(up, O_CLOEXEC) < 0 || pipe2(down, O_CLOEXEC) < 0) {
		r = -errno;
		goto out_pipes;
	}
	pid = fork();
	if (pid < 0) {
		r = -errno;
		goto out_pipes;
	}
	if (pid == 0)
		holder_child(p, joinnet, joinuser, idmap, (int[2]){down[0], up[1]},
			     (int[3]){up[0], down[1], pfd[0]}, pfd[1]);
	close(pfd[1]);
	close(up[1]);
	close(down[0]);
	up[1] = down[0] = -1;
	if (idmap && join <= 0) {
		r = map_child(pid, idmap, (int[2]){up[0], down[1]});
		if (r < 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			close(pfd[0]);
			fail(e, r, "mapping the router's user namespace to host ids %u-%u: %s", idmap,
			     idmap + (ROUTER_IDMAP_COUNT - 1), strerror(-r));
			goto out_sync;
		}
	}
	/* The pipe closes on exec: no bytes means lxtg-init runs. */
	do
		n = read(pfd[0], &err, sizeof(err));
	while (n < 0 && errno == EINTR);
	close(pfd[0]);
	if (n > 0) {
		bool made = err < 0, fresh = idmap && join <= 0;

		waitpid(pid, NULL, 0);
		err = made ? -err : err;
		if (made)
			r = fail(e, -err, "starting the namespace holder %s: %s", p->self,
				 strerror(err));
		else
			r = fail(e, -err, "%s the router's namespaces for its holder: %s%s",
				 join > 0 ? "joining" : "making", strerror(err),
				 fresh ? " (a user namespace: see /proc/sys/user/max_user_namespaces; "
					 "router_idmap = off runs the router without one)"
				       : "");
		goto out_sync;
	}
	snprintf(line, sizeof(line), "%d %llu\n", (int)pid, proc_start_time(pid));
	r = write_file_atomic(path, line, strlen(line), 0644);
	if (r < 0) {
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
		r = fail(e, r, "recording the namespace holder in %s: %s", path, strerror(-r));
		goto out_sync;
	}
	*ret = pid;
out_sync:
	close(up[0]);
	close(down[1]);
	return r;
out_pipes:
	for (int i = 0; i < 2; i++) {
		if (pfd[i] >= 0)
			close(pfd[i]);
		if (up[i] >= 0)
			close(up[i]);
		if (down[i] >= 0)
			close(down[i]);
	}
	return fail(e, r, "starting the namespace holder: %s", strerror(-r));
}

pid_t segment_netns_pid(const struct paths *p, const struct conf *c)
{
	pid_t pid = segment_holder(p);

	return pid ? pid : runtime_router_pid(p, c);
}

void segment_release(const struct paths *p)
{
	unsigned long long start;
	char path[PATH_MAX];
	pid_t pid = segment_holder(p);
	int saved = -1;

	/* The router's links go now, not whenever the kernel gets to the namespace. */
	if (pid && netns_enter_pid(pid, &saved) == 0) {
		struct nlk *seg = NULL;

		if (nlk_open(&seg) == 0) {
			nlk_link_del(seg, ROUTER_UPLINK_IF);
			nlk_link_del(seg, ROUTER_HOST_IF);
		}
		nlk_close(seg);
		netns_leave(saved);
	}
	start = pid ? proc_start_time(pid) : 0;
	if (start) { /* 0: gone (or a zombie) already */
		kill(pid, SIGTERM);
		for (int i = 0; i < 200 && proc_start_time(pid) == start; i++) {
			struct timespec ts = {0, 10 * 1000 * 1000};

			waitpid(pid, NULL, WNOHANG); /* our child when `up` started it */
			nanosleep(&ts, NULL);
		}
	}
	if (holder_file(p, path, sizeof(path)) == 0)
		unlink(path);
}

int segment_enter(const struct paths *p, int *saved)
{
	pid_t pid = segment_holder(p);

	return pid ? netns_enter_pid(pid, saved) : -ESRCH;
}

/* Inside the segment: lo, the guest bridge, the router's side of its links. */
static int inside_bridge(struct nlk *seg, const struct router_facts *f, struct errmsg *e)
{
	int r = nlk_link_up(seg, "lo", 0);

	if (r < 0)
		return fail(e, r, "lo in the router: %s", nlk_strerror(seg, r));
	r = nlk_bridge_ensure(seg, ROUTER_GUEST_IF, f->mtu, f->mac_guest);
	if (r == -EEXIST)
		return fail(e, r, "%s in the router exists and is not a bridge", ROUTER_GUEST_IF);
	if (r < 0)
		return fail(e, r, "the guest bridge %s: %s", ROUTER_GUEST_IF, nlk_strerror(seg, r));
	return r; /* 1: made anew */
}

/* Move @tmp (made in the host) into the segment @nsfd as @inner; deleted if that fails. */
static int link_into(struct nlk *host, int nsfd, const char *tmp, const char *inner,
		     struct errmsg *e)
{
	int r = nlk_link_move(host, tmp, nsfd, inner);

	if (r < 0) {
		fail(e, r, "moving %s into the router as %s: %s", tmp, inner, nlk_strerror(host, r));
		nlk_link_del(host, tmp);
	}
	return r;
}

int segment_links(const struct paths *p, const struct conf *c, const struct router_facts *f,
		  pid_t holder, struct nlk *host, bool renew, struct errmsg *e)
{
	struct nlk *seg = NULL;
	_cleanup_close_ int nsfd = -1;
	char path[64], tmp[IFNAMSIZ];
	int r, saved = -1;
	bool has_eth0 = false, has_eth2 = false, bridge_new = false;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)holder);
	nsfd = open(path, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0)
		return fail(e, -errno, "the router's namespace (%s): %s", path, strerror(errno));
	r = netns_enter_fd(nsfd, &saved);
	if (r < 0)
		return fail(e, r, "entering the router's namespace: %s", strerror(-r));
	r = nlk_open(&seg);
	if (r < 0)
		fail(e, r, "netlink in the router's namespace: %s", strerror(-r));
	else
		r = inside_bridge(seg, f, e);
	if (r == 1) {
		bridge_new = true;
		r = 0;
	}
	if (r == 0 && renew) {
		nlk_link_del(seg, ROUTER_UPLINK_IF);
		nlk_link_del(seg, ROUTER_HOST_IF); /* its host end goes with it */
	}
	if (r == 0 && c->attach == ATTACH_ROUTED)
		nlk_link_del(seg, ROUTER_UPLINK_IF); /* a switch from macvlan attach */
	if (r == 0) {
		has_eth0 = nlk_ifindex(seg, ROUTER_UPLINK_IF) > 0;
		has_eth2 = nlk_ifindex(seg, ROUTER_HOST_IF) > 0;
	}
	nlk_close(seg);
	netns_leave(saved);
	if (r < 0)
		return r;

	snprintf(tmp, sizeof(tmp), "lxtgn%u", (unsigned)getpid() % 100000000u);
	if (!has_eth2) {
		fault_point("up: router links");
		nlk_link_del(host, f->veth_host); /* a stale end whose router side died */
		r = state_owned_links_add(p->state, f->veth_host);
		if (r < 0)
			return fail(e, r, "recording %s: %s", f->veth_host, strerror(-r));
		r = nlk_veth_add(host, f->veth_host, tmp, f->mtu);
		if (r == 0)
			r = nlk_link_set_mac(host, tmp, f->mac_host);
		if (r < 0) {
			nlk_link_del(host, tmp);
			return fail(e, r, "creating %s: %s", f->veth_host, nlk_strerror(host, r));
		}
		r = link_into(host, nsfd, tmp, ROUTER_HOST_IF, e);
		if (r < 0) {
			nlk_link_del(host, f->veth_host);
			return r;
		}
	}
	if (!has_eth0 && c->attach != ATTACH_ROUTED) {
		r = nlk_macvlan_add_in(host, tmp, f->uplink, -1);
		if (r == 0)
			r = nlk_link_set_mac(host, tmp, f->mac_uplink);
		/* The MTU needs the link up once; the move takes it down again. */
		if (r == 0)
			r = nlk_link_up(host, tmp, f->mtu);
		if (r < 0) {
			nlk_link_del(host, tmp);
			return fail(e, r, "a macvlan on %s: %s", f->uplink, nlk_strerror(host, r));
		}
		r = link_into(host, nsfd, tmp, ROUTER_UPLINK_IF, e);
		if (r < 0)
			return r;
	}
	return bridge_new;
}

/* The port's fast path (nlk_port_fastpath), in the segment; a failure costs only the shortcut. */
static void port_fastpath(struct nlk *seg, const char *port, const struct guest *g)
{
	int r = nlk_port_fastpath(seg, port, ROUTER_GUEST_IF, g ? g->mac : NULL, g ? &g->ip4 : NULL);

	if (r < 0)
		fprintf(stderr, "lxctogo-net: warning: %s: no fast path past the guest bridge (%s); "
				"its frames take the bridge\n", port, nlk_strerror(seg, r));
}

int segment_plug(pid_t holder, struct nlk *host, const char *port, const struct guest *g,
		 struct errmsg *e)
{
	struct nlk *seg = NULL;
	_cleanup_close_ int nsfd = -1;
	char path[64];
	int r, saved = -1;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)holder);
	nsfd = open(path, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0)
		return fail(e, -errno, "the router's namespace (%s): %s", path, strerror(errno));
	r = nlk_link_move(host, port, nsfd, NULL);
	if (r < 0 && r != -ENODEV)
		return fail(e, r, "moving %s into the router: %s", port, nlk_strerror(host, r));
	r = netns_enter_fd(nsfd, &saved);
	if (r < 0)
		return fail(e, r, "entering the router's namespace: %s", strerror(-r));
	r = nlk_open(&seg);
	/* No IPv6 of its own: the port only carries the guest's frames. */
	if (r == 0)
		r = sysctl_ensuref("1", "net/ipv6/conf/%s/disable_ipv6", port);
	if (r == 0)
		r = nlk_link_set_master(seg, port, ROUTER_GUEST_IF);
	if (r == 0)
		port_fastpath(seg, port, g);
	if (r == 0)
		r = nlk_link_up(seg, port, 0);
	if (r < 0) {
		fail(e, r, "putting %s on the guest bridge: %s", port, nlk_strerror(seg, r));
		/* Back to the host, where `up` finds it, rather than lost with the namespace. */
		if (seg && nlk_ifindex(seg, port) > 0)
			nlk_link_move(seg, port, saved, NULL);
	}
	nlk_close(seg);
	netns_leave(saved);
	return r;
}

int segment_plug_all(pid_t holder, struct nlk *host, const struct registry *reg,
		     struct errmsg *e)
{
	struct nlk *seg = NULL;
	int r = 0, saved = -1;

	for (size_t i = 0; i < reg->n_guests; i++) {
		char port[IFNAMSIZ];

		if (guest_port_name(reg->guests[i].name, port) < 0 || nlk_ifindex(host, port) < 0)
			continue;
		r = segment_plug(holder, host, port, &reg->guests[i], e);
		if (r < 0)
			return r;
	}
	/* Ports in the segment that lost their bridge (deleted and made anew). */
	r = netns_enter_pid(holder, &saved);
	if (r < 0)
		return fail(e, r, "entering the router's namespace: %s", strerror(-r));
	r = nlk_open(&seg);
	for (size_t i = 0; i < reg->n_guests && r == 0; i++) {
		char port[IFNAMSIZ];

		if (guest_port_name(reg->guests[i].name, port) < 0 || nlk_ifindex(seg, port) < 0)
			continue;
		r = nlk_link_set_master(seg, port, ROUTER_GUEST_IF);
		if (r == 0)
			port_fastpath(seg, port, &reg->guests[i]);
		if (r == 0)
			r = nlk_link_up(seg, port, 0);
		if (r < 0)
			fail(e, r, "putting %s on the guest bridge: %s", port, nlk_strerror(seg, r));
	}
	if (!seg)
		fail(e, r, "netlink in the router's namespace: %s", strerror(-r));
	nlk_close(seg);
	netns_leave(saved);
	return r;
}

void segment_park(pid_t holder, const struct registry *reg)
{
	struct nlk *seg = NULL;
	int saved = -1;

	if (!holder || netns_enter_pid(holder, &saved) < 0)
		return;
	if (nlk_open(&seg) == 0)
		for (size_t i = 0; i < reg->n_guests; i++) {
			char port[IFNAMSIZ];

			if (guest_port_name(reg->guests[i].name, port) == 0 &&
			    nlk_ifindex(seg, port) > 0)
				nlk_link_move(seg, port, saved, NULL);
		}
	nlk_close(seg);
	netns_leave(saved);
}
