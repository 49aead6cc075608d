#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# `apply FILE` (issue 19): a guest file of three busybox-template guests (one with a
# port forward whose listener a provisioning script starts, one with a fixed address,
# one with a bind mount and a host name) comes up, running and resolving, in one
# command; a second apply changes nothing at all; an edited file (a guest dropped, a
# port changed, an existing container added) converges with --prune, which destroys
# exactly the dropped guest; a file with three errors is refused with three
# FILE:LINE lines and changes nothing; --dry-run changes nothing; --down stops them.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/sandbox.sh"
sb_require
BIN=${LXTG_BIN:-$top_srcdir/lxctogo-net}
[ -x "$BIN" ] || t_skip_all "lxctogo-net not built ($BIN)"
[ -x /usr/share/lxc/templates/lxc-busybox ] || t_skip_all "lxc-busybox template not installed"
sb_init
BIN=$(sb_freeze_bin "$BIN") || t_bail "cannot copy the binary under test"
printf '[network]\nuplink = eth0\n[dns]\nupstream = %s\n' "$SB_LAN_V4" >"$SB_CONF"
. "$top_srcdir/tests/lib/lxtg.sh"

resolves() { grep_out "Address: $2" sb_host_exec "$SB_BUSYBOX" nslookup "$1" 192.168.253.254; }
fetch() { sb_peer_exec timeout 3 "$SB_BUSYBOX" nc "$1" "$2" </dev/null 2>/dev/null; }
registered() { lx -j guest list | grep -q "\"name\":\"$1\""; }
state_of() { sb_guest_state "$1" 2>/dev/null; }
no_trace() {
	! registered "$1" && [ ! -e "$SB_LXCPATH/$1" ] &&
		[ ! -e "$SB_STATE/router/rootfs/lxtg/hosts/$1" ] &&
		[ ! -e "$SB_STATE/router/rootfs/lxtg/dhcp-hosts/$1" ] &&
		! lx ruleset | grep -q "lxg-$1"
}
# Everything apply may change, with the identity (inode, mtime) of the files it would
# rewrite: the registry and journal, the ruleset `up` would load, the router's dnsmasq
# files, the lxcpath's containers and their configs, and each guest's state and ports.
snapshot() {
	local d=$SB_STATE/router/rootfs/lxtg
	(cd "$SB_STATE" && stat -c '%n %i %Y' guests applied 2>&1; cat guests applied 2>&1)
	lx ruleset
	(cd "$d" && stat -c '%n %i %Y' hosts/* dhcp-hosts/* 2>&1 && grep -H . hosts/* dhcp-hosts/*)
	(cd "$SB_LXCPATH" && ls -1 && md5sum ./*/config)
	lx -j guest list | python3 -c 'import json,sys
for g in json.load(sys.stdin): print(g["name"], g["state"], g["ipv4"], g["mac"], g["ports"])'
}

t_ok "the host's NIC has its own LAN lease" sb_host_dhcp eth0
t_ok "up desktop" lx up desktop
RLAN=$(lx -j status | python3 -c 'import json,sys
print([x for x in json.load(sys.stdin) if x["kind"]=="router"][0]["lan_ipv4"][0].split("/")[0])')

# The file and its hook live in a directory of their own; the hook is named relative to it.
A=$SB_TMP/app
F=$A/apps.ini
mkdir -p "$A" "$SB_TMP/share"
cat >"$A/web.sh" <<'EOF'
printf '#!/bin/sh\necho hello-from-%s\n' "$LXTG_GUEST" >/srv-hi && chmod +x /srv-hi
setsid sh -c 'while :; do nc -l -p 80 -e /srv-hi; done' </dev/null >/dev/null 2>&1 &
echo "listening on $LXTG_IPV4:80"
EOF
cat >"$F" <<EOF
# one app, three guests
[guest web]
template = busybox
ports = 8080:80
provision = web.sh
groups = front

[guest db]
template = busybox
ipv4 = 192.168.254.150   # fixed
groups = back

[guest cache]
template = busybox
mounts = $SB_TMP/share:/srv/share
hostname = cache.example.test
groups = back
EOF

# ---- usage: exit 2 before anything is read
rc_of() { "$@" >/dev/null 2>&1; echo $?; }
t_is "apply without a file: exit 2" "$(rc_of lx apply)" 2
t_is "apply --prune --down: exit 2" "$(rc_of lx apply "$F" --prune --down)" 2
t_is "apply FILE Bad-Group: exit 2" "$(rc_of lx apply "$F" Bad-Group)" 2
t_is "apply of a missing file: exit 2, naming it" "$(lx apply "$A/nope.ini" 2>&1; echo $?)" \
	"$A/nope.ini: No such file or directory
2"

t_is "status --file before apply: the file's guests are MISSING" \
	"$(lx -j status --file "$F" | python3 -c 'import json,sys; print(" ".join(x["name"] + "=" + x["state"] for x in json.load(sys.stdin)[1:]))')" \
	"web=MISSING db=MISSING cache=MISSING"

# ---- --dry-run first: the plan, and nothing changed
empty=$(snapshot)
out=$(lx apply "$F" --dry-run 2>&1)
rc=$?
t_is "apply --dry-run exits 0" "$rc" 0
# db has a fixed address: it goes first, so that no guest without one is given it.
t_is "... and prints the plan (the guest with a fixed address first)" "$out" \
	"create db (template busybox, 0 ports, 0 mounts, 0 hooks, started)
create web (template busybox, 1 ports, 0 mounts, 1 hooks, started)
create cache (template busybox, 0 ports, 1 mounts, 0 hooks, started)"
t_is "... and changes nothing" "$(snapshot)" "$empty"
t_is "apply -j --dry-run: the plan as a JSON summary" \
	"$(lx -j apply "$F" --dry-run 2>/dev/null | python3 -c 'import json,sys
s=json.load(sys.stdin); print(s["dry_run"], s["ok"], [x.split(" (")[0] for x in s["steps"]])')" \
	"True True ['create db', 'create web', 'create cache']"
t_is "apply with a group no guest is in: exit 2" "$(lx apply "$F" nosuch --dry-run >/dev/null 2>&1; echo $?)" 2
t_is "apply FRONT --dry-run plans only the front guest" \
	"$(lx apply "$F" front --dry-run 2>/dev/null | cut -d' ' -f1-2)" "create web"

# ---- apply: three guests up, attached, provisioned, resolving
out=$(lx apply "$F" 2>&1)
rc=$?
t_diag "$out"
t_is "apply exits 0" "$rc" 0
for g in web db cache; do
	t_is "$g is running" "$(state_of $g)" RUNNING
done
WEB4=$(json_field web ipv4) CACHE4=$(json_field cache ipv4)
t_is "db has its fixed address" "$(json_field db ipv4)" 192.168.254.150
t_ok "web's name resolves through the router" resolves web.lxtg.internal "$WEB4"
t_ok "db's name resolves" resolves db.lxtg.internal 192.168.254.150
t_ok "cache's name resolves" resolves cache.lxtg.internal "$CACHE4"
t_ok "the hook ran in web (its output prefixed)" grep -q "^web| listening on $WEB4:80" <<<"$out"
t_is "the LAN peer reaches web through the forward at the router's LAN address" \
	"$(fetch "$RLAN" 8080)" hello-from-web
t_ok "cache has its bind mount" grep -q "^lxc.mount.entry = $SB_TMP/share srv/share " "$SB_LXCPATH/cache/config"
t_ok "... and its host name" grep -q "^lxc.uts.name = cache.example.test" "$SB_LXCPATH/cache/config"
t_is "the journal records the three guests of this file" "$(cut -d' ' -f2 "$SB_STATE/applied" | tr '\n' ' ')" "db web cache "

# ---- a second apply changes nothing
before=$(snapshot)
out=$(lx apply "$F" 2>&1)
rc=$?
t_is "a second apply exits 0" "$rc" 0
t_is "... says nothing to do" "$out" "$F: nothing to do"
t_is "... and changed nothing (registry, ruleset, dnsmasq files, lxcpath, guests)" "$(snapshot)" "$before"
t_is "apply --dry-run of an applied file: nothing to do" "$(lx apply "$F" --dry-run)" "nothing to do"

# ---- edit: cache dropped, web's port changed, an existing container added
sb_make_guest manual || t_bail "make guest manual"
t_ok "a container of the admin's, attached by hand (not in the file)" lx guest add manual
sb_make_guest extra || t_bail "make guest extra"
cat >"$F" <<EOF
[guest web]
template = busybox
ports = 8081:80
provision = web.sh
groups = front

[guest db]
template = busybox
ipv4 = 192.168.254.150
groups = back

[guest extra]
template = busybox   # it exists: attached, not created
mounts = $SB_TMP/xshare:/srv/x
start = no
EOF
before=$(snapshot)
out=$(lx apply "$F" --prune --dry-run 2>&1)
t_is "apply --prune --dry-run prints the difference" "$out" \
	"destroy cache (an earlier apply made it; the file no longer names it)
port del web 8080/tcp
attach extra (guest add)
port add web 8081:80/tcp
mount extra $SB_TMP/xshare:/srv/x (at its next start)"
t_is "... and changes nothing" "$(snapshot)" "$before"
out=$(lx apply "$F" --prune 2>&1)
rc=$?
t_diag "$out"
t_is "apply --prune exits 0" "$rc" 0
t_ok "cache is gone without a trace" no_trace cache
t_ok "the admin's guest is still there" registered manual
t_ok "... with its container" test -e "$SB_LXCPATH/manual/config"
t_ok "extra is attached" registered extra
t_ok "... and has the file's bind mount in its config (an existing container converges)" \
	grep -q "^lxc.mount.entry = $SB_TMP/xshare srv/x none bind,create=dir 0 0" "$SB_LXCPATH/extra/config"
t_is "... and left stopped (start = no)" "$(state_of extra)" STOPPED
t_is "web and db still run" "$(state_of web) $(state_of db)" "RUNNING RUNNING"
t_is "the peer reaches web on the new port" "$(fetch "$RLAN" 8081)" hello-from-web
t_is "... and no longer on the old one" "$(fetch "$RLAN" 8080)" ""
t_is "the journal keeps web and db (extra was not made by apply)" \
	"$(cut -d' ' -f2 "$SB_STATE/applied" | tr '\n' ' ')" "db web "
t_is "apply --prune again: nothing to do" "$(lx apply "$F" --prune 2>&1)" "$F: nothing to do"
t_is "status --file shows the router and only the file's guests (not manual)" \
	"$(lx status --file "$F" | awk 'NR > 1 && $1 !~ /:$/ { print $1 }' | tr '\n' ' ')" "managed db web extra "
t_is "status -j --file: the same rows" \
	"$(lx -j status --file "$F" | python3 -c 'import json,sys; print(" ".join(x["name"] for x in json.load(sys.stdin)))')" \
	"managed db web extra"

# ---- a file with three errors: three FILE:LINE lines, exit 2, nothing changed
cat >"$A/bad.ini" <<'EOF'
[guest web]
template = busybox
ports = 8080:80:80
[guest db]
clone = base
ipv4 = 192.168.254.300
[guest more]
template = busybox
autostart = maybe
EOF
before=$(snapshot)
err=$(lx apply "$A/bad.ini" 2>&1 >/dev/null)
rc=$?
t_diag "$err"
t_is "a file with three errors: exit 2" "$rc" 2
t_is "... three lines" "$(wc -l <<<"$err")" 3
t_is "... each $A/bad.ini:LINE, in order (3, 6, 9)" \
	"$(sed "s|^$A/bad.ini:\([0-9]*\): .*|\1|" <<<"$err" | tr '\n' ' ')" "3 6 9 "
t_is "... and nothing changed" "$(snapshot)" "$before"
# Checks against what exists are FILE:LINE too, before anything changes.
printf '[guest other]\ntemplate = busybox\nports = 8081:81\n' >"$A/taken.ini"
err=$(lx apply "$A/taken.ini" 2>&1)
t_is "a port another guest holds: exit 2 with its line" "$? $err" \
	"2 $A/taken.ini:3: ports: 8081/tcp is forwarded to guest web"
t_is "... and nothing changed" "$(snapshot)" "$before"

printf '[guest copy]\nclone = nosuch\n' >"$A/clone.ini"
err=$(lx apply "$A/clone.ini" 2>&1)
t_is "a clone of a container that does not exist: exit 2 with its line" "$? $err" \
	"2 $A/clone.ini:2: clone: no container nosuch in $SB_LXCPATH (nor an earlier section that makes it)"

# ---- another file: a base made stopped, and a clone of it; its prune leaves apps.ini alone
printf '[guest base]\ntemplate = busybox\nstart = no\n\n[guest copy]\nclone = base\n' >"$A/clone.ini"
t_ok "apply of a second file (a stopped base, a clone of it)" lx apply "$A/clone.ini"
t_is "base is stopped, copy runs" "$(state_of base) $(state_of copy)" "STOPPED RUNNING"
t_ok "copy's name resolves" resolves copy.lxtg.internal "$(json_field copy ipv4)"
echo '# nothing left' >"$A/clone.ini"
t_ok "apply --prune of the emptied second file" lx apply "$A/clone.ini" --prune
t_ok "... destroys base" no_trace base
t_ok "... and copy" no_trace copy
t_is "... and leaves the first file's guests (journal: db web)" \
	"$(state_of web) $(state_of db) $(cut -d' ' -f2 "$SB_STATE/applied" | tr '\n' ' ')" \
	"RUNNING RUNNING db web "

# ---- --down stops the file's guests; apply starts them again, ready
t_ok "apply --down" lx apply "$F" --down
t_is "web and db are stopped" "$(state_of web) $(state_of db)" "STOPPED STOPPED"
t_is "apply --down again: nothing to do" "$(lx apply "$F" --down 2>&1)" "$F: nothing to do"
out=$(lx apply "$F" 2>&1)
rc=$?
t_is "apply starts them again" "$rc $(grep -c '^apply: start ' <<<"$out")" "0 2"
t_is "web and db run" "$(state_of web) $(state_of db)" "RUNNING RUNNING"
t_ok "... and db resolves (apply waited for its lease)" resolves db.lxtg.internal 192.168.254.150

# A guest destroyed by hand leaves the journal; one made again by hand is never pruned.
t_ok "guest destroy web --yes" lx guest destroy web --yes
t_is "... drops web from the journal" "$(cut -d' ' -f2 "$SB_STATE/applied" | tr '\n' ' ')" "db "
awk '/^\[guest / { skip = ($0 == "[guest web]") } !skip' "$F" >"$F.new" && mv "$F.new" "$F"
t_ok "guest create web by hand (the file no longer names it)" lx guest create web --template busybox
t_is "apply --prune --dry-run leaves the hand-made web alone" \
	"$(lx apply "$F" --prune --dry-run 2>/dev/null)" "nothing to do"
# A forged journal line for a container apply did not make: forgotten, never destroyed.
printf '%s manual\n' "$(cut -d' ' -f1 "$SB_STATE/applied" | head -n 1)" >>"$SB_STATE/applied"
out=$(lx apply "$F" --prune 2>&1)
t_ok "apply --prune with a journal line for a container apply did not make forgets it" \
	grep -q "manual: in .* journal, but the container was not made by apply: forgotten" <<<"$out"
t_ok "... and the container is still there" test -e "$SB_LXCPATH/manual/config"
# Checked in the plan, before anything changes: the router's address, liblxc's own options.
printf '[guest odd]\ntemplate = busybox\nipv4 = 192.168.254.254\n' >"$A/odd.ini"
t_is "ipv4 = the router's address: exit 2 with its line, nothing made" \
	"$(lx apply "$A/odd.ini" 2>&1; echo $?)" \
	"$A/odd.ini:3: ipv4: 192.168.254.254 is the router's address
2"
printf '[guest odd]\ntemplate = busybox\ntemplate_args = --rootfs=/tmp/x\n' >"$A/odd.ini"
out=$(lx apply "$A/odd.ini" 2>&1)
t_ok "template_args with an option liblxc sets itself: refused at its line" \
	grep -q "^$A/odd.ini:3: template_args: invalid argument '--rootfs=/tmp/x'" <<<"$out"
t_ok "... and nothing of odd exists" no_trace odd

for g in web db manual; do
	t_ok "guest destroy $g --yes --force" lx guest destroy "$g" --yes --force
done
t_ok "down" lx down
t_done
