#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The real-client matrix (issue 15): Debian 12 guests booting systemd as PID 1 in LXC, each
# with the network stack a user would have, against the router in desktop and in server mode:
#   nd   systemd-networkd (DHCP=yes on eth0, RA/SLAAC as networkd does it by default) and
#        systemd-resolved (/etc/resolv.conf is its stub); UseDomains=yes for DHCPv4 and RAs,
#        since networkd ignores the search domain by default;
#   ifu  ifupdown's networking.service (iface eth0 inet dhcp: ISC dhclient; iface eth0 inet6
#        auto: the kernel's SLAAC), networkd and resolved disabled, a plain /etc/resolv.conf.
# Both guests are registered (guest add) before their first boot, so the clients see the
# router from the start. In server mode LXC's static lines of a pool guest are the same as its
# lease (the LAN's netmask and gateway), so client and lines agree. In each mode, for each
# guest, what a user would see: the recorded
# IPv4 address obtained by the client's DHCP (networkctl / dhclient's lease file), the
# default routes, the DNS servers and search domain the client configured, the MTU; every
# global IPv6 address the client made pings the LAN peer, so does IPv4; names resolve (the
# guest's own, the other guest's, the LAN's www.lan.test); in server mode the LAN peer
# reaches the pool address and each global IPv6 address directly. The ifupdown guest then
# claims the networkd guest's IPv6 address by DAD: the guard drops it (nd_spoof) and the
# victim keeps it. A router restart and a guest restart keep the IPv4 and the IPv6
# addresses (both clients make stable EUI-64 ones by default; no temporary addresses).
# The rootfs is cached (tests/lib/debian-rootfs.sh; the first run builds it: minutes); each
# guest boots an overlayfs view of it (rsync copy if overlayfs does not work here, or with
# LXTG_ROOTFS_KIND=rsync). LXTG_34_MODES="desktop" or "server" runs one mode only.
# shellcheck disable=SC2317 # helpers are called through t_ok / sb_wait_for
# shellcheck source=tests/lib/sandbox.sh
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/sandbox.sh"
sb_require
: "${LXTG_BIN:=$top_srcdir/lxctogo-net}"
[ -x "$LXTG_BIN" ] || t_skip_all "lxctogo-net not built ($LXTG_BIN)"
for c in debootstrap nsenter unshare flock python3; do
	command -v "$c" >/dev/null || t_skip_all "$c not installed"
done
T_START=$(sb_now_ms)
sb_init
BIN=$(sb_freeze_bin "$LXTG_BIN") || t_bail "cannot copy $LXTG_BIN"
# shellcheck source=tests/lib/lxtg.sh
. "$top_srcdir/tests/lib/lxtg.sh"
# shellcheck source=tests/lib/debian-rootfs.sh
. "$top_srcdir/tests/lib/debian-rootfs.sh"

exec 3>&1
BASE=$(debian_rootfs 2>&3) || t_bail "no Debian rootfs"
t_diag "Debian rootfs: $BASE"
GUESTS=(nd ifu)

# ---------------------------------------------------------------- guests

gpid() { sb_lxc info "$1" -pH; }
# gn GUEST CMD...: CMD (the host's tools) in the guest's network namespace.
gn() { local g=$1; shift; nsenter -t "$(gpid "$g")" -n "$@"; }
# ga GUEST CMD...: CMD inside the guest (its own tools and files).
ga() { sb_guest_exec "$@"; }

# variant_setup NAME VARIANT MACHINE_ID: a shell script run in the guest's rootfs (chroot).
variant_setup() {
	cat <<'EOF'
set -e
name=$1 variant=$2
echo "$name" >/etc/hostname
# Each guest is a machine of its own (the base has an empty machine-id): stable DHCP
# client identifiers (networkd's DUID) across reboots, different between guests.
echo "$3" >/etc/machine-id
case $variant in
nd)
	mkdir -p /etc/systemd/network
	# UseDomains: networkd ignores the search domain of DHCP and RAs by default.
	printf '[Match]\nName=eth0\n\n[Network]\nDHCP=yes\n\n[DHCPv4]\nUseDomains=yes\n\n[IPv6AcceptRA]\nUseDomains=yes\n' \
		>/etc/systemd/network/50-eth0.network
	systemctl -q enable systemd-networkd.service systemd-resolved.service
	systemctl -q disable networking.service
	[ "$(readlink /etc/resolv.conf)" = ../run/systemd/resolve/stub-resolv.conf ]
	;;
ifu)
	printf 'auto lo\niface lo inet loopback\n\nauto eth0\niface eth0 inet dhcp\niface eth0 inet6 auto\n' \
		>/etc/network/interfaces
	systemctl -q disable systemd-networkd.service systemd-resolved.service
	systemctl -q mask systemd-networkd.service systemd-resolved.service
	rm -f /etc/resolv.conf
	: >/etc/resolv.conf
	;;
esac
EOF
}

# rootfs_view NAME: print the lxc.rootfs.path of a fresh copy-on-write view of $BASE for
# guest NAME, and apply the variant's setup to it ($ROOTFS_KIND: overlay or rsync).
rootfs_view() {
	local dir=$SB_LXCPATH/$1
	mkdir -p "$dir/delta" "$dir/olwork" "$dir/mnt" || return 1
	case $ROOTFS_KIND in
	overlay)
		# LXC mounts overlay:LOWER:UPPER with workdir=dirname(UPPER)/olwork.
		# shellcheck disable=SC2016 # for the inner sh
		sb_host_exec unshare -m --propagation private sh -c \
			'mount -t overlay overlay -o "lowerdir=$1,upperdir=$2/delta,workdir=$2/olwork" "$2/mnt" &&
			shift 2 && exec chroot "$0" /bin/sh -s "$@"' "$dir/mnt" "$BASE" "$dir" "$1" "$2" "$3" \
			< <(variant_setup) >&2 || return 1
		printf 'overlay:%s:%s\n' "$BASE" "$dir/delta"
		;;
	rsync)
		rsync -aHAX "$BASE/" "$dir/rootfs/" && chroot "$dir/rootfs" /bin/sh -s "$1" "$2" "$3" \
			< <(variant_setup) >&2 || return 1
		printf 'dir:%s\n' "$dir/rootfs"
		;;
	esac
}

# deb_guest NAME VARIANT: define Debian guest NAME (no lxc.net lines: guest add writes them).
deb_guest() {
	local name=$1 dir=$SB_LXCPATH/$1 rootfs t0
	t0=$(sb_now_ms)
	mkdir -p "$dir" || return 1
	rootfs=$(rootfs_view "$name" "$2" "$(tr -d '-' </proc/sys/kernel/random/uuid)") || return 1
	printf '%s\n' "lxc.include = /usr/share/lxc/config/common.conf" \
		"lxc.uts.name = $name" "lxc.rootfs.path = $rootfs" "lxc.init.cmd = /sbin/init" \
		"lxc.mount.auto = proc:mixed sys:mixed cgroup:mixed" "lxc.autodev = 1" \
		"lxc.tty.max = 0" "lxc.pty.max = 8" "lxc.console.path = none" \
		"lxc.apparmor.profile = unconfined" "lxc.signal.halt = SIGRTMIN+3" \
		"lxc.log.file = $dir/lxc.log" "lxc.log.level = INFO" >"$dir/config"
	t_diag "guest $name ($2): ${rootfs%%:*} rootfs view made in $(($(sb_now_ms) - t0)) ms"
}

# overlay_pids: processes with a mount of an overlay whose upper dir is ours (the guests' own
# processes: their root is "/" of the overlay, which sb_cleanup does not recognise).
overlay_pids() {
	grep -lsF "upperdir=$SB_LXCPATH/" /proc/[0-9]*/mountinfo | sed 's#^/proc/\([0-9]*\)/.*#\1#' | grep -vx "$BASHPID"
}
# stop_guests: stop our Debian guests and reap what is left of them (for sb_on_cleanup).
stop_guests() {
	local g
	for g in "${GUESTS[@]}"; do
		[ -e "$SB_LXCPATH/$g/config" ] && sb_lxc stop "$g" -k >/dev/null 2>&1
	done
	sb__reap 9 overlay_pids || t_diag "guest processes survive SIGKILL: $(overlay_pids)"
	return 0
}
sb_on_cleanup stop_guests

# Does LXC boot an overlayfs view here? Measure the alternative too.
probe_overlay() {
	local t0 d=$SB_TMP/probe
	# shellcheck disable=SC2016 # for the inner sh
	mkdir -p "$d/u" "$d/w" "$d/m" &&
		sb_host_exec unshare -m --propagation private sh -c \
			'mount -t overlay overlay -o "lowerdir=$1,upperdir=$2/u,workdir=$2/w" "$2/m" && test -x "$2/m/lib/systemd/systemd"' \
			sh "$BASE" "$d"
}
ROOTFS_KIND=rsync
if probe_overlay; then ROOTFS_KIND=overlay; fi
[ -n "${LXTG_ROOTFS_KIND:-}" ] && ROOTFS_KIND=$LXTG_ROOTFS_KIND
t_diag "guest rootfs: $ROOTFS_KIND"

# ---------------------------------------------------------------- what the guests have

# v4 GUEST: eth0's IPv4 addresses (ADDR/LEN ...).
v4() { gn "$1" ip -4 -o addr show dev eth0 | awk '{ print $4 }' | xargs; }
has4() { [ "$(v4 "$1")" = "$2" ]; }
# leased4 GUEST ADDR/LEN: eth0 has ADDR/LEN (among others).
leased4() { [[ " $(v4 "$1") " == *" $2 "* ]]; }
# diag6 GUEST ADDR: why ADDR of GUEST and the LAN peer may not reach each other, as diagnostics.
diag6() {
	t_diag "$1: $(gn "$1" ip -6 route get "$SB_PEER_V6" from "$2" 2>&1); neighbours: $(gn "$1" ip -6 neigh show dev eth0 | xargs -d '\n' printf '%s; ')"
	t_diag "router: proxy $(in_router ip -6 neigh show proxy | xargs -d '\n' printf '%s; ')neigh $(in_router ip -6 neigh show "$2" | xargs)"
	t_diag "router: $(in_router ip -6 route show | grep -v '^fe80' | xargs -d '\n' printf '%s; ')"
	t_diag "peer: $(sb_peer_exec ip -6 neigh show "$2" | xargs)"
}
# dump GUEST: the guest's network state, as diagnostics.
dump() {
	t_diag "$1: $(grep '^lxc.net' "$SB_LXCPATH/$1/config" | xargs -d '\n' printf '%s; ')"
	t_diag "$(gn "$1" ip -o addr show dev eth0 | cut -c1-150)"
	t_diag "$(gn "$1" ip route; gn "$1" ip -6 route)"
}
gw4() { gn "$1" ip -4 route show default | awk '{ print $3; exit }'; }
gw6() { gn "$1" ip -6 route show default | awk '{ print $3; exit }'; }
# (nsenter -n keeps the host's /sys: ask ip)
mtu() { gn "$1" ip -o link show dev eth0 | sed 's/.* mtu \([0-9]*\).*/\1/'; }
# globals6 GUEST: the global IPv6 addresses past DAD, sorted, one per line ("ADDR FLAGS").
globals6() {
	gn "$1" ip -6 -o addr show dev eth0 scope global -tentative |
		awk '{ a = $4; sub("/.*", "", a); print a, (/ temporary / ? "temporary" : "stable") }' | sort
}
stable6() { globals6 "$1" | awk '$2 == "stable" { print $1 }' | xargs; }
has6() { [ -n "$(stable6 "$1")" ]; }
same6() { [ "$(stable6 "$1")" = "$2" ]; }
# lookup4 GUEST NAME, lookup6: the first address getent resolves NAME to in GUEST.
lookup4() { ga "$1" getent ahostsv4 "$2" | awk '{ print $1; exit }'; }
lookup6() { ga "$1" getent ahostsv6 "$2" | awk '{ print $1; exit }'; }
# dns_of GUEST: the DNS servers the client configured ("A B ..."), domains_of: its search domains.
dns_of() {
	case $1 in
	nd) ga nd resolvectl dns eth0 | sed 's/^[^:]*: *//' | tr ' ' '\n' | grep . | sort | xargs ;;
	*) ga "$1" cat /etc/resolv.conf | awk '$1 == "nameserver" { print $2 }' | sort | xargs ;;
	esac
}
domains_of() {
	case $1 in
	nd) ga nd resolvectl domain eth0 | sed 's/^[^:]*: *//' | xargs ;;
	# resolv.conf(5): the last "domain" or "search" line wins; "x." is the same domain as "x".
	*) ga "$1" cat /etc/resolv.conf | awk '$1 == "search" || $1 == "domain" { $1 = ""; l = $0 } END { print l }' |
		tr ' ' '\n' | sed 's/\.$//' | grep . | xargs ;;
	esac
}
# dhcp_evidence GUEST ADDR: the client itself says it has ADDR from DHCP.
dhcp_evidence() {
	case $1 in
	nd) ga nd networkctl status eth0 | grep -qF "$2 (DHCP4" ;;
	*) ga "$1" cat /var/lib/dhcp/dhclient.eth0.leases | grep -qF "fixed-address $2;" ;;
	esac
}
dynamic4() { gn "$1" ip -4 -o addr show dev eth0 | grep -F " $2 " | grep -q 'dynamic'; }
ping6_from() { gn "$1" ping -6 -c1 -W1 -I "$2" "$3"; }
leased() { grep -qF " $1 " "$SB_STATE/router/rootfs/lxtg/state/dnsmasq.leases"; }
# lease_expiry ADDR: when the router's lease of ADDR expires (epoch seconds), renewed_since ADDR T: after T.
lease_expiry() { awk -v a="$1" '$3 == a { print $1 }' "$SB_STATE/router/rootfs/lxtg/state/dnsmasq.leases"; }
renewed_since() { [ "$(lease_expiry "$1")" -gt "$2" ]; }
# holds6 GUEST ADDR: GUEST has ADDR past DAD.
holds6() { gn "$1" ip -6 -o addr show dev eth0 to "$2/128" -tentative | grep -q .; }
# counter NAME: packets of the guards' counter NAME (table bridge lxctogo, in the router).
counter() { in_router nft list counter bridge lxctogo "$1" | awk '/packets/ { print $2 }'; }
counter_above() { [ "$(counter "$1")" -gt "$2" ]; }
# router_neigh6 ADDR: the MAC the router's guest link has for ADDR.
router_neigh6() { in_router ip -6 neigh show "$1" dev eth1 | grep -o 'lladdr [0-9a-f:]*' | cut -d' ' -f2; }
mac_is() { [ "$(router_neigh6 "$1")" = "$2" ]; }
running() { [ "$(sb_guest_state "$1")" = RUNNING ]; }

# router_facts: what the router announces on its guest link, from its own configuration and
# links: R4 RLEN (guest link), RLL (its link-local), RA_MTU RA_DNS6 RA_DOMAIN (radvd.conf).
router_facts() {
	local radvd
	read -r R4 RLEN < <(in_router ip -4 -o addr show dev eth1 | awk '{ split($4, a, "/"); print a[1], a[2]; exit }')
	radvd=$(find "$SB_STATE/router/rootfs" -name radvd.conf -print -quit)
	RA_MTU=$(awk '$1 == "AdvLinkMTU" { sub(";", "", $2); print $2 }' "$radvd")
	RA_DNS6=$(awk '$1 == "RDNSS" { print $2 }' "$radvd")
	RA_DOMAIN=$(awk '$1 == "DNSSL" { print $2 }' "$radvd")
	RA_ONLINK=$(awk '$1 == "AdvOnLink" { sub(";", "", $2); print $2 }' "$radvd")
	LAN_LEN=$(in_router ip -4 -o addr show dev eth0 | awk '{ split($4, a, "/"); print a[2]; exit }')
	t_diag "router: guest link $R4/$RLEN, RA: MTU $RA_MTU, RDNSS $RA_DNS6, DNSSL $RA_DOMAIN, prefix on-link $RA_ONLINK; LAN /$LAN_LEN"
}

# ---------------------------------------------------------------- one mode

declare -A A4 A6 REC6 MAC
# boot_wait GUEST: wait for the client's IPv4 lease and its IPv6 addresses.
boot_wait() {
	local g=$1 t0=$2
	t_ok "$g ($MODE): the client leases its recorded address ${A4[$g]}/$WANT_LEN" \
		sb_wait_for "$g's lease" 60000 leased4 "$g" "${A4[$g]}/$WANT_LEN" ||
		t_diag "$g has '$(v4 "$g")'; $(ga "$g" systemctl --failed --no-legend 2>&1 | head -5)"
	t_diag "$g ($MODE): IPv4 up $(($(sb_now_ms) - t0)) ms after lxc-start"
	t_ok "$g ($MODE): the client has a global IPv6 address" sb_wait_for "$g's IPv6" 30000 has6 "$g"
	t_diag "$g ($MODE): IPv6 up $(($(sb_now_ms) - t0)) ms after lxc-start; system: $(ga "$g" systemctl is-system-running 2>&1)"
}

# check_guest GUEST OTHER: what a user of GUEST sees.
check_guest() {
	local g=$1 o=$2 a got dns want_dns rll
	t_is "$g ($MODE): eth0's only IPv4 address is the lease's" "$(v4 "$g")" "${A4[$g]}/$WANT_LEN" || dump "$g"
	t_ok "$g ($MODE): the client says the address is from DHCP" dhcp_evidence "$g" "${A4[$g]}" ||
		t_diag "$(case $g in nd) ga nd networkctl status eth0 ;; *) ga "$g" cat /var/lib/dhcp/dhclient.eth0.leases ;; esac 2>&1 | head -20)"
	# networkd replaces an address it leased; dhclient-script's "ip addr add" finds LXC's
	# identical static address in server mode and leaves it (no lifetime, same address and route).
	if [ "$g" = nd ] || [ "$MODE" = desktop ]; then
		t_ok "$g ($MODE): ${A4[$g]} has a lease lifetime (dynamic)" dynamic4 "$g" "${A4[$g]}/$WANT_LEN"
	fi
	t_ok "$g ($MODE): the router's lease file lists it" leased "${A4[$g]}"
	if [ "$MODE" = server ]; then
		t_ok "$g ($MODE): LXC's static lines are the lease's address, netmask and gateway" \
			grep -qx "lxc.net.0.ipv4.address = ${A4[$g]}/$WANT_LEN" "$SB_LXCPATH/$g/config"
		t_ok "$g ($MODE): ... and gateway $WANT_GW4" \
			grep -qx "lxc.net.0.ipv4.gateway = $WANT_GW4" "$SB_LXCPATH/$g/config"
	fi
	t_is "$g ($MODE): IPv4 default route" "$(gw4 "$g")" "$WANT_GW4"
	rll=$(in_router ip -6 -o addr show dev eth1 scope link | awk '{ sub("/.*", "", $4); print $4; exit }')
	t_is "$g ($MODE): IPv6 default route via the router's link-local address" "$(gw6 "$g")" "$rll"
	t_is "$g ($MODE): MTU of eth0 is the router's" "$(mtu "$g")" "$RA_MTU"
	dns=$(dns_of "$g")
	t_ok "$g ($MODE): the client's DNS servers ($dns) include the router's $R4" grep -qw -- "$R4" <<<"$dns"
	if [ "$g" = nd ]; then
		# networkd takes RDNSS from the RAs, dhclient/ifupdown do not (interfaces(5): needs rdnssd).
		t_ok "$g ($MODE): ... and the router's RDNSS $RA_DNS6" grep -qwF -- "$RA_DNS6" <<<"$dns"
	else
		want_dns=$R4
		t_is "$g ($MODE): resolv.conf's name servers are exactly the router's" "$dns" "$want_dns"
	fi
	t_is "$g ($MODE): the client's search domain" "$(domains_of "$g")" "$RA_DOMAIN" ||
		t_diag "$(ga "$g" cat /etc/resolv.conf)"
	A6[$g]=$(stable6 "$g")
	t_diag "$g ($MODE): recorded ${REC6[$g]}; the client's global IPv6: $(globals6 "$g" | xargs)"
	t_ok "$g ($MODE): the recorded IPv6 address is one the client made" grep -qwF -- "${REC6[$g]}" <<<"${A6[$g]}"
	t_ok "$g ($MODE): IPv4 ping of the LAN peer" sb_wait_for "$g -> peer" 10000 gn "$g" ping -c1 -W1 "$SB_PEER_V4"
	for a in $(globals6 "$g" | awk '{ print $1 }'); do
		t_ok "$g ($MODE): ping of the LAN peer from $a" sb_wait_for "$g $a -> peer" 10000 ping6_from "$g" "$a" "$SB_PEER_V6" ||
			{ dump "$g"; diag6 "$g" "$a"; }
		if [ "$MODE" = server ]; then
			t_ok "$g ($MODE): the LAN peer pings $a directly" \
				sb_wait_for "peer -> $g $a" 10000 sb_peer_exec ping -6 -c1 -W1 "$a"
		fi
	done
	if [ "$MODE" = server ]; then
		t_ok "$g ($MODE): the LAN peer pings the pool address ${A4[$g]}" \
			sb_wait_for "peer -> $g" 10000 sb_peer_exec ping -c1 -W1 "${A4[$g]}"
	fi
	got=$(lookup4 "$g" "$g.$RA_DOMAIN")
	t_is "$g ($MODE): its own name $g.$RA_DOMAIN resolves to its address" "$got" "${A4[$g]}"
	got=$(lookup4 "$g" "$o")
	t_is "$g ($MODE): the other guest's name $o resolves (search domain) to its address" "$got" "${A4[$o]}"
	t_is "$g ($MODE): www.$SB_DOMAIN (the LAN's DNS) resolves, IPv4" "$(lookup4 "$g" "www.$SB_DOMAIN")" "$SB_WWW_V4"
	t_is "$g ($MODE): www.$SB_DOMAIN resolves, IPv6" "$(lookup6 "$g" "www.$SB_DOMAIN")" "$SB_WWW_V6"
}

# still_same GUEST WHAT: after WHAT, the guest has the same IPv4 and stable IPv6 addresses and uses them.
still_same() {
	local g=$1 what=$2 a
	t_ok "$g ($MODE): same IPv4 address after $what" sb_wait_for "$g's IPv4 after $what" 60000 \
		leased4 "$g" "${A4[$g]}/$WANT_LEN" || dump "$g"
	t_ok "$g ($MODE): same IPv6 addresses after $what" sb_wait_for "$g's IPv6 after $what" 30000 \
		same6 "$g" "${A6[$g]}" || t_diag "$g has '$(stable6 "$g")', had '${A6[$g]}'"
	t_ok "$g ($MODE): IPv4 ping of the LAN peer after $what" \
		sb_wait_for "$g -> peer" 15000 gn "$g" ping -c1 -W1 "$SB_PEER_V4"
	for a in ${A6[$g]}; do
		t_ok "$g ($MODE): ping of the LAN peer from $a after $what" \
			sb_wait_for "$g $a -> peer" 15000 ping6_from "$g" "$a" "$SB_PEER_V6" || diag6 "$g" "$a"
		if [ "$MODE" = server ]; then
			t_ok "$g ($MODE): the LAN peer pings $a after $what" \
				sb_wait_for "peer -> $g $a" 15000 sb_peer_exec ping -6 -c1 -W1 "$a" || diag6 "$g" "$a"
		fi
	done
	if [ "$MODE" = server ]; then
		t_ok "$g ($MODE): the LAN peer pings ${A4[$g]} after $what" \
			sb_wait_for "peer -> $g" 15000 sb_peer_exec ping -c1 -W1 "${A4[$g]}"
	fi
}

# spoof_check: ifu claims nd's recorded IPv6 address by DAD.
spoof_check() {
	local v=${REC6[nd]} nd0
	nd0=$(counter nd_spoof)
	gn ifu ip -6 addr add "$v/64" dev eth0
	t_ok "ifu ($MODE) claims nd's address $v by DAD: the guard drops it (nd_spoof moved)" \
		sb_wait_for "nd_spoof above $nd0" 5000 counter_above nd_spoof "$nd0" ||
		t_diag "nd_spoof: $(counter nd_spoof), was $nd0"
	# DAD on ifu ends without an answer (nd's defence never reaches it): ifu holds the address now.
	sb_wait_for "ifu's DAD to end" 5000 holds6 ifu "$v" >/dev/null
	t_ok "nd ($MODE) still reaches the LAN peer from $v" sb_wait_for "nd $v -> peer" 5000 ping6_from nd "$v" "$SB_PEER_V6"
	if [ "$MODE" = server ]; then
		t_ok "the LAN peer still reaches nd ($MODE) at $v" sb_peer_exec ping -6 -c1 -W1 "$v"
	fi
	t_ok "the router still has nd's MAC for $v" mac_is "$v" "${MAC[nd]}" || t_diag "router: $(in_router ip -6 neigh show "$v")"
	t_ok "ifu cannot reach the LAN peer from $v" not ping6_from ifu "$v" "$SB_PEER_V6"
	gn ifu ip -6 addr del "$v/64" dev eth0
}

# run_mode MODE CONFIG: the whole matrix for one mode.
run_mode() {
	local g o t0 tm exp
	MODE=$1
	tm=$(sb_now_ms)
	printf '%b' "$2" >"$SB_CONF"
	t_ok "up $MODE" lx up "$MODE" || t_bail "up $MODE failed"
	router_facts
	for g in "${GUESTS[@]}"; do
		rm -rf --one-file-system "${SB_LXCPATH:?}/$g"
		t_ok "$g ($MODE): Debian guest defined" deb_guest "$g" "$g" || t_bail "cannot define $g"
		t_ok "$g ($MODE): guest add before its first boot" lx guest add "$g" || t_bail "guest add $g"
		A4[$g]=$(json_field "$g" ipv4) REC6[$g]=$(json_field "$g" ipv6) MAC[$g]=$(json_field "$g" mac)
	done
	if [ "$MODE" = server ]; then
		WANT_GW4=$SB_LAN_V4 WANT_LEN=$LAN_LEN
	else
		WANT_GW4=$R4 WANT_LEN=$RLEN
	fi
	t0=$(sb_now_ms)
	for g in "${GUESTS[@]}"; do t_ok "$g ($MODE) starts (systemd)" sb_start_guest "$g"; done
	for g in "${GUESTS[@]}"; do boot_wait "$g" "$t0"; done
	for g in "${GUESTS[@]}"; do
		o=ifu
		[ "$g" = ifu ] && o=nd
		check_guest "$g" "$o"
	done

	# ---- the router restarts
	t0=$(sb_now_ms)
	t_ok "the router is stopped ($MODE)" sb_lxc stop managed -k
	t_ok "up $MODE restarts the router" lx up "$MODE"
	t_diag "router restarted in $(($(sb_now_ms) - t0)) ms"
	for g in "${GUESTS[@]}"; do still_same "$g" "the router's restart"; done
	exp=$(lease_expiry "${A4[nd]}")
	t_ok "nd ($MODE): networkctl renew eth0" ga nd networkctl renew eth0
	t_ok "nd ($MODE): the new router acks the renewal (lease expiry moves on from $exp)" \
		sb_wait_for "nd's renewal" 10000 renewed_since "${A4[nd]}" "${exp:-0}"
	t_ok "nd ($MODE): same IPv4 address after the renewal" leased4 nd "${A4[nd]}/$WANT_LEN"

	# ---- the guests restart
	t0=$(sb_now_ms)
	for g in "${GUESTS[@]}"; do t_ok "$g ($MODE) stops" sb_stop_guest "$g"; done
	t_diag "guests stopped in $(($(sb_now_ms) - t0)) ms"
	t0=$(sb_now_ms)
	for g in "${GUESTS[@]}"; do t_ok "$g ($MODE) starts again" sb_start_guest "$g"; done
	for g in "${GUESTS[@]}"; do still_same "$g" "a restart of the guest"; done
	t_diag "guests back in $(($(sb_now_ms) - t0)) ms"
	for g in "${GUESTS[@]}"; do
		t_ok "$g ($MODE): the client says the address is from DHCP after the restart" dhcp_evidence "$g" "${A4[$g]}"
	done

	# Last: what the attempt leaves in the router (neighbour entries) cannot disturb the checks above.
	spoof_check

	for g in "${GUESTS[@]}"; do sb_stop_guest "$g" >/dev/null 2>&1; lx guest del "$g" >/dev/null 2>&1; done
	t_ok "down ($MODE)" lx down
	t_diag "$MODE mode took $(($(sb_now_ms) - tm)) ms"
}

[[ " ${LXTG_34_MODES:-desktop server} " == *" desktop "* ]] && run_mode desktop '[network]\nuplink = eth0\n'
[[ " ${LXTG_34_MODES:-desktop server} " == *" server "* ]] && run_mode server '[network]\nuplink = eth0\n[server]\nipv4_pool = 192.0.2.100-192.0.2.120\n'
t_diag "whole test: $(($(sb_now_ms) - T_START)) ms"
t_done
