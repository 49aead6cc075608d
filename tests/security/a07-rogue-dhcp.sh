#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# A7 rogue DHCP server and DHCP starvation. Guest "evil" runs a real dnsmasq as DHCPv4 and
# DHCPv6 server; guests "vic" and "web" keep getting their reserved leases from the router
# only, and the rogue_dhcp counter moves. Then evil attacks the router's DHCP server as a
# client (scapy, its own MAC, so the MAC guard passes): DHCPDECLINE/RELEASE in web's name,
# and starvation (a REQUEST for every address of the range, each with a random chaddr).
# Registered guests keep their reserved leases, the lease table only ever holds
# registered guests, and a guest added after the attack still gets an address and a lease.
# shellcheck disable=SC2317 # helpers are called through t_ok / sb_wait_for
# shellcheck source=tests/security/lib.sh
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/security/lib.sh"

t_ok "up desktop" sec_up desktop || t_bail "up failed"
t_ok "guest evil" sec_guest evil || t_bail "guest evil"
t_ok "guest vic" sec_guest vic || t_bail "guest vic"
t_ok "guest web" sec_guest web || t_bail "guest web"
sb_make_guest late || t_bail "make guest late"

lease_from_router() { # lease_from_router GUEST: a fresh DHCP exchange gives GUEST its reserved address from the router
	local out
	LAST_LEASE="no lease"
	out=$(lease "$1") || return 1
	LAST_LEASE=$(grep -E '^(ip|serverid|router)=' <<<"$out" | tr '\n' ' ')
	grep -q "^ip='${G4[$1]}'$" <<<"$out" && grep -q "^serverid='$R4'$" <<<"$out" && grep -q "^router='$R4'$" <<<"$out"
}
# lease_check DESC GUEST: t_ok on lease_from_router, showing what the guest got when it fails.
lease_check() { t_ok "$1" lease_from_router "$2" || t_diag "$2 got: $LAST_LEASE"; }
# lease_macs: the MACs in the router's lease table, sorted; registered: the guests' MACs.
lease_macs() { lease_file | awk '{ print $2 }' | sort -u; }
registered_macs() { lx -j guest list | "$PY" -c 'import json,sys; print("\n".join(sorted(g["mac"] for g in json.load(sys.stdin))))'; }

lease_check "control: vic leases its reserved address from the router" vic
lease_check "control: web leases its reserved address from the router" web

# ---- rogue DHCPv4 + DHCPv6 server (dnsmasq) in evil
before=$(counter rogue_dhcp)
sec_bg evil dnsmasq --keep-in-foreground --user=root --group=root --conf-file=/dev/null --no-resolv --no-hosts \
	--port=0 --no-ping --interface=eth0 --bind-interfaces --dhcp-authoritative --log-dhcp \
	--log-facility="$SB_TMP/rogue-dhcp.log" --dhcp-leasefile="$SB_TMP/rogue.leases" --pid-file="$SB_TMP/rogue.pid" \
	--dhcp-range=192.168.254.30,192.168.254.40,1h --dhcp-option=option:router,"${G4[evil]}" \
	--dhcp-option=option:dns-server,"${G4[evil]}" --dhcp-range=fd00:aaaa:254::1000,fd00:aaaa:254::1fff,64,1h
rogue=$SEC_BG_PID
sb_wait_for "rogue dnsmasq" 3000 grep_out ':67 ' in_guest evil ss -Hlnu
lease_check "rogue DHCPv4: vic still leases its reserved address from the router" vic
t_ok "rogue DHCPv4: the rogue server did offer (its log)" grep -q 'DHCPOFFER' "$SB_TMP/rogue-dhcp.log"
t_ok "rogue DHCPv4: the rogue_dhcp counter moved" counter_above rogue_dhcp "$before"

# DHCPv6: vic solicits (scapy); the rogue server's ADVERTISE echoes vic's DUID, which carries the marker.
marker=LXTG-A7-$$
before=$(counter rogue_dhcp)
sniff_start vic vic eth0 "$marker"
sec_py vic "${GMAC[vic]}" "${GLL[vic]}" "$marker" 2>/dev/null <<'PY'
import sys, time
from scapy.all import (Ether, IPv6, UDP, DHCP6_Solicit, DHCP6OptClientId, DUID_EN, DHCP6OptIA_NA,
    DHCP6OptElapsedTime, sendp, conf)
conf.verb = 0
vmac, vll, marker = sys.argv[1:4]
for i in range(3):
    sendp(Ether(src=vmac, dst="33:33:00:01:00:02") / IPv6(src=vll, dst="ff02::1:2") / UDP(sport=546, dport=547) /
          DHCP6_Solicit(trid=0x1234 + i) / DHCP6OptClientId(duid=DUID_EN(enterprisenum=32473, id=marker.encode())) /
          DHCP6OptElapsedTime() / DHCP6OptIA_NA(iaid=7), iface="eth0")
    time.sleep(0.3)
PY
t_is "rogue DHCPv6: no ADVERTISE reached vic" "$(sniff_stop vic)" 0
t_ok "rogue DHCPv6: the rogue server did advertise (its log)" grep -q 'DHCPADVERTISE' "$SB_TMP/rogue-dhcp.log"
t_ok "rogue DHCPv6: the rogue_dhcp counter moved" counter_above rogue_dhcp "$before"
t_ok "rogue DHCPv6: vic has no address from the rogue range" not grep_out 'fd00:aaaa:254::1[0-9a-f]{3}' in_guest vic ip -6 addr
kill "$rogue"

# ---- the guard's fast path ends where the DHCP checks begin: UDP from port 67 is a DHCP
# server's, whatever its destination port; from any other port it is plain traffic. evil sends
# both to vic from its own MAC and address (scapy), with a marker that vic counts.
# udp_to_vic SPORT MARKER: five datagrams from evil (port SPORT) to vic's port 9.
udp_to_vic() {
	sec_py evil "${GMAC[evil]}" "${G4[evil]}" "${GMAC[vic]}" "${G4[vic]}" "$1" "$2" 2>/dev/null <<'PY'
import sys
from scapy.all import Ether, IP, UDP, Raw, sendp, conf
conf.verb = 0
emac, src, vmac, dst, sport, marker = sys.argv[1:7]
sendp([Ether(src=emac, dst=vmac) / IP(src=src, dst=dst) / UDP(sport=int(sport), dport=9) /
       Raw(marker.encode())] * 5, iface="eth0", inter=0.05)
PY
}
marker=LXTG-A7-UDP-$$
sniff_start plain vic eth0 "$marker"
udp_to_vic 1067 "$marker"
t_is "control: UDP from port 1067 reaches vic (5 sent)" "$(sniff_stop plain)" 5
marker=LXTG-A7-S67-$$
before=$(counter rogue_dhcp)
sniff_start s67 vic eth0 "$marker"
udp_to_vic 67 "$marker"
t_is "UDP from port 67 to a port other than 68: none reaches vic" "$(sniff_stop s67)" 0
t_ok "... the rogue_dhcp counter moved by the 5 sent" counter_moved_by rogue_dhcp "$before" 5

# ---- DHCP messages in another guest's name: DECLINE and RELEASE of web's reserved address
# (dnsmasq would disable a declined static address for 10 minutes and drop a released lease)
sec_py evil "${GMAC[evil]}" "${GMAC[web]}" "${G4[web]}" "$R4" 2>/dev/null <<'PY'
import sys, random
from scapy.all import Ether, IP, UDP, BOOTP, DHCP, sendp, conf, mac2str
conf.verb = 0
emac, wmac, wip, rip = sys.argv[1:5]
def msg(t, src, dst, ciaddr):
    return (Ether(src=emac, dst="ff:ff:ff:ff:ff:ff" if dst == "255.255.255.255" else None) /
            IP(src=src, dst=dst) / UDP(sport=68, dport=67) /
            BOOTP(chaddr=mac2str(wmac) + b"\0" * 10, ciaddr=ciaddr, xid=random.randrange(1 << 32)) /
            DHCP(options=[("message-type", t), ("server_id", rip), ("requested_addr", wip),
                          ("client_id", b"\x01" + mac2str(wmac)), "end"]))
sendp([msg("decline", "0.0.0.0", "255.255.255.255", "0.0.0.0")] * 2, iface="eth0")
PY
sleep 0.3
lease_check "DECLINE in web's name: web still leases its reserved address" web
t_ok "DECLINE in web's name: the lease table still has web's lease" grep_out "${GMAC[web]} ${G4[web]} " lease_file

# ---- starvation: a REQUEST for every address of the range, from random chaddrs (first half) and
# from evil's own chaddr with random client identifiers (second half)
before_vic=$(neigh_of in_router "${G4[vic]}")
# starve OWN|RANDOM FIRST LAST: a REQUEST for every address FIRST..LAST of the dynamic range, each
# from a new client: a random chaddr (RANDOM), or evil's own chaddr with a random client id (OWN).
starve() {
	sec_py evil "${GMAC[evil]}" "$2" "$3" "$R4" "$1" 2>/dev/null <<'PY'
import sys, random, time
from scapy.all import Ether, IP, UDP, BOOTP, DHCP, sendp, conf, mac2str, AsyncSniffer
conf.verb = 0
emac, first, last, rip, how = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
frames = []
for i in range(first, last + 1):
    rnd = bytes([0x02] + [random.randrange(256) for _ in range(5)])
    ch = mac2str(emac) if how == "OWN" else rnd
    frames.append(Ether(src=emac, dst="ff:ff:ff:ff:ff:ff") / IP(src="0.0.0.0", dst="255.255.255.255") /
                  UDP(sport=68, dport=67) / BOOTP(chaddr=ch + b"\0" * 10, xid=random.randrange(1 << 32), flags=0x8000) /
                  DHCP(options=[("message-type", "request"), ("server_id", rip),
                                ("requested_addr", "192.168.254.%d" % i), ("client_id", b"\xff" + rnd),
                                ("hostname", b"starve%d" % i), "end"]))
sn = AsyncSniffer(iface="eth0", filter="udp and src port 67")
sn.start()
time.sleep(0.5)
sendp(frames, iface="eth0", inter=0.002)
time.sleep(1)
sn.stop()
print(sum(1 for p in sn.results if DHCP in p and ("message-type", 5) in p[DHCP].options))
PY
}
acks=$(starve OWN 151 200)
t_diag "starvation (evil's chaddr, random client ids): the router acknowledged ${acks:-?} of 50 requests"
t_is "starvation (random client ids): the router's lease table holds one lease per registered guest at most" \
	"$(lease_file | awk '{ print $2 }' | sort | uniq -d | wc -l)" 0
acks=$(starve RANDOM 101 150)
t_diag "starvation (random chaddrs): the router acknowledged ${acks:-?} of 50 requests"
lease_check "starvation: vic still leases its reserved address from the router" vic
t_is "starvation: the router's lease table holds only registered guests' MACs" \
	"$(lease_macs | grep -cvxF -f <(registered_macs))" 0
t_ok "starvation: a guest added afterwards gets an address" lx guest add late
t_ok "starvation: ... and starts" sb_start_guest late
late4=$(guest_json late ipv4 2>/dev/null)
t_ok "starvation: ... and leases its address from the router" grep_out "^ip='${late4:-none}'$" lease late
t_is "the router's entry for vic is unchanged" "$(neigh_of in_router "${G4[vic]}")" "$before_vic"
t_ok "down" lx down
t_done
