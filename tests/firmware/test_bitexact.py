"""Outputs bit-exact with the TFLM runtime (the golden model) on >= 1,000 vectors of the
default bundle: on the host port, in QEMU on the four MPS machines and RV32, and on
mps2-an386 with the DSP kernels forced off (checks the DSP path against the reference C)."""

import numpy as np
import pytest
from fwutil import EMULATED, REPO, Link

from packetclip.device import protocol as p
from packetclip.device.runners.host import start_hostport
from packetclip.device.runners.qemu import start_emulator

BUNDLE = REPO / "models" / "cicids2017-mlp"
N = 1000


@pytest.fixture(scope="module")
def vectors():
    if not (BUNDLE / "model.json").exists():
        pytest.skip("default bundle models/cicids2017-mlp is missing")
    codegen = pytest.importorskip("packetclip.codegen", reason="code generator not available")
    if not hasattr(codegen, "generate"):
        pytest.skip("packetclip.codegen.generate not available yet")
    from packetclip.bundle.format import load_bundle
    from packetclip.bundle.golden import run_tflm

    bundle = load_bundle(BUNDLE)
    n_in = int(np.prod(bundle.input_shape))
    rng = np.random.default_rng(6)
    X = rng.integers(-128, 128, (N, n_in), dtype=np.int8)
    X[0], X[1] = -128, 127            # extremes
    X[2:200] = np.clip(rng.normal(bundle.meta["input"]["zero_point"], 20, (198, n_in)), -128, 127)
    Y = np.asarray(run_tflm(bundle.tflite, X)).reshape(N, -1).astype(np.int8)
    return bundle, X, Y


def check(link, bundle, X, Y):
    info = p.parse_info(link.request(p.HELLO, 1).body)
    assert info.model_sha256 == bundle.sha256
    assert info.input_bytes == X.shape[1] and info.output_bytes == Y.shape[1]
    got, deltas = link.infer_many(X)
    mismatch = np.flatnonzero((got != Y).any(axis=1))
    assert mismatch.size == 0, f"{mismatch.size} of {len(X)} vectors differ from TFLM, first {mismatch[:5]}"
    return deltas


def test_host_bitexact(builds, vectors):
    bundle, X, Y = vectors
    elf, _ = builds.model("host", BUNDLE)
    with start_hostport(elf) as dev:
        link = Link(dev.port)
        assert p.is_boot_line(link.recv_chunks(1)[0])
        check(link, bundle, X, Y)
        link.close()


@pytest.mark.qemu
@pytest.mark.parametrize("board,dsp", [(b, None) for b in EMULATED] + [("mps2-an386", False)])
def test_qemu_bitexact(builds, vectors, board, dsp):
    bundle, X, Y = vectors
    elf, mem = builds.model(board, BUNDLE, dsp=dsp)
    with start_emulator(board, elf) as emu:
        link = Link(emu.port)
        deltas = check(link, bundle, X, Y)
        assert deltas.min() > 0
        link.close()
