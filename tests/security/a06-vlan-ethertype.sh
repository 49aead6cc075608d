#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# A6 VLAN tags and non-IP ethertypes: guest "evil" sends (scapy, its own MAC) 802.1Q
# frames (VID 0 priority tags, which Linux treats as untagged, and VID 7), 802.1ad QinQ,
# 0x9100 double tags, the local experimental ethertype 0x88b5, PPPoE discovery, an 802.3
# LLC/SNAP frame carrying IPv4, and tagged versions of a rogue RA and an ARP spoof.
# Nothing reaches the router or guest "vic", the ethertype counter moves by every frame,
# vic's routes and the router's neighbour entries do not change.
# shellcheck disable=SC2317 # helpers are called through t_ok / sb_wait_for
# shellcheck source=tests/security/lib.sh
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/security/lib.sh"

t_ok "up desktop" sec_up desktop || t_bail "up failed"
t_ok "guest evil" sec_guest evil || t_bail "guest evil"
t_ok "guest vic" sec_guest vic || t_bail "guest vic"
marker=LXTG-A6-$$

# frames KIND...: send evil's frames of the given kinds (scapy, one process); prints how many.
frames() {
	sec_py evil "${GMAC[evil]}" "${G4[evil]}" "${GLL[evil]}" "$RMAC" "${GMAC[vic]}" "${G4[vic]}" "$R4" "$marker" "$@" 2>/dev/null <<'PY'
import sys
from scapy.all import (Ether, Dot1Q, Dot1AD, LLC, SNAP, IP, IPv6, UDP, ARP, Raw, ICMPv6ND_RA,
    ICMPv6NDOptPrefixInfo, sendp, conf)
conf.verb = 0
emac, eip, ell, rmac, vmac, vip, rip, marker = sys.argv[1:9]
m = Raw(marker.encode())
ip = IP(src=eip, dst="255.255.255.255") / UDP(sport=4444, dport=4444) / m
ra = IPv6(src=ell, dst="ff02::1", hlim=255) / ICMPv6ND_RA(routerlifetime=9000, prf=1) / \
    ICMPv6NDOptPrefixInfo(prefix="2001:db8:6a6a::", prefixlen=64) / m
arp = ARP(op=2, hwsrc=emac, psrc=vip, hwdst=rmac, pdst=rip) / m
bc = "ff:ff:ff:ff:ff:ff"
kinds = {
    "plain": [Ether(src=emac, dst=bc) / ip],
    "attack": [
        Ether(src=emac, dst=bc) / Dot1Q(vlan=0) / ip,                   # priority tag
        Ether(src=emac, dst=bc) / Dot1Q(vlan=7) / ip,
        Ether(src=emac, dst=bc) / Dot1AD(vlan=7) / Dot1Q(vlan=8) / ip,   # QinQ
        Ether(src=emac, dst=bc, type=0x9100) / Dot1Q(vlan=8) / ip,       # old double tag
        Ether(src=emac, dst=bc, type=0x88b5) / m,                        # local experimental
        Ether(src=emac, dst=bc, type=0x8863) / m,                        # PPPoE discovery
        Ether(src=emac, dst=bc, type=0x88b6) / ip,
        Ether(src=emac, dst=bc) / LLC(dsap=0xaa, ssap=0xaa, ctrl=3) / SNAP(OUI=0, code=0x0800) / ip,  # 802.3
        Ether(src=emac, dst="33:33:00:00:00:01") / Dot1Q(vlan=0) / ra,   # tagged rogue RA
        Ether(src=emac, dst=vmac) / Dot1Q(vlan=0) / ra,
        Ether(src=emac, dst=rmac) / Dot1Q(vlan=0) / arp,                 # tagged ARP spoof
        Ether(src=emac, dst=rmac) / Dot1AD(vlan=0) / Dot1Q(vlan=0) / arp,
    ],
}
out = [f for k in sys.argv[9:] for f in kinds[k]]
sendp(out, iface="eth0", count=2)
print(2 * len(out))
PY
}

# ---- positive control: an untagged frame from evil arrives
sniff_start rtr router eth1 "$marker"
sniff_start vic vic eth0 "$marker"
before=$(counter ethertype)
t_is "control: 2 untagged broadcast frames sent" "$(frames plain)" 2
t_is "control: they reach the router" "$(sniff_stop rtr)" 2
t_is "control: they reach vic" "$(sniff_stop vic)" 2
t_is "control: the ethertype counter did not move" "$(counter ethertype)" "$before"
t_ok "control: the router reaches vic" rpings "${G4[vic]}"
sleep 1.1 # ARP locktime: an unguarded spoof would win now

# ---- attack
vic_before=$(net_state in_guest vic)
neigh_before=$(neigh_of in_router "${G4[vic]}")
sniff_start rtr router eth1 "$marker"
sniff_start vic vic eth0 "$marker"
before=$(counter ethertype)
n=$(frames attack)
t_ok "attack: $n tagged / non-IP frames were sent" test "${n:-0}" -ge 24
t_is "attack: none reached the router" "$(sniff_stop rtr)" 0
t_is "attack: none reached vic" "$(sniff_stop vic)" 0
t_ok "attack: the ethertype counter moved by every frame" counter_moved_by ethertype "$before" "${n:-1}"
t_is "attack: vic's addresses and routes are unchanged (tagged RA)" "$(net_state in_guest vic)" "$vic_before"
t_ok "attack: vic learned no prefix" not grep_out 2001:db8:6a6a in_guest vic ip -6 addr
t_is "attack: the router's entry for vic is unchanged (tagged ARP)" "$(neigh_of in_router "${G4[vic]}")" "$neigh_before"
t_ok "vic still reaches the router" pings vic "$R4"
t_ok "down" lx down
t_done
