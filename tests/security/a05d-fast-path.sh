#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The fast path past the guest bridge (issue 14): a guest's own IPv4 frames to the router's
# MAC go from its port's ingress straight into the router (tc u32 + mirred), everything else
# crosses the bridge and its guards as before. Checked here with real frames:
#  - the port carries the filters for the guest's own MAC and address, the router's MAC, and
#    a static FDB entry for the guest's MAC (the bridge no longer learns it from those frames);
#  - the guest's traffic to the LAN flows and is counted by the fast path;
#  - frames that are not the guest's own (another guest's address, another MAC) never take
#    it: the guard drops and counts them, the LAN peer sees none;
#  - DHCP still reaches the router's server through the bridge (a lease), and UDP from port 67
#    (a DHCP server's) is still dropped by the guard;
#  - a VLAN-tagged IPv4 frame to the router's MAC is not routed to the LAN;
#  - the guest restarted (LXC runs the plug hook, a new port) and `up` again: the filters are
#    there, for the same identity, once each; `guest add` of a running guest again restores a
#    fast path that went missing.
# shellcheck disable=SC2317 # helpers are called through t_ok / sb_wait_for
# shellcheck source=tests/security/lib.sh
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/security/lib.sh"

t_ok "up desktop" sec_up desktop || t_bail "up failed"
t_ok "guest a" sec_guest a || t_bail "guest a"
t_ok "guest b" sec_guest b || t_bail "guest b"
PEER4=$SB_PEER_V4

# fp_filters PORT: the port's ingress filters as tc prints them.
fp_filters() { in_router tc filter show dev "$1" ingress; }
# fp_count PORT: packets the port's fast path (the mirred action) has taken.
fp_count() { in_router tc -s filter show dev "$1" ingress | awk '/mirred/ { m = 1 } m && /Sent/ { print $4; exit }'; }
# hexmac MAC: its 12 hex digits.
hexmac() { tr -d ':' <<<"$1"; }
# has_fast_path GUEST: GUEST's port holds the redirect filter for its address and MAC and the router's MAC.
has_fast_path() {
	local f m r ip
	f=$(fp_filters "${GPORT[$1]}") m=$(hexmac "${GMAC[$1]}") r=$(hexmac "$RMAC")
	ip=$(printf '%02x' ${G4[$1]//./ })
	grep -q "Ingress Redirect to device eth1" <<<"$f" &&
		grep -q "match $ip/ffffffff at 12" <<<"$f" &&
		grep -q "match ${m:0:8}/ffffffff at -8" <<<"$f" &&
		grep -q "match ${m:8:4}0800/ffffffff at -4" <<<"$f" &&
		grep -q "match ${r:4:8}/ffffffff at -12" <<<"$f"
}
port_mac() { in_router ip -br link show dev "$1" | awk '{ print $3 }'; }
fdb_static() { in_router bridge fdb show dev "$1" | grep -q "^$2 master eth1 static"; }

t_ok "a's port has the fast path for a's address and MAC" has_fast_path a
t_ok "b's port has the fast path for b's address and MAC" has_fast_path b
t_is "a's port carries the router's MAC" "$(port_mac "${GPORT[a]}")" "$RMAC"
t_ok "the bridge holds a's MAC as a static entry on a's port" fdb_static "${GPORT[a]}" "${GMAC[a]}"

# ---- a's own traffic to the LAN takes the fast path
before=$(fp_count "${GPORT[a]}")
t_ok "a pings the LAN peer" pings a "$PEER4"
marker=LXTG-FP-OWN-$$
sniff_start own peer eth0 "$marker"
# udp_from GUEST SRCMAC SRCIP DST SPORT MARKER [VLAN]: 20 UDP datagrams from GUEST's eth0 to the
# router's MAC (scapy), optionally with an 802.1Q tag.
udp_from() {
	sec_py "$1" "$2" "$3" "$RMAC" "$4" "$5" "$6" "${7:-}" 2>/dev/null <<'PY'
import sys
from scapy.all import Ether, Dot1Q, IP, UDP, Raw, sendp, conf
conf.verb = 0
smac, src, rmac, dst, sport, marker, vlan = sys.argv[1:8]
l2 = Ether(src=smac, dst=rmac)
if vlan:
    l2 = l2 / Dot1Q(vlan=int(vlan))
sendp([l2 / IP(src=src, dst=dst) / UDP(sport=int(sport), dport=9) / Raw(marker.encode())] * 20,
      iface="eth0", inter=0.01)
PY
}
udp_from a "${GMAC[a]}" "${G4[a]}" "$PEER4" 40000 "$marker"
t_is "a's datagrams reach the LAN peer (20 sent)" "$(sniff_stop own)" 20
after=$(fp_count "${GPORT[a]}")
t_ok "... through the fast path (its counter moved by at least 20: ${before:-?} -> ${after:-?})" \
	test "$((${after:-0} - ${before:-0}))" -ge 20

# ---- frames that are not a's own identity never take it
check_spoof() { # DESC SRCMAC SRCIP COUNTER
	local desc=$1 smac=$2 sip=$3 ctr=$4 c0 f0 m=LXTG-FP-$4-$$
	c0=$(counter "$ctr") f0=$(fp_count "${GPORT[a]}")
	sniff_start "$ctr" peer eth0 "$m"
	udp_from a "$smac" "$sip" "$PEER4" 40000 "$m"
	t_is "$desc: none reaches the LAN peer" "$(sniff_stop "$ctr")" 0
	t_ok "$desc: the guard's $ctr counter moved by the 20 sent" counter_moved_by "$ctr" "$c0" 20
	t_is "$desc: the fast path took none of them" "$(fp_count "${GPORT[a]}")" "$f0"
}
check_spoof "a sends from b's address" "${GMAC[a]}" "${G4[b]}" ip_spoof
check_spoof "a sends from b's MAC and address" "${GMAC[b]}" "${G4[b]}" mac_spoof

# ---- DHCP still crosses the bridge; a DHCP server's port is still refused
t_ok "a still leases its address from the router" grep_out "^ip='${G4[a]}'$" lease a
c0=$(counter rogue_dhcp) m=LXTG-FP-S67-$$
sniff_start s67 peer eth0 "$m"
udp_from a "${GMAC[a]}" "${G4[a]}" "$PEER4" 67 "$m"
t_is "UDP from port 67 to the LAN: none reaches the peer" "$(sniff_stop s67)" 0
t_ok "... the rogue_dhcp counter moved by the 20 sent" counter_moved_by rogue_dhcp "$c0" 20

# ---- a tagged frame is not routed
m=LXTG-FP-VLAN-$$
sniff_start vlan peer eth0 "$m"
udp_from a "${GMAC[a]}" "${G4[a]}" "$PEER4" 40000 "$m" 7
t_is "802.1Q-tagged (VLAN 7) IPv4 to the router's MAC: none reaches the LAN peer" "$(sniff_stop vlan)" 0

# ---- a new port (LXC's plug hook at the guest's restart), and up again
t_ok "a stopped" sb_lxc stop a -t 5
t_ok "a started again (LXC runs the plug hook)" sb_start_guest a
t_ok "a's new port has the fast path" sb_wait_for "a's fast path" 5000 has_fast_path a
t_ok "a leases its address again" grep_out "^ip='${G4[a]}'$" lease a
t_ok "a pings the LAN peer again" pings a "$PEER4"
t_ok "up again (converge)" lx up desktop
t_ok "after up: a's port has the fast path" has_fast_path a
t_ok "after up: b's port has the fast path" has_fast_path b
t_ok "after up: b pings the LAN peer" pings b "$PEER4"
t_is "after up: b's port holds one filter of each kind (3), not a pile" \
	"$(fp_filters "${GPORT[b]}" | grep -c '^filter .* fh [0-9a-f]*::')" 3
in_router tc qdisc del dev "${GPORT[b]}" ingress
t_ok "b's fast path removed by hand: gone" not has_fast_path b
t_ok "guest add b again (converge) puts it back" lx guest add b
t_ok "... b's port has the fast path" has_fast_path b
t_ok "down" lx down
t_done
