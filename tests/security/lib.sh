# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=bash
# shellcheck disable=SC2317 # helpers are called through t_ok / sb_wait_for
# shellcheck disable=SC2034 # the variables are for the scripts that source this file
#
# Shared setup of the security tests (THREATS.md A1-A11, and A12). Source it from a
# tests/security/aNN-*.sh script; it sources the sandbox library, builds the
# sandbox (sb_init) and gives:
#   lx ARGS...             the controller under test, in the sandbox host namespace
#   sec_up MODE [INI...]   write the config ([network] uplink = eth0 plus INI lines) and `up MODE`
#   sec_guest NAME [ARGS]  make + start a busybox guest, `guest add NAME ARGS`, lease, SLAAC;
#                          fills G4[NAME] G6[NAME] GMAC[NAME] GLL[NAME] GPORT[NAME]
#   in_router/in_guest/in_host CMD   run CMD in that network namespace (nsenter -n: the
#                          sandbox's own mount namespace, so /usr/bin/python3 + scapy work)
#   sec_py WHERE [ARGS] <SCRIPT   run a python3 script in WHERE (router|host|peer|GUEST)
#   counter NAME           packets of a named counter of `table bridge lxctogo` (the guards, in the router)
#   sniff_start/sniff_stop count frames carrying a marker on an interface (raw AF_PACKET)
# Router facts: R4 R6 RMAC (its guest-link MAC) RLL (its guest-link link-local),
# RLAN4 RLAN6 (its uplink addresses), RHOST4 (its host-link address).

: "${top_srcdir:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
# shellcheck source=tests/lib/sandbox.sh
. "$top_srcdir/tests/lib/sandbox.sh"

PY=/usr/bin/python3 # Debian's python3 with python3-scapy, whatever is first in $PATH
sb_require
: "${LXTG_BIN:=$top_srcdir/lxctogo-net}"
[ -x "$LXTG_BIN" ] || t_skip_all "lxctogo-net not built ($LXTG_BIN)"
for c in nft nsenter tcpdump arping ndisc6 rdisc6 radvd "$PY"; do
	command -v "$c" >/dev/null || t_skip_all "$c not installed"
done
"$PY" -c 'import scapy.all' 2>/dev/null || t_skip_all "python3-scapy not installed"
sb_init
# Freeze the binaries for this run (others may rebuild meanwhile).
BIN=$(sb_freeze_bin "$LXTG_BIN") || t_bail "cannot copy $LXTG_BIN"
t_diag "testing $LXTG_BIN"

R4=192.168.254.254 R6=fd00:aaaa:254::254 RHOST4=192.168.253.254 HOST4=192.168.253.253
DOMAIN=lxtg.internal
declare -A G4 G6 GMAC GLL GPORT

lx() { sb_host_exec "$BIN" -c "$SB_CONF" -s "$SB_STATE" -P "$SB_LXCPATH" "$@"; }
not() { ! "$@"; }
# grep_out PATTERN CMD...: CMD's stdout matches PATTERN (extended regexp)
grep_out() { local pat=$1; shift; "$@" 2>/dev/null | grep -qE -e "$pat"; }
router_pid() { sb_lxc info managed -pH; }
guest_pid() { sb_lxc info "$1" -pH; }
in_router() { nsenter -t "$RPID" -n "$@"; }
in_host() { ip netns exec "$SB_HOST" "$@"; }
in_guest() { local g=$1; shift; nsenter -t "$(guest_pid "$g")" -n "$@"; }

# sec_py WHERE [ARGS...] <SCRIPT: run python3 (scapy available) in router, host, peer, lan or a guest.
sec_py() {
	local w=$1
	shift
	case $w in
	router) in_router "$PY" - "$@" ;;
	host) in_host "$PY" - "$@" ;;
	peer) sb_peer_exec "$PY" - "$@" ;;
	lan) sb_lan_exec "$PY" - "$@" ;;
	*) in_guest "$w" "$PY" - "$@" ;;
	esac
}

# counter NAME: packets counted by the guard counter NAME (table bridge lxctogo, in the router's namespace).
counter() { in_router nft list counter bridge lxctogo "$1" | awk '/packets/ { print $2 }'; }
# rcounter NAME: packets of a named counter of the router's `table inet lxctogo` (limits, host access).
rcounter() { in_router nft list counter inet lxctogo "$1" | awk '/packets/ { print $2 }'; }
# counter_above NAME N: the counter is now above N.
counter_above() { test "$(counter "$1")" -gt "$2"; }
# counter_moved_by NAME BEFORE N: the counter moved by at least N.
counter_moved_by() { test "$(counter "$1")" -ge $(($2 + $3)); }
# router_counter COMMENT: packets of the anonymous counter with that comment in the router's table.
router_counter() {
	in_router nft -j list table inet lxctogo | "$PY" -c '
import json, sys
for x in json.load(sys.stdin)["nftables"]:
    r = x.get("rule")
    if r and r.get("comment") == sys.argv[1]:
        for e in r["expr"]:
            if "counter" in e:
                print(e["counter"]["packets"])' "$1"
}

# strip_lifetimes: drop the ever-changing parts of `ip -o addr` / `ip route` output.
strip_lifetimes() { sed -E 's/\\? +valid_lft.*//; s/ expires [0-9]+sec//; s/ hoplimit [0-9]+//'; }
# net_state CMD...: addresses and routes (v4 and v6, every table) of a namespace, stable over time
# (CMD is the prefix that enters it, e.g. in_router or in_guest NAME).
net_state() {
	{
		"$@" ip -o addr show | cut -d' ' -f2-
		"$@" ip -4 route show table all
		"$@" ip -6 route show table all
	} 2>&1 | strip_lifetimes | sort
}
# neigh_of CMD... -- ADDR: the lladdr a namespace holds for ADDR (empty: none).
neigh_of() {
	local a=${*: -1}
	"${@:1:$#-1}" ip neigh show to "$a" | grep -o 'lladdr [0-9a-f:]*' | cut -d' ' -f2 | head -1
}
lease_file() { cat "$SB_STATE/router/rootfs/lxtg/state/dnsmasq.leases" 2>/dev/null; }

# sec_up MODE [INI LINE...]: write the config and bring the router up; sets RPID RMAC RLL RLAN4 RLAN6.
sec_up() {
	local mode=$1
	shift
	{ printf '[network]\nuplink = eth0\n'; [ $# -eq 0 ] || printf '%s\n' "$@"; } >"$SB_CONF"
	lx up "$mode" >&2 || return 1
	sec_router_facts
}
# router_mac IFACE: the MAC of a router link (ip, not /sys: nsenter -n keeps the root's sysfs).
router_mac() { in_router ip -br link show dev "$1" | awk '{ print $3 }'; }
router_lan6() { in_router ip -6 -br addr show dev eth0 scope global 2>/dev/null | awk '$3 ~ /^2001:db8:1:/ { print $3 }' | cut -d/ -f1 | grep .; }
# router_ll: the router's link-local address on its guest bridge eth1, once DAD is done.
router_ll() { in_router ip -6 -o addr show dev eth1 scope link -tentative 2>/dev/null | awk '{ sub("/.*", "", $4); print $4; exit }'; }
router_has_ll() { [ -n "$(router_ll)" ]; }
sec_router_facts() {
	RPID=$(router_pid) || return 1
	RMAC=$(router_mac eth1)
	RLL=$(router_ll) # empty until the first guest: a bridge without ports has no carrier
	RLAN4=$(in_router ip -4 -br addr show dev eth0 | awk '{ print $3 }' | cut -d/ -f1)
	RLAN6=
	if [ "$(in_router cat /proc/sys/net/ipv6/conf/eth0/disable_ipv6 2>/dev/null)" = 0 ]; then
		sb_wait_for "router uplink SLAAC" 8000 router_lan6 || return 1
		RLAN6=$(router_lan6)
	fi
	export RPID RMAC RLL RLAN4 RLAN6
}

# guest_json NAME KEY: a field of `guest list --json`.
guest_json() {
	lx -j guest list | "$PY" -c 'import json,sys; g={x["name"]:x for x in json.load(sys.stdin)}; print(g[sys.argv[1]][sys.argv[2]])' "$1" "$2"
}
# lease NAME [UDHCPC ARGS...]: run a DHCP exchange in guest NAME; prints its lease record.
lease() {
	local g=$1
	shift
	sb_guest_exec "$g" udhcpc -i eth0 -q -n -t 5 "$@" >/dev/null 2>&1 && sb_guest_exec "$g" cat /run/dhcp.eth0
}
# pings NAME ADDR: guest NAME pings ADDR (v4 or v6), retrying for up to 5 s (first-packet neighbour work).
pings() { sb_wait_for "$1 -> $2" 5000 sb_guest_exec "$1" ping -c1 -W1 "$2"; }
# has_addr6 NAME ADDR: guest NAME holds ADDR/64, and it is no longer tentative (DAD done).
has_addr6() { in_guest "$1" ip -6 -o addr show dev eth0 -tentative | grep -q " $2/64 "; }
# rpings ADDR [PING ARGS]: the router pings ADDR, retrying for up to 5 s.
rpings() { local a=$1; shift; sb_wait_for "router -> $a" 5000 in_router ping -c1 -W1 "$@" "$a"; }
has_route6() { sb_guest_exec "$1" ip -6 route show default | grep -q "via $RLL"; }

# sec_guest NAME [GUEST ADD ARGS...]: a running, registered, leased guest (SLAAC too when v6 is on).
sec_guest() {
	local g=$1 v6
	shift
	sb_make_guest "$g" || return 1
	sb_start_guest "$g" >&2 || return 1
	in_guest "$g" ip link set lo up # what a distribution's init does; the sandbox guest leaves it down
	lx guest add "$g" "$@" >&2 || return 1
	G4[$g]=$(guest_json "$g" ipv4) || return 1
	v6=$(guest_json "$g" ipv6)
	[[ $v6 == *:* ]] && G6[$g]=$v6 || G6[$g]=
	GMAC[$g]=$(guest_json "$g" mac)
	GPORT[$g]=lxg-$g
	lease "$g" | grep -q "ip='${G4[$g]}'" || { t_diag "guest $g: no lease of ${G4[$g]}"; return 1; }
	# The router's eth1 gets its link-local address with the first port (carrier).
	if [ -z "$RLL" ] && [ "$(in_router cat /proc/sys/net/ipv6/conf/eth1/disable_ipv6 2>/dev/null)" = 0 ]; then
		sb_wait_for "the router's link-local address on eth1" 5000 router_has_ll || return 1
		RLL=$(router_ll)
		export RLL
	fi
	if [ -n "${G6[$g]}" ]; then
		sb_wait_for "$g SLAAC" 8000 has_addr6 "$g" "${G6[$g]}" || return 1
		sb_wait_for "$g v6 default route" 8000 has_route6 "$g" || return 1
	fi
	GLL[$g]=$(in_guest "$g" ip -6 -br addr show dev eth0 scope link | awk '{ print $3 }' | cut -d/ -f1)
}

# ---------------------------------------------------------------- marker sniffer
cat >"$SB_TMP/sniff.py" <<'PY'
# sniff.py IFACE OUT MARKER [MAXSECS]: count received frames on IFACE that contain MARKER;
# writes OUT.ready once listening and the count to OUT when OUT.stop appears (or MAXSECS pass).
import os, select, socket, sys, time
iface, out, marker = sys.argv[1], sys.argv[2], sys.argv[3].encode()
maxsecs = float(sys.argv[4]) if len(sys.argv) > 4 else 20
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.bind((iface, 0))
open(out + ".ready", "w").close()
n, end = 0, time.time() + maxsecs
while time.time() < end and not os.path.exists(out + ".stop"):
    r, _, _ = select.select([s], [], [], 0.05)
    if not r:
        continue
    data, addr = s.recvfrom(65535)
    if addr[2] != socket.PACKET_OUTGOING and marker in data:
        n += 1
# drain what is already queued
s.setblocking(False)
try:
    while True:
        data, addr = s.recvfrom(65535)
        if addr[2] != socket.PACKET_OUTGOING and marker in data:
            n += 1
except BlockingIOError:
    pass
with open(out + ".tmp", "w") as f:
    f.write("%d\n" % n)
os.rename(out + ".tmp", out)
PY
# sec_bg WHERE CMD...: run CMD in the background in WHERE (router|host|peer|lan|GUEST), as a
# process of its own (nsenter execs it), remembered so that the cleanup kills it.
SEC_PIDS=()
sec_kill_bg() {
	local p
	for p in "${SEC_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${SEC_PIDS[@]}"; do kill -0 "$p" 2>/dev/null && sleep 0.1 && kill -9 "$p" 2>/dev/null; done
	SEC_PIDS=()
	return 0
}
sb_on_cleanup sec_kill_bg
sec_bg() {
	local w=$1
	shift
	case $w in
	router) nsenter -t "$RPID" -n "$@" </dev/null & ;;
	host) ip netns exec "$SB_HOST" "$@" </dev/null & ;;
	peer) ip netns exec "$SB_PEER" "$@" </dev/null & ;;
	lan) ip netns exec "$SB_LAN" "$@" </dev/null & ;;
	*) nsenter -t "$(guest_pid "$w")" -n "$@" </dev/null & ;;
	esac
	SEC_BG_PID=$!
	SEC_PIDS+=("$SEC_BG_PID")
}
# sniff_start ID WHERE IFACE MARKER: start counting frames with MARKER on IFACE in WHERE.
sniff_start() {
	local id=$1 w=$2 ifc=$3 marker=$4 out=$SB_TMP/sniff.$1
	rm -f "$out" "$out.ready" "$out.stop"
	sec_bg "$w" "$PY" "$SB_TMP/sniff.py" "$ifc" "$out" "$marker"
	sb_wait_for "sniffer $id" 5000 test -e "$out.ready"
}
# sniff_stop ID: stop sniffer ID (after a short grace for frames in flight) and print its count.
sniff_stop() {
	local out=$SB_TMP/sniff.$1
	sleep 0.3
	touch "$out.stop"
	sb_wait_for "sniffer $1 result" 5000 test -e "$out" || { echo "?"; return 1; }
	cat "$out"
}

# ---------------------------------------------------------------- snapshots
# snapshot_files DIR...: path, mode and sha256 of every file (and the target of every symlink) below
# DIR: what "byte-identical" means.
snapshot_files() {
	{
		find "$@" -type l -printf '%p -> %l\n'
		find "$@" -type f -printf '%p %m\n'
		find "$@" -type f -print0 | xargs -0 -r sha256sum
	} 2>/dev/null | sort
}

# ---------------------------------------------------------------- DNS
cat >"$SB_TMP/dnsq.py" <<'PY'
# dnsq.py SERVER NAME [TYPE] [tcp]: one query; prints "rcode=N A,B,..." (sorted A/AAAA/PTR answers)
# or "timeout". Plain sockets, no scapy: it runs many times per test.
import socket, struct, sys
server, name = sys.argv[1], sys.argv[2]
qtype = {"A": 1, "AAAA": 28, "PTR": 12}[sys.argv[3] if len(sys.argv) > 3 else "A"]
tcp = len(sys.argv) > 4 and sys.argv[4] == "tcp"
fam = socket.AF_INET6 if ":" in server else socket.AF_INET
q = struct.pack("!HHHHHH", 0x4242, 0x0100, 1, 0, 0, 0)
q += b"".join(bytes([len(l)]) + l.encode() for l in name.rstrip(".").split(".")) + b"\0"
q += struct.pack("!HH", qtype, 1)
try:
    if tcp:
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.settimeout(2)
        s.connect((server, 53))
        s.sendall(struct.pack("!H", len(q)) + q)
        data = s.recv(4096)[2:]
    else:
        s = socket.socket(fam, socket.SOCK_DGRAM)
        s.settimeout(2)
        s.sendto(q, (server, 53))
        data = s.recv(4096)
except OSError:
    print("timeout")
    sys.exit(0)
def skip_name(d, o):
    while True:
        n = d[o]
        if n == 0:
            return o + 1
        if n & 0xC0:
            return o + 2
        o += n + 1
def read_name(d, o):
    parts = []
    while True:
        n = d[o]
        if n == 0:
            return ".".join(parts)
        if n & 0xC0:
            o = ((n & 0x3F) << 8) | d[o + 1]
            continue
        parts.append(d[o + 1:o + 1 + n].decode())
        o += n + 1
_, flags, qd, an, _, _ = struct.unpack("!HHHHHH", data[:12])
o = 12
for _ in range(qd):
    o = skip_name(data, o) + 4
ans = []
for _ in range(an):
    o = skip_name(data, o)
    t, _, _, ln = struct.unpack("!HHIH", data[o:o + 10])
    o += 10
    if t == 1:
        ans.append(socket.inet_ntop(socket.AF_INET, data[o:o + ln]))
    elif t == 28:
        ans.append(socket.inet_ntop(socket.AF_INET6, data[o:o + ln]))
    elif t == 12:
        ans.append(read_name(data, o))
    o += ln
print("rcode=%d %s" % (flags & 0xF, ",".join(sorted(ans))))
PY
# dnsq WHERE SERVER NAME [TYPE] [tcp]: ask SERVER from WHERE (router|host|peer|lan|GUEST).
dnsq() {
	local w=$1
	shift
	case $w in
	router) in_router "$PY" "$SB_TMP/dnsq.py" "$@" ;;
	host) in_host "$PY" "$SB_TMP/dnsq.py" "$@" ;;
	peer) sb_peer_exec "$PY" "$SB_TMP/dnsq.py" "$@" ;;
	lan) sb_lan_exec "$PY" "$SB_TMP/dnsq.py" "$@" ;;
	*) in_guest "$w" "$PY" "$SB_TMP/dnsq.py" "$@" ;;
	esac 2>/dev/null
}
