#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# F1 repeated apply (THREATS.md): `up` three times gives identical links, addresses, routes,
# sysctls (every net.* key of the host and the router namespace), ruleset (nft -s), proxy
# neighbours, router processes and state files; and it restarts nothing when nothing changed.
#  A. desktop, from nothing, with stopped guests and port forwards already registered;
#  B. desktop again with a running, hot-plugged guest that holds a lease;
#  C. server mode, three times.
# shellcheck disable=SC2317 # helpers are called through t_ok / sb_wait_for

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
# shellcheck source=tests/faults/lib.sh
. "$top_srcdir/tests/faults/lib.sh"
f_init

# up_thrice MODE TAG: `up MODE` three times with a snapshot and the router's pids after each;
# all three snapshots must be equal, and the pids must not change.
up_thrice() {
	local mode=$1 tag=$2 i rc pids=() t0
	for i in 1 2 3; do
		t0=$(sb_now_ms)
		lx up "$mode" >&2
		rc=$?
		t_is "$tag: up $mode #$i exits 0 ($(($(sb_now_ms) - t0)) ms)" "$rc" 0 || return 1
		# The first uplink lease may restart dnsmasq once; up waits for that (DESIGN).
		snap "$SB_TMP/f1.$tag.$i"
		pids[i]=$(router_pids)
	done
	t_ok "$tag: the snapshots cover host, router and files" snap_complete "$SB_TMP/f1.$tag.1"
	same_snap "$tag: snapshot after up #2 equals the one after up #1" "$SB_TMP/f1.$tag.1" "$SB_TMP/f1.$tag.2"
	same_snap "$tag: snapshot after up #3 equals the one after up #2" "$SB_TMP/f1.$tag.2" "$SB_TMP/f1.$tag.3"
	t_is "$tag: up #2 restarted neither the router nor a daemon" "${pids[2]}" "${pids[1]}"
	t_is "$tag: up #3 restarted neither the router nor a daemon" "${pids[3]}" "${pids[2]}"
	t_diag "$tag: $(wc -l <"$SB_TMP/f1.$tag.3") snapshot lines compared; ${pids[3]}"
}

t_ok "host's own SLAAC and RA route are settled" sb_wait_for "host SLAAC" 5000 host_settled
{ make_stub c1 && make_stub c2; } || t_bail "stub containers"
sb_make_guest g1 || t_bail "make guest g1"
t_ok "guest add c1 (router down)" lx guest add c1
t_ok "guest add c2 (router down)" lx guest add c2 --ipv4 192.168.254.150
t_ok "port add c1 8080:80" lx port add c1 8080:80
t_ok "port add c2 192.168.253.254:5353:53/udp" lx port add c2 192.168.253.254:5353:53/udp

# ---- A. desktop from nothing
up_thrice desktop A

# ---- B. a running guest with a lease
t_ok "g1 starts" sb_start_guest g1
t_ok "guest add g1 (running, hot-plugged)" lx guest add g1
G1=$(json_field g1 ipv4)
t_ok "g1 leases its address $G1" grep_out "ip='$G1'" guest_lease g1
t_ok "port add g1 2222:22" lx port add g1 2222:22
up_thrice desktop B
t_ok "g1 still reaches the router" sb_guest_exec g1 ping -c1 -W2 "$GUEST4"

# ---- C. server mode
up_thrice server C
t_ok "g1 renews the same address in server mode" grep_out "ip='$G1'" guest_lease g1

t_ok "down" lx down
f_done
