// SPDX-License-Identifier: BSD-2-Clause
/*
 * lxtg-ndproxy UPLINK GUESTLINK CONF: proxy NDP for the IPv6 addresses that
 * guests chose themselves, in server mode (issue 15; ndppd's "auto" rule as
 * the model). The router's lxtg-init runs it and respawns it whenever the
 * router has IPv6. CONF, written by `up` and read every POLL_MS, says
 * "prefix P/64" in server mode; without it nothing is proxied, and what an
 * earlier server mode left is withdrawn (a switch of mode restarts nothing).
 *
 * A guest may claim any free address of the LAN's prefix (RFC 7217
 * stable-privacy, RFC 4941 temporary...): the guards on the guest bridge let
 * the first claimant have it and record it in their set learned6
 * (ruleset/guard.nft). The LAN reaches such an address only if the router
 * answers neighbour solicitations for it on the uplink and routes it to the
 * guest link. This program does that for exactly the addresses a guest holds:
 *
 *  - every POLL_MS it reads learned6 (libnftnl); a new address of P is
 *    asked for on the guest link (libndp) until the guest answers for it
 *    (its DAD takes a second), then on the uplink: if a LAN host answers,
 *    the LAN has it and we never answer for it; otherwise a /128 route to
 *    GUESTLINK and a proxy entry on UPLINK are added (rtnetlink), and an
 *    unsolicited neighbour advertisement tells the LAN at once;
 *  - every PROBE_MS it asks the guest link whether the address is still
 *    there; after MISSES unanswered probes in a row (a second apart) the
 *    guest stopped using it, or never held it: the route and the proxy
 *    entry go, and so does the guards' record, so that it can be claimed
 *    afresh.
 *
 * The other way round: a guest's client may make the LAN's prefix on-link
 * although the router advertises it off-link (systemd-networkd 252 now and
 * then, any /64 set by hand) and resolve LAN hosts on the guest link. The
 * guards record the targets of such solicitations (asked6); for each that a
 * LAN host answers for on the uplink, a proxy entry on GUESTLINK lets the
 * kernel answer the guest's next solicitation (as proxy ARP does for IPv4).
 * It goes when the LAN host stops answering or the guests stop asking.
 *
 * Recorded addresses (guest add) are never in learned6: `up` publishes them.
 * Routes and proxy entries carry protocol RTPROT_LXTG, so a restarted
 * ndproxy adopts what the one before it made, and nothing else.
 */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <libmnl/libmnl.h>
#include <linux/neighbour.h>
#include <linux/netfilter.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <time.h>

#include "addr.h"
#include "nft.h"
#include "probe.h"
#include "util.h"

#define RTPROT_LXTG 201
#define POLL_MS 500
#define PROBE_MS 10000
#define RETRY_MS 1000
#define MISSES 3
#define LAN_PROBE_MS 300
#define CONFLICT_RECHECK_MS 30000
#define MAX_ENTRIES 4096
/* LAN hosts answered for on the guest link: how many, how many are asked
 * for on the uplink per poll (a guest cannot make us flood the LAN),
 * and how often one that no LAN host held is asked for again. */
#define MAX_LAN 1024
#define LAN_ASKS_PER_POLL 16
#define LAN_AGAIN_MS 10000
/* The guards' sets (ruleset/guard.nft): learned6 holds the address;
 * port_ip6_dyn holds port (16) . MAC (6, padded to 8) . address (16). */
#define GUARD_TABLE "lxctogo"
#define DYN_KEY_LEN 40

enum state { NEW, PUBLISHED, CONFLICT };

struct entry {
	struct in6_addr a;
	enum state state;
	long next_ms;
	int misses;
	bool seen; /* in learned6 at the last poll */
};

static struct entry tab[MAX_ENTRIES];
static size_t n_tab;

/* LAN hosts that guests asked for (asked6): NEW, PUBLISHED (a proxy entry on
 * the guest link), CONFLICT (no LAN host answered: asked again later). */
static struct entry lan[MAX_LAN];
static size_t n_lan;
static const char *uplink, *guestlink, *conf_path;
static struct ip6_net prefix; /* plen 0: proxy nothing */
static volatile sig_atomic_t stop;

static long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

__attribute__((format(printf, 1, 2))) static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("lxtg-ndproxy: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static const char *ntop(const struct in6_addr *a, char buf[INET6_ADDRSTRLEN])
{
	return inet_ntop(AF_INET6, a, buf, INET6_ADDRSTRLEN);
}

/* ---- rtnetlink: /128 routes on the guest link, proxy entries on the uplink ---- */

struct rt_dump {
	int ifindex;
	bool proxy;
	void (*found)(const struct in6_addr *a);
};

static int rt_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(attr);

	if (type <= RTA_MAX)
		tb[type] = attr;
	return MNL_CB_OK;
}

static int dump_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct rt_dump *d = data;
	const struct nlattr *tb[RTA_MAX + NDA_MAX + 2] = {0};

	if (d->proxy) {
		const struct ndmsg *nd = mnl_nlmsg_get_payload(nlh);

		if (nlh->nlmsg_type != RTM_NEWNEIGH || nd->ndm_family != AF_INET6 ||
		    !(nd->ndm_flags & NTF_PROXY) || nd->ndm_ifindex != d->ifindex)
			return MNL_CB_OK;
		mnl_attr_parse(nlh, sizeof(*nd), rt_attr_cb, tb);
		if (tb[NDA_DST] && mnl_attr_get_payload_len(tb[NDA_DST]) == 16 && tb[NDA_PROTOCOL] &&
		    mnl_attr_get_u8(tb[NDA_PROTOCOL]) == RTPROT_LXTG)
			d->found(mnl_attr_get_payload(tb[NDA_DST]));
	} else {
		const struct rtmsg *rt = mnl_nlmsg_get_payload(nlh);

		if (nlh->nlmsg_type != RTM_NEWROUTE || rt->rtm_family != AF_INET6 ||
		    rt->rtm_protocol != RTPROT_LXTG || rt->rtm_dst_len != 128)
			return MNL_CB_OK;
		mnl_attr_parse(nlh, sizeof(*rt), rt_attr_cb, tb);
		if (tb[RTA_DST] && mnl_attr_get_payload_len(tb[RTA_DST]) == 16 && tb[RTA_OIF] &&
		    mnl_attr_get_payload_len(tb[RTA_OIF]) == 4 &&
		    (int)mnl_attr_get_u32(tb[RTA_OIF]) == d->ifindex)
			d->found(mnl_attr_get_payload(tb[RTA_DST]));
	}
	return MNL_CB_OK;
}

/* Send one request; read its ack (or a dump until DONE, through @cb). 0 or -errno. */
static int rtnl_talk(struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *nl = mnl_socket_open(NETLINK_ROUTE);
	uint32_t portid;
	int r;

	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		goto fail;
	portid = mnl_socket_get_portid(nl);
	nlh->nlmsg_seq = (uint32_t)time(NULL);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		goto fail;
	do {
		ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));

		if (n < 0)
			goto fail;
		r = mnl_cb_run(buf, (size_t)n, nlh->nlmsg_seq, portid, cb, data);
	} while (r > 0);
	r = r < 0 ? -errno : 0;
	mnl_socket_close(nl);
	return r;
fail:
	r = -errno;
	mnl_socket_close(nl);
	return r;
}

static int route(const struct in6_addr *a, int ifindex, bool add)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtmsg *rt;

	nlh->nlmsg_type = add ? RTM_NEWROUTE : RTM_DELROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | (add ? NLM_F_CREATE | NLM_F_REPLACE : 0);
	rt = mnl_nlmsg_put_extra_header(nlh, sizeof(*rt));
	rt->rtm_family = AF_INET6;
	rt->rtm_dst_len = 128;
	rt->rtm_table = RT_TABLE_MAIN;
	rt->rtm_protocol = RTPROT_LXTG;
	rt->rtm_scope = RT_SCOPE_UNIVERSE;
	rt->rtm_type = RTN_UNICAST;
	mnl_attr_put(nlh, RTA_DST, sizeof(*a), a);
	mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)ifindex);
	return rtnl_talk(nlh, NULL, NULL);
}

static int proxy(const struct in6_addr *a, int ifindex, bool add)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ndmsg *nd;

	nlh->nlmsg_type = add ? RTM_NEWNEIGH : RTM_DELNEIGH;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | (add ? NLM_F_CREATE | NLM_F_REPLACE : 0);
	nd = mnl_nlmsg_put_extra_header(nlh, sizeof(*nd));
	nd->ndm_family = AF_INET6;
	nd->ndm_ifindex = ifindex;
	nd->ndm_flags = NTF_PROXY;
	nd->ndm_state = NUD_PERMANENT;
	mnl_attr_put(nlh, NDA_DST, sizeof(*a), a);
	mnl_attr_put_u8(nlh, NDA_PROTOCOL, RTPROT_LXTG);
	return rtnl_talk(nlh, NULL, NULL);
}

/* The guest link's cache entry of an address that is gone (another guest may take it). */
static void neigh_forget(const struct in6_addr *a, int ifindex)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ndmsg *nd;

	nlh->nlmsg_type = RTM_DELNEIGH;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nd = mnl_nlmsg_put_extra_header(nlh, sizeof(*nd));
	nd->ndm_family = AF_INET6;
	nd->ndm_ifindex = ifindex;
	mnl_attr_put(nlh, NDA_DST, sizeof(*a), a);
	rtnl_talk(nlh, NULL, NULL);
}

static int dump(bool want_proxy, int ifindex, void (*found)(const struct in6_addr *a))
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rt_dump d = {ifindex, want_proxy, found};

	nlh->nlmsg_type = want_proxy ? RTM_GETNEIGH : RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	if (want_proxy) {
		struct ndmsg *nd = mnl_nlmsg_put_extra_header(nlh, sizeof(*nd));

		nd->ndm_family = AF_INET6;
		nd->ndm_flags = NTF_PROXY; /* the kernel dumps proxy entries only */
	} else {
		struct rtmsg *rt = mnl_nlmsg_put_extra_header(nlh, sizeof(*rt));

		rt->rtm_family = AF_INET6;
	}
	return rtnl_talk(nlh, dump_cb, &d);
}

/* ---- the table ---- */

static struct entry *find(const struct in6_addr *a)
{
	for (size_t i = 0; i < n_tab; i++)
		if (!memcmp(&tab[i].a, a, sizeof(*a)))
			return &tab[i];
	return NULL;
}

static struct entry *add_entry(const struct in6_addr *a, enum state st)
{
	struct entry *e = find(a);

	if (e)
		return e;
	if (n_tab == MAX_ENTRIES) {
		static bool told;

		if (!told)
			say("more than %d claimed addresses: the rest are not proxied", MAX_ENTRIES);
		told = true;
		return NULL;
	}
	e = &tab[n_tab++];
	*e = (struct entry){.a = *a, .state = st, .next_ms = mono_ms()};
	return e;
}

/* What an earlier ndproxy made: adopted as published, checked like the rest. */
static void adopt(const struct in6_addr *a)
{
	struct entry *e = add_entry(a, PUBLISHED);

	if (e)
		e->state = PUBLISHED;
}

/* The LAN host entry of @a, made in state @st if there is none (NULL: full). */
static struct entry *lan_entry(const struct in6_addr *a, enum state st)
{
	for (size_t i = 0; i < n_lan; i++)
		if (!memcmp(&lan[i].a, a, sizeof(*a)))
			return &lan[i];
	if (n_lan == MAX_LAN)
		return NULL;
	lan[n_lan] = (struct entry){.a = *a, .state = st, .next_ms = mono_ms()};
	return &lan[n_lan++];
}

/* A proxy entry on the guest link that an earlier ndproxy made. */
static void adopt_lan(const struct in6_addr *a)
{
	lan_entry(a, PUBLISHED);
}

static bool is_local(const struct in6_addr *a)
{
	struct ifaddrs *ifs, *i;
	bool local = false;

	if (getifaddrs(&ifs) < 0)
		return false;
	for (i = ifs; i && !local; i = i->ifa_next)
		local = i->ifa_addr && i->ifa_addr->sa_family == AF_INET6 &&
			!memcmp(&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr, a, sizeof(*a));
	freeifaddrs(ifs);
	return local;
}

/* A set key as an address of the LAN's prefix (link-local claims stay on the guest link). */
static bool prefix_key(const void *key, uint32_t len, struct in6_addr *a)
{
	if (len != sizeof(*a))
		return false;
	memcpy(a, key, sizeof(*a));
	return ip6_net_contains(&prefix, a);
}

static int learned_cb(const void *key, uint32_t len, void *priv)
{
	struct in6_addr a;
	struct entry *e;
	(void)priv;

	if (prefix_key(key, len, &a) && (e = add_entry(&a, NEW)))
		e->seen = true;
	return 0;
}

static int asked_cb(const void *key, uint32_t len, void *priv)
{
	struct in6_addr a;
	struct entry *e;
	(void)priv;

	if (prefix_key(key, len, &a) && (e = lan_entry(&a, NEW)))
		e->seen = true;
	return 0;
}

/* What one answer (or its absence) from the LAN means for @e; false: withdraw it. */
static bool lan_verdict(struct entry *e, bool answered, int down, long now)
{
	char s[INET6_ADDRSTRLEN];

	if (answered) {
		if (e->state != PUBLISHED) {
			int r = proxy(&e->a, down, true);

			if (r < 0)
				say("answering for LAN host %s: %s", ntop(&e->a, s), strerror(-r));
			else
				say("LAN host %s answered for on %s", ntop(&e->a, s), guestlink);
			e->state = r < 0 ? CONFLICT : PUBLISHED;
		}
		e->misses = 0;
		e->next_ms = now + (e->state == PUBLISHED ? CONFLICT_RECHECK_MS : RETRY_MS);
	} else if (e->state == PUBLISHED && ++e->misses < MISSES) {
		e->next_ms = now + RETRY_MS;
	} else if (e->state == PUBLISHED) {
		return false; /* the LAN host is gone */
	} else {
		e->state = CONFLICT;
		e->next_ms = now + LAN_AGAIN_MS;
	}
	return true;
}

/* One poll of the LAN hosts asked for on the guest link (see the top). */
static void serve_lan(int down, long now)
{
	struct in6_addr ask[LAN_ASKS_PER_POLL];
	size_t which[LAN_ASKS_PER_POLL], n_ask = 0;
	bool found[LAN_ASKS_PER_POLL], keep[MAX_LAN];
	char s[INET6_ADDRSTRLEN];

	for (size_t i = 0; i < n_lan; i++)
		lan[i].seen = false;
	/* The guards are being reloaded (`up`): nothing is withdrawn for that. */
	if (prefix.plen && nftx_set_keys(NFPROTO_BRIDGE, GUARD_TABLE, "asked6", asked_cb, NULL) < 0)
		return;
	for (size_t i = 0; i < n_lan; i++) {
		struct entry *e = &lan[i];

		/* A guest's own (claimed) address: never here; nor the router's
		 * (asked before an entry is made). */
		keep[i] = e->seen && !find(&e->a);
		/* A bounded number of questions a poll, rechecks included, all
		 * asked at once: an unreachable LAN or a guest that asks for
		 * made-up addresses cannot stall the others' entries for long. */
		if (!keep[i] || now < e->next_ms || n_ask == LAN_ASKS_PER_POLL)
			continue;
		if (e->state != PUBLISHED && is_local(&e->a)) {
			e->state = CONFLICT;
			e->next_ms = now + LAN_AGAIN_MS;
			continue;
		}
		ask[n_ask] = e->a;
		which[n_ask++] = i;
	}
	/* A failed probe counts as no answer, as a silent LAN would. */
	if (n_ask && !stop && probe_ndp_many(uplink, ask, n_ask, LAN_PROBE_MS, found) < 0)
		memset(found, 0, sizeof(found));
	if (!stop)
		for (size_t k = 0; k < n_ask; k++)
			keep[which[k]] = lan_verdict(&lan[which[k]], found[k], down, now);
	for (size_t i = n_lan; i-- > 0;) {
		struct entry *e = &lan[i];

		if (keep[i])
			continue;
		if (e->state == PUBLISHED) {
			int r = proxy(&e->a, down, false);

			if (r < 0 && r != -ENOENT)
				say("withdrawing LAN host %s: %s", ntop(&e->a, s), strerror(-r));
			else
				say("LAN host %s no longer answered for on %s", ntop(&e->a, s), guestlink);
		}
		*e = lan[--n_lan];
	}
}

struct forget {
	const struct in6_addr *a;
	struct nftx_elem el[16];
	size_t n;
};

static int dyn_cb(const void *key, uint32_t len, void *priv)
{
	struct forget *f = priv;

	if (len != DYN_KEY_LEN || memcmp((const uint8_t *)key + len - 16, f->a, 16) ||
	    f->n == ARRAY_SIZE(f->el))
		return 0;
	f->el[f->n] = (struct nftx_elem){.del = true, .set = "port_ip6_dyn"};
	nftx_key_put(&f->el[f->n].key, key, len);
	f->n++;
	return 0;
}

/* The guest stopped using @a: the guards forget its claim, so it is free again. */
static void forget_claim(const struct in6_addr *a)
{
	struct forget f = {.a = a};
	char err[256];

	nftx_set_keys(NFPROTO_BRIDGE, GUARD_TABLE, "port_ip6_dyn", dyn_cb, &f);
	f.el[f.n] = (struct nftx_elem){.del = true, .set = "learned6"};
	nftx_key_put(&f.el[f.n].key, a, 16);
	f.n++;
	if (nftx_elems(NFPROTO_BRIDGE, GUARD_TABLE, f.el, f.n, err, sizeof(err)) < 0)
		say("cannot forget the claim: %s", err);
}

static void withdraw(struct entry *e, int up, int down, const char *why)
{
	char s[INET6_ADDRSTRLEN];
	int r1 = proxy(&e->a, up, false), r2 = route(&e->a, down, false);

	if ((r1 < 0 && r1 != -ENOENT) || (r2 < 0 && r2 != -ESRCH && r2 != -ENOENT))
		say("withdrawing %s: %s", ntop(&e->a, s), strerror(-(r1 < 0 ? r1 : r2)));
	say("%s withdrawn: %s", ntop(&e->a, s), why);
}

static void publish(struct entry *e, int up, int down, long now)
{
	char s[INET6_ADDRSTRLEN];
	int r;

	ntop(&e->a, s);
	if (is_local(&e->a)) {
		say("%s is the router's own: not proxied", s);
		e->state = CONFLICT;
		e->next_ms = now + CONFLICT_RECHECK_MS;
		return;
	}
	/* Never answer for an address that a LAN host holds. */
	if (probe_ndp(uplink, &e->a, LAN_PROBE_MS) == 1) {
		if (e->state != CONFLICT)
			say("%s is held on the LAN: not proxied", s);
		e->state = CONFLICT;
		e->next_ms = now + CONFLICT_RECHECK_MS;
		return;
	}
	r = route(&e->a, down, true);
	if (r == 0)
		r = proxy(&e->a, up, true);
	if (r < 0) {
		say("publishing %s: %s", s, strerror(-r));
		e->next_ms = now + RETRY_MS;
		return;
	}
	probe_announce_na(uplink, &e->a);
	say("%s published on %s", s, uplink);
	e->state = PUBLISHED;
	e->misses = 0;
	e->next_ms = now + PROBE_MS;
}

/* CONF: "prefix P/64" sets the prefix; no such line (or no file) clears it. */
static void read_conf(void)
{
	char line[256], val[INET6_ADDRSTRLEN + 8], junk[2];
	struct ip6_net p = {0};
	FILE *f = fopen(conf_path, "re");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "prefix %53s %1s", val, junk) == 1 &&
		    addr_parse_ip6_net(val, &p) == 0 && p.plen == 64)
			break;
		else
			p = (struct ip6_net){0};
	if (f)
		fclose(f);
	if (p.plen != prefix.plen || memcmp(&p.addr, &prefix.addr, sizeof(p.addr))) {
		char s[INET6_ADDRSTRLEN];

		if (p.plen)
			say("proxying claimed addresses of %s/64", ntop(&p.addr, s));
		else
			say("proxying nothing");
	}
	prefix = p;
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = on_signal};
	int up, down, r;

	if (argc != 4) {
		fprintf(stderr, "usage: lxtg-ndproxy UPLINK GUESTLINK CONF\n");
		return 2;
	}
	uplink = argv[1];
	guestlink = argv[2];
	conf_path = argv[3];
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	setvbuf(stderr, NULL, _IOLBF, 0);
	up = (int)if_nametoindex(uplink);
	down = (int)if_nametoindex(guestlink);
	if (!up || !down) {
		say("no link %s", up ? guestlink : uplink);
		return 1;
	}
	/* What an earlier instance left: it is checked like the rest. */
	if ((r = dump(false, down, adopt)) < 0 || (r = dump(true, up, adopt)) < 0)
		say("reading earlier entries: %s", strerror(-r));
	if ((r = dump(true, down, adopt_lan)) < 0)
		say("reading earlier entries on %s: %s", guestlink, strerror(-r));

	while (!stop) {
		long now = mono_ms();

		for (size_t i = 0; i < n_tab; i++)
			tab[i].seen = false;
		read_conf();
		/* Without a prefix nothing is seen: what was published is withdrawn. */
		r = prefix.plen ? nftx_set_keys(NFPROTO_BRIDGE, GUARD_TABLE, "learned6", learned_cb,
						NULL)
				: 0;
		if (r < 0) {
			/* The guards are reloaded by `up` now and then: wait for them. */
			poll(NULL, 0, POLL_MS);
			continue;
		}
		for (size_t i = 0; i < n_tab && !stop; i++) {
			struct entry *e = &tab[i];

			if (!e->seen) {
				/* The guards forgot the claim (timeout, `up` reloaded them). */
				if (e->state == PUBLISHED)
					withdraw(e, up, down,
						 prefix.plen ? "no longer claimed" : "not server mode");
				*e = tab[--n_tab];
				i--;
				continue;
			}
			if (now < e->next_ms)
				continue;
			/* Present on the guest link (ndppd's "auto" rule)? */
			if (probe_ndp(guestlink, &e->a, RETRY_MS / 2) == 1) {
				e->misses = 0;
				if (e->state == PUBLISHED)
					e->next_ms = now + PROBE_MS;
				else
					publish(e, up, down, now);
			} else if (++e->misses < MISSES + (e->state == PUBLISHED ? 0 : 1)) {
				e->next_ms = now + RETRY_MS;
			} else {
				char s[INET6_ADDRSTRLEN];

				if (e->state == PUBLISHED)
					withdraw(e, up, down, "the guest no longer answers for it");
				else
					say("%s: no guest answers for it", ntop(&e->a, s));
				forget_claim(&e->a);
				neigh_forget(&e->a, down);
				*e = tab[--n_tab];
				i--;
			}
		}
		serve_lan(down, mono_ms());
		poll(NULL, 0, POLL_MS);
	}
	return 0;
}
