# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=bash
#
# Uplinks that carry one MAC, simulated on the LAN side of the host's link: an
# nftables `table bridge lxtg_uplink` in $SB_LAN on br0, for its port h0 (the
# far end of the host's eth0). Source after tests/lib/sandbox.sh and sb_init.
#
#   uplink_sim open   no filter
#   uplink_sim deny   VirtualBox bridged adapter, promiscuous mode Deny: toward the
#                     host only unicast for the host's own MAC (and broadcast, multicast)
#   uplink_sim wlan   deny, plus: from the host only frames with the host's own source MAC
#   uplink_sim ack    a DHCP server that offers but never acknowledges: DHCPACKs
#                     toward the host are dropped (option 53 first, as dnsmasq sends it)
# Bridge filtering runs at prerouting/postrouting so that frames to and from br0
# itself (the LAN's router, DHCP and DNS) are filtered too, not only forwarded ones.

# uplink_host_mac: the MAC of the host's eth0.
uplink_host_mac() { ip -n "$SB_HOST" -o link show eth0 | grep -o 'link/ether [^ ]*' | cut -d' ' -f2; }

# uplink_sim MODE: replace the simulation (see above).
uplink_sim() {
	local mac rules=""
	mac=$(uplink_host_mac) || return 1
	sb_lan_exec nft delete table bridge lxtg_uplink 2>/dev/null
	case "$1" in
	open) return 0 ;;
	deny | wlan)
		rules="chain to_host {
		type filter hook postrouting priority 0
		oifname \"h0\" ether daddr != $mac ether daddr & 01:00:00:00:00:00 == 00:00:00:00:00:00 counter drop
	}"
		[ "$1" = wlan ] && rules="$rules
	chain from_host {
		type filter hook prerouting priority 0
		iifname \"h0\" ether saddr != $mac counter drop
	}" ;;
	ack)
		rules="chain to_host {
		type filter hook postrouting priority 0
		oifname \"h0\" udp sport 67 udp dport 68 @ih,1920,24 0x350105 counter drop
	}" ;;
	*) echo "uplink_sim: unknown mode $1" >&2; return 2 ;;
	esac
	sb_lan_exec nft -f - <<<"table bridge lxtg_uplink {
	$rules
}"
}

# uplink_sim_dropped: succeed if the simulation's counters dropped at least one frame.
uplink_sim_dropped() {
	sb_lan_exec nft list table bridge lxtg_uplink |
		awk '/counter packets/ { for (i = 1; i < NF; i++) if ($i == "packets") s += $(i + 1) }
			END { exit !(s > 0) }'
}
