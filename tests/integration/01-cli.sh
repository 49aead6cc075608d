#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The command line contract (INTERFACE.md): help lists only working commands,
# exit codes 0/1/2, one-line errors, every config error as FILE:LINE.
# Needs no root and touches nothing: every command here fails before acting
# or only reads.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/sandbox.sh"
BIN=${LXTG_BIN:-$top_srcdir/lxctogo-net}
[ -x "$BIN" ] || t_skip_all "lxctogo-net not built ($BIN)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
lx() { "$BIN" -s "$tmp/state" -P "$tmp/lxc" "$@"; }
rc() { "$@" >/dev/null 2>&1; echo $?; }

help=$(lx --help)
t_is "--help exits 0" "$(rc lx --help)" 0
for c in up down status "guest add" "guest del" "guest list" "guest create" "guest destroy" \
	"port add" "port del" apply check ruleset plug; do
	t_ok "--help lists '$c'" grep -q "^  $c" <<<"$help"
done
t_is "--help lists nothing else" "$(sed -n '/^Commands:/,/^$/p' <<<"$help" | grep -c '^  ')" 14
t_ok "--version prints the version" grep -qE '^lxctogo-net [0-9]+\.[0-9]+\.[0-9]+$' <<<"$(lx --version)"
t_is "no command: exit 2" "$(rc lx)" 2
t_is "unknown command: exit 2" "$(rc lx frobnicate)" 2
t_is "unknown option: exit 2" "$(rc lx --frob status)" 2
err=$(lx frobnicate 2>&1)
t_is "errors are one line 'lxctogo-net: what: why'" \
	"$(wc -l <<<"$err")/$(grep -c '^lxctogo-net: frobnicate: ' <<<"$err")" "1/1"
t_is "commands match by unique prefix (stat = status)" "$(rc lx -c /dev/null stat)" 0
t_is "up with a bad mode: exit 2" "$(rc lx -c /dev/null up sideways)" 2
t_is "guest add without a name: exit 2" "$(rc lx -c /dev/null guest add)" 2
t_is "port add with a bad spec: exit 2" "$(rc lx -c /dev/null port add web 80:99999)" 2
t_is "guest create without --template or --clone: exit 2" "$(rc lx -c /dev/null guest create web)" 2
t_is "guest create with both: exit 2" \
	"$(rc lx -c /dev/null guest create web --template busybox --clone base)" 2
t_is "guest create with a mount path holding a blank: exit 2" \
	"$(rc lx -c /dev/null guest create web --template busybox --mount '/srv/a b:/data')" 2
t_is "guest create with a relative mount path: exit 2" \
	"$(rc lx -c /dev/null guest create web --template busybox --mount 'srv:/data')" 2
t_is "guest create with a missing provisioning script: exit 2" \
	"$(rc lx -c /dev/null guest create web --template busybox --provision "$tmp/nope.sh")" 2
t_is "guest destroy off a terminal without --yes: exit 2" "$(rc lx -c /dev/null guest destroy web </dev/null)" 2

cat >"$tmp/bad.conf" <<'CONF'
[network]
uplink = eth0
mtu = 12

[ipv4]
guest_subnet = 192.168.254.1/24
[bogus]
CONF
err=$(lx -c "$tmp/bad.conf" check 2>&1 >/dev/null); rc=$?
t_is "a config with three errors: exit 2" "$rc" 2
t_is "... three lines" "$(wc -l <<<"$err")" 3
t_ok "... each FILE:LINE, in order (lines 3, 6, 7)" \
	test "$(cut -d: -f2 <<<"$err" | tr '\n' ' ')" = "3 6 7 "
t_ok "... naming the file" test "$(grep -c "^$tmp/bad.conf:" <<<"$err")" -eq 3
t_is "a missing --config file: exit 2" "$(rc lx -c "$tmp/nope.conf" check)" 2
t_is "the default config path may be missing (defaults apply)" \
	"$(rc "$BIN" -s "$tmp/state" -P "$tmp/lxc" ruleset)" 0
good=$(lx -c /dev/null -v check 2>/dev/null | sed -n '1,/^configuration OK/p')
t_ok "check -v prints the canonical config" grep -q '^guest_subnet = 192.168.254.0/24$' <<<"$good"
printf '%s\n' "$good" | sed '$d' >"$tmp/canon.conf"
t_ok "... which parses again" sh -c "'$BIN' -c '$tmp/canon.conf' ruleset >/dev/null"
# The command line's values go through the config's parsers and verify (issue 13):
# `up --uplink lxtg1` is refused exactly like `uplink = lxtg1` in the file.
printf '[network]\nuplink = lxtg1\n' >"$tmp/br.conf"
ferr=$(lx -c "$tmp/br.conf" up 2>&1 >/dev/null); frc=$?
cerr=$(lx -c /dev/null up --uplink lxtg1 2>&1 >/dev/null); crc=$?
t_is "uplink = lxtg1 in the file: exit 2" "$frc" 2
t_is "up --uplink lxtg1: exit 2" "$crc" 2
t_is "... one line" "$(wc -l <<<"$cerr")" 1
t_is "... the file's message, from the command line" "${cerr#--uplink: }" "${ferr#"$tmp"/br.conf:2: }"
t_ok "... which names the clash" grep -q "uplink and guest_bridge are both 'lxtg1'" <<<"$cerr"
ferr=$(printf '[network]\nuplink = eth 0\n' | lx -c /dev/stdin up 2>&1 >/dev/null)
cerr=$(lx -c /dev/null up --uplink 'eth 0' 2>&1 >/dev/null); crc=$?
t_is "up --uplink 'eth 0': exit 2 with the file's message" "$crc ${cerr#--uplink: }" "2 ${ferr#/dev/stdin:2: }"
cerr=$(lx -c /dev/null up sideways 2>&1 >/dev/null)
t_ok "up sideways: the mode key's message" grep -q "^up: mode: .*desktop or server" <<<"$cerr"
t_ok "... and nothing was created (no state dir, no lxcpath)" test ! -e "$tmp/state" -a ! -e "$tmp/lxc"
t_is "status without state reads nothing and exits 0" "$(rc lx -c /dev/null status)" 0
# plug, LXC's script.up hook: usage, a port that is not the guest's, the router down.
t_is "plug without a name: exit 2" "$(rc lx plug)" 2
perr=$(lx plug g1 net up veth lxg-other 2>&1 >/dev/null); prc=$?
t_is "plug of a port that is not the guest's: exit 1, one line" "$prc $(wc -l <<<"$perr")" "1 1"
t_ok "... which names both ports" grep -q "lxg-other, not lxg-g1" <<<"$perr"
perr=$(LXC_NET_PEER=lxg-g1 lx plug g1 net up veth lxg-g1 2>&1 >/dev/null); prc=$?
t_is "plug with the router down: exit 0 (the guest starts; up takes the port in later)" "$prc" 0
t_ok "... saying so" grep -q "router is down; lxg-g1 waits in the host" <<<"$perr"
t_ok "status --json is valid JSON" sh -c "'$BIN' -s '$tmp/state' -P '$tmp/lxc' -c /dev/null -j status | python3 -m json.tool"
t_ok "reads create no state dir" test ! -e "$tmp/state"
t_done
