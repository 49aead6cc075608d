// SPDX-License-Identifier: BSD-2-Clause
/*
 * Table-driven tests of the port-forward syntax of `port add` / `port del`:
 * every accepted form, its fields and canonical text (which must parse back
 * to the same forward), and the rejects.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "spec.h"
#include "util.h"
#include "tap.h"

/* The fields of a forward as one string, so a table can name them. */
static const char *fields(const struct port_fwd *p, bool with_guest)
{
	static char buf[2][128];
	static unsigned next;
	char *b = buf[next++ % 2], a[INET6_ADDRSTRLEN] = "*";

	if (p->family == AF_INET)
		inet_ntop(AF_INET, &p->haddr.v4, a, sizeof(a));
	else if (p->family == AF_INET6)
		inet_ntop(AF_INET6, &p->haddr.v6, a, sizeof(a));
	else if (p->family != AF_UNSPEC)
		snprintf(a, sizeof(a), "family %d", p->family);
	snprintf(b, sizeof(buf[0]), "%s %s %u %u",
		 p->proto == IPPROTO_TCP   ? "tcp"
		 : p->proto == IPPROTO_UDP ? "udp"
					   : "proto?",
		 a, p->host_port, with_guest ? p->guest_port : 0);
	return b;
}

static void test_accept(void)
{
	static const struct {
		const char *in;
		bool guest;
		const char *want;  /* proto, host address (* = any), host port, guest port */
		const char *canon; /* port_format */
	} t[] = {
	    /* port add */
	    {"80:8080", true, "tcp * 80 8080", "80:8080/tcp"},
	    {"80:8080/tcp", true, "tcp * 80 8080", "80:8080/tcp"},
	    {"53:5353/udp", true, "udp * 53 5353", "53:5353/udp"},
	    {"1:1", true, "tcp * 1 1", "1:1/tcp"},
	    {"65535:65535/udp", true, "udp * 65535 65535", "65535:65535/udp"},
	    {"192.168.1.10:80:8080", true, "tcp 192.168.1.10 80 8080", "192.168.1.10:80:8080/tcp"},
	    {"10.0.0.1:53:53/udp", true, "udp 10.0.0.1 53 53", "10.0.0.1:53:53/udp"},
	    {"[2001:db8::1]:443:8443", true, "tcp 2001:db8::1 443 8443",
	     "[2001:db8::1]:443:8443/tcp"},
	    {"[2001:DB8:0:0::1]:443:8443/udp", true, "udp 2001:db8::1 443 8443",
	     "[2001:db8::1]:443:8443/udp"},
	    {"[::1]:1:65535", true, "tcp ::1 1 65535", "[::1]:1:65535/tcp"},
	    {"[::ffff:192.0.2.1]:80:80", true, "tcp ::ffff:192.0.2.1 80 80",
	     "[::ffff:192.0.2.1]:80:80/tcp"},
	    {"[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535:65535/udp", true,
	     "udp ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535",
	     "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535:65535/udp"},
	    /* port del */
	    {"80", false, "tcp * 80 0", "80/tcp"},
	    {"80/tcp", false, "tcp * 80 0", "80/tcp"},
	    {"5353/udp", false, "udp * 5353 0", "5353/udp"},
	    {"65535", false, "tcp * 65535 0", "65535/tcp"},
	    {"192.168.1.10:80", false, "tcp 192.168.1.10 80 0", "192.168.1.10:80/tcp"},
	    {"192.168.1.10:53/udp", false, "udp 192.168.1.10 53 0", "192.168.1.10:53/udp"},
	    {"[2001:db8::1]:443", false, "tcp 2001:db8::1 443 0", "[2001:db8::1]:443/tcp"},
	    {"[fd00::5]:53/udp", false, "udp fd00::5 53 0", "[fd00::5]:53/udp"},
	};

	for (unsigned i = 0; i < ARRAY_SIZE(t); i++) {
		struct port_fwd a, b;
		char canon[128], again[128];
		int r;

		memset(&a, 0, sizeof(a));
		memset(&b, 0, sizeof(b));
		r = port_parse(t[i].in, t[i].guest, &a);
		tap_is_str(r == 0 ? fields(&a, t[i].guest) : "(rejected)", t[i].want,
			   "port_parse %s '%s'", t[i].guest ? "add" : "del", tap_show(t[i].in));
		if (r < 0)
			continue;
		r = port_format(&a, t[i].guest, canon, sizeof(canon));
		tap_is_str(r == 0 ? canon : "(error)", t[i].canon, "port_format of '%s'",
			   tap_show(t[i].in));
		/* The canonical text parses back to the same forward and formats the same. */
		r = port_parse(canon, t[i].guest, &b);
		tap_is_str(r == 0 ? fields(&b, t[i].guest) : "(rejected)", t[i].want,
			   "port_parse of the canonical '%s'", canon);
		r = port_format(&b, t[i].guest, again, sizeof(again));
		tap_is_str(r == 0 ? again : "(error)", canon, "port_format is stable for '%s'",
			   canon);
	}
}

static void test_reject(void)
{
	static const struct {
		const char *in;
		bool guest;
	} t[] = {
	    /* ports out of range or malformed */
	    {"0:80", true},
	    {"80:0", true},
	    {"65536:80", true},
	    {"80:65536", true},
	    {"080:80", true},
	    {"80:-1", true},
	    {"+80:80", true},
	    {"0", false},
	    {"65536", false},
	    {"99999999999999999999", false},
	    {"0/udp", false},
	    /* missing or extra parts */
	    {"", true},
	    {"", false},
	    {"80", true},
	    {"80:", true},
	    {":80", true},
	    {":", true},
	    {"80::81", true},
	    {"80:8080", false},
	    {"1.2.3.4:80", true},
	    {"1.2.3.4:5:80:8080", true},
	    {"1.2.3.4:", false},
	    {":80", false},
	    /* protocol */
	    {"80:8080/", true},
	    {"80:8080/sctp", true},
	    {"80:8080/TCP", true},
	    {"80:8080/udp/tcp", true},
	    {"80:8080//tcp", true},
	    {"80/tcp:8080", true},
	    {"/tcp", false},
	    {"80/icmp", false},
	    /* host address */
	    {"1.2.3.256:80:81", true},
	    {"01.2.3.4:80:81", true},
	    {"1.2.3:80:81", true},
	    {"localhost:80:81", true},
	    {"::1:80:81", true},
	    {"[::1]:80", true},
	    {"[::1]80:81", true},
	    {"[::1:80:81", true},
	    {"::1]:80:81", true},
	    {"[]:80:81", true},
	    {"[1.2.3.4]:80:81", true},
	    {"[::1]:1.2.3.4:80:81", true},
	    {"[::1]:", false},
	    {"[::1]", false},
	    {"[fe80::1%eth0]:80:81", true},
	    {"[::1] :80:81", true},
	    /* garbage and injection */
	    {"abc", true},
	    {"http:80", false},
	    {" 80:8080", true},
	    {"80:8080 ", true},
	    {"80 :8080", true},
	    {"80:8080\n", true},
	    {"80\n:8080", true},
	    {"80:8080/tcp\n", true},
	    {"80:8080/tcp\nadd rule inet lxctogo x accept", true},
	    {"80:8080;reboot", true},
	    {"80:8080\"", true},
	    {"80:8080}", true},
	    {"80\t", false},
	    {"80\r", false},
	};
	char big[300];

	for (unsigned i = 0; i < ARRAY_SIZE(t); i++) {
		struct port_fwd p;

		memset(&p, 0x5a, sizeof(p));
		tap_ok(port_parse(t[i].in, t[i].guest, &p) == -EINVAL && p.host_port == 0x5a5a &&
			   p.guest[0] == 0x5a,
		       "port_parse %s rejects '%s' and leaves ret alone",
		       t[i].guest ? "add" : "del", tap_show(t[i].in));
	}

	/* Overlong input: refused whole, never truncated into something valid. */
	memset(big, '1', sizeof(big));
	big[sizeof(big) - 1] = '\0';
	tap_ok(port_parse(big, false, &(struct port_fwd){0}) == -EINVAL,
	       "port_parse rejects %zu digits", sizeof(big) - 1);
	snprintf(big, sizeof(big), "%s", "80:8080/tcp");
	memset(big + 11, ' ', 200);
	big[211] = '\0';
	tap_ok(port_parse(big, true, &(struct port_fwd){0}) == -EINVAL,
	       "port_parse rejects a valid forward padded to 211 characters");
}

static void test_format(void)
{
	struct port_fwd p;
	char buf[64];

	memset(&p, 0, sizeof(p));
	p.proto = IPPROTO_TCP;
	p.family = AF_UNSPEC;
	p.host_port = 80;
	p.guest_port = 8080;
	/* "80:8080/tcp" is 11 characters: 12 bytes fit, 11 do not. */
	tap_ok(port_format(&p, true, buf, 12) == 0 && streq(buf, "80:8080/tcp"),
	       "port_format: exact fit");
	tap_ok(port_format(&p, true, buf, 11) == -ENAMETOOLONG,
	       "port_format: one byte short -> -ENAMETOOLONG");
	tap_ok(port_format(&p, false, buf, 7) == 0 && streq(buf, "80/tcp"),
	       "port_format without the guest port: exact fit");
	tap_ok(port_format(&p, false, buf, 6) == -ENAMETOOLONG,
	       "port_format without the guest port: one byte short -> -ENAMETOOLONG");
	p.proto = IPPROTO_UDP;
	p.family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8::7", &p.haddr.v6);
	tap_ok(port_format(&p, false, buf, sizeof(buf)) == 0 && streq(buf, "[2001:db8::7]:80/udp"),
	       "port_format: IPv6 address in brackets, guest port left out");
}

/* spec.h: "Returns 0 (ret filled, guest name untouched)". */
static void test_guest_untouched(void)
{
	struct port_fwd p;

	memset(&p, 0, sizeof(p));
	snprintf(p.guest, sizeof(p.guest), "web");
	tap_ok(port_parse("80:8080", true, &p) == 0 && p.host_port == 80,
	       "port_parse: parses into a forward that names a guest");
	tap_is_str(p.guest, "web",
		   "port_parse leaves the guest name untouched");
}

/* HOST:GUEST[:ro] of `guest create --mount` and apply's `mounts`. */
static void test_mounts(void)
{
	static const struct {
		const char *in;
		const char *host, *guest; /* NULL: refused */
		bool ro;
	} t[] = {
		{"/srv/a:/data", "/srv/a", "/data", false},
		{"/srv/a:/data:ro", "/srv/a", "/data", true},
		{"/srv/a/:/data/", "/srv/a/", "/data/", false},
		{"/srv/a:/data:rw", NULL, NULL, false},
		{"/srv/a", NULL, NULL, false},
		{"srv:/data", NULL, NULL, false},
		{"/srv:data", NULL, NULL, false},
		{"/srv:/", NULL, NULL, false},
		{"/srv://x", NULL, NULL, false},
		{"/srv:/.", NULL, NULL, false},
		{"/srv:/a/./b", NULL, NULL, false},
		{"/srv/../etc:/x", NULL, NULL, false},
		{"/srv:/x/..", NULL, NULL, false},
		{"/a b:/x", NULL, NULL, false},
		{"/a\tb:/x", NULL, NULL, false},
		{"/a:/x\ny", NULL, NULL, false},
		{"/a\\b:/x", NULL, NULL, false},
	};

	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		struct mount_spec m;
		int r = mount_parse(t[i].in, &m);

		if (t[i].host)
			tap_ok(r == 0 && streq(m.host, t[i].host) && streq(m.guest, t[i].guest) &&
				       m.ro == t[i].ro,
			       "mount_parse '%s'", tap_show(t[i].in));
		else
			tap_ok(r == -EINVAL, "mount_parse rejects '%s'", tap_show(t[i].in));
	}
}

/* Template arguments and host names of `guest create` and apply. */
static void test_template_args(void)
{
	static const struct {
		const char *arg;
		bool ok;
	} t[] = {
		{"-r", true},	     {"bookworm", true},    {"--release=bookworm", true},
		{"--pathological", true}, {"-n", false},    {"-nweb", false},
		{"--name", false},    {"--name=x", false},   {"-p", false},
		{"--path=/tmp/x", false}, {"--rootfs=/tmp/x", false}, {"--rootfs", false},
		{"--mapped-uid=0", false}, {"--mapped-gid", false}, {"-P", false},
		{"--lxcpath=/x", false}, {"a\tb", false},   {"a\nb", false},
	};

	for (size_t i = 0; i < ARRAY_SIZE(t); i++)
		tap_ok(template_arg_ok(t[i].arg) == t[i].ok, "template_arg_ok '%s' is %s",
		       tap_show(t[i].arg), t[i].ok ? "fine" : "refused");
	tap_ok(hostname_ok("web.example.test"), "hostname_ok: a short FQDN");
	tap_ok(hostname_ok("a234567890123456789012345678901.234567890123456789012345678901xy"),
	       "hostname_ok: 64 characters");
	tap_ok(!hostname_ok("a234567890123456789012345678901.234567890123456789012345678901xyz"),
	       "hostname_ok: 65 characters are refused (lxc.uts.name takes 64)");
}

int main(void)
{
	test_template_args();
	test_mounts();
	test_accept();
	test_reject();
	test_format();
	test_guest_untouched();
	return tap_done();
}
