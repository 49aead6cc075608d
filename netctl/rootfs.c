// SPDX-License-Identifier: BSD-2-Clause
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "addr.h"
#include "autoconfig.h"
#include "birdctl.h"
#include "fault.h"
#include "fsutil.h"
#include "render.h"
#include "rootfs.h"
#include "templates.h"
#include "util.h"

int rootfs_write_file(const struct paths *p, const char *rel, const char *data, mode_t mode,
		      bool *changed, struct errmsg *e)
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

int rootfs_guest_dns(const struct paths *p, const struct conf *c, const struct guest *g, bool del,
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

/* Directories deeper than this below lxtg/run or lxtg/state are left as they are. */
#define HAND_OVER_DEPTH 8

/*
 * Hand directory @fd (taken over: closed here), and what is below it, to
 * host uid and gid @id. Nothing is followed: a symlink stays as it is, a
 * subdirectory is opened with O_NOFOLLOW below its parent's descriptor, and a
 * file with more than one link is left alone (a hard link the router made to
 * a file of the host, where protected_hardlinks is off, would hand that file
 * to the router).
 */
static int hand_over_dir(int fd, uid_t id, unsigned depth)
{
	struct dirent *de;
	struct stat st;
	DIR *d;

	if (fchown(fd, id, id) < 0 || !(d = fdopendir(fd))) {
		int r = -errno;

		close(fd);
		return r;
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISDIR(st.st_mode) && depth < HAND_OVER_DEPTH) {
			int sub = openat(dirfd(d), de->d_name,
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			if (sub >= 0)
				hand_over_dir(sub, id, depth + 1);
		} else if (!S_ISDIR(st.st_mode) && !S_ISLNK(st.st_mode) && st.st_nlink == 1 &&
			   (st.st_uid != id || st.st_gid != id)) {
			fchownat(dirfd(d), de->d_name, id, id, AT_SYMLINK_NOFOLLOW);
		}
	}
	closedir(d);
	return 0;
}

/*
 * The router writes only to lxtg/run and lxtg/state: they and what is in them
 * (subdirectories too) belong to root inside the router, which is host uid
 * @id (router_idmap; 0 when off, which also takes back what a router with a
 * user namespace left).
 */
static int hand_over(const struct paths *p, uid_t id, struct errmsg *e)
{
	static const char *const dirs[] = {"lxtg/run", "lxtg/state"};

	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		char dir[PATH_MAX];
		int fd, r;

		if (pathf(dir, sizeof(dir), "%s/%s", p->rootfs, dirs[i]) < 0)
			return fail(e, -ENAMETOOLONG, "%s: path too long", p->rootfs);
		fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return fail(e, -errno, "%s: %s", dir, strerror(errno));
		r = hand_over_dir(fd, id, 0);
		if (r < 0)
			return fail(e, r, "handing %s to the router: %s", dir, strerror(-r));
	}
	return 0;
}

/* Is every directory above @path searchable by host uid and gid @id? (The
 * first that is not goes into @bad.) */
static bool reachable_by(const char *path, uid_t id, char *bad, size_t size)
{
	char dir[PATH_MAX];
	struct stat st;

	if (strscpy(dir, sizeof(dir), path) < 0)
		return false;
	for (char *slash = strrchr(dir, '/'); slash; slash = strrchr(dir, '/')) {
		*slash = '\0';
		if (stat(*dir ? dir : "/", &st) < 0)
			continue; /* not there yet: made below by whoever needs it */
		mode_t want = st.st_uid == id ? S_IXUSR : st.st_gid == id ? S_IXGRP : S_IXOTH;

		if (!(st.st_mode & want)) {
			snprintf(bad, size, "%s (mode %04o, owner %u)", *dir ? dir : "/",
				 (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid);
			return false;
		}
	}
	return true;
}

int rootfs_reachable(const struct paths *p, const struct conf *c, struct errmsg *e)
{
	const char *const ours[] = {p->state, p->router};
	const char *const need[] = {p->rootfs, p->self, p->ndproxy};
	char bad[PATH_MAX + 64];
	uid_t id = c->router_idmap;

	/* Our own directories: the router's group may pass through (root
	 * inside the router has it), nobody else; with router_idmap = off they
	 * are root's alone again. A mode set by hand is left as it is. */
	for (size_t i = 0; i < ARRAY_SIZE(ours); i++) {
		struct stat st;
		int r = mkdir_p(ours[i], 0700);

		if (r < 0)
			return fail(e, r, "creating %s: %s", ours[i], strerror(-r));
		if (lstat(ours[i], &st) < 0 || !S_ISDIR(st.st_mode))
			return fail(e, -ENOTDIR, "%s: not a directory", ours[i]);
		mode_t mode = st.st_mode & 07777;
		/* 0711: what development versions of this set. */
		bool ours_before = (mode == 0700 || mode == 0710 || mode == 0711) && st.st_uid == 0;

		if (id && ours_before && (st.st_gid != id || mode != 0710) &&
		    (chown(ours[i], 0, id) < 0 || chmod(ours[i], 0710) < 0))
			return fail(e, -errno, "%s: %s", ours[i], strerror(errno));
		if (!id && ours_before && (st.st_gid || mode != 0700) &&
		    (chown(ours[i], 0, 0) < 0 || chmod(ours[i], 0700) < 0))
			return fail(e, -errno, "%s: %s", ours[i], strerror(errno));
	}
	if (!id)
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(need); i++)
		if (!reachable_by(need[i], id, bad, sizeof(bad)))
			return fail(e, -EACCES,
				    "the router runs as host uid %u (router_idmap) and cannot reach "
				    "%s through %s: make that directory searchable (chmod o+x) or "
				    "set router_idmap = off",
				    (unsigned)id, need[i], bad);
	return 0;
}

/* The lines of the router's lxc.conf that name the holder's PID. */
static size_t holder_line(const char *s)
{
	static const char *const keys[] = {"lxc.namespace.share.net = ",
					   "lxc.namespace.share.user = "};

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (strncmp(s, keys[i], strlen(keys[i])) == 0)
			return strcspn(s, "\n");
	return 0;
}

/*
 * @a and @b are equal but for the holder's lines. Those matter only when the
 * router starts: `up` gives a running router a new holder only in the
 * router's own namespaces (router.c: up_hold), so a new PID there alone is no
 * reason to restart it.
 */
static bool same_but_holder(const char *a, const char *b)
{
	for (;;) {
		a += holder_line(a);
		b += holder_line(b);
		size_t la = strcspn(a, "\n"), lb = strcspn(b, "\n");

		if (la != lb || memcmp(a, b, la) != 0)
			return false;
		a += la;
		b += lb;
		if (!*a || !*b)
			return !*a && !*b;
		a++;
		b++;
	}
}

int rootfs_build(const struct paths *p, const struct conf *c, const struct router_facts *f,
		 const struct registry *reg, struct rootfs_changes *br, struct errmsg *e)
{
	static const char *const dirs[] = {"dev",
					   "proc",
					   "sys",
					   "tmp",
					   "run",
					   "usr",
					   "etc/lxtg",
					   "lxtg/hosts",
					   "lxtg/dhcp-hosts",
					   "lxtg/state",
					   "lxtg/run",
					   "var"};
	/* Mirror the host's merged-/usr links so host binaries find their loader. */
	static const char *const links[][2] = {{"usr/bin", "bin"},
					       {"usr/sbin", "sbin"},
					       {"usr/lib", "lib"},
					       {"usr/lib64", "lib64"},
					       {"/run", "var/run"}};
	_cleanup_free_ char *lxcconf = NULL, *inittab = NULL, *dnsmasq = NULL, *udhcpc = NULL,
			    *bird = NULL;
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
	/* Made (or made anew) without following what the router may have put there. */
	r = rootfs_confdir(p, c->router_idmap);
	if (r < 0)
		return fail(e, r, "%s/lxtg/run/dnsmasq.d: %s", p->rootfs, strerror(-r));
	close(r);
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
		r = render_udhcpc_script(c, f->mtu, &udhcpc);
	if (r == 0)
		r = render_lxc_conf(c, f, &lxcconf);
	if (r == 0 && c->bgp)
		r = render_bird(c, &bird);
	if (r < 0)
		return fail(e, r, "rendering router files: %s", strerror(-r));
	/* BIRD's own parser has the last word, before anything is written. */
	if (c->bgp) {
		char err[512];

		if (pathf(path, sizeof(path), "%s/bird.conf.check", p->router) < 0)
			return fail(e, -ENAMETOOLONG, "%s: path too long", p->router);
		r = write_if_changed(path, bird, 0600);
		if (r >= 0)
			r = bird_check(path, err, sizeof(err));
		unlink(path);
		if (r == -EINVAL)
			return fail(e, r, "BIRD refuses the bird.conf made from [routing]: %s", err);
		if (r < 0)
			return fail(e, r, "running %s -p: %s", BIRD_PATH, strerror(-r));
	}
	if ((r = rootfs_write_file(p, "etc/inittab", inittab, 0644, &br->inittab_changed, e)) ||
	    /* Nothing restarts for a new event script: udhcpc runs it at its next
	     * event (a restarted udhcpc would flush eth0, and the proxy ARP entries
	     * with it). */
	    (r = rootfs_write_file(p, "etc/lxtg/udhcpc.script", udhcpc, 0755, NULL, e)) ||
	    (r = rootfs_write_file(p, "etc/lxtg/dnsmasq.conf", dnsmasq, 0644, &br->dnsmasq_changed,
				   e)) ||
	    /* The password stays between root and BIRD: group root inside the router. */
	    (c->bgp && (r = rootfs_write_file(p, "etc/lxtg/bird.conf", bird,
					      c->router_idmap ? 0640 : 0600, &br->bird_changed,
					      e))) ||
	    (r = rootfs_write_file(p, "etc/passwd",
				   "root:x:0:0:root:/:/bin/sh\n"
				   "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
				   0644, NULL, e)) ||
	    /* The mount point of lxtg-init: LXC cannot create it in a read-only rootfs. */
	    (r = rootfs_write_file(p, "lxtg/lxtg-init", "", 0755, NULL, e)) ||
	    (r = rootfs_write_file(p, "lxtg/lxtg-ndproxy", "", 0755, NULL, e)) ||
	    (r = rootfs_write_file(p, "etc/group", "root:x:0:\nnogroup:x:65534:\n", 0644, NULL,
				   e)) ||
	    (r = rootfs_write_file(p, "etc/hosts", "127.0.0.1 localhost\n::1 localhost\n", 0644,
				   NULL, e)))
		return r;
	if (pathf(path, sizeof(path), "%s/etc/lxtg/bird.conf", p->rootfs) < 0)
		return fail(e, -ENAMETOOLONG, "%s: path too long", p->rootfs);
	if (!c->bgp)
		unlink(path);
	else if (lchown(path, 0, c->router_idmap) < 0)
		return fail(e, -errno, "%s: %s", path, strerror(errno));
	for (size_t i = 0; i < reg->n_guests; i++) {
		r = rootfs_guest_dns(p, c, &reg->guests[i], false, e);
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
	r = hand_over(p, c->router_idmap, e);
	if (r < 0)
		return r;
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
	_cleanup_free_ char *old = NULL;
	size_t oldlen;
	bool same = read_file(p->ct_config, &old, &oldlen) == 0 && strlen(old) == oldlen &&
		    same_but_holder(old, lxcconf);

	r = write_if_changed(p->ct_config, lxcconf, 0644);
	if (r < 0)
		return fail(e, r, "writing %s: %s", p->ct_config, strerror(-r));
	br->lxc_changed = r > 0 && !same;
	return 0;
}

/*
 * The nameservers of a resolv.conf that the router can reach (no loopback
 * stub), as resolv.conf lines, and its first search domain (or "domain")
 * into @domain if it is a plain name of at least two labels. 0 or -errno.
 */
static int host_resolv(const char *path, char **ret_ns, char *domain, size_t dsize)
{
	_cleanup_free_ char *text = NULL, *out = NULL;
	size_t len, olen = 0;
	int r;

	r = read_file(path, &text, &len);
	if (r < 0)
		return r;
	/* Each kept line comes back with a newline, which the last may lack. */
	out = calloc(1, len + 2);
	if (!out)
		return -ENOMEM;
	for (char *l = text, *nl; l && *l; l = nl ? nl + 1 : NULL) {
		char word[16], val[256];
		struct in_addr a4;
		struct in6_addr a6;

		nl = strchr(l, '\n');
		if (nl)
			*nl = '\0';
		if (sscanf(l, "%15s %255s", word, val) != 2)
			continue;
		if (streq(word, "nameserver") &&
		    ((addr_parse_ip4(val, &a4) == 0 && (ip4_h(a4) >> 24) != 127) ||
		     (addr_parse_ip6(val, &a6) == 0 && !IN6_IS_ADDR_LOOPBACK(&a6))))
			olen += (size_t)sprintf(out + olen, "nameserver %s\n", val);
		else if ((streq(word, "search") || streq(word, "domain")) && !*domain &&
			 valid_domain(val) && strchr(val, '.'))
			strscpy(domain, dsize, val);
	}
	*ret_ns = out;
	out = NULL;
	return 0;
}

int rootfs_confdir(const struct paths *p, uid_t id)
{
	char run[PATH_MAX];
	_cleanup_close_ int rfd = -1;
	struct stat st;
	int fd;

	/* lxtg/run itself sits in the part of the rootfs the router cannot change. */
	if (pathf(run, sizeof(run), "%s/lxtg/run", p->rootfs) < 0)
		return -ENAMETOOLONG;
	rfd = open(run, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (rfd < 0)
		return -errno;
	fd = openat(rfd, "dnsmasq.d", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0 || (errno != ENOTDIR && errno != ELOOP && errno != ENOENT))
		return fd >= 0 ? fd : -errno;
	/* A link or a file the router put in its place: removed, never followed. */
	if (fstatat(rfd, "dnsmasq.d", &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode) &&
	    unlinkat(rfd, "dnsmasq.d", 0) < 0)
		return -errno;
	if (mkdirat(rfd, "dnsmasq.d", 0755) < 0 && errno != EEXIST)
		return -errno;
	fd = openat(rfd, "dnsmasq.d", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fchown(fd, id, id) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	return fd;
}

/* Write lxtg/run/dnsmasq.d/@name (a file dnsmasq reads from its conf-dir) if it differs. */
static int write_conf(const struct paths *p, const struct conf *c, const char *name,
		      const char *text, bool *changed, struct errmsg *e)
{
	_cleanup_close_ int dfd = rootfs_confdir(p, c->router_idmap);
	int r;

	if (dfd < 0)
		return fail(e, dfd, "%s/lxtg/run/dnsmasq.d: %s", p->rootfs, strerror(-dfd));
	r = write_if_changed_at(dfd, name, text, 0644);
	if (r < 0)
		return fail(e, r, "writing %s/lxtg/run/dnsmasq.d/%s: %s", p->rootfs, name,
			    strerror(-r));
	if (r > 0 && changed)
		*changed = true;
	return 0;
}

int rootfs_pool_conf(const struct paths *p, const struct conf *c, uint8_t plen,
		     struct in_addr gw, uint32_t mtu, bool *changed, struct errmsg *e)
{
	_cleanup_free_ char *text = NULL;
	int r = render_pool_conf(c, plen, gw, mtu, &text);

	if (r < 0)
		return fail(e, r, "rendering pool.conf: %s", strerror(-r));
	return write_conf(p, c, "pool.conf", text, changed, e);
}

int rootfs_host_resolvers(const struct paths *p, const struct conf *c, bool *changed,
			  struct errmsg *e)
{
	/* The host's own list first; behind a local stub (systemd-resolved), its upstreams. */
	static const char *const files[] = {"/etc/resolv.conf", "/run/systemd/resolve/resolv.conf"};
	_cleanup_free_ char *ns = NULL;
	char domain[256] = "", rebind[300] = "";

	for (size_t i = 0; i < ARRAY_SIZE(files) && (!ns || !*ns); i++) {
		free(ns);
		ns = NULL;
		if (host_resolv(files[i], &ns, domain, sizeof(domain)) == -ENOMEM)
			return fail(e, -ENOMEM, "out of memory");
	}
	if (c->upstream_auto) {
		int r = rootfs_write_file(p, "lxtg/run/resolv.conf", ns ? ns : "", 0644, NULL, e);

		if (r < 0)
			return r;
	}
	/* The LAN's own names may point into the LAN: exempt the host's search
	 * domain from dnsmasq's rebind protection, as a DHCP lease's domain is
	 * with macvlan attach (managed-rootfs/udhcpc.script). */
	if (*domain)
		snprintf(rebind, sizeof(rebind), "rebind-domain-ok=/%s/", domain);
	strcat(rebind, "\n");
	return write_conf(p, c, "uplink.conf", rebind, changed, e);
}
