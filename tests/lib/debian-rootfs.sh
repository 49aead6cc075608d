# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=bash
#
# A cached minimal Debian 12 (bookworm) rootfs for tests that boot real guest systems
# (tests/integration/34-real-clients.sh). Source after sandbox.sh (for t_diag):
#
#   exec 3>&1; BASE=$(debian_rootfs 2>&3) || t_bail "..."
#
# debian_rootfs prints the rootfs's path on stdout and its progress as TAP diagnostics on
# stderr (the TAP driver does not log stderr: send it to the test's stdout as above).
# The rootfs is made by debootstrap --variant=minbase from the mirror this machine's apt uses
# (/etc/apt/sources.list, /etc/apt/sources.list.d/*.list and deb822 *.sources) and cached in
#   ${LXTG_TEST_CACHE:-/var/cache/lxctogo-net-tests}/debian-bookworm-ARCH-KEY/rootfs
# where KEY is a hash of the suite, the architecture, the package list and DEB_ROOTFS_REV
# (the post-install steps below): a change of any rebuilds, the mirror does not. It is built
# in a temp dir next to it and renamed into place only when complete, under an flock on
# $cache/debian.lock, so tests running at once build it once and a second run downloads
# nothing. Tests must never write to it: give each container a copy-on-write view.

# The packages both real-client variants of 34-real-clients.sh need: systemd as PID 1 with
# networkd and resolved; ifupdown with ISC dhclient; tools the tests run in the guest
# (ip, ping, ps/pgrep; getent comes with libc); dbus for networkctl/resolvectl.
DEB_ROOTFS_SUITE=bookworm
DEB_ROOTFS_PKGS=(systemd systemd-sysv systemd-resolved dbus ifupdown isc-dhcp-client iproute2 iputils-ping procps)
# Bump when the post-install steps of deb__finish change.
DEB_ROOTFS_REV=1

# deb__diag MSG: progress on stderr, as TAP diagnostics.
deb__diag() { t_diag "$*" >&2; }

# deb_mirror [SUITE]: print the Debian mirror apt on this machine uses for SUITE: the first
# "deb" source of /etc/apt/sources.list(.d) (one-line or deb822 format) that lists SUITE.
deb_mirror() {
	local suite=${1:-$DEB_ROOTFS_SUITE} f files=()
	[ -r /etc/apt/sources.list ] && files+=(/etc/apt/sources.list)
	for f in /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] && files+=("$f")
	done
	[ ${#files[@]} -gt 0 ] || return 1
	awk -v suite="$suite" '
		function flush() {
			if (types ~ /(^| )deb( |$)/ && (" " suites " ") ~ (" " suite " ") && uris != "" && !done) {
				split(uris, u, " "); print u[1]; done = 1
			}
			types = suites = uris = ""
		}
		FNR == 1 { flush(); deb822 = (FILENAME ~ /\.sources$/) }
		/^[ \t]*#/ { next }
		deb822 && /^[ \t]*$/ { flush(); next }
		deb822 {
			key = tolower($1); sub(/:$/, "", key); $1 = ""; sub(/^ +/, "")
			if (key == "types") types = $0
			else if (key == "suites") suites = $0
			else if (key == "uris") uris = $0
			else if (key == "enabled" && tolower($0) == "no") types = ""
			next
		}
		$1 == "deb" && !done {
			i = 2
			if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
			if ($(i + 1) == suite) { print $i; done = 1 }
		}
		END { flush(); exit !done }' "${files[@]}"
}

# deb_rootfs_key: the cache key (see above).
deb_rootfs_key() {
	{
		printf '%s\n' "$DEB_ROOTFS_SUITE" "$(dpkg --print-architecture)" "rev $DEB_ROOTFS_REV"
		printf '%s\n' "${DEB_ROOTFS_PKGS[@]}" | sort -u
	} | sha256sum | cut -c1-16
}

# deb__finish DIR: make the fresh rootfs in DIR neutral, so that every copy boots as a new
# machine: no host name, hosts or resolv.conf of the build machine (debootstrap copies them),
# an empty machine-id (systemd makes one at the first boot of each copy, as in cloud
# images; guests would share DHCP/DHCPv6 client identifiers else), no downloaded packages.
deb__finish() {
	local d=$1
	printf 'localhost\n' >"$d/etc/hostname" &&
		printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' >"$d/etc/hosts" &&
		: >"$d/etc/machine-id" || return 1
	rm -f "$d/var/lib/dbus/machine-id"
	# systemd-resolved's postinst points /etc/resolv.conf at its stub; keep that (each
	# variant decides), but drop a copy of the build machine's file if there is one.
	[ -L "$d/etc/resolv.conf" ] || : >"$d/etc/resolv.conf"
	rm -rf "$d/var/cache/apt/archives/"*.deb "$d/var/lib/apt/lists/"* "$d/var/log/"*.log
	# Record what this is, for people looking into the cache.
	printf 'suite=%s\nmirror=%s\npackages=%s\nrev=%s\nbuilt=%s\n' "$DEB_ROOTFS_SUITE" "$2" \
		"${DEB_ROOTFS_PKGS[*]}" "$DEB_ROOTFS_REV" "$(date -u +%FT%TZ)" >"$d/../info"
}

# debian_rootfs: print the path of the cached rootfs, building it first if needed (see above).
debian_rootfs() {
	local cache=${LXTG_TEST_CACHE:-/var/cache/lxctogo-net-tests} key arch dir mirror tmp t0 rc line inc
	command -v debootstrap >/dev/null || { deb__diag "debootstrap is not installed"; return 1; }
	arch=$(dpkg --print-architecture) || return 1
	key=$(deb_rootfs_key) || return 1
	dir=$cache/debian-$DEB_ROOTFS_SUITE-$arch-$key
	if [ -x "$dir/rootfs/lib/systemd/systemd" ]; then
		printf '%s\n' "$dir/rootfs"
		return 0
	fi
	mkdir -p "$cache" || return 1
	# One builder at a time; who waited finds the rootfs made by the other.
	exec {lock}>"$cache/debian.lock" || return 1
	if ! flock -n "$lock"; then
		deb__diag "waiting for another test building the Debian rootfs ($cache/debian.lock)"
		flock "$lock"
	fi
	if [ -x "$dir/rootfs/lib/systemd/systemd" ]; then
		exec {lock}>&-
		printf '%s\n' "$dir/rootfs"
		return 0
	fi
	mirror=$(deb_mirror "$DEB_ROOTFS_SUITE") || { deb__diag "no apt source for $DEB_ROOTFS_SUITE in /etc/apt"; exec {lock}>&-; return 1; }
	# Leftovers of a build that was interrupted.
	rm -rf --one-file-system "$cache"/build.*
	tmp=$(mktemp -d "$cache/build.XXXXXX") || { exec {lock}>&-; return 1; }
	inc=$(IFS=,; echo "${DEB_ROOTFS_PKGS[*]}")
	deb__diag "building a Debian $DEB_ROOTFS_SUITE rootfs with debootstrap from $mirror (takes minutes, once) into $dir"
	deb__diag "packages: ${DEB_ROOTFS_PKGS[*]}"
	t0=$(sb_now_ms)
	# Phases only: the per-package lines go to the log.
	debootstrap --variant=minbase --include="$inc" "$DEB_ROOTFS_SUITE" "$tmp/rootfs" "$mirror" 2>&1 |
		tee "$tmp/debootstrap.log" |
		while IFS= read -r line; do
			case $line in
			"I: "Retrieving*|"I: "Validating*|"I: "Unpacking*|"I: "Configuring*|"I: "Extracting*) ;;
			*) deb__diag "debootstrap ($((($(sb_now_ms) - t0) / 1000)) s): $line" ;;
			esac
		done
	rc=${PIPESTATUS[0]}
	if [ "$rc" -ne 0 ] || [ ! -x "$tmp/rootfs/lib/systemd/systemd" ]; then
		deb__diag "debootstrap failed (exit $rc); last lines of its log:"
		deb__diag "$(tail -n 15 "$tmp/debootstrap.log")"
		umount -R "$tmp/rootfs/proc" "$tmp/rootfs/sys" 2>/dev/null
		rm -rf --one-file-system "$tmp"
		exec {lock}>&-
		return 1
	fi
	deb__finish "$tmp/rootfs" "$mirror" || { rm -rf --one-file-system "$tmp"; exec {lock}>&-; return 1; }
	rm -rf --one-file-system "$dir"
	mv "$tmp" "$dir" || { rm -rf --one-file-system "$tmp"; exec {lock}>&-; return 1; }
	deb__diag "Debian rootfs ready in $((($(sb_now_ms) - t0) / 1000)) s: $dir/rootfs ($(du -sh "$dir/rootfs" | cut -f1))"
	exec {lock}>&-
	printf '%s\n' "$dir/rootfs"
}
