// SPDX-License-Identifier: BSD-2-Clause
#include <arpa/inet.h>

#include "addr.h"
#include "spec.h"
#include "util.h"

int port_parse(const char *spec, bool want_guest_port, struct port_fwd *ret)
{
	char buf[128], *proto, *last, *addr = NULL;
	struct port_fwd pf = {.proto = IPPROTO_TCP, .family = AF_UNSPEC};

	if (strscpy(buf, sizeof(buf), spec) < 0)
		return -EINVAL;
	proto = strchr(buf, '/');
	if (proto) {
		*proto++ = '\0';
		if (streq(proto, "udp"))
			pf.proto = IPPROTO_UDP;
		else if (!streq(proto, "tcp"))
			return -EINVAL;
	}
	if (buf[0] == '[') {
		char *close = strchr(buf, ']');

		if (!close || close[1] != ':')
			return -EINVAL;
		*close = '\0';
		addr = buf + 1;
		/* Parse the address before the rest of the spec moves over it. */
		if (addr_parse_ip6(addr, &pf.haddr.v6) < 0)
			return -EINVAL;
		pf.family = AF_INET6;
		memmove(buf, close + 2, strlen(close + 2) + 1);
	}
	if (want_guest_port) {
		last = strrchr(buf, ':');
		if (!last || parse_port(last + 1, &pf.guest_port) < 0)
			return -EINVAL;
		*last = '\0';
	}
	last = strrchr(buf, ':');
	if (last) {
		if (pf.family != AF_UNSPEC)
			return -EINVAL;
		*last = '\0';
		if (addr_parse_ip4(buf, &pf.haddr.v4) < 0)
			return -EINVAL;
		pf.family = AF_INET;
		memmove(buf, last + 1, strlen(last + 1) + 1);
	}
	if (parse_port(buf, &pf.host_port) < 0)
		return -EINVAL;
	/* Everything but the guest name, which the caller owns. */
	memcpy(pf.guest, ret->guest, sizeof(pf.guest));
	*ret = pf;
	return 0;
}

int port_format(const struct port_fwd *p, bool with_guest_port, char *buf, size_t size)
{
	char a[INET6_ADDRSTRLEN], head[INET6_ADDRSTRLEN + 4] = "";
	int n;

	if (p->family == AF_INET)
		snprintf(head, sizeof(head), "%s:", inet_ntop(AF_INET, &p->haddr.v4, a, sizeof(a)));
	else if (p->family == AF_INET6)
		snprintf(head, sizeof(head), "[%s]:",
			 inet_ntop(AF_INET6, &p->haddr.v6, a, sizeof(a)));
	if (with_guest_port)
		n = snprintf(buf, size, "%s%u:%u/%s", head, p->host_port, p->guest_port,
			     p->proto == IPPROTO_UDP ? "udp" : "tcp");
	else
		n = snprintf(buf, size, "%s%u/%s", head, p->host_port,
			     p->proto == IPPROTO_UDP ? "udp" : "tcp");
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/*
 * An absolute path that fits an lxc.mount.entry line: no blank, control byte,
 * backslash or ':', no empty, "." or ".." component (a guest path loses its
 * leading '/' in the entry: "//x" would become absolute, "/." the rootfs).
 */
static bool plain_path(const char *s)
{
	if (s[0] != '/')
		return false;
	for (const char *c = s + 1; c; c = strchr(c, '/') ? strchr(c, '/') + 1 : NULL) {
		size_t n = strcspn(c, "/");

		if ((n == 0 && c[0] == '/') || (n == 1 && c[0] == '.') ||
		    (n == 2 && c[0] == '.' && c[1] == '.'))
			return false;
	}
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == '\\' || *s == ':' ||
		    (unsigned char)*s == 0x7f)
			return false;
	return true;
}

int mount_parse(const char *spec, struct mount_spec *ret)
{
	char buf[2 * PATH_MAX + 8], *guest, *opt;

	if (strscpy(buf, sizeof(buf), spec) < 0)
		return -EINVAL;
	guest = strchr(buf, ':');
	if (!guest)
		return -EINVAL;
	*guest++ = '\0';
	opt = strchr(guest, ':');
	if (opt) {
		*opt++ = '\0';
		if (strcmp(opt, "ro") != 0)
			return -EINVAL;
	}
	if (!plain_path(buf) || !plain_path(guest) || !strcmp(guest, "/") ||
	    strscpy(ret->host, sizeof(ret->host), buf) < 0 ||
	    strscpy(ret->guest, sizeof(ret->guest), guest) < 0)
		return -EINVAL;
	ret->ro = opt != NULL;
	return 0;
}

bool template_arg_ok(const char *arg)
{
	/* The options liblxc passes a template itself: a second one would make the
	 * template (run as root) write the rootfs or config somewhere else. */
	static const char *const own[] = {"-n", "--name", "-p", "--path", "--rootfs",
					  "--mapped-uid", "--mapped-gid", "-P", "--lxcpath"};

	for (const char *c = arg; *c; c++)
		if ((unsigned char)*c < ' ' || (unsigned char)*c == 0x7f)
			return false;
	for (size_t i = 0; i < ARRAY_SIZE(own); i++) {
		size_t n = strlen(own[i]);

		if (!strncmp(arg, own[i], n) && (arg[n] == '\0' || arg[n] == '=' ||
						 (own[i][1] != '-' && arg[n])))
			return false;
	}
	return true;
}

bool hostname_ok(const char *name)
{
	/* LXC's lxc.uts.name takes at most 64 characters. */
	return valid_domain(name) && strlen(name) <= 64;
}

int mount_entry(const struct mount_spec *m, char *buf, size_t size)
{
	/* create=dir: LXC makes the mount point in the guest's rootfs. */
	int n = snprintf(buf, size, "%s %s none bind,create=dir%s 0 0", m->host, m->guest + 1,
			 m->ro ? ",ro" : "");

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}
