# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=bash
#
# Sandbox and TAP helpers for the integration tests (see DESIGN.md, "Testing sandbox").
# Source it from a bash TAP script:   . "$top_srcdir/tests/lib/sandbox.sh"
#
# Three network namespaces stand in for machines on a fake LAN (192.0.2.0/24, 2001:db8:1::/64):
#   $SB_LAN   upstream router: bridge br0 (.1 / ::1), dnsmasq (DHCPv4, RA/SLAAC, DNS for lan.test)
#   $SB_HOST  the simulated LXC host: eth0 on br0, nothing configured (tests run DHCP/SLAAC)
#   $SB_PEER  another LAN host: eth0 on br0, static .10 / ::10
# Nothing is created in the root network namespace, no daemon talks to a real resolver, and
# sb_cleanup (installed as EXIT/INT/TERM/HUP trap) removes every namespace, process and file.
# The library never changes the caller's shell options.

[ -n "${SB__LOADED:-}" ] && return 0
SB__LOADED=1

: "${top_srcdir:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
export top_srcdir

# Fake LAN addressing, shared with the tests.
export SB_LAN_V4=192.0.2.1 SB_LAN_V6=2001:db8:1::1
export SB_PEER_V4=192.0.2.10 SB_PEER_V6=2001:db8:1::10
export SB_POOL_FIRST=192.0.2.50 SB_POOL_LAST=192.0.2.99
export SB_DOMAIN=lan.test SB_WWW_V4=192.0.2.80 SB_WWW_V6=2001:db8:1::80
# Static busybox used for guests and for udhcpc/nslookup in the namespaces.
: "${SB_BUSYBOX:=/bin/busybox}"

T_N=0
T_FAILED=0
SB__HOOKS=()

# ---------------------------------------------------------------- TAP

# t_diag MSG...: print MSG as TAP diagnostics, one "# " line per line.
t_diag() {
	local line
	while IFS= read -r line; do printf '# %s\n' "$line"; done <<<"$*"
}

# t__result STATUS DESC: print one numbered ok/not ok line; returns 0 only for STATUS 0.
t__result() {
	T_N=$((T_N + 1))
	if [ "$1" -eq 0 ]; then
		printf 'ok %d - %s\n' "$T_N" "$2"
		return 0
	fi
	T_FAILED=$((T_FAILED + 1))
	printf 'not ok %d - %s\n' "$T_N" "$2"
	return 1
}

# t_ok DESC CMD...: run CMD (its stdout goes to stderr, i.e. the log) and report its exit status.
# On failure the last 30 lines CMD printed (stdout and stderr) follow as diagnostics: stderr
# does not reach the test log, and CI shows only what the log has.
t_ok() {
	local desc=$1 rc out=${TMPDIR:-/tmp}/lxtg-tap.$BASHPID
	shift
	"$@" >"$out" 2>&1
	rc=$?
	cat "$out" >&2
	t__result "$rc" "$desc" || { t_diag "exit $rc: $*"; t_diag "$(tail -n 30 "$out")"; rm -f "$out"; return 1; }
	rm -f "$out"
}

# t_is DESC GOT WANT: pass if the strings are equal, else show both.
t_is() {
	[ "$2" = "$3" ]
	t__result $? "$1" || { t_diag "got:  '$2'"; t_diag "want: '$3'"; return 1; }
}

# t_skip_all REASON: skip the whole script (TAP plan 1..0) and exit 0.
t_skip_all() {
	printf '1..0 # SKIP %s\n' "$*"
	exit 0
}

# t_bail MSG: abort the run with "Bail out!" and exit 1 (the trap still cleans up).
t_bail() {
	printf 'Bail out! %s\n' "$*"
	exit 1
}

# t_done: print the plan 1..N and exit 1 if any test failed.
t_done() {
	printf '1..%d\n' "$T_N"
	[ "$T_FAILED" -eq 0 ] && exit 0
	t_diag "$T_FAILED of $T_N tests failed"
	exit 1
}

# ---------------------------------------------------------------- small helpers

# sb_now_ms: print a wall-clock timestamp in milliseconds (no fork of date).
sb_now_ms() {
	local us=${EPOCHREALTIME//[!0-9]/}
	printf '%d\n' $((10#$us / 1000))
}

# sb_wait_for DESC TIMEOUT_MS CMD...: poll CMD every 20 ms until it succeeds; sets SB_WAITED_MS.
sb_wait_for() {
	local desc=$1 timeout=$2 start now
	shift 2
	start=$(sb_now_ms)
	while :; do
		"$@" >/dev/null 2>&1 && break
		now=$(sb_now_ms)
		if [ $((now - start)) -ge "$timeout" ]; then
			SB_WAITED_MS=$((now - start))
			t_diag "timed out after $SB_WAITED_MS ms waiting for $desc"
			return 1
		fi
		sleep 0.02
	done
	SB_WAITED_MS=$(($(sb_now_ms) - start))
}

# sb_require: skip the script unless we are root and the sandbox tools are usable.
sb_require() {
	local c
	[ "$(id -u)" -eq 0 ] || t_skip_all "needs root"
	for c in ip dnsmasq lxc-start lxc-info lxc-stop lxc-attach mount chroot; do
		command -v "$c" >/dev/null || t_skip_all "$c not installed"
	done
	[ -x "$SB_BUSYBOX" ] || t_skip_all "$SB_BUSYBOX missing (install busybox-static)"
	! ldd "$SB_BUSYBOX" >/dev/null 2>&1 || t_skip_all "$SB_BUSYBOX is not static (install busybox-static)"
}

# ---------------------------------------------------------------- running things in the namespaces

# sb_lan_exec CMD...: run CMD in the LAN (upstream router) namespace.
sb_lan_exec() { ip netns exec "${SB_LAN:?sb_init first}" "$@"; }

# sb_peer_exec CMD...: run CMD in the peer namespace.
# stop_pid PID: kill PID if it still runs (for sb_on_cleanup); never fails.
stop_pid() { kill "$1" 2>/dev/null; return 0; }

# nft_static: filter for `nft -s list ruleset`: drops the elements of lxctogo-net's per-guest
# limit sets (guest_conns, guest_rate, guest_dns, guest_dhcp), which the kernel fills with the
# guests' MACs as they send and drops again as the entries expire, and of the guards' claims
# (port_ip6_dyn, learned6, learn_rate, asked6, ask_rate, ask_again), which guests make by sending: state, not configuration.
nft_static() {
	awk '/^\t+set (guest_(conns|rate|dns|dhcp)|port_ip6_dyn|learned6|learn_rate|asked6|ask_rate|ask_again) \{/ { inset = 1 }
		inset && /^\t+elements = \{/ { skip = 1 }
		skip { if (/\}$/) skip = 0; next }
		inset && /^\t+\}$/ { inset = 0 }
		{ print }'
}
sb_peer_exec() { ip netns exec "${SB_PEER:?sb_init first}" "$@"; }

# sb_host_exec CMD...: run CMD in the host namespace with its own /sys plus the machine's cgroup mounts (for liblxc).
# ip netns exec remounts /sys, which hides /sys/fs/cgroup; one "mount -a" of a generated fstab restores the
# tmpfs and every cgroup/cgroup2 hierarchy with the same options (~16 ms per call; a sh loop over mount(8) costs ~100 ms).
sb_host_exec() { sb_ns_exec "${SB_HOST:?sb_init first}" "$@"; }

# sb_ns_exec NS CMD...: sb_host_exec for any host namespace (sb_add_host).
sb_ns_exec() {
	local ns=$1
	shift
	# shellcheck disable=SC2016 # expanded by the inner sh
	ip netns exec "$ns" sh -c 'mount -a -T "$0" || exit 125; exec "$@"' "$SB_TMP/cgroup.fstab" "$@"
}

# sb_add_host NAME: one more simulated LXC host on the LAN, namespace $SB-NAME with eth0 on br0
# port xN of the LAN (N counts from 0; nothing configured, like $SB_HOST); sb_cleanup removes it
# and what runs in it. Call it in the test's shell, not in $(...): the cleanup list lives there.
SB__EXTRA=()
sb_add_host() {
	local ns=$SB-$1 port=x${#SB__EXTRA[@]}
	ip netns add "$ns" || return 1
	SB__EXTRA+=("$ns")
	SB_NETNS_INO="$SB_NETNS_INO $(stat -L -c %i "/run/netns/$ns")"
	sb__sysctl "$ns" net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
		net.ipv6.conf.default.dad_transmits=0 || return 1
	ip -n "$SB_LAN" link add "$port" type veth peer name eth0 netns "$ns" &&
		ip -n "$SB_LAN" link set "$port" master br0 up &&
		ip -n "$ns" link set lo up && ip -n "$ns" link set eth0 up
}

# ---------------------------------------------------------------- setup

# sb__write FILE MODE: write stdin to FILE and chmod it to MODE.
sb__write() {
	cat >"$1" && chmod "$2" "$1"
}

# sb__sysctl NS KEY=VALUE...: set sysctls inside namespace NS.
sb__sysctl() {
	local ns=$1
	shift
	ip netns exec "$ns" sysctl -qw "$@" >/dev/null
}

# sb__dnsmasq_ready: succeed once the LAN dnsmasq listens for DNS on 192.0.2.1 and for DHCP.
sb__dnsmasq_ready() {
	local out
	kill -0 "$SB__DNSMASQ_PID" 2>/dev/null || return 1
	out=$(ip netns exec "$SB_LAN" ss -Hlnu) || return 1
	[[ $out == *"$SB_LAN_V4:53 "* && $out == *":67 "* ]]
}

# sb__start_dnsmasq: start the LAN dnsmasq (DHCPv4 pool, RA for SLAAC, local-only DNS) in the background.
sb__start_dnsmasq() {
	ip netns exec "$SB_LAN" dnsmasq --keep-in-foreground --user=root --group=root \
		--conf-file=/dev/null --pid-file="$SB_TMP/lan-dnsmasq.pid" \
		--log-facility="$SB_TMP/lan-dnsmasq.log" --log-dhcp --log-queries \
		--bind-interfaces --interface=br0 --no-ping --no-resolv --no-hosts \
		--dhcp-authoritative --dhcp-leasefile="$SB_TMP/lan.leases" \
		--dhcp-range="$SB_POOL_FIRST,$SB_POOL_LAST,255.255.255.0,1h" \
		--dhcp-option=option:router,"$SB_LAN_V4" --dhcp-option=option:dns-server,"$SB_LAN_V4" \
		--enable-ra --dhcp-range=2001:db8:1::,ra-only,64 \
		--domain="$SB_DOMAIN" --local="/$SB_DOMAIN/" \
		--host-record="www.$SB_DOMAIN,$SB_WWW_V4,$SB_WWW_V6" \
		</dev/null >>"$SB_TMP/lan-dnsmasq.log" 2>&1 &
	SB__DNSMASQ_PID=$!
	# Out of the job table: no "Killed" notice at cleanup (bash still reaps it).
	disown "$SB__DNSMASQ_PID"
}

# sb__udhcpc_script RECORD [RESOLV]: print a udhcpc event script that applies a lease with ip(8), records it
# as shell variables in RECORD.IFACE and, if RESOLV is given, writes that resolv.conf (never for the host ns!).
sb__udhcpc_script() {
	printf '#!/bin/sh\nout=%s\nresolv=%s\n' "$1" "${2:-}"
	cat <<'EOF'
# udhcpc event script of the lxctogo-net test sandbox.
case "$1" in
deconfig)
	ip -4 addr flush dev "$interface"
	ip link set "$interface" up ;;
bound|renew)
	ip -4 addr flush dev "$interface"
	ip addr add "$ip/${mask:-24}" dev "$interface"
	for r in $router; do ip route replace default via "$r" dev "$interface"; break; done
	printf "%s='%s'\n" ip "$ip" mask "$mask" router "$router" dns "$dns" domain "$domain" \
		lease "$lease" serverid "$serverid" mtu "$mtu" >"$out.$interface"
	if [ -n "$resolv" ]; then
		{ [ -n "$domain" ] && echo "search $domain"; for d in $dns; do echo "nameserver $d"; done; } >"$resolv"
	fi ;;
esac
exit 0
EOF
}

# sb_freeze_bin BIN: copy the controller BIN into $SB_TMP (others may rebuild it meanwhile), with
# what it loads from next to itself: lxtg-init (the router's PID 1), lxtg-netlink.so and lxtg-ndproxy.
# Prints the copy's path.
sb_freeze_bin() {
	local f dir
	dir=$(dirname "$1")
	cp "$1" "$SB_TMP/lxctogo-net" || return 1
	for f in lxtg-init lxtg-netlink.so lxtg-ndproxy; do
		if [ -e "$dir/$f" ]; then cp "$dir/$f" "$SB_TMP/$f" || return 1; fi
	done
	echo "$SB_TMP/lxctogo-net"
}

# sb_init: build the three-namespace sandbox and install the cleanup trap (bails out on failure).
sb_init() {
	local t0 ns nodad=(net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.default.dad_transmits=0)
	[ "$(id -u)" -eq 0 ] || t_bail "sb_init needs root"
	[ -z "${SB__OWNER:-}" ] || t_bail "sb_init called twice"
	t0=$(sb_now_ms)
	SB_TMP=$(mktemp -d "${SB_TMPDIR:-/tmp}/lxtg-sb.XXXXXX") || t_bail "mktemp failed"
	# The router runs as an unprivileged host uid (router_idmap): it must pass
	# through here to its rootfs and to lxtg-init, as through /var/lib.
	chmod 0711 "$SB_TMP" || t_bail "chmod $SB_TMP failed"
	SB__OWNER=$BASHPID
	sb__traps
	SB=lt${SB_TMP##*.}
	SB_LAN=$SB-lan SB_HOST=$SB-host SB_PEER=$SB-peer
	SB_LXCPATH=$SB_TMP/lxc SB_STATE=$SB_TMP/state SB_CONF=$SB_TMP/lxctogo-net.conf
	export SB SB_TMP SB_LAN SB_HOST SB_PEER SB_LXCPATH SB_STATE SB_CONF SB_NETNS_INO
	mkdir -p "$SB_LXCPATH" "$SB_STATE" || t_bail "mkdir under $SB_TMP failed"

	# Everything below /sys/fs/cgroup, for sb_host_exec (mount -a creates the mount points).
	awk '$2 ~ "^/sys/fs/cgroup(/|$)" && ($3 == "tmpfs" || $3 == "cgroup" || $3 == "cgroup2") {
		$4 = $4 ",X-mount.mkdir"; print }' /proc/self/mounts >"$SB_TMP/cgroup.fstab" || t_bail "no /proc/self/mounts"
	sb__udhcpc_script "$SB_TMP/dhcp" | sb__write "$SB_TMP/udhcpc.script" 0755 || t_bail "cannot write udhcpc script"

	for ns in "$SB_LAN" "$SB_HOST" "$SB_PEER"; do
		ip netns add "$ns" || t_bail "ip netns add $ns failed"
	done
	SB_NETNS_INO=$(stat -L -c %i "/run/netns/$SB_LAN" "/run/netns/$SB_HOST" "/run/netns/$SB_PEER" | tr '\n' ' ')
	# Before any link exists, so that new links inherit "no DAD".
	if ! sb__sysctl "$SB_LAN" "${nodad[@]}" net.ipv6.conf.all.forwarding=1 net.ipv4.ip_forward=1 ||
		! sb__sysctl "$SB_HOST" "${nodad[@]}" ||
		! sb__sysctl "$SB_PEER" "${nodad[@]}" net.ipv6.conf.default.accept_ra=0; then
		t_bail "sysctl failed"
	fi

	# The veths are created from inside lan, with their far ends born in host and peer.
	ip -n "$SB_LAN" -batch - <<EOF || t_bail "LAN setup failed"
link set lo up
link add br0 type bridge forward_delay 0 stp_state 0 mcast_snooping 0 nf_call_iptables 0 nf_call_ip6tables 0 nf_call_arptables 0
link add h0 type veth peer name eth0 netns $SB_HOST
link add p0 type veth peer name eth0 netns $SB_PEER
link set h0 master br0 up
link set p0 master br0 up
addr add $SB_LAN_V4/24 dev br0
addr add $SB_LAN_V6/64 dev br0 nodad
link set br0 up
EOF
	sb__start_dnsmasq

	ip -n "$SB_PEER" -batch - <<EOF || t_bail "peer setup failed"
link set lo up
addr add $SB_PEER_V4/24 dev eth0
addr add $SB_PEER_V6/64 dev eth0 nodad
link set eth0 up
route add default via $SB_LAN_V4
route add default via $SB_LAN_V6
EOF
	sb__sysctl "$SB_HOST" net.ipv6.conf.eth0.accept_ra=2 || t_bail "sysctl in host failed"
	ip -n "$SB_HOST" -batch - <<EOF || t_bail "host setup failed"
link set lo up
link set eth0 up
EOF
	sb_wait_for "LAN dnsmasq to listen" 3000 sb__dnsmasq_ready ||
		t_bail "LAN dnsmasq did not start: $(tail -n 5 "$SB_TMP/lan-dnsmasq.log" 2>/dev/null)"
	t_diag "sandbox $SB up in $(($(sb_now_ms) - t0)) ms (dnsmasq ready after $SB_WAITED_MS ms of polling)"
}

# sb_host_dhcp IFACE: get a DHCPv4 lease on IFACE in the host namespace (udhcpc, max ~5 s); lease vars land in $SB_TMP/dhcp.IFACE.
sb_host_dhcp() {
	sb_host_exec "$SB_BUSYBOX" udhcpc -f -q -n -t 5 -T 1 -i "${1:?iface}" -s "$SB_TMP/udhcpc.script"
}

# ---------------------------------------------------------------- guests

# sb_make_guest NAME [CONFIG_LINE...]: define a busybox container under $SB_LXCPATH; extra lines go into its config
# (without an "lxc.net." line the guest gets lxc.net.0.type = empty, i.e. a netns with only lo).
sb_make_guest() {
	local name=${1:?name} dir rootfs line net=1
	shift
	dir=${SB_LXCPATH:?sb_init first}/$name
	rootfs=$dir/rootfs
	mkdir -p "$rootfs"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,run,root} &&
		cp "$SB_BUSYBOX" "$rootfs/bin/busybox" &&
		chroot "$rootfs" /bin/busybox --install -s || return 1
	printf 'root:x:0:0:root:/root:/bin/sh\n' >"$rootfs/etc/passwd"
	printf 'root:x:0:\n' >"$rootfs/etc/group"
	# busybox udhcpc's default script path: "udhcpc -i eth0 -q -n" in the guest just works.
	mkdir -p "$rootfs/etc/udhcpc" &&
		sb__udhcpc_script /run/dhcp /etc/resolv.conf | sb__write "$rootfs/etc/udhcpc/default.script" 0755 || return 1
	# lxc.init.cmd is split on blanks without honouring quotes, so init is a script, not "sh -c '...'".
	# A shell init stops at once on lxc-stop's SIGPWR; busybox init would sleep 2 s before it exits.
	sb__write "$rootfs/sbin/sb-init" 0755 <<'EOF' || return 1
#!/bin/sh
# sandbox guest init: run /etc/rc.local once, then idle; SIGPWR/SIGTERM/SIGUSR2/SIGINT end the guest at once.
trap 'exit 0' PWR TERM USR2 INT
[ -x /etc/rc.local ] && /etc/rc.local
while :; do sleep 2147483647 & wait $!; done
EOF
	for line in "$@"; do [[ $line == lxc.net.* ]] && net=0; done
	{
		printf '%s\n' "lxc.uts.name = $name" "lxc.rootfs.path = dir:$rootfs" "lxc.init.cmd = /sbin/sb-init" \
			"lxc.mount.auto = proc:mixed sys:mixed" "lxc.autodev = 1" "lxc.tty.max = 0" "lxc.pty.max = 8" \
			"lxc.console.path = none" "lxc.apparmor.profile = unconfined" \
			"lxc.log.file = $dir/lxc.log" "lxc.log.level = INFO"
		if [ "$net" -eq 1 ]; then printf '%s\n' "lxc.net.0.type = empty"; fi
		[ $# -eq 0 ] || printf '%s\n' "$@"
	} >"$dir/config"
}

# sb_lxc TOOL NAME ARGS...: run lxc-TOOL for container NAME of $SB_LXCPATH inside the host namespace.
sb_lxc() {
	local tool=$1 name=$2
	shift 2
	sb_host_exec "lxc-$tool" -P "$SB_LXCPATH" -n "$name" "$@"
}

# sb_guest_state NAME: print the LXC state of guest NAME (RUNNING, STOPPED, ...).
sb_guest_state() { sb_lxc info "$1" -s -H; }

# sb_guest_memory NAME: print the guest's memory use in bytes; fails when its cgroups are not visible.
sb_guest_memory() {
	sb_lxc info "$1" -S -H | awk '/^Memory use:/ { print $3; found = 1 } END { exit !found }'
}

# sb_guest_exec NAME CMD...: run CMD inside guest NAME with lxc-attach (clean environment).
sb_guest_exec() {
	local name=$1
	shift
	sb_lxc attach "$name" --clear-env -v PATH=/usr/sbin:/usr/bin:/sbin:/bin -- "$@"
}

# sb_start_guest NAME: start guest NAME and report start time and memory as diagnostics.
sb_start_guest() {
	local t0 ms mem
	t0=$(sb_now_ms)
	sb_lxc start "$1" </dev/null || return 1
	ms=$(($(sb_now_ms) - t0))
	mem=$(sb_guest_memory "$1") || mem="?"
	t_diag "guest $1 started in $ms ms (incl. ~16 ms sb_host_exec), memory $mem bytes"
}

# sb_stop_guest NAME: stop guest NAME (SIGPWR, SIGKILL after 5 s).
sb_stop_guest() { sb_lxc stop "$1" -t 5; }

# ---------------------------------------------------------------- teardown

# sb_on_cleanup CMD...: register CMD to run at the start of sb_cleanup (last registered runs first).
sb_on_cleanup() {
	SB__HOOKS=("$(printf '%q ' "$@")" "${SB__HOOKS[@]}")
}

# sb__rootfs_pids: print pids of processes whose root directory lies under $SB_TMP (container payloads).
sb__rootfs_pids() {
	[ -n "${SB_TMP:-}" ] || return 0
	grep -lsE "^[0-9]+ [0-9]+ [0-9]+:[0-9]+ [^ ]*/${SB_TMP##*/}/[^ ]* / " /proc/[0-9]*/mountinfo |
		sed 's#^/proc/\([0-9]*\)/.*#\1#'
}

# sb__tmp_pids: print pids of processes whose command line names $SB_TMP (the router's namespace holder,
# "lxtg-init hold $SB_STATE", lives in a netns of its own, outside the sandbox's).
sb__tmp_pids() {
	local cmdlines
	[ -n "${SB_TMP:-}" ] || return 0
	cmdlines=(/proc/[0-9]*/cmdline)
	grep -lsF -- "$SB_TMP" "${cmdlines[@]}" | cut -d/ -f3 | grep -vx "$BASHPID"
}

# sb__ns_pids: print pids of processes in our namespaces.
sb__ns_pids() {
	local ns
	for ns in "$SB_LAN" "$SB_HOST" "$SB_PEER" "${SB__EXTRA[@]}"; do
		[ -e "/run/netns/$ns" ] && ip netns pids "$ns"
	done
}

# sb__monitors: print "PID LXCPATH NAME NS" for every LXC monitor running in a host namespace.
sb__monitors() {
	local pid args ns
	for ns in "$SB_HOST" "${SB__EXTRA[@]}"; do
		[ -e "/run/netns/$ns" ] || continue
		for pid in $(ip netns pids "$ns"); do
			args=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline")
			# LXC titles its monitor "[lxc monitor] LXCPATH NAME".
			[[ $args == "[lxc monitor] "* ]] && printf '%s %s %s\n' "$pid" "${args#"[lxc monitor] "}" "$ns"
		done
	done
	return 0
}

# sb__monitor_pids: print the pids of sb__monitors.
sb__monitor_pids() { sb__monitors | cut -d' ' -f1; }

# sb__reap SIG LISTER: send SIG (0: just wait) to the pids LISTER prints until it prints none; fails after ~2 s.
sb__reap() {
	local i pids
	for ((i = 0; i < 100; i++)); do
		pids=$("$2")
		[ -z "$pids" ] && return 0
		# shellcheck disable=SC2086 # one pid per word
		kill -"$1" $pids 2>/dev/null
		sleep 0.02
	done
	return 1
}

# sb__traps: make EXIT run sb_cleanup, and HUP/INT/TERM exit (and so run it too).
sb__traps() {
	trap sb_cleanup EXIT
	trap 'exit 129' HUP
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

# sb_cleanup: idempotent teardown: stop containers, kill everything in our namespaces, delete them and $SB_TMP.
sb_cleanup() {
	local hook ns mnt pid path name
	# Only the shell that ran sb_init (or a subshell of it), never a process that merely inherited $SB.
	[ -n "${SB__OWNER:-}" ] && [ -n "${SB:-}" ] && [ -n "${SB_TMP:-}" ] || return 0
	trap '' HUP INT TERM
	for hook in "${SB__HOOKS[@]}"; do eval "$hook" >&2; done
	SB__HOOKS=()
	if [ -e "$SB_TMP/cgroup.fstab" ]; then
		while read -r pid path name ns; do
			sb_ns_exec "$ns" lxc-stop -k -P "$path" -n "$name" >/dev/null 2>&1
		done < <(sb__monitors)
	fi
	# Payloads whose monitor is gone (they live in netns of their own), then give monitors time to
	# remove their cgroups, then SIGKILL whatever is left in our namespaces.
	sb__reap 9 sb__rootfs_pids || t_diag "container payloads survive SIGKILL: $(sb__rootfs_pids)"
	sb__reap 0 sb__monitor_pids || t_diag "LXC monitors did not exit, killing them: $(sb__monitors)"
	sb__reap 9 sb__ns_pids || t_diag "processes survive SIGKILL: $(sb__ns_pids)"
	sb__reap 9 sb__tmp_pids || t_diag "processes of $SB_TMP survive SIGKILL: $(sb__tmp_pids)"
	for ns in "$SB_LAN" "$SB_HOST" "$SB_PEER" "${SB__EXTRA[@]}"; do
		[ -e "/run/netns/$ns" ] && ip netns del "$ns"
	done
	SB__EXTRA=()
	if [[ $SB_TMP == */lxtg-sb.?????? && -d $SB_TMP ]]; then
		# A test may have left a mount below $SB_TMP in our mount namespace; never delete through it.
		awk -v d="$SB_TMP" 'index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r |
			while read -r mnt; do umount -l "$mnt"; done
		rm -rf --one-file-system "$SB_TMP"
		# liblxc keeps lock files in /run/lxc/lock/<lxcpath>; ours is unique to this run.
		rm -rf --one-file-system "/run/lxc/lock$SB_TMP"
	fi
	sb__traps
	return 0
}

# sb_assert_clean: fail (with diagnostics) if anything of sandbox $SB is left: namespaces, processes, mounts, files.
sb_assert_clean() {
	local bad=0 ns ino left cmdlines
	for ns in $(ip netns list | awk '{ print $1 }'); do
		[[ $ns == "$SB"-* ]] && { t_diag "namespace $ns left"; bad=1; }
	done
	for ino in $SB_NETNS_INO; do
		left=$(find /proc/[0-9]*/ns/net -maxdepth 0 -lname "net:\[$ino\]" 2>/dev/null)
		[ -n "$left" ] && { t_diag "processes left in netns $ino: ${left//$'\n'/ }"; bad=1; }
	done
	# Expand the glob here: inside $(...) it would list the grep itself.
	cmdlines=(/proc/[0-9]*/cmdline)
	left=$(sb__rootfs_pids; grep -lsF -- "$SB_TMP" "${cmdlines[@]}")
	[ -n "$left" ] && { t_diag "processes of $SB_TMP left: ${left//$'\n'/ }"; bad=1; }
	grep -qsF -- "$SB_TMP" /proc/self/mountinfo && { t_diag "mounts under $SB_TMP left"; bad=1; }
	[ -e "$SB_TMP" ] && { t_diag "$SB_TMP left"; bad=1; }
	[ -e "/run/lxc/lock$SB_TMP" ] && { t_diag "/run/lxc/lock$SB_TMP left"; bad=1; }
	return "$bad"
}
