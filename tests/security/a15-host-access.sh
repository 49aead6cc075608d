#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# A15 the host behind the guests. The host runs services on wildcard addresses (TCP 2222 and
# 8080, UDP 5353, v4 and v6), as sshd, a dev server or mDNS would. With the default
# [network] host_access = none, guest "vic" opens none of them, over IPv4 or IPv6, while it
# pings the host, resolves names and leases from the router, and the host opens connections
# to vic. host_access = tcp/2222 opens exactly that port; host_access = all opens everything.
# The router's host_access counter counts what was refused.
# shellcheck disable=SC2317 # helpers are called through t_ok / sb_wait_for
# shellcheck source=tests/security/lib.sh
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/security/lib.sh"

HOST6=fd00:aaaa:253::253

cat >"$SB_TMP/svc.py" <<'PY'
# svc.py PROTO PORT: answer every TCP connection / UDP datagram with "SVC-<port>", on :: (v4 too).
import socket, sys
proto, port = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::", port))
if proto == "tcp":
    s.listen(16)
while True:
    if proto == "tcp":
        c, _ = s.accept()
        c.sendall(b"SVC-%d" % port)
        c.close()
    else:
        d, a = s.recvfrom(2048)
        s.sendto(b"SVC-%d" % port, a)
PY
cat >"$SB_TMP/ask.py" <<'PY'
# ask.py PROTO ADDR PORT: print what the service answers (1 s), exit 1 without an answer.
import socket, sys
proto, addr, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
try:
    if proto == "tcp":
        s = socket.create_connection((addr, port), timeout=1)
        print(s.recv(64).decode())
    else:
        s = socket.socket(fam, socket.SOCK_DGRAM)
        s.settimeout(1)
        s.sendto(b"?", (addr, port))
        print(s.recvfrom(64)[0].decode())
except OSError:
    sys.exit(1)
PY
# opens WHO PROTO ADDR PORT: WHO (a guest, or "host") gets the service's answer.
opens() {
	local out
	if [ "$1" = host ]; then out=$(in_host "$PY" "$SB_TMP/ask.py" "$2" "$3" "$4"); else
		out=$(in_guest "$1" "$PY" "$SB_TMP/ask.py" "$2" "$3" "$4"); fi
	[ "$out" = "SVC-$4" ]
}

t_ok "up desktop (host_access at its default)" sec_up desktop || t_bail "up failed"
t_ok "guest vic" sec_guest vic || t_bail "guest vic"
for svc in "tcp 2222" "tcp 8080" "udp 5353"; do
	# shellcheck disable=SC2086 # two words on purpose
	sec_bg host "$PY" "$SB_TMP/svc.py" $svc
done
sec_bg vic "$PY" "$SB_TMP/svc.py" tcp 7001
sb_wait_for "host services" 3000 grep_out ':2222 ' in_host ss -Hltn || t_bail "host service"
sb_wait_for "guest service" 3000 grep_out ':7001 ' in_guest vic ss -Hltn || t_bail "guest service"
t_ok "the host's services listen on the wildcard address" grep_out '(\*|\[::\]):8080 ' in_host ss -Hltn

# ---- positive controls
t_ok "control: the host itself reaches its service on its host-link address" opens host tcp "$HOST4" 2222
t_ok "control: the host opens a connection to vic (v4)" opens host tcp "${G4[vic]}" 7001
t_ok "control: the host opens a connection to vic (v6)" opens host tcp "${G6[vic]}" 7001
t_ok "control: vic pings the host (v4)" pings vic "$HOST4"
t_ok "control: vic pings the host (v6)" pings vic "$HOST6"
t_is "control: vic resolves through the router" "$(dnsq vic "$R4" "managed.$DOMAIN")" "rcode=0 $R4"
t_ok "control: vic leases from the router" grep_out "ip='${G4[vic]}'" lease vic
t_ok "control: vic reaches the LAN peer" pings vic "$SB_PEER_V4"

# ---- host_access = none (default)
before=$(rcounter host_access)
t_ok "none: vic cannot open tcp/2222 on the host (v4)" not opens vic tcp "$HOST4" 2222
t_ok "none: vic cannot open tcp/2222 on the host (v6)" not opens vic tcp "$HOST6" 2222
t_ok "none: vic cannot open tcp/8080 on the host" not opens vic tcp "$HOST4" 8080
t_ok "none: vic gets no answer from udp/5353 on the host" not opens vic udp "$HOST4" 5353
t_ok "none: the host_access counter moved by the attempts (>= 4)" test "$(rcounter host_access)" -ge $((before + 4))
t_ok "none: the host still opens connections to vic" opens host tcp "${G4[vic]}" 7001

# ---- host_access = tcp/2222
t_ok "up with host_access = tcp/2222" sec_up desktop 'host_access = tcp/2222'
t_ok "tcp/2222: vic opens tcp/2222 on the host (v4)" opens vic tcp "$HOST4" 2222
t_ok "tcp/2222: vic opens tcp/2222 on the host (v6)" opens vic tcp "$HOST6" 2222
t_ok "tcp/2222: vic still cannot open tcp/8080" not opens vic tcp "$HOST4" 8080
t_ok "tcp/2222: vic still gets no answer from udp/5353" not opens vic udp "$HOST4" 5353

# ---- host_access = all
t_ok "up with host_access = all" sec_up desktop 'host_access = all'
t_ok "all: vic opens tcp/8080 on the host" opens vic tcp "$HOST4" 8080
t_ok "all: vic gets an answer from udp/5353 on the host" opens vic udp "$HOST4" 5353

# ---- and back
t_ok "up with host_access = none again" sec_up desktop 'host_access = none'
t_ok "none again: vic cannot open tcp/2222" not opens vic tcp "$HOST4" 2222

sec_kill_bg
t_ok "down" lx down
t_done
