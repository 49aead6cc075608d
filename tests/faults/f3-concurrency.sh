#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# F3 concurrency (THREATS.md): 32 random guest add/del and port add/del commands on 8 stopped
# minimal containers, all started at once against a running router. The state lock serialises
# them, so the end state must be the one of some sequential order. Checks:
#  - every command exits 0, 1 or 2 (no crash), a failure says why in one line;
#  - invariants: the registry parses, no duplicate MAC/address/forward, every registered guest
#    has exactly its elements in both nft tables, its dnsmasq files and its lxc.net lines, and
#    nothing is left for unregistered ones (tests/faults/check.py invariants);
#  - the sequential model: the same commands replayed one by one, in the order in which the
#    lock was granted to them (strace), from the same start in a fresh router, give
#    the same exit code each and the same state (registry, elements, files, LXC configs).
# F3_SEED=N repeats a run (the seed is printed). The lock order is taken from strace (flock()).
# shellcheck disable=SC2317 # helpers are called through t_ok / sb_wait_for

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
# shellcheck source=tests/faults/lib.sh
. "$top_srcdir/tests/faults/lib.sh"
f_init

NCT=8 NCMD=32
: "${F3_SEED:=$((($(sb_now_ms) % 32749) + 1))}"
RANDOM=$F3_SEED
t_diag "seed F3_SEED=$F3_SEED"

# start_state: stub containers c1..c8 with their two-line configs, c1..c3 registered, forwards.
start_state() {
	local i
	for ((i = 1; i <= NCT; i++)); do make_stub "c$i" || return 1; done
	lx guest add c1 && lx guest add c2 && lx guest add c3 --ipv4 192.168.254.150 &&
		lx port add c1 8001:80 && lx port add c2 8002:22/udp
}

# gen_cmds: NCMD random commands, one per line, as controller arguments.
gen_cmds() {
	local i r ct
	for ((i = 0; i < NCMD; i++)); do
		ct=c$((RANDOM % NCT + 1))
		r=$((RANDOM % 100))
		if ((r < 35)); then
			echo "guest add $ct"
		elif ((r < 45)); then
			# a contested fixed address
			echo "guest add $ct --ipv4 192.168.254.$((150 + RANDOM % 2))"
		elif ((r < 60)); then
			echo "guest del $ct"
		elif ((r < 85)); then
			echo "port add $ct $((8001 + RANDOM % 5)):$((RANDOM % 3 + 80))"
		else
			echo "port del $ct $((8001 + RANDOM % 5))"
		fi
	done
}

# run_one I ARGS...: run one command under strace, which records when flock() on the state lock
# returned: the moment the lock was granted. Record "GRANTED END RC I ARGS" in $RUN/I.res.
# (The end time alone is not the lock order: a process releases the lock a little before it
# exits, and a quick next command may exit first.)
run_one() {
	local i=$1 rc granted
	shift
	sb_host_exec strace -qq -f -ttt -T -y -e trace=flock -e signal=none -o "$RUN/$i.st" \
		"$BIN" -c "$SB_CONF" -s "$SB_STATE" -P "$SB_LXCPATH" "$@" >"$RUN/$i.out" 2>"$RUN/$i.err"
	rc=$?
	# "PID 1700000000.123456 flock(3</.../state/lock>, LOCK_EX) = 0 <0.004321>": entry + duration
	granted=$(awk -v lock="$SB_STATE/lock>" 'index($0, lock) && / = 0 </ {
		d = $NF; gsub(/[<>]/, "", d); printf "%.6f\n", $2 + d; exit }' "$RUN/$i.st")
	echo "${granted:-none} $EPOCHREALTIME $rc $i $*" >"$RUN/$i.res"
}

# all_granted: every command took the state lock (so the grant order is known).
all_granted() { ! grep -l '^none ' "$RUN"/*.res; }

# view FILE: the normalised state (registry, elements, files, configs) for the model comparison.
view() { state_view >"$1" 2>&1; }

# invariants: check.py's cross-check of registry, nft tables, dnsmasq files and LXC configs.
invariants() {
	rx nft -j list table inet lxctogo >"$SB_TMP/router.json" 2>/dev/null
	sx nft -j list table bridge lxctogo >"$SB_TMP/guard.json" 2>/dev/null
	f_py invariants "$SB_STATE" "$SB_LXCPATH" "$SB_TMP/router.json" "$SB_TMP/guard.json" >"$SB_TMP/inv.out" 2>&1
	local rc=$?
	[ "$rc" -eq 0 ] || t_diag "$(head -n 20 "$SB_TMP/inv.out")"
	return "$rc"
}

# failures_explained: every failed command exited 1 or 2 with exactly one line on stderr.
failures_explained() {
	local f rc i bad=0 args
	for f in "$RUN"/*.res; do
		read -r _ _ rc i args <"$f"
		case $rc in
		0) ;;
		1 | 2) [ "$(wc -l <"$RUN/$i.err")" -eq 1 ] || { t_diag "#$i ($args) exit $rc: $(cat "$RUN/$i.err")"; bad=1; } ;;
		*) t_diag "#$i ($args) exit $rc: $(cat "$RUN/$i.err")"; bad=1 ;;
		esac
	done
	return "$bad"
}

t_ok "up desktop" lx up desktop
t_ok "start state: 8 stub containers, 3 guests, 2 forwards" start_state
t_ok "invariants hold at the start" invariants
# Control: the checker does see a missing element and a stray file.
rx nft delete element inet lxctogo guest4 '{ 192.168.254.150 }'
touch "$SB_STATE/router/rootfs/lxtg/hosts/c8"
t_ok "control: invariants catch an element deleted and a file added by hand" not invariants
rm -f "$SB_STATE/router/rootfs/lxtg/hosts/c8"
t_ok "up restores the element" lx up desktop
t_ok "invariants hold again" invariants
view "$SB_TMP/view.start"
gen_cmds >"$SB_TMP/cmds"
t_diag "commands: $(tr '\n' ';' <"$SB_TMP/cmds")"

# ---- all at once
RUN=$SB_TMP/par
mkdir -p "$RUN"
t0=$(sb_now_ms)
i=0
while read -r -a args; do
	run_one "$i" "${args[@]}" &
	i=$((i + 1))
done <"$SB_TMP/cmds"
wait
t_diag "$NCMD parallel commands took $(($(sb_now_ms) - t0)) ms"
t_is "all $NCMD commands reported" "$(find "$RUN" -name '*.res' | wc -l)" "$NCMD"
t_ok "every failure exits 1 or 2 with one line" failures_explained
t_ok "every command took the state lock" all_granted
sort -n "$RUN"/*.res >"$SB_TMP/order"
t_diag "exit codes in lock order: $(awk '{ printf "%s:%s ", $4, $3 }' "$SB_TMP/order")"
t_diag "$(awk '$3 == 0' "$SB_TMP/order" | wc -l) succeeded; failures: $(for f in "$RUN"/*.err; do [ -s "$f" ] && head -c 100 "$f" | tr '\n' ' ' && printf '| '; done)"
t_ok "registry parses after the parallel run" registry_ok
t_ok "invariants hold after the parallel run" invariants
view "$SB_TMP/view.par"

# ---- the sequential model: same start, same commands in lock order, one at a time
t_ok "down" lx down
rm -rf "${SB_STATE:?}"/* "${SB_LXCPATH:?}"/c*
t_ok "up desktop again from scratch" lx up desktop
t_ok "start state again" start_state
view "$SB_TMP/view.start2"
same_snap "the replay starts from the same state" "$SB_TMP/view.start" "$SB_TMP/view.start2"
RUN=$SB_TMP/seq
mkdir -p "$RUN"
while read -r _ _ _ i args; do
	# shellcheck disable=SC2086 # the arguments are words
	run_one "$i" $args
done <"$SB_TMP/order"
seq_rcs() { local f; for f in "$RUN"/*.res; do awk '{ print $4, $3 }' "$f"; done | sort -n; }
par_rcs=$(awk '{ print $4, $3 }' "$SB_TMP/order" | sort -n)
t_is "the sequential replay gives every command the same exit code" "$(seq_rcs | tr '\n' ' ')" "$(tr '\n' ' ' <<<"$par_rcs")"
t_ok "invariants hold after the replay" invariants
view "$SB_TMP/view.seq"
same_snap "parallel run and sequential replay end in the same state" "$SB_TMP/view.par" "$SB_TMP/view.seq"

t_ok "down" lx down
f_done
