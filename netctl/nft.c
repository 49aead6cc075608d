// SPDX-License-Identifier: BSD-2-Clause
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <nftables/libnftables.h>
#include <time.h>

#include "autoconfig.h"
#include "lazylib.h"
#include "nft.h"
#include "util.h"

void nftx_key_put(struct nftx_key *k, const void *field, size_t len)
{
	size_t padded = (len + 3) & ~(size_t)3;

	if (k->len + padded > NFTX_KEY_MAX)
		abort(); /* programming error: keys are fixed-size */
	memcpy(k->b + k->len, field, len);
	memset(k->b + k->len + len, 0, padded - len);
	k->len += padded;
}

/* libnftables, opened on first use (lazylib.h): only `up`, `down`, `check`
 * and the drift report of `status` parse or list a whole ruleset. */
static struct {
	__typeof__(&nft_ctx_new) ctx_new;
	__typeof__(&nft_ctx_free) ctx_free;
	__typeof__(&nft_ctx_buffer_output) buffer_output;
	__typeof__(&nft_ctx_buffer_error) buffer_error;
	__typeof__(&nft_ctx_output_set_flags) output_set_flags;
	__typeof__(&nft_run_cmd_from_buffer) run_cmd_from_buffer;
	__typeof__(&nft_ctx_get_output_buffer) get_output_buffer;
	__typeof__(&nft_ctx_get_error_buffer) get_error_buffer;
} nft;
static const char *const nft_names[] = {
	"nft_ctx_new",
	"nft_ctx_free",
	"nft_ctx_buffer_output",
	"nft_ctx_buffer_error",
	"nft_ctx_output_set_flags",
	"nft_run_cmd_from_buffer",
	"nft_ctx_get_output_buffer",
	"nft_ctx_get_error_buffer",
};
static struct lazylib libnftables = {LIBNFTABLES_SONAME, nft_names, ARRAY_SIZE(nft_names),
				     NULL, 0};

/* A libnftables context with buffered output and errors. */
static int nft_open(unsigned int out_flags, struct nft_ctx **ret)
{
	struct nft_ctx *ctx;
	int r;

	_Static_assert(sizeof(nft) == sizeof(void *) * ARRAY_SIZE(nft_names), "one slot per name");
	r = lazylib_load(&libnftables, (void **)&nft);
	if (r < 0)
		return r;
	ctx = nft.ctx_new(NFT_CTX_DEFAULT);
	if (!ctx)
		return -ENOMEM;
	nft.buffer_output(ctx);
	nft.buffer_error(ctx);
	if (out_flags)
		nft.output_set_flags(ctx, out_flags);
	*ret = ctx;
	return 0;
}

int nftx_apply(const char *text, char *err, size_t errsize)
{
	struct nft_ctx *ctx;
	int r;

	r = nft_open(0, &ctx);
	if (r < 0)
		return r;
	r = nft.run_cmd_from_buffer(ctx, text);
	if (r != 0) {
		if (err) {
			const char *e = nft.get_error_buffer(ctx);

			/* One line for the user: the first line of nft's report. */
			snprintf(err, errsize, "%.*s", (int)strcspn(e ? e : "", "\n"), e ? e : "");
		}
		r = -EINVAL;
	}
	nft.ctx_free(ctx);
	return r;
}

int nftx_list_table(const char *family, const char *name, bool stateless, char **ret)
{
	struct nft_ctx *ctx;
	char cmd[128];
	int r;

	r = nft_open(stateless ? NFT_CTX_OUTPUT_STATELESS : 0, &ctx);
	if (r < 0)
		return r;
	snprintf(cmd, sizeof(cmd), "list table %s %s", family, name);
	if (nft.run_cmd_from_buffer(ctx, cmd) != 0)
		r = -ENOENT;
	else if (!(*ret = strdup(nft.get_output_buffer(ctx))))
		r = -ENOMEM;
	nft.ctx_free(ctx);
	return r;
}

int nftx_table_exists(uint16_t family, const char *name)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nftnl_table *t = nftnl_table_alloc();
	struct mnl_socket *nl = NULL;
	struct nlmsghdr *nlh;
	uint32_t seq = (uint32_t)time(NULL);
	ssize_t len;
	int r;

	if (!t)
		return -ENOMEM;
	/* One GETTABLE: the kernel answers with the table or ENOENT. */
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, name);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETTABLE, family, NLM_F_ACK, seq);
	nftnl_table_nlmsg_build_payload(nlh, t);
	nftnl_table_free(t);
	nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		r = -errno;
		goto out;
	}
	len = mnl_socket_recvfrom(nl, buf, sizeof(buf));
	if (len < 0) {
		r = -errno;
		goto out;
	}
	r = mnl_cb_run(buf, (size_t)len, seq, mnl_socket_get_portid(nl), NULL, NULL);
	if (r >= 0)
		r = 1;
	else
		r = errno == ENOENT ? 0 : -errno;
out:
	mnl_socket_close(nl);
	return r;
}

/* Collects the first error of a batch's acks. */
static int batch_cb(const struct nlmsghdr *nlh, void *data)
{
	return MNL_CB_OK;
}

static struct nftnl_set_elem *mk_elem(const struct nftx_elem *e)
{
	struct nftnl_set_elem *se = nftnl_set_elem_alloc();

	if (!se)
		return NULL;
	nftnl_set_elem_set(se, NFTNL_SET_ELEM_KEY, e->key.b, e->key.len);
	if (e->has_data && !e->del)
		nftnl_set_elem_set(se, NFTNL_SET_ELEM_DATA, e->data.b, e->data.len);
	return se;
}

static int send_batch(uint16_t family, const char *table, const struct nftx_elem *e, size_t n)
{
	struct mnl_socket *nl = NULL;
	struct mnl_nlmsg_batch *batch = NULL;
	char *buf = NULL;
	size_t bufsize;
	uint32_t seq = (uint32_t)time(NULL), first_seq, portid;
	int r = 0;

	/* Each element message is well under 512 bytes; size the buffer for all. */
	bufsize = (n + 2) * 512 + MNL_SOCKET_BUFFER_SIZE;
	buf = malloc(bufsize);
	if (!buf)
		return -ENOMEM;
	batch = mnl_nlmsg_batch_start(buf, bufsize);
	first_seq = seq;
	nftnl_batch_begin(mnl_nlmsg_batch_current(batch), seq++);
	mnl_nlmsg_batch_next(batch);
	for (size_t i = 0; i < n; i++) {
		struct nftnl_set *s = nftnl_set_alloc();
		struct nftnl_set_elem *se = mk_elem(&e[i]);
		struct nlmsghdr *nlh;

		if (!s || !se) {
			nftnl_set_free(s);
			nftnl_set_elem_free(se);
			r = -ENOMEM;
			goto out;
		}
		nftnl_set_set_str(s, NFTNL_SET_TABLE, table);
		nftnl_set_set_str(s, NFTNL_SET_NAME, e[i].set);
		nftnl_set_elem_add(s, se);
		nlh = nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(batch),
					    e[i].del ? NFT_MSG_DELSETELEM : NFT_MSG_NEWSETELEM,
					    family,
					    (e[i].del ? 0 : NLM_F_CREATE) | NLM_F_ACK, seq++);
		nftnl_set_elems_nlmsg_build_payload(nlh, s);
		nftnl_set_free(s);
		mnl_nlmsg_batch_next(batch);
	}
	nftnl_batch_end(mnl_nlmsg_batch_current(batch), seq++);
	mnl_nlmsg_batch_next(batch);

	nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		r = -errno;
		goto out;
	}
	portid = mnl_socket_get_portid(nl);
	if (mnl_socket_sendto(nl, mnl_nlmsg_batch_head(batch), mnl_nlmsg_batch_size(batch)) < 0) {
		r = -errno;
		goto out;
	}
	/* One ack per element message; an error anywhere aborts the whole batch. */
	for (size_t acks = 0; acks < n;) {
		char rbuf[MNL_SOCKET_BUFFER_SIZE];
		ssize_t len = mnl_socket_recvfrom(nl, rbuf, sizeof(rbuf));

		if (len < 0) {
			r = -errno;
			goto out;
		}
		for (const struct nlmsghdr *h = (void *)rbuf; mnl_nlmsg_ok(h, (int)len);
		     h = mnl_nlmsg_next(h, (int *)&len)) {
			if (h->nlmsg_seq <= first_seq || h->nlmsg_seq >= seq - 1)
				continue;
			acks++;
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *err = mnl_nlmsg_get_payload(h);

				if (err->error < 0 && r == 0)
					r = err->error;
			}
		}
		if (r < 0)
			break;
	}
	(void)batch_cb;
	(void)portid;
out:
	if (nl)
		mnl_socket_close(nl);
	if (batch)
		mnl_nlmsg_batch_stop(batch);
	free(buf);
	return r;
}

int nftx_elems(uint16_t family, const char *table, const struct nftx_elem *e, size_t n)
{
	int r;

	if (n == 0)
		return 0;
	r = send_batch(family, table, e, n);
	/* An add batch stands or falls as a whole: never retry its elements one by one. */
	if (r != -ENOENT || !e[0].del)
		return r;
	/* Some element to delete was already gone: apply one by one, ignoring those. */
	for (size_t i = 0; i < n; i++) {
		r = send_batch(family, table, &e[i], 1);
		if (r < 0 && !(r == -ENOENT && e[i].del))
			return r;
	}
	return 0;
}

struct chain_scan {
	const char *ours;
	char *desc;
	size_t size;
	int found;
};

static int chain_cb(const struct nlmsghdr *nlh, void *data)
{
	struct chain_scan *cs = data;
	struct nftnl_chain *c = nftnl_chain_alloc();

	if (!c)
		return MNL_CB_ERROR;
	if (nftnl_chain_nlmsg_parse(nlh, c) == 0 && nftnl_chain_is_set(c, NFTNL_CHAIN_HOOKNUM) &&
	    nftnl_chain_is_set(c, NFTNL_CHAIN_POLICY)) {
		uint32_t fam = nftnl_chain_get_u32(c, NFTNL_CHAIN_FAMILY);
		const char *table = nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE);

		if ((fam == NFPROTO_INET || fam == NFPROTO_IPV4 || fam == NFPROTO_IPV6) &&
		    nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM) == NF_INET_FORWARD &&
		    nftnl_chain_get_u32(c, NFTNL_CHAIN_POLICY) == NF_DROP &&
		    !(fam == NFPROTO_INET && streq(table, cs->ours)) && !cs->found) {
			cs->found = 1;
			snprintf(cs->desc, cs->size, "%s %s/%s",
				 fam == NFPROTO_INET ? "inet" : fam == NFPROTO_IPV4 ? "ip" : "ip6",
				 table, nftnl_chain_get_str(c, NFTNL_CHAIN_NAME));
		}
	}
	nftnl_chain_free(c);
	return MNL_CB_OK;
}

int nftx_foreign_forward_drop(const char *ours, char *desc, size_t size)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct chain_scan cs = {.ours = ours, .desc = desc, .size = size};
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	uint32_t seq = (uint32_t)time(NULL), portid;
	ssize_t len;
	int r = 0;

	nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		r = -errno;
		goto out;
	}
	portid = mnl_socket_get_portid(nl);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETCHAIN, NFPROTO_UNSPEC, NLM_F_DUMP, seq);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		r = -errno;
		goto out;
	}
	while ((len = mnl_socket_recvfrom(nl, buf, sizeof(buf))) > 0) {
		r = mnl_cb_run(buf, (size_t)len, seq, portid, chain_cb, &cs);
		if (r <= 0)
			break;
	}
	if (r < 0)
		r = -errno;
	else
		r = cs.found;
out:
	mnl_socket_close(nl);
	return r;
}
