#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# A4 MAC spoofing: guest "evil" clones guest "vic"'s MAC and a random one (ip link), then
# sends crafted frames (scapy) from the router's MAC, vic's MAC and 200 random MACs,
# to unicast, broadcast and IEEE link-local group (01:80:c2:00:00:0X)
# destinations. Every such frame is dropped: the bridge's forwarding database keeps
# vic's MAC on its port and the router's as the bridge's own (no MITM, no flooding), the mac_spoof
# counter moves, and vic's traffic to the router never reaches evil.
# shellcheck disable=SC2317 # helpers are called through t_ok / sb_wait_for
# shellcheck source=tests/security/lib.sh
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/security/lib.sh"

t_ok "up desktop" sec_up desktop || t_bail "up failed"
t_ok "guest evil" sec_guest evil || t_bail "guest evil"
t_ok "guest vic" sec_guest vic || t_bail "guest vic"
RPORT=eth1 # the guest bridge is the router's eth1: the router's MAC is the bridge's own

# fdb_port MAC: where the guest bridge (in the router's namespace) forwards MAC: a learned port,
# or eth1 for the bridge's own (the router's) address.
fdb_port() { in_router bridge fdb show br eth1 | awk -v m="${1,,}" '$1 == m && (!/permanent/ || $3 == "eth1") { print $3; exit }'; }
fdb_count() { in_router bridge fdb show br eth1 | grep -vc permanent; }
fdb_ok() { [ "$(fdb_port "$RMAC")" = "$RPORT" ] && [ "$(fdb_port "${GMAC[vic]}")" = lxg-vic ]; }

# ---- positive control
t_ok "control: evil reaches the router" pings evil "$R4"
t_ok "control: vic reaches the router" pings vic "$R4"
t_is "control: the router's MAC is the guest bridge's own (eth1)" "$(fdb_port "$RMAC")" "$RPORT"
t_is "control: the bridge has vic's MAC on vic's port" "$(fdb_port "${GMAC[vic]}")" lxg-vic
t_is "control: the bridge has evil's MAC on evil's port" "$(fdb_port "${GMAC[evil]}")" lxg-evil
fdb_before=$(fdb_count)
vic_neigh=$(neigh_of in_router "${G4[vic]}")

# ---- attack 1: evil takes vic's MAC, then a random one (ip link, what a root guest does)
before=$(counter mac_spoof)
in_guest evil ip link set eth0 address "${GMAC[vic]}"
t_ok "cloned MAC: evil no longer reaches the router" not sb_guest_exec evil ping -c2 -W1 "$R4"
t_ok "cloned MAC: evil does not reach vic either" not sb_guest_exec evil ping -c1 -W1 "${G4[vic]}"
t_ok "cloned MAC: the mac_spoof counter moved" counter_above mac_spoof "$before"
t_is "cloned MAC: vic's MAC is still on vic's port" "$(fdb_port "${GMAC[vic]}")" lxg-vic
before=$(counter mac_spoof)
in_guest evil ip link set eth0 address 02:66:66:66:66:66
t_ok "random MAC: evil no longer reaches the router" not sb_guest_exec evil ping -c2 -W1 "$R4"
t_ok "random MAC: the mac_spoof counter moved" counter_above mac_spoof "$before"
t_is "random MAC: the bridge did not learn it" "$(fdb_port 02:66:66:66:66:66)" ""
in_guest evil ip link set eth0 address "${GMAC[evil]}"

# ---- attack 2: crafted frames with foreign source MACs
before=$(counter mac_spoof)
sent=$(sec_py evil "$RMAC" "${GMAC[vic]}" "${G4[vic]}" "$R4" 2>/dev/null <<'PY'
import random, sys
from scapy.all import Ether, IP, UDP, ARP, Raw, sendp, conf
conf.verb = 0
rmac, vmac, vip, rip = sys.argv[1:5]
frames = []
for src in (rmac, vmac):
    frames.append(Ether(src=src, dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, hwsrc=src, psrc=vip, pdst=rip))
    frames.append(Ether(src=src, dst=rmac) / IP(src=vip, dst=rip) / UDP(sport=9, dport=9) / Raw(b"A4"))
for _ in range(200): # MAC flooding
    src = "02:%02x:%02x:%02x:%02x:%02x" % tuple(random.randrange(256) for _ in range(5))
    frames.append(Ether(src=src, dst="ff:ff:ff:ff:ff:ff") / IP(src=vip, dst="255.255.255.255") / UDP(sport=9, dport=9))
sendp(frames, iface="eth0")
print(len(frames))
PY
)
t_ok "crafted: $sent frames with foreign source MACs were sent" test "${sent:-0}" -ge 200
t_ok "crafted: the mac_spoof counter moved by all of them" counter_moved_by mac_spoof "$before" "${sent:-1}"
t_is "crafted: the bridge learned no new MAC" "$(fdb_count)" "$fdb_before"
t_ok "crafted: the router's and vic's MACs stay on their ports" fdb_ok

# ---- attack 3: the same through the IEEE link-local group addresses (STP, LACP, 802.1X, LLDP),
# which the bridge handles before/outside its prerouting hook. evil keeps sending them (as an
# attacker would) while vic talks to the router.
marker=LXTG-A4-$$
cat >"$SB_TMP/ll.py" <<'PY'
import sys, time
from scapy.all import Ether, Raw, sendp, conf
conf.verb = 0
rmac, vmac = sys.argv[1:3]
frames = [Ether(src=s, dst="01:80:c2:00:00:%02x" % g, type=t) / Raw(b"\0" * 46)
          for s in (rmac, vmac) for g, t in ((0x00, 0x0026), (0x02, 0x8809), (0x03, 0x888e), (0x0e, 0x88cc))]
end = time.time() + float(sys.argv[3])
sendp(frames, iface="eth0")
open(sys.argv[4], "w").close()
while time.time() < end:
    sendp(frames, iface="eth0")
    time.sleep(0.05)
PY
sniff_start evil evil eth0 "$marker"
sniff_start rtr router eth1 "$marker"
sec_bg evil "$PY" "$SB_TMP/ll.py" "$RMAC" "${GMAC[vic]}" 3 "$SB_TMP/ll.started"
ll_pid=$SEC_BG_PID
sb_wait_for "link-local frames" 5000 test -e "$SB_TMP/ll.started"
sleep 0.3
fdb_during_r=$(fdb_port "$RMAC") fdb_during_v=$(fdb_port "${GMAC[vic]}")
# vic sends 5 datagrams to the router (through its own stack and neighbour table)
in_guest vic "$PY" - "$R4" "$marker" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(5):
    s.sendto(sys.argv[2].encode(), (sys.argv[1], 9999))
    time.sleep(0.2)
PY
wait "$ll_pid" 2>/dev/null
got_evil=$(sniff_stop evil) got_rtr=$(sniff_stop rtr)
t_is "link-local groups: the router's MAC stays on the router's port" "$fdb_during_r" "$RPORT"
t_is "link-local groups: vic's MAC stays on vic's port" "$fdb_during_v" lxg-vic
t_is "link-local groups: none of vic's datagrams to the router reached evil" "$got_evil" 0
t_is "link-local groups: all of vic's datagrams reached the router" "$got_rtr" 5

# ---- afterwards everything works with the right MACs
t_ok "evil reaches the router again with its own MAC" pings evil "$R4"
t_ok "vic still reaches the router" pings vic "$R4"
t_is "the router's entry for vic is unchanged" "$(neigh_of in_router "${G4[vic]}")" "$vic_neigh"
t_ok "down" lx down
t_done
