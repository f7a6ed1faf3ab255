"""split_indices: stratified, by time, by host; and their clear errors."""

import numpy as np
import pytest

from packetclip.data import load_flows, split_indices
from packetclip.data.flows import FlowTable
from packetclip.data.report import CleaningReport
from packetclip.errors import PacketclipError


def table(labels, src_ip=None, timestamp=None):
    n = len(labels)
    meta = {k: None for k in ("src_ip", "dst_ip", "src_port", "dst_port", "protocol", "timestamp")}
    meta["src_ip"] = None if src_ip is None else np.array(src_ip)
    meta["timestamp"] = None if timestamp is None else np.asarray(timestamp, dtype=float)
    return FlowTable(np.zeros((n, 2)), ["a", "b"], np.array(labels), np.array(labels), meta,
                     CleaningReport(), "cicids2017", "t.csv")


def check_partition(parts, n):
    allidx = np.concatenate([parts["train"], parts["val"], parts["test"]])
    assert sorted(allidx.tolist()) == list(range(n))


def test_stratified_on_sample_is_seeded_and_stratified():
    t = load_flows()
    a = split_indices(t, test=0.3, val=0.1, seed=0)
    b = split_indices(t, test=0.3, val=0.1, seed=0)
    c = split_indices(t, test=0.3, val=0.1, seed=1)
    check_partition(a, len(t))
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not np.array_equal(a["test"], c["test"])
    for cls in np.unique(t.labels):
        n = (t.labels == cls).sum()
        assert abs((t.labels[a["test"]] == cls).sum() - 0.3 * n) <= 1
        assert (t.labels[a["val"]] == cls).sum() >= 1


def test_stratified_too_few_rows_per_class():
    t = table(["x"] * 5 + ["rare"])
    with pytest.raises(PacketclipError, match="class 'rare' has 1 row"):
        split_indices(t)


def test_time_split_orders_by_timestamp():
    ts = [5, 1, 9, 3, 7, 2, 8, 4, 6, 0]
    t = table(["x"] * 10, timestamp=ts)
    p = split_indices(t, kind="time", test=0.3, val=0.2)
    check_partition(p, 10)
    assert max(np.array(ts)[p["train"]]) < min(np.array(ts)[p["val"]]) <= max(np.array(ts)[p["val"]]) < min(np.array(ts)[p["test"]])
    with pytest.raises(PacketclipError, match="needs a Timestamp column"):
        split_indices(table(["x"] * 4), kind="time")


def test_host_split_keeps_each_host_in_one_split():
    rng = np.random.default_rng(0)
    hosts = [f"10.0.0.{i}" for i in rng.integers(0, 12, 400)]
    t = table(["x"] * 400, src_ip=hosts)
    p = split_indices(t, kind="host", test=0.3, val=0.1, seed=3)
    check_partition(p, 400)
    sets = {k: set(np.array(hosts)[v]) for k, v in p.items()}
    assert not (sets["train"] & sets["test"]) and not (sets["train"] & sets["val"]) and not (sets["val"] & sets["test"])
    assert all(len(v) for v in p.values())
    assert 0.15 < len(p["test"]) / 400 < 0.45
    assert all(np.array_equal(p[k], split_indices(t, kind="host", test=0.3, val=0.1, seed=3)[k]) for k in p)
    with pytest.raises(PacketclipError, match="needs source addresses"):
        split_indices(table(["x"] * 4), kind="host")
    with pytest.raises(PacketclipError, match="1 distinct source address"):
        split_indices(table(["x"] * 4, src_ip=["1.1.1.1"] * 4), kind="host")


def test_bad_fractions_and_kind():
    t = table(["x"] * 10)
    with pytest.raises(PacketclipError, match="test \\+ val < 1"):
        split_indices(t, test=0.6, val=0.5)
    with pytest.raises(PacketclipError, match="unknown"):
        split_indices(t, kind="random")
