#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# A11 unexpected IPv6: with `[ipv6] enable = no` the router runs no radvd, has IPv6 off on
# every link (no SLAAC from the LAN's RA either), forwards no IPv6, and the host's bridges
# have IPv6 off. Guests get no global address, no default route, no RA even when they
# solicit one (rdisc6), no AAAA records; a guest that configures global IPv6 by itself
# (its own ULA address, or an address of the LAN's prefix, with routes) reaches neither the
# LAN nor the router, and its packets are counted by the ip_spoof guard. IPv4 keeps working.
# shellcheck disable=SC2317 # helpers are called through t_ok / sb_wait_for
# shellcheck source=tests/security/lib.sh
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/security/lib.sh"

t_ok "up desktop with [ipv6] enable = no" sec_up desktop '[ipv6]' 'enable = no' || t_bail "up failed"
t_ok "guest vic" sec_guest vic || t_bail "guest vic"
t_ok "guest evil" sec_guest evil || t_bail "guest evil"
t_ok "port add vic 8080:80" lx port add vic 8080:80

# ---- positive control: IPv4 works
t_ok "control: vic reaches the LAN over IPv4" pings vic "$SB_LAN_V4"
t_is "control: vic.$DOMAIN has an A record" "$(dnsq vic "$R4" "vic.$DOMAIN")" "rcode=0 ${G4[vic]}"
t_is "control: the registry gives vic no IPv6 address" "${G6[vic]}" ""

# ---- the router
t_is "router: IPv6 is off on every link" \
	"$(for k in all default eth0 eth1 eth2; do in_router cat "/proc/sys/net/ipv6/conf/$k/disable_ipv6"; done | tr -d '\n')" 11111
t_is "router: no IPv6 address at all, not even from the LAN's RA" "$(in_router ip -6 addr show)" ""
t_is "router: IPv6 forwarding is off" "$(in_router cat /proc/sys/net/ipv6/conf/all/forwarding)" 0
t_ok "router: no radvd in its inittab" not grep -q radvd "$SB_STATE/router/rootfs/etc/inittab"
radvd_in_router() { local p; for p in $(pgrep -x radvd); do [ "$(readlink "/proc/$p/ns/net")" = "$(readlink "/proc/$RPID/ns/net")" ] && return 0; done; return 1; }
t_ok "router: no radvd process" not radvd_in_router
t_is "router: the guest6 set and the v6 forward map are empty" \
	"$(in_router nft -j list table inet lxctogo | "$PY" -c 'import json,sys; print(sum(len(x["set" if "set" in x else "map"].get("elem", [])) for x in json.load(sys.stdin)["nftables"] if ("set" in x or "map" in x) and x.get("set", x.get("map", {})).get("name") in ("guest6", "fwd6", "fwd6_addr", "expose6")))')" 0
t_is "router: no AAAA for vic or the router" "$(dnsq vic "$R4" "vic.$DOMAIN" AAAA) $(dnsq vic "$R4" "managed.$DOMAIN" AAAA)" "rcode=0  rcode=0 "

# ---- the host
t_is "host: IPv6 is off on the host bridge (the guest bridge is the router's eth1, checked above)" \
	"$(in_host cat /proc/sys/net/ipv6/conf/lxtg0/disable_ipv6)" 1
t_ok "host: no route to a guest prefix" not grep_out 'fd00:aaaa' in_host ip -6 route show table all

# ---- the guests
t_ok "vic solicits a router advertisement (rdisc6): none comes" not in_guest vic rdisc6 -1 -r 2 -w 1000 eth0
t_is "vic: no global IPv6 address" "$(in_guest vic ip -6 addr show scope global)" ""
t_is "vic: no IPv6 default route" "$(in_guest vic ip -6 route show default)" ""
t_ok "vic: no IPv6 path to the LAN" not in_guest vic ping -6 -c1 -W1 "$SB_LAN_V6"

# ---- a guest that brings its own IPv6
before=$(counter ip_spoof)
in_guest evil ip -6 addr add fd00:aaaa:254::99/64 dev eth0 nodad
in_guest evil ip -6 addr add 2001:db8:1::99/64 dev eth0 nodad
in_guest evil ip -6 route add default dev eth0
in_guest vic ip -6 addr add fd00:aaaa:254::1/64 dev eth0 nodad # vic plays along
t_ok "self-configured: evil does not reach the LAN router over IPv6" not in_guest evil ping -6 -c2 -W1 "$SB_LAN_V6"
t_ok "self-configured: evil does not reach the LAN peer over IPv6" not in_guest evil ping -6 -c1 -W1 "$SB_PEER_V6"
t_ok "self-configured: evil does not reach vic's self-configured global IPv6 address" \
	not in_guest evil ping -6 -c1 -W1 -I fd00:aaaa:254::99 "fd00:aaaa:254::1"
t_ok "self-configured: the ip_spoof counter moved" counter_above ip_spoof "$before"
sniff_start lan lan br0 LXTG-A11
sec_py evil "${GMAC[evil]}" "$RMAC" 2>/dev/null <<'PY'
import sys
from scapy.all import Ether, IPv6, UDP, Raw, sendp, conf
conf.verb = 0
sendp([Ether(src=sys.argv[1], dst=d) / IPv6(src=s, dst="2001:db8:1::1") / UDP(dport=9) / Raw(b"LXTG-A11")
       for s in ("fd00:aaaa:254::99", "2001:db8:1::99") for d in (sys.argv[2], "33:33:00:00:00:01")], iface="eth0", count=2)
PY
t_is "self-configured: no IPv6 datagram of evil's reached the LAN" "$(sniff_stop lan)" 0
t_ok "IPv4 still works for vic" pings vic "$SB_LAN_V4"
t_ok "down" lx down
t_done
