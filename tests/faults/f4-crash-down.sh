#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# F4 crash consistency, `up` then `down` (THREATS.md): the controller is killed with SIGKILL at
# every fault point of `up` from nothing (LXTG_FAULT_AT=k, netctl/fault.c; LXTG_FAULT_LIST=1
# enumerates the points of a clean run). Stopped guests and a forward are registered. After
# each crash:
#  - the registry parses, is unchanged (up never writes it), and no temp file is left;
#  - `down` exits 0 and restores the host (links, addresses, routes, sysctls, ruleset) and the
#    files (state dir, lxcpath) from before the up, exactly.
# f4-crash-up.sh does the same crashes followed by `up`.
# shellcheck disable=SC2317 # helpers are called through t_ok / sb_wait_for

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
# shellcheck source=tests/faults/lib.sh
. "$top_srcdir/tests/faults/lib.sh"
f_init

# pre_snap FILE: host and files, for comparing with the state before up.
pre_snap() { { host_snap; files_snap; } >"$1" 2>&1; }

t_ok "host's own SLAAC and RA route are settled" sb_wait_for "host SLAAC" 5000 host_settled
{ make_stub c1 && make_stub c2; } || t_bail "stub containers"
register() { lx guest add c1 && lx guest add c2 && lx port add c1 8080:80; }
t_ok "guest add c1, c2 and a forward (router down)" register
cp "$SB_STATE/guests" "$SB_TMP/reg.up" || t_bail "no registry"
REGS=("$SB_TMP/reg.up")
pre_snap "$SB_TMP/pre-up"

LIST=$SB_TMP/up.points
LXTG_FAULT_LIST=1 lx up desktop 2>"$LIST"
t_is "clean up desktop exits 0" "$?" 0 || t_bail "clean up failed: $(tail -n 3 "$LIST")"
N=$(fault_points "$LIST")
t_ok "up has fault points ($N)" test "$N" -ge 5
t_diag "$(grep '^fault point' "$LIST")"
t_ok "down after the clean up" lx down
pre_snap "$SB_TMP/post-down"
same_snap "down after the clean up restores the host and files" "$SB_TMP/pre-up" "$SB_TMP/post-down"

for ((K = 1; K <= N; K++)); do
	crash "up" lx up desktop
	after_crash "up@$K"
	t_ok "up@$K: down after the crash exits 0" lx down
	pre_snap "$SB_TMP/post-down"
	same_snap "up@$K: down after the crash restores the host and files" "$SB_TMP/pre-up" "$SB_TMP/post-down"
done
f_done
