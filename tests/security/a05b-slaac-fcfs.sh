#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Any SLAAC flavour, first come first served (issue: server mode for every guest OS, point 3;
# RFC 6620 is the model). Guest "vic" switches its kernel to what NetworkManager and
# systemd-networkd use: RFC 7217 stable-privacy addresses (addr_gen_mode=3, link-local too)
# and RFC 4941 temporary addresses (use_tempaddr=2). Each address it makes reaches the LAN and
# back and the router, over its port's guard; the guard learned them. Then guest "evil" tries
# to take one of them by DAD (dropped: nd_spoof) and sends from it anyway (dropped: ip_spoof),
# while vic keeps using it; evil's own claim of a free address works, an address outside the
# guest prefix does not. `up` reloads the guards and keeps the claims of registered guests
# (evil cannot take vic's address right after it); a deleted guest's claims go.
# shellcheck disable=SC2317 # helpers are called through t_ok / sb_wait_for
# shellcheck source=tests/security/lib.sh
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/security/lib.sh"

t_ok "up desktop" sec_up desktop || t_bail "up failed"
t_ok "guest vic" sec_guest vic || t_bail "guest vic"
t_ok "guest evil" sec_guest evil || t_bail "guest evil"
t_ok "control: vic reaches the LAN from its recorded address" pings vic "$SB_PEER_V6"

# stable6, temp6: vic's stable-privacy and temporary address in the guest prefix, each read
# from one listing of vic's addresses (two listings could straddle the end of a DAD), past
# DAD; fail while there is none.
globals6() {
	in_guest vic ip -6 -o addr show dev eth0 scope global -tentative -dadfailed |
		awk '$4 ~ /^fd00:aaaa:254:/ { a = $4; sub("/.*", "", a); print a, (/ temporary / ? "temporary" : "public") }'
}
stable6() { globals6 | awk -v rec="${G6[vic]}" '$2 == "public" && $1 != rec { print $1; exit }' | grep .; }
temp6() { globals6 | awk '$2 == "temporary" { print $1; exit }' | grep .; }
ll6() { in_guest vic ip -6 -o addr show dev eth0 scope link -tentative | awk '{ sub("/.*", "", $4); print $4 }' | grep .; }
learned() { in_router nft list set bridge lxctogo port_ip6_dyn; }
# raw128 ADDR: the address as the guard's raw key (0x + 32 hex digits).
raw128() { "$PY" -c 'import ipaddress, sys; print("0x%032x" % int(ipaddress.IPv6Address(sys.argv[1])))' "$1"; }
from6() { in_guest "$1" ping -6 -c1 -W1 -I "$2" "$3" >/dev/null 2>&1; }

# ---- vic: stable-privacy and temporary addresses, as a desktop distribution makes them
t_ok "vic: addr_gen_mode=3 (stable privacy), use_tempaddr=2" in_guest vic sysctl -qw \
	net.ipv6.conf.eth0.addr_gen_mode=3 net.ipv6.conf.eth0.use_tempaddr=2
in_guest vic ip link set eth0 down && in_guest vic ip link set eth0 up
t_ok "vic gets a stable-privacy address from the router's prefix" sb_wait_for "stable address" 10000 stable6
t_ok "vic gets a temporary address" sb_wait_for "temporary address" 10000 temp6
sb_wait_for "vic's new link-local address" 5000 ll6 >/dev/null
VS=$(stable6) VT=$(temp6)
VLL=$(ll6)
[ -n "$VS" ] && [ -n "$VT" ] && [ -n "$VLL" ] || t_bail "vic's addresses went away: stable '$VS', temporary '$VT', link-local '$VLL'"
t_diag "vic: recorded ${G6[vic]}, stable $VS, temporary $VT, link-local $VLL (recorded ${GLL[vic]})"
t_ok "vic's link-local address is a stable-privacy one too (not its EUI-64)" test "$VLL" != "${GLL[vic]}"
t_ok "vic reaches the LAN from its stable-privacy address" sb_wait_for "vic stable -> LAN" 5000 from6 vic "$VS" "$SB_PEER_V6"
t_ok "vic reaches the LAN from its temporary address" sb_wait_for "vic temporary -> LAN" 5000 from6 vic "$VT" "$SB_PEER_V6"
t_ok "vic reaches the router from its stable-privacy link-local address" \
	sb_wait_for "vic ll -> router" 5000 in_guest vic ping -6 -c1 -W1 -I eth0 "$RLL"
t_ok "the LAN peer's answers reached vic's stable address (the router resolved it on eth1)" \
	grep_out "$VS" in_router ip -6 neigh show dev eth1
t_ok "the guard learned vic's stable address for vic's port" grep_out "\"lxg-vic\" . ${GMAC[vic]} . $(raw128 "$VS")" learned
t_ok "... and its temporary address" grep_out "$(raw128 "$VT")" learned
t_ok "... and its link-local address" grep_out "$(raw128 "$VLL")" learned

learned_json() { lx -j status | "$PY" -c 'import json,sys; print(" ".join(next(r for r in json.load(sys.stdin) if r["name"] == "vic")["learned_ipv6"]))'; }
# has_all LIST WORD...: every WORD is in the blank-separated LIST.
has_all() { local l=" $1 " a; shift; for a; do [[ $l == *" $a "* ]] || return 1; done; }
t_ok "status -j lists vic's stable, temporary and link-local addresses as learned" \
	has_all "$(learned_json)" "$VS" "$VT" "$VLL"
t_ok "status (text) shows them on a 'learned:' line" grep_out "learned:.* $VS( |$)" lx status

# ---- evil tries to take vic's stable address
nd0=$(counter nd_spoof) ip0=$(counter ip_spoof)
in_guest evil ip -6 addr add "$VS/64" dev eth0
# DAD (1 s): vic would defend it, but evil's NS never reaches vic. Until it is over evil's ping
# never leaves (EADDRNOTAVAIL) and proves nothing: wait (<= 5 s) for it, as a slow run needs.
evil_holds_vs() { in_guest evil ip -6 -o addr show dev eth0 -tentative | grep -q " $VS/64 "; }
sb_wait_for "evil's DAD for vic's address" 5000 evil_holds_vs >&2
t_ok "evil's DAD for vic's address was dropped (nd_spoof moved)" test "$(counter nd_spoof)" -gt "$nd0"
t_ok "evil cannot reach the LAN from vic's address" not from6 evil "$VS" "$SB_PEER_V6"
t_ok "... and the ip_spoof counter moved" test "$(counter ip_spoof)" -gt "$ip0"
t_ok "vic still reaches the LAN from it" from6 vic "$VS" "$SB_PEER_V6"
t_ok "the guard still holds vic's stable address for vic's port only" \
	test "$(learned | grep -c "$(raw128 "$VS")")" -eq 1
in_guest evil ip -6 addr del "$VS/64" dev eth0
# ... and vic's recorded address, and the router's
nd0=$(counter nd_spoof)
in_guest evil ip -6 addr add "${G6[vic]}/64" dev eth0
in_guest evil ip -6 addr add "$R6/64" dev eth0
sleep 2
t_ok "evil's DAD for vic's recorded and the router's address was dropped" test "$(counter nd_spoof)" -ge $((nd0 + 2))
t_ok "evil cannot send from the router's address" not from6 evil "$R6" "$SB_PEER_V6"
in_guest evil ip -6 addr del "${G6[vic]}/64" dev eth0
in_guest evil ip -6 addr del "$R6/64" dev eth0

# ---- evil's own claims
in_guest evil ip -6 addr add fd00:aaaa:254::e71/64 dev eth0
t_ok "evil claims a free address by DAD and reaches the LAN from it" \
	sb_wait_for "evil's claim" 5000 from6 evil fd00:aaaa:254::e71 "$SB_PEER_V6"
in_guest evil ip -6 addr add 2001:db8:9999::1/64 dev eth0 nodad
ip0=$(counter ip_spoof)
t_ok "an address outside the guest prefix does not get through" not from6 evil 2001:db8:9999::1 "$SB_PEER_V6"
t_ok "... the ip_spoof counter moved" test "$(counter ip_spoof)" -gt "$ip0"
in_guest evil ip -6 addr del 2001:db8:9999::1/64 dev eth0

# ---- up reloads the guards: vic's claims are kept, so nobody can take them meanwhile
t_ok "up again" lx up
t_ok "the reloaded guard still holds vic's stable address for vic's port" \
	grep_out "\"lxg-vic\" . ${GMAC[vic]} . $(raw128 "$VS")" learned
t_ok "... and its temporary address" grep_out "$(raw128 "$VT")" learned
nd0=$(counter nd_spoof)
in_guest evil ip -6 addr add "$VS/64" dev eth0
t_ok "evil's DAD for it right after up is dropped" sb_wait_for "nd_spoof" 3000 counter_above nd_spoof "$nd0"
in_guest evil ip -6 addr del "$VS/64" dev eth0
t_ok "vic reaches the LAN from its stable-privacy address" \
	sb_wait_for "vic stable again" 5000 from6 vic "$VS" "$SB_PEER_V6"
# A deleted guest's claims go with it, and evil may take the address then.
t_ok "guest del vic" lx guest del vic
t_ok "vic's claims are gone with it" not grep_out "$(raw128 "$VS")" learned
in_guest evil ip -6 addr add "$VS/64" dev eth0
t_ok "evil may claim vic's old stable address now" \
	sb_wait_for "evil's claim of $VS" 5000 from6 evil "$VS" "$SB_PEER_V6"

t_ok "down" lx down
t_done
