#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# F7 leftovers (THREATS.md): after `down`, the host equals the snapshot taken before `up`:
# links (with details), addresses, routes (all tables), rules, proxy neighbours, every net.*
# sysctl (minus volatile counters), the nft ruleset, processes (host netns and container
# payloads) and files (state dir and lxcpath).
# Between up and down: up desktop, guests added (two stopped, one running and hot-plugged, with
# a lease), port forwards, up server, a forward in server mode.
#  - right after down, with the hot-plugged guest g1 still running, the only difference allowed
#    is g1's own link lxg-g1 (its LXC config names it; `down` keeps guests attached for the next
#    `up`, see tests/integration/20-guests.sh) and that link's sysctls; the state dir keeps the
#    registry (lock, guests) and nothing else;
#  - once g1 stops, the host equals the snapshot from before anything ran, exactly;
#  - after guest del of every guest, the containers' configs are byte-identical to before and
#    the state dir holds nothing but the lock and an empty registry.
# shellcheck disable=SC2317 # helpers are called through t_ok / sb_wait_for

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
# shellcheck source=tests/faults/lib.sh
. "$top_srcdir/tests/faults/lib.sh"
f_init

# f7_snap FILE: the host as far as anything may touch it, processes included.
f7_snap() {
	{
		host_snap
		echo "## host netns processes"; procs "$SB_HOST"
		echo "## processes rooted in the sandbox"
		for pid in $(sb__rootfs_pids); do tr '\0' ' ' <"/proc/$pid/cmdline"; echo; done | sort
	} >"$1" 2>&1
}

# lxc_files FILE: every file under lxcpath except rootfs trees and logs, with contents.
lxc_files() {
	{
		find "$SB_LXCPATH" -path '*/rootfs' -prune -o ! -name '*.log' -printf '%y %m %P\n' | sort
		find "$SB_LXCPATH" -path '*/rootfs' -prune -o -type f ! -name '*.log' -print0 | sort -z | xargs -0 -r sha256sum
	} >"$1" 2>&1
}

# state_files: the state dir's entries, one a line.
state_files() { find "$SB_STATE" -mindepth 1 -printf '%P\n' | sort | tr '\n' ' '; }

# only_about NAME A B: every line that differs between snapshot files A and B mentions NAME,
# and at least one does (the allowance is not vacuous).
only_about() {
	local d other
	d=$(diff "$2" "$3" | grep -E '^[<>]')
	other=$(grep -v -F -- "$1" <<<"$d")
	[ -n "$d" ] || { t_diag "no difference at all mentions $1"; return 1; }
	[ -z "$other" ] || { t_diag "$(head -n 30 <<<"$other")"; return 1; }
}

t_ok "host's own SLAAC and RA route are settled" sb_wait_for "host SLAAC" 5000 host_settled
{ make_stub c1 && make_stub c2; } || t_bail "stub containers"
sb_make_guest g1 || t_bail "make guest g1"
f7_snap "$SB_TMP/pre0"
lxc_files "$SB_TMP/lxc.pre"
t_ok "g1 starts (no network yet)" sb_start_guest g1
f7_snap "$SB_TMP/pre1"
t_is "the state dir is empty before up" "$(state_files)" ""

# ---- everything, once
t_ok "up desktop" lx up desktop
t_ok "guest add c1" lx guest add c1
t_ok "guest add c2 --ipv4 192.168.254.150" lx guest add c2 --ipv4 192.168.254.150
t_ok "guest add g1 (running, hot-plugged)" lx guest add g1
G1=$(json_field g1 ipv4)
t_ok "g1 leases $G1" grep_out "ip='$G1'" guest_lease g1
t_ok "port add c1 8080:80" lx port add c1 8080:80
t_ok "port add g1 2222:22/udp" lx port add g1 2222:22/udp
t_ok "port add c2 192.168.253.254:5353:53/udp" lx port add c2 192.168.253.254:5353:53/udp
t_ok "g1 reaches the LAN" sb_guest_exec g1 ping -c1 -W2 "$SB_LAN_V4"
t_ok "up server" lx up server
t_ok "port add g1 80:80 (server mode: exposed)" lx port add g1 80:80
t_ok "g1 renews in server mode" guest_lease g1
t_ok "the router runs" test -n "$(sb_lxc info "$ROUTER" -p -H)"
t_ok "down" lx down

# ---- right after down, g1 still running
settle
f7_snap "$SB_TMP/post1"
t_ok "after down: the host equals the snapshot before up, except g1's own link lxg-g1" \
	only_about lxg-g1 "$SB_TMP/pre1" "$SB_TMP/post1"
t_ok "after down: lxg-g1 is on no bridge" not grep_out 'lxg-g1 ' masters hx
t_is "after down: the state dir holds the registry only" "$(state_files)" "guests lock "
t_ok "after down: no router container is defined" test ! -e "$SB_LXCPATH/$ROUTER"

# ---- g1 stops: exactly as before anything ran
t_ok "g1 stops" sb_stop_guest g1
# The kernel removes g1's veth with g1's netns, in the background, a moment after lxc-stop.
t_ok "g1's link lxg-g1 goes with it" sb_wait_for "lxg-g1 to go" 5000 not hx ip link show lxg-g1
f7_snap "$SB_TMP/post0"
same_snap "after down and g1's stop: the host equals the snapshot from before, exactly" "$SB_TMP/pre0" "$SB_TMP/post0"

# ---- guest del of every guest
for g in c1 c2 g1; do
	t_ok "guest del $g (router down)" lx guest del "$g"
done
lxc_files "$SB_TMP/lxc.post"
same_snap "the containers' configs are byte-identical to before guest add" "$SB_TMP/lxc.pre" "$SB_TMP/lxc.post"
t_ok "the registry is empty" not grep -q '^guest ' "$SB_STATE/guests"
t_is "the state dir holds only lock and guests" "$(state_files)" "guests lock "
t_diag "state dir: $(state_files)"
f7_snap "$SB_TMP/post2"
same_snap "the host still equals the snapshot from before" "$SB_TMP/pre0" "$SB_TMP/post2"
f_done
