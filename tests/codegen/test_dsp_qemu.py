"""The Arm DSP kernels (inline SMLAD/SXTB16 loop, fast requantization) bit for bit against
TFLM in QEMU on a Cortex-M4: odd layer sizes, per-tensor and per-channel, clamped and
unclamped outputs, so every FC path the firmware can take runs on the real instruction set."""

import shutil

import numpy as np
import pytest

from packetclip.bench.codegen import _build, _invoke_all
from packetclip.bundle import golden
from packetclip.codegen import generate_tflite
from packetclip.codegen.synth import ModelBuilder
from packetclip.resources import source_tree

pytestmark = pytest.mark.skipif(not all(shutil.which(t) for t in ("arm-none-eabi-gcc", "cmake", "ninja", "qemu-system-arm")),
                                reason="needs the Arm toolchain, cmake, ninja and qemu-system-arm")


def _odd_mlp(rng):
    """37 -> 23 (per-tensor, RELU6) -> 9 (per-channel, big accumulators: generic requant) -> 40 (RELU)."""
    b = ModelBuilder()
    x = b.tensor([1, 37], scale=0.07, zero_point=5)
    first, s_in = x, 0.07
    for i, (a, c, pc, act, big) in enumerate([(37, 23, False, "RELU6", False), (23, 9, True, "NONE", True),
                                             (9, 40, True, "RELU", False)]):
        ws = list(rng.uniform(0.002, 0.02, c)) if pc else [0.01]
        w = b.tensor([c, a], scale=ws, zero_point=[0] * len(ws), axis=0, data=rng.integers(-127, 128, (c, a)))
        bias = b.tensor([c], dtype="INT32", scale=[float(np.float32(s_in) * np.float32(s)) for s in ws],
                        zero_point=[0] * len(ws), data=rng.integers(-(1 << 30) if big else -5000, (1 << 30) if big else 5000, c))
        s_in = float(rng.uniform(0.05, 0.2)) * (1e5 if big else 1)
        y = b.tensor([1, c], scale=s_in, zero_point=int(rng.integers(-20, 20)))
        b.op("FULLY_CONNECTED", [x, w, bias], [y], fused_activation_function=act)
        x = y
    return b.build([first], [x])


@pytest.mark.slow
def test_fc_dsp_kernels_bit_exact_on_cortex_m4(tmp_path):
    tfl = _odd_mlp(np.random.default_rng(3))
    gen = tmp_path / "gen"
    generate_tflite(tfl, gen, engine="aot")
    src = (gen / "pc_model.c").read_text()
    assert ", 1};" in src or ", 3};" in src       # a fast-requantization layer
    assert ", 0};" in src or ", 2};" in src       # a generic-requantization layer
    elf = _build(source_tree(), "mps2-an386", True, gen, tmp_path / "build")
    X = np.random.default_rng(4).integers(-128, 128, (40, 37)).astype(np.int8)
    X[0], X[1] = -128, 127
    got, deltas = _invoke_all("mps2-an386", elf, X)
    np.testing.assert_array_equal(got, golden.run_tflm(tfl, X).reshape(got.shape))
    assert min(deltas) > 0
