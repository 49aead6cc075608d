#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# A real DHCP/SLAAC client in a guest: dhcpcd with Debian's stock /etc/dhcpcd.conf ("slaac
# private": RFC 7217 stable-privacy addresses made by dhcpcd itself), run in the guest's network
# namespace. It runs in a mount namespace of its own with /run and /var/lib/dhcpcd on tmpfs and
# its hook script replaced by /bin/true, so it writes nothing of the host's (no resolv.conf, no
# hostname); it configures addresses and routes itself, as on a real system.
#  desktop: the guest's recorded IPv4 by DHCP with the router as gateway, a stable-privacy IPv6
#           address that is not the recorded EUI-64 one, and both reach the LAN peer;
#  server:  the guest's pool address by DHCP with the LAN's /24 and gateway; the LAN peer
#           reaches it directly, and reaches dhcpcd's stable-privacy address in the LAN's
#           prefix too (lxtg-ndproxy answers for it on the LAN).
# shellcheck disable=SC2317 # helpers are called through t_ok / sb_wait_for
# shellcheck source=tests/lib/sandbox.sh
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/sandbox.sh"
sb_require
BIN=${LXTG_BIN:-$top_srcdir/lxctogo-net}
[ -x "$BIN" ] || t_skip_all "lxctogo-net not built ($BIN)"
if ! command -v dhcpcd >/dev/null || [ ! -r /etc/dhcpcd.conf ]; then t_skip_all "dhcpcd (dhcpcd-base) is not installed"; fi
sb_init
. "$top_srcdir/tests/lib/lxtg.sh"

gpid() { sb_lxc info "$1" -pH; }
# dhcpcd_start GUEST: dhcpcd with the stock config on the guest's eth0, isolated (see above).
dhcpcd_start() {
	nsenter -t "$(gpid "$1")" -n unshare -m sh -c '
		mount -t tmpfs none /run && mkdir -p /var/lib/dhcpcd && mount -t tmpfs none /var/lib/dhcpcd &&
		exec dhcpcd -f /etc/dhcpcd.conf -c /bin/true -B eth0' >"$SB_TMP/dhcpcd-$1.log" 2>&1 &
	DHCPCD=$!
	sb_on_cleanup stop_pid "$DHCPCD"
}
v4_of() { nsenter -t "$(gpid "$1")" -n ip -4 -br addr show dev eth0 | awk '{ print $3 }'; }
# has4 GUEST ADDR/LEN: the guest's only IPv4 address on eth0 is ADDR/LEN.
has4() { [ "$(v4_of "$1")" = "$2" ]; }
gw_of() { nsenter -t "$(gpid "$1")" -n ip -4 route show default | awk '{ print $3; exit }'; }
# private6 GUEST RECORDED: a global address in PREFIX that is not RECORDED (dhcpcd's stable-privacy one).
private6() {
	nsenter -t "$(gpid "$1")" -n ip -6 -o addr show dev eth0 scope global -tentative |
		awk '{ sub("/.*", "", $4); print $4 }' | grep "^$2" | grep -vx "$3" | head -n1 | grep .
}

# ====================================================================== desktop
printf '[network]\nuplink = eth0\n' >"$SB_CONF"
t_ok "up desktop" lx up desktop
sb_make_guest dc || t_bail "make guest dc"
t_ok "dc starts" sb_start_guest dc
t_ok "guest add dc (its link is plugged now)" lx guest add dc
nsenter -t "$(gpid dc)" -n sysctl -qw net.ipv6.conf.eth0.accept_ra=0 # dhcpcd does SLAAC itself
nsenter -t "$(gpid dc)" -n ip addr flush dev eth0 scope global # no address but what dhcpcd gets
DC4=$(json_field dc ipv4) DC6=$(json_field dc ipv6)
dhcpcd_start dc
t_ok "dhcpcd leases dc's recorded address" sb_wait_for "dc's lease" 20000 has4 dc "$DC4/24" ||
	t_diag "dc has $(v4_of dc); dhcpcd: $(tail -n 5 "$SB_TMP/dhcpcd-dc.log")"
t_is "dc's default route is the router" "$(gw_of dc)" 192.168.254.254
t_ok "dc reaches the LAN peer over IPv4" sb_wait_for "dc -> peer v4" 5000 sb_guest_exec dc ping -c1 -W1 "$SB_PEER_V4"
t_ok "dhcpcd made a stable-privacy address (slaac private), not the EUI-64 one" \
	sb_wait_for "dc's private address" 20000 private6 dc fd00:aaaa:254: "$DC6"
P6=$(private6 dc fd00:aaaa:254: "$DC6")
t_diag "dc: recorded $DC6, dhcpcd's $P6"
t_ok "dc reaches the LAN peer from dhcpcd's stable-privacy address" \
	sb_wait_for "dc -> peer v6" 5000 nsenter -t "$(gpid dc)" -n ping -6 -c1 -W1 -I "$P6" "$SB_PEER_V6"
t_ok "status lists it as learned" grep_out "learned:.* $P6" lx status
t_ok "the router is stopped" sb_lxc stop managed -k
t_ok "up restarts the router" lx up desktop
t_ok "dc keeps its address" has4 dc "$DC4/24"
t_ok "dc reaches the LAN peer again (v4)" sb_wait_for "dc -> peer v4" 8000 sb_guest_exec dc ping -c1 -W1 "$SB_PEER_V4"
t_ok "... and from dhcpcd's stable-privacy address, still dc's" \
	sb_wait_for "dc -> peer v6" 8000 nsenter -t "$(gpid dc)" -n ping -6 -c1 -W1 -I "$P6" "$SB_PEER_V6"
stop_pid "$DHCPCD"
t_ok "dc stops" sb_stop_guest dc
t_ok "down (desktop)" lx down

# ====================================================================== server
printf '[network]\nuplink = eth0\n[server]\nipv4_pool = 192.0.2.100-192.0.2.120\n' >"$SB_CONF"
t_ok "up server" lx up server
sb_make_guest ds || t_bail "make guest ds"
t_ok "guest add ds" lx guest add ds
DS4=$(json_field ds ipv4) DS6=$(json_field ds ipv6)
t_ok "ds starts" sb_start_guest ds
nsenter -t "$(gpid ds)" -n sysctl -qw net.ipv6.conf.eth0.accept_ra=0 # dhcpcd does SLAAC itself
nsenter -t "$(gpid ds)" -n ip addr flush dev eth0 scope global
dhcpcd_start ds
t_ok "dhcpcd leases ds's pool address $DS4 with the LAN's /24" \
	sb_wait_for "ds's lease" 20000 has4 ds "$DS4/24" ||
	t_diag "ds has $(v4_of ds); dhcpcd: $(tail -n 5 "$SB_TMP/dhcpcd-ds.log")"
t_is "ds's default route is the LAN's gateway" "$(gw_of ds)" "$SB_LAN_V4"
t_ok "the LAN peer reaches ds's pool address" sb_wait_for "peer -> ds" 5000 sb_peer_exec ping -c1 -W1 "$DS4"
t_ok "ds reaches the LAN peer" sb_guest_exec ds ping -c1 -W1 "$SB_PEER_V4"
t_ok "dhcpcd made a stable-privacy address in the LAN's prefix" \
	sb_wait_for "ds's private address" 20000 private6 ds 2001:db8:1: "$DS6"
P6=$(private6 ds 2001:db8:1: "$DS6")
t_diag "ds: recorded $DS6, dhcpcd's $P6"
t_ok "the LAN peer reaches ds at dhcpcd's stable-privacy address (lxtg-ndproxy)" \
	sb_wait_for "peer -> ds v6" 10000 sb_peer_exec ping -6 -c1 -W1 "$P6"
t_ok "ds reaches the LAN peer from it" nsenter -t "$(gpid ds)" -n ping -6 -c1 -W1 -I "$P6" "$SB_PEER_V6"
t_ok "the router is stopped" sb_lxc stop managed -k
t_ok "up restarts the router" lx up server
t_ok "ds keeps its pool address" has4 ds "$DS4/24"
t_ok "the LAN peer reaches ds's pool address after the restart" \
	sb_wait_for "peer -> ds" 8000 sb_peer_exec ping -c1 -W1 "$DS4"
t_ok "... and dhcpcd's stable-privacy address (the claim and its proxy entry survived)" \
	sb_wait_for "peer -> ds v6" 8000 sb_peer_exec ping -6 -c1 -W1 "$P6"
stop_pid "$DHCPCD"
t_ok "ds stops" sb_stop_guest ds
t_ok "down (server)" lx down
t_done
