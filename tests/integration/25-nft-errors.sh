#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# nftables errors reach the user (issue 13, point 5). When the kernel refuses a set element,
# `guest add` fails (exit 1) with one line that names the router's table, the set and the
# kernel's reason: its extended-ack text when it gives one, else the errno's text. The
# failed add leaves no trace, and `up` repairs the table. Positive control first.
# nf_tables (seen on 6.18) gives no text for these errors, only the offset of the attribute it
# refused: the element (a key of the wrong size) or the set name (no such set). The message
# carries both: "set guest4 refused the element: Invalid argument".
# The controller runs in the sandbox host namespace; nft tampers only inside the router's.
# shellcheck disable=SC2317 # helpers are called through t_ok

. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/sandbox.sh"
sb_require
BIN=${LXTG_BIN:-$top_srcdir/lxctogo-net}
[ -x "$BIN" ] || t_skip_all "lxctogo-net not built ($BIN)"
for c in nft nsenter; do
	command -v "$c" >/dev/null || t_skip_all "$c not installed"
done
sb_init

printf '[network]\nuplink = eth0\n' >"$SB_CONF"
. "$top_srcdir/tests/lib/lxtg.sh"
guest4() { in_router nft list set inet lxctogo guest4; }
# add_fails GUEST: `guest add GUEST` must fail; its stderr lands in $err, "exit/lines" in $got.
add_fails() {
	err=$(lx guest add "$1" 2>&1 >/dev/null)
	got="$?/$(printf '%s\n' "$err" | wc -l)"
	t_diag "guest add $1 said: $err"
}
# no_trace GUEST: GUEST is neither in the registry nor in the host's tables (the guard elements
# guest add wrote before the router's set refused its address were taken back).
no_trace() {
	! grep -qE "^guest $1( |$)" "$SB_STATE/guests" && ! sb_host_exec nft list ruleset | grep -q "lxg-$1"
}

t_ok "up desktop" lx up desktop
sb_make_guest web || t_bail "make guest web"
sb_make_guest db || t_bail "make guest db"

# ---- positive control: the router as `up` made it takes a guest
t_ok "control: guest add web" lx guest add web
WEB4=$(json_field web ipv4)
t_ok "control: web's address $WEB4 is in the router's guest4 set" grep_out "$WEB4" guest4

# ---- a set of another key type: the kernel refuses the element (EINVAL)
# ipv6_addr keys are 16 bytes, a guest's IPv4 address is 4. The forward and raw_pre chains use guest4.
retype() {
	in_router nft -f - <<'EOF'
flush chain inet lxctogo forward
flush chain inet lxctogo raw_pre
delete set inet lxctogo guest4
add set inet lxctogo guest4 { type ipv6_addr; }
EOF
}
t_ok "tamper: guest4 becomes an ipv6_addr set in the router" retype
add_fails db
t_is "guest add db fails: exit 1, one line" "$got" "1/1"
t_is "... naming the table, the set, what it refused and the kernel's reason" "$err" \
	"lxctogo-net: router table inet lxctogo: set guest4 refused the element: Invalid argument"
t_ok "... and leaves no trace of db" no_trace db
t_ok "... the retyped guest4 got no element" not grep_out elements guest4

# ---- a missing set: ENOENT, blamed on the set's name
t_ok "tamper: guest4 deleted from the router" in_router nft delete set inet lxctogo guest4
add_fails db
t_is "guest add db fails: exit 1, one line" "$got" "1/1"
t_is "... naming the table, the set and the kernel's reason, with the fix" "$err" \
	"lxctogo-net: router table inet lxctogo lacks a set or map: set guest4: No such file or directory (\`lxctogo-net up\` repairs it)"
t_ok "... and leaves no trace of db" no_trace db

# ---- up repairs the table: the same add works again
t_ok "up" lx up
t_ok "guest add db" lx guest add db
DB4=$(json_field db ipv4)
t_ok "db's address $DB4 is in the router's guest4 set" grep_out "$DB4" guest4
t_ok "... and web's again (up reloads it from the registry)" grep_out "$WEB4" guest4

t_ok "down" lx down
t_done
