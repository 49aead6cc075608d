#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# A1 rogue router advertisement: guest "evil" runs a real radvd and sends crafted RAs
# (spoofed from the router's link-local address, router lifetime 0, a high-preference
# default route, a new prefix, MTU 1280), a unicast RA, an ICMPv6 redirect and a
# fragmented RA. No route or address may change in guest "vic", the router or the host;
# the rogue_ra counter moves.
# shellcheck disable=SC2317 # helpers are called through t_ok / sb_wait_for
# shellcheck source=tests/security/lib.sh
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/security/lib.sh"

t_ok "up desktop" sec_up desktop || t_bail "up failed"
t_ok "guest evil" sec_guest evil || t_bail "guest evil"
t_ok "guest vic" sec_guest vic || t_bail "guest vic"

# ---- positive control: the router's own RA works
t_ok "control: vic has its SLAAC address from the router's RA" has_addr6 vic "${G6[vic]}"
t_ok "control: vic's default route is the router's link-local address" has_route6 vic
t_ok "control: vic reaches the LAN over IPv6" pings vic "$SB_LAN_V6"

vic_before=$(net_state in_guest vic)
router_before=$(net_state in_router)
host_before=$(net_state in_host)
before=$(counter rogue_ra)

# ---- attack 1: a real radvd in evil's network namespace
printf '%s\n' 'interface eth0 {' ' AdvSendAdvert on; MinRtrAdvInterval 3; MaxRtrAdvInterval 4;' \
	' AdvDefaultPreference high; AdvLinkMTU 1280;' \
	' prefix 2001:db8:6666::/64 { AdvOnLink on; AdvAutonomous on; };' \
	' route ::/0 { AdvRoutePreference high; };' ' RDNSS 2001:db8:6666::1 { };' '};' >"$SB_TMP/rogue-radvd.conf"
sec_bg evil radvd --nodaemon -C "$SB_TMP/rogue-radvd.conf" -p "$SB_TMP/rogue-radvd.pid" -m stderr 2>"$SB_TMP/rogue-radvd.log"
t_ok "rogue radvd: the rogue_ra counter moves" sb_wait_for "rogue RA dropped" 6000 counter_above rogue_ra "$before"

# ---- attack 2: crafted RAs, a redirect and a fragmented RA (scapy, evil's own MAC)
before=$(counter rogue_ra)
sent=$(sec_py evil "$RMAC" "$RLL" "${GMAC[evil]}" "${GLL[evil]}" "${GMAC[vic]}" "${GLL[vic]}" "$SB_LAN_V6" 2>/dev/null <<'PY'
import sys
from scapy.all import (Ether, IPv6, ICMPv6ND_RA, ICMPv6NDOptPrefixInfo, ICMPv6NDOptSrcLLAddr,
    ICMPv6NDOptMTU, ICMPv6NDOptRouteInfo, ICMPv6NDOptRDNSS, ICMPv6ND_Redirect,
    ICMPv6NDOptDstLLAddr, IPv6ExtHdrFragment, fragment6, sendp, conf)
conf.verb = 0
rmac, rll, emac, ell, vmac, vll, lan6 = sys.argv[1:8]
def ra(src, dst, lifetime, prf=1):
    return (IPv6(src=src, dst=dst, hlim=255) /
            ICMPv6ND_RA(routerlifetime=lifetime, prf=prf) /
            ICMPv6NDOptSrcLLAddr(lladdr=emac) / ICMPv6NDOptMTU(mtu=1280) /
            ICMPv6NDOptPrefixInfo(prefix="2001:db8:7777::", prefixlen=64, L=1, A=1) /
            ICMPv6NDOptRouteInfo(prefix="::", plen=0, prf=1, rtlifetime=9000) /
            ICMPv6NDOptRDNSS(dns=["2001:db8:7777::53"]))
frames = [
    # the router's link-local address, router lifetime 0: "the router is gone"
    Ether(src=emac, dst="33:33:00:00:00:01") / ra(rll, "ff02::1", 0),
    # evil's own address, high preference, to everyone
    Ether(src=emac, dst="33:33:00:00:00:01") / ra(ell, "ff02::1", 9000),
    # unicast to vic
    Ether(src=emac, dst=vmac) / ra(rll, vll, 9000),
    # redirect: "send traffic for the LAN router to evil", spoofed from the router
    Ether(src=emac, dst=vmac) / IPv6(src=rll, dst=vll, hlim=255) /
        ICMPv6ND_Redirect(tgt=ell, dst=lan6) / ICMPv6NDOptDstLLAddr(lladdr=emac),
]
n = len(frames)
# a fragmented RA (RFC 6980 says drop it; the guard sees the ICMPv6 type in the first fragment)
big = IPv6(src=ell, dst="ff02::1", hlim=255) / IPv6ExtHdrFragment() / ICMPv6ND_RA(routerlifetime=9000) / \
    ICMPv6NDOptPrefixInfo(prefix="2001:db8:8888::", prefixlen=64) / ICMPv6NDOptRDNSS(dns=["2001:db8:8888::%x" % i for i in range(1, 90)])
for f in fragment6(big, 600):
    frames.append(Ether(src=emac, dst="33:33:00:00:00:01") / f)
for f in frames:
    sendp(f, iface="eth0", count=3)
print(3 * n)
PY
)
t_ok "crafted RAs and a redirect were sent" test -n "$sent"
t_ok "crafted: the rogue_ra counter moved by every RA and redirect sent ($sent)" counter_moved_by rogue_ra "$before" "${sent:-1}"
sleep 1 # the rogue radvd keeps advertising meanwhile

# ---- no effect anywhere
t_is "vic: addresses and routes unchanged" "$(net_state in_guest vic)" "$vic_before"
t_is "router: addresses and routes unchanged" "$(net_state in_router)" "$router_before"
t_is "host: addresses and routes unchanged" "$(net_state in_host)" "$host_before"
t_ok "vic learned no rogue prefix" not grep_out '2001:db8:(6666|7777|8888)' in_guest vic ip -6 addr
t_ok "vic has no route through evil" not grep_out "via ${GLL[evil]}" in_guest vic ip -6 route show table all
t_is "vic's MTU is still the router's" "$(in_guest vic cat /proc/sys/net/ipv6/conf/eth0/mtu)" 1500
t_ok "vic still reaches the LAN over IPv6 through the router" pings vic "$SB_LAN_V6"
t_ok "the rogue radvd really ran all along" kill -0 "$SEC_BG_PID"
sec_kill_bg
t_ok "down" lx down
t_done
