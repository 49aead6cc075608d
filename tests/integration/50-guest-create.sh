#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# `guest create` and `guest destroy` (issue 19): a guest from an LXC template
# (busybox, the stock lxc-busybox template) or a clone, attached, with a port
# forward and a bind mount, started, ready (lease held, name resolves) when the
# command returns, provisioned by a hook that uses the network; a failed hook is
# reported and leaves the guest; a failed template leaves nothing; destroy leaves
# no trace and refuses containers it did not make.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/sandbox.sh"
sb_require
BIN=${LXTG_BIN:-$top_srcdir/lxctogo-net}
[ -x "$BIN" ] || t_skip_all "lxctogo-net not built ($BIN)"
[ -x /usr/share/lxc/templates/lxc-busybox ] || t_skip_all "lxc-busybox template not installed"
sb_init
printf '[network]\nuplink = eth0\n[dns]\nupstream = %s\n' "$SB_LAN_V4" >"$SB_CONF"
. "$top_srcdir/tests/lib/lxtg.sh"

leases() { cat "$SB_STATE/router/rootfs/lxtg/state/dnsmasq.leases" 2>/dev/null; }
resolves() { grep_out "Address: $2" sb_host_exec "$SB_BUSYBOX" nslookup "$1" 192.168.253.254; }
fetch() { sb_peer_exec timeout 3 "$SB_BUSYBOX" nc "$1" "$2" </dev/null 2>/dev/null; }
registered() { lx -j guest list | grep -q "\"name\":\"$1\""; }
# no_trace NAME: nothing of the guest is left: registry, dnsmasq files, lxcpath, ruleset.
no_trace() {
	! registered "$1" && [ ! -e "$SB_LXCPATH/$1" ] &&
		[ ! -e "$SB_STATE/router/rootfs/lxtg/hosts/$1" ] &&
		[ ! -e "$SB_STATE/router/rootfs/lxtg/dhcp-hosts/$1" ] &&
		! lx ruleset | grep -q "lxg-$1"
}

t_ok "the host's NIC has its own LAN lease" sb_host_dhcp eth0
t_ok "up desktop" lx up desktop

# The LAN peer serves a token; the hook fetches it, so it must run with the network up.
mkdir -p "$SB_TMP/www" "$SB_TMP/share"
token=token-$RANDOM$RANDOM
echo "$token" >"$SB_TMP/www/token"
sb_peer_exec "$SB_BUSYBOX" httpd -p 80 -h "$SB_TMP/www"
cat >"$SB_TMP/hook.sh" <<'EOF'
echo "provisioning $LXTG_GUEST ($LXTG_FQDN) at $LXTG_IPV4 behind $LXTG_ROUTER4"
printf 'esc:\033]0;TITLE\007\033[31mred\n'
printf 'GET /token HTTP/1.0\r\n\r\n' | nc 192.0.2.10 80 | tail -n 1 >/srv/share/token
printf '#!/bin/sh\necho hello-from-%s\n' "$LXTG_GUEST" >/srv-hi && chmod +x /srv-hi
setsid sh -c 'while :; do nc -l -p 80 -e /srv-hi; done' </dev/null >/dev/null 2>&1 &
EOF
# It leaves a daemon behind that keeps the hook's output open: create must not wait for it.
printf 'sleep 600 &\necho about to fail\nexit 3\n' >"$SB_TMP/fail.sh"

out=$(lx guest create web --template busybox --start --autostart --port 8080:80 \
	--mount "$SB_TMP/share:/srv/share" --hostname web.example.test --provision "$SB_TMP/hook.sh" 2>&1)
rc=$?
t_diag "$out"
t_is "guest create web (busybox template, port, mount, hook) exits 0" "$rc" 0
WEB4=$(json_field web ipv4)
t_ok "when it returns, web holds its DHCP lease" grep -q " $WEB4 " <<<"$(leases)"
t_ok "... and its name resolves through the router" resolves web.lxtg.internal "$WEB4"
t_ok "... it showed its steps with the time since it began, and that it was ready" \
	grep -q "^web: \[ *[0-9.]* s\] ready in [0-9]* ms" <<<"$out"
t_ok "the hook ran with the guest's facts, its output prefixed" \
	grep -q "^web| provisioning web (web.lxtg.internal) at $WEB4 behind 192.168.254.254" <<<"$out"
t_ok "the hook's terminal escapes are shown escaped, not sent to the terminal" \
	grep -qF 'web| esc:\x1b]0;TITLE\x07\x1b[31mred' <<<"$out"
t_ok "... no raw escape byte reached the output" not grep -q $'\033' <<<"$out"
t_is "the hook fetched the LAN peer's token into the bind mount (seen on the host)" \
	"$(tr -d '\r' <"$SB_TMP/share/token" 2>/dev/null)" "$token"
t_ok "the container is set to autostart, with its hostname" \
	grep -q "^lxc.start.auto = 1" "$SB_LXCPATH/web/config"
t_ok "... and hostname web.example.test" grep -q "^lxc.uts.name = web.example.test" "$SB_LXCPATH/web/config"
RLAN=$(lx -j status | python3 -c 'import json,sys
print([x for x in json.load(sys.stdin) if x["kind"]=="router"][0]["lan_ipv4"][0].split("/")[0])')
t_is "the LAN peer reaches web through the port forward" "$(fetch "$RLAN" 8080)" hello-from-web

# A failed hook: reported with its number and status, the guest stays.
out=$(sb_host_exec timeout 60 "$BIN" -c "$SB_CONF" -s "$SB_STATE" \
	-P "$SB_LXCPATH" guest create hooked --template busybox --provision "$SB_TMP/fail.sh" 2>&1)
rc=$?
t_is "guest create with a failing hook that leaves a daemon exits 1 (not hung)" "$rc" 1
t_ok "... its output was shown" grep -q "^hooked| about to fail" <<<"$out"
t_ok "... and the error names the hook and its exit status" \
	grep -q "hooked: provision 1/1 .*fail.sh failed with exit status 3; the guest is left as it is" <<<"$out"
t_is "... the guest is left registered and running" "$(json_field hooked state)" RUNNING

# A template that fails: nothing is left.
out=$(lx guest create broken --template nosuchtemplate --start 2>&1)
rc=$?
t_is "guest create from a template that does not exist exits 1" "$rc" 1
t_ok "... says which template failed" grep -q "template nosuchtemplate failed for broken" <<<"$out"
t_ok "... and leaves no trace" no_trace broken

# A clone of a stopped base.
t_ok "guest create base (not started)" lx guest create base --template busybox
t_is "... it is stopped" "$(json_field base state)" STOPPED
# With [guests] provision_dir, its hooks run in every new guest, in name order.
mkdir -p "$SB_TMP/hooks.d"
echo 'echo dir-hook-1 >/root/mark' >"$SB_TMP/hooks.d/10-first"
echo 'echo dir-hook-2 >>/root/mark' >"$SB_TMP/hooks.d/20-second"
printf '[guests]\nprovision_dir = %s\n' "$SB_TMP/hooks.d" >>"$SB_CONF"
sum=$(lx -j guest create web2 --clone base --start 2>"$SB_TMP/web2.err")
rc=$?
t_diag "$(cat "$SB_TMP/web2.err")"
t_is "guest create web2 --clone base --start exits 0" "$rc" 0
W2=$(json_field web2 ipv4)
t_is "-j prints a summary: name, address, started, hooks run" \
	"$(python3 -c 'import json,sys; s=json.loads(sys.argv[1]); print(s["name"], s["ipv4"], s["started"], s["provisioned"], s["ready_ms"] > 0)' "$sum" 2>&1)" \
	"web2 $W2 True 2 True"
t_is "the provision_dir hooks ran in name order inside web2" \
	"$(cat "$SB_LXCPATH/web2/rootfs/root/mark" 2>/dev/null | tr '\n' ' ')" "dir-hook-1 dir-hook-2 "
t_ok "web2 holds its lease" grep -q " $W2 " <<<"$(leases)"
t_ok "web2's name resolves" resolves web2.lxtg.internal "$W2"
t_ok "web2 reaches web by name" sb_guest_exec web2 ping -c1 -W2 web.lxtg.internal

# Destroy: everything goes; a container that create did not make is refused.
t_ok "guest destroy web2 --yes" lx guest destroy web2 --yes
t_ok "... leaves no trace (registry, dnsmasq files, lxcpath, ruleset)" no_trace web2
t_ok "... and the base is still there" registered base
sb_make_guest foreign || t_bail "make guest foreign"
t_ok "guest add foreign" lx guest add foreign
out=$(lx guest destroy foreign --yes 2>&1)
rc=$?
t_is "guest destroy of a container create did not make exits 2" "$rc" 2
t_ok "... saying so" grep -q "foreign was not made by .guest create. (--force destroys it anyway)" <<<"$out"
t_ok "... and it is still there" test -e "$SB_LXCPATH/foreign/config"
t_ok "guest destroy foreign --yes --force" lx guest destroy foreign --yes --force
t_ok "... leaves no trace" no_trace foreign
# On a terminal, destroy asks; anything but y keeps the guest (script(1) gives it a tty).
ask() { printf '%s\n' "$1" | sb_host_exec script -qec "'$BIN' -c '$SB_CONF' -s '$SB_STATE' -P '$SB_LXCPATH' guest destroy web" /dev/null; }
out=$(ask n 2>&1)
t_diag "$out"
t_ok "guest destroy on a terminal asks" grep -q "Destroy container web and everything in it? \[y/N\]" <<<"$out"
t_ok "... and 'n' keeps the guest" grep -q "guest destroy: web kept" <<<"$out"
t_ok "... web is still there" registered web
t_ok "... and 'y' destroys it" ask y
t_ok "... leaving no trace" no_trace web
for g in hooked base; do
	t_ok "guest destroy $g --yes" lx guest destroy "$g" --yes
	t_ok "... leaves no trace" no_trace "$g"
done
t_ok "down" lx down
t_done
