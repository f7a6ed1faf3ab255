"""Code generation: determinism, file contract, planner reuse, one-line errors, CLI."""

import json

import numpy as np
import pytest
from click.testing import CliRunner

from packetclip.codegen import generate, generate_tflite
from packetclip.codegen.plan import Buf, plan
from packetclip.codegen.synth import ModelBuilder
from packetclip.errors import PacketclipError

from . import oneop


@pytest.fixture(scope="module")
def mlp_bytes():
    return oneop.mlp(np.random.default_rng(7))


def _read_all(d):
    return {p.name: p.read_bytes() for p in sorted(d.iterdir())}


@pytest.mark.parametrize("engine", ["aot", "tflm"])
def test_generation_is_byte_identical(mlp_bytes, tmp_path, engine):
    a = generate_tflite(mlp_bytes, tmp_path / "a", engine=engine, arena_probe=2000)
    b = generate_tflite(mlp_bytes, tmp_path / "b", engine=engine, arena_probe=2000)
    fa, fb = _read_all(tmp_path / "a"), _read_all(tmp_path / "b")
    assert fa == fb
    assert sorted(fa) == a["files"] == b["files"]
    for name, data in fa.items():
        assert str(tmp_path).encode() not in data, name


def test_aot_files_and_config(mlp_bytes, tmp_path):
    rep = generate_tflite(mlp_bytes, tmp_path / "g", engine="aot")
    assert rep["files"] == ["codegen.json", "pc_model.c", "pc_model_config.h"]
    cfg = (tmp_path / "g" / "pc_model_config.h").read_text()
    assert "#define PC_MODEL_INPUT_BYTES 40\n" in cfg and "#define PC_MODEL_OUTPUT_BYTES 12\n" in cfg
    src = (tmp_path / "g" / "pc_model.c").read_text()
    assert "int pc_engine_invoke(void)" in src and "int8_t *pc_engine_input(void)" in src
    assert src.count("pc_aot_fc(") == 3
    assert rep["macs"] == 40 * 64 + 64 * 32 + 32 * 12
    assert json.loads((tmp_path / "g" / "codegen.json").read_text())["arena_bytes"] == rep["arena_bytes"]


def test_planner_reuses_buffers(mlp_bytes, tmp_path):
    rep = generate_tflite(mlp_bytes, tmp_path / "g", engine="aot")
    assert rep["activation_peak_bytes"] < rep["activation_sum_bytes"]
    # buffers whose lifetimes overlap never share bytes
    bufs = rep["buffers"]
    for i, a in enumerate(bufs):
        for b in bufs[i + 1:]:
            if not (a["last"] < b["first"] or b["last"] < a["first"]):
                assert a["offset"] + a["size"] <= b["offset"] or b["offset"] + b["size"] <= a["offset"]


def test_plan_chain_reuses_memory():
    bufs = [Buf(f"b{i}", 96, i, i + 1) for i in range(6)]
    peak = plan(bufs)
    assert peak == 192 and sum(b.size for b in bufs) == 576


def test_tflm_files(mlp_bytes, tmp_path):
    rep = generate_tflite(mlp_bytes, tmp_path / "t", engine="tflm", arena_probe=3000)
    d = tmp_path / "t"
    ops_h = (d / "tflm_ops.h").read_text()
    assert "#define PC_TFLM_OP_COUNT 1\n" in ops_h and "r.AddFullyConnected()" in ops_h
    assert "alignas(16) const unsigned char pc_model_tflite[" in (d / "pc_model_data.cc").read_text()
    assert f"#define PC_TFLM_ARENA_BYTES {rep['arena_bytes']}" in (d / "pc_model_config.h").read_text()
    assert rep["arena_bytes"] > 3000


def _model_with(op_name):
    b = ModelBuilder()
    x = b.tensor([1, 8], scale=0.1, zero_point=0)
    y = b.tensor([1, 8], scale=0.1, zero_point=0)
    z = b.tensor([1, 8], scale=0.1, zero_point=0)
    b.op("QUANTIZE", [x], [y])
    b.op(op_name, [y], [z])
    return b.build([x], [z])


@pytest.mark.parametrize("engine,op", [("aot", "TANH"), ("tflm", "TANH"), ("aot", "HARD_SWISH")])
def test_unsupported_op_is_one_line_error(tmp_path, engine, op):
    with pytest.raises(PacketclipError) as e:
        generate_tflite(_model_with(op), tmp_path / "x", engine=engine, arena_probe=1000)
    msg = str(e.value)
    assert "\n" not in msg and "node 1" in msg and op in msg and "replace" in msg
    assert not (tmp_path / "x").exists()


def test_not_a_tflite(tmp_path):
    (tmp_path / "m.tflite").write_bytes(b"hello world, not a model")
    with pytest.raises(PacketclipError, match="not a TensorFlow Lite flatbuffer"):
        generate(tmp_path / "m.tflite", tmp_path / "out")


def test_cli_codegen(mlp_bytes, tmp_path):
    from packetclip.codegen.commands import codegen

    (tmp_path / "m.tflite").write_bytes(mlp_bytes)
    r = CliRunner().invoke(codegen, [str(tmp_path / "m.tflite"), "--engine", "aot", "--out", str(tmp_path / "o"), "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["macs"] == 4992
    assert (tmp_path / "o" / "pc_model.c").exists()


def test_plan_anchored_buffers_move_together():
    # a: live 0..1; b is written over a at op 1 (b's offset = a's - 16); c lives across both
    a, b, c = Buf("a", 64, 0, 1), Buf("b", 64, 1, 2, anchor="a", rel=-16), Buf("c", 32, 0, 2)
    peak = plan([a, b, c], align=4)
    assert b.offset == a.offset - 16 and peak == 32 + 80
    for x, y in ((a, c), (b, c)):
        assert x.offset + x.size <= y.offset or y.offset + y.size <= x.offset


def test_mlperf_activation_ram_below_tflm_arena(mlperf, tmp_path):
    """Activation RAM (the aot arena, input and output included) next to TFLM's arena."""
    from packetclip.bundle.format import load_bundle

    for name, path in mlperf.items():
        b = load_bundle(path)
        rep = generate(b, tmp_path / name, engine="aot")
        assert rep["arena_bytes"] <= 0.7 * b.meta["arena_bytes"], (name, rep["arena_bytes"], b.meta["arena_bytes"])
        assert any("over" in buf for buf in rep["buffers"]) or name == "ad01"   # in-place ops where legal
