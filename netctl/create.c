// SPDX-License-Identifier: BSD-2-Clause
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "create.h"
#include "elems.h"
#include "fsutil.h"
#include "lxcw.h"
#include "ready.h"
#include "util.h"

/* How long a started guest may take to hold its lease (a systemd guest boots first). */
#define CREATE_READY_MS 60000

/* How long one provisioning hook may run (a hook that never ends is killed). */
#define HOOK_TIMEOUT_MS (15 * 60 * 1000)

/* When this `guest create` began: every progress line tells the time since. */
static long t_begin;

/* "NAME: [  1.2 s] STEP" on stderr (silenced by -q). */
static void progress(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void progress(const char *name, const char *fmt, ...)
{
	char step[PATH_MAX + 128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(step, sizeof(step), fmt, ap);
	va_end(ap);
	log_info("%s: [%5.1f s] %s", name, (double)(now_ms() - t_begin) / 1000.0, step);
}

/* The container's config: mounts, hostname, autostart through liblxc, then our mark. */
static int configure(const struct paths *p, const struct create_req *req, struct errmsg *e)
{
	const char *name = req->add.name;
	char (*lines)[2 * PATH_MAX + 64] = NULL;
	const char **items = NULL;
	char path[PATH_MAX];
	size_t n = 0;
	int fd, r = 0;

	lines = calloc(req->n_mounts + 1, sizeof(*lines));
	items = calloc(2 * (req->n_mounts + 2) + 1, sizeof(*items));
	if (!lines || !items) {
		r = fail(e, -ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < req->n_mounts; i++) {
		const struct mount_spec *m = &req->mounts[i];

		r = mkdir_p(m->host, 0755);
		if (r < 0) {
			fail(e, r, "creating %s: %s", m->host, strerror(-r));
			goto out;
		}
		if (mount_entry(m, lines[i], sizeof(lines[i])) < 0) {
			r = fail(e, -ENAMETOOLONG, "%s: mount path too long", m->host);
			goto out;
		}
		items[n++] = "lxc.mount.entry";
		items[n++] = lines[i];
	}
	if (req->hostname) {
		items[n++] = "lxc.uts.name";
		items[n++] = req->hostname;
	}
	if (req->autostart) {
		items[n++] = "lxc.start.auto";
		items[n++] = "1";
	}
	if (n) {
		r = lxcw_set_items(p->lxcpath, name, items);
		if (r < 0) {
			fail(e, r, "configuring container %s: %s", name, strerror(-r));
			goto out;
		}
	}
	if (pathf(path, sizeof(path), "%s/%s/config", p->lxcpath, name) < 0) {
		r = fail(e, -ENAMETOOLONG, "%s: path too long", name);
		goto out;
	}
	fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		r = fail(e, -errno, "%s: %s", path, strerror(errno));
		goto out;
	}
	r = write_all(fd, "\n" CREATED_MARK "\n", strlen(CREATED_MARK) + 2);
	close(fd);
	if (r < 0)
		fail(e, r, "%s: %s", path, strerror(-r));
out:
	free(lines);
	free(items);
	return r;
}

/* Copy what the script prints, a prefix on every line, until it closes its end. */
/* Print @line with @prefix, made safe for a terminal (the guest writes it). */
static void relay_print(const char *prefix, const char *line)
{
	char shown[8192 * 4 + 8];

	fprintf(stderr, "%s%s\n", prefix, str_escape(line, shown, sizeof(shown), false));
}

/* Print the complete lines of @buf (@len bytes kept across calls), each with @prefix. */
static void relay_lines(const char *prefix, char *line, size_t *len, const char *buf, ssize_t n,
			bool flush)
{
	for (ssize_t i = 0; i < n; i++) {
		if (buf[i] == '\n') {
			line[*len] = '\0';
			relay_print(prefix, line);
			*len = 0;
			continue;
		}
		if (*len == 8191) { /* a long line goes out in pieces, no byte lost */
			line[*len] = '\0';
			relay_print(prefix, line);
			*len = 0;
		}
		line[(*len)++] = buf[i];
	}
	if (flush && *len) {
		line[*len] = '\0';
		relay_print(prefix, line);
		*len = 0;
	}
}

/*
 * Copy what the hook prints, a prefix on every line, until it exits, and
 * reap it into *@status. A daemon that the hook starts in the background may
 * keep the pipe open for ever: once the hook itself has exited, what is
 * already in the pipe is shown and the rest is not waited for. 0 or -errno.
 */
static int relay(int fd, pid_t pid, const char *prefix, int *status)
{
	char buf[4096], line[8192];
	size_t len = 0;
	bool exited = false;
	long deadline = now_ms() + HOOK_TIMEOUT_MS;

	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int ready = poll(&pfd, 1, exited ? 0 : 100);
		ssize_t n = 0;

		if (ready < 0 && errno != EINTR)
			return -errno;
		if (ready > 0) {
			n = read(fd, buf, sizeof(buf));
			if (n < 0 && errno != EINTR && errno != EAGAIN)
				return -errno;
			relay_lines(prefix, line, &len, buf, n, false);
		}
		if (ready > 0 && n == 0)
			break; /* every writer closed the pipe */
		if (exited && ready <= 0)
			break; /* the hook is gone and the pipe is empty */
		if (!exited) {
			pid_t w = waitpid(pid, status, WNOHANG);

			if (w < 0 && errno != EINTR)
				return -errno;
			exited = w == pid;
		}
		if (!exited && now_ms() > deadline) {
			kill(pid, SIGKILL);
			relay_lines(prefix, line, &len, buf, 0, true);
			while (waitpid(pid, status, 0) < 0 && errno == EINTR)
				;
			return -ETIMEDOUT;
		}
	}
	relay_lines(prefix, line, &len, buf, 0, true);
	while (!exited) {
		if (waitpid(pid, status, 0) == pid)
			break;
		if (errno != EINTR)
			return -errno;
	}
	return 0;
}

/* Run one provisioning script inside the guest, through its own /bin/sh. */
static int provision_one(const struct paths *p, const struct conf *c, const struct guest *g,
			 const char *script, const char *label, struct errmsg *e)
{
	char v4[INET_ADDRSTRLEN], v6[INET6_ADDRSTRLEN] = "", r4[INET_ADDRSTRLEN],
		r6[INET6_ADDRSTRLEN] = "", prefix[128];
	char env_buf[8][400];
	char *env[9] = {0};
	char sh[] = "/bin/sh", dash_s[] = "-s";
	char *const argv[] = {sh, dash_s, NULL};
	struct in_addr ra = conf_router_ip4(c);
	int in = -1, pipefd[2] = {-1, -1}, status, r;
	pid_t pid = 0;

	inet_ntop(AF_INET, &g->ip4, v4, sizeof(v4));
	inet_ntop(AF_INET, &ra, r4, sizeof(r4));
	if (c->ipv6) {
		struct in6_addr r6a;

		conf_router_ip6(c, &r6a);
		inet_ntop(AF_INET6, &r6a, r6, sizeof(r6));
		if (g->has_ip6)
			inet_ntop(AF_INET6, &g->ip6, v6, sizeof(v6));
	}
	snprintf(env_buf[0], sizeof(env_buf[0]),
		 "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	snprintf(env_buf[1], sizeof(env_buf[1]), "LXTG_GUEST=%s", g->name);
	snprintf(env_buf[2], sizeof(env_buf[2]), "LXTG_FQDN=%s.%s", g->name, c->domain);
	snprintf(env_buf[3], sizeof(env_buf[3]), "LXTG_IPV4=%s", v4);
	snprintf(env_buf[4], sizeof(env_buf[4]), "LXTG_IPV6=%s", v6);
	snprintf(env_buf[5], sizeof(env_buf[5]), "LXTG_ROUTER4=%s", r4);
	snprintf(env_buf[6], sizeof(env_buf[6]), "LXTG_ROUTER6=%s", r6);
	snprintf(env_buf[7], sizeof(env_buf[7]), "LXTG_DOMAIN=%s", c->domain);
	for (int i = 0; i < 8; i++)
		env[i] = env_buf[i];
	in = open(script, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return fail(e, -errno, "%s: %s", script, strerror(errno));
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		r = fail(e, -errno, "pipe: %s", strerror(errno));
		goto out;
	}
	progress(g->name, "%s", label);
	r = lxcw_run(p->lxcpath, g->name, argv, env, in, pipefd[1], &pid);
	close(pipefd[1]);
	pipefd[1] = -1;
	if (r < 0) {
		fail(e, r, "%s: %s: cannot run it in the guest: %s", g->name, label, strerror(-r));
		goto out;
	}
	snprintf(prefix, sizeof(prefix), "%s| ", g->name);
	r = relay(pipefd[0], pid, prefix, &status);
	if (r == -ETIMEDOUT) {
		fail(e, r, "%s: %s ran longer than %d s and was killed; the guest is left as it is",
		     g->name, label, HOOK_TIMEOUT_MS / 1000);
		goto out;
	}
	if (r < 0) {
		fail(e, r, "%s: %s: %s", g->name, label, strerror(-r));
		goto out;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		progress(g->name, "%s: done", label);
		r = 0;
	} else if (WIFEXITED(status)) {
		r = fail(e, -EIO, "%s: %s failed with exit status %d; the guest is left as it is",
			 g->name, label, WEXITSTATUS(status));
	} else {
		r = fail(e, -EIO, "%s: %s was killed by signal %d; the guest is left as it is",
			 g->name, label, WTERMSIG(status));
	}
out:
	if (in >= 0)
		close(in);
	for (int i = 0; i < 2; i++)
		if (pipefd[i] >= 0)
			close(pipefd[i]);
	return r;
}

/*
 * The hooks of [guests] provision_dir (its regular files, by name, dotfiles
 * skipped) as malloc'd paths into @ret (NULL-terminated); none without a dir.
 */
static int dir_hooks(const char *dir, char ***ret)
{
	struct dirent **list = NULL;
	char **out;
	bool oom = false;
	int n, k = 0;

	*ret = NULL;
	if (!*dir)
		return 0;
	n = scandir(dir, &list, NULL, alphasort);
	if (n < 0)
		return -errno;
	out = calloc((size_t)n + 1, sizeof(*out));
	for (int i = 0; i < n; i++) {
		char path[PATH_MAX];
		struct stat st;

		if (out && list[i]->d_name[0] != '.' &&
		    pathf(path, sizeof(path), "%s/%s", dir, list[i]->d_name) == 0 &&
		    stat(path, &st) == 0 && S_ISREG(st.st_mode) && !(out[k++] = strdup(path)))
			oom = true;
		free(list[i]);
	}
	free(list);
	if (!out || oom) {
		for (int i = 0; out && i < k; i++)
			free(out[i]);
		free(out);
		return -ENOMEM;
	}
	*ret = out; /* in alphasort's order */
	return 0;
}

/* The configured directory's hooks first (every new guest), then --provision's. */
static int provision_all(const struct paths *p, const struct conf *c, const struct guest *g,
			 const struct create_req *req, size_t *done, struct errmsg *e)
{
	char **hooks = NULL;
	size_t n_dir = 0, total;
	int r;

	r = dir_hooks(c->provision_dir, &hooks);
	if (r < 0)
		return fail(e, r, "%s: provision_dir %s: %s", g->name, c->provision_dir,
			    strerror(-r));
	while (hooks && hooks[n_dir])
		n_dir++;
	total = n_dir + req->n_provision;
	for (size_t i = 0; i < total && r == 0; i++) {
		const char *script = i < n_dir ? hooks[i] : req->provision[i - n_dir];
		char label[PATH_MAX + 64];

		snprintf(label, sizeof(label), "provision %zu/%zu %s", i + 1, total, script);
		r = provision_one(p, c, g, script, label, e);
		if (r == 0)
			++*done;
	}
	for (size_t i = 0; i < n_dir; i++)
		free(hooks[i]);
	free(hooks);
	return r;
}

/* Make the container: from a template or as a clone of a base. */
static int make_container(const struct paths *p, const struct create_req *req, struct errmsg *e)
{
	const char *name = req->add.name;
	int r;

	if (req->clone) {
		progress(name, "cloning %s%s", req->clone, req->snapshot ? " (snapshot)" : "");
		r = lxcw_clone(p->lxcpath, req->clone, name, req->snapshot);
		if (r == -ENOENT)
			return bad(e, "guest create: no container %s to clone in %s", req->clone,
				   p->lxcpath);
		if (r == -EBUSY)
			return bad(e, "guest create: %s is running; stop it to clone it",
				   req->clone);
		return r < 0 ? fail(e, r, "guest create: cloning %s as %s failed: %s", req->clone,
				    name, strerror(-r))
			     : 0;
	}
	progress(name, "creating from template %s", req->tmpl);
	r = lxcw_create(p->lxcpath, name, req->tmpl, req->tmpl_argv, !req->verbose);
	return r < 0 ? fail(e, r, "guest create: template %s failed for %s%s", req->tmpl, name,
			    req->verbose ? "" : " (run with -v to see its output)")
		     : 0;
}

/* Ports, start, readiness: what a rollback undoes if it fails. */
static int bring_up(const struct paths *p, const struct conf *c, const struct create_req *req,
		    struct guest *ret, struct errmsg *e)
{
	const char *name = req->add.name;
	struct registry reg = {0};
	const struct guest *g;
	int r;

	for (size_t i = 0; i < req->n_ports; i++) {
		struct port_fwd pf = req->ports[i];

		strscpy(pf.guest, sizeof(pf.guest), name);
		r = port_add(p, c, &pf, e);
		if (r < 0)
			return r;
	}
	r = registry_load(p->state, &reg);
	g = r == 0 ? registry_find(&reg, name) : NULL;
	if (!g) {
		registry_free(&reg);
		return fail(e, r < 0 ? r : -ENOENT, "guest create: %s is not in the registry",
			    name);
	}
	*ret = *g;
	registry_free(&reg);
	if (!req->start && !req->n_provision)
		return 0;
	progress(name, "starting");
	r = lxcw_start(p->lxcpath, name, NULL);
	if (r < 0)
		return fail(e, r, "guest create: starting %s: %s", name, strerror(-r));
	progress(name, "waiting for its lease and its name");
	/* A LAN (pool) address is set by LXC, not leased. */
	return ready_guest(p, c, ret, !publish_v4(c, ret), now_ms() + CREATE_READY_MS, e);
}

int guest_create(const struct paths *p, const struct conf *c, const struct create_req *req,
		 struct create_result *ret, struct errmsg *e)
{
	const char *name = req->add.name;
	struct registry reg = {0};
	struct lxcw_info info;
	bool registered;
	struct guest g;
	long t0 = now_ms();
	int r;

	t_begin = t0;
	if (!req->tmpl == !req->clone)
		return bad(e, "guest create: give one of --template or --clone");
	r = lxcw_info(p->lxcpath, name, false, &info);
	if (r < 0)
		return fail(e, r, "guest create: %s: %s", name, strerror(-r));
	if (info.defined)
		return bad(e, "guest create: container %s exists (`guest add %s` attaches it)",
			   name, name);
	r = registry_load(p->state, &reg);
	if (r < 0)
		return fail(e, r, "guest create: guest registry: %s", strerror(-r));
	registered = registry_find(&reg, name) != NULL;
	registry_free(&reg);
	if (registered)
		return bad(e,
			   "guest create: %s is a registered guest without a container "
			   "(`guest del %s` first)",
			   name, name);
	r = make_container(p, req, e);
	if (r < 0) {
		/* It did not exist before: whatever a failed template left goes; but
		 * -EEXIST means someone else made it meanwhile, and it is theirs. */
		if (r != -EEXIST)
			lxcw_destroy(p->lxcpath, name);
		return r;
	}
	r = configure(p, req, e);
	if (r == 0)
		r = guest_add(p, c, &req->add, e);
	if (r == 0)
		r = bring_up(p, c, req, &g, e);
	if (r < 0) {
		struct errmsg ignore = {0};

		/* No half-made container: all of it goes, and the error stays the first one. */
		guest_del(p, c, name, &ignore);
		lxcw_destroy(p->lxcpath, name);
		return r;
	}
	memset(ret, 0, sizeof(*ret));
	ret->g = g;
	if (!req->start && !req->n_provision)
		return 0; /* defined and attached; lxc-start (or --start) brings it up */
	ret->started = true;
	ret->ready_ms = now_ms() - t0;
	progress(name, "ready in %ld ms", ret->ready_ms);
	/* The guest is made and registered: hooks run without the state lock, so a
	 * slow hook holds up no other command. */
	if (req->lock_fd && *req->lock_fd >= 0) {
		close(*req->lock_fd);
		*req->lock_fd = -1;
	}
	return provision_all(p, c, &g, req, &ret->provisioned, e);
}

bool guest_made_by_create(const struct paths *p, const char *name)
{
	_cleanup_free_ char *text = read_textf(false, "%s/%s/config", p->lxcpath, name);

	return text && strstr(text, "\n" CREATED_MARK "\n");
}

int guest_destroy(const struct paths *p, const struct conf *c, const char *name, bool force,
		  struct errmsg *e)
{
	struct registry reg = {0};
	struct lxcw_info info;
	bool registered;
	int r;

	if (streq(name, c->router))
		return bad(e, "guest destroy: %s is the router (`lxctogo-net down` removes it)", name);
	r = lxcw_info(p->lxcpath, name, false, &info);
	if (r < 0)
		return fail(e, r, "guest destroy: %s: %s", name, strerror(-r));
	r = registry_load(p->state, &reg);
	if (r < 0)
		return fail(e, r, "guest destroy: guest registry: %s", strerror(-r));
	registered = registry_find(&reg, name) != NULL;
	registry_free(&reg);
	if (!info.defined && !registered)
		return bad(e, "guest destroy: no container %s in %s", name, p->lxcpath);
	if (info.defined && !force && !guest_made_by_create(p, name))
		return bad(e,
			   "guest destroy: %s was not made by `guest create` (--force destroys "
			   "it anyway)",
			   name);
	if (info.running) {
		r = lxcw_stop(p->lxcpath, name);
		if (r < 0)
			return fail(e, r, "guest destroy: stopping %s: %s", name, strerror(-r));
	}
	if (registered) {
		r = guest_del(p, c, name, e);
		if (r < 0)
			return r;
	}
	r = lxcw_destroy(p->lxcpath, name);
	if (r < 0)
		return fail(e, r, "guest destroy: destroying %s: %s", name, strerror(-r));
	/* The container apply may have made is gone: a later one of that name is not its. */
	r = state_applied_forget(p->state, name);
	return r < 0 ? fail(e, r, "guest destroy: %s/%s: %s", p->state, STATE_APPLIED, strerror(-r))
		     : 0;
}
