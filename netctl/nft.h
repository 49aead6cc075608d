/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * nftables: whole-ruleset transactions through libnftables (from the readable
 * ruleset/ files), set and map element updates through libnftnl batches over
 * libmnl. The only module that includes those libraries. Works in the
 * caller's network namespace. libnftables is opened on first use (lazylib.h):
 * a failure to load it is -ELIBACC, after one line on stderr.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errmsg.h"

#define NFTX_KEY_MAX 64

/* A set key or map value: concatenated fields, each padded to 4 bytes. */
struct nftx_key {
	uint8_t b[NFTX_KEY_MAX];
	uint8_t len;
};

struct nftx_elem {
	bool del;
	const char *set;
	struct nftx_key key;
	bool has_data;
	struct nftx_key data;
};

/* Append one field (as the kernel stores it: network order) to a key. */
void nftx_key_put(struct nftx_key *k, const void *field, size_t len);

/*
 * nftx_apply - run nft script text as one transaction (all or nothing).
 * @err: receives nft's own message on failure (may be NULL).
 * Returns 0 or -EINVAL (script rejected), -errno.
 */
int nftx_apply(const char *text, char *err, size_t errsize);
/*
 * nftx_load - load a script that a renderer made: @rendered is the renderer's
 * result, @text its output. 0, or -errno with e->msg "rendering WHAT: why" or
 * "loading WHAT: nft's first line".
 */
int nftx_load(const char *what, int rendered, const char *text, struct errmsg *e);
/* `nft list table FAMILY NAME` into a malloc'd string (*ret). -ENOENT if absent. */
int nftx_list_table(const char *family, const char *name, bool stateless, char **ret);
/* 1 if table @family (NFPROTO_*) @name exists, 0 if not, -errno if that cannot be told. */
int nftx_table_exists(uint16_t family, const char *name);

/*
 * nftx_elems - add/delete set or map elements in one libnftnl batch.
 * @family: NFPROTO_INET, NFPROTO_BRIDGE, ...
 * @err: on failure, receives one line for the user: the set the kernel refused (or the
 *       table) and the kernel's extended-ack text, or strerror when it gave none
 *       (may be NULL).
 * Adding an existing element is not an error; deleting a missing one is
 * retried element by element and then ignored, so del is idempotent.
 * Returns 0 or -errno: -ENOENT (no such table or set), -EINVAL (a key or value the set's
 * type does not fit), -ENOMEM...
 */
int nftx_elems(uint16_t family, const char *table, const struct nftx_elem *e, size_t n,
	       char *err, size_t errsize);

/*
 * nftx_set_keys - call @cb with the key of each element of set @set in table
 * @family @table (a dump; the key as the kernel stores it, fields padded to 4
 * bytes). A negative return of @cb stops the dump and is returned.
 * Returns 0 or -errno (-ENOENT: no such table or set).
 */
typedef int (*nftx_key_cb)(const void *key, uint32_t len, void *priv);
int nftx_set_keys(uint16_t family, const char *table, const char *set, nftx_key_cb cb, void *priv);

/*
 * nftx_foreign_forward_drop - find a base chain hooked on forward with policy
 * drop in a table other than @ours. Returns 1 with "family table/chain" in desc, 0, -errno.
 */
int nftx_foreign_forward_drop(const char *ours, char *desc, size_t size);
