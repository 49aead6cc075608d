// SPDX-License-Identifier: BSD-2-Clause
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "addr.h"
#include "fsutil.h"
#include "lxcw.h"
#include "ready.h"
#include "util.h"

/* A process named @comm in the network namespace of @init, or 0. */
static pid_t find_proc(pid_t init, const char *comm)
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

int ready_release(const struct paths *p, long deadline)
{
	char path[PATH_MAX];

	if (pathf(path, sizeof(path), "%s/lxtg/run/go", p->rootfs) < 0)
		return -ENAMETOOLONG;
	for (;;) {
		/* lxtg/run is writable by the router: only its own FIFO, never a
		 * symlink or a file put there instead, is written to. */
		int fd = open_untrusted_at(AT_FDCWD, path, O_WRONLY | O_NONBLOCK, S_IFIFO, EIO);

		if (fd >= 0) {
			ssize_t n = write(fd, "go\n", 3);

			close(fd);
			return n == 3 ? 0 : -EIO;
		}
		/* ENXIO: no reader yet; init opens it within milliseconds of start. */
		if (fd != -ENXIO)
			return fd;
		if (now_ms() > deadline)
			return -ETIMEDOUT;
		poll(NULL, 0, 2);
	}
}

/* The first A record of an answer whose question section ends at @qend; 0.0.0.0 if none. */
static struct in_addr dns_first_a(const uint8_t *a, size_t n, size_t qend)
{
	struct in_addr none = {0}, ip;
	unsigned an = (unsigned)(a[6] << 8 | a[7]);
	size_t p = qend;

	if ((a[3] & 0x0f) != 0) /* RCODE */
		return none;
	for (unsigned i = 0; i < an; i++) {
		unsigned type, rdlen;

		/* The owner name: labels, ended by a zero or a compression pointer. */
		while (p < n && a[p] && (a[p] & 0xc0) != 0xc0)
			p += 1u + a[p];
		p += p < n && a[p] ? 2 : 1;
		if (p + 10 > n)
			return none;
		type = (unsigned)(a[p] << 8 | a[p + 1]);
		rdlen = (unsigned)(a[p + 8] << 8 | a[p + 9]);
		p += 10;
		if (p + rdlen > n)
			return none;
		if (type == 1 && rdlen == 4) {
			memcpy(&ip, a + p, 4);
			return ip;
		}
		p += rdlen;
	}
	return none;
}

/*
 * One DNS query for NAME.DOMAIN (type A) to @server: 1 if it answered, and
 * then *@ret_a (if given) holds the first A record, or INADDR_ANY for none.
 * 0 if no answer came within 50 ms.
 */
static int dns_probe(struct in_addr server, const char *name, const char *domain,
		     struct in_addr *ret_a)
{
	uint8_t q[512], a[512];
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(53), .sin_addr = server};
	size_t len = 12, qlen;
	_cleanup_close_ int fd = -1;
	struct pollfd pfd;
	char fqdn[320];
	uint16_t id = (uint16_t)(now_ms() & 0xffff);
	ssize_t n;

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
	qlen = len;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (sendto(fd, q, len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return 0;
	pfd.fd = fd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 50) <= 0)
		return 0;
	n = recv(fd, a, sizeof(a), 0);
	if (n < 12 || a[0] != q[0] || a[1] != q[1] || !(a[2] & 0x80))
		return 0;
	if (ret_a)
		*ret_a = dns_first_a(a, (size_t)n, qlen);
	return 1;
}

/*
 * Did the router's DHCP client get an offer? busybox udhcpc logs "select for
 * ADDR" once one came (lxtg-init keeps its output in the router's /run).
 */
static bool offer_seen(pid_t init)
{
	_cleanup_free_ char *log = read_textf(true, "/proc/%d/root/run/udhcpc.log", (int)init);

	return log && strstr(log, "select for ");
}

/* No lease within UPLINK_LEASE_MS: a slow DHCP server, or none that reaches the router. */
static void lease_missing(const struct conf *c, pid_t init)
{
	if (offer_seen(init))
		log_info("the LAN's DHCP server made an offer but no lease came within %d ms; the "
			 "router keeps asking",
			 UPLINK_LEASE_MS);
	else
		log_info("no DHCP answer on uplink %s within %d ms: the LAN has no DHCP server, or "
			 "the uplink does not carry the router's MAC (a VirtualBox bridged adapter "
			 "with promiscuous mode Deny, a WLAN: set attach = auto or routed); the "
			 "router keeps asking",
			 c->uplink, UPLINK_LEASE_MS);
}

int ready_wait(const struct paths *p, const struct conf *c, pid_t init, long deadline,
	       struct errmsg *e)
{
	bool dns = false, ra = !c->ipv6;
	char bound[PATH_MAX];
	long lease_deadline = now_ms() + UPLINK_LEASE_MS;
	struct stat st;

	/* The first uplink lease may restart dnsmasq once (the LAN's domain goes into
	 * its rebind exemption): let that happen before saying "ready". A LAN without
	 * DHCP only costs UPLINK_LEASE_MS. */
	if (c->attach != ATTACH_ROUTED && !c->uplink_plen4 &&
	    pathf(bound, sizeof(bound), "%s/lxtg/run/uplink.bound", p->rootfs) == 0) {
		while (stat(bound, &st) < 0 && now_ms() < lease_deadline)
			poll(NULL, 0, 5);
		if (stat(bound, &st) < 0)
			lease_missing(c, init);
	}

	while (!dns || !ra) {
		if (!dns)
			dns =
			    dns_probe(conf_hostlink_router_ip4(c), c->router, c->domain, NULL) > 0;
		if (!ra)
			ra = find_proc(init, "radvd") > 0;
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

void ready_restart_daemon(pid_t init, const char *comm)
{
	pid_t pid = find_proc(init, comm);

	if (pid > 0)
		kill(pid, SIGTERM);
}

/* Does dnsmasq's lease file hold @mac with @ip4? */
static bool leased(const struct paths *p, const uint8_t mac[6], struct in_addr ip4)
{
	_cleanup_free_ char *text = read_textf(true, "%s/lxtg/state/dnsmasq.leases", p->rootfs);
	char want[64], m[MAC_STRLEN];

	if (!text)
		return false;
	mac_format(mac, m);
	snprintf(want, sizeof(want), " %s ", m);
	for (char *l = strstr(text, want); l; l = strstr(l + 1, want)) {
		struct in_addr a;
		char ip[INET_ADDRSTRLEN];

		if (sscanf(l + strlen(want), "%15s", ip) == 1 && inet_pton(AF_INET, ip, &a) == 1 &&
		    a.s_addr == ip4.s_addr)
			return true;
	}
	return false;
}

/* How long ready_guest() waits for the guest's default route after its lease. */
#define READY_ROUTE_MS 2000

/* The network namespace of @pid has an IPv4 default route (/proc/PID/net/route follows it). */
static bool has_default_route4(pid_t pid)
{
	_cleanup_free_ char *text = NULL;
	char path[64], iface[32];
	unsigned dst, mask;
	size_t len;

	snprintf(path, sizeof(path), "/proc/%d/net/route", (int)pid);
	if (read_file(path, &text, &len) < 0)
		return false;
	for (char *l = strchr(text, '\n'); l && *++l; l = strchr(l, '\n'))
		if (sscanf(l, "%31s %x %*x %*x %*d %*d %*d %x", iface, &dst, &mask) == 3 && dst == 0 &&
		    mask == 0)
			return true;
	return false;
}

int ready_guest(const struct paths *p, const struct conf *c, const struct guest *g, bool lease,
		long deadline, struct errmsg *e)
{
	struct in_addr a = {0};
	bool have_lease = !lease, have_name = false;
	long start = now_ms();

	while (!have_lease || !have_name) {
		if (!have_lease)
			have_lease = leased(p, g->mac, g->ip4);
		if (!have_name)
			have_name =
			    dns_probe(conf_hostlink_router_ip4(c), g->name, c->domain, &a) > 0 &&
			    a.s_addr == g->ip4.s_addr;
		if (have_lease && have_name)
			break;
		if (now_ms() > deadline)
			return fail(e, -ETIMEDOUT, "%s: %s after %ld ms", g->name,
				    !have_lease ? "no DHCP lease from the router"
						: "its name does not resolve",
				    now_ms() - start);
		poll(NULL, 0, 20);
	}
	/* The router has acked the lease; the guest's DHCP client sets its route a
	 * moment later. A hook that runs now expects the network: wait for the
	 * route a little, but a guest that takes no default route is still ready. */
	struct lxcw_info info = {0};

	if (!lease || lxcw_info(p->lxcpath, g->name, false, &info) < 0 || !info.running)
		return 0;
	for (long until = now_ms() + READY_ROUTE_MS; info.pid > 0 && now_ms() < until;) {
		if (has_default_route4(info.pid))
			break;
		poll(NULL, 0, 10);
	}
	return 0;
}
