"""Write small synthetic captures with dpkt (tests and the pcap benchmark use this).

A packet is described by a dict: ts (seconds), src, dst (IP strings), sport, dport,
proto ("tcp" | "udp" | "icmp"), flags (e.g. "S", "SA", "A", "PA", "FA", "R"), payload
(bytes or an int length), win (TCP window), tcp_options (bytes, padded to 4).
"""

import ipaddress
import random

import dpkt

_FLAG_BITS = {"F": dpkt.tcp.TH_FIN, "S": dpkt.tcp.TH_SYN, "R": dpkt.tcp.TH_RST, "P": dpkt.tcp.TH_PUSH,
              "A": dpkt.tcp.TH_ACK, "U": dpkt.tcp.TH_URG, "E": dpkt.tcp.TH_ECE, "C": dpkt.tcp.TH_CWR}


def _payload(p):
    data = p.get("payload", b"")
    return b"x" * data if isinstance(data, int) else data


def ip_packet(p):
    """The IP packet (IPv4 or IPv6 by address) of one packet description."""
    data = _payload(p)
    proto = p.get("proto", "tcp")
    if proto == "tcp":
        flags = 0
        for ch in p.get("flags", "A"):
            flags |= _FLAG_BITS[ch]
        opts = p.get("tcp_options", b"")
        l4 = dpkt.tcp.TCP(sport=p["sport"], dport=p["dport"], flags=flags, win=p.get("win", 8192),
                          seq=p.get("seq", 1), ack=p.get("ack", 0), opts=opts, data=data)
        l4.off = (20 + len(opts)) // 4
        num = 6
    elif proto == "udp":
        l4 = dpkt.udp.UDP(sport=p["sport"], dport=p["dport"], data=data)
        l4.ulen = 8 + len(data)
        num = 17
    else:
        l4 = dpkt.icmp.ICMP(type=8, code=0, data=dpkt.icmp.ICMP.Echo(id=1, seq=1, data=data))
        num = 1
    src, dst = ipaddress.ip_address(p["src"]), ipaddress.ip_address(p["dst"])
    if src.version == 4:
        ip = dpkt.ip.IP(src=src.packed, dst=dst.packed, p=num, ttl=64, data=l4)
        ip.len = 20 + len(bytes(l4))
    else:
        if num == 1:
            num = 58
            l4 = dpkt.icmp6.ICMP6(type=128, code=0, data=dpkt.icmp.ICMP.Echo(id=1, seq=1, data=data))
        ip = dpkt.ip6.IP6(src=src.packed, dst=dst.packed, nxt=num, hlim=64, data=l4)
        ip.plen = len(bytes(l4))
    return ip


def frame(p, linktype=1):
    ip = ip_packet(p)
    etype = dpkt.ethernet.ETH_TYPE_IP6 if isinstance(ip, dpkt.ip6.IP6) else dpkt.ethernet.ETH_TYPE_IP
    if linktype == 1:
        return bytes(dpkt.ethernet.Ethernet(src=b"\x02" * 6, dst=b"\x04" * 6, type=etype, data=ip))
    if linktype == 113:  # Linux cooked v1: packet type, ARPHRD, addr len, addr(8), protocol
        return (b"\x00\x00" + b"\x00\x01" + b"\x00\x06" + b"\x02" * 6 + b"\x00\x00"
                + etype.to_bytes(2, "big") + bytes(ip))
    if linktype == 101:
        return bytes(ip)
    raise ValueError(f"linktype {linktype}")


def write_capture(path, packets, linktype=1, fmt="pcap"):
    """Write packet descriptions to a pcap (or pcapng) file."""
    with open(path, "wb") as f:
        if fmt == "pcapng":
            w = dpkt.pcapng.Writer(f, linktype=linktype, snaplen=65535)
        else:
            w = dpkt.pcap.Writer(f, linktype=linktype, snaplen=65535)
        for p in packets:
            w.writepkt(frame(p, linktype), ts=p["ts"])


def synthetic_traffic(n_packets, n_flows=2000, seed=0, t0=1_500_000_000.0):
    """Deterministic mixed traffic: TCP conversations, UDP exchanges, SYN probes, pings.

    Yields encoded Ethernet frames with timestamps: (ts, bytes). Frames of one template
    are encoded once and reused, so writing a few hundred thousand packets stays quick.
    """
    rng = random.Random(seed)
    tcp_conv = ["S", "SA", "A", "PA", "A", "PA", "PA", "A", "FA", "FA", "A"]
    out = []
    t = t0
    cache = {}

    def enc(p):
        key = (p["src"], p["dst"], p["sport"], p["dport"], p.get("proto"), p.get("flags"), p.get("payload"))
        b = cache.get(key)
        if b is None:
            b = cache[key] = frame(p)
        return b

    flows = []
    for i in range(n_flows):
        a = f"10.{i // 250 % 250}.{i % 250}.{1 + i % 7}"
        s = f"192.168.{i % 20}.{1 + i % 200}"
        kind = rng.random()
        sport, dport = 1024 + (i * 7) % 60000, rng.choice([22, 53, 80, 443, 8080, 21])
        if kind < 0.6:
            seq = []
            for fl in tcp_conv:
                back = fl in ("SA",) or (fl != "S" and rng.random() < 0.5)
                src, dst, sp, dp = (s, a, dport, sport) if back else (a, s, sport, dport)
                size = rng.choice([0, 64, 512, 1400]) if "P" in fl else 0
                seq.append({"src": src, "dst": dst, "sport": sp, "dport": dp, "flags": fl, "payload": size})
        elif kind < 0.8:
            seq = [{"src": a, "dst": s, "sport": sport, "dport": 53, "proto": "udp", "payload": 40},
                   {"src": s, "dst": a, "sport": 53, "dport": sport, "proto": "udp", "payload": 120}]
        elif kind < 0.95:
            seq = [{"src": a, "dst": s, "sport": sport, "dport": dport, "flags": "S"},
                   {"src": s, "dst": a, "sport": dport, "dport": sport, "flags": "RA"}]
        else:
            seq = [{"src": a, "dst": s, "sport": 0, "dport": 0, "proto": "icmp", "payload": 56}]
        flows.append([enc(p) for p in seq])
    # interleave: repeat the flow set until n_packets, advancing time
    while len(out) < n_packets:
        for conv in flows:
            for b in conv:
                t += rng.random() * 0.0005
                out.append((t, b))
                if len(out) >= n_packets:
                    return out
        t += 130.0  # next round of the same 5-tuples after the flow timeout
    return out


def write_frames(path, frames, linktype=1):
    with open(path, "wb") as f:
        w = dpkt.pcap.Writer(f, linktype=linktype, snaplen=65535)
        for ts, b in frames:
            w.writepkt(b, ts=ts)
