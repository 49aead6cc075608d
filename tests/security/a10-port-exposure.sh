#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# A10 port-forward exposure (desktop mode). Guest "web" listens on 80 (forwarded as 8080)
# and on 22 (not forwarded); the host runs services on 127.0.0.1 (one on 8080, the same
# port as the forward) and on all of its addresses. From the LAN peer: only the forward
# answers, on the router's v4 and v6 LAN addresses. Unmapped router ports, the guest's own
# ports (even with routes to the guest and host networks through the router, and with a
# crafted packet to 127.0.0.1), and every host service stay unreachable; the host
# listeners never see a connection; the router's forward drop counter moves.
# shellcheck disable=SC2317 # helpers are called through t_ok / sb_wait_for
# shellcheck source=tests/security/lib.sh
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/security/lib.sh"

t_ok "up desktop" sec_up desktop || t_bail "up failed"
t_ok "guest web" sec_guest web || t_bail "guest web"
t_ok "port add web 8080:80" lx port add web 8080:80

cat >"$SB_TMP/listen.py" <<'PY'
# listen.py ADDR PORT REPLY LOG: accept TCP connections forever, answer REPLY, log each peer to LOG.
import socket, sys
addr, port, reply, log = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode(), sys.argv[4]
s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
if ":" in addr:
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.bind((addr, port))
s.listen(16)
open(log, "a").close()
while True:
    c, peer = s.accept()
    with open(log, "a") as f:
        f.write("%s\n" % (peer[0],))
    try:
        c.sendall(reply + b"\n")
    finally:
        c.close()
PY
cat >"$SB_TMP/probe.py" <<'PY'
# probe.py ADDR,PORT...: connect to each target at once (1.5 s); print "ADDR,PORT REPLY" or "ADDR,PORT -".
import socket, sys, threading
res = {}
def probe(t):
    a, p = t.rsplit(",", 1)
    try:
        s = socket.create_connection((a, int(p)), timeout=1.5)
        s.settimeout(1.5)
        res[t] = s.recv(100).decode().strip() or "-"
    except OSError:
        res[t] = "-"
th = [threading.Thread(target=probe, args=(t,)) for t in sys.argv[1:]]
[x.start() for x in th]
[x.join() for x in th]
print(" ".join("%s=%s" % (t, res[t]) for t in sys.argv[1:]))
PY
probe() { local w=$1; shift; case $w in peer) sb_peer_exec "$PY" "$SB_TMP/probe.py" "$@" ;; host) in_host "$PY" "$SB_TMP/probe.py" "$@" ;; esac; }
listening() { grep_out ":$2 " "${@:3}" ss -Hltn; }

# ---- services
sec_bg web "$PY" "$SB_TMP/listen.py" :: 80 web-80 "$SB_TMP/web80.log"
sec_bg web "$PY" "$SB_TMP/listen.py" :: 22 web-22 "$SB_TMP/web22.log"
sec_bg host "$PY" "$SB_TMP/listen.py" 127.0.0.1 8080 host-lo-8080 "$SB_TMP/hostlo8080.log"
sec_bg host "$PY" "$SB_TMP/listen.py" 127.0.0.1 9999 host-lo-9999 "$SB_TMP/hostlo9999.log"
sec_bg host "$PY" "$SB_TMP/listen.py" :: 9998 host-any-9998 "$SB_TMP/hostany.log"
t_ok "web listens on 80 and 22" sb_wait_for "web listeners" 3000 sh -c "test -e '$SB_TMP/web80.log' && test -e '$SB_TMP/web22.log'"
t_ok "the host listens on 127.0.0.1:8080, 127.0.0.1:9999 and *:9998" \
	sb_wait_for "host listeners" 3000 sh -c "test -e '$SB_TMP/hostlo8080.log' -a -e '$SB_TMP/hostlo9999.log' -a -e '$SB_TMP/hostany.log'"

# ---- positive control
t_is "control: peer reaches the forward on the router's LAN v4 and v6 addresses" \
	"$(probe peer "$RLAN4,8080" "$RLAN6,8080")" "$RLAN4,8080=web-80 $RLAN6,8080=web-80"
t_is "control: the host reaches the forward and its own loopback services" \
	"$(probe host "$RHOST4,8080" 127.0.0.1,8080 127.0.0.1,9999)" "$RHOST4,8080=web-80 127.0.0.1,8080=host-lo-8080 127.0.0.1,9999=host-lo-9999"
t_is "control: web's port 22 answers inside the guest" "$(in_guest web "$PY" "$SB_TMP/probe.py" "${G4[web]},22")" "${G4[web]},22=web-22"
: >"$SB_TMP/hostlo8080.log"
: >"$SB_TMP/hostlo9999.log"
: >"$SB_TMP/hostany.log"
: >"$SB_TMP/web22.log"

# ---- from the LAN: only 8080 answers
before=$(router_counter "forward dropped")
t_is "LAN -> router: unmapped ports (22, 80, 9999, 9998) and the host-loopback port give nothing" \
	"$(probe peer "$RLAN4,22" "$RLAN4,80" "$RLAN4,9999" "$RLAN4,9998" "$RLAN6,22" "$RLAN6,9999")" \
	"$RLAN4,22=- $RLAN4,80=- $RLAN4,9999=- $RLAN4,9998=- $RLAN6,22=- $RLAN6,9999=-"
sb_peer_exec ip route add 192.168.254.0/24 via "$RLAN4"
sb_peer_exec ip route add 192.168.253.0/24 via "$RLAN4"
sb_peer_exec ip -6 route add fd00:aaaa:254::/64 via "$RLAN6"
sb_peer_exec ip -6 route add fd00:aaaa:253::/64 via "$RLAN6"
t_is "LAN -> guest directly (routed through the router): web:80 and web:22 give nothing" \
	"$(probe peer "${G4[web]},80" "${G4[web]},22" "${G6[web]},80" "${G6[web]},22")" \
	"${G4[web]},80=- ${G4[web]},22=- ${G6[web]},80=- ${G6[web]},22=-"
t_is "LAN -> host services through the router (host link, router host-link address) give nothing" \
	"$(probe peer "$HOST4,9998" "$HOST4,8080" fd00:aaaa:253::253,9998 "$RHOST4,9999")" \
	"$HOST4,9998=- $HOST4,8080=- fd00:aaaa:253::253,9998=- $RHOST4,9999=-"
# A crafted SYN to 127.0.0.1 (and ::1) sent to the router's uplink MAC.
rmac0=$(router_mac eth0)
sec_py peer "$rmac0" "$SB_PEER_V4" "$SB_PEER_V6" 2>/dev/null <<'PY'
import sys
from scapy.all import Ether, IP, IPv6, TCP, sendp, conf
conf.verb = 0
rmac, p4, p6 = sys.argv[1:4]
f = [Ether(dst=rmac) / IP(src=p4, dst="127.0.0.1") / TCP(sport=40000 + i, dport=port, flags="S")
     for i, port in enumerate((9999, 8080, 22))]
f += [Ether(dst=rmac) / IPv6(src=p6, dst="::1") / TCP(sport=41000 + i, dport=port, flags="S")
      for i, port in enumerate((9999, 8080, 22))]
sendp(f, iface="eth0", count=2)
PY
sleep 0.5
t_is "no LAN connection reached the host's listeners" \
	"$(cat "$SB_TMP/hostlo8080.log" "$SB_TMP/hostlo9999.log" "$SB_TMP/hostany.log")" ""
t_is "no LAN connection reached web's unmapped port" "$(cat "$SB_TMP/web22.log")" ""
t_ok "the router's forward drop counter moved" test "$(router_counter "forward dropped")" -gt "$before"
t_is "route_localnet is off in the host" "$(in_host sysctl -n net.ipv4.conf.all.route_localnet)" 0
t_is "route_localnet is off in the router" "$(in_router cat /proc/sys/net/ipv4/conf/all/route_localnet)" 0
t_is "control again: the forward still answers" "$(probe peer "$RLAN4,8080")" "$RLAN4,8080=web-80"
t_ok "... and web saw the LAN connection" test -s "$SB_TMP/web80.log"
sec_kill_bg
t_ok "down" lx down
t_done
