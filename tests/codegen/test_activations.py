"""SOFTMAX and LOGISTIC beyond the random cases of test_kernels: every int8 input (logistic),
every pair of int8 inputs (softmax over [256, 2]), the corners of TFLM's Prepare arithmetic
(capped softmax multiplier, zero logistic radius) and the one-line errors for illegal models."""

import shutil

import numpy as np
import pytest

from packetclip.bundle import golden
from packetclip.codegen import generate_tflite, quant
from packetclip.codegen.hostrun import build_host
from packetclip.codegen.synth import ModelBuilder
from packetclip.errors import PacketclipError
from packetclip.resources import source_tree

from . import oneop


def _both(tflite, tmp_path, X):
    generate_tflite(tflite, tmp_path / "gen", engine="aot")
    model = build_host(tmp_path / "gen", work_dir=tmp_path)
    got = model.run(X)
    want = golden.run_tflm(tflite, X).reshape(got.shape)
    return got, want


ALL_INT8 = np.arange(-128, 128, dtype=np.int64)


# scale >= 8: TFLM's input radius is 0, every input saturates (and x == zp gives -128)
@pytest.mark.parametrize("scale,zp", [(0.0021, 5), (0.02, -128), (0.0625, 0), (0.1, 127),
                                      (0.37, -40), (1.3, 17), (5.0, -3), (9.0, 0)])
def test_logistic_every_input(scale, zp, tmp_path):
    tflite = oneop.logistic(np.random.default_rng(0), scale=scale, shape=[1, 256], zero_point=zp)
    X = np.stack([ALL_INT8, ALL_INT8[::-1]]).astype(np.int8)
    got, want = _both(tflite, tmp_path, X)
    np.testing.assert_array_equal(got, want)
    assert len(np.unique(want)) > (1 if scale < 8 else 0)


# beta * scale >= 32 caps TFLM's multiplier at 2^31 - 1; large beta * scale makes diff_min bite
@pytest.mark.parametrize("scale,beta", [(0.004, 1.0), (0.05, 1.0), (0.1, 0.5), (0.3, 2.0),
                                        (1.0, 1.0), (8.0, 3.7), (40.0, 1.0)])
def test_softmax_every_pair(scale, beta, tmp_path):
    tflite = oneop.softmax(np.random.default_rng(1), scale=scale, beta=beta, shape=[256, 2])
    # row j of one invoke: (i - 128, j - 128); 256 invokes cover all 65,536 pairs
    X = np.stack([np.stack([np.full(256, a), ALL_INT8], axis=1).reshape(-1) for a in ALL_INT8]).astype(np.int8)
    got, want = _both(tflite, tmp_path, X)
    np.testing.assert_array_equal(got, want)


def test_softmax_wide_rows_and_extremes(tmp_path):
    rng = np.random.default_rng(2)
    tflite = oneop.softmax(rng, scale=0.06, beta=1.0, shape=[3, 511])   # 511: the widest legal row
    X = rng.integers(-128, 128, (8, 3 * 511)).astype(np.int8)
    X[0], X[1] = -128, 127
    X[2, ::2], X[2, 1::2] = -128, 127
    X[3, :] = -128
    X[3, 1234] = 127
    X[4, :] = rng.integers(120, 128, 3 * 511)   # near-equal rows: the largest sums of exps
    got, want = _both(tflite, tmp_path, X)
    np.testing.assert_array_equal(got, want)


def test_prepare_numbers():
    # 1 * 2^-4 * 2^26 = 2^22 -> mantissa 2^30, shift 23; radius 31 * 2^26 / 2^23 = 248
    assert quant.softmax_params(0.0625, 1.0) == (1 << 30, 23, -248)
    assert quant.softmax_params(64.0, 1.0) == ((1 << 31) - 1, 31, 0)   # capped multiplier
    # 2^-4 * 2^27 = 2^23 -> mantissa 2^30, shift 24; radius 15 * 2^27 / 2^24 = 120
    assert quant.logistic_params(0.0625) == (1 << 30, 24, 120)
    assert quant.logistic_params(16.0)[2] == 0
    with pytest.raises(ValueError):
        quant.softmax_params(1e-9, 1.0)   # TFLM's Prepare would abort the process


def _act_model(op, out_scale, out_zp, beta=1.0, in_scale=0.05, n=10):
    b = ModelBuilder()
    x = b.tensor([1, n], scale=in_scale, zero_point=3)
    y = b.tensor([1, n], scale=out_scale, zero_point=out_zp)
    if op == "SOFTMAX":
        b.op(op, [x], [y], beta=beta)
    else:
        b.op(op, [x], [y])
    return b.build([x], [y])


@pytest.mark.parametrize("op,out_scale,out_zp,beta,in_scale,what", [
    ("SOFTMAX", 0.1, -128, 1.0, 0.05, "1/256"),
    ("SOFTMAX", 1 / 256, 0, 1.0, 0.05, "1/256"),
    ("SOFTMAX", 1 / 256, -128, 1e-3, 1e-5, "too small"),
    ("SOFTMAX", 1 / 256, -128, 1.0, 0.05, "1..511"),
    ("LOGISTIC", 1 / 256, 0, 1.0, 0.05, "1/256"),
    ("LOGISTIC", 1 / 128, -128, 1.0, 0.05, "1/256"),
])
def test_illegal_model_is_one_line_error(op, out_scale, out_zp, beta, in_scale, what, tmp_path):
    n = 512 if what == "1..511" else 10
    with pytest.raises(PacketclipError) as e:
        generate_tflite(_act_model(op, out_scale, out_zp, beta, in_scale, n), tmp_path / "x", engine="aot")
    msg = str(e.value)
    assert "\n" not in msg and "node 0" in msg and op in msg and what in msg
    assert not (tmp_path / "x").exists()


def test_tflm_rejects_what_aot_rejects():
    """The softmax output quantization rule is TFLM's own, not ours."""
    with pytest.raises(PacketclipError, match="could not prepare"):
        golden.run_tflm(_act_model("SOFTMAX", 0.1, -128), np.zeros(10, np.int8))


def test_tflm_resolver_lists_both(tmp_path):
    b = ModelBuilder()
    x = b.tensor([1, 6], scale=0.1, zero_point=0)
    h = b.tensor([1, 6], scale=1 / 256, zero_point=-128)
    y = b.tensor([1, 6], scale=1 / 256, zero_point=-128)
    b.op("LOGISTIC", [x], [h])
    b.op("SOFTMAX", [h], [y], beta=1.0)
    rep = generate_tflite(b.build([x], [y]), tmp_path / "t", engine="tflm", arena_probe=2000)
    ops_h = (tmp_path / "t" / "tflm_ops.h").read_text()
    assert rep["tflm_ops"] == ["LOGISTIC", "SOFTMAX"]
    assert "r.AddLogistic()" in ops_h and "r.AddSoftmax()" in ops_h and "PC_TFLM_OP_COUNT 2" in ops_h


_QEMU_TOOLS = {"mps2-an386": ("arm-none-eabi-gcc", "qemu-system-arm"),
               "qemu-rv32": ("riscv64-unknown-elf-gcc", "qemu-system-riscv32")}


@pytest.mark.slow
@pytest.mark.parametrize("board", sorted(_QEMU_TOOLS))
def test_activations_bit_exact_in_qemu(board, tmp_path):
    """LOGISTIC -> RESHAPE -> SOFTMAX on the real instruction sets (64-bit products, shifts)."""
    if not all(shutil.which(t) for t in _QEMU_TOOLS[board] + ("cmake", "ninja")):
        pytest.skip(f"needs {', '.join(_QEMU_TOOLS[board])}, cmake and ninja")
    from packetclip.bench.codegen import _build, _invoke_all

    b = ModelBuilder()
    x = b.tensor([1, 24], scale=0.3, zero_point=-7)
    h = b.tensor([1, 24], scale=1 / 256, zero_point=-128)
    h2 = b.tensor([2, 12], scale=1 / 256, zero_point=-128)
    y = b.tensor([2, 12], scale=1 / 256, zero_point=-128)
    b.op("LOGISTIC", [x], [h])
    b.op("RESHAPE", [h, b.tensor([2], dtype="INT32", data=[2, 12])], [h2], new_shape=[2, 12])
    b.op("SOFTMAX", [h2], [y], beta=7.0)
    tfl = b.build([x], [y])
    generate_tflite(tfl, tmp_path / "gen", engine="aot")
    elf = _build(source_tree(), board, board.startswith("mps2"), tmp_path / "gen", tmp_path / "build")
    X = np.random.default_rng(4).integers(-128, 128, (60, 24)).astype(np.int8)
    X[0], X[1] = -128, 127
    got, deltas = _invoke_all(board, elf, X)
    want = golden.run_tflm(tfl, X).reshape(got.shape)
    np.testing.assert_array_equal(got, want)
    assert len(np.unique(want)) > 20 and min(deltas) > 0
