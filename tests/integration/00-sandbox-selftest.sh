#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Self-test of tests/lib/sandbox.sh: LAN services (DHCPv4, SLAAC, DNS), reachability, a busybox
# LXC guest inside the host namespace with working cgroups, and cleanup on success, exit and SIGTERM.
# shellcheck disable=SC2317 # helpers are called through t_ok / sb_wait_for

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
# shellcheck source=tests/lib/sandbox.sh
. "$top_srcdir/tests/lib/sandbox.sh"

sb_require
T0=$(sb_now_ms)
sb_init

# in_pool ADDR: succeed if ADDR lies in the LAN's DHCP pool.
in_pool() {
	local o=${1##*.}
	[[ $1 == 192.0.2.* && $o =~ ^[0-9]+$ ]] && ((o >= ${SB_POOL_FIRST##*.} && o <= ${SB_POOL_LAST##*.}))
}

# host_addr 4|6: print the first global address of eth0 in the host namespace.
host_addr() {
	ip -n "$SB_HOST" "-$1" -o addr show dev eth0 scope global | awk '{ sub("/.*", "", $4); print $4; exit }'
}

# host_has_slaac: succeed once host eth0 has an address in 2001:db8:1::/64.
host_has_slaac() { [[ $(host_addr 6) == 2001:db8:1:* ]]; }

# not_forwarded NAME: succeed if the LAN dnsmasq refuses NAME and forwarded no query anywhere.
not_forwarded() {
	! sb_host_exec "$SB_BUSYBOX" nslookup "$1" "$SB_LAN_V4" && ! grep -q 'forwarded' "$SB_TMP/lan-dnsmasq.log"
}

# Child script: builds a sandbox with a running guest and a "sleep" that an sb_on_cleanup hook kills,
# saves its variables in $VARS, then either exits 1 (MODE=exit) or waits to be killed (MODE=wait).
# shellcheck disable=SC2016 # expanded by the child
CHILD='
	. "$top_srcdir/tests/lib/sandbox.sh"
	sb_init
	sb_make_guest c1 && sb_lxc start c1 || exit 3
	sleep 30 &
	HOOKED=$!
	sb_on_cleanup kill "$HOOKED"
	declare -p SB SB_TMP SB_NETNS_INO HOOKED >"$VARS.tmp" && mv "$VARS.tmp" "$VARS"
	[ "$MODE" = exit ] && exit 1
	wait
	exit 4'

# child_is_clean VARS: the hook of the child whose variables are in VARS ran, and sb_assert_clean passes.
# shellcheck source=/dev/null
child_is_clean() { (. "$1" && [ -n "$SB" ] && ! grep -qs sleep "/proc/$HOOKED/cmdline" && sb_assert_clean); }

# --- LAN services seen from the host namespace
t_ok "host eth0 gets a DHCPv4 lease from the LAN dnsmasq" sb_host_dhcp eth0
ip='' router='' dns='' domain=''
# shellcheck source=/dev/null
[ -r "$SB_TMP/dhcp.eth0" ] && . "$SB_TMP/dhcp.eth0"
t_ok "leased address '$ip' is in $SB_POOL_FIRST-$SB_POOL_LAST" in_pool "$ip"
t_is "the lease is applied to eth0" "$(host_addr 4)" "$ip"
t_is "the lease names the LAN router" "$router" "$SB_LAN_V4"
t_is "the lease names the LAN DNS server" "$dns" "$SB_LAN_V4"
t_is "the lease names the LAN domain" "$domain" "$SB_DOMAIN"

t_ok "host eth0 gets a SLAAC address in 2001:db8:1::/64" sb_wait_for "SLAAC on host eth0" 5000 host_has_slaac
t_diag "SLAAC address after $SB_WAITED_MS ms"
v6=$(host_addr 6)
t_ok "host has an IPv6 default route learnt from RA" \
	grep -q 'proto ra' <<<"$(ip -n "$SB_HOST" -6 route show default)"

t_ok "peer pings host over IPv4 ($ip)" sb_peer_exec ping -n -c1 -W2 "$ip"
t_ok "peer pings host over IPv6 ($v6)" sb_peer_exec ping -n -6 -c1 -W2 "$v6"

dns_out=$(sb_host_exec "$SB_BUSYBOX" nslookup "www.$SB_DOMAIN" "$SB_LAN_V4" 2>&1)
t_ok "host resolves www.$SB_DOMAIN to $SB_WWW_V4" grep -qF "$SB_WWW_V4" <<<"$dns_out"
t_ok "host resolves www.$SB_DOMAIN to $SB_WWW_V6" grep -qF "$SB_WWW_V6" <<<"$dns_out"
t_ok "names outside $SB_DOMAIN are refused, never forwarded" not_forwarded example.com

# --- a busybox guest in the host namespace
t_ok "sb_make_guest defines guest g1" sb_make_guest g1
sb_start_guest g1
t_is "guest g1 is RUNNING" "$(sb_guest_state g1)" RUNNING
mem=$(sb_guest_memory g1)
t_ok "lxc-info reports memory of g1 (${mem:-none} bytes): cgroups are visible" test "${mem:-0}" -gt 0
t_is "lxc-attach runs commands in g1" "$(sb_guest_exec g1 hostname)" g1
t_is "g1 has only lo (lxc.net.0.type = empty)" "$(sb_guest_exec g1 ls /sys/class/net)" lo
t0=$(sb_now_ms)
t_ok "g1 stops" sb_stop_guest g1
t_diag "g1 stopped in $(($(sb_now_ms) - t0)) ms"
t_is "guest g1 is STOPPED" "$(sb_guest_state g1)" STOPPED

# --- the cleanup trap, on "exit 1" and on SIGTERM, with dnsmasq and a guest running
MODE=exit VARS=$SB_TMP/child-exit.vars bash -c "$CHILD" >&2
t_is "child sandbox exits with its own status" "$?" 1
t_ok "trap ran the hook and cleaned up the child sandbox after exit 1" child_is_clean "$SB_TMP/child-exit.vars"

MODE=wait VARS=$SB_TMP/child-term.vars bash -c "$CHILD" >&2 &
child=$!
if t_ok "second child sandbox comes up" sb_wait_for "child sandbox" 5000 test -e "$SB_TMP/child-term.vars"; then
	kill -TERM "$child"
fi
wait "$child"
t_is "child sandbox exits with 143 on SIGTERM" "$?" 143
t_ok "trap ran the hook and cleaned up the child sandbox after SIGTERM" child_is_clean "$SB_TMP/child-term.vars"

# --- explicit cleanup of this sandbox
t0=$(sb_now_ms)
sb_cleanup
t_diag "sb_cleanup took $(($(sb_now_ms) - t0)) ms"
t_ok "sb_cleanup leaves no namespace, process, mount or file" sb_assert_clean
t_ok "sb_cleanup is idempotent" sb_cleanup
t_ok "still clean after the second sb_cleanup" sb_assert_clean

t_diag "self-test took $(($(sb_now_ms) - T0)) ms"
t_done
