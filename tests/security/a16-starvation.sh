#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# A16 one guest starves the others. With [guests] max_connections = 256 (new_connections high,
# so that the count alone limits), guest "evil" floods the LAN peer with hping3 SYNs from
# 3000 source ports to a port that the peer silently drops (bounded: 3000 packets), so every
# flow stays open in the router's connection tracking. The peer sees at most ~256 of them, the
# conn_limit counter moves, evil cannot open a new connection while at its limit, and guest
# "vic" keeps opening connections to the peer. Then evil floods the router's DNS (3000
# queries) and DHCP (200 DISCOVERs in its own name): dns_limit and dhcp_limit move, and vic
# still resolves and leases.
# shellcheck disable=SC2317 # helpers are called through t_ok / sb_wait_for
# shellcheck source=tests/security/lib.sh
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/security/lib.sh"

command -v hping3 >/dev/null || t_skip_all "hping3 is not installed"

t_ok "up desktop with max_connections = 256" \
	sec_up desktop '[guests]' 'max_connections = 256' 'new_connections = 100000' || t_bail "up failed"
t_ok "guest evil" sec_guest evil || t_bail "guest evil"
t_ok "guest vic" sec_guest vic || t_bail "guest vic"

cat >"$SB_TMP/svc.py" <<'PY'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 5555))
s.listen(64)
while True:
    c, _ = s.accept()
    c.sendall(b"SVC")
    c.close()
PY
cat >"$SB_TMP/connect.py" <<'PY'
# connect.py ADDR N: open N connections one after another; print how many got the answer.
import socket, sys
ok = 0
for _ in range(int(sys.argv[2])):
    try:
        s = socket.create_connection((sys.argv[1], 5555), timeout=1)
        ok += s.recv(8) == b"SVC"
        s.close()
    except OSError:
        pass
print(ok)
PY
sec_bg peer "$PY" "$SB_TMP/svc.py"
sb_wait_for "peer service" 3000 grep_out ':5555 ' sb_peer_exec ss -Hltn || t_bail "peer service"
# The peer drops SYNs to port 9 without an answer: each flow stays SYN_SENT in the router.
sb_peer_exec nft -f - <<'EOF' || t_bail "peer's drop rule"
table inet a16 {
	chain input {
		type filter hook input priority filter; policy accept;
		tcp dport 9 counter drop
	}
}
EOF
peer_syns() { sb_peer_exec nft list chain inet a16 input | awk '/counter packets/ { for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1) }'; }
connects() { in_guest "$1" "$PY" "$SB_TMP/connect.py" "$SB_PEER_V4" "$2"; }

# ---- positive control
t_is "control: vic opens 20 connections to the LAN peer" "$(connects vic 20)" 20
t_is "control: evil opens 20 connections to the LAN peer" "$(connects evil 20)" 20

# ---- connection flood (bounded: 3000 SYNs, ~0.6 s)
before=$(rcounter conn_limit)
in_guest evil hping3 -S -p 9 -c 3000 -i u200 -q "$SB_PEER_V4" >"$SB_TMP/hping.log" 2>&1
syns=$(peer_syns)
t_diag "evil sent 3000 SYNs; the peer saw $syns; conn_limit +$(($(rcounter conn_limit) - before))"
t_ok "flood: the conn_limit counter moved by more than 2000" test "$(rcounter conn_limit)" -gt $((before + 2000))
t_ok "flood: the peer saw no more than max_connections of evil's flows ($syns <= 300)" test "$syns" -le 300
t_ok "flood: the peer saw the flood (>= 200 SYNs: it was sent)" test "$syns" -ge 200
t_is "flood: evil, at its limit, opens no new connection" "$(connects evil 3)" 0
t_is "flood: vic still opens 20 connections to the LAN peer" "$(connects vic 20)" 20
t_ok "flood: vic still resolves through the router" grep_out "rcode=0 $R4" dnsq vic "$R4" "managed.$DOMAIN"

# ---- DNS flood (3000 queries as fast as a socket sends them)
before=$(rcounter dns_limit)
in_guest evil "$PY" - "$R4" <<'PY'
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
q = lambda i: struct.pack(">HHHHHH", i & 0xffff, 0x0100, 1, 0, 0, 0) + b"\x07managed\x04lxtg\x08internal\x00\x00\x01\x00\x01"
for i in range(3000):
    s.sendto(q(i), (sys.argv[1], 53))
PY
t_ok "DNS flood: the dns_limit counter moved by more than 2000" \
	sb_wait_for "dns_limit" 2000 test "$(rcounter dns_limit)" -gt $((before + 2000))
t_is "DNS flood: vic still resolves through the router" "$(dnsq vic "$R4" "managed.$DOMAIN")" "rcode=0 $R4"

# ---- DHCP flood (200 DISCOVERs in evil's own name, so that the guards pass them)
before=$(rcounter dhcp_limit)
sec_py evil "${GMAC[evil]}" 2>/dev/null <<'PY'
import sys
from scapy.all import Ether, IP, UDP, BOOTP, DHCP, sendp, conf
conf.verb = 0
mac = sys.argv[1]
ch = bytes(int(x, 16) for x in mac.split(":"))
p = (Ether(src=mac, dst="ff:ff:ff:ff:ff:ff") / IP(src="0.0.0.0", dst="255.255.255.255") /
     UDP(sport=68, dport=67) / BOOTP(chaddr=ch + b"\0" * 10, xid=0x1616) /
     DHCP(options=[("message-type", "discover"), "end"]))
sendp([p] * 200, iface="eth0")
PY
t_ok "DHCP flood: the dhcp_limit counter moved by more than 150" \
	sb_wait_for "dhcp_limit" 2000 test "$(rcounter dhcp_limit)" -gt $((before + 150))
t_ok "DHCP flood: vic still leases its address from the router" grep_out "ip='${G4[vic]}'" lease vic

sec_kill_bg
t_ok "down" lx down
t_done
