#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# F6 conflicts (THREATS.md): each conflict is detected, and the command refuses with a clear
# message and changes nothing, or repairs the damage; `status` reports drift.
#  1. status in sync: no drift reported;
#  2. Docker-style FORWARD drop policy (ip and ip6 filter FORWARD, with counters) plus br_netfilter
#     sysctls on in the host: `check` reports both and exits 0 (macvlan attach keeps the host's
#     FORWARD off the guests' path: not a problem, see lxctogo-net(8)); `up` works and leaves
#     the host's bridge-nf-call-* at 1; guest traffic flows (out through NAT, in through a
#     forward, from the host) and the foreign FORWARD chain sees none of it (the guest bridge is
#     in the router's namespace, whose bridge netfilter is its own); nf_call_iptables=1 set by
#     hand on the router's guest bridge is put back by up;
#  3. a foreign `nft flush ruleset` in the router: traffic breaks, `status` reports drift of
#     table inet lxctogo, `up` restores the table byte-identically and the traffic;
#  4. the guards deleted in the router (a spoofed source gets through), `status` reports drift of
#     table bridge lxctogo, `up` restores them and the spoof is dropped again;
#  5. an overlapping IPv4 route, a covering IPv6 route, an address in host_subnet on another
#     link and a route appended with exactly guest_subnet: `up` refuses with one line naming the overlap and changes nothing, and
#     `check` fails (exit 1) on it.
#
# What `status` must print for drift (the expected interface; see the test's report):
#   table:  one line per drift item after the table, starting with "drift: " and naming the
#           object, e.g. "drift: router: table inet lxctogo is missing (run up)";
#           no such line when everything is in place;
#   JSON:   the router object gets the key "drift", an array of those strings ([] in sync);
#   exit status 0 either way (status reports; check and up act).
# shellcheck disable=SC2317 # helpers are called through t_ok / sb_wait_for

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
# shellcheck source=tests/faults/lib.sh
. "$top_srcdir/tests/faults/lib.sh"
f_init

# fetch ADDR PORT: what a TCP connection from peer to ADDR:PORT reads.
fetch() { sb_peer_exec timeout 3 "$SB_BUSYBOX" nc "$1" "$2" </dev/null 2>/dev/null; }

# traffic_ok TAG: one check per path: g1 -> LAN v4 (NAT) and v6, LAN -> g1 through the forward,
# host -> g1.
traffic_ok() {
	t_ok "$1: g1 reaches the LAN over IPv4 (NAT)" sb_guest_exec g1 ping -c1 -W2 "$SB_LAN_V4"
	t_ok "$1: g1 reaches the LAN over IPv6" sb_guest_exec g1 ping -6 -c1 -W2 "$SB_LAN_V6"
	t_is "$1: the LAN reaches g1 through the forward" "$(fetch "$RLAN4" 8080)" g1-says-hi
	t_ok "$1: the host reaches g1" sb_host_exec ping -c1 -W2 "$G1"
}

# traffic_flows: all of traffic_ok's paths work (quietly, for polling).
traffic_flows() {
	sb_guest_exec g1 ping -c1 -W1 "$SB_LAN_V4" && sb_guest_exec g1 ping -6 -c1 -W1 "$SB_LAN_V6" &&
		[ "$(fetch "$RLAN4" 8080)" = g1-says-hi ] && sb_host_exec ping -c1 -W1 "$G1"
}

# g1_out_v4: g1 reaches the LAN over IPv4 (through the router's NAT).
g1_out_v4() { sb_guest_exec g1 ping -c1 -W1 "$SB_LAN_V4" >/dev/null 2>&1; }

# status_json_drift: the router row's "drift" of `status --json`, as JSON ("absent" if no key).
status_json_drift() {
	lx -j status | "$F_PYTHON" -c 'import json,sys
r=[x for x in json.load(sys.stdin) if x["kind"]=="router"][0]
print(json.dumps(r["drift"]) if "drift" in r else "absent")'
}

# drift_reported WHAT: status names WHAT in a "drift: " line and in the JSON drift array, and exits 0.
drift_reported() {
	local out rc
	out=$(lx status 2>&1)
	rc=$?
	t_diag "status: $(grep -i drift <<<"$out" || echo 'no drift line')"
	[ "$rc" -eq 0 ] || { t_diag "status exit $rc"; return 1; }
	grep -qE "^drift: .*$1" <<<"$out" || return 1
	status_json_drift | grep -qF "$1"
}

# no_drift: status prints no "drift: " line, its JSON says "drift": [] and it exits 0.
no_drift() {
	local out rc j
	out=$(lx status 2>&1)
	rc=$?
	j=$(status_json_drift)
	if [ "$rc" -ne 0 ] || grep -q '^drift: ' <<<"$out" || [ "$j" != "[]" ]; then
		t_diag "status exit $rc, drift lines: $(grep '^drift' <<<"$out"), JSON drift: $j"
		return 1
	fi
}

# spoof_gets_through: g1 reaches the router from a source address that is not its own.
spoof_gets_through() { sb_guest_exec g1 ping -c1 -W1 -I 192.168.254.77 "$GUEST4" >/dev/null 2>&1; }

# guard_counter NAME: a counter of the guard table (in the router's namespace).
guard_counter() { rx nft list counter bridge lxctogo "$1" 2>/dev/null | awk '/packets/ { print $2 }'; }

# one_line_overlap FILE: exactly one line, an lxctogo-net error about an overlap.
one_line_overlap() { [ "$(wc -l <"$1")" -eq 1 ] && grep -qE '^lxctogo-net: .*overlap' "$1"; }

# full_snap FILE: host, router and files.
full_snap() { settle; { host_snap; router_snap; files_snap; } >"$1" 2>&1; }

t_ok "up desktop" lx up desktop
sb_make_guest g1 || t_bail "make guest g1"
t_ok "g1 starts" sb_start_guest g1
t_ok "guest add g1" lx guest add g1
G1=$(json_field g1 ipv4) G1V6=$(json_field g1 ipv6)
t_ok "g1 leases $G1" grep_out "ip='$G1'" guest_lease g1
t_ok "g1 has its SLAAC address" sb_wait_for "g1 SLAAC" 5000 grep_out "$G1V6/64" sb_guest_exec g1 ip -6 addr show dev eth0
printf '#!/bin/sh\necho g1-says-hi\n' >"$SB_LXCPATH/g1/rootfs/srv-hi" && chmod +x "$SB_LXCPATH/g1/rootfs/srv-hi"
sb_guest_exec g1 sh -c 'setsid sh -c "while :; do nc -l -p 80 -e /srv-hi; done" </dev/null >/dev/null 2>&1 &'
t_ok "port add g1 8080:80" lx port add g1 8080:80
RLAN4=$(addrs 4 eth0 rx | head -n1)
sb_wait_for "traffic" 5000 traffic_flows
traffic_ok "control"

# ====================================================================== 1. status in sync
t_ok "status in sync: no drift reported" no_drift

# ====================================================================== 2. Docker + br_netfilter
docker_world
# docker_in_place: the foreign drop policy and the br_netfilter sysctl are there.
docker_in_place() {
	[ "$(hx sysctl -n net.bridge.bridge-nf-call-iptables)" = 1 ] &&
		hx nft list chain ip filter FORWARD | grep -q "policy drop"
}
t_ok "Docker-style FORWARD drop policy and br_netfilter sysctls are in place" docker_in_place
lx check >"$SB_TMP/check.out" 2>&1
rc=$?
t_diag "$(grep -E 'FORWARD|br_netfilter|problem' "$SB_TMP/check.out")"
t_is "check exits 0 (a drop policy is not on the guests' path with macvlan attach)" "$rc" 0
t_ok "check reports the foreign drop policy" \
	grep -qE '^OK +host FORWARD policy: drop policy in ip6? filter/FORWARD' "$SB_TMP/check.out"
t_ok "check reports br_netfilter on" \
	grep -qE '^OK +br_netfilter: .*(bridge-nf-call-iptables=1|loaded)' "$SB_TMP/check.out"
t_ok "up with the foreign drop policy exits 0" lx up
t_is "up left the host's bridge-nf-call-iptables/ip6tables at 1" \
	"$(hx sysctl -n net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables | tr '\n' ' ')" "1 1 "
t_ok "the host bridge and the router's guest bridge keep nf_call_iptables 0 and nf_call_ip6tables 0" \
	test "$({ bridge_nf hx; bridge_nf rx; } | grep -c 'nf_call_iptables 0 nf_call_ip6tables 0 nf_call_arptables 0')" -eq 2
c0=$(docker_counter)
traffic_ok "Docker + br_netfilter"
t_is "Docker + br_netfilter: the foreign FORWARD chain saw none of the guest's traffic" "$(docker_counter)" "$c0"
t_diag "foreign FORWARD counters: $(hx nft list ruleset | grep -c 'counter packets [1-9]') non-zero, $(docker_counter) packets"
t_ok "status: no drift with Docker's settings in the host" no_drift
# A bridge flag changed by hand is put back.
rx ip link set eth1 type bridge nf_call_iptables 1 nf_call_ip6tables 1
t_ok "up after nf_call_iptables=1 was set on the router's guest bridge by hand" lx up
t_ok "eth1 has nf_call_iptables 0 again" grep_out '^eth1: nf_call_iptables 0 nf_call_ip6tables 0' bridge_nf rx
# The rest runs without the foreign table (br_netfilter stays on: every new netns has it).
hx nft delete table ip filter
hx nft delete table ip6 filter
t_ok "control: without the foreign tables traffic flows" sb_wait_for "traffic without Docker" 5000 traffic_flows

# ====================================================================== 3. flush in the router
rx nft -s list ruleset | nft_static >"$SB_TMP/router.nft.0"
rx nft flush ruleset
t_ok "router ruleset flushed by a foreign tool: g1's traffic to the LAN breaks" not g1_out_v4
t_is "... and the forward" "$(fetch "$RLAN4" 8080)" ""
t_ok "status reports drift of table inet lxctogo" drift_reported "inet lxctogo"
t_ok "up repairs the router ruleset" lx up
rx nft -s list ruleset | nft_static >"$SB_TMP/router.nft.1"
same_snap "the router ruleset is back, byte-identical" "$SB_TMP/router.nft.0" "$SB_TMP/router.nft.1"
sb_wait_for "traffic after repair" 3000 traffic_flows
traffic_ok "after the router repair"
t_ok "status: no drift after the repair" no_drift

# ====================================================================== 4. the guards deleted
rx nft -s list ruleset | nft_static >"$SB_TMP/guard.nft.0"
sb_guest_exec g1 ip addr add 192.168.254.77/32 dev eth0
t_ok "control: a spoofed source is dropped by the guards" not spoof_gets_through
rx nft delete table bridge lxctogo
t_ok "the guards deleted by a foreign tool: the spoof gets through" spoof_gets_through
t_ok "status reports drift of table bridge lxctogo" drift_reported "bridge lxctogo"
t_ok "up repairs the guards" lx up
rx nft -s list ruleset | nft_static >"$SB_TMP/guard.nft.1"
same_snap "the router's ruleset with the guards is back, byte-identical" "$SB_TMP/guard.nft.0" "$SB_TMP/guard.nft.1"
before=$(guard_counter ip_spoof)
t_ok "the spoof is dropped again" not spoof_gets_through
t_ok "... the ip_spoof counter moved" test "$(guard_counter ip_spoof)" -gt "${before:-0}"
sb_guest_exec g1 ip addr del 192.168.254.77/32 dev eth0
traffic_ok "after the host repair"
t_ok "status: no drift after the repair" no_drift

# ====================================================================== 5. overlaps
# overlap_refused DESC SETUP TEARDOWN: with SETUP done, up refuses in one line, changes nothing,
# and check fails.
overlap_refused() {
	local desc=$1 rc
	eval "$2"
	full_snap "$SB_TMP/ov.0"
	lx up >"$SB_TMP/ov.out" 2>"$SB_TMP/ov.err"
	rc=$?
	t_is "$desc: up exits 1" "$rc" 1
	t_ok "$desc: one line: $(head -n1 "$SB_TMP/ov.err")" one_line_overlap "$SB_TMP/ov.err"
	full_snap "$SB_TMP/ov.1"
	same_snap "$desc: the refused up changed nothing" "$SB_TMP/ov.0" "$SB_TMP/ov.1"
	lx check >"$SB_TMP/ov.check" 2>&1
	rc=$?
	t_is "$desc: check exits 1" "$rc" 1
	t_ok "$desc: check says: $(grep '^FAIL' "$SB_TMP/ov.check" | head -n1)" grep -qE '^FAIL .*overlaps' "$SB_TMP/ov.check"
	eval "$3"
}
overlap_refused "route 192.168.254.0/25 via eth0" \
	'hx ip route add 192.168.254.0/25 dev eth0' 'hx ip route del 192.168.254.0/25 dev eth0'
overlap_refused "route fd00:aaaa:254::/48 via eth0" \
	'hx ip -6 route add fd00:aaaa:254::/48 dev eth0' 'hx ip -6 route del fd00:aaaa:254::/48 dev eth0'
# The same prefix as one of our own routes, on another link (a LAN that uses host_subnet, or a
# route appended by an admin): still an overlap.
overlap_refused "address 192.168.253.9/24 on eth0" \
	'hx ip addr add 192.168.253.9/24 dev eth0' 'hx ip addr del 192.168.253.9/24 dev eth0'
overlap_refused "route 192.168.254.0/24 appended via eth0" \
	'hx ip route append 192.168.254.0/24 dev eth0' 'hx ip route del 192.168.254.0/24 dev eth0'
t_ok "without the overlaps up works again" lx up
sb_wait_for "traffic" 3000 traffic_flows
traffic_ok "at the end"

t_ok "down" lx down
f_done
