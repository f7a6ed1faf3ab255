"""Checks every exported file must pass, on real converted files."""

from pathlib import Path

import pytest

from packetclip.bundle.checks import check_tflite
from packetclip.bundle.tflite import parse_tflite
from packetclip.errors import PacketclipError

DEFAULT_BUNDLE = Path(__file__).resolve().parents[2] / "models" / "cicids2017-mlp"


def test_default_bundle_passes_and_reports_its_quantization():
    s = check_tflite((DEFAULT_BUNDLE / "model.tflite").read_bytes())
    assert s["ops"] == ["FULLY_CONNECTED"]
    assert s["input"]["scale"] > 0 and -128 <= s["input"]["zero_point"] <= 127
    assert s["weight_bytes"] <= 16384 and s["macs"] > 0


def test_float_model_names_the_float_tensor_and_node(bad_models):
    with pytest.raises(PacketclipError) as e:
        check_tflite(bad_models["float"].read_bytes(), "float.tflite")
    msg = str(e.value)
    assert "FLOAT32" in msg and "node 0 (FULLY_CONNECTED)" in msg and "full-integer" in msg and "\n" not in msg


def test_dynamic_range_model_explains_tflm_and_the_fix(bad_models):
    with pytest.raises(PacketclipError) as e:
        check_tflite(bad_models["dynamic"].read_bytes(), "dyn.tflite")
    msg = str(e.value)
    assert "dynamic-range" in msg and "TFLM" in msg and "representative_dataset" in msg and "TFLITE_BUILTINS_INT8" in msg


def test_unsupported_op_names_op_and_node(bad_models):
    data = bad_models["int8_reshape"].read_bytes()
    assert [o.op for o in parse_tflite(data).operators] == ["RESHAPE", "FULLY_CONNECTED", "RESHAPE"]
    check_tflite(data, "ok.tflite", supported_ops=("FULLY_CONNECTED", "RESHAPE"))  # all int8
    with pytest.raises(PacketclipError) as e:
        check_tflite(data, "r.tflite", supported_ops=("FULLY_CONNECTED",))
    assert "node 0 uses op RESHAPE" in str(e.value) and "supported: FULLY_CONNECTED" in str(e.value)


def test_garbage_is_not_a_tflite(tmp_path):
    with pytest.raises(PacketclipError, match="not a TensorFlow Lite flatbuffer"):
        check_tflite(b"hello world, not a model", "x.tflite")
