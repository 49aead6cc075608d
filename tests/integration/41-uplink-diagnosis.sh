#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Never a silent failure on an uplink (issue 16): a WLAN interface is seen as
# one (sysfs), `up` with a forced macvlan on a one-MAC uplink says that no DHCP
# answer came, tells a LAN whose DHCP offers but never acknowledges from one
# that is silent, and `status` reports a router without a LAN address as drift.
# The LAN side is simulated with nftables bridge rules on the LAN's port to the
# host (tests/lib/uplink.sh), each case after its positive control.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/sandbox.sh"
sb_require
BIN=${LXTG_BIN:-$top_srcdir/lxctogo-net}
[ -x "$BIN" ] || t_skip_all "lxctogo-net not built ($BIN)"
command -v nft >/dev/null || t_skip_all "nft not installed"
sb_init
. "$top_srcdir/tests/lib/lxtg.sh"
. "$top_srcdir/tests/lib/uplink.sh"

conf() { printf '[network]\nuplink = eth0\n%s\n[dns]\nupstream = %s\n' "$1" "$SB_LAN_V4" >"$SB_CONF"; }
# status_drift: the router row's "drift" array of `status -j`, one item a line.
status_drift() {
	lx -j status | python3 -c 'import json,sys
r=[x for x in json.load(sys.stdin) if x["kind"]=="router"][0]
print("\n".join(r["drift"]))'
}

t_ok "the host's NIC has its own LAN lease" sb_host_dhcp eth0

# ---- a WLAN interface, seen through sysfs: only the host's mount namespace of
# this command gets a phy80211 entry under eth0 (a tmpfs over its sysfs dir).
wlan_check() {
	# shellcheck disable=SC2016 # expanded by the inner sh
	sb_host_exec sh -c 'd=/sys/devices/virtual/net/eth0 && mount -t tmpfs lxtg-wlan "$d" &&
		mkdir "$d/phy80211" && exec "$@"' sh "$BIN" -c "$SB_CONF" -s "$SB_STATE" \
		-P "$SB_LXCPATH" check
}
conf ""
out=$(lx check 2>&1)
t_ok "control: check on the open LAN says the uplink carries other MACs" \
	grep -q "attach: uplink eth0 carries other MACs .*: macvlan attach" <<<"$out"
out=$(wlan_check 2>&1)
t_ok "check on a wireless eth0 says WLAN and routed attach" \
	grep -q "attach: uplink eth0 is a WLAN interface.*: routed attach" <<<"$out"

# ---- macvlan forced on a one-MAC uplink (VirtualBox promiscuous Deny)
conf "attach = macvlan"
t_ok "control: up desktop with macvlan on the open LAN" lx up desktop
t_ok "... status reports no drift" test -z "$(status_drift)"
t_ok "down" lx down
t_ok "simulate a Deny uplink" uplink_sim deny
# The simulation is faithful: the host's own MAC still gets a lease, a second MAC none.
t_ok "... the host's own MAC still gets a lease" sb_host_dhcp eth0
sb_host_exec ip link add lxtgsim link eth0 type macvlan mode bridge &&
	sb_host_exec ip link set lxtgsim up
t_ok "... a second MAC gets no lease" not sb_host_exec "$SB_BUSYBOX" udhcpc -f -q -n -t 2 -T 1 \
	-i lxtgsim -s /bin/true
t_ok "... because the LAN dropped its answers (counter moved)" uplink_sim_dropped
sb_host_exec ip link del lxtgsim
t_ok "simulate a Deny uplink (counters reset)" uplink_sim deny
err=$(lx up desktop 2>&1); rc=$?
t_is "up desktop with macvlan on a Deny uplink still exits 0 (the router keeps asking)" "$rc" 0
t_ok "... and says that no DHCP answer came, naming the cause" \
	grep -q "no DHCP answer on uplink eth0 within 2000 ms.*VirtualBox.*attach = auto or routed" <<<"$err"
t_ok "... the LAN really dropped the router's replies (counter moved)" uplink_sim_dropped
drift=$(status_drift)
t_ok "status -j reports the router without a LAN address as drift" \
	grep -q "^router: no LAN IPv4 address on eth0" <<<"$drift"
t_ok "status (text) prints the same drift line" grep_out "^drift: router: no LAN IPv4 address on eth0" lx status
t_ok "status exits 0 with drift" lx status
t_ok "down" lx down

# ---- a LAN whose DHCP server offers but never acknowledges: slow, not silent
t_ok "simulate a DHCP server that never acknowledges" uplink_sim ack
err=$(lx up desktop 2>&1)
t_ok "up with offers but no ACK says an offer came" \
	grep -q "made an offer but no lease came within 2000 ms" <<<"$err"
t_ok "... and not that there was no answer" not grep -q "no DHCP answer" <<<"$err"
t_ok "... the LAN really dropped the ACKs (counter moved)" uplink_sim_dropped
t_ok "down" lx down

# ---- the same one-MAC uplink with the default (attach = auto): routed, and said so
t_ok "simulate a Deny uplink" uplink_sim deny
conf ""
err=$(lx up desktop 2>&1)
t_ok "up desktop with attach = auto on a Deny uplink picks routed attach and says why" \
	grep -q "uplink eth0 carries only its own MAC (VirtualBox promiscuous Deny or WLAN): routed attach" <<<"$err"
t_ok "... status -j has no drift" test -z "$(status_drift)"
# The uplink loses its gateway (a lease that lapsed): nothing to ask, so the earlier choice stays.
t_ok "the host's uplink loses its default route" sb_host_exec ip route del default
err=$(lx up desktop 2>&1)
t_ok "up without a gateway to ask keeps the earlier routed attach and says so" \
	grep -q "uplink eth0 has no IPv4 default gateway.*kept the earlier choice: routed attach" <<<"$err"
t_is "... status -j still says routed" "$(lx -j status | python3 -c 'import json,sys
print([x for x in json.load(sys.stdin) if x["kind"]=="router"][0]["attach"])')" routed
t_ok "the default route comes back" sb_host_exec ip route add default via "$SB_LAN_V4" dev eth0
t_ok "down" lx down
t_ok "back to an open LAN" uplink_sim open
t_done
