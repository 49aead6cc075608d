# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=bash
#
# Helpers the integration tests share on top of sandbox.sh. Source after
# sb_init, with BIN set to the lxctogo-net under test.

# lx ARGS...: lxctogo-net in the sandbox host, with the sandbox's config, state and lxcpath.
lx() { sb_host_exec "$BIN" -c "$SB_CONF" -s "$SB_STATE" -P "$SB_LXCPATH" "$@"; }
# lx_env VAR=VALUE... ARGS: lx with VAR=VALUE in its environment.
lx_env() {
	local envs=()
	while [[ $1 == *=* ]]; do envs+=("$1"); shift; done
	sb_host_exec env "${envs[@]}" "$BIN" -c "$SB_CONF" -s "$SB_STATE" -P "$SB_LXCPATH" "$@"
}
# in_router CMD...: run CMD in the router's network namespace (observation only).
in_router() { nsenter -t "$(sb_lxc info managed -pH)" -n "$@"; }
# seg_pid: the pid of the router's namespace holder (`lxtg-init hold`), as `up` recorded it.
seg_pid() { cut -d' ' -f1 "$SB_STATE/router/holder"; }
# in_seg CMD...: run CMD in the router's namespace through its holder (works while the router is down).
in_seg() { nsenter -t "$(seg_pid)" -n "$@"; }
# seg_client NS PORT: a client netns NS (created here) whose eth0 is a veth with its other end PORT
# on the router's guest bridge (eth1 in the router's namespace), like an unregistered guest.
seg_client() {
	ip netns add "$1" && ip -n "$1" link add eth0 type veth peer name "$2" netns "/proc/$(seg_pid)/ns/net" &&
		in_seg ip link set "$2" master eth1 up && ip -n "$1" link set eth0 up
}
# json_field GUEST KEY: a field of `guest list --json`.
json_field() {
	lx -j guest list | python3 -c 'import json,sys; g={x["name"]:x for x in json.load(sys.stdin)}; print(g[sys.argv[1]][sys.argv[2]])' "$1" "$2"
}
# not CMD...: succeed when CMD fails.
not() { ! "$@"; }
# grep_out PATTERN CMD...: CMD's output matches PATTERN.
grep_out() { local pat=$1; shift; "$@" 2>/dev/null | grep -q -e "$pat"; }
# peer_neigh ADDR: the MAC peer's neighbour table holds for ADDR.
peer_neigh() { sb_peer_exec ip neigh show "$1" | grep -o 'lladdr [0-9a-f:]*' | cut -d' ' -f2; }
# host_state: what `up` may change in the host namespace and `down` must give back (links,
# addresses, routes, proxy entries, nft, the sysctls routed attach sets).
host_state() {
	sb_host_exec sh -c 'ip -br link | sort; ip -br addr | sort; ip route; ip -6 route | grep -v expires
		ip neigh show proxy; ip -6 neigh show proxy; nft -s list ruleset
		sysctl net.ipv4.ip_forward net.ipv6.conf.all.forwarding net.ipv6.conf.eth0.accept_ra \
			net.ipv4.neigh.eth0.proxy_delay net.ipv6.conf.all.proxy_ndp net.ipv6.conf.eth0.proxy_ndp'
}
