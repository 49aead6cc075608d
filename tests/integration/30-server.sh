#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Server mode: guests are LAN citizens through exact proxy ARP / proxy NDP,
# without NAT, behind the router's filters.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/sandbox.sh"
sb_require
BIN=${LXTG_BIN:-$top_srcdir/lxctogo-net}
[ -x "$BIN" ] || t_skip_all "lxctogo-net not built ($BIN)"
sb_init

printf '[network]\nuplink = eth0\n[server]\nipv4_pool = 192.0.2.100-192.0.2.120\n' >"$SB_CONF"
. "$top_srcdir/tests/lib/lxtg.sh"
proxies() { in_router ip neigh show proxy; in_router ip -6 neigh show proxy; }

t_ok "up server" lx up server
RMAC=$(in_router ip -br link show eth0 | awk '{print $3}')
sb_make_guest web || t_bail "make guest web"
sb_make_guest db || t_bail "make guest db"
t_ok "web starts" sb_start_guest web
t_ok "guest add web (running)" lx guest add web
t_ok "guest add db (stopped)" lx guest add db
t_ok "db starts with its static LAN address from the LXC config" sb_start_guest db
WEB4=$(json_field web ipv4) WEB6=$(json_field web ipv6) DB4=$(json_field db ipv4)
t_is "web got the first pool address" "$WEB4" 192.0.2.100
t_is "db got the next one" "$DB4" 192.0.2.101
t_ok "web's IPv6 is in the LAN's /64" grep_out '^2001:db8:1:' echo "$WEB6"
t_is "status says both are published" "$(lx -j status | python3 -c 'import json,sys; print(",".join(str(x.get("published")) for x in json.load(sys.stdin) if x["kind"]=="guest"))')" "True,True"

# ---- peer reaches the guests directly, the router answers ARP/NDP for them
t_ok "peer pings web's pool address" sb_peer_exec ping -c1 -W2 "$WEB4"
t_ok "peer pings db's pool address" sb_peer_exec ping -c1 -W2 "$DB4"
has6() { sb_guest_exec web ip -6 addr show dev eth0 | grep -q "$WEB6/64"; }
t_ok "web took its recorded SLAAC address from the router's RA" sb_wait_for "web SLAAC" 5000 has6
t_ok "peer pings web's LAN IPv6 address" sb_wait_for "peer -> web v6" 5000 sb_peer_exec ping -6 -c1 -W1 "$WEB6"
t_is "peer's neighbour entry for web's IPv4 is the router's MAC" "$(peer_neigh "$WEB4")" "$RMAC"
t_is "peer's neighbour entry for web's IPv6 is the router's MAC" "$(peer_neigh "$WEB6")" "$RMAC"
t_ok "an unassigned pool address gets no ARP answer" not sb_peer_exec ping -c1 -W1 192.0.2.115
t_ok "... and no neighbour entry on peer" not grep_out lladdr sb_peer_exec ip neigh show 192.0.2.115

# ---- no NAT: the LAN sees the guest's own address, the guest sees the peer's
sb_lan_exec timeout 5 tcpdump -n -l -i br0 -c 1 "icmp and dst host $SB_LAN_V4" >"$SB_TMP/cap" 2>"$SB_TMP/cap.err" &
cap=$!
sb_wait_for "tcpdump to listen" 3000 grep -q "listening on" "$SB_TMP/cap.err"
t_ok "web reaches the LAN router" sb_guest_exec web ping -c1 -W2 "$SB_LAN_V4"
wait "$cap"
t_ok "the LAN sees web's own source address" grep -q "IP $WEB4 > $SB_LAN_V4" "$SB_TMP/cap"

# ---- filtering stays on: only exposed ports are reachable from the LAN
printf '#!/bin/sh\necho hello\n' >"$SB_LXCPATH/web/rootfs/srv-hi"
chmod +x "$SB_LXCPATH/web/rootfs/srv-hi"
sb_guest_exec web sh -c 'setsid sh -c "while :; do nc -l -p 80 -e /srv-hi; done" </dev/null >/dev/null 2>&1 &'
fetch() { sb_peer_exec timeout 3 busybox nc "$1" 80 </dev/null 2>/dev/null; }
t_is "inbound = ports: web:80 is closed to the LAN before it is exposed" "$(fetch "$WEB4")" ""
t_ok "port add web 80:80 exposes it" lx port add web 80:80
nsenter -t "$(sb_lxc info web -pH)" -n timeout 5 tcpdump -n -l -i eth0 -c 1 "tcp dst port 80 and tcp[tcpflags] & tcp-syn != 0" >"$SB_TMP/cap80" 2>"$SB_TMP/cap80.err" &
cap=$!
sb_wait_for "tcpdump to listen" 3000 grep -q "listening on" "$SB_TMP/cap80.err"
t_ok "peer reaches web:80 on its LAN address" grep_out hello fetch "$WEB4"
wait "$cap"
t_ok "the connection reaches web from peer's real address" grep -q "IP $SB_PEER_V4\.[0-9]* > $WEB4.80" "$SB_TMP/cap80"
t_is "db's port 80 stays closed" "$(fetch "$DB4")" ""

# ---- an address already in use on the LAN is refused
sb_peer_exec ip addr add 192.0.2.110/24 dev eth0
sb_make_guest taken || t_bail "make guest taken"
snap=$(cat "$SB_STATE/guests")
err=$(lx guest add taken --ipv4 192.0.2.110 2>&1); rc=$?
t_is "guest add with an address peer already uses exits 2" "$rc" 2
t_ok "... saying it is in use on the LAN" grep_out "in use on the LAN" echo "$err"
t_is "... and leaves the registry unchanged" "$(cat "$SB_STATE/guests")" "$snap"
sb_peer_exec ip addr del 192.0.2.110/24 dev eth0

# ---- guest del withdraws the proxy at once
t_ok "guest del db" lx guest del db
t_ok "peer can no longer reach db's address" not sb_peer_exec ping -c1 -W1 "$DB4"
t_ok "no proxy entry is left for db" not grep_out "$DB4" proxies
t_ok "no host route is left for db" not grep_out "$DB4" in_router ip route

# ---- up repairs: proxies survive a flush
in_router ip neigh flush proxy 2>/dev/null; in_router ip neigh del proxy "$WEB4" dev eth0 2>/dev/null
t_ok "up again" lx up server
t_ok "web's proxy entry is back" grep_out "$WEB4" proxies
t_ok "peer pings web again" sb_peer_exec ping -c1 -W2 "$WEB4"

# ---- switching modes converges without leftovers
t_ok "up desktop" lx up desktop
t_is "desktop: no proxy entries in the router" "$(proxies)" ""
t_ok "desktop: no host routes to pool addresses" not grep_out "192.0.2.1[0-2][0-9] dev eth1" in_router ip route
t_ok "desktop: radvd advertises the private prefix again" grep_out fd00:aaaa:254:: cat "$SB_STATE/router/rootfs/etc/lxtg/radvd.conf"
t_ok "up server" lx up server
t_ok "server again: web published" grep_out "$WEB4" proxies
t_ok "down" lx down
t_done
