"""`packetclip export` and `packetclip verify` end to end (CLI: one line, exit 2 on bad input)."""

import json
import os
import subprocess
import sys
from pathlib import Path

from packetclip.bundle.format import load_bundle

DEFAULT_BUNDLE = Path(__file__).resolve().parents[2] / "models" / "cicids2017-mlp"


def _cli(args, cwd):
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    return subprocess.run([sys.executable, "-m", "packetclip", *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=120)


def test_export_a_users_int8_tflite_then_verify_it(tmp_path):
    meta = json.loads((DEFAULT_BUNDLE / "model.json").read_text())
    (tmp_path / "labels.txt").write_text("\n".join(meta["labels"]) + "\n")
    (tmp_path / "transform.json").write_text(json.dumps(meta["transform"]))
    out = tmp_path / "mine"
    r = _cli(["export", "--tflite", str(DEFAULT_BUNDLE / "model.tflite"), "--labels", str(tmp_path / "labels.txt"),
              "--features", ",".join(meta["features"]), "--transform", str(tmp_path / "transform.json"),
              "--out", str(out)], tmp_path)
    assert r.returncode == 0, r.stderr
    b = load_bundle(out)
    assert b.sha256 == meta["tflite_sha256"] and b.meta["heads"]["missions"] == meta["heads"]["missions"]
    assert b.meta["arena_bytes"] == meta["arena_bytes"]
    # verify on a user's flow file: every row of it
    from packetclip.data import sample_path

    r = _cli(["verify", str(out), "--data", str(sample_path()), "--json"], tmp_path)
    assert r.returncode == 0, r.stderr
    v = json.loads(r.stdout)
    assert v["tflm"]["n"] > 5000 and v["tflm"]["macro_f1"] > 0.8


def test_verify_default_bundle_on_its_test_split(tmp_path):
    from packetclip.bundle.verify import verify_bundle

    v = verify_bundle(DEFAULT_BUNDLE, log=lambda m: None)
    meta = json.loads((DEFAULT_BUNDLE / "model.json").read_text())
    assert v["tflm"]["macro_f1"] == meta["metrics"]["tflm_int8"]["macro_f1"]
    assert v["arena_bytes"] == meta["arena_bytes"] <= 4096


def test_export_dynamic_range_is_one_line_exit_2(bad_models, tmp_path):
    r = _cli(["export", "--tflite", str(bad_models["dynamic"]), "--out", str(tmp_path / "b")], tmp_path)
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0 and "dynamic-range" in r.stderr
    assert not (tmp_path / "b").exists()


def test_keras_without_tensorflow_says_how_to_install(tmp_path):
    r = _cli(["export", "--keras", "model.keras", "--out", str(tmp_path / "b")], tmp_path)
    assert r.returncode == 2 and "pip install packetclip[keras]" in r.stderr
