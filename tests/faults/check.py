#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Helpers of the fault-tolerance tests (tests/faults/lib.sh calls them as f_py FUNC ARGS).

elements                 nft -j table on stdin -> one sorted line per set/map element
invariants STATE LXCPATH ROUTER.json GUARD.json
                         check that registry, nft elements, dnsmasq files and LXC configs agree
                         (prints one line per violation, exits 1 if any)
stream server PORT SECS  TCP: send a counter both ways for SECS, check what comes back
stream client HOST PORT SECS
mask FILE OLD=NEW...     replace each OLD by NEW in snapshot FILE, then sort again the sections
                         that were sorted ("## " headers; not the nft rulesets)
"""
import ipaddress
import json
import os
import socket
import struct
import sys
import threading
import time

PORT_PREFIX = "lxg-"
DOMAIN = "lxtg.internal"


def nft_elements(doc):
    """{'set NAME': sorted list of canonical JSON elements} of an `nft -j list table` document.
    Dynamic sets (the per-guest limits) hold what the kernel learns from traffic: left out."""
    out = {}
    for obj in doc.get("nftables", []):
        for kind in ("set", "map"):
            if kind in obj:
                s = obj[kind]
                if "dynamic" in s.get("flags", []):
                    continue
                out[s["name"]] = sorted(json.dumps(canon(e), sort_keys=True) for e in s.get("elem", []))
    return out


def canon(e):
    """Elements as plain nested lists: {"concat": [...]} -> [...], {"elem": {"val": x}} -> x."""
    if isinstance(e, dict):
        if "concat" in e:
            return [canon(x) for x in e["concat"]]
        if "elem" in e:
            return canon(e["elem"].get("val"))
        return {k: canon(v) for k, v in e.items()}
    if isinstance(e, list):
        return [canon(x) for x in e]
    return e


def cmd_elements():
    text = sys.stdin.read()
    if not text.strip():
        print("(no table)")
        return 0
    for name, elems in sorted(nft_elements(json.loads(text)).items()):
        for e in elems:
            print(f"{name}: {e}")
        if not elems:
            print(f"{name}: (empty)")
    return 0


def port_name(name):
    if len(PORT_PREFIX) + len(name) < 16:
        return PORT_PREFIX + name
    h = 2166136261
    for ch in name.encode():
        h = ((h ^ ch) * 16777619) & 0xFFFFFFFF
    return "%s%.6s%05x" % (PORT_PREFIX, name, h & 0xFFFFF)


def link_local(mac):
    b = bytes.fromhex(mac.replace(":", ""))
    iid = bytes([b[0] ^ 2]) + b[1:3] + b"\xff\xfe" + b[3:6]
    return ipaddress.IPv6Address(b"\xfe\x80" + b"\x00" * 6 + iid)


def parse_registry(path):
    guests, ports, errors = {}, [], []
    try:
        lines = open(path).read().splitlines()
    except FileNotFoundError:
        lines = []
    for i, line in enumerate(lines, 1):
        if not line or line.startswith("#"):
            continue
        f = line.split()
        if f[0] == "guest" and len(f) in (4, 5):
            name, mac, ip4 = f[1], f[2].lower(), f[3]
            ip6 = f[4] if len(f) == 5 and f[4] != "-" else None
            if name in guests:
                errors.append(f"registry line {i}: guest {name} twice")
            guests[name] = {"mac": mac, "ip4": ip4, "ip6": ip6}
        elif f[0] == "port" and len(f) == 6:
            ports.append({"guest": f[1], "proto": f[2], "haddr": f[3], "hport": int(f[4]), "gport": int(f[5])})
        else:
            errors.append(f"registry line {i}: cannot parse {line!r}")
    return guests, ports, errors


def expected_elements(guests, ports):
    exp = {k: [] for k in ("guest4", "guest6", "fwd4", "fwd6", "fwd4_addr", "fwd6_addr",
                           "port_mac", "port_ip4", "port_ip6", "port_nd")}
    for name, g in guests.items():
        p, mac = port_name(name), g["mac"]
        exp["guest4"].append(g["ip4"])
        exp["port_mac"].append([p, mac])
        exp["port_ip4"].append([p, mac, g["ip4"]])
        addrs = [link_local(mac)]
        if g["ip6"]:
            exp["guest6"].append(g["ip6"])
            addrs.append(ipaddress.IPv6Address(g["ip6"]))
        for a in addrs:
            exp["port_ip6"].append([p, mac, str(a)])
            exp["port_nd"].append([p, mac, "0x" + a.packed.hex()])
    for pf in ports:
        g = guests.get(pf["guest"])
        if not g:
            continue
        key = [pf["proto"], pf["hport"]]
        if pf["haddr"] == "*":
            exp["fwd4"].append([key, [g["ip4"], pf["gport"]]])
            if g["ip6"]:
                exp["fwd6"].append([key, [g["ip6"], pf["gport"]]])
        elif ":" in pf["haddr"]:
            if g["ip6"]:
                exp["fwd6_addr"].append([[pf["haddr"]] + key, [g["ip6"], pf["gport"]]])
        else:
            exp["fwd4_addr"].append([[pf["haddr"]] + key, [g["ip4"], pf["gport"]]])
    return {k: sorted(json.dumps(v, sort_keys=True) for v in vals) for k, vals in exp.items()}


def cmd_invariants(state, lxcpath, router_json, guard_json):
    bad = []
    guests, ports, errs = parse_registry(os.path.join(state, "guests"))
    bad += errs
    for key in ("mac", "ip4", "ip6"):
        seen = {}
        for name, g in guests.items():
            v = g[key]
            if v and v in seen:
                bad.append(f"duplicate {key} {v}: {seen[v]} and {name}")
            seen[v] = name
    seen = set()
    for pf in ports:
        k = (pf["proto"], pf["haddr"], pf["hport"])
        if k in seen:
            bad.append(f"duplicate forward {k}")
        seen.add(k)
        if pf["guest"] not in guests:
            bad.append(f"forward {k} of unregistered guest {pf['guest']}")
    live = {}
    for path in (router_json, guard_json):
        text = open(path).read()
        if not text.strip():
            bad.append(f"{os.path.basename(path)}: table missing")
            continue
        live.update(nft_elements(json.loads(text)))
    for name, want in expected_elements(guests, ports).items():
        got = live.get(name)
        if got is None:
            bad.append(f"set {name} missing")
        elif got != want:
            extra = sorted(set(got) - set(want))
            missing = sorted(set(want) - set(got))
            bad.append(f"set {name}: extra {extra} missing {missing}")
    rootfs = os.path.join(state, "router", "rootfs", "lxtg")
    for d in ("hosts", "dhcp-hosts"):
        files = set(os.listdir(os.path.join(rootfs, d)))
        if files != set(guests):
            bad.append(f"{d}: files {sorted(files)} for guests {sorted(guests)}")
        for name in files & set(guests):
            g = guests[name]
            text = open(os.path.join(rootfs, d, name)).read()
            if d == "dhcp-hosts":
                v6 = f"[{g['ip6']}]," if g["ip6"] else ""
                want = f"{g['mac']},{g['ip4']},{v6}{name}\n"
            else:
                want = f"{g['ip4']} {name}.{DOMAIN} {name}\n"
                if g["ip6"]:
                    want += f"{g['ip6']} {name}.{DOMAIN} {name}\n"
            if text != want:
                bad.append(f"{d}/{name}: {text!r}, want {want!r}")
    # guest add keeps a container's own lxc.net lines in its config, under this mark.
    mark = "# lxctogo-net: this container's own lxc.net lines, put back by `guest del`:"
    for ct in sorted(os.listdir(lxcpath)):
        cfg = os.path.join(lxcpath, ct, "config")
        if not os.path.isfile(cfg) or open(cfg).readline().startswith("# lxctogo-net managed router"):
            continue
        lines = [l.rstrip("\n") for l in open(cfg)]
        net = [l.strip() for l in lines if l.strip().startswith("lxc.net")]
        saved = lines.count(mark)
        if ct in guests:
            for want in (f"lxc.net.0.hwaddr = {guests[ct]['mac']}", f"lxc.net.0.veth.pair = {port_name(ct)}"):
                if want not in net:
                    bad.append(f"{ct}/config lacks {want!r}: {net}")
            if saved != 1:
                bad.append(f"{ct}/config of a registered guest has the saved-lines mark {saved} times")
        else:
            if net:
                bad.append(f"{ct}/config of unregistered guest has {net}")
            if saved or any(l.startswith("#lxtg-saved: ") for l in lines):
                bad.append(f"{ct}/config of unregistered guest keeps saved lines")
    for b in bad:
        print(b)
    return 1 if bad else 0


def tcp_retrans(sock):
    """(retransmitted segments, of them reported as duplicates by the receiver (D-SACK))."""
    info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 232)
    total = struct.unpack_from("I", info, 100)[0]  # tcpi_total_retrans
    dsack = struct.unpack_from("I", info, 216)[0] if len(info) >= 220 else 0  # tcpi_dsack_dups
    return total, dsack


def tcp_unacked(sock):
    """Segments sent and not yet acknowledged."""
    info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 232)
    return struct.unpack_from("I", info, 24)[0]  # tcpi_unacked


def run_stream(sock, secs):
    """Send an 8-byte counter every 2 ms for secs and check the peer's counters arrive in order."""
    res = {"sent": 0, "recv": 0, "in_order": True, "error": ""}
    stop = time.monotonic() + secs

    def sender():
        try:
            while time.monotonic() < stop:
                sock.sendall(struct.pack("!Q", res["sent"]))
                res["sent"] += 1
                time.sleep(0.002)
            # Count retransmissions while the connection is still open both ways: once all we
            # sent is acknowledged and a D-SACK for a late retransmission has had time to come
            # back. After the FINs the first closer's socket is a timewait socket, which answers
            # a duplicate without a D-SACK, so a spurious retransmission of a FIN on a loaded
            # machine would count as lost.
            acked_by = time.monotonic() + 3
            while tcp_unacked(sock) and time.monotonic() < acked_by:
                time.sleep(0.01)
            time.sleep(0.5)
            res["tcp"] = tcp_retrans(sock)
            sock.shutdown(socket.SHUT_WR)
        except OSError as e:
            res["error"] = f"send: {e}"

    t = threading.Thread(target=sender)
    t.start()
    buf = b""
    sock.settimeout(secs + 5)
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                break
            buf += data
            while len(buf) >= 8:
                (n,) = struct.unpack("!Q", buf[:8])
                buf = buf[8:]
                if n != res["recv"]:
                    res["in_order"] = False
                res["recv"] += 1
    except OSError as e:
        res["error"] = res["error"] or f"recv: {e}"
    t.join()
    # A retransmission whose original arrived (a tail loss probe or a timeout fired while the
    # ACK was late on a loaded machine) comes back as a D-SACK: "spurious". "lost" counts the
    # others: segments that never reached the peer.
    total, dsack = res.pop("tcp", None) or tcp_retrans(sock)
    res["retrans"] = total
    res["spurious"] = min(dsack, total)
    res["lost"] = total - min(dsack, total)
    return res


def cmd_stream(role, *args):
    if role == "server":
        port, secs = int(args[0]), float(args[1])
        srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind(("0.0.0.0", port))
        srv.listen(1)
        print("listening", flush=True)
        srv.settimeout(10)
        sock, _ = srv.accept()
    else:
        host, port, secs = args[0], int(args[1]), float(args[2])
        sock = socket.create_connection((host, port), timeout=5)
        print("connected", flush=True)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    res = run_stream(sock, secs)
    sock.close()
    print(" ".join(f"{k}={v}" for k, v in res.items()), flush=True)
    return 0


UNSORTED = ("## host nft", "## router nft", "## host rules")


def cmd_mask(path, *pairs):
    text = open(path).read()
    for pair in pairs:
        old, new = pair.split("=", 1)
        text = text.replace(old, new)
    out, section, head = [], [], None

    def flush():
        out.extend(section if head is None or head.startswith(UNSORTED) else sorted(section))

    for line in text.splitlines():
        if line.startswith("## "):
            flush()
            out.append(line)
            section, head = [], line
        else:
            section.append(line)
    flush()
    open(path, "w").write("\n".join(out) + "\n")
    return 0


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "elements":
        return cmd_elements()
    if cmd == "invariants":
        return cmd_invariants(*args)
    if cmd == "stream":
        return cmd_stream(*args)
    if cmd == "mask":
        return cmd_mask(*args)
    print(f"unknown helper {cmd}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
