# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=bash
# shellcheck disable=SC2317 # helpers are called through t_ok / sb_wait_for
#
# Observation helpers shared by tests/integration/10-router-desktop.sh and tests/faults/lib.sh,
# on top of tests/lib/sandbox.sh. They expect BIN (the frozen binary), ROUTER (the router's
# container name) and GUEST4 (its guest-link address) to be set by the script.

# lx ARGS...: the controller in the sandbox host namespace with the sandbox paths.
lx() { sb_host_exec "$BIN" -c "$SB_CONF" -s "$SB_STATE" -P "$SB_LXCPATH" "$@"; }

# hx CMD...: observe the host namespace (no cgroup remount needed).
hx() { ip netns exec "$SB_HOST" "$@"; }

# router_refresh: set RPID to the router's init pid (empty when it does not run).
router_refresh() { RPID=$(sb_lxc info "$ROUTER" -p -H 2>/dev/null); }

# rx CMD...: run CMD in the router's network namespace ($RPID, refreshed when empty or gone).
rx() {
	if [ -z "${RPID:-}" ] || [ ! -e "/proc/$RPID" ]; then router_refresh; fi
	[ -n "$RPID" ] || return 125
	nsenter -t "$RPID" -n "$@"
}

# sx CMD...: run CMD in the router's namespace through its holder (STATE/router/holder), which
# outlives the router container; fails when there is none.
sx() {
	local pid
	pid=$(cut -d' ' -f1 "$SB_STATE/router/holder" 2>/dev/null) && [ -n "$pid" ] || return 125
	nsenter -t "$pid" -n "$@"
}

# addrs FAMILY IFACE NSCMD...: IFACE's usable global addresses (no prefix length, not
# tentative: the router's netns does DAD), one a line, as seen through NSCMD (rx, hx, ...).
addrs() {
	local fam=$1 dev=$2
	shift 2
	"$@" ip "-$fam" -o addr show dev "$dev" scope global -tentative 2>/dev/null | awk '{ sub("/.*", "", $4); print $4 }'
}

# has_addr_in PREFIX FAMILY IFACE NSCMD...: IFACE has a global address starting with PREFIX.
has_addr_in() {
	local p=$1
	shift
	[[ $'\n'$(addrs "$@") == *$'\n'"$p"* ]]
}

# masters NSCMD...: "PORT MASTER" for every enslaved link.
masters() {
	"$@" ip -o link show | awk '{ for (i = 3; i < NF; i++) if ($i == "master") print $2, $(i + 1) }' | sort
}

# bridge_nf NSCMD...: "BRIDGE nf_call_iptables V nf_call_ip6tables V ..." for each bridge.
bridge_nf() {
	"$@" ip -d -o link show type bridge | awk '{
		out = $2; for (i = 3; i < NF; i++) if ($i ~ /^nf_call_/) out = out " " $i " " $(i + 1); print out }' | sort
}

# bridges_settled: no bridge of ours is in operstate "unknown", the state a freshly created or
# re-populated bridge shows until the kernel's linkwatch runs (up to ~1 s later).
bridges_settled() {
	local br st
	for br in lxtg0 lxtg1; do
		st=$(hx cat "/sys/class/net/$br/operstate" 2>/dev/null) || continue
		[ "$st" != unknown ] || return 1
	done
}

# ns_pids INODE: pids of processes whose network namespace has inode INODE.
ns_pids() { find /proc/[0-9]*/ns/net -maxdepth 0 -lname "net:\[$1\]" 2>/dev/null | cut -d/ -f3; }

# router_proc COMM: pid of the process called COMM in the router's netns.
router_proc() {
	[ -n "${RPID:-}" ] || return 1
	pgrep -x "$1" --ns "$RPID" --nslist net | head -n1
}

# host_settled: the host's own SLAAC address and RA default route are in place (pre-up baseline).
host_settled() {
	has_addr_in 2001:db8:1: 6 eth0 hx && [ -n "$(hx ip -6 route show default)" ]
}

# dns_answers SERVER: SERVER answers for the router's own name (asked from the host ns).
dns_answers() {
	hx timeout 0.3 "$SB_BUSYBOX" nslookup "$ROUTER.lxtg.internal" "$1" 2>/dev/null | grep -qx "Address: $GUEST4"
}
