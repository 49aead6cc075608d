#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# A13 NDP, RA and DHCP hidden behind IPv6 extension headers and fragments (RFC 6980, RFC 7112).
# Guest "evil" runs thc-ipv6's fake_router26, plain and with each of its RA-guard evasions
# (-E H hop-by-hop, -E 1 atomic fragment, -E D a destination header split over two fragments,
# -E F a three-fragment chain, -E O / -E o overlapping fragments), and scapy sends a DHCPv6
# ADVERTISE and a neighbour advertisement for vic's address in fragments. Guest "vic" has
# suppress_frag_ndisc=0, so its own kernel would take a reassembled RA: only the guard stands
# in the way. Nothing may change in vic, the router or the host; a capture on evil's port
# shows what was sent, and the rogue_ra counter moves for each attack. A large UDP datagram
# (fragmented, v4 and v6) still passes between vic and the LAN both ways.
# shellcheck disable=SC2317 # helpers are called through t_ok / sb_wait_for
# shellcheck source=tests/security/lib.sh
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/security/lib.sh"

FR=$(command -v atk6-fake_router26 || command -v fake_router26) || t_skip_all "thc-ipv6 is not installed"

t_ok "up desktop" sec_up desktop || t_bail "up failed"
t_ok "guest evil" sec_guest evil || t_bail "guest evil"
t_ok "guest vic" sec_guest vic || t_bail "guest vic"
# The victim's kernel would process NDP from reassembled fragments (Linux's default drops it).
t_ok "vic accepts NDP in fragments (suppress_frag_ndisc=0)" \
	in_guest vic sysctl -qw net.ipv6.conf.eth0.suppress_frag_ndisc=0 net.ipv6.conf.all.suppress_frag_ndisc=0

# ---- positive control: IPv6 works, and a large (fragmented) UDP datagram passes both ways
t_ok "control: vic has its SLAAC address from the router's RA" has_addr6 vic "${G6[vic]}"
t_ok "control: vic's default route is the router's link-local address" has_route6 vic
t_ok "control: vic reaches the LAN over IPv6" pings vic "$SB_PEER_V6"
cat >"$SB_TMP/udpecho.py" <<'PY'
import socket, sys
fam = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
while True:
    d, a = s.recvfrom(65535)
    s.sendto(d, a)
PY
sec_bg peer "$PY" "$SB_TMP/udpecho.py" "$SB_PEER_V4" 7777
sec_bg peer "$PY" "$SB_TMP/udpecho.py" "$SB_PEER_V6" 7777
sb_wait_for "UDP echo on the LAN peer" 3000 grep_out ':7777 ' sb_peer_exec ss -Hlnu
# big_udp GUEST ADDR: a 4000-byte datagram (3 fragments each way) to the peer's echo comes back whole.
big_udp() {
	in_guest "$1" "$PY" - "$2" <<'PY'
import socket, sys
fam = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
s.settimeout(2)
msg = bytes(range(256)) * 16 + b"LXTG-A13"
for _ in range(3):
    s.sendto(msg, (sys.argv[1], 7777))
    try:
        if s.recvfrom(65535)[0] == msg:
            sys.exit(0)
    except socket.timeout:
        pass
sys.exit(1)
PY
}
t_ok "control: a 4000-byte UDP datagram vic -> LAN -> vic (IPv4, fragmented)" big_udp vic "$SB_PEER_V4"
t_ok "control: a 4000-byte UDP datagram vic -> LAN -> vic (IPv6, fragmented)" big_udp vic "$SB_PEER_V6"

t_ok "control: the router reaches vic over IPv6 (its neighbour entry)" rpings "${G6[vic]}"
t_is "control: the router's neighbour entry for vic's address is vic's MAC" \
	"$(neigh_of in_router -- "${G6[vic]}")" "${GMAC[vic]}"
vic_before=$(net_state in_guest vic)
router_before=$(net_state in_router)
host_before=$(net_state in_host)

# A capture on evil's port in the router (the bridge sees every frame evil sends).
in_router tcpdump -i "${GPORT[evil]}" -nn -U -w "$SB_TMP/evil.pcap" ip6 >/dev/null 2>&1 </dev/null &
CAP=$!
SEC_PIDS+=("$CAP")
sleep 1
# Also a capture in vic: nothing from evil's MAC that is an RA or a fragment may arrive.
in_guest vic tcpdump -i eth0 -nn -U -w "$SB_TMP/vic.pcap" "ether src ${GMAC[evil]} and ip6" >/dev/null 2>&1 </dev/null &
VCAP=$!
SEC_PIDS+=("$VCAP")
sleep 1

for e in "" H 1 D F O o; do
	before=$(counter rogue_ra)
	# -n 2: two RAs (bounded); a new prefix, a default route and a DNS server, from evil's link-local.
	in_guest evil timeout 10 "$FR" ${e:+-E "$e"} -A 2001:db8:6666::/64 -R ::/0 -D 2001:db8:6666::53 \
		-n 2 -i 1 eth0 >"$SB_TMP/fr-$e.log" 2>&1
	t_ok "fake_router26 ${e:+-E $e }: the rogue_ra counter moved" \
		sb_wait_for "rogue_ra after -E $e" 3000 counter_above rogue_ra "$before"
done

# scapy: a DHCPv6 ADVERTISE and an NA for vic's address, each split so that the first
# fragment has no UDP/ICMPv6 header (a destination-options header fills it).
before_ra=$(counter rogue_ra)
sec_py evil "${GMAC[evil]}" "${GLL[evil]}" "${GMAC[vic]}" "${GLL[vic]}" "${G6[vic]}" 2>/dev/null <<'PY'
import sys
from scapy.all import (Ether, IPv6, UDP, IPv6ExtHdrDestOpt, PadN, IPv6ExtHdrFragment, ICMPv6ND_NA,
    ICMPv6NDOptDstLLAddr, DHCP6_Advertise, fragment6, sendp, conf)
conf.verb = 0
emac, ell, vmac, vll, v6 = sys.argv[1:6]
# 1200 bytes of destination options: the first 1000-byte fragment ends inside them.
big = IPv6ExtHdrDestOpt(options=[PadN(optdata=b"\0" * 198)] * 6)
for dst, dmac, upper in ((vll, vmac, UDP(sport=547, dport=546) / DHCP6_Advertise(trid=7)),
                         ("ff02::1", "33:33:00:00:00:01",
                          ICMPv6ND_NA(tgt=v6, R=0, S=0, O=1) / ICMPv6NDOptDstLLAddr(lladdr=emac))):
    for f in fragment6(IPv6(src=ell, dst=dst) / IPv6ExtHdrFragment() / big / upper, 1000):
        sendp(Ether(src=emac, dst=dmac) / f, iface="eth0")
PY
t_ok "fragmented DHCPv6 ADVERTISE and NA: the rogue_ra counter moved" \
	sb_wait_for "rogue_ra after scapy" 3000 counter_above rogue_ra "$before_ra"
t_is "the router's neighbour entry for vic's address is still vic's MAC" \
	"$(neigh_of in_router -- "${G6[vic]}")" "${GMAC[vic]}"
sleep 1
kill "$CAP" "$VCAP" 2>/dev/null
wait "$CAP" "$VCAP" 2>/dev/null

frags=$(tcpdump -r "$SB_TMP/evil.pcap" -nn 'ip6[6] = 44' 2>/dev/null | wc -l)
ras=$(tcpdump -r "$SB_TMP/evil.pcap" -nn 'icmp6 and ip6[40] = 134' 2>/dev/null | wc -l)
hbh=$(tcpdump -r "$SB_TMP/evil.pcap" -nn 'ip6[6] = 0 and ip6[40] = 58 and ip6[48] = 134' 2>/dev/null | wc -l)
t_diag "capture on evil's port: $frags with a fragment header first, $hbh RAs behind hop-by-hop, $ras plain RAs"
t_ok "the capture saw fragments sent by evil (the attacks were sent)" test "$frags" -ge 10
t_ok "the capture saw RAs behind a hop-by-hop header sent by evil (-E H)" test "$hbh" -ge 1
t_ok "the capture saw plain RAs sent by evil" test "$ras" -ge 1
# What may still reach vic from evil: its MLD reports, and NS and NA for its own address.
hidden='ip6[6] = 44 or ip6[6] = 60 or (ip6[6] = 58 and (ip6[40] = 134 or ip6[40] = 137)) or (ip6[6] = 0 and ip6[40] != 58) or (ip6[6] = 0 and ip6[48] = 134) or (ip6[6] = 17 and ip6[40:2] = 547)'
t_diag "from evil's MAC at vic: $(tcpdump -r "$SB_TMP/vic.pcap" -nn 2>/dev/null | cut -d' ' -f2- | sort | uniq -c | head -5 | tr '\n' ';')"
t_is "no RA, redirect, DHCPv6 reply or fragment from evil reached vic" \
	"$(tcpdump -r "$SB_TMP/vic.pcap" -nn "$hidden" 2>/dev/null | grep -c .)" 0

sleep 1 # a taken RA would have changed vic's routes by now
t_is "vic's addresses and routes are unchanged" "$(net_state in_guest vic)" "$vic_before"
t_ok "vic has no address from the rogue prefix" not grep_out '2001:db8:6666' in_guest vic ip -6 addr
t_ok "vic has no route via evil" not grep_out "via ${GLL[evil]}" in_guest vic ip -6 route
t_is "the router's addresses and routes are unchanged" "$(net_state in_router)" "$router_before"
t_is "the host's addresses and routes are unchanged" "$(net_state in_host)" "$host_before"
t_ok "after: vic still reaches the LAN over IPv6" pings vic "$SB_PEER_V6"
t_ok "after: the large UDP datagram still passes (IPv6)" big_udp vic "$SB_PEER_V6"

sec_kill_bg
t_ok "down" lx down
t_done
