#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# attach = auto (issue 16), the default: `up` gives the router a macvlan when
# the uplink carries another MAC and routed attach when it carries only the
# host's own (VirtualBox bridged adapter with promiscuous mode Deny, WLAN).
# The LAN side of the host's link is simulated with nftables bridge rules in
# the LAN namespace (tests/lib/uplink.sh: open, deny, wlan); first the
# simulation is shown to be faithful, then on each uplink `up desktop` and
# `up server` from a clean `down` must work end to end, and an open LAN that
# turns into a WLAN must converge to routed attach with nothing left over.
# shellcheck disable=SC2317 # helpers are called through t_ok / sb_wait_for
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/sandbox.sh"
sb_require
BIN=${LXTG_BIN:-$top_srcdir/lxctogo-net}
[ -x "$BIN" ] || t_skip_all "lxctogo-net not built ($BIN)"
for c in nft python3; do command -v "$c" >/dev/null || t_skip_all "$c not installed"; done
T0=$(sb_now_ms)
sb_init
BIN=$(sb_freeze_bin "$BIN") || t_bail "cannot copy the binary under test"
. "$top_srcdir/tests/lib/lxtg.sh"
. "$top_srcdir/tests/lib/uplink.sh"

# No attach key: auto is the default. DNS upstream is auto too: routed attach
# hands the guests the host's resolvers, read from a resolv.conf made for the
# host namespace only (ip netns exec binds /etc/netns/NAME/resolv.conf over
# /etc/resolv.conf); this machine's own resolv.conf is never touched.
printf '[network]\nuplink = eth0\n[server]\nipv4_pool = 192.0.2.100-192.0.2.120\n' >"$SB_CONF"
[ -d /etc/netns ] || sb_on_cleanup rmdir /etc/netns
sb_on_cleanup rm -rf "/etc/netns/$SB_HOST"
if ! mkdir -p "/etc/netns/$SB_HOST" ||
	! printf 'search %s\nnameserver %s\n' "$SB_DOMAIN" "$SB_LAN_V4" >"/etc/netns/$SB_HOST/resolv.conf"; then
	t_bail "cannot write the host namespace's resolv.conf"
fi

# second_mac_lease: a second MAC on the host's link (a macvlan made for this
# check only) asks the LAN for a lease; the link is gone again afterwards.
second_mac_lease() {
	local rc
	ip -n "$SB_HOST" link add lxtgsim link eth0 type macvlan mode bridge || return 125
	ip -n "$SB_HOST" link set lxtgsim up
	sb_host_exec "$SB_BUSYBOX" udhcpc -f -q -n -t 2 -T 1 -i lxtgsim -s /bin/true
	rc=$?
	ip -n "$SB_HOST" link del lxtgsim
	return "$rc"
}
sim_counters() { sb_lan_exec nft list table bridge lxtg_uplink | grep -o 'iifname.*\|oifname.*'; }

# ---- the simulation is faithful (before any lxctogo-net command)
for sim in deny wlan; do
	t_ok "$sim: simulate the uplink" uplink_sim "$sim"
	t_ok "$sim: a second MAC on the host's link gets no lease" not second_mac_lease
	t_ok "$sim: ... because the LAN dropped frames (rule counters moved)" uplink_sim_dropped
	t_diag "$(sim_counters)"
	t_ok "$sim: the host's own MAC gets its lease" sb_host_dhcp eth0
done
t_ok "open: back to an open LAN" uplink_sim open
t_ok "open: a second MAC gets a lease" second_mac_lease
t_ok "open: the host's own MAC gets its lease" sb_host_dhcp eth0
has_slaac() { sb_host_exec ip -6 route | grep -q '^default'; }
t_ok "the host has its IPv6 default route" sb_wait_for "host RA" 5000 has_slaac
HOST4=$(sb_host_exec ip -4 -br addr show dev eth0 | awk '{print $3}')
before=$(host_state)

# web answers on port 80 from its start on (sb-init runs rc.local once).
sb_make_guest web || t_bail "make guest web"
rc=$SB_LXCPATH/web/rootfs/etc/rc.local
{ printf '#!/bin/sh\n(while :; do nc -l -p 80 -e echo web-says-hi; done) </dev/null >/dev/null 2>&1 &\n' >"$rc" &&
	chmod +x "$rc"; } || t_bail "cannot write web's rc.local"

# router_field KEY: KEY of the router row of `status -j` on stdin (lists: blank-separated).
router_field() {
	python3 -c 'import json,sys
r=[x for x in json.load(sys.stdin) if x["kind"]=="router"][0]
v=r.get(sys.argv[1])
print(" ".join(v) if isinstance(v, list) else "" if v is None else v)' "$1"
}
# in_lan4 ADDR/LEN...: at least one, and every one inside 192.0.2.0/24.
in_lan4() {
	local a
	[ $# -gt 0 ] || return 1
	for a; do [[ $a =~ ^192\.0\.2\.[0-9]{1,3}/[0-9]{1,2}$ ]] || return 1; done
}
has_word() { [[ " $1 " == *" $2 "* ]]; }
guest_lease() { sb_guest_exec web udhcpc -i eth0 -q -n -t 5 >/dev/null 2>&1; }
web_pings() { sb_guest_exec web ping "$@" -c1 -W1; }
fetch() { sb_peer_exec timeout 3 "$SB_BUSYBOX" nc "$1" "$2" </dev/null 2>/dev/null; }
web_has6() { sb_guest_exec web ip -6 addr show dev eth0 | grep -q "$1/64"; }

# up_timed MODE: `up MODE`; exit status and duration into UP_RC and UP_MS.
up_timed() {
	local t0
	t0=$(sb_now_ms)
	lx up "$1" >&2
	UP_RC=$? UP_MS=$(($(sb_now_ms) - t0))
}

# router_checks TAG WANT: status -j names attach WANT with a reason, and the router's LAN address.
router_checks() {
	local tag=$1 want=$2 json lan
	json=$(lx -j status)
	t_is "$tag: status -j: attach" "$(router_field attach <<<"$json")" "$want"
	t_ok "$tag: status -j: attach_reason is given" test -n "$(router_field attach_reason <<<"$json")"
	t_diag "attach_reason: $(router_field attach_reason <<<"$json")"
	lan=$(router_field lan_ipv4 <<<"$json")
	# shellcheck disable=SC2086 # one address a word
	t_ok "$tag: status -j: lan_ipv4 ($lan) is inside 192.0.2.0/24" in_lan4 $lan
	[ "$want" = routed ] &&
		t_ok "$tag: ... and is the host uplink's address $HOST4" has_word "$lan" "$HOST4"
	LAN4=${lan%% *}
	LAN4=${LAN4%/*}
}

# check_says TAG PATTERN: `check` has a line about uplink eth0 that matches PATTERN.
check_says() {
	local line
	line=$(lx check 2>&1 | grep -i "uplink eth0")
	t_diag "check: $line"
	t_ok "$1: check prints a line about uplink eth0" test -n "$line"
	t_ok "$1: ... saying it $2" grep -q "$2" <<<"$line"
}

# guest_reaches_lan TAG: web reaches the LAN peer over IPv4 and IPv6 and resolves a LAN name.
guest_reaches_lan() {
	t_ok "$1: web reaches the LAN peer (IPv4)" web_pings "$SB_PEER_V4"
	t_ok "$1: web reaches the LAN peer (IPv6)" sb_wait_for "web -> peer v6" 10000 web_pings -6 "$SB_PEER_V6" &&
		t_diag "web -> peer v6 after $SB_WAITED_MS ms"
	t_ok "$1: web resolves www.$SB_DOMAIN through the router" \
		grep_out "Address: $SB_WWW_V4" sb_guest_exec web nslookup "www.$SB_DOMAIN" 192.168.254.254
}

# retire: stop web (a running guest keeps its own veth across down), guest del web, down.
retire() { sb_stop_guest web && lx guest del web && lx down; }

# one_case SIM MODE ATTACH: from a clean down, up MODE on uplink SIM must pick ATTACH and work.
one_case() {
	local sim=$1 mode=$2 want=$3 tag="$1/$2" web4 web6
	up_timed "$mode"
	t_is "$tag: up $mode exits 0" "$UP_RC" 0
	t_ok "$tag: ... within 10 s ($UP_MS ms)" test "$UP_MS" -lt 10000
	router_checks "$tag" "$want"
	t_ok "$tag: guest add web" lx guest add web
	t_ok "$tag: web starts" sb_start_guest web
	[ "$mode" = desktop ] && t_ok "$tag: web leases its address" guest_lease
	guest_reaches_lan "$tag"
	if [ "$mode" = desktop ]; then
		local at=$LAN4
		[ "$want" = routed ] && at=${HOST4%/*}
		t_ok "$tag: port add web 8080:80" lx port add web 8080:80
		t_is "$tag: the LAN peer reaches web's port forward at $at:8080" "$(fetch "$at" 8080)" web-says-hi
	else
		web4=$(json_field web ipv4) web6=$(json_field web ipv6)
		t_ok "$tag: the LAN peer pings web's pool address $web4" sb_peer_exec ping -c1 -W2 "$web4"
		sb_wait_for "web SLAAC" 5000 web_has6 "$web6"
		t_ok "$tag: the LAN peer pings web's SLAAC address $web6" \
			sb_wait_for "peer -> web v6" 5000 sb_peer_exec ping -6 -c1 -W1 "$web6"
	fi
	if [ "$want" = routed ]; then check_says "$tag" "only its own MAC"; else check_says "$tag" "other MACs"; fi
	t_ok "$tag: web stops, guest del web, down" retire
	t_is "$tag: after down the host is as before the first up" "$(host_state)" "$before"
}

# The LAN keeps its neighbour caches from one simulated uplink to the next: when routed attach
# takes over a server-mode guest's address from the macvlan router (open -> deny), `up`
# announces it (gratuitous ARP, unsolicited NA) and the peer must follow at once.
for sim in open deny wlan; do
	t_ok "$sim: simulate the uplink (the LAN keeps its neighbour caches)" uplink_sim "$sim"
	want=routed
	[ "$sim" = open ] && want=macvlan
	one_case "$sim" desktop "$want"
	one_case "$sim" server "$want"
done

# ---- the move: an open LAN turns into a WLAN under a running macvlan router
t_ok "move: back to an open LAN" uplink_sim open
up_timed desktop
t_is "move: up desktop on the open LAN exits 0" "$UP_RC" 0
router_checks move/open macvlan
t_ok "move: guest add web" lx guest add web
t_ok "move: web starts" sb_start_guest web
t_ok "move: web leases its address" guest_lease
t_ok "move: web reaches the LAN peer" web_pings "$SB_PEER_V4"
t_ok "move: the uplink turns into a WLAN" uplink_sim wlan
up_timed desktop
t_is "move: up desktop again exits 0" "$UP_RC" 0
t_ok "move: ... within 10 s ($UP_MS ms)" test "$UP_MS" -lt 10000
router_checks move/wlan routed
guest_reaches_lan move/wlan
t_ok "move: the router has no uplink link of its own" not in_router ip link show eth0
t_is "move: no macvlan is left in the host namespace" \
	"$(ip -n "$SB_HOST" -d -o link | grep -c macvlan)" 0
t_ok "move: web stops, guest del web, down" retire
t_is "move: after down the host is as before the first up (links, addresses, routes, nft, sysctls)" \
	"$(host_state)" "$before"
t_diag "took $(($(sb_now_ms) - T0)) ms"
t_done
