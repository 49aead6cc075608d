#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The main job of the README: a self-contained demo in throwaway network
# namespaces. A fake LAN (with its own DHCP, RA and DNS), a simulated LXC host,
# `lxctogo-net up desktop`, two busybox guests attached with `guest add`, a port
# forward reached from another LAN host, and the status table. Everything is
# removed at the end; nothing touches this machine's own network.
. "$(dirname "$0")/lib/sandbox.sh"
sb_require
BIN=${LXTG_BIN:-$top_srcdir/lxctogo-net}
[ -x "$BIN" ] || { echo "build first: autoreconf -fi && ./configure && make" >&2; exit 1; }
sb_init >/dev/null
printf '[network]\nuplink = eth0\n' >"$SB_CONF"
lx() { sb_host_exec "$BIN" -c "$SB_CONF" -s "$SB_STATE" -P "$SB_LXCPATH" "$@"; }
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "preflight (lxctogo-net check)"
lx check
step "lxctogo-net up desktop"
t0=$(sb_now_ms)
lx up desktop || exit 1
echo "up took $(($(sb_now_ms) - t0)) ms (router serving DHCP and DNS)"
step "two busybox containers, attached with guest add"
sb_make_guest web && sb_make_guest db && sb_start_guest db >/dev/null
lx guest add web
lx guest add db --ipv4 192.168.254.150
sb_start_guest web >/dev/null
for g in web db; do
	sb_guest_exec "$g" udhcpc -i eth0 -q -n >/dev/null 2>&1 &&
		echo "$g leased $(sb_guest_exec "$g" sh -c '. /run/dhcp.eth0; echo $ip')"
done
printf '#!/bin/sh\necho hello from web\n' >"$SB_LXCPATH/web/rootfs/srv-hi" && chmod +x "$SB_LXCPATH/web/rootfs/srv-hi"
sb_guest_exec web sh -c 'setsid sh -c "while :; do nc -l -p 80 -e /srv-hi; done" </dev/null >/dev/null 2>&1 &'
step "names, NAT and a port forward"
sb_guest_exec web nslookup db.lxtg.internal 192.168.254.254 | grep -A1 '^Name'
sb_guest_exec web ping -c1 -W2 "$SB_LAN_V4" | head -2
lx port add web 8080:80
lan=$(nsenter -t "$(sb_lxc info managed -pH)" -n ip -4 -br addr show dev eth0 | awk '{print $3}' | cut -d/ -f1)
echo "LAN peer -> router $lan:8080 -> web:80 says: $(sb_peer_exec timeout 3 busybox nc "$lan" 8080 </dev/null)"
step "lxctogo-net status"
lx status
step "lxctogo-net down"
lx down
sb_cleanup
echo "sandbox removed"
