// SPDX-License-Identifier: BSD-2-Clause
/*
 * Guest file text -> struct guestfile. Like the config, the whole file is
 * read before anything is judged and every problem is collected, so one run
 * of `apply --dry-run` shows all of them; unlike the config, sections repeat
 * (one per guest) and most values are lists.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "addr.h"
#include "fsutil.h"
#include "guestfile.h"
#include "util.h"

#define BLANKS " \t\r\f\v"
#define WHY_SIZE 200

struct gf_parser {
	const char *name;
	struct conf_errors *errs;
	char dir[PATH_MAX]; /* relative provision paths start here */
	struct guestfile gf;
	size_t cap;
	struct gf_guest *cur; /* the section being read; NULL before one or in a refused one */
	bool seen_header;     /* keys after a refused header are skipped, not reported */
	bool oom;
};

/*
 * @v as a message quotes it, in @buf (QUOTED bytes): control bytes and
 * non-ASCII escaped and long values cut, so a hostile file can neither put
 * terminal escapes on the screen nor crowd out the message.
 */
#define QUOTED 72
static const char *q(const char *v, char *buf)
{
	return str_escape(v, buf, QUOTED, true);
}

void guestfile_error(struct conf_errors *errs, const char *file, unsigned line, const char *fmt,
		     ...)
{
	size_t size = sizeof(errs->msg[0]);
	char *m;
	int o;
	va_list ap;

	if (errs->n == CONF_MAX_ERRORS) {
		errs->dropped++;
		return;
	}
	m = errs->msg[errs->n];
	o = line ? snprintf(m, size, "%s:%u: ", file, line) : snprintf(m, size, "%s: ", file);
	if (o < 0 || (size_t)o >= size)
		o = 0;
	va_start(ap, fmt);
	vsnprintf(m + o, size - (size_t)o, fmt, ap);
	va_end(ap);
	errs->n++;
}

/* The line number that guestfile_error() put after "FILE:"; 0 for a file-level message. */
static unsigned long msg_line(const char *msg, size_t file_len)
{
	if (strlen(msg) <= file_len || msg[file_len] != ':')
		return 0;
	return strtoul(msg + file_len + 1, NULL, 10);
}

void guestfile_sort_errors(struct conf_errors *errs, const char *file)
{
	size_t flen = strlen(file);
	char tmp[sizeof(errs->msg[0])];

	/* Insertion sort: stable, and there are at most CONF_MAX_ERRORS. */
	for (unsigned i = 1; i < errs->n; i++) {
		unsigned long line = msg_line(errs->msg[i], flen);
		unsigned j = i;

		if (msg_line(errs->msg[i - 1], flen) <= line)
			continue;
		memcpy(tmp, errs->msg[i], sizeof(tmp));
		while (j > 0 && msg_line(errs->msg[j - 1], flen) > line) {
			memcpy(errs->msg[j], errs->msg[j - 1], sizeof(tmp));
			j--;
		}
		memcpy(errs->msg[j], tmp, sizeof(tmp));
	}
}

static void perr(struct gf_parser *p, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void perr(struct gf_parser *p, unsigned line, const char *fmt, ...)
{
	char msg[sizeof(p->errs->msg[0])];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	guestfile_error(p->errs, p->name, line, "%s", msg);
}

/* @s without the blanks around it, in place. */
static char *strip(char *s)
{
	char *end;

	s += strspn(s, BLANKS);
	end = s + strlen(s);
	while (end > s && strchr(BLANKS, end[-1]))
		*--end = '\0';
	return s;
}

/*
 * The entries of a comma-separated list, stripped, in place: at most
 * GUESTFILE_MAX_LIST, none empty. Returns the count, or -EINVAL with @why.
 */
static int split_list(char *v, char *items[GUESTFILE_MAX_LIST], char *why)
{
	int n = 0;

	for (char *next; v; v = next) {
		next = strchr(v, ',');
		if (next)
			*next++ = '\0';
		v = strip(v);
		if (!*v) {
			snprintf(why, WHY_SIZE, "empty entry in list");
			return -EINVAL;
		}
		if (n == GUESTFILE_MAX_LIST) {
			snprintf(why, WHY_SIZE, "too many entries (at most %d)",
				 GUESTFILE_MAX_LIST);
			return -EINVAL;
		}
		items[n++] = v;
	}
	return n;
}

static bool has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
			return true;
	return false;
}

/* ---- the keys: each parses its value into the guest, or says why not ---- */

typedef int (*gf_parse_fn)(struct gf_parser *p, struct gf_guest *g, char *v, char *why);

static int name_value(char dst[64], const char *v, const char *what, char *why)
{
	char b[QUOTED];

	if (!valid_name(v)) {
		snprintf(why, WHY_SIZE, "invalid %s '%s' (1 to 63 of a-z 0-9 -, not all digits)",
			 what, q(v, b));
		return -EINVAL;
	}
	strscpy(dst, 64, v);
	return 0;
}

static int parse_template(struct gf_parser *p, struct gf_guest *g, char *v, char *why)
{
	return name_value(g->tmpl, v, "template name", why);
}

static int parse_template_args(struct gf_parser *p, struct gf_guest *g, char *v, char *why)
{
	char b[QUOTED];
	size_t n = 0;
	char *save = NULL;

	for (char *a = strtok_r(v, BLANKS, &save); a; a = strtok_r(NULL, BLANKS, &save)) {
		if (n == GUESTFILE_MAX_LIST) {
			snprintf(why, WHY_SIZE, "too many arguments (at most %d)",
				 GUESTFILE_MAX_LIST);
			return -EINVAL;
		}
		if (!template_arg_ok(a) || strscpy(g->targs[n], sizeof(g->targs[n]), a) < 0) {
			snprintf(why, WHY_SIZE,
				 "invalid argument '%s' (a control byte, longer than 127, or an "
				 "option liblxc sets itself: name, path, rootfs, mapped ids)",
				 q(a, b));
			return -EINVAL;
		}
		n++;
	}
	g->n_targs = n;
	return 0;
}

static int parse_clone(struct gf_parser *p, struct gf_guest *g, char *v, char *why)
{
	return name_value(g->clone, v, "container name", why);
}

static int parse_ipv4(struct gf_parser *p, struct gf_guest *g, char *v, char *why)
{
	char b[QUOTED];

	if (addr_parse_ip4(v, &g->ip4) < 0) {
		snprintf(why, WHY_SIZE, "invalid IPv4 address '%s'", q(v, b));
		return -EINVAL;
	}
	g->has_ip4 = true;
	return 0;
}

/* One entry of a list key, the @i-th: into the guest, or why not. */
typedef int (*gf_item_fn)(struct gf_parser *p, struct gf_guest *g, size_t i, const char *v,
			  char *why);

/* A list key: every entry through @item; the count is stored once all of them are good. */
static int parse_list(struct gf_parser *p, struct gf_guest *g, char *v, char *why, gf_item_fn item,
		      size_t *ret_n)
{
	char *items[GUESTFILE_MAX_LIST];
	int n = split_list(v, items, why);

	if (n < 0)
		return n;
	for (int i = 0; i < n; i++)
		if (item(p, g, (size_t)i, items[i], why) < 0)
			return -EINVAL;
	*ret_n = (size_t)n;
	return 0;
}

static int port_item(struct gf_parser *p, struct gf_guest *g, size_t i, const char *v, char *why)
{
	char b[QUOTED];

	if (port_parse(v, true, &g->ports[i]) < 0) {
		snprintf(why, WHY_SIZE,
			 "invalid forward '%s' (want [ADDR:]HOSTPORT:GUESTPORT[/tcp|/udp])",
			 q(v, b));
		return -EINVAL;
	}
	strscpy(g->ports[i].guest, sizeof(g->ports[i].guest), g->name);
	return 0;
}

static int parse_ports(struct gf_parser *p, struct gf_guest *g, char *v, char *why)
{
	return parse_list(p, g, v, why, port_item, &g->n_ports);
}

static int mount_item(struct gf_parser *p, struct gf_guest *g, size_t i, const char *v, char *why)
{
	char b[QUOTED];

	if (mount_parse(v, &g->mounts[i]) == 0)
		return 0;
	snprintf(why, WHY_SIZE,
		 "invalid mount '%s' (want HOST:GUEST[:ro], absolute paths without blanks, ':' "
		 "or '..')",
		 q(v, b));
	return -EINVAL;
}

static int parse_mounts(struct gf_parser *p, struct gf_guest *g, char *v, char *why)
{
	return parse_list(p, g, v, why, mount_item, &g->n_mounts);
}

static int parse_hostname(struct gf_parser *p, struct gf_guest *g, char *v, char *why)
{
	char b[QUOTED];

	if (!hostname_ok(v) || strscpy(g->hostname, sizeof(g->hostname), v) < 0) {
		snprintf(why, WHY_SIZE, "invalid host name '%s' (labels of a-z 0-9 -, at most 64)",
			 q(v, b));
		return -EINVAL;
	}
	return 0;
}

static int yes_no(bool *dst, const char *v, char *why)
{
	char b[QUOTED];

	if (streq(v, "yes") || streq(v, "no")) {
		*dst = streq(v, "yes");
		return 0;
	}
	snprintf(why, WHY_SIZE, "invalid value '%s' (expected yes or no)", q(v, b));
	return -EINVAL;
}

static int parse_autostart(struct gf_parser *p, struct gf_guest *g, char *v, char *why)
{
	return yes_no(&g->autostart, v, why);
}

static int parse_start(struct gf_parser *p, struct gf_guest *g, char *v, char *why)
{
	return yes_no(&g->start, v, why);
}

/* A hook: relative to the file's directory, made absolute, a readable regular file. */
static int provision_item(struct gf_parser *p, struct gf_guest *g, size_t i, const char *v,
			  char *why)
{
	char joined[PATH_MAX], b[QUOTED];
	char *ret = g->provision[i];
	struct stat st;

	if (has_control(v) ||
	    (v[0] == '/' ? strscpy(joined, sizeof(joined), v)
			 : pathf(joined, sizeof(joined), "%s/%s", p->dir, v)) < 0) {
		snprintf(why, WHY_SIZE, "invalid path '%s'", q(v, b));
		return -EINVAL;
	}
	if (!realpath(joined, ret) || stat(ret, &st) < 0 || access(ret, R_OK) < 0) {
		snprintf(why, WHY_SIZE, "'%s': %s", q(v, b), strerror(errno));
		return -EINVAL;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, WHY_SIZE, "'%s' is not a regular file", q(v, b));
		return -EINVAL;
	}
	return 0;
}

static int parse_provision(struct gf_parser *p, struct gf_guest *g, char *v, char *why)
{
	return parse_list(p, g, v, why, provision_item, &g->n_provision);
}

static int group_item(struct gf_parser *p, struct gf_guest *g, size_t i, const char *v, char *why)
{
	return name_value(g->groups[i], v, "group name", why);
}

static int parse_groups(struct gf_parser *p, struct gf_guest *g, char *v, char *why)
{
	return parse_list(p, g, v, why, group_item, &g->n_groups);
}

static const struct {
	const char *name;
	gf_parse_fn parse;
} gf_keys[GF_N_KEYS] = {
    [GF_TEMPLATE] = {"template", parse_template},
    [GF_TEMPLATE_ARGS] = {"template_args", parse_template_args},
    [GF_CLONE] = {"clone", parse_clone},
    [GF_IPV4] = {"ipv4", parse_ipv4},
    [GF_PORTS] = {"ports", parse_ports},
    [GF_MOUNTS] = {"mounts", parse_mounts},
    [GF_HOSTNAME] = {"hostname", parse_hostname},
    [GF_AUTOSTART] = {"autostart", parse_autostart},
    [GF_START] = {"start", parse_start},
    [GF_PROVISION] = {"provision", parse_provision},
    [GF_GROUPS] = {"groups", parse_groups},
};

/* ---- lines ---- */

const struct gf_guest *guestfile_find(const struct guestfile *gf, const char *name)
{
	for (size_t i = 0; i < gf->n; i++)
		if (streq(gf->guests[i].name, name))
			return &gf->guests[i];
	return NULL;
}

/* A new guest at the end of the list, with the defaults. NULL (and p->oom) without memory. */
static struct gf_guest *new_guest(struct gf_parser *p, const char *name, unsigned line)
{
	struct gf_guest *g;

	if (p->gf.n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 4;

		g = reallocarray(p->gf.guests, cap, sizeof(*g));
		if (!g) {
			p->oom = true;
			return NULL;
		}
		p->gf.guests = g;
		p->cap = cap;
	}
	g = &p->gf.guests[p->gf.n++];
	memset(g, 0, sizeof(*g));
	strscpy(g->name, sizeof(g->name), name);
	g->line = line;
	g->start = true;
	return g;
}

/* "[guest NAME]": the section the following keys belong to (or none). */
static void header(struct gf_parser *p, unsigned line, char *s)
{
	char b[QUOTED];
	size_t n = strlen(s);
	const struct gf_guest *first;
	char *inner, *name;

	p->seen_header = true;
	p->cur = NULL;
	if (s[n - 1] != ']') {
		perr(p, line, "invalid section header '%s'", q(s, b));
		return;
	}
	s[n - 1] = '\0';
	inner = strip(s + 1);
	name = inner + strcspn(inner, BLANKS);
	if (*name)
		*name++ = '\0';
	name = strip(name);
	if (!streq(inner, "guest")) {
		perr(p, line, "unknown section [%s] (expected [guest NAME])", q(inner, b));
		return;
	}
	if (!valid_name(name)) {
		perr(p, line,
		     "invalid guest name '%s' (1 to 63 of a-z 0-9 -, no edge '-', not all "
		     "digits)",
		     q(name, b));
		return;
	}
	first = guestfile_find(&p->gf, name);
	if (first) {
		perr(p, line, "duplicate section [guest %s] (first on line %u)", name, first->line);
		return;
	}
	if (p->gf.n == GUESTFILE_MAX_GUESTS) {
		perr(p, line, "too many guests (at most %d)", GUESTFILE_MAX_GUESTS);
		return;
	}
	p->cur = new_guest(p, name, line);
}

/* "KEY = VALUE", both stripped, in the current section. */
static void assignment(struct gf_parser *p, unsigned line, const char *key, char *value)
{
	struct gf_guest *g = p->cur;
	char b[QUOTED], why[WHY_SIZE];
	int k;

	if (!*key) {
		perr(p, line, "missing key before '='");
		return;
	}
	if (!p->seen_header) {
		perr(p, line, "key '%s' outside of a [guest NAME] section", q(key, b));
		return;
	}
	if (!g)
		return; /* the section's header was refused, and said so */
	for (k = 0; k < GF_N_KEYS && !streq(gf_keys[k].name, key); k++)
		;
	if (k == GF_N_KEYS) {
		perr(p, line, "unknown key '%s' in [guest %s]", q(key, b), g->name);
		return;
	}
	if (g->key_line[k]) {
		perr(p, line, "duplicate key '%s' in [guest %s] (first set on line %u)", key,
		     g->name, g->key_line[k]);
		return;
	}
	g->key_line[k] = line;
	if (!*value)
		perr(p, line, "%s: missing value", key);
	else if (gf_keys[k].parse(p, g, value, why) < 0)
		perr(p, line, "%s: %s", key, why);
}

#define STR_(x) #x
#define STR(x) STR_(x)

static void one_line(struct gf_parser *p, unsigned line, const char *text, size_t n)
{
	const char *unreadable = n > CONF_MAX_LINE
				     ? "line too long (more than " STR(CONF_MAX_LINE) " characters)"
				 : memchr(text, '\0', n) ? "NUL byte in line"
							 : NULL;
	char b[QUOTED], buf[CONF_MAX_LINE + 1], *s, *eq;

	if (unreadable) {
		perr(p, line, "%s", unreadable);
		return;
	}
	snprintf(buf, sizeof(buf), "%.*s", (int)n, text);
	s = strip(buf);
	if (strchr("#;", *s)) /* a comment, or nothing (the NUL is in the set) */
		return;
	/* As in the config: a comment after a value needs a blank before it. */
	for (char *c = s + strcspn(s, "#;"); *c; c += 1 + strcspn(c + 1, "#;"))
		if (strchr(BLANKS, c[-1])) {
			*c = '\0';
			s = strip(s);
			break;
		}
	if (*s == '[') {
		header(p, line, s);
		return;
	}
	eq = strchr(s, '=');
	if (!eq) {
		perr(p, line, "expected 'key = value' or '[guest NAME]', got '%s'", q(s, b));
		return;
	}
	*eq = '\0';
	assignment(p, line, strip(s), strip(eq + 1));
}

/* ---- verify: within a guest, and between guests ---- */

static unsigned later(unsigned a, unsigned b)
{
	return a > b ? a : b;
}

static void verify_guest(struct gf_parser *p, const struct gf_guest *g)
{
	const unsigned *kl = g->key_line;

	if (!kl[GF_TEMPLATE] && !kl[GF_CLONE])
		perr(p, g->line, "[guest %s]: give template or clone", g->name);
	else if (kl[GF_TEMPLATE] && kl[GF_CLONE])
		perr(p, later(kl[GF_TEMPLATE], kl[GF_CLONE]),
		     "template and clone exclude each other (give one)");
	if (kl[GF_TEMPLATE_ARGS] && !kl[GF_TEMPLATE])
		perr(p, kl[GF_TEMPLATE_ARGS], "template_args: without a template");
}

/* Addresses and router ports are one per guest: the later claim is the error. */
static void verify_between(struct gf_parser *p, size_t j)
{
	const struct gf_guest *g = &p->gf.guests[j];
	char a[INET_ADDRSTRLEN], f[64];

	for (size_t i = 0; i < j && g->has_ip4; i++) {
		const struct gf_guest *o = &p->gf.guests[i];

		if (o->has_ip4 && o->ip4.s_addr == g->ip4.s_addr) {
			perr(p, g->key_line[GF_IPV4], "ipv4: %s is also [guest %s]'s (line %u)",
			     inet_ntop(AF_INET, &g->ip4, a, sizeof(a)), o->name,
			     o->key_line[GF_IPV4]);
			break;
		}
	}
	for (size_t k = 0; k < g->n_ports; k++) {
		const struct port_fwd *pf = &g->ports[k];
		bool found = false;

		for (size_t i = 0; i <= j && !found; i++) {
			const struct gf_guest *o = &p->gf.guests[i];
			size_t end = i == j ? k : o->n_ports;

			for (size_t m = 0; m < end && !found; m++)
				found = port_fwd_collides(&o->ports[m], pf);
			if (found) {
				port_format(pf, false, f, sizeof(f));
				perr(p, g->key_line[GF_PORTS],
				     "ports: %s is also forwarded to [guest %s] (line %u)", f,
				     o->name, o->key_line[GF_PORTS]);
			}
		}
	}
}

/* The directory of @name, for relative provision paths ("." for a bare file name). */
static int dir_of(const char *name, char *buf, size_t size)
{
	const char *slash = strrchr(name, '/');

	if (!slash)
		return strscpy(buf, size, ".");
	if (slash == name)
		return strscpy(buf, size, "/");
	return pathf(buf, size, "%.*s", (int)(slash - name), name);
}

static int too_large(struct conf_errors *errs, const char *name)
{
	guestfile_error(errs, name, 0, "file too large (more than %d bytes)", CONF_MAX_SIZE);
	return -EINVAL;
}

void guestfile_free(struct guestfile *gf)
{
	free(gf->guests);
	*gf = (struct guestfile){0};
}

int guestfile_parse(const char *name, const char *text, size_t len, struct guestfile *ret,
		    struct conf_errors *errs)
{
	struct gf_parser p = {.name = name, .errs = errs};
	unsigned line = 0;

	errs->n = 0;
	errs->dropped = 0;
	if (len > CONF_MAX_SIZE)
		return too_large(errs, name);
	if (dir_of(name, p.dir, sizeof(p.dir)) < 0) {
		perr(&p, 0, "path too long");
		return -EINVAL;
	}
	for (size_t pos = 0; pos < len && !p.oom;) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;

		one_line(&p, ++line, text + pos, n);
		pos += n + 1;
	}
	for (size_t j = 0; j < p.gf.n && !p.oom; j++) {
		verify_guest(&p, &p.gf.guests[j]);
		verify_between(&p, j);
	}
	if (p.oom) {
		guestfile_free(&p.gf);
		return -ENOMEM;
	}
	guestfile_sort_errors(errs, name);
	if (errs->n || errs->dropped) {
		guestfile_free(&p.gf);
		return -EINVAL;
	}
	*ret = p.gf;
	return 0;
}

int guestfile_load(const char *path, struct guestfile *ret, struct conf_errors *errs)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *text = NULL;
	struct stat st;
	size_t len = 0;
	int r;

	errs->n = 0;
	errs->dropped = 0;
	/* O_NONBLOCK: a FIFO must not hang us; only a regular file is read. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) < 0) {
		r = -errno;
		guestfile_error(errs, path, 0, "%s", strerror(-r));
		return r;
	}
	if (!S_ISREG(st.st_mode)) {
		guestfile_error(errs, path, 0, "not a regular file");
		return -EINVAL;
	}
	/* Sized before it is read: a huge file is refused, not slurped. */
	if (st.st_size > CONF_MAX_SIZE)
		return too_large(errs, path);
	r = read_fd(fd, &text, &len);
	if (r < 0) {
		guestfile_error(errs, path, 0, "%s", strerror(-r));
		return r;
	}
	return guestfile_parse(path, text, len, ret, errs);
}

bool guestfile_selected(const struct gf_guest *g, char *const *groups, size_t n)
{
	if (n == 0)
		return true;
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < g->n_groups; k++)
			if (streq(groups[i], g->groups[k]))
				return true;
	return false;
}
