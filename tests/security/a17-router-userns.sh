#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# A17 a compromised router daemon. dnsmasq, radvd, udhcpc and lxtg-ndproxy (and BIRD) parse
# what the LAN and the guests send: one taken over gives its attacker root inside the router.
# With [network] router_idmap (default 1500000000) that root is an unprivileged host uid, in a
# user namespace that owns the router's network namespace and nothing else. As root in the
# router (lxc-attach: its namespaces, its capabilities):
#  - control, router_idmap = off (the router as host root): a host file owned by root that the
#    router can reach (one in lxtg/run, its writable bind mount) is written, and the router's
#    processes are host uid 0 (dnsmasq drops to the host's nobody);
#  - switched to the default with a directory on the way that the router's uid cannot pass,
#    `up` names it and stops nothing; once it can, `up` moves the router into its user
#    namespace: guest vic keeps its port, its lease and its way to the LAN;
#  - inside, uid 0 maps to host uid 1500000000 (uid_map); every process of the router runs as
#    that uid (dnsmasq as the router's nobody, 1500065534), and so does the namespace holder;
#  - a host process of the holder's uid cannot read the holder's environment (it can that of
#    another process of the uid); the router's directory is root:1500000000 0710, so no other
#    host user reaches what the router writes;
#  - the same write is refused, and so is writing to the host through every other path the
#    router sees: its rootfs, /usr, lxtg-init, /proc/sys, /sys, a remount, a device node;
#  - the router still does its work: it writes its own files in lxtg/run and lxtg/state
#    (owned by the mapped uid on the host), leases, resolves, routes;
#  - `up` hands a hard link to a host file (as a router could make where protected_hardlinks
#    is off) to nobody: the file stays root's and unwritable from inside;
#  - switched back to off, the files the mapped root left are the host root's again, in the
#    directories it made too.
# shellcheck disable=SC2317 # helpers are called through t_ok / sb_wait_for
# shellcheck source=tests/security/lib.sh
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/security/lib.sh"

BASE=1500000000
RUN=$SB_STATE/router/rootfs/lxtg/run

# as_router SCRIPT: run SCRIPT with /bin/sh as root inside the router; its output, its status.
as_router() { sb_lxc attach managed -- /bin/sh -c "$1" 2>&1; }
# refused SCRIPT WHAT: SCRIPT fails inside the router with an error that matches WHAT.
refused() {
	local out
	out=$(as_router "$1") && { t_diag "'$1' worked: $out"; return 1; }
	grep -qE -e "$2" <<<"$out" || { t_diag "'$1': $out"; return 1; }
}
# router_uids: the host uid of every process in the router's PID namespace, one a line.
router_uids() {
	local ns p
	ns=$(readlink "/proc/$RPID/ns/pid") || return 1
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/ns/pid" 2>/dev/null)" = "$ns" ] && stat -c %u "$p" 2>/dev/null
	done
}
# uid_set: the distinct host uids of the router's processes, on one line.
uid_set() { router_uids | sort -nu | paste -sd' '; }
# host_file: a file of the host's root, where the router can reach it (its lxtg/run).
host_file() { printf 'host\n' >"$RUN/hostfile" && chown 0:0 "$RUN/hostfile" && chmod 0644 "$RUN/hostfile"; }
vic_works() {
	pings vic "$SB_PEER_V4" && pings vic "$SB_PEER_V6" &&
		[ "$(dnsq vic "$R4" "managed.$DOMAIN")" = "rcode=0 $R4" ]
}

# ---- control: router_idmap = off, the router as the host's root
t_ok "up desktop with router_idmap = off" sec_up desktop 'router_idmap = off' || t_bail "up failed"
t_ok "guest vic" sec_guest vic || t_bail "guest vic"
t_is "control: the router's processes are host uid 0 (dnsmasq: host nobody)" "$(uid_set)" "0 65534"
t_is "control: inside, uid 0 is the host's uid 0" "$(as_router 'cat /proc/self/uid_map' | awk '{ print $1, $2 }')" "0 0"
t_ok "control: a root-owned host file in lxtg/run" host_file
t_ok "control: root in the router writes that host file" as_router 'echo owned >> /lxtg/run/hostfile'
t_is "control: the host file was changed" "$(cat "$RUN/hostfile")" "host
owned"
t_ok "control: vic reaches the LAN and resolves" vic_works
mac_before=$(in_guest vic cat /sys/class/net/eth0/address)

# ---- a directory on the way that the router's uid cannot pass: up refuses before it stops anything
rpid_off=$RPID
chmod 0700 "$SB_TMP"
printf '[network]\nuplink = eth0\n' >"$SB_CONF"
t_ok "with $SB_TMP at 0700, up (router_idmap at its default) fails" not lx up desktop 2>"$SB_TMP/up.err"
chmod 0711 "$SB_TMP"
t_ok "... naming the directory" grep -q "cannot reach .* through $SB_TMP (mode 0700, owner 0)" "$SB_TMP/up.err" ||
	t_diag "$(cat "$SB_TMP/up.err")"
t_is "... and the router still runs, the same one" "$(router_pid)" "$rpid_off"
t_ok "... and vic still reaches the LAN and resolves" vic_works

# ---- the default: a user namespace
t_ok "before up, status reports the router's map as drift" \
	grep_out "^drift: router: runs as the host's root; router_idmap = $BASE asks for a user namespace" lx status
t_ok "up desktop with router_idmap at its default" sec_up desktop || t_bail "up failed"
t_ok "status reports no drift" not grep_out "^drift:" lx status
t_ok "the router's config maps root to $BASE" grep -qx "lxc.idmap = u 0 $BASE 65536" "$SB_LXCPATH/managed/config"
t_is "inside the router, uid 0 is host uid $BASE (uid_map)" \
	"$(as_router 'cat /proc/self/uid_map' | awk '{ print $1, $2, $3 }')" "0 $BASE 65536"
t_is "inside the router, gid 0 is host gid $BASE (gid_map)" \
	"$(as_router 'cat /proc/self/gid_map' | awk '{ print $1, $2, $3 }')" "0 $BASE 65536"
t_is "inside the router it is still root" "$(as_router 'id -u')" "0"
t_is "every process of the router runs as host uid $BASE (dnsmasq: the router's nobody)" \
	"$(uid_set)" "$BASE $((BASE + 65534))"
t_is "the namespace holder runs as host uid $BASE" "$(stat -c %u "/proc/$(cut -d' ' -f1 "$SB_STATE/router/holder")")" "$BASE"
t_is "the router's network namespace belongs to its user namespace" \
	"$(readlink "/proc/$RPID/ns/user")" "$(readlink "/proc/$(cut -d' ' -f1 "$SB_STATE/router/holder")/ns/user")"
t_ok "its user namespace is not the host's" test "$(readlink "/proc/$RPID/ns/user")" != "$(readlink /proc/self/ns/user)"
# as_uid UID CMD...: CMD as host uid and gid UID, no other group.
as_uid() { local u=$1; shift; setpriv --reuid="$u" --regid="$u" --clear-groups "$@"; }
HOLDER=$(cut -d' ' -f1 "$SB_STATE/router/holder")
setpriv --reuid="$BASE" --regid="$BASE" --clear-groups sleep 30 &
SAME=$!
t_ok "control: a host process of uid $BASE reads the environment of another of that uid" \
	sb_wait_for "sleep's environment" 2000 as_uid "$BASE" cat "/proc/$SAME/environ"
kill "$SAME"
t_ok "... but not the holder's" not as_uid "$BASE" cat "/proc/$HOLDER/environ"
t_is "the router's directory: owner root, group $BASE, 0710" "$(stat -c '%u:%g %a' "$SB_STATE/router")" "0:$BASE 710"
t_ok "control: root reaches the router's lxtg/run" ls "$RUN"
t_ok "another host user does not" not as_uid 65534 ls "$RUN"
t_ok "vic still has its eth0 (same MAC) after the switch" test "$(in_guest vic cat /sys/class/net/eth0/address)" = "$mac_before"
t_ok "vic leases again from the new router" sb_wait_for "vic lease" 8000 grep_out "ip='${G4[vic]}'" lease vic
t_ok "vic reaches the LAN and resolves" vic_works

# ---- writes to the host: refused
t_ok "a root-owned host file in lxtg/run again" host_file
t_ok "root in the router cannot write that host file" refused 'echo owned >> /lxtg/run/hostfile' 'Permission denied'
t_ok "... nor remove its contents" refused ': > /lxtg/run/hostfile' 'Permission denied'
t_ok "... nor chown it" refused 'chown 0:0 /lxtg/run/hostfile' 'Operation not permitted|Permission denied'
t_is "the host file is unchanged" "$(cat "$RUN/hostfile")" "host"
t_ok "root in the router cannot write its rootfs" refused 'touch /probe' 'Read-only file system|Permission denied'
t_ok "... nor /usr (the host's, bound read-only)" refused 'touch /usr/probe' 'Read-only file system|Permission denied'
t_ok "... nor make it writable" refused 'mount -o remount,rw,bind /usr' 'denied|not permitted|must be superuser'
t_ok "... nor write lxtg-init (the host's binary)" refused 'echo x >> /lxtg/lxtg-init' 'Read-only file system|Permission denied'
t_ok "... nor a kernel setting of the host (/proc/sys/vm)" refused 'echo 1 > /proc/sys/vm/drop_caches' 'Read-only file system|Permission denied'
t_ok "control: the router sees the host's ksm switch in sysfs" as_router 'test -e /sys/kernel/mm/ksm/run'
t_ok "... nor write sysfs" refused 'echo 1 > /sys/kernel/mm/ksm/run' 'Read-only file system|Permission denied'
t_ok "... nor make a device node to reach a host disk" refused 'mknod /tmp/disk b 8 0' 'not permitted|Permission denied'

# ---- what the router may do, it still does
t_ok "root in the router writes its own files in lxtg/run" as_router 'touch /lxtg/run/probe && rm /lxtg/run/probe'
t_ok "... and in lxtg/state" as_router 'touch /lxtg/state/probe && rm /lxtg/state/probe'
t_is "dnsmasq's lease file on the host belongs to the mapped uid" \
	"$(stat -c %u "$SB_STATE/router/rootfs/lxtg/state/dnsmasq.leases")" "$BASE"
t_ok "the lease file names vic" grep -q " ${G4[vic]} " "$SB_STATE/router/rootfs/lxtg/state/dnsmasq.leases"
t_is "the router's uplink lease files belong to the mapped uid" "$(stat -c %u "$RUN/resolv.conf" "$RUN/uplink.bound" | sort -u)" "$BASE"
# What the router makes below its directories is its own; a hard link to a host file is not
# handed over (the router cannot make one where protected_hardlinks is on; the test makes it
# as root, as a router could where it is off).
t_ok "the router makes a directory tree with a file in lxtg/state" \
	as_router 'mkdir -p /lxtg/state/sub/deeper && touch /lxtg/state/sub/deeper/f'
t_ok "a root-owned host file, hard-linked into lxtg/run" \
	eval 'printf "host\n" >"$SB_TMP/victim" && ln "$SB_TMP/victim" "$RUN/victim-link"'
rpid_before=$RPID
t_ok "up again" sec_up desktop
t_is "the same router runs (no restart)" "$RPID" "$rpid_before"
t_is "the hard-linked host file still belongs to the host's root" "$(stat -c %u:%g "$SB_TMP/victim")" "0:0"
t_ok "... and root in the router cannot write it" refused 'echo owned >> /lxtg/run/victim-link' 'Permission denied'
rm -f "$RUN/victim-link"

# ---- back to off: the files are the host root's again
t_ok "up with router_idmap = off again" sec_up desktop 'router_idmap = off'
t_is "the router's processes are host uid 0 again" "$(uid_set)" "0 65534"
t_is "the router's directory is root's 0700 again" "$(stat -c '%u:%g %a' "$SB_STATE/router")" "0:0 700"
t_is "lxtg/run and lxtg/state belong to the host's root again" \
	"$(stat -c %u "$RUN" "$RUN/resolv.conf" "$SB_STATE/router/rootfs/lxtg/state" | sort -u)" "0"
t_is "... and so does what the router made below them" "$(cd "$SB_STATE/router/rootfs/lxtg/state" &&
	stat -c %u:%g sub sub/deeper sub/deeper/f | sort -u)" "0:0"
t_ok "vic reaches the LAN and resolves" vic_works

t_ok "down" lx down
sb_cleanup
t_ok "nothing of the sandbox is left" sb_assert_clean
t_done
