"""`packetclip export --tflite` for any fully-int8 model: generic bundles, and the bad models a
user may bring, each one line, exit 2, no bundle folder left behind."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from packetclip.codegen.synth import ModelBuilder


def _cli(args, cwd):
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    return subprocess.run([sys.executable, "-m", "packetclip", *args], capture_output=True, text=True, cwd=cwd, env=env,
                          timeout=300)


def test_export_mlperf_kws_is_generic(tmp_path):
    from tests_mlperf import MLPERF_DIR

    src = MLPERF_DIR / "kws_ref_model.tflite"
    if not src.exists():
        pytest.skip("MLPerf Tiny models not found")
    r = _cli(["export", "--tflite", str(src), "--out", str(tmp_path / "kws")], tmp_path)
    assert r.returncode == 0, r.stderr
    meta = json.loads((tmp_path / "kws" / "model.json").read_text())
    assert meta["kind"] == "generic" and meta["input"]["shape"] == [1, 49, 10, 1] and meta["arena_bytes"] == 24272
    assert "labels" not in meta and "generic bundle" in r.stdout
    assert "conform --inputs" in (tmp_path / "kws" / "MODEL_CARD.md").read_text()


def _fc(dtype_act="INT8", op="FULLY_CONNECTED", signature=None):
    b = ModelBuilder()
    x = b.tensor([1, 8], dtype=dtype_act, scale=0.1, zero_point=0, signature=signature)
    w = b.tensor([4, 8], scale=[0.01], zero_point=[0], data=np.ones((4, 8)))
    bias = b.tensor([4], dtype="INT32" if dtype_act == "INT8" else "INT64", scale=[0.001], zero_point=[0], data=np.zeros(4))
    y = b.tensor([1, 4], dtype=dtype_act, scale=0.1, zero_point=0)
    if op == "FULLY_CONNECTED":
        b.op(op, [x, w, bias], [y])
        return b.build([x], [y])
    z = b.tensor([1, 4], scale=0.1, zero_point=0)
    b.op("FULLY_CONNECTED", [x, w, bias], [y])
    b.op(op, [y], [z])
    return b.build([x], [z])


@pytest.mark.parametrize("make,words", [
    (lambda: _fc("INT16"), ["INT16 activation", "node 0 (FULLY_CONNECTED)", "int8 activations"]),
    (lambda: _fc(op="TANH"), ["node 1 uses op TANH", "replace that layer"]),
    (lambda: _fc(signature=[1, -1]), ["dynamic shape [1, -1]", "fixed"]),
    (lambda: b"\x00" * 64, ["not a TensorFlow Lite flatbuffer"]),
])
def test_bad_models_one_line_exit_2_no_bundle(tmp_path, make, words):
    (tmp_path / "m.tflite").write_bytes(make())
    r = _cli(["export", "--tflite", str(tmp_path / "m.tflite"), "--out", str(tmp_path / "b")], tmp_path)
    err = r.stderr.strip()
    assert r.returncode == 2 and len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert all(w in err for w in words), err
    assert "m.tflite" in err and not (tmp_path / "b").exists()


def test_float_model_one_line_exit_2(bad_models, tmp_path):
    r = _cli(["export", "--tflite", str(bad_models["float"]), "--out", str(tmp_path / "b")], tmp_path)
    assert r.returncode == 2 and "FLOAT32" in r.stderr and "full-integer" in r.stderr and not (tmp_path / "b").exists()


def test_verify_generic_bundle(tmp_path):
    from tests_mlperf import MLPERF_DIR

    src = MLPERF_DIR / "ad01_int8.tflite"
    if not src.exists():
        pytest.skip("MLPerf Tiny models not found")
    assert _cli(["export", "--tflite", str(src), "--out", str(tmp_path / "ad")], tmp_path).returncode == 0
    r = _cli(["verify", str(tmp_path / "ad"), "--json"], tmp_path)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["kind"] == "generic" and json.loads(r.stdout)["arena_bytes"] == 4640
    r = _cli(["verify", str(tmp_path / "ad"), "--data", str(tmp_path / "x.csv")], tmp_path)
    assert r.returncode == 2 and "conform --inputs" in r.stderr
