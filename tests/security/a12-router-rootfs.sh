#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# A12 (beyond THREATS.md's list): a router taken over from the LAN, say through its DHCP
# client, which runs as root, must not reach the host through the files the controller
# writes and reads in the router's rootfs. Inside the router that rootfs is read-only; the
# router writes only lxtg/run and lxtg/state, and the controller follows no symlink and
# opens no FIFO it finds there. As root in the router (lxc-attach: its mounts, its
# capabilities):
#  - control: lxtg/state and lxtg/run are writable; its config, the dnsmasq host dirs,
#    lxtg/ and / are not (read-only file system);
#  - dnsmasq's lease file becomes a FIFO: `guest add` neither hangs nor fails;
#  - lxtg/run/dnsmasq.d becomes a symlink to a sandbox directory: `up` writes nothing through it
#    and makes it a directory again;
#  - it becomes a symlink to a host file that claims the address `guest add` would give:
#    the address is still given (the file was not followed);
#  - lxtg/run/go, the FIFO `up` writes to, becomes a symlink to that host file: `up` after
#    the router's death brings it back, and the host file is unchanged.
# shellcheck disable=SC2317 # helpers are called through t_ok / sb_wait_for
# shellcheck source=tests/security/lib.sh
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/security/lib.sh"

# as_router SCRIPT: run SCRIPT with /bin/sh as root inside the router.
as_router() { sb_lxc attach managed -- /bin/sh -c "$1" 2>&1; }
# erofs PATH: creating PATH inside the router fails with "Read-only file system".
erofs() {
	local out
	out=$(as_router "touch '$1'") && { t_diag "touch $1 worked"; return 1; }
	grep -q 'Read-only file system' <<<"$out" || { t_diag "touch $1: $out"; return 1; }
}
define() { mkdir -p "$SB_LXCPATH/$1" && printf 'lxc.uts.name = %s\nlxc.rootfs.path = dir:/nonexistent\n' "$1" "$1" >"$SB_LXCPATH/$1/config"; }
ip4_of() { lx -j guest list | python3 -c 'import json, sys; print(next(g["ipv4"] for g in json.load(sys.stdin) if g["name"] == sys.argv[1]))' "$1"; }

t_ok "up desktop" sec_up desktop || t_bail "up failed"
CANARY=$SB_TMP/canary
printf 'canary\n' >"$CANARY"

t_ok "control: root in the router writes lxtg/state" as_router 'touch /lxtg/state/probe && rm /lxtg/state/probe'
t_ok "control: root in the router writes lxtg/run" as_router 'touch /lxtg/run/probe && rm /lxtg/run/probe'
for p in /lxtg/hosts/evil /lxtg/dhcp-hosts/evil /etc/lxtg/evil /lxtg/evil /evil; do
	t_ok "root in the router cannot create $p (read-only)" erofs "$p"
done
# The target is a directory of the sandbox (never the host's /etc): were the link made, the
# controller would write and prune there.
mkdir -p "$SB_TMP/victim"
t_ok "root in the router cannot replace lxtg/hosts by a symlink" \
	not as_router "rm -rf /lxtg/hosts && ln -s '$SB_TMP/victim' /lxtg/hosts"
# lxtg/run is the router's: it may put a link where the controller writes dnsmasq's conf-dir files.
t_ok "root in the router replaces lxtg/run/dnsmasq.d by a symlink to a sandbox directory" \
	as_router "rm -rf /lxtg/run/dnsmasq.d && ln -s '$SB_TMP/victim' /lxtg/run/dnsmasq.d"
t_ok "control: the link is there, seen from the host" test -L "$SB_STATE/router/rootfs/lxtg/run/dnsmasq.d"
# A fixed uplink address: `up` itself writes dnsmasq.d/pool.conf (no DHCP client in the router).
printf '[network]\nuplink = eth0\nuplink_ipv4 = 192.0.2.61/24\nuplink_gateway4 = %s\n[dns]\nupstream = %s\n' \
	"$SB_LAN_V4" "$SB_LAN_V4" >"$SB_CONF"
t_ok "up again, with a fixed uplink address (up writes dnsmasq.d/pool.conf)" lx up desktop
t_ok "up made dnsmasq.d a directory again" \
	test -d "$SB_STATE/router/rootfs/lxtg/run/dnsmasq.d" -a ! -L "$SB_STATE/router/rootfs/lxtg/run/dnsmasq.d"
t_is "nothing was written through the link" "$(ls -A "$SB_TMP/victim")" ""
t_ok "pool.conf is in the new directory" test -f "$SB_STATE/router/rootfs/lxtg/run/dnsmasq.d/pool.conf"
t_ok "root in the router cannot change its dnsmasq.conf" \
	not as_router 'echo "dhcp-script=/bin/sh" >> /etc/lxtg/dnsmasq.conf'

{ define g1 && define g2; } || t_bail "containers"
t_ok "the lease file becomes a FIFO" as_router 'rm -f /lxtg/state/dnsmasq.leases && mkfifo /lxtg/state/dnsmasq.leases'
t_ok "guest add with a FIFO as lease file: exit 0, no hang" sb_host_exec timeout 10 "$BIN" -q -c "$SB_CONF" -s "$SB_STATE" -P "$SB_LXCPATH" guest add g1

# Which address would g2 get? Ask, give it back, then let the host file claim it as leased.
t_ok "guest add g2 (to learn its address)" lx guest add g2
a2=$(ip4_of g2)
t_ok "guest del g2" lx guest del g2
printf '0 aa:bb:cc:dd:ee:01 %s taken *\n' "$a2" >"$CANARY"
cp "$CANARY" "$SB_TMP/canary.orig"
t_ok "the lease file becomes a symlink to a host file that says $a2 is leased" \
	as_router "rm -f /lxtg/state/dnsmasq.leases && ln -s '$CANARY' /lxtg/state/dnsmasq.leases"
t_ok "control: read through that symlink, the host file would make $a2 taken" grep -q " $a2 " "$CANARY"
t_ok "guest add g2 again" lx guest add g2
t_is "g2 still gets $a2: the symlinked lease file was not read" "$(ip4_of g2)" "$a2"

t_ok "lxtg/run/go becomes a symlink to the host file" as_router "rm -f /lxtg/run/go && ln -s '$CANARY' /lxtg/run/go"
t_ok "the router is killed" sb_lxc stop managed -k
t_ok "up brings it back" lx up desktop
t_ok "the router runs again" test -n "$(router_pid)"
t_ok "the host file behind the symlinks is unchanged" cmp -s "$CANARY" "$SB_TMP/canary.orig"
t_is "nothing was written into the sandbox directory" "$(ls -A "$SB_TMP/victim")" ""
t_ok "lxtg/run/go is a FIFO again" test -p "$SB_STATE/router/rootfs/lxtg/run/go"
t_ok "down" lx down
sb_cleanup
t_ok "nothing of the sandbox is left" sb_assert_clean
t_done
