#!/usr/bin/env python3
"""Lab traffic for the qosmark system tests.

Run only inside a network namespace that a test created (ip netns exec NS ...),
to the lab addresses the test passes in. Everything is bounded: a fixed plan of
packets, socket timeouts, and a hard deadline for the server.

  lab_traffic.py serve SPEC_JSON   bind UDP/TCP ports, print "ready", echo what
                                   arrives, exit on SIGTERM or after SPEC.timeout s
  lab_traffic.py send PLAN_JSON    send the plan's packets, print one JSON line

SPEC: {"udp": [ports], "tcp": [ports], "timeout": seconds}
PLAN: {"items": [...]} where an item is one of
  {"kind": "udp", "dst": addr, "dport": n, "sport": n|null, "tos": byte, "count": n}
  {"kind": "tcp", "dst": addr, "dport": n, "tos": byte}
  {"kind": "raw", "iface": name, "dstMac": "aa:..", "tags": [{"tpid": n, "pcp": n, "vid": n}],
   "src": addr, "dst": addr, "proto": "udp"|"tcp", "sport": n, "dport": n, "tos": byte}
"""
import ipaddress
import json
import select
import signal
import socket
import struct
import sys
import time

PAYLOAD = b"qosmark-lab "


def family_of(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def set_tos(sock, family, tos):
    if family == socket.AF_INET6:
        sock.setsockopt(socket.IPPROTO_IPV6, getattr(socket, "IPV6_TCLASS", 67), tos)
    else:
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_TOS, tos)


def serve(spec):
    deadline = time.monotonic() + float(spec.get("timeout", 60))
    stop = {"now": False}

    def on_term(_sig, _frame):
        stop["now"] = True

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    udp, listeners, conns = [], [], []
    for family, any_addr in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
        for port in spec.get("udp", []):
            s = socket.socket(family, socket.SOCK_DGRAM)
            if family == socket.AF_INET6:
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((any_addr, port))
            s.setblocking(False)
            udp.append(s)
        for port in spec.get("tcp", []):
            s = socket.socket(family, socket.SOCK_STREAM)
            if family == socket.AF_INET6:
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((any_addr, port))
            s.listen(32)
            s.setblocking(False)
            listeners.append(s)
    print("ready", flush=True)
    while not stop["now"] and time.monotonic() < deadline:
        try:
            readable, _, _ = select.select(udp + listeners + conns, [], [], 0.2)
        except InterruptedError:
            continue
        for s in readable:
            if s in udp:
                try:
                    data, peer = s.recvfrom(2048)
                    s.sendto(data, peer)
                except OSError:
                    pass
            elif s in listeners:
                try:
                    c, _ = s.accept()
                    c.settimeout(2.0)
                    conns.append(c)
                except OSError:
                    pass
            else:
                try:
                    data = s.recv(4096)
                except OSError:
                    data = b""
                if data:
                    try:
                        s.sendall(data)
                    except OSError:
                        pass
                else:
                    conns.remove(s)
                    s.close()
    for s in udp + listeners + conns:
        s.close()


def checksum16(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return (~total) & 0xFFFF


def build_frame(item, src_mac):
    src = ipaddress.ip_address(item["src"])
    dst = ipaddress.ip_address(item["dst"])
    proto = 17 if item["proto"] == "udp" else 6
    body = PAYLOAD + b"raw"
    if proto == 17:
        l4 = struct.pack("!HHHH", item["sport"], item["dport"], 8 + len(body), 0) + body
    else:
        # One PSH|ACK segment: seq 1, ack 1, data offset 5, window 512.
        l4 = struct.pack("!HHIIBBHHH", item["sport"], item["dport"], 1, 1, 5 << 4, 0x18, 512, 0, 0) + body
    if src.version == 4:
        pseudo = src.packed + dst.packed + struct.pack("!BBH", 0, proto, len(l4))
    else:
        pseudo = src.packed + dst.packed + struct.pack("!IxxxB", len(l4), proto)
    csum = checksum16(pseudo + l4)
    if proto == 17:
        csum = csum or 0xFFFF
        l4 = l4[:6] + struct.pack("!H", csum) + l4[8:]
    else:
        l4 = l4[:16] + struct.pack("!H", csum) + l4[18:]
    if src.version == 4:
        hdr = struct.pack("!BBHHHBBH4s4s", 0x45, item["tos"], 20 + len(l4), 0x1234, 0x4000, 64, proto, 0,
                          src.packed, dst.packed)
        hdr = hdr[:10] + struct.pack("!H", checksum16(hdr)) + hdr[12:]
        ethertype = 0x0800
    else:
        first = (6 << 28) | (item["tos"] << 20) | 0x12345
        hdr = struct.pack("!IHBB16s16s", first, len(l4), proto, 64, src.packed, dst.packed)
        ethertype = 0x86DD
    dst_mac = bytes.fromhex(item["dstMac"].replace(":", ""))
    frame = dst_mac + src_mac
    for tag in item["tags"]:
        frame += struct.pack("!HH", tag["tpid"], (tag["pcp"] << 13) | (tag.get("dei", 0) << 12) | tag["vid"])
    return frame + struct.pack("!H", ethertype) + hdr + l4


def send(plan):
    result = {"udp": 0, "udpEchoes": 0, "tcp": 0, "tcpFailed": [], "raw": []}
    raw_socks = {}
    for item in plan["items"]:
        kind = item["kind"]
        if kind == "udp":
            family = family_of(item["dst"])
            s = socket.socket(family, socket.SOCK_DGRAM)
            set_tos(s, family, item["tos"])
            if item.get("sport"):
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind(("::" if family == socket.AF_INET6 else "0.0.0.0", item["sport"]))
            s.settimeout(1.0)
            for _ in range(item.get("count", 1)):
                s.sendto(PAYLOAD + b"udp", (item["dst"], item["dport"]))
                result["udp"] += 1
                try:
                    s.recvfrom(2048)
                    result["udpEchoes"] += 1
                except OSError:
                    pass
            s.close()
        elif kind == "tcp":
            family = family_of(item["dst"])
            s = socket.socket(family, socket.SOCK_STREAM)
            set_tos(s, family, item["tos"])
            s.settimeout(3.0)
            try:
                s.connect((item["dst"], item["dport"]))
                s.sendall(PAYLOAD + b"tcp")
                s.shutdown(socket.SHUT_WR)
                while s.recv(4096):
                    pass
                result["tcp"] += 1
            except OSError as e:
                result["tcpFailed"].append("%s:%d %s" % (item["dst"], item["dport"], e))
            finally:
                s.close()
        elif kind == "raw":
            iface = item["iface"]
            if iface not in raw_socks:
                rs = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
                rs.bind((iface, 0))
                raw_socks[iface] = rs
            rs = raw_socks[iface]
            frame = build_frame(item, rs.getsockname()[4])
            rs.send(frame)
            result["raw"].append(frame.hex())
        else:
            raise SystemExit("unknown plan item kind %r" % kind)
    for rs in raw_socks.values():
        rs.close()
    print(json.dumps(result), flush=True)


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("serve", "send"):
        raise SystemExit(__doc__)
    arg = json.loads(sys.argv[2])
    if sys.argv[1] == "serve":
        serve(arg)
    else:
        send(arg)


if __name__ == "__main__":
    main()
