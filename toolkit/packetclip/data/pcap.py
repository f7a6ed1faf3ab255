"""pcap/pcapng -> bidirectional flows with CICFlowMeter semantics.

Semantics (units: microseconds for times, bytes for sizes):
- A flow is keyed by the 5-tuple in either direction; the first packet sets forward
  (its source is the flow's source). A flow ends when a packet arrives more than
  120 s after the flow's first packet (that packet starts the next flow and sets its
  direction), on a TCP RST, or once both sides have sent FIN; a closed TCP flow still
  takes the trailing pure ACKs of the close, and a SYN or data on its 5-tuple starts a
  new flow.
- Packet length = transport payload bytes (IP length minus IP and transport headers);
  header length = transport header bytes (TCP with options, UDP/ICMP 8).
- Standard deviations are sample ones (n-1), 0 below two values; rates are 0 when the
  duration is 0. Init windows are the first TCP window in each direction, -1 if none.
- Active/idle: a gap between consecutive packets longer than 5 s is an idle period
  and closes the active period before it (kept only if longer than 0).
- Subflows: packets split at gaps longer than 1 s; subflow values = totals / subflows.
- Bulks: >= 4 consecutive data packets in one direction, no data packet of the other
  direction in between, gaps <= 1 s.
- ICMP and ICMPv6 are kept (an ICMP flood is a class of ACI-IoT-2023; sweeps are echo
  requests). They have no ports, so, as in CICFlowMeter-Java (which builds a flow from any
  IPv4 packet and leaves the ports at 0), every ICMP packet between two hosts joins one flow
  keyed by the address pair with ports 0, ended only by the 120 s flow timeout: an echo
  request and its reply are one flow, and a one-source ICMP flood is one flow per 120 s.
  Where CICFlowMeter-Java reports such flows with protocol 0 and zero lengths (its parser
  only decodes TCP and UDP), we keep the real protocol number (1, 58) and count the bytes
  after the 8-byte ICMP header as payload.
Unlike CICFlowMeter, one-packet flows are kept (scans and sweeps consist of them).

Per-packet work is a header parse and a few array appends; every statistic is computed
at the end with numpy over all packets grouped by flow, which keeps this fast.
"""

import socket
import struct
from array import array
from dataclasses import dataclass, field

import numpy as np

from packetclip.errors import PacketclipError

FLOW_TIMEOUT_US = 120_000_000
ACTIVITY_TIMEOUT_US = 5_000_000
SUBFLOW_GAP_US = 1_000_000
BULK_GAP_US = 1_000_000
BULK_MIN_PACKETS = 4

FIN, SYN, RST, PSH, ACK, URG, ECE, CWR = 1, 2, 4, 8, 16, 32, 64, 128

_PCAP_MAGIC = {
    b"\xd4\xc3\xb2\xa1": ("<", 1), b"\xa1\xb2\xc3\xd4": (">", 1),  # microseconds
    b"\x4d\x3c\xb2\xa1": ("<", 1000), b"\xa1\xb2\x3c\x4d": (">", 1000),  # nanoseconds
}
_PCAPNG_MAGIC = b"\x0a\x0d\x0d\x0a"
_FIX = "give a pcap or pcapng capture (tcpdump -w, Wireshark, dumpcap)"


@dataclass
class PcapStats:
    packets: int = 0  # records read from the capture
    used: int = 0  # packets that went into flows
    skipped: dict = field(default_factory=dict)  # reason -> count
    flows: int = 0
    linktype: int = -1
    truncated: bool = False

    def skip(self, reason):
        self.skipped[reason] = self.skipped.get(reason, 0) + 1

    def to_dict(self):
        return {"packets": self.packets, "used": self.used, "flows": self.flows,
                "linktype": self.linktype, "truncated": self.truncated,
                "skipped": dict(sorted(self.skipped.items()))}


# ---------------------------------------------------------------- capture reading

def _read_pcap(f, path, head, stats, allow_truncated):
    endian, ts_div = _PCAP_MAGIC[head[:4]]
    _, _, _, _, _, linktype = struct.unpack(endian + "HHiIII", head[4:24])
    stats.linktype = linktype & 0x0FFFFFFF
    rec = struct.Struct(endian + "IIII")
    read = f.read
    n = 0
    while True:
        hdr = read(16)
        if not hdr:
            return
        if len(hdr) < 16:
            _truncated(path, n, stats, allow_truncated)
            return
        sec, frac, incl, _ = rec.unpack(hdr)
        buf = read(incl)
        if len(buf) < incl:
            _truncated(path, n, stats, allow_truncated)
            return
        n += 1
        yield sec * 1_000_000 + frac // ts_div, buf


def _read_pcapng(f, path, stats, allow_truncated):
    import dpkt

    try:
        reader = dpkt.pcapng.Reader(f)
    except (ValueError, dpkt.dpkt.Error) as exc:
        raise PacketclipError(f"{path}: not a readable pcapng capture ({exc}); {_FIX}") from None
    stats.linktype = reader.datalink()
    n = 0
    it = iter(reader)
    while True:
        try:
            ts, buf = next(it)
        except StopIteration:
            return
        except (ValueError, struct.error, dpkt.dpkt.Error):
            _truncated(path, n, stats, allow_truncated)
            return
        n += 1
        yield int(round(ts * 1_000_000)), bytes(buf)


def _truncated(path, n, stats, allow_truncated):
    if not allow_truncated:
        raise PacketclipError(
            f"{path}: capture is cut short after packet {n} (an interrupted capture?); "
            "pass --allow-truncated to use the complete packets, or re-capture")
    stats.truncated = True


def _open_capture(path, stats, allow_truncated):
    """Return (file, iterator of (ts_us, bytes)); raises PacketclipError on non-captures."""
    from packetclip.userfile import regular_file

    path = regular_file(path, "capture")  # a FIFO or a device would block or never end
    try:
        f = open(path, "rb")
    except OSError as exc:
        raise PacketclipError(f"{path}: cannot open ({exc.strerror}); check the path") from None
    head = f.read(24)
    if head[:4] in _PCAP_MAGIC:
        if len(head) < 24:
            f.close()
            raise PacketclipError(f"{path}: pcap header is cut short ({len(head)} of 24 bytes); {_FIX}")
        return f, _read_pcap(f, path, head, stats, allow_truncated)
    if head[:4] == _PCAPNG_MAGIC:
        f.seek(0)
        return f, _read_pcapng(f, path, stats, allow_truncated)
    f.close()
    what = "is empty" if not head else f"is not a pcap/pcapng capture (starts with {head[:4].hex()})"
    raise PacketclipError(f"{path}: {what}; {_FIX}")


# ---------------------------------------------------------------- link layers

def _l3_offset_fn(linktype, path):
    """Return f(buf) -> offset of the IP header, or -1 when the frame carries no IP."""
    def ether(b):
        if len(b) < 14:
            return -1
        et = (b[12] << 8) | b[13]
        off = 14
        while et in (0x8100, 0x88A8, 0x9100) and len(b) >= off + 4:  # VLAN tags
            et = (b[off + 2] << 8) | b[off + 3]
            off += 4
        return off if et in (0x0800, 0x86DD) else -1

    def sll(b):  # Linux cooked v1: protocol at bytes 14..15
        return 16 if len(b) >= 16 and ((b[14] << 8) | b[15]) in (0x0800, 0x86DD) else -1

    def sll2(b):  # Linux cooked v2: protocol at bytes 0..1
        return 20 if len(b) >= 20 and ((b[0] << 8) | b[1]) in (0x0800, 0x86DD) else -1

    def raw(b):
        return 0

    def null(b):  # BSD loopback: 4-byte address family
        return 4

    table = {1: ether, 113: sll, 276: sll2, 101: raw, 12: raw, 14: raw, 228: raw, 229: raw,
             0: null, 108: null}
    if linktype not in table:
        raise PacketclipError(
            f"{path}: link type {linktype} is not supported (Ethernet, Linux cooked, raw IP, "
            "loopback are); convert it with `editcap -T ether` or capture on another interface")
    return table[linktype]


# ---------------------------------------------------------------- packets -> flows

class _Packets:
    """Column store of the packets that went into flows (compact typed arrays)."""

    def __init__(self):
        self.flow = array("i")
        self.ts = array("q")
        self.size = array("i")
        self.fwd = array("b")
        self.hdr = array("H")
        self.flags = array("B")
        self.win = array("i")


def read_flows(path, allow_truncated=False, flow_timeout_us=FLOW_TIMEOUT_US,
               activity_timeout_us=ACTIVITY_TIMEOUT_US):
    """Read a capture and return (columns: dict name -> np.ndarray, PcapStats).

    Columns: the feature columns of `flow_features` plus src_ip, dst_ip (str), src_port,
    dst_port, protocol, timestamp (first packet, float seconds since the epoch).
    """
    stats = PcapStats()
    f, packets = _open_capture(path, stats, allow_truncated)
    try:
        P, flows = _assemble(packets, path, stats, flow_timeout_us)
    finally:
        f.close()
    cols = flow_features(P, len(flows["src"]), activity_timeout_us)
    fam = {4: socket.AF_INET, 16: socket.AF_INET6}
    cols["src_ip"] = np.array([socket.inet_ntop(fam[len(a)], a) for a in flows["src"]], dtype=object)
    cols["dst_ip"] = np.array([socket.inet_ntop(fam[len(a)], a) for a in flows["dst"]], dtype=object)
    cols["src_port"] = np.asarray(flows["sport"], dtype=np.int64)
    cols["dst_port"] = np.asarray(flows["dport"], dtype=np.int64)
    cols["protocol"] = np.asarray(flows["proto"], dtype=np.int64)
    cols["timestamp"] = np.asarray(flows["start"], dtype=np.int64) / 1e6
    stats.flows = len(flows["src"])
    if stats.flows == 0:
        what = ", ".join(f"{k}: {v}" for k, v in sorted(stats.skipped.items())) or "none"
        raise PacketclipError(f"{path}: no IPv4/IPv6 packets to make flows from ({stats.packets} packets; "
                              f"skipped {what}); capture on an interface that carries IP traffic")
    return cols, stats


def _assemble(packets, path, stats, flow_timeout_us):
    """The per-packet loop: parse headers, find or start the flow, append the packet."""
    P = _Packets()
    a_flow, a_ts, a_size, a_fwd = P.flow.append, P.ts.append, P.size.append, P.fwd.append
    a_hdr, a_flags, a_win = P.hdr.append, P.flags.append, P.win.append
    f_src, f_dst, f_sport, f_dport, f_proto, f_start, f_state = [], [], [], [], [], [], []
    table = {}  # (src, dst, sport, dport, proto) -> (flow index, is_forward)
    unpack_ports = struct.Struct("!HH").unpack_from
    l3 = None
    sweep_at = 1 << 16
    n = 0
    skip = stats.skip
    for ts, b in packets:
        n += 1
        if l3 is None:
            l3 = _l3_offset_fn(stats.linktype, path)
        off = l3(b)
        if off < 0 or len(b) < off + 20:
            skip("not IP")
            continue
        v = b[off] >> 4
        if v == 4:
            ihl = (b[off] & 15) * 4
            if (b[off + 6] & 0x1F) or b[off + 7]:
                skip("IP fragment")
                continue
            proto = b[off + 9]
            src = b[off + 12:off + 16]
            dst = b[off + 16:off + 20]
            l4 = off + ihl
            total = (b[off + 2] << 8) | b[off + 3]
            if total == 0:  # TCP segmentation offload on the capturing host: use the frame
                total = len(b) - off
            l4len = total - ihl
        elif v == 6:
            if len(b) < off + 40:
                skip("short IPv6 header")
                continue
            l4len = (b[off + 4] << 8) | b[off + 5]
            proto = b[off + 6]
            src = b[off + 8:off + 24]
            dst = b[off + 24:off + 40]
            l4 = off + 40
            while proto in (0, 43, 44, 60) and len(b) >= l4 + 8:  # extension headers
                if proto == 44 and (((b[l4 + 2] << 8) | b[l4 + 3]) & 0xFFF8):
                    break  # non-first fragment: no transport header here
                ext = 8 if proto == 44 else (b[l4 + 1] + 1) * 8
                proto = b[l4]
                l4 += ext
                l4len -= ext
            if proto == 44:
                skip("IP fragment")
                continue
        else:
            skip("not IP")
            continue
        if proto == 6:
            if len(b) < l4 + 16:
                skip("short TCP header")
                continue
            sport, dport = unpack_ports(b, l4)
            hdr = (b[l4 + 12] >> 4) * 4
            flags = b[l4 + 13]
            win = (b[l4 + 14] << 8) | b[l4 + 15]
        elif proto == 17:
            if len(b) < l4 + 4:
                skip("short UDP header")
                continue
            sport, dport = unpack_ports(b, l4)
            hdr, flags, win = 8, 0, -1
        elif proto == 1 or proto == 58:
            sport = dport = 0
            hdr, flags, win = 8, 0, -1
        else:
            skip(f"IP protocol {proto}")
            continue
        size = l4len - hdr
        if size < 0:
            size = 0

        hit = table.get((src, dst, sport, dport, proto))
        if hit is not None:
            fi, fwd = hit
            if ts - f_start[fi] > flow_timeout_us:
                hit = None
            elif f_state[fi] & 4 and (flags & SYN or size > 0 or proto != 6):
                hit = None  # a new connection on the 5-tuple of a closed one
        if hit is None:
            fi = len(f_src)
            fwd = 1
            f_src.append(src), f_dst.append(dst), f_sport.append(sport), f_dport.append(dport)
            f_proto.append(proto), f_start.append(ts), f_state.append(0)
            table[(src, dst, sport, dport, proto)] = (fi, 1)
            table[(dst, src, dport, sport, proto)] = (fi, 0)
        if flags & (FIN | RST):
            st = f_state[fi]
            if flags & RST:
                st |= 4
            else:
                st |= 1 if fwd else 2
                if st & 3 == 3:
                    st |= 4
            f_state[fi] = st
        a_flow(fi), a_ts(ts), a_size(size), a_fwd(fwd), a_hdr(hdr), a_flags(flags), a_win(win)

        if n >= sweep_at:  # forget flows that the timeout has ended anyway (bounded memory)
            sweep_at = n + (1 << 16)
            table = {k: v for k, v in table.items() if ts - f_start[v[0]] <= flow_timeout_us}
    stats.packets = n
    stats.used = len(P.flow)
    return P, {"src": f_src, "dst": f_dst, "sport": f_sport, "dport": f_dport,
               "proto": f_proto, "start": f_start}


# ---------------------------------------------------------------- statistics

def _first_of_groups(g):
    """Indices where a new group starts in the sorted group-id array g."""
    if len(g) == 0:
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.r_[True, g[1:] != g[:-1]])


def _group_stats(g, x, n):
    """count, sum, mean, std (n-1), min, max of x per group id g (sorted), 0 for empty groups."""
    x = np.asarray(x, dtype=np.float64)
    cnt = np.bincount(g, minlength=n).astype(np.float64)
    tot = np.bincount(g, weights=x, minlength=n).astype(np.float64)
    mean = np.divide(tot, cnt, out=np.zeros(n), where=cnt > 0)
    dev = x - mean[g]
    ss = np.bincount(g, weights=dev * dev, minlength=n)
    std = np.sqrt(np.divide(ss, cnt - 1, out=np.zeros(n), where=cnt > 1))
    mn, mx = np.zeros(n), np.zeros(n)
    if len(x):
        starts = _first_of_groups(g)
        mn[g[starts]] = np.minimum.reduceat(x, starts)
        mx[g[starts]] = np.maximum.reduceat(x, starts)
    return {"count": cnt, "sum": tot, "mean": mean, "std": std, "min": mn, "max": mx}


def _gaps(g, t):
    """Gaps between consecutive entries of the same group: (group of gap, gap, index of later)."""
    same = g[1:] == g[:-1]
    later = np.flatnonzero(same) + 1
    return g[later], (t[1:] - t[:-1])[same], later


def _bulk_stats(g, t, size, fwd, n):
    """Bulk count, packets, bytes and duration per flow for each direction."""
    data = size > 0
    g, t, size, fwd = g[data], t[data], size[data], fwd[data]
    out = {}
    if len(g) == 0:
        z = np.zeros(n)
        return {d: (z, z, z, z) for d in (1, 0)}
    new_run = np.ones(len(g), dtype=bool)
    new_run[1:] = (g[1:] != g[:-1]) | (fwd[1:] != fwd[:-1]) | ((t[1:] - t[:-1]) > BULK_GAP_US)
    starts = np.flatnonzero(new_run)
    run_len = np.diff(np.r_[starts, len(g)])
    run_bytes = np.add.reduceat(size.astype(np.float64), starts)
    run_dur = t[np.r_[starts[1:], len(g)] - 1] - t[starts]
    run_flow, run_fwd = g[starts], fwd[starts]
    bulk = run_len >= BULK_MIN_PACKETS
    for d in (1, 0):
        m = bulk & (run_fwd == d)
        fl = run_flow[m]
        out[d] = (np.bincount(fl, minlength=n).astype(np.float64),
                  np.bincount(fl, weights=run_len[m], minlength=n),
                  np.bincount(fl, weights=run_bytes[m], minlength=n),
                  np.bincount(fl, weights=run_dur[m].astype(np.float64), minlength=n))
    return out


def _div(a, b):
    a = np.asarray(a, dtype=np.float64)
    return np.divide(a, b, out=np.zeros(len(a)), where=np.asarray(b) > 0)


def flow_features(P, n, activity_timeout_us=ACTIVITY_TIMEOUT_US):
    """All per-flow features from the packet column store (names: cicflowmeter snake_case)."""
    flow = np.frombuffer(P.flow, dtype=np.int32).astype(np.int64)
    ts = np.frombuffer(P.ts, dtype=np.int64)
    order = np.lexsort((ts, flow))  # by flow, then time (stable for equal times)
    g, t = flow[order], ts[order]
    size = np.frombuffer(P.size, dtype=np.int32)[order].astype(np.float64)
    fwd = np.frombuffer(P.fwd, dtype=np.int8)[order]
    hdr = np.frombuffer(P.hdr, dtype=np.uint16)[order].astype(np.float64)
    flags = np.frombuffer(P.flags, dtype=np.uint8)[order]
    win = np.frombuffer(P.win, dtype=np.int32)[order]
    isf, isb = fwd == 1, fwd == 0
    c = {}

    first = _first_of_groups(g)
    last = np.r_[first[1:], len(g)] - 1 if len(g) else first
    dur = np.zeros(n)
    dur[g[first]] = (t[last] - t[first]).astype(np.float64)
    c["flow_duration"] = dur

    alls, fs, bs = _group_stats(g, size, n), _group_stats(g[isf], size[isf], n), _group_stats(g[isb], size[isb], n)
    n_f, n_b = fs["count"], bs["count"]
    c["tot_fwd_pkts"], c["tot_bwd_pkts"] = n_f, n_b
    c["totlen_fwd_pkts"], c["totlen_bwd_pkts"] = fs["sum"], bs["sum"]
    for side, s in (("fwd", fs), ("bwd", bs)):
        for k in ("max", "min", "mean", "std"):
            c[f"{side}_pkt_len_{k}"] = s[k]
    secs = dur / 1e6
    c["flow_byts_s"] = _div(alls["sum"], secs)
    c["flow_pkts_s"] = _div(alls["count"], secs)
    c["fwd_pkts_s"] = _div(n_f, secs)
    c["bwd_pkts_s"] = _div(n_b, secs)
    for k in ("max", "min", "mean", "std"):
        c[f"pkt_len_{k}"] = alls[k]
    c["pkt_len_var"] = alls["std"] ** 2

    # inter-arrival times: whole flow, then per direction
    gg, gap, _ = _gaps(g, t)
    iat = _group_stats(gg, gap, n)
    for k in ("mean", "std", "max", "min"):
        c[f"flow_iat_{k}"] = iat[k]
    for side, m in (("fwd", isf), ("bwd", isb)):
        gg2, gap2, _ = _gaps(g[m], t[m])
        s = _group_stats(gg2, gap2, n)
        c[f"{side}_iat_tot"] = s["sum"]
        for k in ("mean", "std", "max", "min"):
            c[f"{side}_iat_{k}"] = s[k]

    # TCP flags
    def count(mask, sel=None):
        w = ((flags & mask) != 0).astype(np.float64)
        if sel is None:
            return np.bincount(g, weights=w, minlength=n)
        return np.bincount(g[sel], weights=w[sel], minlength=n)

    c["fwd_psh_flags"], c["bwd_psh_flags"] = count(PSH, isf), count(PSH, isb)
    c["fwd_urg_flags"], c["bwd_urg_flags"] = count(URG, isf), count(URG, isb)
    for name, mask in (("fin", FIN), ("syn", SYN), ("rst", RST), ("psh", PSH), ("ack", ACK),
                       ("urg", URG), ("cwr", CWR), ("ece", ECE)):
        c["cwr_flag_count" if name == "cwr" else f"{name}_flag_cnt"] = count(mask)

    # header lengths, segment sizes, windows, data packets
    c["fwd_header_len"] = np.bincount(g[isf], weights=hdr[isf], minlength=n)
    c["bwd_header_len"] = np.bincount(g[isb], weights=hdr[isb], minlength=n)
    c["fwd_seg_size_min"] = _group_stats(g[isf], hdr[isf], n)["min"]
    c["fwd_act_data_pkts"] = np.bincount(g[isf], weights=(size[isf] > 0).astype(np.float64), minlength=n)
    for side, m in (("fwd", isf), ("bwd", isb)):
        w = np.full(n, -1.0)
        gs, ws = g[m], win[m]
        if len(gs):
            fi = _first_of_groups(gs)
            w[gs[fi]] = ws[fi]
        c[f"init_{side}_win_byts"] = w
    c["down_up_ratio"] = _div(n_b, n_f)
    c["pkt_size_avg"] = _div(alls["sum"], alls["count"])
    c["fwd_seg_size_avg"] = fs["mean"]
    c["bwd_seg_size_avg"] = bs["mean"]

    # bulks
    bulk = _bulk_stats(g, t, size, fwd, n)
    for side, d in (("fwd", 1), ("bwd", 0)):
        nb, pk, by, du = bulk[d]
        c[f"{side}_byts_b_avg"] = _div(by, nb)
        c[f"{side}_pkts_b_avg"] = _div(pk, nb)
        c[f"{side}_blk_rate_avg"] = _div(by, du / 1e6)

    # subflows: split at gaps > 1 s
    sub = np.bincount(gg[gap > SUBFLOW_GAP_US], minlength=n) + 1.0
    c["subflow_fwd_pkts"], c["subflow_bwd_pkts"] = n_f / sub, n_b / sub
    c["subflow_fwd_byts"], c["subflow_bwd_byts"] = fs["sum"] / sub, bs["sum"] / sub

    # active / idle periods: a gap > activity timeout ends an active period
    idle_gap = gap > activity_timeout_us
    idle = _group_stats(gg[idle_gap], gap[idle_gap].astype(np.float64), n)
    brk = np.ones(len(g), dtype=bool)  # a new active period starts at each flow start or idle gap
    if len(g):
        brk[1:] = (g[1:] != g[:-1]) | ((t[1:] - t[:-1]) > activity_timeout_us)
    a_start = np.flatnonzero(brk)
    a_end = np.r_[a_start[1:], len(g)][: len(a_start)] - 1
    a_len = (t[a_end] - t[a_start]).astype(np.float64)
    keep = a_len > 0
    act = _group_stats(g[a_start][keep], a_len[keep], n)
    for k in ("mean", "std", "max", "min"):
        c[f"active_{k}"] = act[k]
        c[f"idle_{k}"] = idle[k]
    return c


# ---------------------------------------------------------------- canonical CSV

META_COLUMNS = ["src_ip", "dst_ip", "src_port", "dst_port", "protocol", "timestamp"]


def canonical_columns(cols):
    """Rename `read_flows` feature columns to the canonical names, in FEATURES order."""
    from packetclip.data.dialects import COLUMNS
    from packetclip.data.schema import FEATURES

    ours = COLUMNS["cicflowmeter"]  # canonical -> our (cicflowmeter package) name
    return {f: cols[ours[f]] for f in FEATURES}


def _format_column(a):
    """Strings for one column: integers without a decimal point, floats shortest round-trip."""
    a = np.asarray(a)
    if a.dtype == object:
        return a.tolist()
    if a.dtype.kind in "iu":
        return a.astype(str).tolist()
    whole = np.isfinite(a) & (a == np.round(a)) & (np.abs(a) < 2**53)
    ints = np.where(whole, a, 0).astype(np.int64).astype(str)
    if whole.all():
        return ints.tolist()
    return [i if w else repr(v) for i, w, v in zip(ints.tolist(), whole.tolist(), a.tolist(), strict=False)]


def _csv_cell(s):
    return '"' + s.replace('"', '""') + '"' if any(ch in s for ch in ',"\n') else s


def flows_csv_text(cols, label=""):
    """The flows as CSV text in the packetclip canonical dialect (meta, features, label).

    `label`: one string for every flow, or a sequence with one label per flow."""
    feats = canonical_columns(cols)
    n = len(cols["src_ip"])
    ts = [f"{v:.6f}" for v in np.asarray(cols["timestamp"]).tolist()]
    columns = [_format_column(cols[m]) for m in META_COLUMNS[:5]] + [ts]
    columns += [_format_column(v) for v in feats.values()]
    if isinstance(label, str):
        columns.append([_csv_cell(label)] * n)
    else:
        cells = {v: _csv_cell(str(v)) for v in set(label)}
        columns.append([cells[v] for v in label])
    lines = [",".join(META_COLUMNS + list(feats) + ["label"])]
    lines += [",".join(row) for row in zip(*columns, strict=False)]
    return "\n".join(lines) + "\n"


def pcap_to_csv(capture, out, label="", allow_truncated=False, rules=None, allow_unmatched=False):
    """Read a capture and write its flows to `out` (atomically). Returns PcapStats, or
    (PcapStats, Labelling) when `rules` (a packetclip.data.rules.Rules) label the flows."""
    from packetclip.fsutil import write_text

    cols, stats = read_flows(capture, allow_truncated=allow_truncated)
    if rules is None:
        write_text(out, flows_csv_text(cols, label or ""))
        return stats
    from packetclip.data.rules import apply_rules

    lab = apply_rules(rules, cols, source=str(capture), allow_unmatched=allow_unmatched)
    write_text(out, flows_csv_text(cols, lab.labels))
    return stats, lab
