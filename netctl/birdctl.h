/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * BIRD, the router's BGP speaker ([routing] bgp = on): its config checked by
 * `bird -p`, and its control socket (the protocol birdc speaks: each reply
 * line a 4-digit code and '-' or ' ', continuation lines begin with a blank,
 * the reply ends at a line whose code is followed by a blank).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One BGP protocol of `show protocols all`. */
struct bird_session {
	char name[32];      /* peer1.. (render_bird_peer_name) */
	char state[16];     /* up, start, down */
	char info[96];      /* Established, Active, Connect, ... (and why) */
	long long since;    /* when the state began, seconds since the epoch (0: unknown) */
	char neighbor[64];  /* the peer's address */
	uint32_t neighbor_as;
	unsigned imported;  /* routes, summed over channels */
	unsigned exported;
};

#define BIRD_MAX_SESSIONS 16

/*
 * bird_check - run `bird -p -c PATH`: does BIRD accept the file?
 * Returns 0, or -EINVAL with BIRD's message in @err, or -errno when BIRD
 * could not be run.
 */
int bird_check(const char *path, char *err, size_t errsize);

/*
 * bird_cmd - one command on the control socket at @sock.
 * @reply: receives the reply lines (malloc'd, without the greeting).
 * Returns 0, or -errno (-ECONNREFUSED / -ENOENT: BIRD is not running).
 */
int bird_cmd(const char *sock, const char *cmd, int timeout_ms, char **reply);

/* `configure`: BIRD reloads its config file; 0, or -EINVAL with BIRD's words in @err. */
int bird_configure(const char *sock, char *err, size_t errsize);

/* Parse the reply of `show protocols all` into @ret (BGP protocols only). Returns the count. */
size_t bird_parse_protocols(const char *reply, struct bird_session *ret, size_t max);
