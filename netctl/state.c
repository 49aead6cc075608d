// SPDX-License-Identifier: BSD-2-Clause
/*
 * Guest registry: an in-memory model, its line-based text form, and the
 * on-disk store (atomic replace + flock).
 *
 * The text form is machine-written, so the parser accepts exactly what
 * registry_format() could have produced, modulo case in MACs and IPv6
 * spelling. Anything else is refused rather than guessed at: a registry we
 * misread would make `up` tear down guests that still exist.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "addr.h"
#include "state.h"
#include "util.h"

#define REGISTRY_HEADER "# lxctogo-net guest registry v1"
/* Longer than any line registry_format() can produce (about 150 bytes). */
#define REGISTRY_LINE_MAX 256
#define REGISTRY_FIELDS_MAX 6

/* ---- in-memory model ---- */

void registry_free(struct registry *r)
{
	free(r->guests);
	free(r->ports);
	*r = (struct registry){};
}

/* Geometric growth keeps n appends O(n) overall even for thousands of guests. */
static int grow(void **arr, size_t *cap, size_t need, size_t elem)
{
	size_t ncap;
	void *p;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap : 16;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2)
			return -ENOMEM;
		ncap *= 2;
	}
	p = reallocarray(*arr, ncap, elem);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

struct guest *registry_find(const struct registry *r, const char *name)
{
	for (size_t i = 0; i < r->n_guests; i++)
		if (streq(r->guests[i].name, name))
			return &r->guests[i];
	return NULL;
}

static bool name_ok(const char name[64])
{
	/* The caller's buffer may be unterminated; valid_name() would overrun it. */
	return memchr(name, '\0', 64) && valid_name(name);
}

/*
 * Everything stored must survive registry_format() + registry_parse(),
 * otherwise one bad add would make the saved registry unloadable.
 */
static bool mac_ok(const uint8_t mac[6])
{
	char buf[MAC_STRLEN];
	uint8_t back[6];

	return mac_parse(mac_format(mac, buf), back) == 0;
}

static bool guest_ok(const struct guest *g)
{
	return name_ok(g->name) && mac_ok(g->mac);
}

/* The one place that says which guests cannot coexist. */
static bool guests_conflict(const struct guest *a, const struct guest *b)
{
	if (a->ip4.s_addr == b->ip4.s_addr || memcmp(a->mac, b->mac, 6) == 0 ||
	    streq(a->name, b->name))
		return true;
	return a->has_ip6 && b->has_ip6 && IN6_ARE_ADDR_EQUAL(&a->ip6, &b->ip6);
}

static int guest_append(struct registry *r, const struct guest *g)
{
	struct guest c = {};
	int err;

	err = grow((void **)&r->guests, &r->cap_guests, r->n_guests + 1, sizeof(*r->guests));
	if (err < 0)
		return err;

	/* Normalise so that equal guests are equal byte for byte (tests, fuzzer). */
	memcpy(c.name, g->name, strlen(g->name) + 1);
	memcpy(c.mac, g->mac, 6);
	c.ip4 = g->ip4;
	c.has_ip6 = g->has_ip6;
	if (g->has_ip6)
		c.ip6 = g->ip6;
	r->guests[r->n_guests++] = c;
	return 0;
}

int registry_add_guest(struct registry *r, const struct guest *g)
{
	if (!guest_ok(g))
		return -EINVAL;
	for (size_t i = 0; i < r->n_guests; i++)
		if (guests_conflict(&r->guests[i], g))
			return -EEXIST;
	return guest_append(r, g);
}

int registry_del_guest(struct registry *r, const char *name)
{
	struct guest *g = registry_find(r, name);
	char gname[sizeof(g->name)];
	size_t i, j;

	if (!g)
		return -ENOENT;
	/* @name may point into the array we are about to shift. */
	memcpy(gname, g->name, sizeof(gname));

	/* Keep insertion order: it is the order of the file and of `status`. */
	i = g - r->guests;
	memmove(g, g + 1, (r->n_guests - i - 1) * sizeof(*g));
	r->n_guests--;

	for (i = j = 0; i < r->n_ports; i++)
		if (!streq(r->ports[i].guest, gname))
			r->ports[j++] = r->ports[i];
	r->n_ports = j;
	return 0;
}

static bool haddr_equal(const struct port_fwd *a, const struct port_fwd *b)
{
	if (a->family != b->family)
		return false;
	switch (a->family) {
	case AF_INET:
		return a->haddr.v4.s_addr == b->haddr.v4.s_addr;
	case AF_INET6:
		return IN6_ARE_ADDR_EQUAL(&a->haddr.v6, &b->haddr.v6);
	default:
		return true;
	}
}

/* A wildcard listener takes the port on every address, so it collides with any address. */
static bool port_collides(const struct port_fwd *a, const struct port_fwd *b)
{
	if (a->proto != b->proto || a->host_port != b->host_port)
		return false;
	if (a->family == AF_UNSPEC || b->family == AF_UNSPEC)
		return true;
	return haddr_equal(a, b);
}

static bool port_ok(const struct port_fwd *p)
{
	if (!name_ok(p->guest))
		return false;
	if (p->proto != IPPROTO_TCP && p->proto != IPPROTO_UDP)
		return false;
	if (p->family != AF_UNSPEC && p->family != AF_INET && p->family != AF_INET6)
		return false;
	return p->host_port != 0 && p->guest_port != 0;
}

static int port_append(struct registry *r, const struct port_fwd *p)
{
	struct port_fwd c = {};
	int err;

	err = grow((void **)&r->ports, &r->cap_ports, r->n_ports + 1, sizeof(*r->ports));
	if (err < 0)
		return err;

	memcpy(c.guest, p->guest, strlen(p->guest) + 1);
	c.proto = p->proto;
	c.family = p->family;
	if (p->family == AF_INET)
		c.haddr.v4 = p->haddr.v4;
	else if (p->family == AF_INET6)
		c.haddr.v6 = p->haddr.v6;
	c.host_port = p->host_port;
	c.guest_port = p->guest_port;
	r->ports[r->n_ports++] = c;
	return 0;
}

int registry_add_port(struct registry *r, const struct port_fwd *p)
{
	if (!port_ok(p))
		return -EINVAL;
	if (!registry_find(r, p->guest))
		return -ENOENT;
	for (size_t i = 0; i < r->n_ports; i++)
		if (port_collides(&r->ports[i], p))
			return -EEXIST;
	return port_append(r, p);
}

int registry_del_port(struct registry *r, const struct port_fwd *p)
{
	if (!memchr(p->guest, '\0', sizeof(p->guest)))
		return -EINVAL;

	for (size_t i = 0; i < r->n_ports; i++) {
		struct port_fwd *o = &r->ports[i];

		if (!streq(o->guest, p->guest) || o->proto != p->proto ||
		    o->host_port != p->host_port || !haddr_equal(o, p))
			continue;
		memmove(o, o + 1, (r->n_ports - i - 1) * sizeof(*o));
		r->n_ports--;
		return 0;
	}
	return -ENOENT;
}

/* ---- parse-time index ---- */

/*
 * registry_add_*() check for conflicts linearly, which is fine for the one
 * add a command makes, but would make every load O(n^2). Loading runs on
 * every command, so the parser looks candidates up in hash tables instead.
 * The tables only find candidates; guests_conflict() and port_collides()
 * still decide, so the rules cannot drift apart.
 */
struct index {
	uint32_t *slot; /* 0 = empty, else array position + 1 (registry_parse caps it) */
	size_t mask;
};

/* KEY_IP6 last among the guest keys: guests without IPv6 simply stop before it. */
enum {
	KEY_NAME,
	KEY_MAC,
	KEY_IP4,
	KEY_IP6,
	KEY_PORT,
};

static uint64_t key_hash(uint8_t kind, const void *key, size_t n)
{
	const uint8_t *b = key;
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */

	h = (h ^ kind) * 0x100000001b3ULL;
	while (n--)
		h = (h ^ *b++) * 0x100000001b3ULL;
	return h;
}

/* Sized once for @n keys at load <= 1/2, so probing always meets an empty slot. */
static int index_init(struct index *ix, size_t n)
{
	size_t cap = 16;

	while (cap / 2 < n) {
		if (cap > SIZE_MAX / 2 / sizeof(*ix->slot))
			return -ENOMEM;
		cap *= 2;
	}
	ix->slot = calloc(cap, sizeof(*ix->slot));
	if (!ix->slot)
		return -ENOMEM;
	ix->mask = cap - 1;
	return 0;
}

static void index_put(struct index *ix, uint64_t h, size_t pos)
{
	size_t s = h & ix->mask;

	while (ix->slot[s])
		s = (s + 1) & ix->mask;
	ix->slot[s] = (uint32_t)pos + 1;
}

static size_t index_next(const struct index *ix, size_t s)
{
	return (s + 1) & ix->mask;
}

struct parser {
	struct registry r;
	struct index guests; /* name, MAC, IPv4 and IPv6 of each guest */
	struct index ports;  /* proto + host port */
};

static uint64_t guest_key(const struct guest *g, uint8_t kind)
{
	if (kind == KEY_NAME)
		return key_hash(kind, g->name, strlen(g->name));
	if (kind == KEY_MAC)
		return key_hash(kind, g->mac, sizeof(g->mac));
	if (kind == KEY_IP4)
		return key_hash(kind, &g->ip4, sizeof(g->ip4));
	return key_hash(kind, &g->ip6, sizeof(g->ip6));
}

static uint64_t port_key(const struct port_fwd *p)
{
	uint8_t k[3] = {p->proto, (uint8_t)(p->host_port >> 8), (uint8_t)p->host_port};

	return key_hash(KEY_PORT, k, sizeof(k));
}

static int parser_add_guest(struct parser *ps, const struct guest *g)
{
	const struct index *ix = &ps->guests;
	uint8_t nkeys = g->has_ip6 ? KEY_IP6 + 1 : KEY_IP6;
	int err;

	/* parse_guest() checked the name and parsed the MAC from text: guest_ok() holds. */
	for (uint8_t k = 0; k < nkeys; k++)
		for (size_t s = guest_key(g, k) & ix->mask; ix->slot[s]; s = index_next(ix, s))
			if (guests_conflict(&ps->r.guests[ix->slot[s] - 1], g))
				return -EEXIST;
	err = guest_append(&ps->r, g);
	if (err < 0)
		return err;
	for (uint8_t k = 0; k < nkeys; k++)
		index_put(&ps->guests, guest_key(g, k), ps->r.n_guests - 1);
	return 0;
}

static bool parser_has_guest(const struct parser *ps, const char *name)
{
	const struct index *ix = &ps->guests;

	for (size_t s = key_hash(KEY_NAME, name, strlen(name)) & ix->mask; ix->slot[s];
	     s = index_next(ix, s))
		if (streq(ps->r.guests[ix->slot[s] - 1].name, name))
			return true;
	return false;
}

static int parser_add_port(struct parser *ps, const struct port_fwd *p)
{
	const struct index *ix = &ps->ports;
	int err;

	if (!port_ok(p))
		return -EINVAL;
	if (!parser_has_guest(ps, p->guest))
		return -ENOENT;
	for (size_t s = port_key(p) & ix->mask; ix->slot[s]; s = index_next(ix, s))
		if (port_collides(&ps->r.ports[ix->slot[s] - 1], p))
			return -EEXIST;
	err = port_append(&ps->r, p);
	if (err < 0)
		return err;
	index_put(&ps->ports, port_key(p), ps->r.n_ports - 1);
	return 0;
}

/* ---- text form ---- */

/* Single spaces only: the writer never emits anything else, so anything else is damage. */
static int split_fields(char *line, char **fields)
{
	int n = 0;

	for (char *s = line;;) {
		char *sp = strchr(s, ' ');

		if (n == REGISTRY_FIELDS_MAX)
			return -EINVAL;
		fields[n++] = s;
		if (sp)
			*sp = '\0';
		if (!*s)
			return -EINVAL;
		if (!sp)
			return n;
		s = sp + 1;
	}
}

static int parse_guest(struct parser *ps, char **f, int n)
{
	struct guest g = {};

	if (n != 5 || strscpy(g.name, sizeof(g.name), f[1]) < 0 || !valid_name(g.name))
		return -EINVAL;
	if (mac_parse(f[2], g.mac) < 0 || addr_parse_ip4(f[3], &g.ip4) < 0)
		return -EINVAL;
	if (!streq(f[4], "-")) {
		if (addr_parse_ip6(f[4], &g.ip6) < 0)
			return -EINVAL;
		g.has_ip6 = true;
	}
	return parser_add_guest(ps, &g);
}

static int parse_port_rec(struct parser *ps, char **f, int n)
{
	struct port_fwd p = {};

	if (n != 6 || strscpy(p.guest, sizeof(p.guest), f[1]) < 0 || !valid_name(p.guest))
		return -EINVAL;
	if (streq(f[2], "tcp"))
		p.proto = IPPROTO_TCP;
	else if (streq(f[2], "udp"))
		p.proto = IPPROTO_UDP;
	else
		return -EINVAL;
	if (streq(f[3], "*"))
		p.family = AF_UNSPEC;
	else if (addr_parse_ip4(f[3], &p.haddr.v4) == 0)
		p.family = AF_INET;
	else if (addr_parse_ip6(f[3], &p.haddr.v6) == 0)
		p.family = AF_INET6;
	else
		return -EINVAL;
	if (parse_port(f[4], &p.host_port) < 0 || parse_port(f[5], &p.guest_port) < 0)
		return -EINVAL;
	return parser_add_port(ps, &p);
}

static int parse_record(struct parser *ps, char *line)
{
	char *f[REGISTRY_FIELDS_MAX];
	int n = split_fields(line, f);

	if (n < 0)
		return n;
	if (streq(f[0], "guest"))
		return parse_guest(ps, f, n);
	if (streq(f[0], "port"))
		return parse_port_rec(ps, f, n);
	return -EINVAL;
}

int registry_parse(const char *text, size_t len, struct registry *ret, unsigned *ret_line)
{
	struct parser ps = {};
	const char *p, *end;
	char buf[REGISTRY_LINE_MAX];
	size_t records = 0;
	unsigned line = 0;
	int err;

	/* An empty file is what a crash without fsync leaves; it is not "no guests". */
	if (len == 0) {
		line = 1;
		err = -EBADMSG;
		goto out;
	}

	end = text + len;
	for (p = text; (p = memchr(p, '\n', end - p)); p++)
		records++;
	/* One allocation for the guests (no realloc chain): at 1000 guests every
	 * fresh heap page is a page fault, which is what `guest add` costs most. */
	err = records > UINT32_MAX / 4 ? -EFBIG : index_init(&ps.guests, 4 * records);
	if (err == 0)
		err = index_init(&ps.ports, records);
	if (err == 0)
		err = grow((void **)&ps.r.guests, &ps.r.cap_guests, records, sizeof(*ps.r.guests));
	if (err < 0)
		goto out;

	for (p = text; p < end;) {
		const char *nl = memchr(p, '\n', end - p);
		size_t n;

		line++;
		/* A missing final newline means truncation, which can still parse as valid. */
		if (!nl) {
			err = -EBADMSG;
			goto out;
		}
		n = nl - p;
		if (n >= sizeof(buf) || memchr(p, '\0', n)) {
			err = -EBADMSG;
			goto out;
		}
		memcpy(buf, p, n);
		buf[n] = '\0';
		p = nl + 1;

		if (line == 1)
			err = streq(buf, REGISTRY_HEADER) ? 0 : -EINVAL;
		else
			err = parse_record(&ps, buf);
		if (err == -ENOMEM)
			goto out;
		if (err < 0) {
			err = -EBADMSG;
			goto out;
		}
	}

	*ret = ps.r;
	ps.r = (struct registry){};
out:
	registry_free(&ps.r);
	free(ps.guests.slot);
	free(ps.ports.slot);
	if (err == -EBADMSG && ret_line)
		*ret_line = line;
	return err;
}

static bool appendf(char *buf, size_t size, size_t *off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static bool appendf(char *buf, size_t size, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf + *off, size - *off, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size - *off)
		return false;
	*off += n;
	return true;
}

static char *put_mac(char *o, const uint8_t mac[6])
{
	static const char hex[] = "0123456789abcdef";

	for (int i = 0; i < 6; i++) {
		if (i)
			*o++ = ':';
		*o++ = hex[mac[i] >> 4];
		*o++ = hex[mac[i] & 15];
	}
	return o;
}

static char *put_ip4(char *o, struct in_addr a)
{
	const uint8_t *b = (const uint8_t *)&a.s_addr;

	for (int i = 0; i < 4; i++) {
		unsigned v = b[i];

		if (i)
			*o++ = '.';
		if (v >= 100)
			*o++ = (char)('0' + v / 100);
		if (v >= 10)
			*o++ = (char)('0' + v / 10 % 10);
		*o++ = (char)('0' + v % 10);
	}
	return o;
}

char *registry_format(const struct registry *r)
{
	size_t n = r->n_guests + r->n_ports, size, off = 0;
	char *buf;

	if (n < r->n_guests || n > (SIZE_MAX - sizeof(REGISTRY_HEADER) - 1) / REGISTRY_LINE_MAX) {
		errno = ENOMEM;
		return NULL;
	}
	size = sizeof(REGISTRY_HEADER) + 1 + n * REGISTRY_LINE_MAX;
	buf = malloc(size);
	if (!buf)
		return NULL;

	if (!appendf(buf, size, &off, "%s\n", REGISTRY_HEADER))
		goto fail;

	/* Guest lines by hand: this runs on every `guest add` over the whole
	 * registry, and printf-family formatting dominated its cost at 1000 guests. */
	for (size_t i = 0; i < r->n_guests; i++) {
		const struct guest *g = &r->guests[i];
		size_t nlen = strnlen(g->name, sizeof(g->name) - 1);
		char *o;

		if (off + 6 + nlen + 18 + 16 + INET6_ADDRSTRLEN + 2 >= size)
			goto fail;
		o = buf + off;
		memcpy(o, "guest ", 6);
		o += 6;
		memcpy(o, g->name, nlen);
		o += nlen;
		*o++ = ' ';
		o = put_mac(o, g->mac);
		*o++ = ' ';
		o = put_ip4(o, g->ip4);
		*o++ = ' ';
		if (g->has_ip6) {
			addr_format_ip6(&g->ip6, o);
			o += strlen(o);
		} else {
			*o++ = '-';
		}
		*o++ = '\n';
		*o = '\0';
		off = (size_t)(o - buf);
	}

	for (size_t i = 0; i < r->n_ports; i++) {
		const struct port_fwd *p = &r->ports[i];
		char haddr[INET6_ADDRSTRLEN] = "*";

		if (p->family == AF_INET)
			inet_ntop(AF_INET, &p->haddr.v4, haddr, sizeof(haddr));
		else if (p->family == AF_INET6)
			inet_ntop(AF_INET6, &p->haddr.v6, haddr, sizeof(haddr));
		if (!appendf(buf, size, &off, "port %.63s %s %s %u %u\n", p->guest,
			     p->proto == IPPROTO_UDP ? "udp" : "tcp", haddr, p->host_port,
			     p->guest_port))
			goto fail;
	}
	return buf;
fail:
	/* Unreachable with REGISTRY_LINE_MAX above the longest line; fail safe anyway. */
	free(buf);
	errno = EOVERFLOW;
	return NULL;
}

/* ---- files ---- */

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		p += n;
		len -= n;
	}
	return 0;
}

int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	const char *slash = strrchr(path, '/');
	char *tmp = NULL, *dir = NULL;
	bool created = false;
	int fd = -1, dfd = -1, err;

	/* The temp file must live in the target's directory, or rename() is not atomic. */
	if (!slash)
		dir = strdup(".");
	else if (slash == path)
		dir = strdup("/");
	else
		dir = strndup(path, slash - path);
	tmp = malloc(strlen(path) + sizeof(".tmp.XXXXXX"));
	if (!dir || !tmp) {
		err = -ENOMEM;
		goto out;
	}
	strcpy(stpcpy(tmp, path), ".tmp.XXXXXX");

	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	created = true;

	err = write_all(fd, data, len);
	if (err < 0)
		goto out;
	/* fchmod, not the creation mode: mkstemp forces 0600 and umask must not matter. */
	if (fchmod(fd, mode) < 0 || fsync(fd) < 0) {
		err = -errno;
		goto out;
	}
	if (rename(tmp, path) < 0) {
		err = -errno;
		goto out;
	}
	created = false;

	/*
	 * Without this the rename itself may not survive a power cut. A failure
	 * here leaves the new file in place but still has to be reported.
	 */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) < 0) {
		err = -errno;
		goto out;
	}
	err = 0;
out:
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	if (created)
		unlink(tmp);
	free(tmp);
	free(dir);
	return err;
}

static int read_fd(int fd, char **ret, size_t *ret_len)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, cap = 4096;
	struct stat st;

	/* st_size is only a hint: /proc files report 0 and files may grow under us.
	 * +2: room for the NUL and for the read() that sees EOF, so a file that did
	 * not change size is read without a realloc. */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
	    (uintmax_t)st.st_size < SIZE_MAX - 2)
		cap = (size_t)st.st_size + 2;

	buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n;

		if (cap - len < 2) {
			char *nbuf;

			if (cap > SIZE_MAX / 2)
				return -EFBIG;
			nbuf = realloc(buf, cap * 2);
			if (!nbuf)
				return -ENOMEM;
			buf = nbuf;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		len += n;
	}
	buf[len] = '\0';

	*ret = buf;
	buf = NULL;
	if (ret_len)
		*ret_len = len;
	return 0;
}

int read_file(const char *path, char **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	return fd < 0 ? -errno : read_fd(fd, ret, ret_len);
}

int read_regular_file(const char *path, char **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = -1;
	struct stat st;

	/* O_NONBLOCK: opening a FIFO for reading must not wait for a writer. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	return read_fd(fd, ret, ret_len);
}

static char *path_join(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);

	if (p)
		snprintf(p, n, "%s/%s", dir, name);
	return p;
}

/* Only directories we create get 0700; existing ones (/var/lib) are not ours to chmod. */
static int mkdir_p(const char *dir, mode_t mode)
{
	_cleanup_free_ char *p = strdup(dir);
	struct stat st;

	if (!p)
		return -ENOMEM;
	if (!*p)
		return -EINVAL;

	for (char *s = p + 1;; s++) {
		char c = *s;

		if (c != '/' && c != '\0')
			continue;
		*s = '\0';
		/* Existing dirs on read-only or foreign mounts may fail with EROFS/EACCES. */
		if (mkdir(p, mode) < 0) {
			int e = errno;

			if (stat(p, &st) < 0)
				return -e;
			if (!S_ISDIR(st.st_mode))
				return -ENOTDIR;
		}
		*s = c;
		if (!c)
			return 0;
	}
}

/*
 * A writer killed between mkstemp() and rename() leaves "<file>.tmp.XXXXXX"
 * behind. Every writer holds the lock, so under the lock any such file is
 * garbage: remove it.
 */
static void remove_stale_temps(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d)))
		if (de->d_type == DT_REG && strstr(de->d_name, ".tmp."))
			unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
}

int state_lock(const char *dir, int *ret_fd)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_close_ int fd = -1;
	int err;

	if (!*dir)
		return -EINVAL;
	path = path_join(dir, STATE_LOCK);
	if (!path)
		return -ENOMEM;

	/* O_NOFOLLOW: a planted symlink must not make us create or lock a file elsewhere.
	 * The directory is made only when it is missing (the first command ever). */
	fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
	if (fd < 0 && errno == ENOENT) {
		err = mkdir_p(dir, 0700);
		if (err < 0)
			return err;
		fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
	}
	if (fd < 0)
		return -errno;
	while (flock(fd, LOCK_EX) < 0)
		if (errno != EINTR)
			return -errno;
	remove_stale_temps(dir);

	*ret_fd = fd;
	fd = -1;
	return 0;
}

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

/*
 * Loading a registry of n guests and saving it again touches about four times
 * the file's size in fresh heap (the text, the parsed array and its index, the
 * formatted copy). Touching a fresh page is a page fault, about 10 us each on a
 * virtual machine with a paravirtualised MMU, against about 2 us a page when
 * madvise(MADV_POPULATE_WRITE) fills a range in one call. So populate that much
 * heap first and keep it in the heap (no mmap for big blocks, no trimming on
 * free): at 1000 guests this is 70 page faults fewer per `guest add`. Small
 * registries are left to demand paging; any failure here only costs the faults.
 */
static void heap_populate(size_t bytes)
{
	long pg = sysconf(_SC_PAGESIZE);
	uintptr_t a, b;
	void *p;

	if (pg <= 0 || bytes < 32 * (size_t)pg || bytes > 16u << 20)
		return;
	mallopt(M_MMAP_THRESHOLD, 32 << 20);
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
	p = malloc(bytes);
	if (!p)
		return;
	a = ((uintptr_t)p + pg - 1) & ~(uintptr_t)(pg - 1);
	b = ((uintptr_t)p + bytes) & ~(uintptr_t)(pg - 1);
	if (b > a)
		madvise((void *)a, b - a, MADV_POPULATE_WRITE);
	free(p);
}

int registry_load(const char *dir, struct registry *ret)
{
	_cleanup_free_ char *path = NULL, *text = NULL;
	_cleanup_close_ int fd = -1;
	struct stat st;
	size_t len;
	unsigned line;
	int err;

	path = path_join(dir, STATE_REGISTRY);
	if (!path)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 && errno == ENOENT) {
		*ret = (struct registry){};
		return 0;
	}
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) == 0 && st.st_size > 0 && st.st_size < (4 << 20))
		heap_populate(4 * (size_t)st.st_size + (64 << 10));
	err = read_fd(fd, &text, &len);
	if (err < 0)
		return err;
	return registry_parse(text, len, ret, &line);
}

int registry_save(const char *dir, const struct registry *r)
{
	_cleanup_free_ char *path = NULL, *text = NULL;

	text = registry_format(r);
	if (!text)
		return errno == EOVERFLOW ? -EOVERFLOW : -ENOMEM;
	path = path_join(dir, STATE_REGISTRY);
	if (!path)
		return -ENOMEM;
	return write_file_atomic(path, text, strlen(text), 0600);
}
