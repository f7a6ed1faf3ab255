"""Each aot kernel against the TFLM runtime, bit for bit, on random one-op int8 models:
random shapes, quantization parameters (scales, zero points, per-channel) and inputs.
The DSP kernels are checked on the host too (plain-C stand-ins for the ACLE intrinsics and
the assembly micro-kernels); tests/codegen/test_dsp_qemu.py runs them on a Cortex-M4."""

import numpy as np
import pytest

from packetclip.bundle import golden
from packetclip.codegen import generate_tflite
from packetclip.codegen.hostrun import build_host

from . import oneop

N_INPUTS = 64

CASES = {
    "FULLY_CONNECTED": (oneop.fully_connected, 14),
    "CONV_2D": (lambda r: oneop.conv2d(r, False), 16),
    "DEPTHWISE_CONV_2D": (lambda r: oneop.conv2d(r, True), 14),
    "ADD": (lambda r: oneop.binary(r, "ADD"), 8),
    "MUL": (lambda r: oneop.binary(r, "MUL"), 8),
    "AVERAGE_POOL_2D": (lambda r: oneop.pool(r, "AVERAGE_POOL_2D"), 8),
    "MAX_POOL_2D": (lambda r: oneop.pool(r, "MAX_POOL_2D"), 5),
    "MEAN": (oneop.mean, 8),
    "QUANTIZE": (oneop.quantize, 5),
    "TRANSPOSE": (oneop.transpose, 5),
    "CONCATENATION": (oneop.concat, 5),
    "RESHAPE": (oneop.reshape_fc, 4),
    "PAD": (oneop.pad, 6),
    "PAD+CONV": (lambda r: oneop.pad(r, then_conv=True), 8),
    "SOFTMAX": (oneop.softmax, 10),
    "LOGISTIC": (oneop.logistic, 10),
}
DSP_OPS = {"FULLY_CONNECTED", "RESHAPE", "CONV_2D", "DEPTHWISE_CONV_2D", "AVERAGE_POOL_2D", "PAD+CONV"}

PARAMS = [(op, i) for op, (_, n) in CASES.items() for i in range(n)]


def check_bit_exact(tflite, tmp_path, seed, dsp=False):
    gen = tmp_path / "gen"
    generate_tflite(tflite, gen, engine="aot")
    rng = np.random.default_rng(seed)
    model = build_host(gen, dsp=False, work_dir=tmp_path)
    X = rng.integers(-128, 128, (N_INPUTS, model.in_bytes)).astype(np.int8)
    X[0] = -128
    X[1] = 127
    want = golden.run_tflm(tflite, X)
    got = model.run(X)
    np.testing.assert_array_equal(got, want.reshape(got.shape))
    if dsp:
        got_dsp = build_host(gen, dsp=True, work_dir=tmp_path).run(X)
        np.testing.assert_array_equal(got_dsp, want.reshape(got.shape))


@pytest.mark.parametrize("op,case", PARAMS, ids=[f"{op}-{i}" for op, i in PARAMS])
def test_kernel_matches_tflm(op, case, tmp_path):
    seed = 1000 * sorted(CASES).index(op) + case
    tflite = CASES[op][0](np.random.default_rng(seed))
    check_bit_exact(tflite, tmp_path, seed, dsp=op in DSP_OPS)
