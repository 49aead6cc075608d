#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# A2 ARP spoofing: guest "evil" claims guest "vic"'s and the router's IPv4 addresses with
# arping (gratuitous requests and replies) and with crafted scapy replies (unicast to the
# victim, and one that names vic's MAC as sender). The router's and vic's neighbour
# entries stay as they were, the arp_spoof counter moves; evil's own ARP keeps working.
# shellcheck disable=SC2317 # helpers are called through t_ok / sb_wait_for
# shellcheck source=tests/security/lib.sh
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/security/lib.sh"

t_ok "up desktop" sec_up desktop || t_bail "up failed"
t_ok "guest evil" sec_guest evil || t_bail "guest evil"
t_ok "guest vic" sec_guest vic || t_bail "guest vic"

# ---- positive control: neighbour entries exist and are right
t_ok "control: the router reaches vic" rpings "${G4[vic]}"
t_ok "control: vic reaches the router" pings vic "$R4"
t_ok "control: evil reaches the router" pings evil "$R4"
t_is "control: the router's entry for vic is vic's MAC" "$(neigh_of in_router "${G4[vic]}")" "${GMAC[vic]}"
t_is "control: vic's entry for the router is the router's MAC" "$(neigh_of in_guest vic "$R4")" "$RMAC"
before=$(counter arp_spoof)
t_ok "control: evil's arping of the router (its own address) is answered" \
	in_guest evil arping -q -i eth0 -S "${G4[evil]}" -c 1 -w 2 "$R4"
in_guest evil arping -q -U -i eth0 -S "${G4[evil]}" -c 1 -w 1 "${G4[evil]}" # no answer expected
t_is "control: the arp_spoof counter ignores evil's own request and announcement" "$(counter arp_spoof)" "$before"
t_is "control: the router's entry for evil is evil's MAC" "$(neigh_of in_router "${G4[evil]}")" "${GMAC[evil]}"

# Linux ignores a new lladdr within locktime (1 s) of the last update: wait it out, so
# that an unguarded bridge would let every spoof below win.
sleep 1.2
before=$(counter arp_spoof)

# ---- attack 1: arping (a real tool), gratuitous requests and replies from evil's own MAC
in_guest evil arping -q -U -i eth0 -S "${G4[vic]}" -c 2 -w 1 "${G4[vic]}" # "vic is at evil"
in_guest evil arping -q -U -i eth0 -S "$R4" -c 2 -w 1 "$R4"                # "the router is at evil"
in_guest evil arping -q -A -i eth0 -S "$R4" -c 2 -w 1 "${G4[vic]}"          # unsolicited replies
t_ok "arping: the arp_spoof counter moved by all 6 frames" counter_moved_by arp_spoof "$before" 6

# ---- attack 2: crafted replies
before=$(counter arp_spoof)
sent=$(sec_py evil "${GMAC[evil]}" "$RMAC" "${GMAC[vic]}" "${G4[vic]}" "$R4" 2>/dev/null <<'PY'
import sys
from scapy.all import Ether, ARP, sendp, conf
conf.verb = 0
emac, rmac, vmac, vip, rip = sys.argv[1:6]
frames = [
    # to the router: "vic is at evil"
    Ether(src=emac, dst=rmac) / ARP(op=2, hwsrc=emac, psrc=vip, hwdst=rmac, pdst=rip),
    # to vic: "the router is at evil"
    Ether(src=emac, dst=vmac) / ARP(op=2, hwsrc=emac, psrc=rip, hwdst=vmac, pdst=vip),
    # evil's frame, but the ARP sender claims vic's MAC and IP (frame and ARP header disagree)
    Ether(src=emac, dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, hwsrc=vmac, psrc=vip, pdst=rip),
    # a request from 0.0.0.0 that names a foreign sender MAC is not a probe either
    Ether(src=emac, dst=rmac) / ARP(op=2, hwsrc=emac, psrc="0.0.0.0", hwdst=rmac, pdst=rip),
]
for f in frames:
    sendp(f, iface="eth0", count=3)
print(3 * len(frames))
PY
)
t_ok "scapy: crafted ARP frames were sent" test -n "$sent"
t_ok "scapy: the arp_spoof counter moved by every frame ($sent)" counter_moved_by arp_spoof "$before" "${sent:-1}"

# ---- no effect
t_is "the router's entry for vic is still vic's MAC" "$(neigh_of in_router "${G4[vic]}")" "${GMAC[vic]}"
t_is "vic's entry for the router is still the router's MAC" "$(neigh_of in_guest vic "$R4")" "$RMAC"
t_is "the router's entry for evil is still evil's MAC" "$(neigh_of in_router "${G4[evil]}")" "${GMAC[evil]}"
t_ok "the router has no entry pointing at evil's MAC but evil's" \
	not grep_out "^(${G4[vic]}|$R4) .*${GMAC[evil]}" in_router ip -4 neigh show
t_ok "vic still reaches the router" pings vic "$R4"
t_ok "the router still reaches vic" rpings "${G4[vic]}"
t_ok "down" lx down
t_done
