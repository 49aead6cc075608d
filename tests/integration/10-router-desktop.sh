#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# `lxctogo-net up desktop` / `down` end to end in the sandbox (issue 4, "Tests"):
#  1. up builds and starts the router: LAN lease + SLAAC on its eth0, host-link addresses and
#     routes, bridges without br_netfilter (the guest bridge is the router's eth1, in its
#     namespace, which turns bridge netfilter off for itself), router sysctls;
#  2. a client netns on the guest bridge gets DHCPv4 + SLAAC + MTU, resolves through the router, reaches the
#     LAN over v4 and v6, and a capture in the LAN shows the router's address (NAT);
#  3. the host reaches the client through lxtg0;
#  4. a second up changes nothing (snapshots of host, router and files);
#  5. up repairs a deleted guest bridge and a flushed table back to the same snapshot;
#  6. a killed dnsmasq answers again within 1 s;
#  7. the live router table equals `lxctogo-net ruleset` loaded into a scratch namespace;
#  8. down leaves the host as before up, with no router, process or runtime file left;
#  9. an overlapping route makes up refuse with one line and change nothing.
# The controller always runs inside the sandbox host namespace (sb_host_exec), never in the root one.
# shellcheck disable=SC2317 # helpers are called through t_ok / sb_wait_for
# shellcheck disable=SC2016 # sh -c scripts get their arguments as $1...

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
# shellcheck source=tests/lib/sandbox.sh
. "$top_srcdir/tests/lib/sandbox.sh"
# shellcheck source=tests/lib/observe.sh
. "$top_srcdir/tests/lib/observe.sh"
: "${LXTG_BIN:=$top_srcdir/lxctogo-net}"

sb_require
[ -x "$LXTG_BIN" ] || t_skip_all "$LXTG_BIN not built"
for c in nft nsenter tcpdump pgrep sha256sum; do
	command -v "$c" >/dev/null || t_skip_all "$c not installed"
done
T0=$(sb_now_ms)
sb_init
# The binary under test, frozen for this run (others may rebuild $LXTG_BIN meanwhile, and the
# router bind-mounts its PID 1 from next to it).
BIN=$(sb_freeze_bin "$LXTG_BIN") || t_bail "cannot copy $LXTG_BIN"
t_diag "testing $LXTG_BIN"

ROUTER=managed
GUEST4=192.168.254.254 GUEST6=fd00:aaaa:254::254 HOST4=192.168.253.253 HOST6=fd00:aaaa:253::253
CL=$SB-cl       # the client netns on the guest bridge
SCRATCH=$SB-nft # empty netns for the reference ruleset
printf '[network]\nuplink = eth0\n' >"$SB_CONF"

# cx CMD...: run CMD in the client namespace.
cx() { ip netns exec "$CL" "$@"; }

# del_ns NAME: delete netns NAME if it exists (cleanup hook).
del_ns() { [ ! -e "/run/netns/$1" ] || ip netns del "$1"; }


# has_words TEXT WORD...: succeed if every WORD occurs in TEXT as a blank-separated word.
has_words() {
	local text=" $1 " w
	shift
	text=${text//$'\n'/ }
	for w; do [[ $text == *" $w "* ]] || return 1; done
}

# in_range ADDR PREFIX LO HI: succeed if ADDR is PREFIX.N with LO <= N <= HI.
in_range() {
	local o=${1##*.}
	[[ $1 == "$2".* && $o =~ ^[0-9]+$ ]] && ((o >= $3 && o <= $4))
}

# sysctls NSCMD... -- KEY...: print KEY=VALUE (or KEY=-) read inside a namespace.
# /proc/sys/net follows the netns of the reading process, so a plain cat is right for nsenter too.
sysctls() {
	local -a pre=()
	while [ "$1" != -- ]; do pre+=("$1"); shift; done
	shift
	"${pre[@]}" sh -c 'for k; do printf "%s=%s\n" "$k" "$(cat "/proc/sys/$k" 2>/dev/null || echo -)"; done' sh "$@"
}

# routes NSCMD... : IPv4 and IPv6 routes without timers, sorted (recreated links reorder them).
routes() {
	{
		"$@" ip -4 route show
		"$@" ip -6 route show
	} | sed -E 's/ expires [0-9]+sec//' | sort
}

HOST_SYSCTLS=(net/ipv4/ip_forward net/ipv6/conf/all/forwarding net/ipv4/conf/all/rp_filter
	net/ipv6/conf/default/accept_ra net/ipv6/conf/default/disable_ipv6)
for i in eth0 lxtg0; do
	HOST_SYSCTLS+=("net/ipv6/conf/$i/accept_ra" "net/ipv6/conf/$i/autoconf" "net/ipv6/conf/$i/disable_ipv6"
		"net/ipv6/conf/$i/forwarding" "net/ipv4/conf/$i/forwarding" "net/ipv4/conf/$i/rp_filter")
done
ROUTER_SYSCTLS=(net/ipv4/ip_forward net/ipv6/conf/all/forwarding net/ipv4/conf/all/rp_filter
	net/ipv6/conf/all/disable_ipv6 net/ipv6/conf/default/disable_ipv6)
for i in eth0 eth1 eth2; do
	ROUTER_SYSCTLS+=("net/ipv6/conf/$i/accept_ra" "net/ipv6/conf/$i/autoconf" "net/ipv6/conf/$i/disable_ipv6"
		"net/ipv6/conf/$i/forwarding" "net/ipv6/conf/$i/accept_dad" "net/ipv4/conf/$i/rp_filter")
done

# host_snap: the host namespace as far as lxctogo-net may touch it.
host_snap() {
	echo "## host links"; hx ip -br link | sort
	echo "## host bridge ports"; masters hx
	echo "## host addresses"; hx ip -br addr | sort
	echo "## host routes"; routes hx
	echo "## host nft"; hx nft -s list ruleset
	echo "## host bridges"; bridge_nf hx
	echo "## host sysctls"; sysctls hx -- "${HOST_SYSCTLS[@]}"
}

# router_snap: the router's namespace.
router_snap() {
	echo "## router links"; rx ip -br link | sort
	echo "## router addresses"; rx ip -br addr | sort
	echo "## router routes"; routes rx
	echo "## router nft"; rx nft -s list ruleset | nft_static
	echo "## router sysctls"; sysctls rx -- "${ROUTER_SYSCTLS[@]}"
}

# files_snap: state dir and lxcpath: every entry with type and mode, and the content of every
# regular file except the volatile ones (dnsmasq's lease file, logs).
files_snap() {
	echo "## files"
	find "$SB_STATE" "$SB_LXCPATH" -printf '%y %m %p %l\n' | sort
	find "$SB_STATE" "$SB_LXCPATH" -type f ! -name dnsmasq.leases ! -name '*.log' -print0 |
		sort -z | xargs -0 -r sha256sum
}

# snap FILE: everything (host, router, files) into FILE, once link states have settled.
snap() {
	sb_wait_for "bridge operstates to settle" 3000 bridges_settled
	router_refresh
	# iproute2 prints "Peer netns reference is invalid" when another test's namespace
	# vanishes mid-dump: noise from parallel tests, not state.
	{ host_snap; router_snap; files_snap; } 2>&1 | grep -v 'Peer netns reference is invalid' >"$1"
}

# answers NAME SERVER: the addresses in busybox nslookup's answer for NAME (A and AAAA), from the client.
answers() {
	cx timeout 2 "$SB_BUSYBOX" nslookup "$1" "$2" 2>/dev/null |
		awk '/^Name:/ { a = 1; next } a && /^Address:/ { print $2 }'
}

# client_dhcp: lease for the client's eth0 (udhcpc, recorded in $SB_TMP/cl.eth0); sets the lease vars.
client_dhcp() {
	rm -f "$SB_TMP/cl.eth0"
	# shellcheck disable=SC2034 # the lease record sets all of them
	ip='' mask='' router='' dns='' domain='' mtu=''
	cx "$SB_BUSYBOX" udhcpc -f -q -n -t 5 -T 1 -O mtu -i eth0 -s "$SB_TMP/cl-udhcpc.script" >/dev/null 2>&1 || return 1
	# shellcheck source=/dev/null
	. "$SB_TMP/cl.eth0"
}

# tcpdump_ready FILE: tcpdump (stderr in FILE) listens.
tcpdump_ready() { grep -q 'listening on' "$1"; }

# captured_both FILE: FILE holds a v4 and a v6 echo request to the LAN router.
captured_both() {
	grep -q " > $SB_LAN_V4: ICMP echo request" "$1" && grep -q " > $SB_LAN_V6: ICMP6, echo request" "$1"
}

# capture_sources FILE FAMILY: the sources of echo requests to the LAN router in FILE.
capture_sources() {
	if [ "$2" = 4 ]; then
		awk -v d="$SB_LAN_V4:" '$2 == "IP" && $5 == d && /echo request/ { print $3 }' "$1"
	else
		awk -v d="$SB_LAN_V6:" '$2 == "IP6" && $5 == d && /echo request/ { print $3 }' "$1"
	fi | sort -u
}

# nothing_of_router: no process in the router's old netns, no container payload, no LXC monitor.
nothing_of_router() {
	[ -z "$(ns_pids "$RNETNS")" ] && [ -z "$(sb__rootfs_pids)" ] && [ -z "$(sb__monitors)" ]
}

# only_registry_files DIR: DIR holds nothing but the lock and the guest registry.
only_registry_files() {
	local extra
	extra=$(find "$1" -mindepth 1 ! -name lock ! -name guests -printf '%P\n')
	[ -z "$extra" ] || { t_diag "left in $1: ${extra//$'\n'/ }"; return 1; }
}

# one_line_overlap FILE: FILE is exactly one line, an lxctogo-net error about an overlap.
one_line_overlap() {
	[ "$(wc -l <"$1")" -eq 1 ] && grep -qE '^lxctogo-net: .*overlap' "$1"
}

# ====================================================================== 1. up desktop
t_ok "host's own SLAAC and RA route are settled before up" sb_wait_for "host SLAAC" 5000 host_settled
host_snap 2>&1 | grep -v 'Peer netns reference is invalid' >"$SB_TMP/snap.pre-up"

t0=$(sb_now_ms)
lx up desktop >&2
rc=$?
UP_COLD_MS=$(($(sb_now_ms) - t0))
t_is "up desktop exits 0" "$rc" 0 || t_bail "up failed; nothing else can be tested"
# Ready means dnsmasq answers: one query right away, before any other probe.
t0=$(sb_now_ms)
hx timeout 1 "$SB_BUSYBOX" nslookup "$ROUTER.lxtg.internal" 192.168.253.254 >/dev/null 2>&1
rc=$?
t_is "dnsmasq answers as soon as up returns" "$rc" 0
t_diag "cold up (nothing -> dnsmasq serving): $UP_COLD_MS ms incl. ~16 ms sb_host_exec; first query $(($(sb_now_ms) - t0)) ms"

t_is "router container $ROUTER is RUNNING (lxc-info in host ns)" "$(sb_lxc info "$ROUTER" -s -H)" RUNNING
router_refresh
[ -n "$RPID" ] || t_bail "no router pid"
RNETNS=$(stat -L -c %i "/proc/$RPID/ns/net")

r4=$(addrs 4 eth0 rx | head -n1)
t_ok "router eth0 has a LAN lease ($r4) in $SB_POOL_FIRST-$SB_POOL_LAST" \
	in_range "$r4" 192.0.2 "${SB_POOL_FIRST##*.}" "${SB_POOL_LAST##*.}"
t_ok "router eth0 gets a SLAAC address in 2001:db8:1::/64 (DAD done)" \
	sb_wait_for "router SLAAC" 5000 has_addr_in 2001:db8:1: 6 eth0 rx
t_diag "router SLAAC after $SB_WAITED_MS ms of polling; router addresses:"
t_diag "$(rx ip -br addr)"
r6=$(addrs 6 eth0 rx | grep '^2001:db8:1:' | head -n1)

t_ok "router eth1 has $GUEST4/24 and $GUEST6/64" has_words "$(rx ip -br addr show dev eth1)" "$GUEST4/24" "$GUEST6/64"
t_ok "host lxtg0 has $HOST4/24" grep -qw "$HOST4/24" <<<"$(hx ip -br addr show dev lxtg0)"
t_ok "host lxtg0 has $HOST6/64" grep -qw "$HOST6/64" <<<"$(hx ip -br addr show dev lxtg0)"
t_ok "host routes 192.168.254.0/24 via lxtg0" grep -q 'dev lxtg0' <<<"$(hx ip -4 route show 192.168.254.0/24)"
t_ok "host routes fd00:aaaa:254::/64 via lxtg0" grep -q 'dev lxtg0' <<<"$(hx ip -6 route show fd00:aaaa:254::/64)"
nf=$(bridge_nf hx | awk '$1 == "lxtg0:"')
t_ok "host bridge lxtg0 has nf_call_iptables 0 and nf_call_ip6tables 0 ($nf)" \
	grep -q 'nf_call_iptables 0 nf_call_ip6tables 0' <<<"$nf"
nf=$(bridge_nf rx | awk '$1 == "eth1:"')
t_ok "the router's guest bridge eth1 has nf_call_iptables 0 and nf_call_ip6tables 0 ($nf)" \
	grep -q 'nf_call_iptables 0 nf_call_ip6tables 0' <<<"$nf"
t_is "the router's namespace has bridge netfilter off for itself" \
	"$(sysctls rx -- net/bridge/bridge-nf-call-iptables net/bridge/bridge-nf-call-ip6tables | tr '\n' ' ')" \
	"net/bridge/bridge-nf-call-iptables=0 net/bridge/bridge-nf-call-ip6tables=0 "
t_is "router sysctls: eth0 accept_ra=2, forwarding=1 (v4 and v6)" \
	"$(sysctls rx -- net/ipv6/conf/eth0/accept_ra net/ipv6/conf/all/forwarding net/ipv4/ip_forward | tr '\n' ' ')" \
	"net/ipv6/conf/eth0/accept_ra=2 net/ipv6/conf/all/forwarding=1 net/ipv4/ip_forward=1 "

# ====================================================================== 2. a client on the guest bridge
ip netns add "$CL" || t_bail "ip netns add $CL failed"
sb_on_cleanup del_ns "$CL"
sb__sysctl "$CL" net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 || t_bail "sysctl in $CL"
sb__udhcpc_script "$SB_TMP/cl" | sb__write "$SB_TMP/cl-udhcpc.script" 0755 || t_bail "udhcpc script"
# Its port goes straight into the router's namespace, as `lxctogo-net plug` does for a guest.
ip -n "$CL" link add eth0 type veth peer name cl0 netns "/proc/$RPID/ns/net" && rx ip link set cl0 master eth1 up ||
	t_bail "client veth failed"
ip -n "$CL" -batch - <<EOF || t_bail "client links failed"
link set lo up
link set eth0 up
EOF

t0=$(sb_now_ms)
t_ok "client gets a DHCPv4 lease from the router" client_dhcp
t_diag "client lease in $(($(sb_now_ms) - t0)) ms: ip=$ip router=$router dns=$dns domain=$domain mtu=$mtu"
t_ok "client address '$ip' is in 192.168.254.101-200" in_range "$ip" 192.168.254 101 200
CLIENT4=$ip
t_is "lease names the router $GUEST4 as gateway" "$router" "$GUEST4"
t_is "lease names the router $GUEST4 as DNS server" "$dns" "$GUEST4"
t_is "lease carries the router's MTU (option 26)" "$mtu" \
	"$(rx ip -o link show dev eth1 | awk '{ for (i = 1; i < NF; i++) if ($i == "mtu") print $(i + 1) }')"
t_ok "client gets a SLAAC address in fd00:aaaa:254::/64" \
	sb_wait_for "client SLAAC" 5000 has_addr_in fd00:aaaa:254: 6 eth0 cx
t_diag "client SLAAC after $SB_WAITED_MS ms of polling"
CLIENT6=$(addrs 6 eth0 cx | grep '^fd00:aaaa:254:' | head -n1)

ans=$(answers "www.$SB_DOMAIN" "$GUEST4")
t_ok "client resolves www.$SB_DOMAIN through the router (AAAA $SB_WWW_V6)" grep -qx "$SB_WWW_V6" <<<"$ans"
t_diag "www.$SB_DOMAIN answers through the router: ${ans//$'\n'/ } (an A record $SB_WWW_V4 may be dropped by rebind protection)"
t_ok "client resolves $ROUTER.lxtg.internal to $GUEST4" grep -qx "$GUEST4" <<<"$(answers "$ROUTER.lxtg.internal" "$GUEST4")"

# The capture runs before the pings; only echo requests (v4 and v6) are of interest.
sb_lan_exec tcpdump -n -l -i br0 --immediate-mode \
	'(icmp and icmp[icmptype] == icmp-echo) or (icmp6 and ip6[40] == 128)' \
	>"$SB_TMP/lan.cap" 2>"$SB_TMP/lan.cap.err" &
TCPDUMP=$!
sb_on_cleanup stop_pid "$TCPDUMP"
sb_wait_for "tcpdump in lan" 3000 tcpdump_ready "$SB_TMP/lan.cap.err" || t_diag "$(cat "$SB_TMP/lan.cap.err")"
t_ok "client pings the LAN router $SB_LAN_V4" cx ping -n -c1 -W2 "$SB_LAN_V4"
t_ok "client pings the LAN router $SB_LAN_V6" cx ping -n -6 -c1 -W2 "$SB_LAN_V6"
sb_wait_for "both echo requests in the capture" 2000 captured_both "$SB_TMP/lan.cap"
kill "$TCPDUMP" 2>/dev/null
wait "$TCPDUMP" 2>/dev/null
t_is "capture in lan: the v4 ping comes from the router's LAN address (NAT)" \
	"$(capture_sources "$SB_TMP/lan.cap" 4 | tr '\n' ' ')" "$r4 "
t_is "capture in lan: the v6 ping comes from the router's SLAAC address (NAT66)" \
	"$(capture_sources "$SB_TMP/lan.cap" 6 | tr '\n' ' ')" "$r6 "

# ====================================================================== 3. host -> client
t_ok "host pings the client's IPv4 $CLIENT4 through lxtg0" sb_host_exec ping -n -c1 -W2 "$CLIENT4"
t_ok "host pings the client's IPv6 $CLIENT6 through lxtg0" sb_host_exec ping -n -6 -c1 -W2 "$CLIENT6"
t_is "host reaches the client via lxtg0" "$(hx ip -o route get "$CLIENT4" | awk '{ for (i = 1; i < NF; i++) if ($i == "dev") print $(i + 1) }')" lxtg0

# ====================================================================== 4. up twice
snap "$SB_TMP/snap.a"
t_ok "second up exits 0" lx up desktop
snap "$SB_TMP/snap.b"
t_ok "second up: identical snapshot (host, router, files)" diff -u "$SB_TMP/snap.a" "$SB_TMP/snap.b"
rpid_before=$RPID

# ====================================================================== 5. repair
rx ip link del eth1
rx nft delete table inet lxctogo
t_ok "damage done: the guest bridge eth1 deleted, router table gone" \
	sh -c '! nsenter -t "$1" -n ip link show eth1 >/dev/null 2>&1 && ! nsenter -t "$1" -n nft list table inet lxctogo >/dev/null 2>&1' \
	sh "$RPID"
t_ok "up after the damage exits 0" lx up desktop
# Our up does not know the admin's client veth: re-attach it the way the admin would.
rx ip link set cl0 master eth1
snap "$SB_TMP/snap.c"
t_ok "up repairs: snapshot equals the one before the damage" diff -u "$SB_TMP/snap.b" "$SB_TMP/snap.c"
t_is "repair did not restart the router" "$RPID" "$rpid_before"
t_ok "client gets a lease again after the repair" client_dhcp
t_ok "repaired client lease '$ip' is in 192.168.254.101-200" in_range "$ip" 192.168.254 101 200

# ====================================================================== 6. dnsmasq respawn
router_refresh
old=$(router_proc dnsmasq)
t_ok "dnsmasq runs in the router (pid ${old:-none})" test -n "$old"
t0=$(sb_now_ms)
kill -9 "$old"
new_dnsmasq() { local p; p=$(router_proc dnsmasq) && [ -n "$p" ] && [ "$p" != "$old" ]; }
sb_wait_for "a new dnsmasq" 3000 new_dnsmasq && sb_wait_for "DNS answers" 3000 dns_answers 192.168.253.254
restart_ms=$(($(sb_now_ms) - t0))
new=$(router_proc dnsmasq)
t_ok "a new dnsmasq (pid ${new:-none}) replaces the killed one ($old)" new_dnsmasq
t_ok "the new dnsmasq answers DNS on the host link" dns_answers 192.168.253.254
t_ok "killed dnsmasq answers again within 1000 ms (took $restart_ms ms)" test "$restart_ms" -lt 1000

# ====================================================================== 7. live ruleset == ruleset/
lx ruleset >"$SB_TMP/ruleset.nft"
rc=$?
t_is "lxctogo-net ruleset exits 0" "$rc" 0
ip netns add "$SCRATCH" || t_bail "ip netns add $SCRATCH failed"
sb_on_cleanup del_ns "$SCRATCH"
t_ok "the rendered ruleset loads into an empty namespace" ip netns exec "$SCRATCH" nft -f "$SB_TMP/ruleset.nft"
ip netns exec "$SCRATCH" nft -s list table inet lxctogo >"$SB_TMP/table.ref" 2>&1
rx nft -s list table inet lxctogo 2>&1 | nft_static >"$SB_TMP/table.live"
t_ok "the live router table equals the ruleset/ contract" diff -u "$SB_TMP/table.ref" "$SB_TMP/table.live"
t_is "the router namespace holds its table and the guards' table, nothing else" \
	"$(rx nft list tables | sort)" "$(printf 'table bridge lxctogo\ntable inet lxctogo')"
ip netns del "$SCRATCH"

# ====================================================================== 8. down
# The client is the test's own addition to the host: take it away first.
rx ip link del cl0
router_refresh
t_ok "down exits 0" lx down
out=$(sb_lxc info "$ROUTER" 2>&1)
rc=$?
t_ok "router is no longer defined (lxc-info: $out)" test "$rc" -ne 0 -a ! -e "$SB_LXCPATH/$ROUTER"
t_ok "the host bridge lxtg0 is gone" sh -c '! ip -n "$1" link show lxtg0 >/dev/null 2>&1' sh "$SB_HOST"
host_snap 2>&1 | grep -v 'Peer netns reference is invalid' >"$SB_TMP/snap.post-down"
t_ok "host snapshot after down equals the one before up" diff -u "$SB_TMP/snap.pre-up" "$SB_TMP/snap.post-down"
t_ok "no process of the router remains" sb_wait_for "router processes to go" 2000 nothing_of_router
t_ok "state dir holds only the lock and registry files" only_registry_files "$SB_STATE"

# ====================================================================== 9. overlap refusal
S9=$SB_TMP/state9 P9=$SB_TMP/lxc9
mkdir -p "$S9" "$P9"
ip -n "$SB_HOST" route add 192.168.254.0/25 dev eth0
host_snap >"$SB_TMP/snap.pre-overlap" 2>&1
sb_host_exec "$BIN" -c "$SB_CONF" -s "$S9" -P "$P9" up desktop >"$SB_TMP/overlap.out" 2>"$SB_TMP/overlap.err"
rc=$?
t_is "up with a route overlapping 192.168.254.0/24 exits 1" "$rc" 1
t_ok "it says so in one line: $(head -n1 "$SB_TMP/overlap.err")" one_line_overlap "$SB_TMP/overlap.err"
host_snap >"$SB_TMP/snap.post-overlap" 2>&1
t_ok "refused up changes nothing in the host" diff -u "$SB_TMP/snap.pre-overlap" "$SB_TMP/snap.post-overlap"
t_ok "refused up defines no container" test ! -e "$P9/$ROUTER"
t_ok "refused up leaves only the lock in its state dir" only_registry_files "$S9"
ip -n "$SB_HOST" route del 192.168.254.0/25 dev eth0

# ====================================================================== cleanup
sb_cleanup
t_ok "nothing of the sandbox is left" sb_assert_clean
t_diag "test took $(($(sb_now_ms) - T0)) ms"
t_done
