#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# A14 neighbour-table exhaustion, from the LAN and from a guest.
#  1. desktop mode: the LAN peer routes the guest subnet and prefix via the router (as a LAN
#     router could) and sends to hundreds of unused guest addresses: hping3 --rand-dest (500
#     probes, v4) and thc-ipv6 ndpexhaust26 -p (0.5 s, v6). The router forwards none of them,
#     so its guest link resolves no neighbour: its table keeps only the guests' entries, and
#     the forward drop counter moved by the probes. The guests' own pings from the LAN are
#     refused too (A10), while a guest reaches the LAN.
#  2. server mode: the same from the LAN at unused pool addresses and the LAN /64: the router
#     answers ARP/NDP for its guests only and learns no neighbour for the others; the LAN
#     still pings each guest's own addresses.
#  3. a guest scans the LAN's /64 (ndpexhaust26 -p, 0.5 s) and the LAN's /24 (hping3, 1000
#     probes): [guests] new_connections bounds the new flows, so the router's uplink table
#     stays small (the kernel's neighbour limits are machine-wide), the conn_limit counter
#     moved, and another guest keeps reaching the LAN.
# shellcheck disable=SC2317 # helpers are called through t_ok / sb_wait_for
# shellcheck source=tests/security/lib.sh
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/security/lib.sh"

NDPX=$(command -v atk6-ndpexhaust26 || command -v ndpexhaust26) || t_skip_all "thc-ipv6 is not installed"
command -v hping3 >/dev/null || t_skip_all "hping3 is not installed"

# bad_neigh CMD... -- DEV: neighbour entries on DEV that are not REACHABLE/STALE/DELAY/PROBE/PERMANENT
# with an address (INCOMPLETE and FAILED: what a flood leaves behind), counted.
bad_neigh() {
	local dev=${*: -1}
	"${@:1:$#-2}" ip neigh show dev "$dev" nud incomplete nud failed 2>/dev/null | grep -c .
}
all_neigh() {
	local dev=${*: -1}
	"${@:1:$#-2}" ip neigh show dev "$dev" 2>/dev/null | grep -c .
}
fwd_dropped() { router_counter "forward dropped"; }

# ====================================================================== 1. desktop, from the LAN
t_ok "up desktop" sec_up desktop '[guests]' 'new_connections = 50' || t_bail "up failed"
t_ok "guest evil" sec_guest evil || t_bail "guest evil"
t_ok "guest vic" sec_guest vic || t_bail "guest vic"
t_ok "control: vic reaches the LAN peer (v4)" pings vic "$SB_PEER_V4"
t_ok "control: vic reaches the LAN peer (v6)" pings vic "$SB_PEER_V6"
t_ok "control: the router reaches vic (v4)" rpings "${G4[vic]}"

sb_peer_exec ip route add 192.168.254.0/24 via "$RLAN4" || t_bail "peer route v4"
sb_peer_exec ip -6 route add fd00:aaaa:254::/64 via "$RLAN6" || t_bail "peer route v6"
t_ok "desktop: the LAN cannot ping a guest (only forwards reach guests, A10)" \
	not sb_peer_exec ping -c1 -W1 "${G4[vic]}"
neigh_before=$(all_neigh in_router -- eth1)
t_diag "router eth1 neighbours before: $neigh_before ($(in_router ip neigh show dev eth1 | awk '{ print $1, $NF }' | tr '\n' ';'))"

before=$(fwd_dropped)
sb_peer_exec hping3 -I eth0 --icmp --rand-dest -c 500 -i u2000 -q 192.168.254.x >"$SB_TMP/hping-lan.log" 2>&1
t_ok "desktop, v4: 500 probes at the guest subnet were dropped by the forward filter" \
	sb_wait_for "forward drops" 3000 test "$(fwd_dropped)" -ge $((before + 450))
before=$(fwd_dropped)
sb_peer_exec timeout 0.5 "$NDPX" -p eth0 fd00:aaaa:254:: >"$SB_TMP/ndpx-lan.log" 2>&1
after=$(fwd_dropped)
t_diag "ndpexhaust26 from the LAN: $((after - before)) probes dropped by the router's forward filter"
t_ok "desktop, v6: ndpexhaust26's probes at the guest prefix reached the router and were dropped (>= 200)" \
	test $((after - before)) -ge 200
sleep 1
t_is "desktop: no INCOMPLETE/FAILED neighbour on the router's guest link" "$(bad_neigh in_router -- eth1)" 0
t_ok "desktop: the router's guest link holds no more neighbours than before ($(all_neigh in_router -- eth1))" \
	test "$(all_neigh in_router -- eth1)" -le "$neigh_before"
t_is "desktop: no INCOMPLETE/FAILED neighbour in the host" "$(bad_neigh in_host -- lxtg0)" 0

# ====================================================================== 3. from a guest (desktop)
t_ok "control: vic reaches the LAN peer before the scan" pings vic "$SB_PEER_V4"
up_before=$(all_neigh in_router -- eth0)
before=$(rcounter conn_limit)
sec_bg evil timeout 0.5 "$NDPX" -p eth0 2001:db8:1::
scan=$SEC_BG_PID
in_guest evil hping3 -I eth0 --icmp --rand-dest -c 1000 -i u500 -q 192.0.2.x >"$SB_TMP/hping-guest.log" 2>&1
wait "$scan" 2>/dev/null
peak=$(bad_neigh in_router -- eth0)
t_diag "router eth0 neighbours: $up_before before, $peak INCOMPLETE/FAILED right after the scan; conn_limit +$(($(rcounter conn_limit) - before))"
t_ok "guest scan: the conn_limit counter moved by more than 500 (the scan was sent and limited)" \
	test "$(rcounter conn_limit)" -gt $((before + 500))
# new_connections = 50: at most 100 (burst) + 50 a second for ~2 s of scanning, far below what was sent.
t_ok "guest scan: the router's uplink resolved at most 250 made-up neighbours ($peak)" test "$peak" -le 250
t_ok "guest scan: vic still reaches the LAN peer (v4)" pings vic "$SB_PEER_V4"
t_ok "guest scan: vic still reaches the LAN peer (v6)" pings vic "$SB_PEER_V6"
sb_peer_exec ip route del 192.168.254.0/24
sb_peer_exec ip -6 route del fd00:aaaa:254::/64
sec_kill_bg
# Stopped, so that the server part's neighbour count sees web alone: running, they would
# claim addresses of the LAN's prefix in server mode and talk to the router (their own
# neighbour entries, not made-up ones, but they would move the count).
t_ok "vic stops" sb_stop_guest vic
t_ok "evil stops" sb_stop_guest evil
t_ok "down (desktop)" lx down

# ====================================================================== 2. server mode, from the LAN
t_ok "up server" sec_up server '[server]' 'ipv4_pool = 192.0.2.100-192.0.2.120' || t_bail "up server failed"
# A pool guest gets its LAN address from LXC's static lines (no DHCP lease in server mode yet).
sb_make_guest web || t_bail "make guest web"
t_ok "web starts" sb_start_guest web
t_ok "guest add web (running)" lx guest add web
W4=$(guest_json web ipv4)
W6=$(guest_json web ipv6)
t_ok "control: the LAN peer pings web's pool address $W4" sb_wait_for "peer -> web" 5000 sb_peer_exec ping -c1 -W1 "$W4"
t_ok "control: the LAN peer pings web's IPv6 address $W6" sb_wait_for "peer -> web v6" 5000 sb_peer_exec ping -6 -c1 -W1 "$W6"
neigh_before=$(all_neigh in_router -- eth1)
t_diag "router eth1 neighbours before: $neigh_before ($(in_router ip neigh show dev eth1 | awk '{ print $1, $NF }' | tr '\n' ';'))"
sb_peer_exec hping3 -I eth0 --icmp --rand-dest -c 300 -i u2000 -q 192.0.2.x >"$SB_TMP/hping-srv.log" 2>&1
sb_peer_exec timeout 0.5 "$NDPX" -p eth0 2001:db8:1:: >"$SB_TMP/ndpx-srv.log" 2>&1
sleep 1
t_is "server: no INCOMPLETE/FAILED neighbour on the router's guest link" "$(bad_neigh in_router -- eth1)" 0
t_ok "server: the router's guest link holds no more neighbours than before" \
	test "$(all_neigh in_router -- eth1)" -le "$neigh_before" ||
	t_diag "router eth1 neighbours after: $(in_router ip neigh show dev eth1 | awk '{ print $1, $NF }' | tr '\n' ';')"
t_ok "server: the LAN peer did try to resolve the unused addresses itself (its own table)" \
	test "$(bad_neigh sb_peer_exec -- eth0)" -gt 10
t_ok "server: the LAN peer still pings web" sb_peer_exec ping -c1 -W1 "$W4"
t_ok "down (server)" lx down
t_done
