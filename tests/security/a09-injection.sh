#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# A9 injection through names and values: guest names, MACs, IPv4 addresses, port specs and
# config values with newlines, blanks, shell/INI/dnsmasq/nft metacharacters, overlong
# values and near-misses (octal, integer, trailing blank, multicast MACs, the router's own
# address and MAC) go through `guest add`, `port add` and the config file of `up`. Each is
# refused with exit 2 and one line on stderr, and the registry, every generated file, the
# LXC configs, both rulesets and the links are byte-identical afterwards; no injected
# command ran.
# shellcheck disable=SC2016 # the $(...) and `...` in single quotes are the attack
# shellcheck disable=SC2317 # helpers are called through t_ok / sb_wait_for
# shellcheck source=tests/security/lib.sh
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/security/lib.sh"

t_ok "up desktop" sec_up desktop || t_bail "up failed"
t_ok "guest web" sec_guest web || t_bail "guest web"
t_ok "port add web 8080:80" lx port add web 8080:80
cp "$SB_CONF" "$SB_TMP/good.conf"

long=$(printf 'x%.0s' {1..64}) huge=$(printf 'y%.0s' {1..5000})
names=($'bad\nname' 'a b' $'a\tb' 'a;b' 'a&b' 'a|b' '$(touch pwned)' '`touch pwned`' "a'b" 'a"b' 'a\b'
	'a=b' 'a#b' '[dns]' 'a]' 'a,b' 'a/b' '../web' '.' '..' '' 'a.b' 'a*' 'a{b}' 'UPPER' 'Web' '-lead' 'trail-'
	'12345' "$long" "$huge" 'é' 'a_b' 'a:b' 'a%s%n' 'managed')
# Containers exist for every name a directory can have, so that only validation can refuse them.
for n in "${names[@]}"; do
	case $n in '' | . | .. | */* | "$huge") continue ;; esac
	mkdir -p "$SB_LXCPATH/$n" && printf 'lxc.uts.name = x\nlxc.rootfs.path = dir:/nonexistent\n' >"$SB_LXCPATH/$n/config"
done
mkdir -p "$SB_LXCPATH/ok1" && printf 'lxc.uts.name = ok1\nlxc.rootfs.path = dir:/nonexistent\n' >"$SB_LXCPATH/ok1/config"

# snapshot: everything a command could change (leases and logs excepted: guests and LXC write those).
snapshot() {
	cat "$SB_STATE/guests"
	snapshot_files "$SB_STATE" | grep -vE '/(lxc\.log|dnsmasq\.leases)( |$)'
	find "$SB_LXCPATH" -mindepth 2 -maxdepth 2 -name config -print0 | xargs -0 sha256sum
	find "$SB_LXCPATH" -mindepth 1 -maxdepth 1 -printf '%f\n'
	in_router nft -s list ruleset | nft_static
	in_host nft -s list ruleset
	in_host ip -o link show | cut -d' ' -f2
	in_router ip -o addr show
	in_host ip neigh show proxy
}
SNAP=$(snapshot)
# same_snapshot: the snapshot equals $SNAP; else show the difference.
same_snapshot() { SNAP_DIFF=$(diff <(printf '%s\n' "$SNAP") <(snapshot)); }
# unchanged DESC: t_ok on same_snapshot, showing the difference when it fails.
unchanged() { t_ok "$1" same_snapshot || t_diag "changed: ${SNAP_DIFF:0:2000}"; }
# lxq ARGS...: the controller for a refusal (no cgroup remount: nothing that needs it may run).
lxq() { ip netns exec "$SB_HOST" "$BIN" -c "$SB_CONF" -s "$SB_STATE" -P "$SB_LXCPATH" "$@"; }

# refused DESC CMD...: CMD exits 2 with exactly one line on stderr.
refused() {
	local desc=$1 err rc
	shift
	err=$(cd "$SB_TMP" && "$@" 2>&1 >/dev/null)
	rc=$?
	t_is "$desc: exit 2, one line" "$rc/$(printf '%s\n' "$err" | wc -l)" "2/1" || t_diag "stderr: ${err:0:300}"
}
show() { local s=${1//$'\n'/\\n}; s=${s//$'\t'/\\t}; [ ${#s} -gt 40 ] && s="${s:0:20}...(${#1} chars)"; printf '%s' "$s"; }

# ---- guest add NAME
for n in "${names[@]}"; do
	refused "guest add '$(show "$n")'" lxq guest add "$n"
done
# ---- guest add ok1 --mac / --ipv4
for m in $'02:00:00:00:00:01\nx' '02:00:00:00:00:0g' '01:00:5e:00:00:01' '00:00:00:00:00:00' 'ff:ff:ff:ff:ff:ff' \
	'02:00:00:00:00:01 ' ' 02:00:00:00:00:01' '02:00:00:00:00:01:02' '02:00:00:00:00' '02-00-00-00-00-01' \
	'0200.0000.0001' '' "$huge" "${GMAC[web]}"; do
	refused "guest add ok1 --mac '$(show "$m")'" lxq guest add ok1 --mac "$m"
done
for a in $'192.168.254.150\nserver=1.2.3.4' '192.168.254.150 ' ' 192.168.254.150' '192.168.254.150/24' \
	'192.168.254.0150' '0300.0250.0376.0226' '3232300694' '0xc0.168.254.150' '192.168.254.255' '192.168.254.0' \
	"$R4" '0.0.0.0' '255.255.255.255' '127.0.0.1' '224.0.0.1' '192.168.253.10' '10.0.0.5' '192.168.254' \
	'192.168.254.150.1' '' "${G4[web]}" "$huge"; do
	refused "guest add ok1 --ipv4 '$(show "$a")'" lxq guest add ok1 --ipv4 "$a"
done
# ---- port add
for p in $'8081:80\n' '8081:80/tcp;id' '65536:80' '0:80' '-1:80' '80:0' '80:65536' '8081:80/icmp' '8081:80/tcp/udp' \
	' 8081:80' '8081 :80' '8081: 80' '0x50:80' '1e3:80' '8081' ':80' '8081:' '8081:80:' '1.2.3.4.5:80:80' 'a:80:80' \
	'[::1:80:80' '[zz::1]:80:80' '192.168.254.254::80:80' "$huge" '8080:22'; do
	refused "port add web '$(show "$p")'" lxq port add web "$p"
done
for n in $'web\n' 'web ' '../web' 'nosuch' ''; do
	refused "port add '$(show "$n")' 8081:80" lxq port add "$n" 8081:80
done
unchanged "guest/port refusals: registry, files, LXC configs, rulesets and links are byte-identical"

# ---- a guest may not take a MAC of the router (its guard would then let it speak as the router)
for ifc in eth1 eth2 eth0; do
	m=$(router_mac "$ifc")
	refused "guest add ok1 --mac <the router's $ifc MAC $m>" lxq guest add ok1 --mac "$m"
	lxq guest del ok1 >/dev/null 2>&1 # if it was wrongly accepted: back to the snapshot
done

# ---- the config file of `up`
badconf=(
	'[dns]|domain = lxtg.internal/#/1.2.3.4' '[dns]|domain = a b' '[dns]|domain =' '[dns]|domain = -x.internal'
	'[dns]|domain = x..internal' '[dns]|domain = lxtg.internal;id' "[dns]|domain = $long.internal"
	'[dns]|upstream = 1.2.3.4#53' '[dns]|upstream = 1.2.3.4 server=/x/5.6.7.8' '[dns]|upstream = 127.0.0.1'
	'[dns]|upstream = ::1' '[dns]|upstream = 0.0.0.0' '[dns]|upstream = $(touch pwned)'
	'[network]|router = bad name' '[network]|router = ../../x' '[network]|router = managed;id' '[network]|router = UPPER'
	'[network]|guest_bridge = lxtg1;x' '[network]|guest_bridge = a b' '[network]|guest_bridge = abcdefghijklmnopq'
	'[network]|guest_bridge = ../x' '[network]|uplink = eth0 x' '[network]|uplink = ../eth0' '[network]|mode = desktop; id'
	'[network]|mtu = 1500x' '[network]|mtu = 99999999999' '[network]|mtu = 10' '[ipv4]|lease_time = -1'
	'[ipv4]|guest_subnet = 192.168.254.0/24,10.0.0.0/8' '[ipv4]|dhcp_range = 192.168.254.101-192.168.254.200,server=1.2.3.4'
	'[ipv4]|dhcp_range = 192.168.254.200-192.168.254.101' '[ipv4]|guest_subnet = 192.168.254.0/33'
	'[ipv6]|guest_prefix = fd00:aaaa:254::/64 x' '[ipv6]|enable = yes;id' '[ipv6]|enable = maybe'
	'[server]|ipv4_pool = 192.0.2.100-192.0.2.120 x' '[server]|inbound = all'
	'[network]|foo = bar' '[evil]|x = y' '[network]|garbage' "[network]|uplink = $huge" '[network|uplink = eth0'
)
SNAP=$(snapshot)
for b in "${badconf[@]}"; do
	{ cat "$SB_TMP/good.conf"; printf '%s\n' "${b%%|*}" "${b#*|}"; } >"$SB_TMP/bad.conf"
	refused "config '$(show "${b#*|}")'" ip netns exec "$SB_HOST" "$BIN" -c "$SB_TMP/bad.conf" -s "$SB_STATE" -P "$SB_LXCPATH" up
done
unchanged "config refusals: registry, files, LXC configs, rulesets and links are byte-identical"
t_ok "no injected command ran" test ! -e "$SB_TMP/pwned" -a ! -e "$SB_STATE/pwned"
t_ok "the router still serves: web leases its address" grep_out "ip='${G4[web]}'" lease web
t_ok "down" lx down
t_done
