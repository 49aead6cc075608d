# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=bash
# shellcheck disable=SC2317 # helpers are called through t_ok / sb_wait_for
#
# Shared helpers of the fault-tolerance tests (THREATS.md F1-F7), on top of tests/lib/sandbox.sh.
# Source it from a tests/faults/fN-*.sh script, then call f_init.
#
# The snapshot functions follow tests/integration/10-router-desktop.sh, but compare every net.*
# sysctl of a namespace (minus the volatile ones) instead of a fixed list.
# The controller and every lxc-* call run inside the sandbox host namespace (sb_host_exec).

: "${top_srcdir:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
# shellcheck source=tests/lib/sandbox.sh
. "$top_srcdir/tests/lib/sandbox.sh"
# shellcheck source=tests/lib/observe.sh
. "$top_srcdir/tests/lib/observe.sh"
: "${LXTG_BIN:=$top_srcdir/lxctogo-net}"

ROUTER=managed
# shellcheck disable=SC2034 # used by the scripts
GUEST4=192.168.254.254 HOSTLINK_ROUTER4=192.168.253.254
F_TOOLS=(nft nsenter tcpdump pgrep sha256sum sysctl strace)
# The system Python starts in ~50 ms; a pyenv shim may take a second and more.
if [ -x /usr/bin/python3 ]; then F_PYTHON=/usr/bin/python3; else F_PYTHON=python3; fi

# f_init: skip unless runnable, build the sandbox, freeze the binary under test, write the config.
f_init() {
	local c
	sb_require
	[ -x "$LXTG_BIN" ] || t_skip_all "$LXTG_BIN not built (set LXTG_BIN)"
	for c in "${F_TOOLS[@]}" "$F_PYTHON"; do
		command -v "$c" >/dev/null || t_skip_all "$c not installed"
	done
	F_T0=$(sb_now_ms)
	sb_init
	# Frozen copies: others may rebuild $LXTG_BIN meanwhile.
	BIN=$(sb_freeze_bin "$LXTG_BIN") || t_bail "cannot copy $LXTG_BIN"
	t_diag "testing $LXTG_BIN"
	# F_KEEP=DIR keeps the top-level files of the run (snapshots, logs) for debugging.
	[ -z "${F_KEEP:-}" ] || sb_on_cleanup f_keep "$F_KEEP"
	printf '[network]\nuplink = eth0\n[server]\nipv4_pool = 192.0.2.100-192.0.2.120\n' >"$SB_CONF"
}

# f_keep DIR: copy the top-level files of $SB_TMP into DIR/<sandbox name>.
f_keep() {
	mkdir -p "$1/$SB" && find "$SB_TMP" -maxdepth 1 -type f -exec cp {} "$1/$SB/" \;
	t_diag "kept the run's files in $1/$SB"
}

# f_done: clean up, prove nothing is left, print the plan.
f_done() {
	sb_cleanup
	t_ok "nothing of the sandbox is left" sb_assert_clean
	t_diag "test took $(($(sb_now_ms) - F_T0)) ms"
	t_done
}

# gx GUEST CMD...: run a host binary in GUEST's network namespace.
gx() {
	local pid
	pid=$(sb_lxc info "$1" -p -H 2>/dev/null) && [ -n "$pid" ] || return 125
	shift
	nsenter -t "$pid" -n "$@"
}

# not CMD...: succeed if CMD fails.
not() { ! "$@"; }

# grep_out PATTERN CMD...: CMD's output matches the extended regex PATTERN.
grep_out() {
	local pat=$1
	shift
	"$@" 2>/dev/null | grep -qE -e "$pat"
}

# rc_of CMD...: print CMD's exit status (its output goes to the log).
rc_of() {
	"$@" >&2
	echo $?
}

# ---------------------------------------------------------------- observation

# routes NSCMD...: IPv4 and IPv6 routes without timers, sorted.
routes() {
	{
		"$@" ip -4 route show table all
		"$@" ip -6 route show table all
	} | sed -E 's/ expires [0-9]+sec//' | sort
}

# Keys that change by themselves (counters, per-boot randomness, unreadable ones).
F_VOLATILE='^net\.netfilter\.nf_conntrack_(count|expect_count)|stable_secret|^net\.ipv4\.tcp_fastopen_key|^net\.core\.netdev_rss_key'

# netsysctls NSCMD...: every net.* sysctl readable in a namespace, minus the volatile ones.
# /proc/sys/net follows the reading process's netns, so nsenter -n and ip netns exec both work.
netsysctls() {
	"$@" sysctl -a -r '^net\.' 2>/dev/null | grep -Ev "$F_VOLATILE" | sort
}

# procs NSNAME: "comm args" of every process in sandbox netns NSNAME (no pids).
procs() {
	local pid
	for pid in $(ip netns pids "$1"); do
		tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null
		echo
	done | sort
}

# f_noindex: drop interface indexes of link peers (a recreated namespace numbers its links anew).
f_noindex() { sed -E 's/@if[0-9]+//; s/@NONE//' | tr -s ' '; }

# f_linkdetails: `ip -d -o link` lines without ifindexes, peer netns ids and running timers.
f_linkdetails() {
	sed -E 's/^[0-9]+: //; s/@if[0-9]+//; s/ link-netns(id)? [^ ]+//; s/ [a-z_]+_timer +[0-9.]+//g'
}

# link_details EXEC: `ip -d -o link show` in EXEC's namespace, f_linkdetails'd and sorted. A
# netns that a killed run left is destroyed by the kernel in the background (cleanup_net);
# until then ip cannot name a veth peer's netns ("Peer netns reference is invalid"): asked
# again for up to 5 s, then shown as it is.
link_details() {
	local out i
	for i in $(seq 50); do
		out=$("$1" ip -d -o link show 2>&1)
		grep -q 'Peer netns reference is invalid' <<<"$out" || break
		sleep 0.1
	done
	f_linkdetails <<<"$out" | sort
}

# host_snap: the host namespace as far as lxctogo-net may touch it.
host_snap() {
	echo "## host links"; hx ip -br link | f_noindex | sort
	echo "## host link details"; link_details hx
	echo "## host bridge ports"; masters hx | f_noindex
	echo "## host addresses"; hx ip -br addr | f_noindex | sort
	echo "## host routes"; routes hx
	echo "## host rules"; hx ip rule; hx ip -6 rule
	echo "## host proxy neighbours"; hx ip neigh show proxy; hx ip -6 neigh show proxy
	echo "## host nft"; hx nft -s list ruleset
	echo "## host bridges"; bridge_nf hx
	echo "## host sysctls"; netsysctls hx
}

# router_snap: the router's namespace. Without lxtg-ndproxy's routes and proxy entries
# (protocol 201): they follow the addresses guests claim by sending, whenever they do.
router_snap() {
	echo "## router links"; rx ip -br link | f_noindex | sort
	echo "## router link details"; link_details rx
	echo "## router addresses"; rx ip -br addr | f_noindex | sort
	echo "## router routes"; routes rx | grep -v ' proto 201 '
	echo "## router proxy neighbours"; { rx ip neigh show proxy; rx ip -6 neigh show proxy; } | grep -v ' proto 201 '
	echo "## router ndproxy entries (checked: nothing else carries protocol 201)"
	rx ip -6 route show table all proto 201 | grep -v ' dev eth1 ' | grep .
	rx ip -6 neigh show proxy | grep ' proto 201' | grep -v ' dev eth0 ' | grep .
	echo "## router nft"; rx nft -s list ruleset | nft_static
	echo "## router sysctls"; netsysctls rx
	echo "## router processes"; router_procs
}

# router_procs: the command lines of the processes in the router's netns (no pids), sorted.
router_procs() {
	local pid
	for pid in $(pgrep --ns "$RPID" --nslist net .); do
		tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null
		echo
	done | sort
}

# router_pids: "init=PID dnsmasq=PID radvd=PID" of the running router.
router_pids() {
	router_refresh
	printf 'init=%s dnsmasq=%s radvd=%s\n' "$RPID" "$(router_proc dnsmasq)" "$(router_proc radvd)"
}

# files_snap: state dir and lxcpath: every entry with type and mode, and the content of every
# regular file except the volatile ones (dnsmasq's lease file, logs).
files_snap() {
	echo "## files"
	find "$SB_STATE" "$SB_LXCPATH" -path "*/rootfs/*" -prune -o -printf '%y %m %p %l\n' | sort
	find "$SB_STATE" -path "$SB_STATE/router/rootfs/*" -printf '%y %m %p %l\n' | sort
	find "$SB_STATE" "$SB_LXCPATH" -path "$SB_LXCPATH/*/rootfs" -prune -o -type f \
		! -name dnsmasq.leases ! -name '*.log' ! -path "$SB_STATE/router/runtime" \
		! -path "$SB_STATE/router/holder" ! -path "$SB_LXCPATH/$ROUTER/config" -print0 |
		sort -z | xargs -0 -r sha256sum
	# The router's PID and start time change with every start of it, the holder's (and the
	# router's config, which names it) with every new holder.
	echo "## runtime"
	sed 's/^router [0-9]* [0-9]*$/router PID START/' "$SB_STATE/router/runtime" 2>/dev/null
	echo "## holder"
	sed -E 's/^[0-9]+ [0-9]+$/PID START/' "$SB_STATE/router/holder" 2>/dev/null
	echo "## router config"
	sed -E 's/^(lxc\.namespace\.share\.(net|user) = )[0-9]+$/\1PID/' "$SB_LXCPATH/$ROUTER/config" 2>/dev/null
}

# router_slaac_done: the router's uplink has its SLAAC address (when the router runs).
router_slaac_done() {
	[ -z "${RPID:-}" ] && return 0
	has_addr_in 2001:db8:1: 6 eth0 rx
}

# addrs_settled NSCMD...: no IPv6 address in the namespace is tentative, and each has its local
# route. The kernel adds an address's local route (and a forwarding link's subnet-anycast one)
# only once its DAD is over, a moment after the address itself shows: a snapshot taken in that
# moment differs from the next one by those two routes.
addrs_settled() {
	local a locals
	! "$@" ip -6 addr show | grep -q tentative || return 1
	locals=$'\n'$("$@" ip -6 route show table local)
	for a in $("$@" ip -6 -o addr show | awk '{ print $4 }'); do
		[[ $locals == *$'\n'"local ${a%/*} "* ]] || return 1
	done
}

# settle: wait until link states, the router's SLAAC and every IPv6 address of the host and the
# router have settled, refresh RPID.
settle() {
	sb_wait_for "bridge operstates to settle" 3000 bridges_settled
	router_refresh
	sb_wait_for "router SLAAC" 5000 router_slaac_done
	sb_wait_for "the host's IPv6 addresses to settle" 5000 addrs_settled hx
	[ -z "${RPID:-}" ] || sb_wait_for "the router's IPv6 addresses to settle" 5000 addrs_settled rx
}

# snap FILE: host, router (if it runs) and files into FILE, once things have settled.
snap() {
	settle
	{
		host_snap
		if [ -n "$RPID" ]; then router_snap; else echo "## no router"; fi
		files_snap
	} >"$1" 2>&1
}

# snap_complete FILE: FILE holds every part of a snapshot of a running router (guards against a
# vacuous comparison of two empty or half-failed snapshots).
snap_complete() {
	local want
	for want in '## host sysctls' 'table bridge lxctogo' '## router nft' 'table inet lxctogo' \
		'net.ipv4.ip_forward = 1' '## router processes' 'dnsmasq' "$SB_STATE/guests"; do
		grep -qF -- "$want" "$1" || { t_diag "snapshot $1 lacks '$want'"; return 1; }
	done
}

# mask_random FILE: replace what a fresh router start or hot-plug picks at random in snapshot FILE
# (and sort its sections again):
# LXC and the hot-plug give the host ends of the router's and guests' veths random MACs, a bridge
# takes the lowest MAC of its ports, and lxtg0's link-local address follows. Only for comparing
# across re-creations of those links.
mask_random() {
	local dev mac short ll pairs=()
	for dev in lxtg0-r lxtg0 $(hx ls /sys/class/net | grep '^lxg-'); do
		mac=$(hx cat "/sys/class/net/$dev/address" 2>/dev/null) || continue
		# bridge_id and designated_* print the octets without leading zeros
		short=$(sed -E 's/(^|:)0([0-9a-f])/\1\2/g' <<<"$mac")
		pairs+=("$mac=MAC($dev)" "$short=MAC($dev)")
	done
	# The guests' ports in the router's namespace (`ip -o link`: nsenter keeps the host's /sys).
	while read -r dev mac; do
		short=$(sed -E 's/(^|:)0([0-9a-f])/\1\2/g' <<<"$mac")
		pairs+=("$mac=MAC($dev)" "$short=MAC($dev)")
	done < <(sx ip -br link 2>/dev/null | awk '$1 ~ /^lxg-/ { sub("@.*", "", $1); print $1, $3 }')
	ll=$(addrs6_ll lxtg0)
	[ -n "$ll" ] && pairs+=("$ll=LL(lxtg0)")
	# The masked lines may sort differently now: the helper sorts the sorted sections again.
	f_py mask "$1" "${pairs[@]}"
}

# addrs6_ll DEV: DEV's IPv6 link-local address in the host.
addrs6_ll() { hx ip -6 -o addr show dev "$1" scope link 2>/dev/null | awk '{ sub("/.*", "", $4); print $4; exit }'; }

# same_snap DESC A B: pass if snapshot files A and B are equal, else show the diff.
same_snap() {
	local d
	d=$(diff -u "$2" "$3")
	t__result $? "$1" || { t_diag "$(grep -E '^[-+]' <<<"$d" | cut -c1-300 | head -n 40)"; return 1; }
}

# ---------------------------------------------------------------- Docker's world

# docker_world: what a Docker daemon does to the host namespace (>= 27 sets the IPv6 policy too):
# iptables FORWARD policy drop for ip and ip6, each chain with a counter, and br_netfilter on.
docker_world() {
	hx nft -f - <<'NFT' || return 1
table ip filter {
	chain FORWARD {
		type filter hook forward priority 0; policy drop;
		counter
	}
}
table ip6 filter {
	chain FORWARD {
		type filter hook forward priority 0; policy drop;
		counter
	}
}
NFT
	hx sysctl -qw net.bridge.bridge-nf-call-iptables=1 net.bridge.bridge-nf-call-ip6tables=1 \
		net.bridge.bridge-nf-call-arptables=1
}

# docker_counter: packets the foreign FORWARD chains (ip and ip6) counted.
docker_counter() {
	{ hx nft list chain ip filter FORWARD; hx nft list chain ip6 filter FORWARD; } 2>/dev/null |
		awk '/counter packets/ { n += $3 } END { print n + 0 }'
}

# ---------------------------------------------------------------- guests

# make_stub NAME: a stopped minimal container (two-line config, no rootfs): enough for guest add.
make_stub() {
	mkdir -p "$SB_LXCPATH/$1" &&
		printf 'lxc.uts.name = %s\nlxc.rootfs.path = dir:/nonexistent\n' "$1" >"$SB_LXCPATH/$1/config"
}

# registry_ok: the guest registry parses (the controller reads it for `guest list`).
registry_ok() {
	lx -j guest list | "$F_PYTHON" -c 'import json,sys; json.load(sys.stdin)'
}

# json_field GUEST KEY: a field of `guest list --json`.
json_field() {
	lx -j guest list | "$F_PYTHON" -c 'import json,sys; g={x["name"]:x for x in json.load(sys.stdin)}; print(g[sys.argv[1]][sys.argv[2]])' "$1" "$2"
}

# guest_lease GUEST: DHCP in the guest (udhcpc -n -q), then print its lease record.
guest_lease() {
	sb_guest_exec "$1" rm -f /run/dhcp.eth0
	sb_guest_exec "$1" udhcpc -i eth0 -q -n -t 5 -T 1 >/dev/null 2>&1 && sb_guest_exec "$1" cat /run/dhcp.eth0
}

# state_view: what the registry implies, normalised: registry, both tables' elements (sorted,
# through nft -j), dnsmasq files, guest lxc.net lines and saved configs. Used by F3 and F4.
state_view() {
	echo "## registry"
	cat "$SB_STATE/guests" 2>/dev/null
	echo "## router elements"
	rx nft -j list table inet lxctogo 2>/dev/null | f_py elements
	echo "## guard elements"
	sx nft -j list table bridge lxctogo 2>/dev/null | f_py elements
	echo "## dnsmasq files"
	local d f
	for d in hosts dhcp-hosts; do
		for f in "$SB_STATE/router/rootfs/lxtg/$d"/*; do
			[ -e "$f" ] || continue
			printf '%s/%s: %s\n' "$d" "${f##*/}" "$(tr '\n' '|' <"$f")"
		done
	done
	echo "## lxc.net lines"
	for f in "$SB_LXCPATH"/*/config; do
		[[ $f == "$SB_LXCPATH/$ROUTER/config" ]] && continue
		grep -H '^lxc.net' "$f"
	done | sed "s#^$SB_LXCPATH/##"
	echo "## saved lxc.net lines"
	for f in "$SB_LXCPATH"/*/config; do
		[[ $f == "$SB_LXCPATH/$ROUTER/config" ]] && continue
		grep -H -e '^# lxctogo-net: ' -e '^#lxtg-saved: ' "$f"
	done | sed "s#^$SB_LXCPATH/##"
}

# f_py FUNC [ARGS...]: the Python helpers below.
f_py() { "$F_PYTHON" "$top_srcdir/tests/faults/check.py" "$@"; }

# ---------------------------------------------------------------- crash helpers (F4)

# fault_points FILE: the number of "fault point N: NAME" lines in FILE (LXTG_FAULT_LIST output).
fault_points() { grep -c '^fault point [0-9]*: ' "$1"; }

# point_name FILE K: the name of point K in FILE.
point_name() { sed -n "s/^fault point $2: //p" "$1"; }

# no_temp_files: nothing like a half-written temp file (write_file_atomic's *.tmp.XXXXXX) is left.
no_temp_files() {
	local left
	left=$(find "$SB_STATE" "$SB_LXCPATH" -name '*.tmp.*' -not -path '*/rootfs/*' 2>/dev/null)
	[ -z "$left" ] || { t_diag "temp files left: $left"; return 1; }
}

# registry_is FILE...: the registry is byte-identical to one of FILEs (old or new, never torn).
registry_is() {
	local f
	for f; do cmp -s "$SB_STATE/guests" "$f" && return 0; done
	t_diag "registry now: $(cat "$SB_STATE/guests")"
	return 1
}

# crash DESC CMD...: run CMD with LXTG_FAULT_AT=$K; it must die of SIGKILL (exit 137).
# $LIST names the LXTG_FAULT_LIST output of a clean run (for the point's name).
crash() {
	local desc=$1 rc
	shift
	LXTG_FAULT_AT=$K "$@" >"$SB_TMP/crash.out" 2>&1
	rc=$?
	t_is "$desc: killed at point $K ($(point_name "$LIST" "$K"))" "$rc" 137 ||
		t_diag "$(tail -n 3 "$SB_TMP/crash.out")"
}

# after_crash TAG: the state-file checks after a crash: the registry parses, it is one of
# "${REGS[@]}" (the old or the new one), and no temp file is left.
after_crash() {
	t_ok "$1: registry parses" registry_ok
	t_ok "$1: registry is the old or the new one" registry_is "${REGS[@]}"
	t_ok "$1: no temp file left" no_temp_files
}

# pre_snap FILE: host and files, for comparing with the state before up.
pre_snap() { { host_snap; files_snap; } >"$1" 2>&1; }

# f4_up_prepare [REF]: the common start of f4-crash-up and f4-crash-down. Stopped stub guests
# c1 and c2 and a forward are registered with the router down (the registry is then the only
# one in REGS); the state before `up` goes to $SB_TMP/pre-up. A clean `up desktop` lists its
# fault points ($LIST, their number in $N); with REF, its snapshot (random parts masked) is
# saved there. Then `down` must restore the state from before the `up`, exactly.
f4_up_prepare() {
	local ref=${1:-}
	t_ok "host's own SLAAC and RA route are settled" sb_wait_for "host SLAAC" 5000 host_settled
	{ make_stub c1 && make_stub c2; } || t_bail "stub containers"
	t_ok "guest add c1, c2 and a forward (router down)" \
		eval 'lx guest add c1 && lx guest add c2 && lx port add c1 8080:80'
	cp "$SB_STATE/guests" "$SB_TMP/reg.up" || t_bail "no registry"
	REGS=("$SB_TMP/reg.up")
	pre_snap "$SB_TMP/pre-up"

	LIST=$SB_TMP/up.points
	LXTG_FAULT_LIST=1 lx up desktop 2>"$LIST"
	t_is "clean up desktop exits 0" "$?" 0 || t_bail "clean up failed: $(tail -n 3 "$LIST")"
	N=$(fault_points "$LIST")
	t_ok "up has fault points ($N)" test "$N" -ge 5
	t_diag "$(grep '^fault point' "$LIST")"
	if [ -n "$ref" ]; then
		snap "$ref"
		mask_random "$ref"
		t_ok "reference snapshot is complete" snap_complete "$ref"
	fi
	t_ok "down after the clean up" lx down
	pre_snap "$SB_TMP/post-down"
	same_snap "down after the clean up restores the host and files" "$SB_TMP/pre-up" "$SB_TMP/post-down"
}
