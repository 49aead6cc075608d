#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# F4 crash consistency, `guest add` (THREATS.md): with the router up, `guest add` of a running
# guest (hot-plug) is killed with SIGKILL at every fault point (LXTG_FAULT_AT=k). After each:
#  - the registry parses and is the old or the new one (never torn), no temp file is left;
#  (a) `guest add` again exits 0 and gives exactly the state of a clean add (host links and
#      ports, both rulesets, registry, dnsmasq files, LXC config, the guest's links), and
#      `guest del` then gives back the state from before the add;
#  (b) or `guest del` right after the crash gives back the state from before the add.
# shellcheck disable=SC2317 # helpers are called through t_ok / sb_wait_for

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
# shellcheck source=tests/faults/lib.sh
. "$top_srcdir/tests/faults/lib.sh"
f_init

# ga_snap FILE: what guest add touches: host links and ports, both rulesets, registry and files,
# the guest's own links, addresses and routes; with the random veth MACs masked (mask_random).
ga_snap() {
	settle
	{
		echo "## host links"; hx ip -br link | f_noindex | sort
		echo "## host bridge ports"; masters hx | f_noindex
		echo "## host nft"; hx nft -s list ruleset
		echo "## router nft"; rx nft -s list ruleset | nft_static
		# IPv4 only: the guest's SLAAC address comes whenever the next RA does
		echo "## guest g1"; gx g1 ip -br link | f_noindex; gx g1 ip -4 -br addr | f_noindex; gx g1 ip -4 route
		state_view
		files_snap
	} >"$1" 2>&1
	mask_random "$1"
}

# g1_eth0_mac: g1 has an eth0 with its registered MAC.
g1_eth0_mac() { gx g1 ip -br link | f_noindex | grep -q "^eth0 UP $(json_field g1 mac) "; }

make_stub c1 || t_bail "stub container"
register() { lx guest add c1 && lx port add c1 8080:80; }
t_ok "guest add c1 and a forward (router down)" register
t_ok "up desktop" lx up desktop
sb_make_guest g1 || t_bail "make guest g1"
t_ok "g1 starts (no network yet)" sb_start_guest g1
cp "$SB_STATE/guests" "$SB_TMP/reg.before"
ga_snap "$SB_TMP/pre-add"

LIST=$SB_TMP/add.points
LXTG_FAULT_LIST=1 lx guest add g1 2>"$LIST"
t_is "clean guest add g1 (running) exits 0" "$?" 0 || t_bail "clean guest add failed: $(tail -n 3 "$LIST")"
N=$(fault_points "$LIST")
t_ok "guest add has fault points ($N)" test "$N" -ge 5
t_diag "$(grep '^fault point' "$LIST")"
ga_snap "$SB_TMP/ref-add"
cp "$SB_STATE/guests" "$SB_TMP/reg.added"
REGS=("$SB_TMP/reg.before" "$SB_TMP/reg.added")
t_ok "clean add: g1 has eth0 with its MAC" g1_eth0_mac
t_ok "clean add: guest del g1" lx guest del g1
ga_snap "$SB_TMP/post-del"
same_snap "clean add: guest del restores the state" "$SB_TMP/pre-add" "$SB_TMP/post-del"

for ((K = 1; K <= N; K++)); do
	crash "guest add (a)" lx guest add g1
	after_crash "add@$K (a)"
	t_ok "add@$K (a): guest add after the crash exits 0" lx guest add g1
	ga_snap "$SB_TMP/add.$K"
	same_snap "add@$K (a): the state equals a clean add" "$SB_TMP/ref-add" "$SB_TMP/add.$K"
	t_ok "add@$K (a): guest del" lx guest del g1
	ga_snap "$SB_TMP/post-del"
	same_snap "add@$K (a): guest del restores the state" "$SB_TMP/pre-add" "$SB_TMP/post-del"

	crash "guest add (b)" lx guest add g1
	after_crash "add@$K (b)"
	if cmp -s "$SB_STATE/guests" "$SB_TMP/reg.before"; then
		# Not registered yet: guest del refuses (2), and nothing may be left behind.
		t_is "add@$K (b): guest del of the unregistered g1 exits 2" "$(rc_of lx guest del g1)" 2
	else
		t_ok "add@$K (b): guest del after the crash exits 0" lx guest del g1
	fi
	ga_snap "$SB_TMP/post-del"
	same_snap "add@$K (b): the state equals the one before the add" "$SB_TMP/pre-add" "$SB_TMP/post-del"
done

t_ok "down" lx down
f_done
