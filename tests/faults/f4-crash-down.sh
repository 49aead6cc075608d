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

f4_up_prepare ""

for ((K = 1; K <= N; K++)); do
	crash "up" lx up desktop
	after_crash "up@$K"
	t_ok "up@$K: down after the crash exits 0" lx down
	pre_snap "$SB_TMP/post-down"
	same_snap "up@$K: down after the crash restores the host and files" "$SB_TMP/pre-up" "$SB_TMP/post-down"
done
f_done
