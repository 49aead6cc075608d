#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# F4 crash consistency, `up` (THREATS.md): the controller is killed with SIGKILL at every fault
# point of `up` from nothing (LXTG_FAULT_AT=k, netctl/fault.c; LXTG_FAULT_LIST=1 enumerates
# the points of a clean run). Stopped guests and a forward are registered. After each crash:
#  - the registry parses, is unchanged (up never writes it), and no temp file is left;
#  - `up` again exits 0 and gives exactly the state of a clean `up` (host, router, files; only
#    what every router start picks at random is masked, see mask_random).
# f4-crash-down.sh does the same crashes followed by `down`.
# shellcheck disable=SC2317 # helpers are called through t_ok / sb_wait_for

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
# shellcheck source=tests/faults/lib.sh
. "$top_srcdir/tests/faults/lib.sh"
f_init

f4_up_prepare "$SB_TMP/ref-up"

for ((K = 1; K <= N; K++)); do
	crash "up" lx up desktop
	after_crash "up@$K"
	t_ok "up@$K: up after the crash exits 0" lx up desktop
	snap "$SB_TMP/up.$K"
	mask_random "$SB_TMP/up.$K"
	same_snap "up@$K: the state equals a clean up" "$SB_TMP/ref-up" "$SB_TMP/up.$K"
	t_ok "up@$K: down" lx down
done
f_done
