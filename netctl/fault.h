/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Crash-consistency testing (THREATS.md F4): with LXTG_FAULT_AT=k in the
 * environment the k-th fault point reached kills the process on the spot
 * (SIGKILL, as a power cut or OOM kill would), so tests can stop `up` and
 * `guest add` between any two steps. LXTG_FAULT_LIST=1 prints each point.
 */
#pragma once

void fault_point(const char *name);
