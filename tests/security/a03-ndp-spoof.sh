#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# A3 NDP spoofing: guest "evil" sends unsolicited neighbour advertisements with the
# override flag (multicast and unicast, one behind a hop-by-hop header) for guest "vic"'s
# global and link-local addresses and for the router's, plus a neighbour solicitation
# forged from vic's address. The router's and vic's neighbour entries stay as they were,
# the nd_spoof (and ip_spoof) counters move; evil's NA for its own address passes.
# shellcheck disable=SC2317 # helpers are called through t_ok / sb_wait_for
# shellcheck source=tests/security/lib.sh
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/security/lib.sh"

t_ok "up desktop" sec_up desktop || t_bail "up failed"
t_ok "guest evil" sec_guest evil || t_bail "guest evil"
t_ok "guest vic" sec_guest vic || t_bail "guest vic"

# ---- positive control: ND works and fills the tables
t_ok "control: ndisc6 in vic resolves the router's address to its MAC" grep_out "${RMAC^^}" in_guest vic ndisc6 -q -r 3 -w 1000 "$R6" eth0
t_ok "control: ndisc6 in vic resolves evil's address to evil's MAC" \
	grep_out "${GMAC[evil]^^}" in_guest vic ndisc6 -q -r 3 -w 1000 "${G6[evil]}" eth0
t_ok "control: the router reaches vic (global)" rpings "${G6[vic]}"
t_ok "control: the router reaches vic (link-local)" rpings "${GLL[vic]}" -I eth1
t_ok "control: vic reaches the router (global)" pings vic "$R6"
t_ok "control: vic reaches the router (link-local)" sb_wait_for "vic -> router LL" 5000 in_guest vic ping -6 -c1 -W1 -I eth0 "$RLL"
t_is "control: router's entry for vic's global address" "$(neigh_of in_router "${G6[vic]}")" "${GMAC[vic]}"
t_is "control: router's entry for vic's link-local address" "$(neigh_of in_router "${GLL[vic]}")" "${GMAC[vic]}"
t_is "control: vic's entry for the router's global address" "$(neigh_of in_guest vic "$R6")" "$RMAC"
t_is "control: vic's entry for the router's link-local address" "$(neigh_of in_guest vic "$RLL")" "$RMAC"

na() { # na TARGET [unicast DSTMAC DSTIP]: evil advertises TARGET as its own (S=0 O=1, or S=1 O=1 unicast)
	sec_py evil "${GMAC[evil]}" "${GLL[evil]}" "$@" 2>/dev/null <<'PY'
import sys
from scapy.all import Ether, IPv6, IPv6ExtHdrHopByHop, ICMPv6ND_NA, ICMPv6NDOptDstLLAddr, sendp, conf
conf.verb = 0
emac, ell, tgt = sys.argv[1:4]
na = ICMPv6ND_NA(tgt=tgt, R=0, S=0, O=1) / ICMPv6NDOptDstLLAddr(lladdr=emac)
frames = [Ether(src=emac, dst="33:33:00:00:00:01") / IPv6(src=ell, dst="ff02::1", hlim=255) / na,
          Ether(src=emac, dst="33:33:00:00:00:01") / IPv6(src=ell, dst="ff02::1", hlim=255) / IPv6ExtHdrHopByHop() / na]
if len(sys.argv) > 5:
    una = ICMPv6ND_NA(tgt=tgt, R=0, S=1, O=1) / ICMPv6NDOptDstLLAddr(lladdr=emac)
    frames.append(Ether(src=emac, dst=sys.argv[4]) / IPv6(src=ell, dst=sys.argv[5], hlim=255) / una)
for f in frames:
    sendp(f, iface="eth0", count=2)
print(2 * len(frames))
PY
}

t_ok "control: the router reaches evil" rpings "${G6[evil]}"
before=$(counter nd_spoof)
t_ok "control: evil advertises its own global address" grep_out '^[0-9]+$' na "${G6[evil]}"
t_ok "control: evil advertises its own link-local address" grep_out '^[0-9]+$' na "${GLL[evil]}"
t_is "control: the nd_spoof counter ignores them" "$(counter nd_spoof)" "$before"
t_is "control: the router's entry for evil is evil's MAC" "$(neigh_of in_router "${G6[evil]}")" "${GMAC[evil]}"

# ---- attack: advertisements for addresses evil does not own
before=$(counter nd_spoof)
n=0
for args in "${G6[vic]} $RMAC $R6" "${GLL[vic]} $RMAC $RLL" "$R6 ${GMAC[vic]} ${G6[vic]}" "$RLL ${GMAC[vic]} ${GLL[vic]}"; do
	# shellcheck disable=SC2086 # three words
	k=$(na $args) && n=$((n + k))
done
t_ok "NA spoof: $n advertisements were sent" test "$n" -ge 20
t_ok "NA spoof: the nd_spoof counter moved by all of them" counter_moved_by nd_spoof "$before" "$n"

# A solicitation forged from vic's address (the router would learn vic -> evil's MAC from its SLLA).
before=$(counter ip_spoof)
sec_py evil "${GMAC[evil]}" "${G6[vic]}" "$R6" "$RMAC" 2>/dev/null <<'PY'
import sys
from scapy.all import Ether, IPv6, ICMPv6ND_NS, ICMPv6NDOptSrcLLAddr, sendp, conf
conf.verb = 0
emac, vip, rip, rmac = sys.argv[1:5]
sendp(Ether(src=emac, dst=rmac) / IPv6(src=vip, dst=rip, hlim=255) / ICMPv6ND_NS(tgt=rip) /
      ICMPv6NDOptSrcLLAddr(lladdr=emac), iface="eth0", count=3)
PY
t_ok "NS spoof: the ip_spoof counter moved" counter_moved_by ip_spoof "$before" 3

# ---- no effect
t_is "router's entry for vic's global address unchanged" "$(neigh_of in_router "${G6[vic]}")" "${GMAC[vic]}"
t_is "router's entry for vic's link-local address unchanged" "$(neigh_of in_router "${GLL[vic]}")" "${GMAC[vic]}"
t_is "vic's entry for the router's global address unchanged" "$(neigh_of in_guest vic "$R6")" "$RMAC"
t_is "vic's entry for the router's link-local address unchanged" "$(neigh_of in_guest vic "$RLL")" "$RMAC"
t_ok "no IPv6 neighbour entry in the router points at evil except evil's own" \
	not grep_out "^(${G6[vic]}|${GLL[vic]}) .*${GMAC[evil]}" in_router ip -6 neigh show
t_ok "vic still reaches the router" pings vic "$R6"
t_ok "the router still reaches vic" rpings "${G6[vic]}"
t_ok "down" lx down
t_done
