#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The Debian package: extract LXTG_DEB (built by .ci/build-deb) into a throwaway root with
# dpkg -x and check what an administrator gets: the binary and its version, the conffile, the
# systemd unit and the maintainer scripts, the man pages and the bash completion.
# Nothing is installed on this machine and nothing is started. TAP output.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"

if [ -z "${LXTG_DEB:-}" ] || [ ! -f "$LXTG_DEB" ]; then
	echo "1..0 # SKIP LXTG_DEB does not name a built .deb (see .ci/build-deb)"
	exit 0
fi
if ! command -v dpkg-deb >/dev/null; then
	echo "1..0 # SKIP dpkg-deb not available"
	exit 0
fi

n=0
# ok DESC CMD...: one TAP line from CMD's exit status; CMD's output goes to the log (stderr).
ok() {
	local desc=$1
	shift
	n=$((n + 1))
	if "$@" >&2; then
		echo "ok $n - $desc"
	else
		echo "not ok $n - $desc"
	fi
}
# skip DESC WHY
skip() {
	n=$((n + 1))
	echo "ok $n - $1 # SKIP $2"
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/lxtg-pkg.XXXXXX")
# The unpacked tree stands in for /: the router's uid (router_idmap) must pass through to
# usr/libexec/lxctogo-net/lxtg-init, as it does through a real /usr.
chmod 0711 "$tmp"
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root
bin=$root/usr/sbin/lxctogo-net
conf=$root/etc/lxctogo-net/lxctogo-net.conf
man8=$root/usr/share/man/man8/lxctogo-net.8.gz
man5=$root/usr/share/man/man5/lxctogo-net.conf.5.gz
completion=$root/usr/share/bash-completion/completions/lxctogo-net
version=$(sed -n 's/^AC_INIT(\[[^]]*\], *\[\([^]]*\)\].*/\1/p' "$top_srcdir/configure.ac")

# grep_ldd FILE LIB...: FILE needs each LIB (a NEEDED entry).
grep_ldd() {
	local f=$1 l needed
	shift
	needed=$(objdump -p "$f" | awk '$1 == "NEEDED" { print $2 }') || return 1
	for l in "$@"; do grep -q "^$l\.so" <<<"$needed" || return 1; done
}

ok "dpkg -x extracts $(basename "$LXTG_DEB")" dpkg -x "$LXTG_DEB" "$root"
dpkg-deb -e "$LXTG_DEB" "$tmp/DEBIAN" >&2
# What the binary loads from its libexec directory: the router's PID 1 and the netlink plugin.
ok "lxtg-init is in /usr/libexec/lxctogo-net" test -x "$root/usr/libexec/lxctogo-net/lxtg-init"
ok "lxtg-netlink.so is in /usr/libexec/lxctogo-net, with libnl and libndp behind it" \
	grep_ldd "$root/usr/libexec/lxctogo-net/lxtg-netlink.so" libnl-route-3 libndp
ok "lxtg-ndproxy is in /usr/libexec/lxctogo-net, with libndp and libnftnl behind it" \
	grep_ldd "$root/usr/libexec/lxctogo-net/lxtg-ndproxy" libndp libnftnl

# ---- version: one source, configure.ac ----
deb_version=$(dpkg-deb -f "$LXTG_DEB" Version)
ok "package version $deb_version is configure.ac's $version plus a revision" \
	test -n "$version" -a "${deb_version%-*}" = "$version"
out=$("$bin" --version 2>&1)
ok "lxctogo-net --version prints 'lxctogo-net $version' (got '$out')" \
	test "$out" = "lxctogo-net $version"

# every command of --help is documented in lxctogo-net(8)
help_commands() { "$bin" --help | sed -n '/^Commands:/,/^$/{s/^  \([a-z]\+\).*/\1/p}' | uniq; }
documented() {
	local c cmds
	cmds=$(help_commands)
	[ -n "$cmds" ] || return 1
	for c in $cmds; do
		zcat "$man8" | grep -q "^\.Cm $c\b" || { echo "$c: not in lxctogo-net(8)"; return 1; }
	done
}
ok "every command of --help is in lxctogo-net(8): $(help_commands | tr '\n' ' ')" documented

# ---- the conffile ----
ok "the conffile is installed" test -f "$conf"
ok "it is listed in DEBIAN/conffiles" grep -qx /etc/lxctogo-net/lxctogo-net.conf "$tmp/DEBIAN/conffiles"
first=$("$bin" -c "$conf" check 2>&1 | head -n 1)
ok "lxctogo-net -c CONFFILE check: '$first'" test "${first%% (*}" = "configuration OK"

# Every key, commented out at its default: the conffile's "#key = value" lines are exactly
# the canonical form of the defaults (check -v on an empty file).
: >"$tmp/empty.conf"
"$bin" -v -c "$tmp/empty.conf" check 2>/dev/null | grep -E '^[a-z0-9_]+ = ' >"$tmp/defaults"
sed -n 's/^#\([a-z0-9_]* = .*\)$/\1/p' "$conf" >"$tmp/commented"
ok "the conffile has every key commented out at its default ($(wc -l <"$tmp/defaults") keys)" \
	diff -u "$tmp/defaults" "$tmp/commented"
sed 's/^#\([a-z0-9_]* = \)/\1/' "$conf" >"$tmp/uncommented.conf"
first=$("$bin" -c "$tmp/uncommented.conf" check 2>&1 | head -n 1)
ok "with every key uncommented it still parses" test "${first%% (*}" = "configuration OK"
keys_documented() {
	local k _
	while read -r k _; do
		zcat "$man5" | grep -q "^\.It Cm $k No = " || { echo "$k: not in lxctogo-net.conf(5)"; return 1; }
	done <"$tmp/defaults"
}
ok "every key is documented in lxctogo-net.conf(5)" keys_documented

# ---- the systemd unit and the maintainer scripts ----
unit=$root/lib/systemd/system/lxctogo-net.service
[ -f "$unit" ] || unit=$root/usr/lib/systemd/system/lxctogo-net.service
ok "lxctogo-net.service is installed" test -f "$unit"
unit_has() {
	local l
	for l in Type=oneshot RemainAfterExit=yes 'ExecStart=/usr/sbin/lxctogo-net up' \
		'ExecReload=/usr/sbin/lxctogo-net up' 'ExecStop=/usr/sbin/lxctogo-net down' \
		Wants=network-online.target Before=lxc.service WantedBy=multi-user.target; do
		grep -qx "$l" "$unit" || { echo "missing: $l"; return 1; }
	done
	grep -q '^After=.*network-online.target' "$unit" || { echo "missing: After=network-online.target"; return 1; }
}
ok "the unit runs up/up/down, oneshot, after network-online, before lxc.service" unit_has
if command -v systemd-analyze >/dev/null; then
	# Verify a copy whose commands point into the extracted root; the man pages of
	# Documentation= are found there too. Any message counts as a failure.
	mkdir -p "$tmp/unit"
	sed "s|/usr/sbin/lxctogo-net|$bin|g" "$unit" >"$tmp/unit/lxctogo-net.service"
	verify() {
		local msg rc=0
		msg=$(MANPATH=$root/usr/share/man systemd-analyze verify "$tmp/unit/lxctogo-net.service" 2>&1) ||
			rc=$?
		[ -n "$msg" ] && echo "$msg"
		[ "$rc" -eq 0 ] && [ -z "$msg" ]
	}
	ok "systemd-analyze verify accepts the unit" verify
else
	skip "systemd-analyze verify accepts the unit" "systemd-analyze not installed"
fi
starts_nothing() {
	local f
	for f in "$tmp/DEBIAN/preinst" "$tmp/DEBIAN/postinst"; do
		[ -f "$f" ] || continue
		! grep -E 'deb-systemd-invoke +(start|restart)|systemctl +(start|restart|enable)' "$f" ||
			return 1
		# dh_installsystemd --no-enable re-enables only a unit the administrator had enabled.
		[ "$(grep -c 'deb-systemd-helper enable' "$f")" -le "$(grep -c 'was-enabled' "$f")" ] ||
			{ echo "$f enables the unit"; return 1; }
	done
}
ok "installing enables and starts nothing" starts_nothing
ok "purge removes /var/lib/lxctogo-net" \
	grep -qE '^[[:blank:]]*rm -rf /var/lib/lxctogo-net$' "$tmp/DEBIAN/postrm"
# shellcheck disable=SC2016 # expanded by the inner shell
ok "maintainer scripts are valid sh" bash -c 'for f; do [ ! -f "$f" ] || sh -n "$f" || exit; done' _ \
	"$tmp"/DEBIAN/{preinst,postinst,prerm,postrm}

# ---- man pages ----
ok "lxctogo-net(8) and lxctogo-net.conf(5) are installed" test -f "$man8" -a -f "$man5"
# shellcheck disable=SC2016 # expanded by the inner shell
ok "both carry the version $version" \
	bash -c 'zcat "$1" | grep -qx "\.Os lxctogo-net $3" && zcat "$2" | grep -qx "\.Os lxctogo-net $3"' \
	_ "$man8" "$man5" "$version"
if command -v mandoc >/dev/null; then
	mkdir -p "$tmp/man"
	zcat "$man8" >"$tmp/man/lxctogo-net.8" && zcat "$man5" >"$tmp/man/lxctogo-net.conf.5"
	ok "mandoc -T lint -W warning is clean" \
		mandoc -T lint -W warning "$tmp/man/lxctogo-net.8" "$tmp/man/lxctogo-net.conf.5"
else
	skip "mandoc -T lint -W warning is clean" "mandoc not installed"
fi

# ---- bash completion ----
ok "the bash completion is installed" test -f "$completion"
ok "bash -n accepts it" bash -n "$completion"
mkdir -p "$tmp/state"
printf '%s\n' '# lxctogo-net guest registry v1' \
	'guest web 02:00:00:00:00:01 192.168.254.101 fd00:aaaa:254::1' \
	'guest db 02:00:00:00:00:02 192.168.254.102 -' 'port web tcp * 8080 80' >"$tmp/state/guests"
# complete LINE: what bash would offer at the end of LINE (words split on blanks).
complete_line() {
	bash -c '
		[ -r /usr/share/bash-completion/bash_completion ] && . /usr/share/bash-completion/bash_completion
		. "$1"
		COMP_LINE=$2 COMP_POINT=${#2}
		read -ra COMP_WORDS <<<"$2"
		[[ $2 == *" " ]] && COMP_WORDS+=("")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		_lxctogo_net lxctogo-net "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
		echo "${COMPREPLY[*]}"' _ "$completion" "$1" 2>&1
}
expect() { # expect LINE WANT
	local got
	got=$(complete_line "$1")
	[ "$got" = "$2" ] || { echo "'$1' completes to '$got', want '$2'"; return 1; }
}
ok "completes commands" expect "lxctogo-net " "up down status guest port apply check ruleset"
ok "completes guest verbs" expect "lxctogo-net guest " "add del list create destroy"
ok "completes guest destroy's options" expect "lxctogo-net guest destroy web --" "--yes --force"
ok "completes global options" expect "lxctogo-net --st" "--state-dir"
ok "completes modes" expect "lxctogo-net up " "server desktop --uplink"
ok "completes registered guests from -s STATE/guests" \
	expect "lxctogo-net -s $tmp/state guest del " "web db"
ok "completes port forwards of a guest" expect "lxctogo-net --state-dir=$tmp/state port del web " "8080/tcp"

# ---- the packaged binary and conffile bring the router up in the sandbox, then down ----
# As the unit does: `up` with no mode (the conffile's default, desktop) and `down`; the uplink is
# the sandbox host's eth0, which is also the conffile's default. Needs root and the sandbox tools.
sandbox_why() {
	local c
	[ "$(id -u)" -eq 0 ] || { echo "needs root"; return; }
	for c in ip dnsmasq lxc-start lxc-info lxc-stop lxc-attach mount chroot; do
		command -v "$c" >/dev/null || { echo "$c not installed"; return; }
	done
	[ -x "${SB_BUSYBOX:-/bin/busybox}" ] || echo "busybox missing"
}
why=$(sandbox_why)
if [ -n "$why" ] || [ "${LXTG_PKG_SANDBOX:-yes}" = no ]; then
	for d in "up with the packaged binary and conffile" "status shows the router RUNNING" \
		"down with the packaged binary" "down removed the router and its bridges"; do
		skip "sandbox: $d" "${why:-LXTG_PKG_SANDBOX=no}"
	done
else
	# shellcheck source=tests/lib/sandbox.sh
	. "$top_srcdir/tests/lib/sandbox.sh"
	sb_init # replaces our EXIT trap with its cleanup; ours runs as its hook
	sb_on_cleanup rm -rf "$tmp"
	lx() { sb_host_exec "$bin" -c "$conf" -s "$SB_STATE" -P "$SB_LXCPATH" "$@"; }
	ok "sandbox: up with the packaged binary and conffile" lx up
	router_running() {
		local j
		j=$(lx --json status) || return 1
		echo "$j"
		[[ $j == *'"name":"managed"'*'"state":"RUNNING"'* ]]
	}
	ok "sandbox: status shows the router RUNNING" router_running
	ok "sandbox: down with the packaged binary" lx down
	all_gone() {
		! ip -n "$SB_HOST" link show lxtg1 >/dev/null 2>&1 &&
			! ip -n "$SB_HOST" link show lxtg0 >/dev/null 2>&1 &&
			! sb_host_exec lxc-info -P "$SB_LXCPATH" -n managed >/dev/null 2>&1 &&
			[ ! -e "$SB_STATE/router" ]
	}
	ok "sandbox: down removed the router and its bridges" all_gone
fi

echo "1..$n"
