#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# A8 DNS abuse.
#  1. names: guest "evil" asks dnsmasq (udhcpc -x hostname:...) for guest "vic"'s name and the
#     router's, and (scapy, random chaddr) for the name of guest "late" before late exists:
#     vic, managed and late keep resolving to their own addresses only;
#  2. rebinding: an upstream DNS server in the LAN (a second dnsmasq, `[dns] upstream`)
#     answers names outside the LAN's domain with 10/8, 172.16/12, 192.168/16 (the guest
#     router itself) and ULA addresses, directly and through a CNAME: the router drops them,
#     while a public answer passes;
#  3. exposure: the resolver answers on the guest and host links, never on the uplink:
#     queries from the LAN peer to the router's LAN addresses (UDP, TCP, v4, v6) and to its
#     inner addresses routed through the uplink get no answer; the input drop counter moves;
#  4. the LAN's own DHCP domain is exempt from rebind protection only with two labels or
#     more: after the LAN hands out "com", names under .com get no private answers;
#  5. [dns] rebind_ok trusts a domain (a corporate LAN's), rebind_protection = off all.
# shellcheck disable=SC2317 # helpers are called through t_ok / sb_wait_for
# shellcheck source=tests/security/lib.sh
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/security/lib.sh"

UP=192.0.2.2 # the extra upstream DNS server in the LAN namespace
sb_lan_exec ip addr add "$UP/24" dev br0 || t_bail "address for the upstream DNS server"
start_up_dns() {
sec_bg lan dnsmasq --keep-in-foreground --user=root --group=root --conf-file=/dev/null --no-resolv --no-hosts \
	--listen-address="$UP" --bind-interfaces --port=53 --log-queries --log-facility="$SB_TMP/upstream.log" \
	--pid-file="$SB_TMP/upstream.pid" \
	--address=/ok.evil.test/1.2.3.4 --address=/ok.evil.test/2a00:1450::7 \
	--address=/r10.evil.test/10.1.2.3 --address=/r172.evil.test/172.16.0.1 \
	--address=/r192.evil.test/192.168.254.254 --address=/r253.evil.test/192.168.253.253 \
	--address=/r6.evil.test/fd00:aaaa:254::254 --address=/rll.evil.test/fe80::1 --address=/r127.evil.test/127.0.0.1 \
	--host-record=target.evil.test,10.9.9.9 --cname=cname.evil.test,target.evil.test \
	--address=/r10.other.test/10.1.2.5 --address=/r10.evil.com/10.1.2.6 --address=/r10.lan.test/10.1.2.7
UP_PID=$SEC_BG_PID
}
start_up_dns
sb_wait_for "upstream DNS" 3000 grep_out "$UP:53 " sb_lan_exec ss -Hlnu || t_bail "upstream DNS did not start"
t_is "the upstream server answers the rebinding name itself" "$(dnsq lan "$UP" r10.evil.test)" "rcode=0 10.1.2.3"

t_ok "up desktop with [dns] upstream = $UP" sec_up desktop '[dns]' "upstream = $UP" || t_bail "up failed"
t_ok "guest evil" sec_guest evil || t_bail "guest evil"
t_ok "guest vic" sec_guest vic || t_bail "guest vic"
sb_make_guest late || t_bail "make guest late"

# ---- 1. names
t_is "control: vic.$DOMAIN resolves to vic's address" "$(dnsq evil "$R4" "vic.$DOMAIN")" "rcode=0 ${G4[vic]}"
t_is "control: vic.$DOMAIN AAAA" "$(dnsq evil "$R4" "vic.$DOMAIN" AAAA)" "rcode=0 ${G6[vic]}"
t_is "control: evil.$DOMAIN resolves to evil's address" "$(dnsq vic "$R4" "evil.$DOMAIN")" "rcode=0 ${G4[evil]}"
t_ok "evil leases with DHCP hostname 'vic'" grep_out "ip='${G4[evil]}'" lease evil -x hostname:vic
t_ok "evil leases with DHCP hostname 'managed'" grep_out "ip='${G4[evil]}'" lease evil -x hostname:managed
# A client that is not a guest (random chaddr from evil's port) asks for the name of a guest to come.
sec_py evil "${GMAC[evil]}" "$R4" 2>/dev/null <<'PY'
import sys, random, time
from scapy.all import Ether, IP, UDP, BOOTP, DHCP, sendp, conf
conf.verb = 0
emac, rip = sys.argv[1:3]
ch = bytes([0x02] + [random.randrange(256) for _ in range(5)])
def m(t, extra):
    return (Ether(src=emac, dst="ff:ff:ff:ff:ff:ff") / IP(src="0.0.0.0", dst="255.255.255.255") /
            UDP(sport=68, dport=67) / BOOTP(chaddr=ch + b"\0" * 10, xid=0x4711, flags=0x8000) /
            DHCP(options=[("message-type", t)] + extra + [("hostname", b"late"), "end"]))
sendp(m("request", [("server_id", rip), ("requested_addr", "192.168.254.199")]), iface="eth0")
time.sleep(0.5)
PY
t_ok "guest late is added afterwards" lx guest add late
late4=$(guest_json late ipv4)
sleep 0.5 # dnsmasq reads the new hosts file by inotify
t_is "vic.$DOMAIN still resolves to vic's address only" "$(dnsq vic "$R4" "vic.$DOMAIN")" "rcode=0 ${G4[vic]}"
t_is "vic.$DOMAIN AAAA still vic's only" "$(dnsq vic "$R4" "vic.$DOMAIN" AAAA)" "rcode=0 ${G6[vic]}"
t_is "managed.$DOMAIN still resolves to the router only" "$(dnsq vic "$R4" "managed.$DOMAIN")" "rcode=0 $R4"
t_is "evil.$DOMAIN still resolves to evil" "$(dnsq vic "$R4" "evil.$DOMAIN")" "rcode=0 ${G4[evil]}"
t_is "late.$DOMAIN resolves to late's address only" "$(dnsq vic "$R4" "late.$DOMAIN")" "rcode=0 $late4"
ptr() { echo "$1" | awk -F. '{ print $4"."$3"."$2"."$1".in-addr.arpa" }'; }
t_is "late's address maps back to late only" "$(dnsq vic "$R4" "$(ptr "$late4")" PTR)" "rcode=0 late.$DOMAIN"
t_ok "the fake client's address does not map back to late" \
	not grep_out "late" dnsq vic "$R4" "$(ptr 192.168.254.199)" PTR
t_diag "lease table after the attempts: $(lease_file | awk '{ print $2, $3, $4 }' | tr '\n' ';')"

# ---- 2. rebinding
t_is "control: a public upstream answer passes (A)" "$(dnsq vic "$R4" ok.evil.test)" "rcode=0 1.2.3.4"
t_is "control: a public upstream answer passes (AAAA)" "$(dnsq vic "$R4" ok.evil.test AAAA)" "rcode=0 2a00:1450::7"
for n in r10 r172 r192 r253 cname; do
	got=$(dnsq vic "$R4" "$n.evil.test")
	t_ok "rebinding: $n.evil.test gives no private address (got: $got)" not grep -qE '(^| |,)(10|172\.16|192\.168)\.' <<<"$got"
done
for n in r6 rll; do
	got=$(dnsq vic "$R4" "$n.evil.test" AAAA)
	t_ok "rebinding: $n.evil.test AAAA gives no ULA/link-local address (got: $got)" not grep -qiE '(^| |,)(fd|fe80)' <<<"$got"
done
# Not an assertion: the template says rebind-localhost-ok (127/8 is not a private range).
t_diag "note: r127.evil.test (upstream says 127.0.0.1) gives: $(dnsq vic "$R4" r127.evil.test)"
t_ok "rebinding: the router did ask upstream (the answers were dropped, not never fetched)" \
	grep -q 'query\[A\] r10.evil.test' "$SB_TMP/upstream.log"
t_is "rebinding: the host's view is the same" "$(dnsq host "$RHOST4" r192.evil.test | grep -c 192.168)" 0

# ---- 3. the resolver is not on the uplink
t_is "control: the host gets answers on the host link" "$(dnsq host "$RHOST4" "vic.$DOMAIN")" "rcode=0 ${G4[vic]}"
t_is "control: a guest gets answers on the guest link" "$(dnsq vic "$R4" "vic.$DOMAIN")" "rcode=0 ${G4[vic]}"
t_ok "control: peer reaches the router's LAN address" sb_peer_exec ping -c1 -W2 "$RLAN4"
before=$(router_counter "input dropped")
t_is "peer -> router LAN v4, UDP: no answer" "$(dnsq peer "$RLAN4" "vic.$DOMAIN")" timeout
t_is "peer -> router LAN v4, TCP: no answer" "$(dnsq peer "$RLAN4" "vic.$DOMAIN" A tcp)" timeout
t_is "peer -> router LAN v6, UDP: no answer" "$(dnsq peer "$RLAN6" "vic.$DOMAIN" A)" timeout
t_is "peer -> router LAN v6, TCP: no answer" "$(dnsq peer "$RLAN6" "vic.$DOMAIN" A tcp)" timeout
sb_peer_exec ip route add 192.168.254.0/24 via "$RLAN4"
sb_peer_exec ip route add 192.168.253.0/24 via "$RLAN4"
t_is "peer -> the router's guest-link address through the uplink: no answer" "$(dnsq peer "$R4" "vic.$DOMAIN")" timeout
t_is "peer -> the router's host-link address through the uplink: no answer" "$(dnsq peer "$RHOST4" "vic.$DOMAIN")" timeout
t_ok "the router's input drop counter moved" test "$(router_counter "input dropped")" -gt "$before"
t_ok "no query from the LAN reached dnsmasq on any router address" \
	not grep_out "$RLAN4|$RLAN6" in_router ss -Hntu state all '( sport = :53 )'
sb_peer_exec ip route del 192.168.254.0/24
sb_peer_exec ip route del 192.168.253.0/24

# ---- 4. the LAN's own domain is exempt only with two labels or more
UPLINK_CONF=$SB_STATE/router/rootfs/lxtg/run/dnsmasq.d/uplink.conf
t_is "control: the LAN's domain $SB_DOMAIN (from its DHCP) is exempt" "$(cat "$UPLINK_CONF")" "rebind-domain-ok=/$SB_DOMAIN/"
t_is "control: r10.$SB_DOMAIN resolves to its private address" "$(dnsq vic "$R4" "r10.$SB_DOMAIN")" "rcode=0 10.1.2.7"
# The LAN's DHCP server now hands out the domain "com"; the router's DHCP client renews.
# (The LAN's dnsmasq binds every address of br0 at start: the upstream server's is taken away
# meanwhile, and the upstream server restarted after.)
kill "$SB__DNSMASQ_PID" "$UP_PID"
sb_wait_for "LAN dnsmasq gone" 3000 not kill -0 "$SB__DNSMASQ_PID" 2>/dev/null
sb_wait_for "upstream DNS gone" 3000 not kill -0 "$UP_PID" 2>/dev/null
sb_lan_exec ip addr del "$UP/24" dev br0
SB_DOMAIN=com sb__start_dnsmasq
sb_wait_for "LAN dnsmasq back" 5000 sb__dnsmasq_ready || t_bail "LAN dnsmasq did not restart"
sb_lan_exec ip addr add "$UP/24" dev br0 || t_bail "address for the upstream DNS server"
start_up_dns
sb_wait_for "upstream DNS back" 3000 grep_out "$UP:53 " sb_lan_exec ss -Hlnu || t_bail "upstream DNS did not restart"
router_udhcpc() { # the router's DHCP client: the udhcpc whose network namespace is the router's
	local p ns
	ns=$(readlink "/proc/$RPID/ns/net")
	for p in $(pgrep -f "udhcpc"); do [ "$(readlink "/proc/$p/ns/net" 2>/dev/null)" = "$ns" ] && echo "$p"; done
}
t_ok "the router's DHCP client renews" kill -USR1 "$(router_udhcpc)"
t_ok "the LAN's DHCP server handed out domain com" \
	sb_wait_for "renew with domain com" 5000 grep -q 'domain-name.*com\|com$' "$SB_TMP/lan-dnsmasq.log"
t_ok "a LAN domain 'com' is not exempted (uplink.conf has no rebind-domain-ok)" \
	sb_wait_for "uplink.conf rewritten" 5000 not grep -q rebind-domain-ok "$UPLINK_CONF"
sb_wait_for "dnsmasq back after the change" 5000 grep_out "rcode=0" dnsq vic "$R4" "managed.$DOMAIN"
got=$(dnsq vic "$R4" r10.evil.com)
t_ok "a LAN domain 'com': r10.evil.com gives no private address (got: $got)" not grep -q 10.1.2.6 <<<"$got"

# ---- 5. the operator's control: [dns] rebind_ok and rebind_protection
got=$(dnsq vic "$R4" r10.other.test)
t_ok "control: r10.other.test gives no private address (got: $got)" not grep -q 10.1.2.5 <<<"$got"
t_ok "up with rebind_ok = evil.test" sec_up desktop '[dns]' "upstream = $UP" 'rebind_ok = evil.test'
t_is "rebind_ok: r10.evil.test resolves to its private address" "$(dnsq vic "$R4" r10.evil.test)" "rcode=0 10.1.2.3"
t_is "rebind_ok: target.evil.test through a CNAME too" "$(dnsq vic "$R4" cname.evil.test | grep -o 10.9.9.9)" "10.9.9.9"
got=$(dnsq vic "$R4" r10.other.test)
t_ok "rebind_ok: a name outside the trusted domain still gives no private address (got: $got)" \
	not grep -q 10.1.2.5 <<<"$got"
t_ok "up with rebind_protection = off" sec_up desktop '[dns]' "upstream = $UP" 'rebind_protection = off'
t_is "protection off: r10.other.test resolves to its private address" "$(dnsq vic "$R4" r10.other.test)" "rcode=0 10.1.2.5"
t_ok "down" lx down
t_done
