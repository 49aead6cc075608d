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

int nftx_load(const char *what, int rendered, const char *text, struct errmsg *e)
{
	char err[512];
	int r;

	if (rendered < 0)
		return fail(e, rendered, "rendering %s: %s", what, strerror(-rendered));
	r = nftx_apply(text, err, sizeof(err));
	return r < 0 ? fail(e, r, "loading %s: %s", what, err) : 0;
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

/*
 * One request or batch on a fresh NETLINK_NETFILTER socket, and what the kernel said to it.
 * The kernel's words stay with the call that earned them, never in a global, so no reply
 * can leak into the report of an unrelated error.
 */
struct nftx_talk {
	/* Set by the caller. */
	uint32_t seq_first, seq_last; /* seqs of the first and the last message sent */
	size_t acks;		      /* messages with NLM_F_ACK: acks to wait for */
	mnl_cb_t cb;		      /* data messages (replies, dumps), may be NULL */
	void *data;
	/* Set by nftx_talk(). */
	const void *req; /* what was sent, to find the attribute the kernel blames */
	size_t req_len;
	size_t acked;
	int error;	   /* the first error (-errno), 0 if none */
	uint32_t err_seq;  /* the message it answers */
	uint16_t err_attr; /* top-level attribute of that message the kernel blamed, 0 if none */
	char extack[128];  /* the kernel's own text, "" if it gave none */
};

/* The top-level attribute (after the nfgenmsg) of request message @seq that holds byte @offs. */
static uint16_t blamed_attr(const struct nftx_talk *t, uint32_t seq, uint32_t offs)
{
	int left = (int)t->req_len;

	for (const struct nlmsghdr *m = t->req; mnl_nlmsg_ok(m, left);
	     m = mnl_nlmsg_next(m, &left)) {
		const struct nlattr *a;

		if (m->nlmsg_seq != seq)
			continue;
		mnl_attr_for_each(a, m, sizeof(struct nfgenmsg)) {
			size_t start = (size_t)((const char *)a - (const char *)m);

			if (offs >= start && offs < start + a->nla_len)
				return mnl_attr_get_type(a);
		}
		break;
	}
	return 0;
}

/* The extended ack: TLVs after the nlmsgerr and, unless capped, after the echoed request. */
static void read_extack(struct nftx_talk *t, const struct nlmsghdr *nlh, const struct nlmsgerr *err)
{
	size_t off = sizeof(*err);
	const struct nlattr *a;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += mnl_nlmsg_get_payload_len(&err->msg);
	if (off > mnl_nlmsg_get_payload_len(nlh))
		return;
	mnl_attr_for_each(a, nlh, off) {
		uint16_t type = mnl_attr_get_type(a);

		if (type == NLMSGERR_ATTR_MSG && mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
			snprintf(t->extack, sizeof(t->extack), "%.*s",
				 (int)strcspn(mnl_attr_get_str(a), "\n"), mnl_attr_get_str(a));
		else if (type == NLMSGERR_ATTR_OFFS && mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			t->err_attr = blamed_attr(t, nlh->nlmsg_seq, mnl_attr_get_u32(a));
	}
}

static int talk_error_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nftx_talk *t = data;
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*err)) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	/* A batch's acks carry each its own message's seq: mnl_cb_run2 cannot check them. */
	if (nlh->nlmsg_seq < t->seq_first || nlh->nlmsg_seq > t->seq_last) {
		errno = EPROTO;
		return MNL_CB_ERROR;
	}
	if (err->error == 0)
		return ++t->acked < t->acks ? MNL_CB_OK : MNL_CB_STOP;
	/*
	 * Any error fails the whole batch (one on the batch header refuses it outright), and
	 * the kernel acks in message order: the first error is the one to report, and what
	 * follows it is not worth reading.
	 */
	t->error = err->error < 0 ? err->error : -err->error;
	t->err_seq = nlh->nlmsg_seq;
	read_extack(t, nlh, err);
	return MNL_CB_STOP;
}

/* The end of a dump carries its status: a dump cut short is no answer. */
static int talk_done_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nftx_talk *t = data;
	int status;

	if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(status)) {
		memcpy(&status, mnl_nlmsg_get_payload(nlh), sizeof(status));
		if (status < 0) {
			t->error = status;
			t->err_seq = nlh->nlmsg_seq;
		}
	}
	return MNL_CB_STOP;
}

/* libmnl hands the data and control callbacks one pointer: ours, so pass the caller's on. */
static int talk_data_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nftx_talk *t = data;

	return t->cb(nlh, t->data);
}

/*
 * nftx_talk - send @req (one message or a batch) and read the replies until every ack
 * is in, a dump is done, or the kernel reports an error.
 * Returns 0 or -errno; a kernel error also lands in t->error, t->err_seq, t->err_attr and
 * t->extack.
 */
static int nftx_talk(struct nftx_talk *t, const void *req, size_t len)
{
	/* Not const: libmnl 1.0.4 takes a plain mnl_cb_t *. */
	static mnl_cb_t ctl[] = {
		[NLMSG_ERROR] = talk_error_cb,
		[NLMSG_DONE] = talk_done_cb,
	};
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *nl;
	uint32_t portid;
	int one = 1, r;

	t->req = req;
	t->req_len = len;
	nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!nl)
		return t->error = -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		r = -errno;
		goto out;
	}
	portid = mnl_socket_get_portid(nl);
	/*
	 * Best effort: a kernel without them still reports the errno. CAP_ACK keeps error acks
	 * from echoing the request back: to place the extack's offset we have our own copy.
	 */
	mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &one, sizeof(one));
	if (mnl_socket_sendto(nl, req, len) < 0) {
		r = -errno;
		goto out;
	}
	do {
		ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));

		if (n < 0) {
			r = -errno;
			goto out;
		}
		/* seq 0: a batch, whose seq range talk_error_cb checks itself. */
		r = mnl_cb_run2(buf, (size_t)n, t->seq_first == t->seq_last ? t->seq_first : 0,
				portid, t->cb ? talk_data_cb : NULL, t, ctl, ARRAY_SIZE(ctl));
		if (r < 0) {
			r = -errno;
			goto out;
		}
	} while (r > 0 && t->error == 0);
	r = t->error;
out:
	mnl_socket_close(nl);
	if (r < 0 && t->error == 0)
		t->error = r;
	return r;
}

int nftx_table_exists(uint16_t family, const char *name)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nftnl_table *tab = nftnl_table_alloc();
	uint32_t seq = (uint32_t)time(NULL);
	struct nftx_talk talk = {.seq_first = seq, .seq_last = seq, .acks = 1};
	struct nlmsghdr *nlh;
	int r;

	if (!tab)
		return -ENOMEM;
	/* One GETTABLE: the kernel answers with the table or ENOENT. */
	nftnl_table_set_str(tab, NFTNL_TABLE_NAME, name);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETTABLE, family, NLM_F_ACK, seq);
	nftnl_table_nlmsg_build_payload(nlh, tab);
	nftnl_table_free(tab);
	r = nftx_talk(&talk, nlh, nlh->nlmsg_len);
	if (r == -ENOENT)
		return 0;
	return r < 0 ? r : 1;
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

/* One line for the user: which set (by the failing message's seq), and the kernel's words. */
static void batch_error(const struct nftx_talk *t, int r, const char *table,
			const struct nftx_elem *e, size_t n, char *err, size_t errsize)
{
	const char *why = t->extack[0] ? t->extack : strerror(-r);
	const char *set;

	if (!err || !errsize)
		return;
	/* Element i went out with seq seq_first + 1 + i, between the batch's begin and end. */
	if (t->err_seq <= t->seq_first || t->err_seq - t->seq_first - 1 >= n) {
		snprintf(err, errsize, "%s", why);
		return;
	}
	set = e[t->err_seq - t->seq_first - 1].set;
	if (t->err_attr == NFTA_SET_ELEM_LIST_TABLE)
		snprintf(err, errsize, "table %s: %s", table, why);
	else if (t->err_attr == NFTA_SET_ELEM_LIST_ELEMENTS)
		snprintf(err, errsize, "set %s refused the element: %s", set, why);
	else
		snprintf(err, errsize, "set %s: %s", set, why);
}

static int send_batch(uint16_t family, const char *table, const struct nftx_elem *e, size_t n,
		      char *err, size_t errsize)
{
	struct mnl_nlmsg_batch *batch = NULL;
	struct nftx_talk talk = {.acks = n};
	char *buf = NULL;
	size_t bufsize;
	uint32_t seq = (uint32_t)time(NULL);
	int r = 0;

	/* Each element message is well under 512 bytes; size the buffer for all. */
	bufsize = (n + 2) * 512 + MNL_SOCKET_BUFFER_SIZE;
	buf = malloc(bufsize);
	if (buf)
		batch = mnl_nlmsg_batch_start(buf, bufsize);
	if (!batch) {
		r = -ENOMEM;
		goto out;
	}
	talk.seq_first = seq;
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
	talk.seq_last = seq;
	nftnl_batch_end(mnl_nlmsg_batch_current(batch), seq);
	mnl_nlmsg_batch_next(batch);
	/* One ack per element message; an error anywhere aborts the whole batch. */
	r = nftx_talk(&talk, mnl_nlmsg_batch_head(batch), mnl_nlmsg_batch_size(batch));
out:
	if (r < 0)
		batch_error(&talk, r, table, e, n, err, errsize);
	if (batch)
		mnl_nlmsg_batch_stop(batch);
	free(buf);
	return r;
}

int nftx_elems(uint16_t family, const char *table, const struct nftx_elem *e, size_t n,
	       char *err, size_t errsize)
{
	int r;

	if (err && errsize)
		err[0] = '\0';
	if (n == 0)
		return 0;
	r = send_batch(family, table, e, n, err, errsize);
	/* An add batch stands or falls as a whole: never retry its elements one by one. */
	if (r != -ENOENT || !e[0].del)
		return r;
	/* Some element to delete was already gone: apply one by one, ignoring those. */
	for (size_t i = 0; i < n; i++) {
		r = send_batch(family, table, &e[i], 1, err, errsize);
		if (r < 0 && !(r == -ENOENT && e[i].del))
			return r;
	}
	return 0;
}

struct set_dump {
	nftx_key_cb cb;
	void *priv;
	int r;
};

static int set_dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct set_dump *d = data;
	struct nftnl_set *s = nftnl_set_alloc();
	struct nftnl_set_elems_iter *it;
	struct nftnl_set_elem *se;

	if (!s)
		return MNL_CB_ERROR;
	if (nftnl_set_elems_nlmsg_parse(nlh, s) < 0 || !(it = nftnl_set_elems_iter_create(s))) {
		nftnl_set_free(s);
		return MNL_CB_OK; /* not an element message */
	}
	while ((se = nftnl_set_elems_iter_next(it)) && d->r == 0) {
		uint32_t len = 0;
		const void *key = nftnl_set_elem_get(se, NFTNL_SET_ELEM_KEY, &len);

		if (key && len)
			d->r = d->cb(key, len, d->priv);
	}
	nftnl_set_elems_iter_destroy(it);
	nftnl_set_free(s);
	return d->r < 0 ? MNL_CB_ERROR : MNL_CB_OK;
}

int nftx_set_keys(uint16_t family, const char *table, const char *set, nftx_key_cb cb, void *priv)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nftnl_set *s = nftnl_set_alloc();
	uint32_t seq = (uint32_t)time(NULL);
	struct set_dump d = {cb, priv, 0};
	struct nftx_talk talk = {.seq_first = seq, .seq_last = seq, .cb = set_dump_cb, .data = &d};
	struct nlmsghdr *nlh;
	int r;

	if (!s)
		return -ENOMEM;
	nftnl_set_set_str(s, NFTNL_SET_TABLE, table);
	nftnl_set_set_str(s, NFTNL_SET_NAME, set);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETSETELEM, family, NLM_F_DUMP, seq);
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	nftnl_set_free(s);
	r = nftx_talk(&talk, nlh, nlh->nlmsg_len);
	return d.r < 0 ? d.r : r;
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
	uint32_t seq = (uint32_t)time(NULL);
	struct nftx_talk talk = {.seq_first = seq, .seq_last = seq, .cb = chain_cb, .data = &cs};
	struct nlmsghdr *nlh;
	int r;

	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETCHAIN, NFPROTO_UNSPEC, NLM_F_DUMP, seq);
	r = nftx_talk(&talk, nlh, nlh->nlmsg_len);
	return r < 0 ? r : cs.found;
}
