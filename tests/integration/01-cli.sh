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
for c in up down status "guest add" "guest del" "guest list" "port add" "port del" check ruleset; do
	t_ok "--help lists '$c'" grep -q "^  $c" <<<"$help"
done
t_is "--help lists nothing else" "$(sed -n '/^Commands:/,/^$/p' <<<"$help" | grep -c '^  ')" 10
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
t_is "status without state reads nothing and exits 0" "$(rc lx -c /dev/null status)" 0
t_ok "status --json is valid JSON" sh -c "'$BIN' -s '$tmp/state' -P '$tmp/lxc' -c /dev/null -j status | python3 -m json.tool"
t_ok "reads create no state dir" test ! -e "$tmp/state"
t_done
