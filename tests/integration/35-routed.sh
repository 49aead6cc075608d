#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# attach = routed (WLAN-style uplinks without macvlan): the router's uplink is
# the host link; the host proxies ARP/NDP for server-mode guests on its NIC and
# masquerades in desktop mode. `down` gives the host back as it was.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/sandbox.sh"
sb_require
BIN=${LXTG_BIN:-$top_srcdir/lxctogo-net}
[ -x "$BIN" ] || t_skip_all "lxctogo-net not built ($BIN)"
sb_init

# The router asks the LAN's resolver directly, never this machine's.
printf '[network]\nuplink = eth0\nattach = routed\n[dns]\nupstream = %s\n' "$SB_LAN_V4" >"$SB_CONF"
. "$top_srcdir/tests/lib/lxtg.sh"

t_ok "the host's NIC has its own LAN lease" sb_host_dhcp eth0
has_slaac() { sb_host_exec ip -6 route | grep -q '^default'; }
t_ok "... and its IPv6 default route" sb_wait_for "host RA" 5000 has_slaac
before=$(host_state)
t_ok "up server (routed)" lx up server
t_ok "the router has no uplink link of its own" not in_router ip link show eth0
t_ok "no macvlan exists on the host" not grep_out macvlan sb_host_exec ip -d link
HMAC=$(sb_host_exec ip -br link show eth0 | awk '{print $3}')

sb_make_guest web || t_bail "make guest web"
t_ok "web starts" sb_start_guest web
t_ok "guest add web" lx guest add web
WEB4=$(json_field web ipv4) WEB6=$(json_field web ipv6)
t_is "web got the first pool address" "$WEB4" 192.0.2.100
t_ok "peer pings web's pool address" sb_peer_exec ping -c1 -W2 "$WEB4"
t_is "peer's neighbour entry for web is the host NIC's MAC" "$(peer_neigh "$WEB4")" "$HMAC"
has6() { sb_guest_exec web ip -6 addr show dev eth0 | grep -q "$WEB6/64"; }
t_ok "web took its SLAAC address in the LAN prefix" sb_wait_for "web SLAAC" 5000 has6
t_ok "peer pings web's LAN IPv6 address" sb_wait_for "peer -> web v6" 5000 sb_peer_exec ping -6 -c1 -W1 "$WEB6"
t_is "peer's neighbour entry for web's IPv6 is the host NIC's MAC" "$(peer_neigh "$WEB6")" "$HMAC"
t_ok "an unassigned pool address gets no answer" not sb_peer_exec ping -c1 -W1 192.0.2.116

sb_lan_exec timeout 5 tcpdump -n -l -i br0 -c 1 "icmp and dst host $SB_LAN_V4" >"$SB_TMP/cap" 2>"$SB_TMP/cap.err" &
cap=$!
sb_wait_for "tcpdump to listen" 3000 grep -q "listening on" "$SB_TMP/cap.err"
t_ok "web reaches the LAN router" sb_guest_exec web ping -c1 -W2 "$SB_LAN_V4"
wait "$cap"
t_ok "the LAN sees web's own address (no NAT)" grep -q "IP $WEB4 > $SB_LAN_V4" "$SB_TMP/cap"

# A stock guest with a DHCP client (LXC's busybox template, unchanged): the router has no lease
# of its own here, so `up` took the LAN's netmask and gateway from the host's NIC for the pool.
if [ -x /usr/share/lxc/templates/lxc-busybox ]; then
	t_ok "lxc-create -t busybox bb" sb_host_exec lxc-create -P "$SB_LXCPATH" -n bb -t busybox -q
	t_ok "guest add bb" lx guest add bb
	BB4=$(json_field bb ipv4)
	HLEN=$(sb_host_exec ip -4 -o addr show dev eth0 | awk '{ split($4, a, "/"); print a[2]; exit }')
	t_ok "bb's LXC lines say the host NIC's netmask and the LAN's gateway" \
		grep -qx "lxc.net.0.ipv4.address = $BB4/$HLEN" "$SB_LXCPATH/bb/config"
	bb_v4() { nsenter -t "$(sb_lxc info bb -pH)" -n ip -4 -br addr show dev eth0 | awk '{ $1 = $2 = ""; print }' | xargs; }
	bb_up() { [ "$(bb_v4)" = "$BB4/$HLEN" ]; }
	bb_leased() { grep -q " $BB4 " "$SB_STATE/router/rootfs/lxtg/state/dnsmasq.leases"; }
	t_ok "bb starts" sb_start_guest bb
	t_ok "bb leases its pool address from the router (udhcpc, the template's script)" \
		sb_wait_for "bb's lease" 15000 bb_up || t_diag "bb has: $(bb_v4)"
	t_ok "the router's lease file holds it" bb_leased
	t_is "bb's default route is the LAN's gateway" \
		"$(nsenter -t "$(sb_lxc info bb -pH)" -n ip -4 route show default | awk '{ print $3 }')" "$SB_LAN_V4"
	t_ok "the LAN peer pings bb" sb_wait_for "peer -> bb" 5000 sb_peer_exec ping -c1 -W1 "$BB4"
	t_ok "bb pings the LAN peer" sb_guest_exec bb ping -c1 -W1 "$SB_PEER_V4"
	t_ok "bb stops" sb_stop_guest bb
	t_ok "guest del bb" lx guest del bb
fi

t_ok "guest del web" lx guest del web
t_ok "peer can no longer reach web's address" not sb_peer_exec ping -c1 -W1 "$WEB4"
t_ok "no proxy entry is left on the host NIC" not grep_out "$WEB4" sb_host_exec ip neigh show proxy

# ---- desktop over the routed uplink: double NAT out of the host
t_ok "up desktop (routed)" lx up desktop
t_ok "guest add web again" lx guest add web
lease() { sb_guest_exec web udhcpc -i eth0 -q -n -t 5 >/dev/null 2>&1 && sb_guest_exec web cat /run/dhcp.eth0; }
t_ok "web leases a private address" grep_out "ip='192.168.254." lease
sb_lan_exec timeout 5 tcpdump -n -l -i br0 -c 1 "icmp and dst host $SB_LAN_V4" >"$SB_TMP/cap" 2>"$SB_TMP/cap.err" &
cap=$!
sb_wait_for "tcpdump to listen" 3000 grep -q "listening on" "$SB_TMP/cap.err"
t_ok "web reaches the LAN through router and host" sb_guest_exec web ping -c1 -W2 "$SB_LAN_V4"
wait "$cap"
HOST4=$(sb_host_exec ip -4 -br addr show dev eth0 | awk '{print $3}' | cut -d/ -f1)
t_ok "the LAN sees the host's address (masquerade)" grep -q "IP $HOST4 > $SB_LAN_V4" "$SB_TMP/cap"
printf '#!/bin/sh\necho web-says-hi\n' >"$SB_LXCPATH/web/rootfs/srv-hi" && chmod +x "$SB_LXCPATH/web/rootfs/srv-hi"
sb_guest_exec web sh -c 'setsid sh -c "while :; do nc -l -p 80 -e /srv-hi; done" </dev/null >/dev/null 2>&1 &'
t_ok "port add web 8080:80" lx port add web 8080:80
fetch() { sb_peer_exec timeout 3 busybox nc "$1" "$2" </dev/null 2>/dev/null; }
t_is "peer reaches web through the host's LAN address" "$(fetch "$HOST4" 8080)" web-says-hi
t_is "an unmapped port on the host stays closed" "$(fetch "$HOST4" 8081)" ""
t_ok "port del web 8080" lx port del web 8080
t_is "after port del the port is closed again" "$(fetch "$HOST4" 8080)" ""
t_ok "the router forwards DNS to its upstream (NXDOMAIN from the LAN's server)" \
	grep_out NXDOMAIN sb_guest_exec web nslookup nosuchname.lan.test 192.168.254.254

# A running guest keeps its own veth across down; stop it to compare the host exactly.
t_ok "web stops" sb_stop_guest web
t_ok "down" lx down
t_is "the host is as it was before up (links, addresses, routes, proxies, nft, sysctls)" "$(host_state)" "$before"
t_done
