#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Guests as attached clients (issue: guest add/del/list, names, leases, guards,
# port forwards, status). Real busybox LXC guests behind a real router.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/sandbox.sh"
sb_require
BIN=${LXTG_BIN:-$top_srcdir/lxctogo-net}
[ -x "$BIN" ] || t_skip_all "lxctogo-net not built ($BIN)"
sb_init

printf '[network]\nuplink = eth0\n' >"$SB_CONF"
. "$top_srcdir/tests/lib/lxtg.sh"
router_pid() { sb_lxc info managed -pH; }
guest_pid() { sb_lxc info "$1" -pH; }
in_guest_ns() { local g=$1; shift; nsenter -t "$(guest_pid "$g")" -n "$@"; }
counter() { in_seg nft list counter bridge lxctogo "$1" | awk '/packets/ {print $2}'; }
counter_above() { test "$(counter "$1")" -gt "$2"; }

t_ok "up desktop" lx up desktop

# web is stopped when added, db is running: both must end up attached.
sb_make_guest web || t_bail "make guest web"
sb_make_guest db || t_bail "make guest db"
t_ok "db starts (no network yet)" sb_start_guest db
# A stopped guest is told from LXC's command socket without loading liblxc, under the liblxc
# stamp `up` recorded (netctl/lxcw.h); a running one goes through liblxc (the hot-plug).
# LD_DEBUG=files shows every shared object the process opens.
loads_liblxc() { grep -q 'file=liblxc\.so' "$1"; }
t_ok "up recorded the stamp of the liblxc it checked the router's command socket with" \
	test -e "$(sed -n 's/^lxc \([^ ]*\) .*/\1/p' "$SB_STATE/router/runtime")"
t_ok "guest add web (stopped)" lx_env LD_DEBUG=files guest add web 2>"$SB_TMP/web.ld"
t_ok "... without loading liblxc" not loads_liblxc "$SB_TMP/web.ld"
t_ok "guest add db (running, hot-plugged)" lx_env LD_DEBUG=files guest add db --ipv4 192.168.254.150 2>"$SB_TMP/db.ld"
t_ok "... through liblxc" loads_liblxc "$SB_TMP/db.ld"
# Another liblxc than the one `up` checked (here: a stamp that no longer matches): liblxc is asked.
cp "$SB_STATE/router/runtime" "$SB_TMP/runtime"
sed -i 's/^\(lxc [^ ]*\) [0-9]*/\1 1/' "$SB_STATE/router/runtime"
t_ok "guest del web" lx guest del web
t_ok "with a stale liblxc stamp, guest add web (stopped) again" lx_env LD_DEBUG=files guest add web 2>"$SB_TMP/web.ld"
t_ok "... loads liblxc" loads_liblxc "$SB_TMP/web.ld"
cp "$SB_TMP/runtime" "$SB_STATE/router/runtime"
t_ok "web starts and gets its link from the LXC config" sb_start_guest web
t_is "web's lxc config names the guest port" \
	"$(grep -c 'lxc.net.0.veth.pair = lxg-web' "$SB_LXCPATH/web/config")" 1

WEB4=$(json_field web ipv4) WEB6=$(json_field web ipv6) WEBMAC=$(json_field web mac)
DB4=$(json_field db ipv4) DB6=$(json_field db ipv6) DBMAC=$(json_field db mac)
t_is "db got the address it asked for" "$DB4" 192.168.254.150
t_is "web got the first free address of the range" "$WEB4" 192.168.254.101

lease() { sb_guest_exec "$1" udhcpc -i eth0 -q -n -t 5 >/dev/null 2>&1 && sb_guest_exec "$1" cat /run/dhcp.eth0; }
t_ok "web leases its reserved address" grep_out "ip='$WEB4'" lease web
t_ok "db leases its reserved address" grep_out "ip='$DB4'" lease db
has6() { sb_guest_exec "$1" ip -6 addr show dev eth0 | grep -q "$2/64"; }
t_ok "web has its recorded SLAAC address" sb_wait_for "web SLAAC" 5000 has6 web "$WEB6"
t_ok "db has its recorded SLAAC address" sb_wait_for "db SLAAC" 5000 has6 db "$DB6"
t_ok "web resolves db by name" grep_out "$DB4" sb_guest_exec web nslookup db.lxtg.internal 192.168.254.254
t_ok "db resolves web by name (AAAA)" grep_out "$WEB6" sb_guest_exec db nslookup -type=AAAA web.lxtg.internal 192.168.254.254
t_ok "web reaches the LAN router (v4, NAT)" sb_guest_exec web ping -c1 -W2 "$SB_LAN_V4"
t_ok "db reaches the LAN router (v6)" sb_wait_for "db v6 default route" 5000 sb_guest_exec db ping -6 -c1 -W1 "$SB_LAN_V6"
t_ok "host pings web (v4)" sb_host_exec ping -c1 -W2 "$WEB4"
t_ok "host pings db (v6)" sb_host_exec ping -6 -c1 -W2 "$DB6"

# ---- port forwards
printf '#!/bin/sh\necho web-says-hi\n' >"$SB_LXCPATH/web/rootfs/srv-hi" && chmod +x "$SB_LXCPATH/web/rootfs/srv-hi"
sb_guest_exec web sh -c 'setsid sh -c "while :; do nc -l -p 80 -e /srv-hi; done" </dev/null >/dev/null 2>&1 &'
t_ok "port add web 8080:80" lx port add web 8080:80
t_is "a second forward of tcp 8080 is refused (exit 2)" "$(lx port add db 8080:22 2>/dev/null; echo $?)" 2
RLAN4=$(in_router ip -4 -br addr show dev eth0 | awk '{print $3}' | cut -d/ -f1)
RLAN6=$(in_router ip -6 -br addr show dev eth0 scope global | awk '{print $3}' | cut -d/ -f1)
fetch() { sb_peer_exec timeout 3 busybox nc "$1" "$2" </dev/null 2>/dev/null; }
t_is "peer reaches web through the router's LAN v4 address" "$(fetch "$RLAN4" 8080)" web-says-hi
t_is "peer reaches web through the router's LAN v6 address" "$(fetch "$RLAN6" 8080)" web-says-hi
t_is "an unmapped port is unreachable from the LAN" "$(fetch "$RLAN4" 8081)" ""
t_is "web's port 80 itself is unreachable from the LAN" "$(fetch "$WEB4" 80)" ""
t_is "the host reaches the forward on the host link" \
	"$(sb_host_exec timeout 3 busybox nc 192.168.253.254 8080 </dev/null 2>/dev/null)" web-says-hi
t_is "hairpin: db reaches web through the router's forward" \
	"$(sb_guest_exec db timeout 3 nc 192.168.254.254 8080 </dev/null 2>/dev/null)" web-says-hi
t_ok "status shows the forward" grep_out '^web .*8080->80/tcp' lx status

# ---- guards: positive control, attack, counter moved
t_ok "control: db pings the router" sb_guest_exec db ping -c1 -W1 192.168.254.254
before=$(counter ip_spoof)
sb_guest_exec db ip addr add 192.168.254.77/24 dev eth0
t_ok "IP spoof: a foreign source does not reach the router" \
	not sb_guest_exec db ping -c1 -W1 -I 192.168.254.77 192.168.254.254
t_ok "IP spoof: the ip_spoof counter moved" counter_above ip_spoof "$before"
sb_guest_exec db ip addr del 192.168.254.77/24 dev eth0

before=$(counter mac_spoof)
sb_guest_exec db sh -c 'ip link set eth0 address 02:66:66:66:66:66'
t_ok "MAC spoof: frames from a foreign MAC are dropped" \
	not sb_guest_exec db ping -c1 -W1 192.168.254.254
t_ok "MAC spoof: the mac_spoof counter moved" counter_above mac_spoof "$before"
sb_guest_exec db ip link set eth0 address "$DBMAC"
t_ok "control again: db pings the router with its own MAC" \
	sb_wait_for "db back" 3000 sb_guest_exec db ping -c1 -W1 192.168.254.254

# VLAN-tagged frames (A6), sent raw from db's port with db's own MAC.
vlan_frame() {
	in_guest_ns db python3 - "$DBMAC" <<'PY'
import socket, sys
mac = bytes.fromhex(sys.argv[1].replace(":", ""))
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("eth0", 0))
# 802.1Q tag (VID 7) around an IPv4 ethertype and a dummy payload
s.send(b"\xff" * 6 + mac + b"\x81\x00\x00\x07\x08\x00" + b"\x45" + b"\x00" * 45)
PY
}
before=$(counter ethertype)
t_ok "a VLAN-tagged frame is sent from db" vlan_frame
t_ok "VLAN: the ethertype counter moved" counter_above ethertype "$before"

# Rogue DHCP server in db (the host's dnsmasq run in db's network namespace).
before=$(counter rogue_dhcp)
in_guest_ns db dnsmasq --conf-file=/dev/null --no-resolv --no-hosts --port=0 --no-ping \
	--dhcp-range=192.168.254.30,192.168.254.40,1h --interface=eth0 --bind-interfaces \
	--dhcp-leasefile="$SB_TMP/rogue.leases" --pid-file="$SB_TMP/rogue.pid" --dhcp-authoritative
t_ok "rogue DHCP: web still leases its address from the router" \
	grep_out "serverid='192.168.254.254'" lease web
t_is "rogue DHCP: ... and the address is its own" "$(lease web | grep "^ip=")" "ip='$WEB4'"
t_ok "rogue DHCP: the rogue_dhcp counter moved" counter_above rogue_dhcp "$before"
kill "$(cat "$SB_TMP/rogue.pid")"

# Rogue RA from db (the host's radvd in db's network namespace).
before=$(counter rogue_ra)
routes_before=$(sb_guest_exec web ip -6 route | grep -v expires)
printf 'interface eth0 { AdvSendAdvert on; MinRtrAdvInterval 3; MaxRtrAdvInterval 4; prefix 2001:db8:6666::/64 { }; };\n' >"$SB_TMP/rogue-radvd.conf"
in_guest_ns db radvd -C "$SB_TMP/rogue-radvd.conf" -p "$SB_TMP/rogue-radvd.pid" -m stderr 2>/dev/null
t_ok "rogue RA: the rogue_ra counter moved" sb_wait_for "rogue RA dropped" 5000 counter_above rogue_ra "$before"
t_ok "rogue RA: web learned no prefix or route from it" not grep_out 2001:db8:6666 sb_guest_exec web ip -6 addr
t_is "rogue RA: web's routes are unchanged" "$(sb_guest_exec web ip -6 route | grep -v expires)" "$routes_before"
kill "$(cat "$SB_TMP/rogue-radvd.pid")" 2>/dev/null

# ---- restart the router: guests keep their addresses
# The host bridge lxtg0 and the guest bridge, the router's eth1 in its namespace.
bridge_macs() { { sb_host_exec cat /sys/class/net/lxtg0/address; in_seg ip -br link show dev eth1 | awk '{ print $3 }'; } | tr '\n' ' '; }
macs_before=$(bridge_macs)
t_ok "lxtg0 and the guest bridge have MACs ($macs_before)" \
	grep -qE '^([0-9a-f]{2}:){5}[0-9a-f]{2} ([0-9a-f]{2}:){5}[0-9a-f]{2} $' <<<"$macs_before"
t_ok "the router container is killed" sb_lxc stop managed -k
t_ok "up restores it" lx up
t_ok "db renews the same address" grep_out "ip='$DB4'" lease db
t_ok "host pings web again" sb_host_exec ping -c1 -W2 "$WEB4"
t_is "the forward survived the restart" "$(fetch "$RLAN4" 8080)" web-says-hi

# ---- down + up: guests reachable again without being re-added
t_ok "down" lx down
t_ok "up" lx up
t_ok "host pings web after down+up" sb_wait_for "web after down+up" 3000 sb_host_exec ping -c1 -W1 "$WEB4"
t_ok "host pings db after down+up" sb_host_exec ping -c1 -W2 "$DB4"
# The bridges were made anew and the router's veths got new random MACs; a bridge would take
# the lowest of its ports' MACs, so a change here would move the host's link-local address.
t_is "lxtg0 and the guest bridge have the same MACs after a router restart and down+up" "$(bridge_macs)" "$macs_before"

# ---- an address leased dynamically to an unregistered client is not given to a guest
DC=$SB-dc
dc_cleanup() { [ -e "/run/netns/$DC" ] && ip netns del "$DC"; return 0; }
sb_on_cleanup dc_cleanup
seg_client "$DC" dc0 || t_bail "client netns $DC"
t_ok "an unregistered client leases 192.168.254.102, the next free address, dynamically" \
	ip netns exec "$DC" "$SB_BUSYBOX" udhcpc -i eth0 -r 192.168.254.102 -q -n -t 5 -s /bin/true
t_ok "... dnsmasq recorded the lease" grep -q ' 192\.168\.254\.102 ' "$SB_STATE/router/rootfs/lxtg/state/dnsmasq.leases"

# ---- rule count is independent of the number of guests
rules() { { in_router nft -a list ruleset; sb_host_exec nft -a list ruleset; } | grep -c '# handle'; }
r1=$(rules)
for i in $(seq 1 48); do
	mkdir -p "$SB_LXCPATH/c$i" && printf 'lxc.uts.name = c%d\nlxc.rootfs.path = dir:/nonexistent\n' "$i" >"$SB_LXCPATH/c$i/config"
done
# c2's config belongs to another user, mode 0640: guest add rewrites it by rename and keeps both.
chown 1000:1000 "$SB_LXCPATH/c2/config" && chmod 0640 "$SB_LXCPATH/c2/config"
add_many() { for i in $(seq 1 48); do lx guest add "c$i" >/dev/null || return 1; done; }
t_ok "48 more guests added" add_many
t_is "50 guests: same rule count as 2" "$(rules)" "$r1"
t_is "c1, the first of them, skipped the client's lease" "$(json_field c1 ipv4)" 192.168.254.103
t_is "c2's config keeps its owner and mode" "$(stat -c '%u:%g %a' "$SB_LXCPATH/c2/config")" "1000:1000 640"
t_ok "... and has our lxc.net lines" grep -q '^lxc.net.0.veth.pair = lxg-c2$' "$SB_LXCPATH/c2/config"
t_is "50 guests: 50 addresses in the router's guest4 set" \
	"$(in_router nft -j list set inet lxctogo guest4 | python3 -c 'import json,sys; print(sum(len(x["set"].get("elem",[])) for x in json.load(sys.stdin)["nftables"] if "set" in x))')" 50

# ---- guest del leaves no trace
t_ok "port del web 8080" lx port del web 8080
t_ok "guest del web" lx guest del web
t_is "web's address is gone from every nft table" \
	"$( { in_router nft -s list ruleset | nft_static; sb_host_exec nft list ruleset; } | grep -c -e "$WEB4" -e "$WEBMAC" -e lxg-web)" 0
t_ok "web's dnsmasq files are gone" test ! -e "$SB_STATE/router/rootfs/lxtg/hosts/web" -a ! -e "$SB_STATE/router/rootfs/lxtg/dhcp-hosts/web"
t_is "web's lxc.net config is back to what it was" "$(grep '^lxc.net' "$SB_LXCPATH/web/config")" "lxc.net.0.type = empty"
t_ok "web's link is gone from the host" not sb_host_exec ip link show lxg-web
t_ok "web's port is gone from the router's guest bridge" not in_seg ip link show lxg-web
t_ok "web no longer resolves" not grep_out "$WEB4" sb_guest_exec db nslookup web.lxtg.internal 192.168.254.254

# ---- bad input: one line, exit 2, nothing changed
snapshot() { cat "$SB_STATE/guests"; in_router nft -s list ruleset | nft_static; sb_host_exec nft -s list ruleset; ls -R "$SB_STATE/router/rootfs/lxtg"; }
snap=$(snapshot)
for bad in $'bad\nname' 'a/b' 'a,b' "$(printf 'x%.0s' {1..64})" 12345 -lead trail- UPPER; do
	err=$(lx guest add "$bad" 2>&1 >/dev/null); rc=$?
	t_is "guest add '${bad//$'\n'/\\n}' exits 2 with one line" "$rc/$(printf '%s\n' "$err" | wc -l)" "2/1"
done
t_is "a taken address is refused" "$(lx guest add web --ipv4 "$DB4" >/dev/null 2>&1; echo $?)" 2
t_is "a taken MAC is refused" "$(lx guest add web --mac "$DBMAC" >/dev/null 2>&1; echo $?)" 2
t_is "an address outside the subnet is refused" "$(lx guest add web --ipv4 10.0.0.5 >/dev/null 2>&1; echo $?)" 2
t_is "an unknown container is refused" "$(lx guest add nosuch >/dev/null 2>&1; echo $?)" 2
t_is "registry, files and ruleset are byte-identical after the refusals" "$(snapshot)" "$snap"

t_ok "down" lx down
t_done
