#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# A5 IP spoofing: guest "evil" sends IPv4 and IPv6 packets whose source is guest "vic"'s,
# the router's, a LAN host's, an outside, a loopback, a broadcast address, or an address
# of the guest prefix that vic claimed by DAD (scapy with evil's own MAC), and pings from
# foreign addresses it configured itself (ip addr). None reaches the router, vic or the
# LAN; the ip_spoof counter moves. (A free address of the guest prefix is no spoof: a guest
# may claim it, first come first served; a05b-slaac-fcfs.sh tests that.) Positive controls: evil's own traffic, DHCP DISCOVER/REQUEST
# from 0.0.0.0, a router solicitation and neighbour solicitations from its link-local
# address, and a DAD probe from :: all pass without moving the counter.
# shellcheck disable=SC2317 # helpers are called through t_ok / sb_wait_for
# shellcheck source=tests/security/lib.sh
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/security/lib.sh"

t_ok "up desktop" sec_up desktop || t_bail "up failed"
t_ok "guest evil" sec_guest evil || t_bail "guest evil"
t_ok "guest vic" sec_guest vic || t_bail "guest vic"
marker=LXTG-A5-$$

# send SRC,DST[,DSTMAC]...: one UDP datagram with the marker per argument, from evil's MAC (scapy,
# one process); prints how many were sent.
send() {
	sec_py evil "${GMAC[evil]}" "$RMAC" "$marker" "$@" 2>/dev/null <<'PY'
import sys
from scapy.all import Ether, IP, IPv6, UDP, Raw, sendp, conf
conf.verb = 0
emac, rmac, marker = sys.argv[1:4]
frames = []
for spec in sys.argv[4:]:
    src, dst, dmac = (spec.split(",") + [rmac])[:3]
    l3 = IPv6(src=src, dst=dst) if ":" in dst else IP(src=src, dst=dst)
    frames.append(Ether(src=emac, dst=dmac) / l3 / UDP(sport=4444, dport=4444) / Raw(marker.encode()))
sendp(frames, iface="eth0")
print(len(frames))
PY
}
sniff_all() { sniff_start rtr router eth1 "$marker" && sniff_start vic vic eth0 "$marker" && sniff_start lan lan br0 "$marker"; }
sniffed() { echo "router=$(sniff_stop rtr) vic=$(sniff_stop vic) lan=$(sniff_stop lan)"; }

# ---- positive controls
spoof0=$(counter ip_spoof)
sniff_all
send "${G4[evil]},$R4" "${G6[evil]},$R6" "${G4[evil]},${G4[vic]},${GMAC[vic]}" \
	"${GLL[evil]},${GLL[vic]},${GMAC[vic]}" "${G4[evil]},$SB_LAN_V4" >/dev/null
# (the one to the LAN passes the router's eth1 too)
t_is "control: evil's own v4/v6/link-local datagrams arrive" "$(sniffed)" "router=3 vic=2 lan=1"
t_ok "control: DHCP DISCOVER/REQUEST from 0.0.0.0 gets evil its lease" grep_out "ip='${G4[evil]}'" lease evil
t_ok "control: a router solicitation from evil's link-local address is answered" \
	grep_out 'fd00:aaaa:254::/64' in_guest evil rdisc6 -1 -r 3 -w 1000 eth0
t_ok "control: a neighbour solicitation from evil's link-local address is answered" \
	grep_out "${RMAC^^}" in_guest evil ndisc6 -q -r 3 -w 1000 "$RLL" eth0
t_ok "control: a neighbour solicitation from evil's global address is answered" \
	grep_out "${RMAC^^}" in_guest evil ndisc6 -q -s "${G6[evil]}" -r 3 -w 1000 "$R6" eth0
sec_py evil "${GMAC[evil]}" 2>/dev/null <<'PY'
import sys
from scapy.all import Ether, IPv6, ICMPv6ND_NS, sendp, conf
conf.verb = 0
# duplicate address detection for a new address: NS from ::, to the solicited-node group
sendp(Ether(src=sys.argv[1], dst="33:33:ff:00:12:34") / IPv6(src="::", dst="ff02::1:ff00:1234", hlim=255) /
      ICMPv6ND_NS(tgt="fd00:aaaa:254::1234"), iface="eth0")
PY
t_is "control: none of this moved the ip_spoof counter" "$(counter ip_spoof)" "$spoof0"

# vic claims an address of the guest prefix of its own (DAD, as for a stable-privacy address).
VC=fd00:aaaa:254::4321
in_guest vic ip -6 addr add "$VC/64" dev eth0
t_ok "control: vic claims $VC and reaches the LAN from it" \
	sb_wait_for "vic's claim" 5000 in_guest vic ping -6 -c1 -W1 -I "$VC" "$SB_LAN_V6"

# ---- attack 1: crafted sources (scapy), each carrying the marker
before=$(counter ip_spoof)
sniff_all
n=$(send "${G4[vic]},$R4" "$R4,${G4[vic]},${GMAC[vic]}" "$SB_PEER_V4,$SB_LAN_V4" "198.51.100.1,$SB_LAN_V4" \
	"127.0.0.1,$R4" "192.168.254.255,$R4" "192.168.254.150,$R4" "0.0.0.0,$R4" "0.0.0.0,${G4[vic]},${GMAC[vic]}" \
	"${G6[vic]},$R6" "${GLL[vic]},$RLL" "$RLL,${GLL[vic]},${GMAC[vic]}" "$R6,${G6[vic]},${GMAC[vic]}" \
	"$SB_PEER_V6,$SB_LAN_V6" "$VC,$SB_LAN_V6" "::1,$R6" "::,$R6" "2001:db8:9999::1,$SB_LAN_V6")
t_is "crafted: 18 spoofed datagrams were sent" "$n" 18
t_is "crafted: none reached the router, vic or the LAN" "$(sniffed)" "router=0 vic=0 lan=0"
t_ok "crafted: the ip_spoof counter moved by all of them" counter_moved_by ip_spoof "$before" 18

# ---- attack 2: evil configures foreign addresses itself and pings from them
before=$(counter ip_spoof)
in_guest evil ip addr add "${G4[vic]}/32" dev eth0
in_guest evil ip -6 addr add "$VC/128" dev eth0 nodad
t_ok "ip addr: a ping from vic's IPv4 address does not get through" \
	not in_guest evil ping -c2 -W1 -I "${G4[vic]}" "$R4"
t_ok "ip addr: a ping from the IPv6 address vic claimed does not get through" \
	not in_guest evil ping -6 -c2 -W1 -I "$VC" "$SB_LAN_V6"
t_ok "ip addr: the ip_spoof counter moved" counter_moved_by ip_spoof "$before" 4
in_guest evil ip addr del "${G4[vic]}/32" dev eth0
in_guest evil ip -6 addr del "$VC/128" dev eth0
t_ok "vic still reaches the LAN from $VC" in_guest vic ping -6 -c1 -W1 -I "$VC" "$SB_LAN_V6"

# ---- vic and the router are unaffected
t_is "the router's entry for vic is still vic's MAC" "$(neigh_of in_router "${G4[vic]}")" "${GMAC[vic]}"
t_ok "vic reaches the LAN (v4)" pings vic "$SB_LAN_V4"
t_ok "vic reaches the LAN (v6)" pings vic "$SB_LAN_V6"
t_ok "evil reaches the LAN with its own address" pings evil "$SB_LAN_V4"
t_ok "down" lx down
t_done
