#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# F5 router death (THREATS.md):
#  1. dnsmasq killed (SIGKILL, three times in a row): a new dnsmasq (new pid) answers DNS within
#     1 s each time, and DHCP works again;
#  2. radvd killed (twice): a new radvd (new pid) sends a router advertisement within 1 s, and
#     answers a router solicitation;
#  3. the whole router container killed (lxc-stop -k): the guest keeps its addresses meanwhile;
#     `up` restores the router; the lease is still in dnsmasq's lease file, a DHCP request gives
#     the same address, the guest reaches the router (same MAC in its neighbour cache), the LAN
#     (v4 and v6) and the host reaches the guest.
# shellcheck disable=SC2317 # helpers are called through t_ok / sb_wait_for

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
# shellcheck source=tests/faults/lib.sh
. "$top_srcdir/tests/faults/lib.sh"
f_init

LEASES=$SB_STATE/router/rootfs/lxtg/state/dnsmasq.leases


# new_proc COMM OLD: a process COMM runs in the router with a pid other than OLD.
new_proc() {
	local p
	p=$(router_proc "$1") && [ -n "$p" ] && [ "$p" != "$2" ]
}

# ras_after N: the RA capture holds more than N router advertisements.
ras_after() { [ "$(grep -c 'router advertisement' "$SB_TMP/ra.cap")" -gt "$1" ]; }

# g1_has ADDR: g1's eth0 holds ADDR.
g1_has() { sb_guest_exec g1 ip addr show dev eth0 | grep -q " $1/"; }

# router_eth1_mac: the MAC of the router's guest link (nsenter keeps the host's /sys: ask ip).
router_eth1_mac() { rx ip -br link show dev eth1 | awk '{ print $3 }'; }

# router_mac_in_g1: the MAC g1's neighbour cache holds for the router.
router_mac_in_g1() { sb_guest_exec g1 ip neigh show "$GUEST4" | grep -o 'lladdr [0-9a-f:]*' | cut -d' ' -f2; }

t_ok "up desktop" lx up desktop
sb_make_guest g1 || t_bail "make guest g1"
t_ok "g1 starts" sb_start_guest g1
t_ok "guest add g1" lx guest add g1
G1=$(json_field g1 ipv4) G1V6=$(json_field g1 ipv6) G1MAC=$(json_field g1 mac)
t_ok "g1 leases $G1" grep_out "ip='$G1'" guest_lease g1
t_ok "g1 has its SLAAC address $G1V6" sb_wait_for "g1 SLAAC" 5000 g1_has "$G1V6"
router_refresh

# ====================================================================== 1. dnsmasq
for n in 1 2 3; do
	old=$(router_proc dnsmasq)
	t0=$(sb_now_ms)
	kill -9 "$old"
	sb_wait_for "a new dnsmasq" 3000 new_proc dnsmasq "$old" && sb_wait_for "DNS answers" 3000 dns_answers "$HOSTLINK_ROUTER4"
	ms=$(($(sb_now_ms) - t0))
	t_ok "dnsmasq kill #$n: new dnsmasq (pid $(router_proc dnsmasq), was $old) answers DNS within 1000 ms (took $ms ms)" \
		test "$ms" -lt 1000 -a "$(router_proc dnsmasq)" != "$old"
done
t_ok "after the kills g1 leases $G1 again" grep_out "ip='$G1'" guest_lease g1

# ====================================================================== 2. radvd
# g1 solicits from an address it holds: wait until DAD is over for its link-local (rdisc6 fails
# with EADDRNOTAVAIL while every address of eth0 is tentative; a fast run got here before that).
g1_addrs_settled() { ! gx g1 ip -6 addr show dev eth0 | grep -q tentative; }
sb_wait_for "g1's IPv6 addresses to settle" 5000 g1_addrs_settled
gx g1 tcpdump -n -l -i eth0 --immediate-mode 'icmp6 and ip6[40] == 134' >"$SB_TMP/ra.cap" 2>"$SB_TMP/ra.err" &
CAP=$!
sb_on_cleanup stop_pid "$CAP"
sb_wait_for "tcpdump in g1" 3000 grep -q 'listening on' "$SB_TMP/ra.err"
for n in 1 2; do
	old=$(router_proc radvd)
	before=$(grep -c 'router advertisement' "$SB_TMP/ra.cap")
	t0=$(sb_now_ms)
	kill -9 "$old"
	sb_wait_for "a new radvd" 3000 new_proc radvd "$old" && sb_wait_for "an RA" 3000 ras_after "$before"
	ms=$(($(sb_now_ms) - t0))
	t_ok "radvd kill #$n: new radvd (pid $(router_proc radvd), was $old) advertises within 1000 ms (took $ms ms)" \
		test "$ms" -lt 1000 -a "$(router_proc radvd)" != "$old"
	t_ok "radvd kill #$n: the new radvd answers a router solicitation" gx g1 rdisc6 -1 -q -r 3 -w 500 eth0
done
kill "$CAP" 2>/dev/null

# ====================================================================== 3. the whole router
t_ok "the lease file holds g1's lease" grep -q " $G1MAC $G1 " "$LEASES"
t_ok "g1 reaches the router before the kill" sb_guest_exec g1 ping -c1 -W2 "$GUEST4"
mac_before=$(router_mac_in_g1)
t_is "g1's neighbour entry for the router is the router's eth1 MAC" "$mac_before" "$(router_eth1_mac)"
rpid_before=$RPID
t_ok "the router container is killed (lxc-stop -k)" sb_lxc stop "$ROUTER" -k
t_is "the router is STOPPED" "$(sb_guest_state "$ROUTER")" STOPPED
t_ok "g1 keeps its IPv4 address while the router is down" g1_has "$G1"
t_ok "g1 keeps its IPv6 address while the router is down" g1_has "$G1V6"
t_ok "up restores the router" lx up
router_refresh
t_ok "the router runs again (pid $RPID, was $rpid_before)" test -n "$RPID" -a "$RPID" != "$rpid_before"
t_ok "the lease file still holds g1's lease" grep -q " $G1MAC $G1 " "$LEASES"
t_ok "g1 reaches the router without a new lease" sb_guest_exec g1 ping -c1 -W2 "$GUEST4"
t_is "the new router's eth1 has the same MAC (g1's cached entry stays valid)" "$(router_eth1_mac)" "$mac_before"
t_is "g1's neighbour entry for the router has the same MAC" "$(router_mac_in_g1)" "$mac_before"
t_ok "the host reaches g1 ($G1)" sb_host_exec ping -c1 -W2 "$G1"
t_ok "g1 reaches the LAN (v4, NAT)" sb_guest_exec g1 ping -c1 -W2 "$SB_LAN_V4"
t_ok "g1 reaches the LAN (v6)" sb_wait_for "g1 v6 to the LAN" 5000 sb_guest_exec g1 ping -6 -c1 -W1 "$SB_LAN_V6"
t_ok "g1 requests again and gets the same address $G1" grep_out "ip='$G1'" guest_lease g1
t_ok "g1 still has its SLAAC address" g1_has "$G1V6"
t_ok "g1 resolves its own name through the new router" \
	grep_out "$G1" sb_guest_exec g1 nslookup g1.lxtg.internal "$GUEST4"

t_ok "down" lx down
f_done
