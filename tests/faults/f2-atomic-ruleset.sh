#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# F2 atomic ruleset (THREATS.md): a failing ruleset change leaves the previous ruleset unchanged,
# and traffic keeps flowing while `up` re-applies the ruleset.
#  1. element batches: `port add` whose batch the kernel refuses (a conflicting foreign element
#     in fwd4) fails and leaves both rulesets and the registry byte-identical (no fwd6 half);
#  2. `port add` for a guest whose router map (fwd4, then fwd6) was deleted by hand must fail,
#     not report success, and leave the ruleset and the registry byte-identical (no half of
#     the batch applied);
#  3. the mechanism `up` uses (one nft transaction: create, delete, load): the output of
#     `lxctogo-net ruleset` with a syntax error, or with a command the kernel refuses, appended
#     leaves the live table unchanged; the intact file does replace it (control);
#  4. while `up` runs 5 times: ping (v4 and v6, every 50 ms) from a guest to the LAN loses
#     nothing, and two established TCP streams (guest -> LAN through NAT, LAN -> guest through a
#     port forward) stay in order and lose no segment: every retransmission, if any, was
#     spurious (the receiver reported it as a duplicate by D-SACK, as after a tail loss probe
#     on a loaded machine). A segment dropped by a reload is a retransmission without D-SACK.
# shellcheck disable=SC2317 # helpers are called through t_ok / sb_wait_for

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
# shellcheck source=tests/faults/lib.sh
. "$top_srcdir/tests/faults/lib.sh"
f_init

# rules FILE: both rulesets and the registry.
rules() {
	{
		# Table by table: `list ruleset` orders the tables by when they were last made.
		echo "## router"; rx nft -s list table inet lxctogo | nft_static; rx nft -s list table bridge lxctogo
		echo "## router tables"; rx nft list tables | sort
		echo "## host"; hx nft -s list ruleset
		echo "## registry"; cat "$SB_STATE/guests"
	} >"$1" 2>&1
}

# one_line FILE: FILE holds exactly one line, an lxctogo-net error.
one_line() { [ "$(wc -l <"$1")" -eq 1 ] && grep -q '^lxctogo-net: ' "$1"; }


# table_handle: the handle of the router's table (a new one each time `up` reloads it).
table_handle() { rx nft -a list table inet lxctogo | sed -n '1s/.*# handle \([0-9]*\).*/\1/p'; }

t_ok "up desktop" lx up desktop
sb_make_guest g1 || t_bail "make guest g1"
t_ok "g1 starts" sb_start_guest g1
t_ok "guest add g1" lx guest add g1
G1=$(json_field g1 ipv4)
t_ok "g1 leases $G1" grep_out "ip='$G1'" guest_lease g1
G1V6=$(json_field g1 ipv6)
t_ok "g1 has its SLAAC address" sb_wait_for "g1 SLAAC" 5000 grep_out "$G1V6/64" sb_guest_exec g1 ip -6 addr show dev eth0
t_ok "port add g1 8080:80" lx port add g1 8080:80

# ====================================================================== 1. refused batch
rx nft add element inet lxctogo fwd4 "{ tcp . 9090 : 192.168.254.99 . 99 }"
rules "$SB_TMP/rules.0"
lx port add g1 9090:80 >"$SB_TMP/out" 2>"$SB_TMP/err"
rc=$?
t_is "port add whose fwd4 element conflicts with a foreign one exits 1" "$rc" 1
t_ok "... with one line: $(head -n1 "$SB_TMP/err")" one_line "$SB_TMP/err"
rules "$SB_TMP/rules.1"
same_snap "... and leaves both rulesets (no fwd6 half) and the registry byte-identical" "$SB_TMP/rules.0" "$SB_TMP/rules.1"
rx nft delete element inet lxctogo fwd4 "{ tcp . 9090 }"

# ====================================================================== 2. a map deleted by hand
# The prerouting chain refers to every forward map: it goes first, then one map. With fwd6 gone
# the batch's fwd4 half must not stay behind either.
for map in fwd4 fwd6; do
	rx nft flush chain inet lxctogo prerouting
	rx nft delete chain inet lxctogo prerouting
	rx nft delete map inet lxctogo "$map"
	t_ok "$map: damage done: map $map deleted by hand" not rx nft list map inet lxctogo "$map"
	rules "$SB_TMP/rules.2"
	lx port add g1 9091:80 >"$SB_TMP/out" 2>"$SB_TMP/err"
	rc=$?
	t_ok "$map: port add with the router's $map map gone fails (exit $rc: $(head -n1 "$SB_TMP/err"))" test "$rc" -ne 0
	rules "$SB_TMP/rules.3"
	same_snap "$map: ... and leaves the ruleset and registry byte-identical" "$SB_TMP/rules.2" "$SB_TMP/rules.3"
	lx port del g1 9091 >/dev/null 2>&1
	t_ok "$map: up repairs the table" lx up
	t_ok "$map: ... $map is back with the forward of 8080" grep_out "tcp \. 8080 : " rx nft list map inet lxctogo "$map"
done

# ====================================================================== 3. one transaction
lx ruleset >"$SB_TMP/good.nft"
t_is "lxctogo-net ruleset exits 0" "$?" 0
{ cat "$SB_TMP/good.nft"; echo "this is not nftables syntax"; } >"$SB_TMP/bad-syntax.nft"
{ cat "$SB_TMP/good.nft"; echo "delete element inet lxctogo guest4 { 10.9.9.9 }"; } >"$SB_TMP/bad-kernel.nft"
# A foreign element: the intact file would remove it, so an unchanged table shows nothing applied.
rx nft add element inet lxctogo guest4 "{ 192.168.254.77 }"
rules "$SB_TMP/rules.4"
h0=$(table_handle)
t_ok "the file with a syntax error at the end is refused" not rx nft -f "$SB_TMP/bad-syntax.nft"
rules "$SB_TMP/rules.5"
same_snap "... and the live table is unchanged" "$SB_TMP/rules.4" "$SB_TMP/rules.5"
t_ok "the file with a command the kernel refuses at the end is refused" not rx nft -f "$SB_TMP/bad-kernel.nft"
rules "$SB_TMP/rules.6"
same_snap "... and the live table is unchanged (the delete and reload before it rolled back)" "$SB_TMP/rules.4" "$SB_TMP/rules.6"
t_is "... it is the same table object (handle $h0)" "$(table_handle)" "$h0"
t_ok "control: the intact file loads" rx nft -f "$SB_TMP/good.nft"
t_ok "control: ... and removes the foreign element" not grep_out 192.168.254.77 rx nft list set inet lxctogo guest4
rules "$SB_TMP/rules.7"
t_ok "up" lx up
rules "$SB_TMP/rules.8"
same_snap "control: ... giving what up gives" "$SB_TMP/rules.7" "$SB_TMP/rules.8"

# ====================================================================== 4. traffic during up
RLAN4=$(addrs 4 eth0 rx | head -n1)
t_ok "the router's LAN address is known ($RLAN4)" test -n "$RLAN4"
SECS=6
sb_peer_exec "$F_PYTHON" "$top_srcdir/tests/faults/check.py" stream server 5001 "$SECS" >"$SB_TMP/s-out.srv" 2>&1 &
SRV1=$!
sb_on_cleanup stop_pid "$SRV1"
t_ok "port add g1 7000:7000" lx port add g1 7000:7000
gx g1 "$F_PYTHON" "$top_srcdir/tests/faults/check.py" stream server 7000 "$SECS" >"$SB_TMP/s-in.srv" 2>&1 &
SRV2=$!
sb_on_cleanup stop_pid "$SRV2"
# both_listen: both stream servers listen.
both_listen() { grep -q listening "$SB_TMP/s-out.srv" && grep -q listening "$SB_TMP/s-in.srv"; }
t_ok "stream servers listen (peer :5001, g1 :7000)" sb_wait_for "stream servers" 5000 both_listen
sb_peer_exec tcpdump -n -l -i eth0 --immediate-mode "tcp port 7000 and tcp[tcpflags] & (tcp-syn|tcp-rst) != 0" \
	>"$SB_TMP/syn.cap" 2>"$SB_TMP/syn.err" &
CAP=$!
sb_on_cleanup stop_pid "$CAP"
sb_wait_for "tcpdump in peer" 3000 grep -q 'listening on' "$SB_TMP/syn.err"
gx g1 "$F_PYTHON" "$top_srcdir/tests/faults/check.py" stream client "$SB_PEER_V4" 5001 "$SECS" >"$SB_TMP/s-out.cl" 2>&1 &
CL1=$!
sb_peer_exec "$F_PYTHON" "$top_srcdir/tests/faults/check.py" stream client "$RLAN4" 7000 "$SECS" >"$SB_TMP/s-in.cl" 2>&1 &
CL2=$!
# g1 reaches the LAN over v6 first: its route and the router's neighbour for the peer are in
# place (on a fast run the ping used to start while they were still being set up).
v6_reaches() { gx g1 ping -n -q -6 -c 1 -W 1 "$SB_PEER_V6" >/dev/null 2>&1; }
t_ok "g1 reaches the LAN peer over v6 before the ups" sb_wait_for "g1 -> LAN v6" 10000 v6_reaches
gx g1 ping -n -q -i 0.05 -c 100 -W 1 "$SB_PEER_V4" >"$SB_TMP/ping4" 2>&1 &
P4=$!
gx g1 ping -n -6 -i 0.05 -c 100 -W 1 "$SB_PEER_V6" >"$SB_TMP/ping6" 2>&1 &
P6=$!
# both_connected: both stream clients have connected.
both_connected() { grep -q connected "$SB_TMP/s-out.cl" && grep -q connected "$SB_TMP/s-in.cl"; }
t_ok "both TCP streams are established (g1 -> peer :5001, peer -> router :7000 -> g1)" \
	sb_wait_for "the streams to connect" 5000 both_connected ||
	t_diag "router: $(rx ip -br addr show dev eth0); g1 :7000: $(gx g1 ss -Htln sport = :7000)"
h0=$(table_handle)
sleep 0.3
ups=0
for i in 1 2 3 4 5; do
	lx up >&2 && ups=$((ups + 1))
	sleep 0.4
done
t_is "5 ups during the traffic exit 0" "$ups" 5
t_ok "the ups did reload the router table (handle $h0 -> $(table_handle))" test "$(table_handle)" != "$h0"
wait "$P4" "$P6" "$CL1" "$CL2" "$SRV1" "$SRV2"
kill "$CAP" 2>/dev/null
t_diag "SYN/RST to or from :7000 seen by peer: $(cat "$SB_TMP/syn.cap")"
t_diag "$(tail -n 2 "$SB_TMP/ping4")"
t_ok "ping g1 -> LAN v4: 100 of 100 answered" grep -q '100 packets transmitted, 100 received' "$SB_TMP/ping4"
t_ok "ping g1 -> LAN v6: 100 of 100 answered" grep -q '100 packets transmitted, 100 received' "$SB_TMP/ping6"
t_diag "$(grep -v "bytes from" "$SB_TMP/ping6" | tail -n 4)"
for f in s-out.cl s-out.srv s-in.cl s-in.srv; do t_diag "$f: $(grep -v -e listening -e connected "$SB_TMP/$f")"; done
# stream_ok FILE: the stream ran ("sent>0 recv>0"), in order, without error or lost segment.
stream_ok() {
	grep -qE '^sent=[1-9][0-9]* recv=[1-9][0-9]* in_order=True error= retrans=[0-9]+ spurious=[0-9]+ lost=0$' "$1"
}
# stream_complete A B: each side received all the other sent.
stream_complete() {
	local sa ra sb rb
	sa=$(sed -n 's/^sent=\([0-9]*\) .*/\1/p' "$1") ra=$(sed -n 's/.* recv=\([0-9]*\) .*/\1/p' "$1")
	sb=$(sed -n 's/^sent=\([0-9]*\) .*/\1/p' "$2") rb=$(sed -n 's/.* recv=\([0-9]*\) .*/\1/p' "$2")
	[ -n "$sa" ] && [ "$sa" = "$rb" ] && [ "$sb" = "$ra" ]
}
t_ok "TCP g1 -> LAN (NAT), client side: in order, no segment lost" stream_ok "$SB_TMP/s-out.cl"
t_ok "TCP g1 -> LAN (NAT), server side: in order, no segment lost" stream_ok "$SB_TMP/s-out.srv"
t_ok "TCP g1 -> LAN (NAT): each side got all the other sent" stream_complete "$SB_TMP/s-out.cl" "$SB_TMP/s-out.srv"
t_ok "TCP LAN -> g1 (port forward), client side: in order, no segment lost" stream_ok "$SB_TMP/s-in.cl"
t_ok "TCP LAN -> g1 (port forward), server side: in order, no segment lost" stream_ok "$SB_TMP/s-in.srv"
t_ok "TCP LAN -> g1 (port forward): each side got all the other sent" stream_complete "$SB_TMP/s-in.cl" "$SB_TMP/s-in.srv"

# Negative control of the loss check: the same stream g1 -> LAN, with the LAN peer dropping it
# for 300 ms, reports lost segments.
sb_peer_exec "$F_PYTHON" "$top_srcdir/tests/faults/check.py" stream server 5002 2 >"$SB_TMP/s-drop.srv" 2>&1 &
SRV3=$!
sb_on_cleanup stop_pid "$SRV3"
sb_wait_for "stream server :5002" 5000 grep -q listening "$SB_TMP/s-drop.srv"
gx g1 "$F_PYTHON" "$top_srcdir/tests/faults/check.py" stream client "$SB_PEER_V4" 5002 2 >"$SB_TMP/s-drop.cl" 2>&1 &
CL3=$!
sb_wait_for "stream client :5002" 5000 grep -q connected "$SB_TMP/s-drop.cl"
sleep 0.5
sb_peer_exec nft -f - <<'EOF2'
table ip lxtg_f2_drop {
	chain input { type filter hook input priority 0; tcp dport 5002 drop; }
}
EOF2
sleep 0.3
sb_peer_exec nft delete table ip lxtg_f2_drop
wait "$CL3" "$SRV3"
t_diag "s-drop.cl: $(grep -v connected "$SB_TMP/s-drop.cl")"
t_ok "control: a stream the peer drops for 300 ms reports lost segments" not stream_ok "$SB_TMP/s-drop.cl"
t_ok "control: ... and only for that reason (it ran, in order, without error)" \
	grep -qE '^sent=[1-9][0-9]* recv=[1-9][0-9]* in_order=True error= retrans=[0-9]+ spurious=[0-9]+ lost=[1-9][0-9]*$' "$SB_TMP/s-drop.cl"

t_ok "down" lx down
f_done
