"""Temporal windows: per source host, by timestamp, and a teacher that uses them when it can."""

import dataclasses

import numpy as np

from packetclip.teacher.temporal import build_windows


def test_windows_follow_host_and_time():
    meta = {"src_ip": np.array(["a", "b", "a", "a", "b"]), "timestamp": np.array([5.0, 1.0, 1.0, 3.0, 2.0])}
    w = build_windows(meta, 5, 3)
    # host a in time order: rows 2 (t=1), 3 (t=3), 0 (t=5); host b: 1 (t=1), 4 (t=2)
    assert w[0].tolist() == [2, 3, 0]
    assert w[3].tolist() == [-1, 2, 3]
    assert w[4].tolist() == [-1, 1, 4]
    assert w[1].tolist() == [-1, -1, 1]
    assert build_windows({}, 5, 3)[:, :2].max() == -1  # no meta: each flow alone


def test_teacher_uses_windows_when_meta_exists(tmp_path):
    from packetclip.data import load_flows
    from packetclip.teacher import load_teacher, train

    t = load_flows()
    rng = np.random.default_rng(0)
    n = len(t)
    meta = dict(t.meta, src_ip=np.array([f"10.0.0.{i}" for i in rng.integers(0, 40, n)]),
                timestamp=np.arange(n, dtype=float))
    t = dataclasses.replace(t, meta=meta)
    r = train(t, out=tmp_path / "run", preset="tiny", epochs=2, pretrain_epochs=1, max_rows=400, quiet=True)
    assert r["metrics"]["temporal"]["used"] is True and r["config"]["window"] == 3
    teacher = load_teacher(tmp_path / "run")
    out = teacher.predict(t.X[:50], {k: (None if v is None else v[:50]) for k, v in meta.items()})
    assert out["class_logits"].shape == (50, len(teacher.labels))
    assert np.isfinite(out["class_logits"]).all()
