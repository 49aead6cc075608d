// SPDX-License-Identifier: BSD-2-Clause
#include <dlfcn.h>
#include <limits.h>
#include <link.h>
#include <lxc/lxccontainer.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "autoconfig.h"
#include "lazylib.h"
#include "lxcw.h"
#include "util.h"

/* liblxc, opened on first use (lazylib.h); the rest of its API is the
 * function pointers of struct lxc_container. */
static struct {
	__typeof__(&lxc_container_new) container_new;
	__typeof__(&lxc_container_put) container_put;
	__typeof__(&lxc_get_global_config_item) global_config_item;
	__typeof__(&lxc_attach_run_command) attach_run_command;
} lxc;
static const char *const lxc_names[] = {
	"lxc_container_new",
	"lxc_container_put",
	"lxc_get_global_config_item",
	"lxc_attach_run_command",
};
static struct lazylib liblxc = {LIBLXC_SONAME, lxc_names, ARRAY_SIZE(lxc_names), NULL, 0};

static int load(void)
{
	_Static_assert(sizeof(lxc) == sizeof(void *) * ARRAY_SIZE(lxc_names), "one slot per name");
	return lazylib_load(&liblxc, (void **)&lxc);
}

static void putp(struct lxc_container **c)
{
	if (*c)
		lxc.container_put(*c);
}
#define _cleanup_lxc_ _cleanup_(putp)

const char *lxcw_default_path(void)
{
	return load() < 0 ? NULL : lxc.global_config_item("lxc.lxcpath");
}

static int open_ct(const char *lxcpath, const char *name, struct lxc_container **ret)
{
	struct lxc_container *c;
	int r = load();

	if (r < 0)
		return r;
	c = lxc.container_new(name, lxcpath);
	if (!c)
		return -ENOMEM;
	*ret = c;
	return 0;
}

static uint64_t memory_of(struct lxc_container *c)
{
	/* cgroup v1 names first, then v2. */
	static const char *const keys[] = {"memory.usage_in_bytes", "memory.current"};
	char buf[64];

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		int n = c->get_cgroup_item(c, keys[i], buf, sizeof(buf));

		if (n > 0 && (size_t)n < sizeof(buf))
			return strtoull(buf, NULL, 10);
	}
	return 0;
}

int lxcw_info(const char *lxcpath, const char *name, bool memory, struct lxcw_info *ret)
{
	_cleanup_lxc_ struct lxc_container *c = NULL;
	struct lxcw_info info = {0};
	int r;

	r = open_ct(lxcpath, name, &c);
	if (r < 0)
		return r;
	info.defined = c->is_defined(c);
	snprintf(info.state, sizeof(info.state), "%s", info.defined ? c->state(c) : "ABSENT");
	info.running = c->is_running(c);
	if (info.running) {
		info.pid = c->init_pid(c);
		if (memory)
			info.mem_bytes = memory_of(c);
	}
	*ret = info;
	return 0;
}

int lxcw_start(const char *lxcpath, const char *name, const char *logfile)
{
	_cleanup_lxc_ struct lxc_container *c = NULL;
	int r;

	r = open_ct(lxcpath, name, &c);
	if (r < 0)
		return r;
	if (!c->is_defined(c))
		return -ENOENT;
	if (c->is_running(c))
		return 0;
	if (logfile) {
		c->set_config_item(c, "lxc.log.file", logfile);
		c->set_config_item(c, "lxc.log.level", "WARN");
	}
	c->want_daemonize(c, true);
	c->want_close_all_fds(c, true);
	if (!c->start(c, 0, NULL))
		return -EIO;
	if (!c->wait(c, "RUNNING", 10))
		return -ETIMEDOUT;
	return 0;
}

/* Kill a running container and wait until it is STOPPED; not running is fine. */
static int stop_ct(struct lxc_container *c)
{
	if (!c->is_running(c))
		return 0;
	if (!c->stop(c))
		return -EIO;
	if (!c->wait(c, "STOPPED", 10))
		return -ETIMEDOUT;
	return 0;
}

int lxcw_stop(const char *lxcpath, const char *name)
{
	_cleanup_lxc_ struct lxc_container *c = NULL;
	int r = open_ct(lxcpath, name, &c);

	return r < 0 ? r : stop_ct(c);
}

int lxcw_attach_iface(const char *lxcpath, const char *name, const char *dev, const char *dst)
{
	_cleanup_lxc_ struct lxc_container *c = NULL;
	int r;

	r = open_ct(lxcpath, name, &c);
	if (r < 0)
		return r;
	if (!c->is_running(c))
		return -ESRCH;
	return c->attach_interface(c, dev, dst) ? 0 : -EIO;
}

int lxcw_create(const char *lxcpath, const char *name, const char *tmpl, char *const argv[],
		bool quiet)
{
	_cleanup_lxc_ struct lxc_container *c = NULL;
	int r;

	r = open_ct(lxcpath, name, &c);
	if (r < 0)
		return r;
	if (c->is_defined(c))
		return -EEXIST;
	/* The template's own output (debootstrap...) only with -v. */
	if (!c->create(c, tmpl, "dir", NULL, quiet ? LXC_CREATE_QUIET : 0, argv))
		return -EIO;
	return 0;
}

int lxcw_clone(const char *lxcpath, const char *base, const char *name, bool snapshot)
{
	_cleanup_lxc_ struct lxc_container *c = NULL, *copy = NULL, *exists = NULL;
	int r;

	r = open_ct(lxcpath, base, &c);
	if (r < 0)
		return r;
	if (!c->is_defined(c))
		return -ENOENT;
	if (c->is_running(c))
		return -EBUSY; /* a copy of a running rootfs is torn */
	r = open_ct(lxcpath, name, &exists);
	if (r < 0)
		return r;
	if (exists->is_defined(exists))
		return -EEXIST;
	copy = c->clone(c, name, lxcpath, snapshot ? LXC_CLONE_SNAPSHOT : 0, NULL, NULL, 0, NULL);
	return copy ? 0 : -EIO;
}

int lxcw_destroy(const char *lxcpath, const char *name)
{
	_cleanup_lxc_ struct lxc_container *c = NULL;
	int r;

	r = open_ct(lxcpath, name, &c);
	if (r < 0)
		return r;
	if (!c->is_defined(c))
		return 0;
	r = stop_ct(c);
	if (r < 0)
		return r;
	return c->destroy(c) ? 0 : -EIO;
}

int lxcw_set_items(const char *lxcpath, const char *name, const char *const *items)
{
	_cleanup_lxc_ struct lxc_container *c = NULL;
	int r;

	r = open_ct(lxcpath, name, &c);
	if (r < 0)
		return r;
	if (!c->is_defined(c))
		return -ENOENT;
	for (size_t i = 0; items[i] && items[i + 1]; i += 2)
		if (!c->set_config_item(c, items[i], items[i + 1]))
			return -EINVAL;
	return c->save_config(c, NULL) ? 0 : -EIO;
}

int lxcw_run(const char *lxcpath, const char *name, char *const argv[], char **env, int in_fd,
	     int out_fd, pid_t *ret_pid)
{
	_cleanup_lxc_ struct lxc_container *c = NULL;
	lxc_attach_options_t opts = LXC_ATTACH_OPTIONS_DEFAULT;
	lxc_attach_command_t cmd = {.program = argv[0], .argv = (char **)argv};
	int r;

	r = open_ct(lxcpath, name, &c);
	if (r < 0)
		return r;
	if (!c->is_running(c))
		return -ESRCH;
	opts.env_policy = LXC_ATTACH_CLEAR_ENV;
	opts.extra_env_vars = env;
	opts.stdin_fd = in_fd;
	opts.stdout_fd = out_fd;
	opts.stderr_fd = out_fd;
	if (c->attach(c, lxc.attach_run_command, &cmd, &opts, ret_pid) < 0)
		return -EIO;
	return 0;
}

int lxcw_sock_state(const char *lxcpath, const char *name)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	_cleanup_close_ int fd = -1;
	/* sun_path[0] = 0: abstract. LXC hashes names that do not fit: not ours to tell. */
	int n = snprintf(sa.sun_path + 1, sizeof(sa.sun_path) - 1, "%s/%s/command", lxcpath, name);

	if (n < 0 || (size_t)n >= sizeof(sa.sun_path) - 1)
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa,
		    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n)) == 0)
		return 1;
	return errno == ECONNREFUSED ? 0 : -errno;
}

/* "PATH INODE MTIME_NS SIZE" of a file. */
static int file_stamp(const char *path, char *buf, size_t size)
{
	struct stat st;
	int n;

	if (stat(path, &st) < 0)
		return -errno;
	n = snprintf(buf, size, "%s %llu %lld %lld", path, (unsigned long long)st.st_ino,
		     (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec,
		     (long long)st.st_size);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int lxcw_stamp(char *buf, size_t size)
{
	struct link_map *lm = NULL;
	int r = load();

	if (r < 0)
		return r;
	if (dlinfo(liblxc.handle, RTLD_DI_LINKMAP, &lm) < 0 || !lm || !lm->l_name)
		return -ENOENT;
	/* One token in a line of the runtime file. */
	if (lm->l_name[0] != '/' || lm->l_name[strcspn(lm->l_name, " \t\r\n")])
		return -EINVAL;
	return file_stamp(lm->l_name, buf, size);
}

bool lxcw_stamp_current(const char *stamp)
{
	char path[PATH_MAX], now[PATH_MAX + 64];
	size_t n = strcspn(stamp, " ");

	if (!*stamp || n >= sizeof(path))
		return false;
	memcpy(path, stamp, n);
	path[n] = '\0';
	return file_stamp(path, now, sizeof(now)) == 0 && streq(now, stamp);
}

int lxcw_info_quick(const char *lxcpath, const char *name, const char *stamp,
		    struct lxcw_info *ret)
{
	char cfg[PATH_MAX];
	struct stat st;
	int n;

	if (stamp && lxcw_stamp_current(stamp) && lxcw_sock_state(lxcpath, name) == 0) {
		n = snprintf(cfg, sizeof(cfg), "%s/%s/config", lxcpath, name);
		if (n > 0 && (size_t)n < sizeof(cfg)) {
			/* What liblxc's is_defined() looks at: the config file. */
			memset(ret, 0, sizeof(*ret));
			ret->defined = stat(cfg, &st) == 0;
			snprintf(ret->state, sizeof(ret->state), "%s",
				 ret->defined ? "STOPPED" : "ABSENT");
			return 0;
		}
	}
	return lxcw_info(lxcpath, name, false, ret);
}
