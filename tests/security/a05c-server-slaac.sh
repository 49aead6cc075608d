#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Any SLAAC flavour in server mode (issue: server mode for every guest OS, point 3): a guest's
# self-chosen addresses in the LAN's prefix are reached from the LAN. Guest "vic" makes RFC 7217
# stable-privacy and RFC 4941 temporary addresses (kernel addr_gen_mode=3, use_tempaddr=2); the
# guards let it claim them (first come, first served) and lxtg-ndproxy in the router answers
# neighbour solicitations on the uplink for exactly those addresses and routes them to the
# guest link. Shown here:
#  - the LAN peer pings each of vic's addresses, and resolves them to the router's uplink MAC;
#  - no answer on the LAN for an address of the prefix that no guest holds (positive control:
#    one that vic holds is answered);
#  - an address that a LAN host holds is never proxied, even when a guest claims it;
#  - an address a guest claimed but does not answer for is not published;
#  - an address vic stops using is withdrawn, and the guards forget vic's claim, so that
#    another guest may take it afterwards;
#  - a guest that takes the prefix as on-link reaches LAN hosts: the router answers neighbour
#    solicitations on the guest link for those that a LAN host holds, and only those;
#  - a killed lxtg-ndproxy comes back and keeps what it published;
#  - a stopped guest's addresses are withdrawn.
# shellcheck disable=SC2317 # helpers are called through t_ok / sb_wait_for
# shellcheck source=tests/security/lib.sh
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/security/lib.sh"

t_ok "up server" sec_up server || t_bail "up failed"
t_ok "guest vic" sec_guest vic || t_bail "guest vic"
t_ok "guest evil" sec_guest evil || t_bail "guest evil"
PFX=2001:db8:1:
RUP=$(router_mac eth0)
t_ok "control: the LAN peer reaches vic's recorded address ${G6[vic]}" \
	sb_wait_for "peer -> vic recorded" 5000 sb_peer_exec ping -6 -c1 -W1 "${G6[vic]}"

globals6() {
	in_guest vic ip -6 -o addr show dev eth0 scope global -tentative -dadfailed |
		awk -v p="$PFX" 'index($4, p) == 1 { a = $4; sub("/.*", "", a); print a, (/ temporary / ? "temporary" : "public") }'
}
stable6() { globals6 | awk -v rec="${G6[vic]}" '$2 == "public" && $1 != rec { print $1; exit }' | grep .; }
temp6() { globals6 | awk '$2 == "temporary" { print $1; exit }' | grep .; }
from6() { in_guest "$1" ping -6 -c1 -W1 -I "$2" "$3" >/dev/null 2>&1; }
# proxied ADDR: the router answers for ADDR on its uplink (a proxy entry) and routes it to eth1.
proxied() {
	in_router ip -6 neigh show proxy dev eth0 | grep -q "^$1 " &&
		in_router ip -6 route show "$1/128" | grep -q "dev eth1"
}
unproxied() { ! in_router ip -6 neigh show proxy dev eth0 | grep -q "^$1 " && ! in_router ip -6 route show "$1/128" | grep -q .; }
peer_pings() { sb_peer_exec ping -6 -c1 -W1 "$1" >/dev/null 2>&1; }
# resolve EXEC... IFACE ADDR: the link-layer address a LAN machine's kernel resolves ADDR to
# (fresh: its cache entry is flushed first, then a ping makes it ask), empty if none answers.
# Not ndisc6: it takes only an answer sent from the target address itself, and a proxy answers
# from its own.
resolve() {
	local a=${*: -1} i=${*: -2:1}
	"${@:1:$#-2}" ip -6 neigh flush to "$a" dev "$i"
	"${@:1:$#-2}" ping -6 -c1 -W1 "$a" >/dev/null 2>&1
	"${@:1:$#-2}" ip -6 neigh show to "$a" dev "$i" | grep -o 'lladdr [0-9a-f:]*' | cut -d' ' -f2
}
lan_answer() { resolve sb_peer_exec eth0 "$1"; }
learned() { in_router nft list set bridge lxctogo port_ip6_dyn; }
raw128() { "$PY" -c 'import ipaddress, sys; print("0x%032x" % int(ipaddress.IPv6Address(sys.argv[1])))' "$1"; }
ndproxy_log() { nsenter -t "$RPID" -m cat /run/lxtg-ndproxy.log 2>/dev/null; }
ndproxy_pid() {
	local p
	for p in $(pgrep -x lxtg-ndproxy); do
		[ "$(readlink "/proc/$p/ns/net")" = "$(readlink "/proc/$RPID/ns/net")" ] && echo "$p"
	done
}
new_ndproxy() { local p; p=$(ndproxy_pid); [ -n "$p" ] && [ "$p" != "$1" ]; }

t_ok "lxtg-ndproxy runs in the router" test -n "$(ndproxy_pid)"

# ---- vic's own addresses, as NetworkManager, systemd-networkd and dhcpcd make them
in_guest vic sysctl -qw net.ipv6.conf.eth0.addr_gen_mode=3 net.ipv6.conf.eth0.use_tempaddr=2
in_guest vic ip link set eth0 down && in_guest vic ip link set eth0 up
t_ok "vic gets a stable-privacy address in the LAN's prefix" sb_wait_for "stable address" 10000 stable6
t_ok "vic gets a temporary address" sb_wait_for "temporary address" 10000 temp6
VS=$(stable6) VT=$(temp6)
[ -n "$VS" ] && [ -n "$VT" ] || t_bail "vic's addresses went away: stable '$VS', temporary '$VT'"
t_diag "vic: recorded ${G6[vic]}, stable $VS, temporary $VT"
t_ok "the router proxies vic's stable-privacy address" sb_wait_for "proxy for $VS" 5000 proxied "$VS"
t_ok "... and its temporary address" sb_wait_for "proxy for $VT" 5000 proxied "$VT"
t_ok "the LAN peer pings vic's stable-privacy address" sb_wait_for "peer -> $VS" 5000 peer_pings "$VS"
t_ok "the LAN peer pings vic's temporary address" sb_wait_for "peer -> $VT" 5000 peer_pings "$VT"
t_ok "vic reaches the LAN peer from its stable-privacy address" from6 vic "$VS" "$SB_PEER_V6"
t_is "the LAN resolves vic's stable address to the router's uplink MAC" "$(lan_answer "$VS")" "$RUP"
t_ok "status lists vic's addresses as learned" grep_out "learned:.* $VS( |$)" lx status

# ---- no more than that
FREE=${PFX}:f7ee:1
t_is "no answer on the LAN for an address no guest holds ($FREE)" "$(lan_answer "$FREE")" ""
t_ok "... and no route for it to the guest link" unproxied "$FREE"

# ---- an address a guest sends from but does not hold is claimed, never published, then forgotten
FAKE=${PFX}:fa:6e
sec_py evil "$FAKE" "$SB_PEER_V6" "$RMAC" <<'PY'
import sys
from scapy.all import Ether, IPv6, UDP, sendp
sendp(Ether(dst=sys.argv[3]) / IPv6(src=sys.argv[1], dst=sys.argv[2]) / UDP(dport=9) / b"claim", iface="eth0", verbose=0)
PY
t_ok "evil's packet from $FAKE claimed it at the guard" grep_out "$(raw128 "$FAKE")" learned
t_ok "lxtg-ndproxy finds no guest answering for it" sb_wait_for "the verdict on $FAKE" 8000 grep_out "$FAKE: no guest answers" ndproxy_log
t_ok "... never published it" not grep_out "$FAKE published" ndproxy_log
t_ok "... and the guards forgot the claim" not grep_out "$(raw128 "$FAKE")" learned

# ---- an address a LAN host holds is never proxied
TAKEN=${PFX}:c0:ffee
sb_peer_exec ip -6 addr add "$TAKEN/64" dev eth0 nodad
PEERMAC=$(sb_peer_exec ip -br link show dev eth0 | awk '{ print $3 }')
in_guest evil ip -6 addr add "$TAKEN/64" dev eth0 noprefixroute
t_ok "evil's claim of $TAKEN passes the guard (nobody on the guest link has it)" \
	sb_wait_for "evil's claim" 5000 grep_out "$(raw128 "$TAKEN")" learned
t_ok "lxtg-ndproxy saw that the LAN holds it" \
	sb_wait_for "the conflict" 5000 grep_out "$TAKEN is held on the LAN" ndproxy_log
t_ok "... and does not proxy it" unproxied "$TAKEN"
t_is "the LAN still resolves it to the LAN host" "$(resolve sb_lan_exec br0 "$TAKEN")" "$PEERMAC"
in_guest evil ip -6 addr del "$TAKEN/64" dev eth0
sb_peer_exec ip -6 addr del "$TAKEN/64" dev eth0

# ---- an address vic stops using is withdrawn, and free again. A hand-made one (noprefixroute:
# the prefix is off-link, as the router advertises it), since the kernel
# would make a SLAAC address again at the next router advertisement.
VX=${PFX}:5eed:1
in_guest vic ip -6 addr add "$VX/64" dev eth0 noprefixroute
t_ok "vic's hand-made address $VX is published" sb_wait_for "proxy for $VX" 5000 proxied "$VX"
t_ok "the LAN peer reaches it" sb_wait_for "peer -> $VX" 5000 peer_pings "$VX"
in_guest vic ip -6 addr del "$VX/64" dev eth0
t0=$(sb_now_ms)
t_ok "vic dropped it: the router withdraws it" sb_wait_for "withdrawal of $VX" 20000 unproxied "$VX"
t_diag "withdrawn $(($(sb_now_ms) - t0)) ms after vic dropped it"
t_ok "the LAN peer no longer reaches it" not peer_pings "$VX"
t_ok "the guards forgot vic's claim" not grep_out "$(raw128 "$VX")" learned
t_ok "lxtg-ndproxy says why" grep_out "$VX withdrawn: the guest no longer answers" ndproxy_log
in_guest evil ip -6 addr add "$VX/64" dev eth0 noprefixroute
t_ok "evil may now claim it, and reaches the LAN from it" \
	sb_wait_for "evil's claim of $VX" 5000 from6 evil "$VX" "$SB_PEER_V6"
t_ok "... and the LAN peer reaches evil there" sb_wait_for "peer -> evil at $VX" 5000 peer_pings "$VX"
t_is "... at evil's MAC on the guest link" "$(in_router ip -6 neigh show to "$VX" dev eth1 | grep -o 'lladdr [0-9a-f:]*' | cut -d' ' -f2)" "${GMAC[evil]}"
t_ok "vic's stable address is still reached" peer_pings "$VS"

# ---- a guest that takes the LAN's prefix as on-link (a /64 with its prefix route: systemd-networkd
# 252 does that now and then, so does an address set by hand) resolves LAN hosts on the guest
# link: the router answers for exactly those a LAN host holds (lxtg-ndproxy, the guards' asked6).
asked() { in_router nft list set bridge lxctogo asked6 | grep -q "$(raw128 "$1")"; }
lan_proxy() { in_router ip -6 neigh show proxy dev eth1 | grep -q "^$1 "; }
neigh_mac() { in_guest vic ip -6 neigh show "$1" dev eth0 | grep -o 'lladdr [0-9a-f:]*' | cut -d' ' -f2; }
VO=${PFX}:b:1
in_guest vic ip -6 addr add "$VO/64" dev eth0
t_ok "control: vic sees the LAN peer on-link now" grep_out "^$SB_PEER_V6 from $VO dev eth0 proto kernel" \
	in_guest vic ip -6 route get "$SB_PEER_V6" from "$VO"
t_ok "vic reaches the LAN peer from $VO" sb_wait_for "vic $VO -> peer" 6000 from6 vic "$VO" "$SB_PEER_V6"
t_ok "the guards recorded what vic asked for" asked "$SB_PEER_V6"
t_is "vic resolved the LAN peer to the router's guest-link MAC" "$(neigh_mac "$SB_PEER_V6")" "$(router_mac eth1)"
t_ok "the router answers for the LAN peer on eth1" lan_proxy "$SB_PEER_V6"
t_ok "lxtg-ndproxy says so" grep_out "LAN host $SB_PEER_V6 answered for on eth1" ndproxy_log
NOBODY=${PFX}:dead:2
t_ok "vic asks for $NOBODY, which no LAN host holds: no answer" not from6 vic "$VO" "$NOBODY"
t_ok "... the guards saw the question" sb_wait_for "asked6 $NOBODY" 3000 asked "$NOBODY"
sleep 1
t_ok "... and the router does not answer for it" not lan_proxy "$NOBODY"
# evil asks for 300 made-up LAN addresses: asked6 takes its share (60 at once), not more.
n_asked() { in_router nft list set bridge lxctogo asked6 | grep -o '0x[0-9a-f]\{32\}' | sort -u | wc -l; }
a0=$(n_asked)
sec_py evil "${GMAC[evil]}" "${GLL[evil]}" "$PFX" <<'PY'
import sys, random
from socket import AF_INET6, inet_pton, inet_ntop
from scapy.all import Ether, IPv6, ICMPv6ND_NS, ICMPv6NDOptSrcLLAddr, in6_getnsma, in6_getnsmac, sendp
mac, ll, pfx = sys.argv[1:4]
frames = []
for i in range(300):
    t = "%s0:%x:%x:%x:%x" % (pfx, random.randrange(1, 0xffff), random.randrange(0x10000), random.randrange(0x10000), random.randrange(1, 0x10000))
    dst = inet_ntop(AF_INET6, in6_getnsma(inet_pton(AF_INET6, t)))
    frames.append(Ether(src=mac, dst=in6_getnsmac(inet_pton(AF_INET6, dst))) / IPv6(src=ll, dst=dst, hlim=255) / ICMPv6ND_NS(tgt=t) / ICMPv6NDOptSrcLLAddr(lladdr=mac))
sendp(frames, iface="eth0", verbose=0)
PY
a1=$(n_asked)
t_diag "asked6: $a0 entries before evil's 300 questions, $a1 after"
t_ok "evil's questions reached the guards (asked6 grew by 50 or more)" test "$a1" -ge $((a0 + 50))
t_ok "... but by no more than its share (60, and 30 a minute)" test "$a1" -le $((a0 + 62))
from6 vic "$VO" "${PFX}:e:1" # nobody holds it: no answer; the question is what counts
t_ok "vic's question after evil's is still recorded" sb_wait_for "asked6 ${PFX}:e:1" 3000 asked "${PFX}:e:1"
PX=${PFX}:c:1
sb_peer_exec ip -6 addr add "$PX/64" dev eth0 nodad
t_ok "vic reaches a second LAN address $PX" sb_wait_for "vic -> $PX" 6000 from6 vic "$VO" "$PX"
t_ok "the router answers for it on eth1" lan_proxy "$PX"
sb_peer_exec ip -6 addr del "$PX/64" dev eth0
t0=$(sb_now_ms)
t_ok "the LAN host dropped it: the router stops answering for it" sb_wait_for "withdrawal of $PX" 45000 not lan_proxy "$PX" ||
	t_diag "$(ndproxy_log | tail -n 5; sb_peer_exec ip -6 addr show dev eth0)"
t_diag "withdrawn after $(($(sb_now_ms) - t0)) ms"
t_ok "the LAN peer itself is still answered for" lan_proxy "$SB_PEER_V6"
in_guest vic ip -6 addr del "$VO/64" dev eth0

# ---- lxtg-ndproxy killed: lxtg-init brings it back, and what it published stays
P0=$(ndproxy_pid)
kill "$P0"
t_ok "lxtg-ndproxy is back within 1 s" sb_wait_for "a new lxtg-ndproxy" 1000 new_ndproxy "$P0"
t_ok "vic's stable address stayed published" proxied "$VS"
t_ok "the LAN peer still reaches it" peer_pings "$VS"

# ---- a stopped guest's addresses are withdrawn
t_ok "vic stops" sb_stop_guest vic
t_ok "the router withdraws vic's stable address" sb_wait_for "withdrawal of $VS" 20000 unproxied "$VS"
t_ok "evil's address stays published" proxied "$VX"

t_ok "down" lx down
t_done
