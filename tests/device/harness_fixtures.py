"""Harness test fixtures (default bundle, its test split in TFLM), shared by tests/device and tests/swap;
firmware builds come from the `builds` fixture in tests/conftest.py."""

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BUNDLE = REPO / "models" / "cicids2017-mlp"


@pytest.fixture(scope="session")
def bundle_dir():
    if not (BUNDLE / "model.json").exists():
        pytest.skip("default bundle models/cicids2017-mlp is missing")
    return BUNDLE


@pytest.fixture(scope="session")
def host_build(builds, bundle_dir):
    return builds.folder("host", bundle_dir)


@pytest.fixture(scope="session")
def golden(bundle_dir):
    """(bundle, int8 inputs of the test split [n, in], TFLM outputs [n, out])."""
    import numpy as np

    from packetclip.bundle.format import load_bundle
    from packetclip.bundle.golden import run_tflm
    from packetclip.device.conform import test_inputs

    b = load_bundle(bundle_dir)
    Q = test_inputs(b, limit=400)[0]
    return b, Q, np.asarray(run_tflm(b.tflite, Q)).reshape(len(Q), -1).astype(np.int8)
