#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Server mode with a stock guest (issue: server mode for every guest OS, point 1). A container
# made by LXC's own busybox template, unchanged (its rcS runs udhcpc with the template's
# default.script), is added in server mode and started: it must lease its pool address from
# the router, with the LAN's netmask and gateway (which the router learned on its uplink) and
# the router as DNS server, and be reachable from the LAN on that address; a restart of the
# guest and a restart of the router keep it. A sandbox guest without a DHCP client keeps its
# static address from LXC's lines next to it: the same netmask and gateway as the lease, so
# that a DHCP client and LXC's lines never disagree. The pool then being full, a second template
# guest gets a private address by DHCP and reaches the LAN through NAT (mixed guests).
# shellcheck disable=SC2317 # helpers are called through t_ok / sb_wait_for
# shellcheck source=tests/lib/sandbox.sh
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/sandbox.sh"
sb_require
BIN=${LXTG_BIN:-$top_srcdir/lxctogo-net}
[ -x "$BIN" ] || t_skip_all "lxctogo-net not built ($BIN)"
[ -x /usr/share/lxc/templates/lxc-busybox ] || t_skip_all "LXC's busybox template is not installed"
sb_init

printf '[network]\nuplink = eth0\n[server]\nipv4_pool = 192.0.2.100-192.0.2.101\n' >"$SB_CONF"
. "$top_srcdir/tests/lib/lxtg.sh"
R4=192.168.254.254

t_ok "up server" lx up server
t_ok "lxc-create -t busybox (LXC's template, unchanged)" \
	sb_host_exec lxc-create -P "$SB_LXCPATH" -n bb -t busybox -q
t_ok "the template's rcS runs udhcpc" grep -q '^/bin/udhcpc' "$SB_LXCPATH/bb/rootfs/etc/init.d/rcS"
t_ok "guest add bb" lx guest add bb
BB4=$(json_field bb ipv4)
BBMAC=$(json_field bb mac)
t_is "bb got the first pool address" "$BB4" 192.0.2.100
# --private: a private address although the pool has one free (a guest that should not be on the LAN)
sb_make_guest pv || t_bail "make guest pv"
t_ok "guest add pv --private" lx guest add pv --private
t_ok "pv got a private address from dhcp_range, not the free 192.0.2.101" \
	grep_out '^192\.168\.254\.' json_field pv ipv4
t_is "--private with --ipv4: usage error" "$(lx guest add pv --private --ipv4 192.0.2.101 2>&1; echo "exit $?")" \
	"lxctogo-net: guest add: --ipv4 and --private exclude each other (--ipv4 with an address of guest_subnet is private too)
exit 2"
OUT=$(lx guest add bb --private 2>&1)
t_is "bb (a pool guest) added again with --private: refused" "$? $OUT" \
	"2 lxctogo-net: guest add: bb is already registered with other values (guest del it first)"
t_ok "guest del pv" lx guest del pv
sb_make_guest st || t_bail "make guest st (no DHCP client)"
t_ok "guest add st" lx guest add st
ST4=$(json_field st ipv4)

# bb_v4: bb's IPv4 addresses on eth0 (as ip -br shows them).
bb_pid() { sb_lxc info bb -pH; }
bb_v4() { nsenter -t "$(bb_pid)" -n ip -4 -br addr show dev eth0 | awk '{ $1 = $2 = ""; print }' | xargs; }
bb_route() { nsenter -t "$(bb_pid)" -n ip -4 route show default; }
leased() { grep -q " $BBMAC $BB4 " "$SB_STATE/router/rootfs/lxtg/state/dnsmasq.leases"; }
# bb_up: bb has its pool address with the LAN's /24 (from the lease, not the /32 of LXC's lines).
bb_up() { [ "$(bb_v4)" = "$BB4/24" ]; }

t_ok "bb starts" sb_start_guest bb
t_ok "st starts" sb_start_guest st
t_ok "bb leases its pool address from the router (udhcpc, the template's script)" \
	sb_wait_for "bb's lease" 15000 bb_up || t_diag "bb has: $(bb_v4); router log: $(grep -i dhcp "$SB_STATE/router/rootfs/run/dnsmasq.log" 2>/dev/null | tail -3)"
t_ok "the router's lease file holds bb's MAC and pool address" leased
t_is "bb's default route is the LAN's gateway" "$(bb_route | awk '{ print $3 }')" "$SB_LAN_V4"
t_ok "bb's resolv.conf names the router as DNS server" grep -q "^nameserver $R4$" "$SB_LXCPATH/bb/rootfs/etc/resolv.conf"
t_ok "bb's resolv.conf searches lxtg.internal" grep -q "^search lxtg.internal$" "$SB_LXCPATH/bb/rootfs/etc/resolv.conf"
t_ok "the LAN peer pings bb's pool address" sb_wait_for "peer -> bb" 5000 sb_peer_exec ping -c1 -W1 "$BB4"
t_ok "bb pings the LAN peer" sb_wait_for "bb -> peer" 5000 sb_guest_exec bb ping -c1 -W1 "$SB_PEER_V4"
t_ok "bb pings the LAN router" sb_guest_exec bb ping -c1 -W1 "$SB_LAN_V4"
t_ok "bb reaches st (a guest without DHCP, static /32) and back" sb_guest_exec bb ping -c1 -W1 "$ST4"
t_ok "st reaches bb" sb_guest_exec st ping -c1 -W1 "$BB4"
t_ok "st reaches the LAN peer with its static lines" sb_guest_exec st ping -c1 -W1 "$SB_PEER_V4"
st_pid() { sb_lxc info st -pH; }
t_is "st's static lines: the same netmask as bb's lease" \
	"$(nsenter -t "$(st_pid)" -n ip -4 -br addr show dev eth0 | awk '{ $1 = $2 = ""; print }' | xargs)" "$ST4/24"
t_is "st's static lines: the same default route as bb's lease" \
	"$(nsenter -t "$(st_pid)" -n ip -4 route show default | awk '{ print $3 }')" "$SB_LAN_V4"
t_ok "st's LXC config says the same" grep -qx "lxc.net.0.ipv4.address = $ST4/24" "$SB_LXCPATH/st/config"
t_ok "bb resolves the LAN's www.lan.test through the router" grep_out "$SB_WWW_V4" sb_guest_exec bb nslookup www.lan.test "$R4"
t_ok "bb resolves st.lxtg.internal through the router" grep_out "$ST4" sb_guest_exec bb nslookup st.lxtg.internal "$R4"
t_ok "the LAN sees bb's own address, not NAT (peer's neighbour entry for bb is the router's MAC)" \
	test -n "$(peer_neigh "$BB4")"

# ---- the guest restarts: the same address again
t_ok "bb stops" sb_stop_guest bb
t_ok "bb starts again" sb_start_guest bb
t_ok "bb leases its pool address again" sb_wait_for "bb's lease again" 15000 bb_up
t_ok "the LAN peer pings bb again" sb_wait_for "peer -> bb" 5000 sb_peer_exec ping -c1 -W1 "$BB4"

# ---- the router restarts: bb keeps its address and is reachable again
t_ok "the router is stopped" sb_lxc stop managed -k
t_ok "up restarts the router" lx up server
t_is "bb kept its address" "$(bb_v4)" "$BB4/24"
t_ok "the LAN peer pings bb after the router's restart" sb_wait_for "peer -> bb" 8000 sb_peer_exec ping -c1 -W1 "$BB4"
# A renewal goes to the new router (udhcpc -q is not used by the template: it keeps running).
t_ok "bb's renewal is acked by the new router" sb_wait_for "renewal" 10000 sh -c \
	"kill -USR1 \$(pgrep -f '^/bin/udhcpc' | while read -r p; do [ \"\$(readlink /proc/\$p/ns/net)\" = \"\$(readlink /proc/$(bb_pid)/ns/net)\" ] && echo \$p; done) 2>/dev/null; sleep 1; grep -q ' $BBMAC $BB4 ' '$SB_STATE/router/rootfs/lxtg/state/dnsmasq.leases'"
t_is "bb still has its pool address after the renewal" "$(bb_v4)" "$BB4/24"

# ---- the pool is full: the next guest is private, behind NAT, by DHCP too
t_ok "lxc-create -t busybox bb2" sb_host_exec lxc-create -P "$SB_LXCPATH" -n bb2 -t busybox -q
t_ok "guest add bb2 with the pool full" lx guest add bb2
BB24=$(json_field bb2 ipv4)
t_ok "bb2 got a private address from dhcp_range ($BB24)" grep_out '^192\.168\.254\.' echo "$BB24"
bb2_v4() { nsenter -t "$(sb_lxc info bb2 -pH)" -n ip -4 -br addr show dev eth0 | awk '{ $1 = $2 = ""; print }' | xargs; }
t_ok "bb2 starts" sb_start_guest bb2
bb2_up() { [ "$(bb2_v4)" = "$BB24/24" ]; }
t_ok "bb2 leases its private address from the router" sb_wait_for "bb2's lease" 15000 bb2_up ||
	t_diag "bb2 has: $(bb2_v4)"
t_ok "bb2 pings the LAN peer" sb_wait_for "bb2 -> peer" 5000 sb_guest_exec bb2 ping -c1 -W1 "$SB_PEER_V4"
sb_peer_exec tcpdump -n -l -i eth0 --immediate-mode -c 1 "icmp and dst $SB_PEER_V4 and icmp[icmptype] = icmp-echo" \
	>"$SB_TMP/nat.cap" 2>"$SB_TMP/nat.err" &
CAP=$!
sb_wait_for "tcpdump in peer" 3000 grep -q 'listening on' "$SB_TMP/nat.err"
sb_guest_exec bb2 ping -c1 -W1 "$SB_PEER_V4" >/dev/null
wait "$CAP"
RLAN4=$(in_router ip -4 -br addr show dev eth0 | awk '{ print $3 }' | cut -d/ -f1)
t_ok "the LAN sees bb2's ping from the router's LAN address $RLAN4 (NAT)" grep -q "IP $RLAN4 > $SB_PEER_V4" "$SB_TMP/nat.cap"
t_ok "bb (pool) and bb2 (private) reach each other" sb_guest_exec bb2 ping -c1 -W1 "$BB4"

t_ok "bb stops" sb_stop_guest bb
t_ok "bb2 stops" sb_stop_guest bb2
t_ok "st stops" sb_stop_guest st

# ---- a fixed uplink address: no DHCP client in the router, the pool's netmask and gateway
# come from uplink_ipv4 and uplink_gateway4 (written by `up`)
printf '[network]\nuplink = eth0\nuplink_ipv4 = 192.0.2.61/24\nuplink_gateway4 = %s\n[dns]\nupstream = %s\n[server]\nipv4_pool = 192.0.2.100-192.0.2.101\n' \
	"$SB_LAN_V4" "$SB_LAN_V4" >"$SB_CONF"
t_ok "the router is stopped" sb_lxc stop managed -k
t_ok "up server with a fixed uplink_ipv4 (accepted in server mode now)" lx up server
t_ok "the router runs no DHCP client" not grep -q udhcpc "$SB_STATE/router/rootfs/etc/inittab"
t_ok "pool.conf has the configured gateway" grep -qx "dhcp-option=tag:pool,option:router,$SB_LAN_V4" \
	"$SB_STATE/router/rootfs/lxtg/run/dnsmasq.d/pool.conf"
t_ok "bb starts" sb_start_guest bb
t_ok "bb leases its pool address with the /24 of uplink_ipv4" sb_wait_for "bb's lease" 15000 bb_up ||
	t_diag "bb has: $(bb_v4)"
t_ok "the LAN peer pings bb" sb_wait_for "peer -> bb" 5000 sb_peer_exec ping -c1 -W1 "$BB4"
t_ok "bb stops" sb_stop_guest bb
# up_with UPLINK_IPV4 GATEWAY: up server with that fixed address; its output in $SB_TMP/up.out.
up_with() {
	printf '[network]\nuplink = eth0\nuplink_ipv4 = %s\nuplink_gateway4 = %s\n[dns]\nupstream = %s\n[server]\nipv4_pool = 192.0.2.100-192.0.2.101\n' \
		"$1" "$2" "$SB_LAN_V4" >"$SB_CONF" && lx up server >"$SB_TMP/up.out" 2>&1
}
t_ok "up server with uplink_ipv4 = 192.0.2.61/26 (the pool lies outside it)" up_with 192.0.2.61/26 "$SB_LAN_V4"
t_ok "up notes, with FILE:LINE, that the pool is not inside uplink_ipv4's subnet" \
	grep -q "note: $SB_CONF:8: \[server\] ipv4_pool 192.0.2.100-192.0.2.101 is not inside uplink_ipv4's subnet /26" "$SB_TMP/up.out"
t_is "... once" "$(grep -c 'is not inside' "$SB_TMP/up.out")" 1
lx check >"$SB_TMP/check.out" 2>&1
t_ok "check says it too" grep -q "config: $SB_CONF:8: \[server\] ipv4_pool .* is not inside uplink_ipv4's subnet /26" "$SB_TMP/check.out"
t_ok "up server with uplink_ipv4 = 192.0.2.60/31" up_with 192.0.2.60/31 192.0.2.61
t_ok "up says a /31 leaves no room for pool leases" grep -q "note: uplink_ipv4: a /31 has no room for pool guests" "$SB_TMP/up.out"
t_ok "... and pool.conf is empty" test ! -s "$SB_STATE/router/rootfs/lxtg/run/dnsmasq.d/pool.conf"
t_ok "up server with the /24 again: no note" up_with 192.0.2.61/24 "$SB_LAN_V4"
t_ok "... none" not grep -q "note:" "$SB_TMP/up.out"
t_ok "down" lx down
t_done
