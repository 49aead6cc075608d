#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The guest segment in the router's namespace (issue: "the guest segment moves into the router"):
#  1. a config with the deprecated keys bridge_nf and guest_bridge: up and check accept it, with a
#     FILE:LINE note for each;
#  2. up changes no sysctl of the host namespace (every net.* key that existed before keeps its
#     value; the only new keys are lxtg0's own);
#  3. Docker's world set after up (iptables FORWARD policy drop, v4 and v6, and
#     bridge-nf-call-iptables/ip6tables/arptables=1 in the host): guest <-> guest, guest -> LAN,
#     host -> guest and port forwards (v4 and v6) keep working, and the foreign FORWARD chains
#     see none of it;
#  4. the router container killed: the namespace holder keeps the segment, the guests keep their
#     eth0 (same ifindex) and reach each other; up restarts the router in the same namespace;
#  5. the holder killed (the router still runs): status reports it; up adopts the router's
#     namespace with a new holder, without restarting the router;
#  6. down parks the guests' ports in the host (the guests keep running); a guest started while
#     the router is down starts and waits; up plugs every port back and all guests work;
#  7. guest del, the guests stopped, down: the host equals the snapshot taken before up.
# shellcheck disable=SC2317 # helpers are called through t_ok / sb_wait_for
# shellcheck source=tests/faults/lib.sh
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/faults/lib.sh"
f_init
printf '[network]\nuplink = eth0\nbridge_nf = keep\nguest_bridge = lxtgx\n' >"$SB_CONF"

# del_ns NAME: delete netns NAME if it exists (cleanup hook).
del_ns() { [ ! -e "/run/netns/$1" ] || ip netns del "$1"; }
# seg_pid: the router's namespace holder, as up recorded it.
seg_pid() { cut -d' ' -f1 "$SB_STATE/router/holder"; }
# lx_err FILE ARGS...: lx ARGS (in the sandbox host) with its stderr in FILE.
lx_err() {
	local f=$1
	shift
	lx "$@" 2>"$f"
}
# ping_from GUEST [-6] ADDR: one ping from GUEST.
ping_from() {
	local g=$1
	shift
	sb_guest_exec "$g" ping -c1 -W2 "$@" >/dev/null 2>&1
}
# ifindex GUEST: the ifindex of GUEST's eth0.
ifindex() { sb_guest_exec "$1" cat /sys/class/net/eth0/ifindex; }
# fetch4/fetch6 ADDR PORT: what a TCP connection from the LAN peer reads.
fetch() { sb_peer_exec timeout 3 "$SB_BUSYBOX" nc "$1" "$2" </dev/null 2>/dev/null; }
# serve GUEST: a one-line TCP service on port 80 in GUEST (nc in a loop).
serve() {
	printf '#!/bin/sh\necho %s-says-hi\n' "$1" >"$SB_LXCPATH/$1/rootfs/srv-hi" && chmod +x "$SB_LXCPATH/$1/rootfs/srv-hi"
	sb_guest_exec "$1" sh -c 'setsid sh -c "while :; do nc -l -p 80 -e /srv-hi; done" </dev/null >/dev/null 2>&1 &'
}
# where PORT: "host" or "router": the namespace that holds the guest port PORT, and its master.
where() {
	if hx ip link show "$1" >/dev/null 2>&1; then
		echo "host $(hx ip -o link show "$1" | grep -o 'master [^ ]*' || echo nomaster)"
	elif sx ip link show "$1" >/dev/null 2>&1; then
		echo "router $(sx ip -o link show "$1" | grep -o 'master [^ ]*' || echo nomaster)"
	else echo nowhere; fi
}
# traffic TAG: every path of g1 and g2, v4 and v6, and both forwards.
traffic() {
	local tag=$1
	t_ok "$tag: g1 -> g2 over IPv4" ping_from g1 "$G2"
	t_ok "$tag: g2 -> g1 over IPv6" ping_from g2 -6 "$G1V6"
	t_ok "$tag: g1 -> LAN over IPv4 (NAT)" ping_from g1 "$SB_LAN_V4"
	t_ok "$tag: g2 -> LAN over IPv6" ping_from g2 -6 "$SB_LAN_V6"
	t_ok "$tag: host -> g1 over IPv4" hx ping -c1 -W2 "$G1"
	t_ok "$tag: host -> g2 over IPv6" hx ping -6 -c1 -W2 "$G2V6"
	t_is "$tag: LAN -> g1 through the v4 port forward" "$(fetch "$RLAN4" 8080)" g1-says-hi
	t_is "$tag: LAN -> g2 through the v6 port forward" "$(fetch "$RLAN6" 8081)" g2-says-hi
}
# all_flows: traffic's paths, quietly (for polling after a change); FLOW_FAILED names the first that failed.
all_flows() {
	FLOW_FAILED="g1 -> g2 v4"; ping_from g1 "$G2" || return 1
	FLOW_FAILED="g2 -> g1 v6"; ping_from g2 -6 "$G1V6" || return 1
	FLOW_FAILED="g1 -> LAN v4"; ping_from g1 "$SB_LAN_V4" || return 1
	FLOW_FAILED="g2 -> LAN v6"; ping_from g2 -6 "$SB_LAN_V6" || return 1
	FLOW_FAILED="v4 forward to g1"; [ "$(fetch "$RLAN4" 8080)" = g1-says-hi ] || return 1
	FLOW_FAILED="v6 forward to g2"; [ "$(fetch "$RLAN6" 8081)" = g2-says-hi ] || return 1
	FLOW_FAILED=
}
# flows DESC: all_flows within 8 s, naming what failed.
flows() {
	sb_wait_for "$1" 8000 all_flows >/dev/null 2>&1 && return 0
	t_diag "failing: $FLOW_FAILED"
	return 1
}
# sysctls_kept BEFORE AFTER: every key of BEFORE has the same value in AFTER; prints the diff.
sysctls_kept() {
	local d
	d=$(join -t '=' -j 1 <(sed 's/ = /=/' "$1" | sort -t= -k1,1) <(sed 's/ = /=/' "$2" | sort -t= -k1,1) |
		awk -F= '$2 != $3')
	[ -z "$d" ] || { t_diag "changed: $(head -n 20 <<<"$d")"; return 1; }
	# keys that went away
	d=$(comm -23 <(cut -d' ' -f1 "$1" | sort -u) <(cut -d' ' -f1 "$2" | sort -u))
	[ -z "$d" ] || { t_diag "gone: $(head -n 20 <<<"$d")"; return 1; }
}
# pre_up_state FILE: the host namespace as up may touch it (links, addresses, routes, nft, sysctls).
pre_up_state() { settle; host_snap >"$1" 2>&1; }

sb_wait_for "host SLAAC and RA route" 5000 host_settled
pre_up_state "$SB_TMP/host.before"
netsysctls hx >"$SB_TMP/sysctl.before"
t_ok "the pre-up snapshot holds the host's sysctls" grep -q 'net.ipv4.ip_forward' "$SB_TMP/sysctl.before"

# ====================================================================== 1. deprecated keys
lx check >"$SB_TMP/check.out" 2>&1
t_ok "check notes the deprecated bridge_nf with FILE:LINE" grep -q "$SB_CONF:3: bridge_nf is deprecated" "$SB_TMP/check.out"
t_ok "check notes the deprecated guest_bridge with FILE:LINE" grep -q "$SB_CONF:4: guest_bridge is deprecated" "$SB_TMP/check.out"
t_ok "up desktop with the deprecated keys exits 0" lx_err "$SB_TMP/up.err" up desktop
t_diag "$(cat "$SB_TMP/up.err")"
t_ok "up prints the note for bridge_nf" grep -q "^lxctogo-net: note: $SB_CONF:3: bridge_nf is deprecated" "$SB_TMP/up.err"
t_ok "up prints the note for guest_bridge" grep -q "^lxctogo-net: note: $SB_CONF:4: guest_bridge is deprecated" "$SB_TMP/up.err"
t_ok "no bridge lxtgx (nor lxtg1) in the host" not grep_out 'lxtgx|lxtg1' hx ip link show type bridge

# ====================================================================== 2. no global change on the host
netsysctls hx >"$SB_TMP/sysctl.up"
t_ok "up changed no sysctl of the host namespace" sysctls_kept "$SB_TMP/sysctl.before" "$SB_TMP/sysctl.up"
t_is "the only new host sysctls are those of the new links lxtg0 and lxtg0-r" \
	"$(comm -13 <(cut -d' ' -f1 "$SB_TMP/sysctl.before" | sort -u) <(cut -d' ' -f1 "$SB_TMP/sysctl.up" | sort -u) | grep -Evc '\.lxtg0(-r)?\.')" 0
t_is "the host holds lxtg0 and the router's link, no guest bridge" \
	"$(hx ip -o link show type bridge | awk '{ print $2 }' | tr -d : | tr '\n' ' ')" "lxtg0 "
t_ok "the guest bridge eth1 is in the router's namespace" grep_out 'bridge' sx ip -d link show eth1

for g in g1 g2; do
	sb_make_guest "$g" || t_bail "make guest $g"
	t_ok "guest add $g" lx guest add "$g"
	t_ok "$g starts" sb_start_guest "$g"
done
t_is "g1's port is on the router's guest bridge" "$(where lxg-g1)" "router master eth1"
G1=$(json_field g1 ipv4) G1V6=$(json_field g1 ipv6) G2=$(json_field g2 ipv4) G2V6=$(json_field g2 ipv6)
t_ok "g1 leases $G1" grep_out "ip='$G1'" guest_lease g1
t_ok "g2 leases $G2" grep_out "ip='$G2'" guest_lease g2
for g in g1 g2; do
	v6=$(json_field "$g" ipv6)
	t_ok "$g has its SLAAC address" sb_wait_for "$g SLAAC" 5000 grep_out "$v6/64" sb_guest_exec "$g" ip -6 addr show dev eth0
	serve "$g"
done
t_ok "port add g1 8080:80" lx port add g1 8080:80
t_ok "port add g2 8081:80" lx port add g2 8081:80
settle # the router's SLAAC address on the LAN (later than up's return under load)
RLAN4=$(addrs 4 eth0 rx | head -n1) RLAN6=$(addrs 6 eth0 rx | grep '^2001:db8:1:' | head -n1)
t_ok "the router has LAN addresses ($RLAN4, $RLAN6)" test -n "$RLAN4" -a -n "$RLAN6"
sb_wait_for "traffic" 5000 all_flows
traffic "control"
netsysctls hx >"$SB_TMP/sysctl.guests"
t_ok "with guests attached, still no host sysctl changed" sysctls_kept "$SB_TMP/sysctl.before" "$SB_TMP/sysctl.guests"

# ====================================================================== 3. Docker's world after up
docker_world
t_is "Docker's settings are in place in the host" \
	"$(hx sysctl -n net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables | tr '\n' ' ')$(hx nft list chain ip filter FORWARD | grep -c 'policy drop')" "1 1 1"
# Positive control: two peers on a bridge of the host (where the guest bridge used to be) no
# longer reach each other, and the foreign chain counts their packets.
DA=$SB-da DB=$SB-db
sb_on_cleanup del_ns "$DA"
sb_on_cleanup del_ns "$DB"
hx ip link add sbdk type bridge && hx ip link set sbdk up
for n in a b; do
	ns=$SB-d$n
	# IPv4 only: their IPv6 neighbour discovery would move the foreign counter at any time.
	ip netns add "$ns" && ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1 &&
		hx ip link add "sbdk$n" type veth peer name eth0 netns "$ns" &&
		hx ip link set "sbdk$n" master sbdk up && ip -n "$ns" link set eth0 up
done
ip -n "$DA" addr add 198.51.100.1/24 dev eth0 && ip -n "$DB" addr add 198.51.100.2/24 dev eth0
c0=$(docker_counter)
t_ok "control: Docker's world cuts two peers on a host bridge" not ip netns exec "$DA" ping -c2 -W1 198.51.100.2
t_ok "control: the foreign FORWARD chain counted their packets" test "$(docker_counter)" -gt "$c0"
hx ip link del sbdk && del_ns "$DA" && del_ns "$DB"
c0=$(docker_counter)
traffic "Docker's world"
t_is "the foreign FORWARD chains saw none of the guests' traffic" "$(docker_counter)" "$c0"
t_ok "status reports no drift" not grep_out '^drift:' lx status
hx nft delete table ip filter && hx nft delete table ip6 filter

# ====================================================================== 4. the router killed
i1=$(ifindex g1) i2=$(ifindex g2)
router_refresh
rpid=$RPID
[ -n "$rpid" ] || t_bail "the router's pid is unknown"
kill -9 "$rpid"
gone() { [ ! -e "/proc/$rpid" ] && [ "$(sb_guest_state managed)" != RUNNING ]; }
t_ok "the router container is gone" sb_wait_for "router gone" 5000 gone
t_ok "the holder still holds the segment" sx ip link show eth1
t_is "g1 keeps its eth0 (ifindex)" "$(ifindex g1)" "$i1"
t_ok "g1 -> g2 over IPv4 without the router" ping_from g1 "$G2"
t_ok "g2 -> g1 over IPv6 without the router" ping_from g2 -6 "$G1V6"
# The forwarding and NAT are the kernel's, in the namespace the holder keeps.
t_ok "without the router's processes, the kernel still routes: g1 reaches the LAN" ping_from g1 "$SB_LAN_V4"
t_ok "status reports the router as not running" grep_out 'managed +STOPPED' lx status
t_ok "up after the router was killed exits 0" lx up
router_refresh
t_ok "the router runs again (new pid)" test -n "$RPID" -a "$RPID" != "$rpid"
t_is "the router shares the holder's namespace" "$(readlink "/proc/$RPID/ns/net")" "$(readlink "/proc/$(seg_pid)/ns/net")"
t_is "g1 still has the same eth0" "$(ifindex g1)" "$i1"
t_is "g2 still has the same eth0" "$(ifindex g2)" "$i2"
t_ok "traffic flows again" flows "traffic after the restart"

# ====================================================================== 5. the holder killed
hpid=$(seg_pid)
rpid=$RPID
[ -n "$hpid" ] && [ -n "$rpid" ] || t_bail "the holder's or the router's pid is unknown"
kill -9 "$hpid"
t_ok "the holder is gone" sb_wait_for "holder gone" 3000 test ! -e "/proc/$hpid"
t_ok "status reports the missing holder as drift" grep_out '^drift: router: its namespace holder is gone' lx status
t_ok "up adopts the router's namespace" lx up
t_ok "a new holder is recorded" test "$(seg_pid)" != "$hpid" -a -e "/proc/$(seg_pid)"
t_is "the new holder is in the router's namespace" "$(readlink "/proc/$(seg_pid)/ns/net")" "$(readlink "/proc/$rpid/ns/net")"
t_is "... and in its user namespace (router_idmap)" "$(readlink "/proc/$(seg_pid)/ns/user")" "$(readlink "/proc/$rpid/ns/user")"
t_ok "... which is not the host's" test "$(readlink "/proc/$rpid/ns/user")" != "$(readlink /proc/self/ns/user)"
router_refresh
t_is "the router was not restarted" "$RPID" "$rpid"
t_ok "status: no drift after up" not grep_out '^drift:' lx status
t_ok "traffic flows" flows "traffic after the adoption"

# ====================================================================== 6. down parks, up plugs
sb_make_guest g3 || t_bail "make guest g3"
t_ok "guest add g3 (stopped)" lx guest add g3
t_ok "down with g1 and g2 running" lx down
t_is "g1's port waits in the host, on no bridge" "$(where lxg-g1)" "host nomaster"
t_is "g2's port waits in the host, on no bridge" "$(where lxg-g2)" "host nomaster"
t_is "g1 keeps its eth0 across down" "$(ifindex g1)" "$i1"
t_ok "no holder is left after down" test ! -e "$SB_STATE/router/holder"
sb_lxc start g3 -o "$SB_TMP/g3-start.log" -l DEBUG 2>"$SB_TMP/g3-start.err"
g3_runs() { [ "$(sb_guest_state g3)" = RUNNING ]; }
t_ok "g3 starts while the router is down" sb_wait_for "g3 running" 5000 g3_runs
g3_waits() { [ "$(where lxg-g3)" = "host nomaster" ]; }
t_ok "... and its port waits in the host" sb_wait_for "lxg-g3 in the host" 3000 g3_waits
t_ok "the plug hook said why" grep -q 'the router is down; lxg-g3 waits' "$SB_TMP/g3-start.log" "$SB_TMP/g3-start.err" "$SB_LXCPATH/g3/lxc.log"
t_ok "up after down" lx up desktop
for g in g1 g2 g3; do
	t_is "$g's port is back on the router's guest bridge" "$(where "lxg-$g")" "router master eth1"
done
G3=$(json_field g3 ipv4)
t_ok "g3 leases $G3" grep_out "ip='$G3'" guest_lease g3
t_ok "g3 reaches g1" ping_from g3 "$G1"
settle # the router's SLAAC address on the LAN
RLAN4=$(addrs 4 eth0 rx | head -n1) RLAN6=$(addrs 6 eth0 rx | grep '^2001:db8:1:' | head -n1)
t_ok "g1 and g2: all traffic flows after up" flows "traffic after up"
t_is "g1 kept its eth0 through down and up" "$(ifindex g1)" "$i1"

# ====================================================================== 7. down == before up
for g in g1 g2 g3; do
	t_ok "guest del $g" lx guest del "$g"
	sb_stop_guest "$g"
done
t_ok "down" lx down
pre_up_state "$SB_TMP/host.after"
same_snap "the host after down equals the snapshot before up" "$SB_TMP/host.before" "$SB_TMP/host.after"
t_ok "no holder process is left" not pgrep -f "lxtg-init hold $SB_STATE"
f_done
