"""The shared preprocessing module: one transform, one streaming window builder, one host key."""

import zlib

import numpy as np
import pytest

from packetclip.data import prep


def test_host_key_is_crc32_of_the_canonical_address():
    assert prep.host_key("10.0.0.1") == zlib.crc32(b"10.0.0.1")
    # IPv6 in any spelling -> its compressed form; surrounding spaces do not matter
    assert prep.host_key(" 2001:DB8:0:0::1 ") == zlib.crc32(b"2001:db8::1")
    assert prep.host_key("not-an-ip") == zlib.crc32(b"not-an-ip")
    keys, uniq = prep.host_keys(np.array(["10.0.0.1", "10.0.0.2", "10.0.0.1"]))
    assert keys.dtype == np.uint32 and keys[0] == keys[2] != keys[1] and len(uniq) == 2


def test_windows_follow_each_host_in_stream_order():
    meta = {"timestamp": np.array([5.0, 1.0, 2.0, 3.0, 4.0]), "src_ip": np.array(["a", "b", "a", "a", "b"])}
    idx, st = prep.flow_windows(meta, 5, 3)
    # host a: rows 2 (t=2), 3 (t=3), 0 (t=5); host b: rows 1 (t=1), 4 (t=4)
    assert idx.tolist() == [[2, 3, 0], [-1, -1, 1], [-1, -1, 2], [-1, 2, 3], [-1, 1, 4]]
    assert (st.context, st.hosts, st.addresses, st.evictions, st.collisions) == ("host_time", 2, 2, 0, 0)


def test_equal_times_keep_file_order():
    idx, _ = prep.window_index(np.array([7, 7, 7]), np.array([1.0, 1.0, 1.0]), 3)
    assert idx.tolist() == [[-1, -1, 0], [-1, 0, 1], [0, 1, 2]]


def test_stringdtype_addresses_from_the_reader_work():
    """csvread gives addresses as numpy StringDType; the old windows crashed casting them."""
    src = np.array(["10.0.0.1", "10.0.0.2", "10.0.0.1"], dtype=np.dtypes.StringDType())
    idx, st = prep.flow_windows({"src_ip": src, "timestamp": np.array([0.0, 1.0, 2.0])}, 3, 2)
    assert idx.tolist() == [[-1, 0], [-1, 1], [0, 2]] and st.addresses == 2


def test_bounded_table_evicts_least_recently_seen_and_counts_returns():
    keys = np.array([1, 2, 1, 3, 2, 1])          # capacity 2: 3 evicts 2 (1 was seen later), 2 evicts 1 ...
    idx, st = prep.window_index(keys, np.arange(6.0), 3, capacity=2)
    assert idx.tolist() == [[-1, -1, 0], [-1, -1, 1], [-1, 0, 2], [-1, -1, 3], [-1, -1, 4], [-1, -1, 5]]
    assert (st.evictions, st.returns, st.max_hosts) == (3, 2, 2)
    unbounded, st2 = prep.window_index(keys, np.arange(6.0), 3)
    assert unbounded[4].tolist() == [-1, 1, 4] and unbounded[5].tolist() == [0, 2, 5] and st2.evictions == 0


def test_colliding_keys_share_one_history_and_are_counted(monkeypatch):
    monkeypatch.setattr(prep, "host_key", lambda a: 5 if a in ("x", "y") else 6)
    meta = {"src_ip": np.array(["x", "y", "z"]), "timestamp": np.array([0.0, 1.0, 2.0])}
    idx, st = prep.flow_windows(meta, 3, 2)
    assert idx[1].tolist() == [0, 1]  # y sees x's flow: the device would too
    assert (st.hosts, st.addresses, st.collisions) == (2, 3, 1)


def test_without_addresses_or_times_each_flow_is_alone():
    idx, st = prep.flow_windows({"timestamp": None, "src_ip": None}, 4, 8)
    assert st.context == "none" and (idx[:, :-1] == -1).all() and idx[:, -1].tolist() == [0, 1, 2, 3]


def test_transform_and_padding():
    X = np.array([[0.0, 10.0], [np.nan, 1e9], [np.inf, -5.0]])
    t = prep.fit_transform(X[:1].repeat(3, 0) + [[0, 1]] * np.arange(3)[:, None])
    Z = prep.apply_transform(t, X)
    assert Z.dtype == np.float32 and np.isfinite(Z).all()
    assert np.array_equal(Z[1, 0], Z[0, 0]) and Z[2, 0] == Z[0, 0]  # NaN and inf read as 0
    assert abs(Z).max() <= t["clip"]
    meta = {"src_ip": np.array(["a", "a"]), "timestamp": np.array([0.0, 1.0])}
    p = prep.prepare(X[:2], meta, t, 3)
    w = p.windows()
    assert w.shape == (2, 3, 2) and (w[0, :2] == prep.PAD).all() and np.array_equal(w[1, 1], p.Z[0])
    assert p.valid().tolist() == [[False, False, True], [False, True, True]]
    assert (p.without_context().windows()[1, :2] == prep.PAD).all()
    q = prep.quantize(w, 0.05, -3)
    assert (q[0, :2] == -3).all()  # a padding row is the input zero point in every byte
    mean, cnt = p.history_mean(3)
    assert cnt.tolist() == [0, 1] and np.allclose(mean[1], p.Z[0]) and (mean[0] == 0).all()


def test_capacity_must_be_positive():
    with pytest.raises(ValueError):
        prep.window_index(np.array([1]), np.array([0.0]), 2, capacity=0)
