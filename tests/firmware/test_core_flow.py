"""FLOW through the C core (firmware/core/frame.c + hosts.c) on the host: the device builds each
flow's window from its host table exactly as the host reference (packetclip.data.prep) does,
computes FLOW ids strictly in order, answers a resent FLOW from its replay buffer instead of
counting it twice, and refuses what does not fit its mode with a documented error."""

import ctypes

import numpy as np
import pytest
from fwutil import FAKE_OUT, FLOW_HOSTS, FLOW_WINDOW, FLOW_ZP, fake_expected

from packetclip.data.prep import host_key, window_index
from packetclip.device import protocol as p

ROW = 40 // FLOW_WINDOW


def feed(lib, data):
    lib.pc_core_feed(bytes(data), len(data))
    buf = ctypes.create_string_buffer(1 << 16)
    n = lib.test_take_output(buf, len(buf))
    return [p.decode_frame(c) for c in p.Deframer().feed(buf.raw[:n])]


def reset(lib):
    (f,) = feed(lib, p.encode_frame(p.RESET_CONTEXT, 1))
    assert f.type == p.CONTEXT and p.parse_context(f.body) == 0


def flow(lib, seq, fid, key, t, row):
    (f,) = feed(lib, p.encode_frame(p.FLOW, seq, p.pack_flow(fid, key, t, row)))
    return f


def _stream(n, seed):
    rng = np.random.default_rng(seed)
    addrs = [f"10.1.0.{a}" for a in rng.integers(0, 3 * FLOW_HOSTS, n)]
    keys = np.array([host_key(a) for a in addrs], np.uint32)
    times = np.cumsum(rng.integers(0, 4, n)) * 1000
    rows = rng.integers(-128, 128, (n, ROW), dtype=np.int8)
    rows[:, 0] = np.where((rows[:, 0] == -128) & (rows[:, 1] == 127), 0, rows[:, 0])  # not the engine's fail input
    return keys, times, rows


def _reference(keys, times, rows):
    idx, stats = window_index(keys, times, FLOW_WINDOW, FLOW_HOSTS)
    pad = np.vstack([rows, np.full((1, ROW), FLOW_ZP, np.int8)])
    windows = pad[np.where(idx < 0, len(rows), idx)].reshape(len(rows), -1)
    return windows, (idx[:, :-1] >= 0).sum(axis=1), stats


@pytest.mark.parametrize("seed", range(3))
def test_flow_stream_matches_the_host_reference(flow_core_lib, seed):
    lib = flow_core_lib
    keys, times, rows = _stream(200, seed)
    reset(lib)
    got = [p.parse_flow_result(flow(lib, 1 + i % 200, i, keys[i], times[i], rows[i].tobytes()).body, FAKE_OUT)
           for i in range(len(keys))]
    windows, hist, ref = _reference(keys, times, rows)
    assert [g[1] for g in got] == list(range(len(keys)))
    assert [g[2] for g in got] == hist.tolist()
    outs = np.frombuffer(b"".join(g[3] for g in got), np.int8).reshape(len(got), FAKE_OUT)
    assert np.array_equal(outs, fake_expected(windows))
    (f,) = feed(lib, p.encode_frame(p.STATS, 9))
    st = p.parse_stats(f.body)
    assert (st["flows"], st["evictions"], st["hosts_in_table"]) == (len(keys), ref.evictions, FLOW_HOSTS)
    assert ref.evictions > 0 and ref.returns > 0


def test_resent_flow_is_answered_from_the_replay_buffer(flow_core_lib):
    lib = flow_core_lib
    keys, times, rows = _stream(12, 7)
    reset(lib)
    first = [flow(lib, 10 + i, i, keys[i], times[i], rows[i].tobytes()) for i in range(12)]
    replays_before = p.parse_stats(feed(lib, p.encode_frame(p.STATS, 2))[0].body)["flow_replays"]
    again = flow(lib, 99, 9, keys[9], times[9], rows[9].tobytes())     # its reply was "lost": sent again
    assert again.type == p.FLOW_RESULT and again.body == first[9].body
    nxt = p.parse_flow_result(flow(lib, 100, 12, keys[0], times[11] + 1, rows[0].tobytes()).body, FAKE_OUT)
    windows, _, _ = _reference(np.append(keys, keys[0]), np.append(times, times[11] + 1), np.vstack([rows, rows[:1]]))
    assert np.array_equal(np.frombuffer(nxt[3], np.int8), fake_expected(windows[12:13])[0])   # history not doubled
    st = p.parse_stats(feed(lib, p.encode_frame(p.STATS, 3))[0].body)
    assert st["flow_replays"] == replays_before + 1 and st["flows"] == 13


def test_gap_and_stale_flows_are_refused(flow_core_lib):
    lib = flow_core_lib
    keys, times, rows = _stream(30, 3)
    reset(lib)
    for i in range(20):
        flow(lib, 1 + i, i, keys[i], times[i], rows[i].tobytes())
    gap = flow(lib, 50, 22, keys[22], times[22], rows[22].tobytes())          # 20 and 21 were lost
    assert gap.type == p.ERROR and p.parse_error(gap.body) == (p.ERR_FLOW_GAP, p.FLOW)
    ok = flow(lib, 51, 20, keys[20], times[20], rows[20].tobytes())
    assert ok.type == p.FLOW_RESULT and p.parse_flow_result(ok.body)[1] == 20
    stale = flow(lib, 52, 1, keys[1], times[1], rows[1].tobytes())            # older than the replay buffer
    assert stale.type == p.ERROR and p.parse_error(stale.body) == (p.ERR_FLOW_STALE, p.FLOW)
    bad = feed(lib, p.encode_frame(p.FLOW, 53, p.pack_flow(21, 1, 0, b"\x01" * (ROW + 1))))[0]
    assert p.parse_error(bad.body) == (p.ERR_BAD_LENGTH, p.FLOW)


def test_info_reports_the_host_table_and_infer_is_refused(flow_core_lib):
    lib = flow_core_lib
    (f,) = feed(lib, p.encode_frame(p.HELLO, 4, p.pack_hello()))
    t = p.parse_info(f.body).temporal
    assert (t["window"], t["hosts"], t["replay"]) == (FLOW_WINDOW, FLOW_HOSTS, 8)
    assert t["table_bytes"] >= FLOW_HOSTS * (FLOW_WINDOW - 1) * ROW
    (f,) = feed(lib, p.encode_frame(p.INFER, 5, bytes(40)))
    assert p.parse_error(f.body) == (p.ERR_WRONG_MODE, p.INFER)


def test_a_per_flow_device_refuses_flow(core_lib):
    (f,) = feed(core_lib, p.encode_frame(p.FLOW, 6, p.pack_flow(0, 1, 0, bytes(10))))
    assert p.parse_error(f.body) == (p.ERR_WRONG_MODE, p.FLOW)
    (f,) = feed(core_lib, p.encode_frame(p.HELLO, 7, p.pack_hello()))
    assert p.parse_info(f.body).temporal is None
