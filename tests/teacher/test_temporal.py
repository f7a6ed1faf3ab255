"""Temporal windows: per source host, by timestamp, and a teacher that uses them when it can."""

import dataclasses

import numpy as np


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


def test_step_budget_caps_epochs_on_big_captures():
    from packetclip.teacher.config import resolve
    from packetclip.teacher.trainer import _step_budget

    cfg = resolve("full")
    assert _step_budget(cfg, 3000) == cfg  # the CIC sample: 60 epochs of 12 steps, under the budget
    big = _step_budget(cfg, 25_000)        # 98 steps an epoch
    assert big["epochs"] == -(-cfg["max_steps"] // 98) < 60 and big["epochs_before_step_budget"] == 60
    assert 1 <= big["pretrain_epochs"] == round(10 * big["epochs"] / 60)
