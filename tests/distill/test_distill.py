"""A real (tiny) distillation: bundle contents, TFLM verification, determinism, bad input."""

import hashlib
import json
import os
import subprocess
import sys

from packetclip.bundle.checks import check_tflite
from packetclip.bundle.format import load_bundle

PACKETCLIP = [sys.executable, "-m", "packetclip"]


def test_bundle_is_int8_fully_connected_and_within_budget(tiny_run):
    out, result = tiny_run
    b = load_bundle(out)
    s = check_tflite(b.tflite)
    assert s["ops"] == ["FULLY_CONNECTED"]
    m = b.meta
    assert m["input"]["shape"] == [1, len(m["features"])] and m["window"] == 1
    assert m["heads"]["classes"] == [0, len(m["labels"])]
    assert m["heads"]["missions"] == [len(m["labels"]), len(m["labels"]) + 5]
    assert m["missions"] == ["dos", "brute_force", "reconnaissance", "other_attack", "benign"]
    assert m["weight_bytes"] <= 16384 and 0 < m["arena_bytes"] <= 4096
    assert m["macs"] == result["macs"] > 0
    assert {"torch", "litert-torch", "tflite-micro"} <= set(m["tools"])
    assert m["kg_version"] and m["transform"]["kind"] == "signed_log1p_standardize"
    card = (out / "MODEL_CARD.md").read_text()
    assert "Sharafaldin" in card and "packetclip distill" in card and m["tflite_sha256"] in card


def test_tflm_metrics_are_real_and_close_to_the_float_student(tiny_run):
    _, result = tiny_run
    m = result["metrics"]
    assert m["tflm_int8"]["n"] > 1000
    assert m["tflm_int8"]["macro_f1"] > 0.6  # tiny preset: a few epochs only
    assert m["agreement_float_student"] > 0.95
    assert abs(m["tflm_int8"]["macro_f1"] - m["float_student"]["macro_f1"]) < 0.03


def test_verify_reproduces_the_recorded_metrics(tiny_run):
    from packetclip.bundle.verify import verify_bundle

    out, result = tiny_run
    v = verify_bundle(out, log=lambda m: None)
    assert v["tflm"]["macro_f1"] == result["metrics"]["tflm_int8"]["macro_f1"]
    assert v["arena_bytes"] == result["arena_bytes"]


def test_same_command_gives_the_same_bytes(tiny_run, tmp_path):
    from packetclip.distill import distill

    first, _ = tiny_run
    again = tmp_path / first.name
    distill(None, board="mps2-an386", out=str(again), arch="mlp", preset="tiny", max_weights=16384,
            max_arena=4096, log=lambda m: None, command="packetclip distill --labels-only ...")
    for f in ("model.tflite", "model.json", "MODEL_CARD.md"):
        assert hashlib.sha256((first / f).read_bytes()).digest() == hashlib.sha256((again / f).read_bytes()).digest(), f


def _cli(args, cwd):
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    return subprocess.run(PACKETCLIP + args, capture_output=True, text=True, cwd=cwd, env=env, timeout=120)


def test_missing_teacher_folder_is_one_line_exit_2(tmp_path):
    r = _cli(["distill", str(tmp_path / "no-such-run"), "--out", str(tmp_path / "b")], tmp_path)
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0 and "no-such-run" in r.stderr and "packetclip train" in r.stderr
    assert not (tmp_path / "b").exists()


def test_budget_nothing_fits_is_one_line_exit_2(tmp_path):
    r = _cli(["distill", "--labels-only", "--max-weights", "200", "--out", str(tmp_path / "b")], tmp_path)
    assert r.returncode == 2, r.stderr
    assert r.stderr.strip().count("\n") == 0 and "smallest" in r.stderr and "--max-weights" in r.stderr
    assert not (tmp_path / "b").exists()


def test_teacher_from_another_knowledge_graph_is_refused(tmp_path):
    run = tmp_path / "old-teacher"
    run.mkdir()
    (run / "config.json").write_text(json.dumps({"format": 1, "kg_version": "0123456789ab", "labels": ["dos"]}))
    r = _cli(["distill", str(run), "--out", str(tmp_path / "b")], tmp_path)
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0 and "kg_version" in r.stderr and "0123456789ab" in r.stderr
    assert not (tmp_path / "b").exists()
