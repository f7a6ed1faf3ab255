"""pcap -> flow features, checked against values worked out by hand."""

import math

import numpy as np
import pytest

from packetclip.data.pcap import read_flows
from packetclip.data.pcap_synth import write_capture

A, B = "10.0.0.1", "10.0.0.2"


def tcp(ts, fwd, flags, payload=0, win=8192, opts=b""):
    src, dst, sp, dp = (A, B, 40000, 80) if fwd else (B, A, 80, 40000)
    return {"ts": ts, "src": src, "dst": dst, "sport": sp, "dport": dp, "flags": flags,
            "payload": payload, "win": win, "tcp_options": opts}


def udp(ts, fwd, payload=10):
    src, dst, sp, dp = (A, B, 5000, 53) if fwd else (B, A, 53, 5000)
    return {"ts": ts, "src": src, "dst": dst, "sport": sp, "dport": dp, "proto": "udp", "payload": payload}


def flows_of(tmp_path, packets, **kw):
    path = tmp_path / "c.pcap"
    write_capture(path, packets, **kw)
    cols, stats = read_flows(path)
    return cols, stats


def row(cols, i=0):
    return {k: (v[i] if len(v) else None) for k, v in cols.items()}


def test_three_packet_tcp_exchange(tmp_path):
    # SYN (24-byte header: 4 bytes of MSS option) at 0 s, SYN-ACK at 0.5 s, 100 data bytes at 2 s
    mss = b"\x02\x04\x05\xb4"
    pk = [tcp(100.0, True, "S", win=1000, opts=mss), tcp(100.5, False, "SA", win=2000),
          tcp(102.0, True, "PA", payload=100)]
    cols, stats = flows_of(tmp_path, pk)
    assert stats.flows == 1 and stats.used == 3
    r = row(cols)
    assert (r["src_ip"], r["dst_ip"], r["src_port"], r["dst_port"], r["protocol"]) == (A, B, 40000, 80, 6)
    assert r["timestamp"] == pytest.approx(100.0)
    assert r["flow_duration"] == 2_000_000
    assert (r["tot_fwd_pkts"], r["tot_bwd_pkts"]) == (2, 1)
    assert (r["totlen_fwd_pkts"], r["totlen_bwd_pkts"]) == (100, 0)
    assert (r["fwd_pkt_len_max"], r["fwd_pkt_len_min"], r["fwd_pkt_len_mean"]) == (100, 0, 50)
    assert r["fwd_pkt_len_std"] == pytest.approx(math.sqrt(2 * 50**2))  # sample std
    # IATs: 500 000 and 1 500 000 us
    assert r["flow_iat_mean"] == 1_000_000 and r["flow_iat_max"] == 1_500_000 and r["flow_iat_min"] == 500_000
    assert r["flow_iat_std"] == pytest.approx(math.sqrt(2 * 500_000**2))
    assert r["fwd_iat_tot"] == 2_000_000 and r["fwd_iat_mean"] == 2_000_000
    assert r["bwd_iat_tot"] == 0 and r["bwd_iat_mean"] == 0
    assert (r["syn_flag_cnt"], r["ack_flag_cnt"], r["psh_flag_cnt"], r["fin_flag_cnt"]) == (2, 2, 1, 0)
    assert (r["fwd_psh_flags"], r["bwd_psh_flags"]) == (1, 0)
    assert (r["fwd_header_len"], r["bwd_header_len"], r["fwd_seg_size_min"]) == (44, 20, 20)
    assert (r["init_fwd_win_byts"], r["init_bwd_win_byts"]) == (1000, 2000)
    assert r["flow_byts_s"] == pytest.approx(50.0) and r["flow_pkts_s"] == pytest.approx(1.5)
    assert r["fwd_pkts_s"] == pytest.approx(1.0) and r["bwd_pkts_s"] == pytest.approx(0.5)
    assert r["fwd_act_data_pkts"] == 1 and r["down_up_ratio"] == 0.5
    assert r["pkt_size_avg"] == pytest.approx(100 / 3)
    # one gap > 1 s -> two subflows
    assert (r["subflow_fwd_pkts"], r["subflow_bwd_pkts"], r["subflow_fwd_byts"]) == (1.0, 0.5, 50.0)
    # no gap > 5 s: one active period of 2 s, no idle period
    assert r["active_mean"] == 2_000_000 and r["idle_mean"] == 0


def test_fin_from_both_sides_ends_the_flow_and_a_new_syn_starts_another(tmp_path):
    first = [tcp(1.0, True, "S"), tcp(1.1, False, "SA"), tcp(1.2, True, "A"),
             tcp(1.3, True, "PA", payload=10), tcp(1.4, True, "FA"), tcp(1.5, False, "FA"),
             tcp(1.6, True, "A")]  # the last ACK of the close belongs to the first flow
    second = [tcp(2.0, True, "S"), tcp(2.1, False, "SA"), tcp(2.2, True, "A")]
    cols, stats = flows_of(tmp_path, first + second)
    assert stats.flows == 2
    n = cols["tot_fwd_pkts"] + cols["tot_bwd_pkts"]
    assert n.tolist() == [7, 3]
    assert cols["fin_flag_cnt"].tolist() == [2, 0]
    assert cols["flow_duration"].tolist() == [600_000, 200_000]


def test_rst_ends_the_flow(tmp_path):
    pk = [tcp(1.0, True, "S"), tcp(1.01, False, "RA"), tcp(1.5, True, "S"), tcp(1.6, False, "SA")]
    cols, _ = flows_of(tmp_path, pk)
    assert (cols["tot_fwd_pkts"] + cols["tot_bwd_pkts"]).tolist() == [2, 2]
    assert cols["rst_flag_cnt"].tolist() == [1, 0]


def test_flow_timeout_120s_counts_from_flow_start(tmp_path):
    # 121 s after the first packet -> new flow; its first packet (backward) sets its direction
    pk = [udp(0.0, True), udp(60.0, True), udp(119.9, True), udp(121.0, False), udp(200.0, True)]
    cols, stats = flows_of(tmp_path, pk)
    assert stats.flows == 2
    assert cols["flow_duration"].tolist() == [119_900_000, 79_000_000]
    assert cols["src_ip"].tolist() == [A, B]
    assert cols["src_port"].tolist() == [5000, 53]
    assert cols["tot_fwd_pkts"].tolist() == [3, 1] and cols["tot_bwd_pkts"].tolist() == [0, 1]
    assert cols["init_fwd_win_byts"].tolist() == [-1, -1]  # no TCP


def test_activity_timeout_5s_gives_active_and_idle_periods(tmp_path):
    # gaps 1, 1, 8, 1, 19 s: idle 8 s and 19 s; active [0,2] = 2 s, [10,11] = 1 s, [30] = 0 (dropped)
    pk = [udp(t, True) for t in (0.0, 1.0, 2.0, 10.0, 11.0, 30.0)]
    r = row(flows_of(tmp_path, pk)[0])
    assert (r["idle_mean"], r["idle_max"], r["idle_min"]) == (13_500_000, 19_000_000, 8_000_000)
    assert r["idle_std"] == pytest.approx(math.sqrt(2 * 5_500_000**2))
    assert (r["active_mean"], r["active_max"], r["active_min"]) == (1_500_000, 2_000_000, 1_000_000)
    assert r["active_std"] == pytest.approx(math.sqrt(2 * 500_000**2))
    # subflows split at gaps > 1 s: 8 s and 19 s -> three subflows
    assert r["subflow_fwd_pkts"] == 2.0


def test_bulk_needs_four_data_packets_in_a_row(tmp_path):
    pk = [udp(0.1 * i, True, payload=100) for i in range(5)]  # one bulk: 5 packets, 500 B, 0.4 s
    pk += [udp(0.6, False, payload=50)]
    pk += [udp(0.7 + 0.1 * i, True, payload=100) for i in range(3)]  # only 3: not a bulk
    r = row(flows_of(tmp_path, pk)[0])
    assert (r["fwd_byts_b_avg"], r["fwd_pkts_b_avg"]) == (500, 5)
    assert r["fwd_blk_rate_avg"] == pytest.approx(500 / 0.4)
    assert (r["bwd_byts_b_avg"], r["bwd_pkts_b_avg"], r["bwd_blk_rate_avg"]) == (0, 0, 0)


@pytest.mark.parametrize("linktype,fmt", [(1, "pcap"), (113, "pcap"), (101, "pcap"), (1, "pcapng")])
def test_link_types_formats_ipv6_and_icmp(tmp_path, linktype, fmt):
    c, d = "2001:db8::1", "2001:db8::2"
    pk = [tcp(1.0, True, "S"), tcp(1.2, False, "SA"),
          {"ts": 1.5, "src": c, "dst": d, "sport": 1234, "dport": 443, "flags": "S"},
          {"ts": 1.6, "src": d, "dst": c, "sport": 443, "dport": 1234, "flags": "SA"},
          {"ts": 2.0, "src": A, "dst": B, "sport": 0, "dport": 0, "proto": "icmp", "payload": 56}]
    cols, stats = flows_of(tmp_path, pk, linktype=linktype, fmt=fmt)
    assert stats.linktype == linktype and stats.flows == 3
    assert cols["src_ip"].tolist() == [A, c, A]
    assert cols["protocol"].tolist() == [6, 6, 1]
    assert cols["dst_port"].tolist() == [80, 443, 0]
    assert (cols["tot_fwd_pkts"] + cols["tot_bwd_pkts"]).tolist() == [2, 2, 1]
    assert cols["totlen_fwd_pkts"].tolist()[2] == 56  # ICMP: 8-byte header (with echo id/seq), 56 data
    assert cols["flow_duration"].tolist()[1] == pytest.approx(100_000, abs=1)


def test_interleaved_flows_keep_their_own_statistics(tmp_path):
    rng = np.random.default_rng(0)
    pk = []
    for i in range(50):
        for k in range(3):
            pk.append({"ts": 10.0 + i * 0.01 + k * 0.001, "src": f"10.1.0.{k + 1}", "dst": B,
                       "sport": 1000 + k, "dport": 80, "flags": "PA", "payload": int(rng.integers(1, 500))})
    cols, stats = flows_of(tmp_path, pk)
    assert stats.flows == 3
    for k in range(3):
        sizes = [p["payload"] for p in pk if p["sport"] == 1000 + k]
        assert cols["totlen_fwd_pkts"][k] == sum(sizes)
        assert cols["fwd_pkt_len_std"][k] == pytest.approx(np.std(sizes, ddof=1))
        assert cols["flow_iat_mean"][k] == pytest.approx(10_000, abs=1)


def test_non_ip_and_cut_frames_are_skipped_and_counted(tmp_path):
    import dpkt

    from packetclip.data.pcap_synth import frame

    full = frame(tcp(1.0, True, "PA", payload=1000))
    path = tmp_path / "s.pcap"
    with open(path, "wb") as f:
        w = dpkt.pcap.Writer(f, nano=True)
        w.writepkt(full[:54], ts=1.0)  # snaplen 54: headers only, length still from the IP header
        w.writepkt(full[:40], ts=1.1)  # cut inside the TCP header
        w.writepkt(bytes(dpkt.ethernet.Ethernet(type=0x0806, data=b"\x00" * 28)), ts=1.2)  # ARP
        w.writepkt(full, ts=3.000000999)
    cols, stats = read_flows(path)
    assert stats.skipped == {"not IP": 1, "short TCP header": 1}
    assert stats.used == 2 and cols["totlen_fwd_pkts"].tolist() == [2000]
    assert cols["flow_duration"].tolist() == [2_000_000]  # nanosecond pcap, truncated to microseconds
