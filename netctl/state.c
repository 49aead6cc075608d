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
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "addr.h"
#include "fsutil.h"
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
bool port_fwd_collides(const struct port_fwd *a, const struct port_fwd *b)
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
		if (port_fwd_collides(&r->ports[i], p))
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
 * The tables only find candidates; guests_conflict() and port_fwd_collides()
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
		if (port_fwd_collides(&ps->r.ports[ix->slot[s] - 1], p))
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
	char path[PATH_MAX];
	_cleanup_close_ int fd = -1;
	int err;

	if (!*dir)
		return -EINVAL;
	if (pathf(path, sizeof(path), "%s/%s", dir, STATE_LOCK) < 0)
		return -ENAMETOOLONG;

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
	/* Whoever can write the state dir can forge the journals that `down` and
	 * `apply --prune` act on: it must be ours alone. */
	{
		struct stat st;

		if (stat(dir, &st) < 0)
			return -errno;
		if (st.st_uid != geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH)))
			return -EPERM;
	}
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
	_cleanup_free_ char *text = NULL;
	_cleanup_close_ int fd = -1;
	char path[PATH_MAX];
	struct stat st;
	size_t len;
	unsigned line;
	int err;

	if (pathf(path, sizeof(path), "%s/%s", dir, STATE_REGISTRY) < 0)
		return -ENAMETOOLONG;
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
	_cleanup_free_ char *text = NULL;
	char path[PATH_MAX];

	text = registry_format(r);
	if (!text)
		return errno == EOVERFLOW ? -EOVERFLOW : -ENOMEM;
	if (pathf(path, sizeof(path), "%s/%s", dir, STATE_REGISTRY) < 0)
		return -ENAMETOOLONG;
	return write_file_atomic(path, text, strlen(text), 0600);
}

/* ---- journals of what `up` did to the host ---- */

/* The next line of @text (ending in '\n') into @buf; 0 at the end, -EBADMSG if unended or long. */
static int next_line(const char **pos, const char *end, char *buf, size_t size)
{
	const char *s = *pos, *nl;
	size_t n;

	if (s >= end)
		return 0;
	nl = memchr(s, '\n', (size_t)(end - s));
	if (!nl)
		return -EBADMSG;
	n = (size_t)(nl - s);
	if (n >= size || memchr(s, '\0', n))
		return -EBADMSG;
	memcpy(buf, s, n);
	buf[n] = '\0';
	*pos = nl + 1;
	return 1;
}

/* Load and parse STATE/@name; a missing file is an empty one. */
static int journal_load(const char *dir, const char *name, void *ret,
			int (*parse)(const char *, size_t, void *, unsigned *))
{
	_cleanup_free_ char *text = NULL;
	char path[PATH_MAX];
	size_t len = 0;
	unsigned line;
	int r;

	if (pathf(path, sizeof(path), "%s/%s", dir, name) < 0)
		return -ENAMETOOLONG;
	r = read_file(path, &text, &len);
	if (r < 0 && r != -ENOENT)
		return r;
	return parse(text ? text : "", len, ret, &line);
}

/* Write STATE/@name atomically, or remove it when @text is empty. */
static int journal_save(const char *dir, const char *name, char *text)
{
	_cleanup_free_ char *t = text;
	char path[PATH_MAX];

	if (!t)
		return -ENOMEM;
	if (pathf(path, sizeof(path), "%s/%s", dir, name) < 0)
		return -ENAMETOOLONG;
	if (!*t)
		return unlink(path) < 0 && errno != ENOENT ? -errno : 0;
	return write_file_atomic(path, t, strlen(t), 0600);
}

int owned_links_parse(const char *text, size_t len, struct owned_links *ret, unsigned *ret_line)
{
	const char *pos = text, *end = text + len;
	char buf[IFNAMSIZ + 1];
	int r;

	ret->n = 0;
	*ret_line = 0;
	while ((r = next_line(&pos, end, buf, sizeof(buf))) > 0) {
		++*ret_line;
		if (!valid_ifname(buf) || ret->n == OWNED_LINKS_MAX)
			return -EBADMSG;
		for (size_t i = 0; i < ret->n; i++)
			if (streq(ret->name[i], buf))
				return -EBADMSG;
		memcpy(ret->name[ret->n++], buf, strlen(buf) + 1);
	}
	if (r < 0)
		++*ret_line;
	return r;
}

char *owned_links_format(const struct owned_links *o)
{
	char *buf = malloc(o->n * (IFNAMSIZ + 1) + 1);
	size_t off = 0;

	if (!buf)
		return NULL;
	for (size_t i = 0; i < o->n; i++)
		off += (size_t)sprintf(buf + off, "%s\n", o->name[i]);
	buf[off] = '\0';
	return buf;
}

static int owned_parse_cb(const char *text, size_t len, void *ret, unsigned *line)
{
	return owned_links_parse(text, len, ret, line);
}

int state_owned_links_load(const char *dir, struct owned_links *ret)
{
	return journal_load(dir, STATE_OWNED_LINKS, ret, owned_parse_cb);
}

int state_owned_links_add(const char *dir, const char *ifname)
{
	struct owned_links o;
	int r;

	if (!valid_ifname(ifname))
		return -EINVAL;
	r = state_owned_links_load(dir, &o);
	if (r < 0)
		return r;
	for (size_t i = 0; i < o.n; i++)
		if (streq(o.name[i], ifname))
			return 0;
	if (o.n == OWNED_LINKS_MAX)
		return -E2BIG;
	memcpy(o.name[o.n++], ifname, strlen(ifname) + 1);
	return journal_save(dir, STATE_OWNED_LINKS, owned_links_format(&o));
}

int state_owned_links_clear(const char *dir)
{
	struct owned_links none = {0};

	return journal_save(dir, STATE_OWNED_LINKS, owned_links_format(&none));
}

static bool valid_sysctl_key(const char *k)
{
	size_t n = strlen(k);

	if (n == 0 || n >= sizeof(((struct sysctl_saved *)0)->key) || k[0] == '/' ||
	    k[n - 1] == '/' || strstr(k, "//"))
		return false;
	for (const char *s = k; *s; s++)
		if (!(isalnum((unsigned char)*s) || strchr("_.-/", *s)))
			return false;
	/* no "." or ".." component: the key names a file under /proc/sys */
	for (const char *c = k; c; c = strchr(c, '/') ? strchr(c, '/') + 1 : NULL)
		if (c[0] == '.' && (c[1] == '/' || c[1] == '\0' || (c[1] == '.' &&
								 (c[2] == '/' || c[2] == '\0'))))
			return false;
	return true;
}

static bool valid_sysctl_value(const char *v)
{
	size_t n = strlen(v);

	if (n == 0 || n >= sizeof(((struct sysctl_saved *)0)->value))
		return false;
	for (const char *s = v; *s; s++)
		if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f)
			return false;
	return true;
}

int sysctl_journal_find(const struct sysctl_journal *j, const char *key)
{
	for (size_t i = 0; i < j->n; i++)
		if (streq(j->e[i].key, key))
			return (int)i;
	return -ENOENT;
}

int sysctl_journal_add(struct sysctl_journal *j, const char *key, const char *value)
{
	if (!valid_sysctl_key(key) || !valid_sysctl_value(value))
		return -EINVAL;
	if (sysctl_journal_find(j, key) >= 0)
		return -EEXIST;
	if (j->n == SYSCTL_JOURNAL_MAX)
		return -E2BIG;
	strscpy(j->e[j->n].key, sizeof(j->e[j->n].key), key);
	strscpy(j->e[j->n].value, sizeof(j->e[j->n].value), value);
	j->n++;
	return 0;
}

/*
 * "KEY VALUE" lines (one blank between), each handed to @add, which
 * validates both: -EBADMSG with *@ret_line at the first line it refuses.
 */
static int pair_lines_parse(const char *text, size_t len, void *ret, unsigned *ret_line,
			    int (*add)(void *ret, const char *key, const char *value))
{
	const char *pos = text, *end = text + len;
	char buf[256];
	int r;

	*ret_line = 0;
	while ((r = next_line(&pos, end, buf, sizeof(buf))) > 0) {
		char *sp = strchr(buf, ' ');

		++*ret_line;
		if (!sp)
			return -EBADMSG;
		*sp = '\0';
		if (add(ret, buf, sp + 1) < 0)
			return -EBADMSG;
	}
	if (r < 0)
		++*ret_line;
	return r;
}

static int sysctl_add_cb(void *ret, const char *key, const char *value)
{
	return sysctl_journal_add(ret, key, value);
}

int sysctl_journal_parse(const char *text, size_t len, struct sysctl_journal *ret,
			 unsigned *ret_line)
{
	ret->n = 0;
	return pair_lines_parse(text, len, ret, ret_line, sysctl_add_cb);
}

char *sysctl_journal_format(const struct sysctl_journal *j)
{
	char *buf = malloc(j->n * sizeof(struct sysctl_saved) + 1);
	size_t off = 0;

	if (!buf)
		return NULL;
	for (size_t i = 0; i < j->n; i++)
		off += (size_t)sprintf(buf + off, "%s %s\n", j->e[i].key, j->e[i].value);
	buf[off] = '\0';
	return buf;
}

static int sysctl_parse_cb(const char *text, size_t len, void *ret, unsigned *line)
{
	return sysctl_journal_parse(text, len, ret, line);
}

int state_sysctl_journal_load(const char *dir, struct sysctl_journal *ret)
{
	return journal_load(dir, STATE_HOST_SYSCTLS, ret, sysctl_parse_cb);
}

int state_sysctl_journal_save(const char *dir, const struct sysctl_journal *j)
{
	return journal_save(dir, STATE_HOST_SYSCTLS, sysctl_journal_format(j));
}

/* ---- applied: the guests that `apply` created, by file ---- */

void applied_file_id(const char *path, char ret[APPLIED_ID_LEN + 1])
{
	/* FNV-1a: stable across builds and hosts, and no secret is at stake. */
	uint64_t h = 0xcbf29ce484222325ULL;

	for (const unsigned char *s = (const unsigned char *)path; *s; s++)
		h = (h ^ *s) * 0x100000001b3ULL;
	snprintf(ret, APPLIED_ID_LEN + 1, "%016" PRIx64, h);
}

static bool valid_file_id(const char *id)
{
	return strlen(id) == APPLIED_ID_LEN && strspn(id, "0123456789abcdef") == APPLIED_ID_LEN;
}

int applied_find(const struct applied *a, const char *name)
{
	for (size_t i = 0; i < a->n; i++)
		if (streq(a->e[i].name, name))
			return (int)i;
	return -ENOENT;
}

int applied_add(struct applied *a, const char *file_id, const char *name)
{
	if (!valid_file_id(file_id) || !valid_name(name))
		return -EINVAL;
	if (applied_find(a, name) >= 0)
		return -EEXIST;
	if (a->n == APPLIED_MAX)
		return -E2BIG;
	memcpy(a->e[a->n].file, file_id, APPLIED_ID_LEN + 1);
	strscpy(a->e[a->n].name, sizeof(a->e[a->n].name), name);
	a->n++;
	return 0;
}

int applied_del(struct applied *a, const char *name)
{
	int i = applied_find(a, name);

	if (i < 0)
		return i;
	memmove(&a->e[i], &a->e[i + 1], (a->n - (size_t)i - 1) * sizeof(a->e[0]));
	a->n--;
	return 0;
}

static int applied_add_cb(void *ret, const char *file_id, const char *name)
{
	return applied_add(ret, file_id, name);
}

int applied_parse(const char *text, size_t len, struct applied *ret, unsigned *ret_line)
{
	ret->n = 0;
	return pair_lines_parse(text, len, ret, ret_line, applied_add_cb);
}

char *applied_format(const struct applied *a)
{
	size_t size = a->n * (APPLIED_ID_LEN + 1 + sizeof(a->e[0].name) + 1) + 1, off = 0;
	char *buf = malloc(size);

	for (size_t i = 0; buf && i < a->n; i++)
		off +=
		    (size_t)snprintf(buf + off, size - off, "%s %s\n", a->e[i].file, a->e[i].name);
	if (buf)
		buf[off] = '\0';
	return buf;
}

static int applied_parse_cb(const char *text, size_t len, void *ret, unsigned *line)
{
	return applied_parse(text, len, ret, line);
}

int state_applied_load(const char *dir, struct applied *ret)
{
	return journal_load(dir, STATE_APPLIED, ret, applied_parse_cb);
}

int state_applied_save(const char *dir, const struct applied *a)
{
	return journal_save(dir, STATE_APPLIED, applied_format(a));
}

int state_applied_forget(const char *dir, const char *name)
{
	struct applied *a = malloc(sizeof(*a));
	int r;

	if (!a)
		return -ENOMEM;
	r = state_applied_load(dir, a);
	if (r == 0 && applied_del(a, name) == 0)
		r = state_applied_save(dir, a);
	free(a);
	return r;
}

/* ---- the runtime record of the running router ---- */

char *runtime_record_format(const struct runtime_record *r)
{
	char pfx[INET6_ADDRSTRLEN] = "-", why[sizeof(r->attach_why)], *buf = NULL;

	if (strpbrk(r->stamp, "\n\r"))
		return NULL;
	if (r->prefix.plen)
		inet_ntop(AF_INET6, &r->prefix.addr, pfx, sizeof(pfx));
	str_escape(r->attach_why, why, sizeof(why), false);
	if (asprintf(&buf, "mode %s\nlan_prefix %s/%u\nrouter %d %llu\n%s%s%s%s%s%s%s",
		     r->mode == MODE_SERVER ? "server" : "desktop", pfx, r->prefix.plen, (int)r->pid,
		     r->start, r->has_attach ? "attach " : "",
		     r->has_attach ? (r->attach == ATTACH_ROUTED ? "routed " : "macvlan ") : "",
		     r->has_attach ? why : "", r->has_attach ? "\n" : "", *r->stamp ? "lxc " : "",
		     r->stamp, *r->stamp ? "\n" : "") < 0)
		return NULL;
	return buf;
}

int runtime_record_parse(const char *text, struct runtime_record *ret)
{
	const char *pos = text, *end = text + strlen(text);
	struct runtime_record r = {0};
	char line[PATH_MAX + 128], word[16], val[64], tail[2];
	int pid, n;

	/* mode */
	if (next_line(&pos, end, line, sizeof(line)) <= 0 ||
	    sscanf(line, "mode %15s%1s", word, tail) != 1 ||
	    !(streq(word, "server") || streq(word, "desktop")))
		return -EBADMSG;
	r.mode = streq(word, "server") ? MODE_SERVER : MODE_DESKTOP;
	/* lan_prefix */
	if (next_line(&pos, end, line, sizeof(line)) <= 0 ||
	    sscanf(line, "lan_prefix %63s%1s", val, tail) != 1)
		return -EBADMSG;
	if (!streq(val, "-/0") && (addr_parse_ip6_net(val, &r.prefix) < 0 || !r.prefix.plen))
		return -EBADMSG;
	/* router */
	if (next_line(&pos, end, line, sizeof(line)) <= 0 ||
	    sscanf(line, "router %d %llu%1s", &pid, &r.start, tail) != 2 || pid < 0)
		return -EBADMSG;
	r.pid = pid;
	/* attach (absent in files of older versions) and lxc, each at most once */
	while ((n = next_line(&pos, end, line, sizeof(line))) > 0) {
		if (!strncmp(line, "attach ", 7) && !r.has_attach && !*r.stamp) {
			const char *reason;

			if (!strncmp(line + 7, "routed ", 7)) {
				r.attach = ATTACH_ROUTED;
				reason = line + 14;
			} else if (!strncmp(line + 7, "macvlan ", 8)) {
				r.attach = ATTACH_MACVLAN;
				reason = line + 15;
			} else {
				return -EBADMSG;
			}
			if (strscpy(r.attach_why, sizeof(r.attach_why), reason) < 0)
				return -EBADMSG;
			r.has_attach = true;
		} else if (!strncmp(line, "lxc ", 4) && !*r.stamp && line[4]) {
			if (strscpy(r.stamp, sizeof(r.stamp), line + 4) < 0)
				return -EBADMSG;
		} else {
			return -EBADMSG;
		}
	}
	if (n < 0)
		return -EBADMSG;
	*ret = r;
	return 0;
}
