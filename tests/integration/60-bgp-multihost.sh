#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Beyond one host (issue: guest networks of several hosts route to each other through BGP).
# Three simulated LXC hosts a, b, c on the sandbox LAN, each with its own state dir, lxcpath,
# guest subnet (10.81/82/83.0.0/24), ULA /64 (fd00:81/82/83::/64) and DNS domain
# (a/b/c.lxtg.internal), a fixed router address on the LAN (192.0.2.61-63, 2001:db8:1::61-63)
# and BGP between the three routers (BIRD 2 in each). One busybox guest per host: g1, g2, g3.
# Every guest pings every other by name over v4 and v6; the receiver sees the sender's own
# address (no NAT between hosts); a guest still reaches the LAN through NAT; names and reverse
# lookups of the other hosts' guests resolve through the guest's own router. A rogue BGP
# speaker in the LAN (configured as a peer of a) announcing a default route, a's own subnet and
# a prefix outside the accept list changes no route of a. Host b vanishing from the LAN (its
# router's link down, no goodbye) has its routes withdrawn within the hold time while a and c
# keep talking; back on the LAN, the mesh returns with no command. `down` then `up` on b
# restores it too; a change of peers reloads BIRD without a restart; `down` on every host
# leaves nothing.
# shellcheck disable=SC2317 # helpers are called through t_ok / sb_wait_for
# shellcheck source=tests/lib/sandbox.sh
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/sandbox.sh"
sb_require
BIN=${LXTG_BIN:-$top_srcdir/lxctogo-net}
[ -x "$BIN" ] || t_skip_all "lxctogo-net not built ($BIN)"
command -v bird >/dev/null && command -v birdc >/dev/null || t_skip_all "BIRD 2 is not installed (apt-get install bird2)"
sb_init
BIN=$(sb_freeze_bin "$BIN") || t_bail "cannot copy the binary"
. "$top_srcdir/tests/lib/lxtg.sh"

HOLD=6
declare -A NS NUM G4 G6
NUM=([a]=1 [b]=2 [c]=3)
NS[a]=$SB_HOST
sb_add_host b || t_bail "host b"
sb_add_host c || t_bail "host c"
NS[b]=$SB-b NS[c]=$SB-c

# hx H CMD...: CMD in host H's namespace (with the cgroup mounts liblxc needs).
hx() { local h=$1; shift; sb_ns_exec "${NS[$h]}" "$@"; }
# lxh H ARGS...: lxctogo-net on host H, with H's config, state and lxcpath.
lxh() { local h=$1; shift; hx "$h" "$BIN" -c "$SB_TMP/$h.conf" -s "$SB_TMP/$h/state" -P "$SB_TMP/$h/lxc" "$@"; }
rpid() { hx "$1" lxc-info -P "$SB_TMP/$1/lxc" -n managed -pH; }
# inr H CMD...: CMD in host H's router namespace (observation).
inr() { local h=$1; shift; nsenter -t "$(rpid "$h")" -n "$@"; }
gname() { echo "g${NUM[$1]}"; }
gpid() { hx "$1" lxc-info -P "$SB_TMP/$1/lxc" -n "$(gname "$1")" -pH; }
# ing H CMD...: CMD in host H's guest (its network namespace; lxc-attach for what needs its files).
ing() { local h=$1; shift; nsenter -t "$(gpid "$h")" -n "$@"; }
gexec() { local h=$1; shift; hx "$h" lxc-attach -P "$SB_TMP/$h/lxc" -n "$(gname "$h")" --clear-env -v PATH=/usr/sbin:/usr/bin:/sbin:/bin -- "$@"; }
# birdc_of H CMD...: ask host H's BIRD through its control socket (observation).
birdc_of() { local h=$1; shift; birdc -s "$SB_TMP/$h/state/router/rootfs/lxtg/run/bird.ctl" "$@"; }
guest_field() { lxh "$1" -j guest list | python3 -c 'import json,sys; print({x["name"]:x for x in json.load(sys.stdin)}[sys.argv[1]][sys.argv[2]])' "$2" "$3"; }

# conf H [EXTRA_PEER]: host H's config; the other two hosts are its peers.
conf() {
	local h=$1 n=${NUM[$1]} o peers="" accept=""
	for o in a b c; do
		[ "$o" = "$h" ] && continue
		local m=${NUM[$o]}
		peers+="${peers:+, }192.0.2.6$m as 6500$m domain $o.lxtg.internal subnet 10.8$m.0.0/24 subnet fd00:8$m::/64"
		accept+="${accept:+, }10.8$m.0.0/24, fd00:8$m::/64"
	done
	[ -n "${2:-}" ] && peers+=", $2"
	cat >"$SB_TMP/$h.conf" <<EOF
[network]
uplink = eth0
attach = macvlan
uplink_ipv4 = 192.0.2.6$n/24
uplink_gateway4 = $SB_LAN_V4
uplink_ipv6 = 2001:db8:1::6$n/64
uplink_gateway6 = $SB_LAN_V6
[ipv4]
guest_subnet = 10.8$n.0.0/24
dhcp_range = 10.8$n.0.100-10.8$n.0.200
[ipv6]
guest_prefix = fd00:8$n::/64
[dns]
domain = $h.lxtg.internal
upstream = $SB_LAN_V4
[routing]
bgp = on
asn = 6500$n
hold_time = $HOLD
password = lxtg-test-secret
peers = $peers
accept = $accept
EOF
}

# A rogue BGP speaker on the LAN (the peer namespace, 192.0.2.10): a default route, a's own
# guest subnet, a prefix that a does not accept and a more specific one inside b's subnet that
# only b's own announcement may bring.
cat >"$SB_TMP/rogue.conf" <<EOF
router id $SB_PEER_V4;
protocol device {}
protocol static rogue4 { ipv4; route 0.0.0.0/0 blackhole; route 10.81.0.0/24 blackhole;
	route 10.81.0.128/25 blackhole; route 198.51.100.0/24 blackhole; }
protocol static rogue6 { ipv6; route ::/0 blackhole; route fd00:81::/64 blackhole; route 2001:db8:99::/48 blackhole; }
protocol bgp a { local $SB_PEER_V4 as 65010; neighbor 192.0.2.61 as 65001; direct; hold time $HOLD;
	password "lxtg-test-secret";
	connect retry time 2; error wait time 1, 8;
	ipv4 { import none; export all; }; ipv6 { import none; export all; }; }
EOF

for h in a b c; do
	mkdir -p "$SB_TMP/$h/state" "$SB_TMP/$h/lxc"
	conf "$h" "$([ "$h" = a ] && echo "$SB_PEER_V4 as 65010")"
	t_ok "check on $h" lxh "$h" check
	t_ok "up on $h (desktop, fixed uplink address, bgp = on)" lxh "$h" up
done
t_ok "the rogue speaker's config is valid BIRD" bird -p -c "$SB_TMP/rogue.conf"
sb_peer_exec bird -c "$SB_TMP/rogue.conf" -s "$SB_TMP/rogue.ctl" || t_diag "rogue bird did not start"

for h in a b c; do
	g=$(gname "$h")
	SB_LXCPATH=$SB_TMP/$h/lxc sb_make_guest "$g" || t_bail "make guest $g"
	hx "$h" lxc-start -P "$SB_TMP/$h/lxc" -n "$g" </dev/null || t_bail "start $g"
	ing "$h" ip link set lo up
	t_ok "guest add $g on $h" lxh "$h" guest add "$g"
	gexec "$h" udhcpc -i eth0 -q -n -t 5 >/dev/null 2>&1
	G4[$h]=$(guest_field "$h" "$g" ipv4)
	G6[$h]=$(guest_field "$h" "$g" ipv6)
	t_ok "$g leased ${G4[$h]} from its router" grep -q "ip='${G4[$h]}'" "$SB_TMP/$h/lxc/$g/rootfs/run/dhcp.eth0"
done
has6() { ing "$1" ip -6 addr show dev eth0 | grep -q "${G6[$1]}/64" && ing "$1" ip -6 route show default | grep -q via; }
for h in a b c; do
	t_ok "$(gname "$h") has its IPv6 address ${G6[$h]} and a default route (SLAAC)" sb_wait_for "SLAAC in $h" 10000 has6 "$h"
done

# birds_of H: the BIRD of host H's router (a bird in the namespace of H's router, or of its holder).
birds_of() {
	local p ns
	ns=$(readlink "/proc/$(cut -d' ' -f1 "$SB_TMP/$1/state/router/holder" 2>/dev/null)/ns/net" 2>/dev/null) || return 0
	for p in $(pgrep -x bird); do [ "$(readlink "/proc/$p/ns/net")" = "$ns" ] && echo "$p"; done
	return 0
}
# established H PEER_ADDR: host H's status shows the session with PEER_ADDR established.
established() { lxh "$1" status | grep -q "^bgp: $2 as [0-9]* established"; }
for h in a b c; do
	for o in a b c; do
		[ "$o" = "$h" ] && continue
		t_ok "$h: BGP session with $o (192.0.2.6${NUM[$o]}) established" \
			sb_wait_for "$h-$o session" 20000 established "$h" "192.0.2.6${NUM[$o]}"
	done
done
t_ok "a: the rogue speaker's session is established too" sb_wait_for "a-rogue session" 20000 established a "$SB_PEER_V4"
# route_to H FAMILY PREFIX: host H's router routes PREFIX through a peer (a BGP route).
route_to() { inr "$1" ip -"$2" route show "$3" | grep -q "via .*proto bird"; }
for h in a b c; do
	for o in a b c; do
		[ "$o" = "$h" ] && continue
		t_ok "$h's router has a BGP route to $o's guests (v4 and v6)" \
			sb_wait_for "routes $h->$o" 10000 eval "route_to $h 4 10.8${NUM[$o]}.0.0/24 && route_to $h 6 fd00:8${NUM[$o]}::/64"
	done
done

# ---- the sessions are signed (TCP-MD5, [routing] password)
md5_seen() {
	sb_lan_exec timeout 8 tcpdump -n -v -l -c 1 -i br0 "tcp port 179 and host 192.0.2.61 and host 192.0.2.62" >"$SB_TMP/cap.md5" 2>/dev/null
	grep -q "md5" "$SB_TMP/cap.md5"
}
t_ok "the BGP segments between a and b carry a TCP-MD5 signature (keepalives seen on the LAN)" md5_seen
plain_bgp() { sb_peer_exec python3 -c 'import socket, sys; socket.create_connection((sys.argv[1], 179), 2)' 192.0.2.61; }
t_ok "a TCP connection to a's BGP port without the signature gets nowhere (from a configured peer's address)" not plain_bgp

# ---- BIRD is supervised: killed, it is back within a second, and so are the routes
p_a=$(birds_of a)
t_ok "a's router runs one BIRD" test -n "$p_a"
kill -9 "$p_a"
back() { local p; p=$(birds_of a); [ -n "$p" ] && [ "$p" != "$p_a" ]; }
t_ok "a killed BIRD is running again within 1 s" sb_wait_for "BIRD respawn" 1000 back
t_ok "... and a's routes to b and c return" \
	sb_wait_for "routes after respawn" 20000 eval "route_to a 4 10.82.0.0/24 && route_to a 4 10.83.0.0/24"

# ---- every guest reaches every other, by name, v4 and v6, with its own address
for h in a b c; do
	for o in a b c; do
		[ "$o" = "$h" ] && continue
		name="$(gname "$o").$o.lxtg.internal"
		t_ok "$(gname "$h") pings $name (v4)" sb_wait_for "$h->$o v4" 5000 gexec "$h" ping -4 -c1 -W1 "$name"
		t_ok "$(gname "$h") pings $name (v6)" sb_wait_for "$h->$o v6" 5000 gexec "$h" ping -6 -c1 -W1 "$name"
	done
done
t_ok "g1 resolves g2.b.lxtg.internal to g2's address" \
	grep_out "Address:[[:space:]]*${G4[b]}\$" gexec a nslookup -type=a g2.b.lxtg.internal
t_ok "g1 resolves g2.b.lxtg.internal's AAAA" \
	grep_out "Address:[[:space:]]*${G6[b]}\$" gexec a nslookup -type=aaaa g2.b.lxtg.internal
t_ok "g1 resolves g3's address back to g3.c.lxtg.internal (reverse, through its router)" \
	grep_out "g3.c.lxtg.internal" gexec a nslookup "${G4[c]}"
t_ok "g3 resolves g1's IPv6 address back to g1.a.lxtg.internal" \
	grep_out "g1.a.lxtg.internal" gexec c nslookup "${G6[a]}"

# ping_captured OUT FAMILY DST CAPTURE...: g1 pings DST while CAPTURE (a bounded tcpdump) writes OUT.
ping_captured() {
	local out=$1 fam=$2 dst=$3 pid
	shift 3
	"$@" >"$out" 2>/dev/null &
	pid=$!
	sleep 0.5
	gexec a ping -"$fam" -c 2 -W1 "$dst" >/dev/null 2>&1
	wait "$pid"
}
# seen_from H FAMILY SRC DST: g(H) sees an echo request from SRC when g1 pings DST.
seen_from() {
	ping_captured "$SB_TMP/cap.$1.$2" "$2" "$4" ing "$1" timeout 5 tcpdump -n -l -c 1 -i eth0 \
		"icmp$([ "$2" = 6 ] && echo 6) and src host $3"
	grep -q "$3" "$SB_TMP/cap.$1.$2"
}
t_ok "g2 sees g1's own IPv4 address (no NAT between hosts)" seen_from b 4 "${G4[a]}" "${G4[b]}"
t_ok "g2 sees g1's own IPv6 address" seen_from b 6 "${G6[a]}" "${G6[b]}"
# The LAN sees the router's address: guests still leave for the LAN through NAT.
nat_src() {
	ping_captured "$SB_TMP/cap.nat" 4 "$SB_PEER_V4" sb_peer_exec timeout 5 tcpdump -n -l -c 1 -i eth0 \
		"icmp and dst host $SB_PEER_V4 and icmp[icmptype] == icmp-echo"
	grep -q "192.0.2.61 > $SB_PEER_V4" "$SB_TMP/cap.nat"
}
t_ok "g1 reaches the LAN peer through NAT (the peer sees a's router, 192.0.2.61)" nat_src

# ---- the rogue speaker: announced, received, filtered, no route changed
rogue_stats() { birdc_of a show protocols all peer3 | grep -A1 -E 'Import updates' | head -1; }
t_diag "a's import from the rogue: $(rogue_stats)"
t_ok "a received the rogue's announcements (import updates > 0)" \
	test "$(rogue_stats | awk '{ print $3 }')" -ge 4
t_ok "... and filtered every one of them" test "$(rogue_stats | awk '{ print $3 }')" -eq "$(rogue_stats | awk '{ print $5 }')"
t_ok "a's router keeps the LAN's default route" grep_out "default via $SB_LAN_V4 dev eth0" inr a ip -4 route show default
t_ok "... and no default route from BGP" not grep_out "proto bird" inr a ip -4 route show default
t_ok "... no IPv6 default route but the LAN's" not grep_out "proto bird" inr a ip -6 route show default
t_ok "... no route into its own subnet from BGP" not grep_out "proto bird" inr a ip -4 route show 10.81.0.128/25
t_ok "... no route to the prefix it does not accept" not grep_out "198.51.100" inr a ip -4 route
t_ok "... nor to 2001:db8:99::/48" not grep_out "2001:db8:99" inr a ip -6 route

# ---- status
t_ok "status -j on a lists three BGP sessions, two with one v4 and one v6 prefix received" \
	python3 -c '
import json, sys
r = json.loads(sys.stdin.read())[0]
s = {b["peer"]: b for b in r["bgp"]}
assert len(s) == 3, s
for p in ("192.0.2.62", "192.0.2.63"):
    assert s[p]["state"] == "established" and s[p]["prefixes_received"] == 2 and s[p]["prefixes_sent"] >= 2, s[p]
assert s["192.0.2.10"]["prefixes_received"] == 0, s
assert not any("BGP" in d for d in r["drift"]), r["drift"]
' < <(lxh a -j status)

# ---- host b vanishes from the LAN (no goodbye): its routes go within the hold time
gone() { ! route_to "$1" 4 10.82.0.0/24 && ! route_to "$1" 6 fd00:82::/64; }
# leak: a capture on the LAN switch sees g1's own address while g1 pings g2.
leak() {
	ping_captured "$SB_TMP/cap.leak" 4 "${G4[b]}" sb_lan_exec timeout 4 tcpdump -n -l -c 1 -i br0 "src host ${G4[a]}"
	grep -q "${G4[a]}" "$SB_TMP/cap.leak"
}
t_ok "control: with b up, g1's packets for g2 cross the LAN with g1's own address" leak
# b's switch port (its host's cable) goes down: nothing of b says goodbye.
bport=$(ip -n "$SB_LAN" -o link show master br0 | awk -F': ' '{ print $2 }' | cut -d@ -f1 | grep '^x0$')
t_is "b's port on the LAN switch is x0" "$bport" x0
t0=$(sb_now_ms)
ip -n "$SB_LAN" link set x0 down
t_ok "b's routes are withdrawn from a within the hold time ($HOLD s)" sb_wait_for "a withdraws b" $((HOLD * 1000 + 2000)) gone a
t_diag "a withdrew b's routes after $(($(sb_now_ms) - t0)) ms"
t_ok "... and from c" sb_wait_for "c withdraws b" 3000 gone c
t_ok "status on a: b's session is drift" sb_wait_for "drift" 3000 grep_out "drift: BGP peer 192.0.2.62 (as 65002) is not established" lxh a status
t_ok "g1 and g3 keep talking (v4)" gexec a ping -4 -c1 -W1 g3.c.lxtg.internal
t_ok "g1 and g3 keep talking (v6)" gexec a ping -6 -c1 -W1 g3.c.lxtg.internal
t_ok "a's router holds b's subnet as unreachable meanwhile" grep_out "unreachable 10.82.0.0/24" inr a ip -4 route
t_ok "g1's packets for g2 do not leave a un-NATed toward the LAN's gateway" not leak
ip -n "$SB_LAN" link set x0 up
t_ok "b back on the LAN: a's routes to b return with no command" \
	sb_wait_for "a relearns b" 30000 eval "route_to a 4 10.82.0.0/24 && route_to a 6 fd00:82::/64"
t_ok "g1 pings g2 again" sb_wait_for "g1->g2" 5000 gexec a ping -4 -c1 -W1 g2.b.lxtg.internal

# ---- down and up on b
t_ok "down on b" lxh b down
t_ok "b's routes are gone from a at once (its BIRD closed the session)" sb_wait_for "a withdraws b" 3000 gone a
t_ok "up on b" lxh b up
t_ok "the mesh returns: a routes to b again" \
	sb_wait_for "a relearns b" 30000 eval "route_to a 4 10.82.0.0/24 && route_to a 6 fd00:82::/64"
t_ok "g2 (still running) pings g3 by name" sb_wait_for "g2->g3" 10000 gexec b ping -4 -c1 -W1 g3.c.lxtg.internal

# ---- a change of peers reloads BIRD, never restarts it
p0=$(birds_of a)
up0=$(birdc_of a show protocols peer1 | awk '/peer1/ { print $5 }')
conf a # without the rogue peer
t_ok "up on a with one peer fewer" lxh a up
t_is "a's BIRD was reloaded, not restarted (same pid)" "$(birds_of a)" "$p0"
t_ok "the rogue's session is gone from a's BIRD" not grep_out "^peer3 " birdc_of a show protocols
t_is "the session with b was not reset by the reload" "$(birdc_of a show protocols peer1 | awk '/peer1/ { print $5 }')" "$up0"
t_ok "status on a shows two sessions" test "$(lxh a status | grep -c '^bgp: ')" -eq 2

# ---- the router owns lxtg/run: a link it puts in place of BIRD's socket is never connected to
# (done here from the host, as the router's root could do it from inside)
RUNA=$SB_TMP/a/state/router/rootfs/lxtg/run
mv "$RUNA/bird.ctl" "$RUNA/bird.ctl.real" && ln -s "$SB_TMP/rogue.ctl" "$RUNA/bird.ctl"
t_ok "control: through the link, a BIRD answers (the rogue's)" grep_out "BIRD" birdc -s "$RUNA/bird.ctl" show status
# (status exits non-zero with drift: its output is taken whole, then searched)
st=$(lxh a status 2>&1)
t_ok "status on a does not talk through the link: it reports the socket as drift" \
	grep -q "^drift: BIRD does not answer on /lxtg/run/bird.ctl (Socket operation on non-socket)" <<<"$st"
rm "$RUNA/bird.ctl" && mv "$RUNA/bird.ctl.real" "$RUNA/bird.ctl"
t_ok "with the socket back, status on a shows two sessions" test "$(lxh a status | grep -c '^bgp: ')" -eq 2

# ---- down leaves nothing
empty_ns() { test -z "$(ip netns pids "$1")"; }
links_of() { ip -n "$1" -o link | awk -F': ' '{ print $2 }' | cut -d@ -f1 | sort | xargs; }
# The guest's veth goes with its netns, which the kernel tears down after its last process.
only_lo_eth0() { test "$(links_of "$1")" = "eth0 lo"; }
sb_peer_exec birdc -s "$SB_TMP/rogue.ctl" down >/dev/null 2>&1
for h in a b c; do
	bp=$(birds_of "$h")
	t_ok "$h's router runs its BIRD (pid $bp)" test -n "$bp"
	t_ok "down on $h" lxh "$h" down
	t_ok "... and it is gone" not kill -0 $bp
	hx "$h" lxc-stop -k -P "$SB_TMP/$h/lxc" -n "$(gname "$h")" >/dev/null 2>&1
	t_ok "... with its guest stopped, no process is left in $h's namespace" \
		sb_wait_for "$h empty" 3000 empty_ns "${NS[$h]}"
	sb_wait_for "$h's guest veth to go" 10000 only_lo_eth0 "${NS[$h]}" >/dev/null 2>&1
	t_is "... and no link but lo and eth0" "$(links_of "${NS[$h]}")" "eth0 lo"
done
t_done
