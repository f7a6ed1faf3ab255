"""Harness test fixtures (default bundle, firmware built once per session), shared by tests/device and tests/swap."""

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BUNDLE = REPO / "models" / "cicids2017-mlp"
FAKE_MODEL = REPO / "tests" / "firmware" / "fake_model"


def _have(*tools):
    return all(shutil.which(t) for t in tools)


@pytest.fixture(scope="session")
def bundle_dir():
    if not (BUNDLE / "model.json").exists():
        pytest.skip("default bundle models/cicids2017-mlp is missing")
    return BUNDLE


class _Firmware:
    """Firmware builds keyed by (board, model), made on first use and reused."""

    def __init__(self, root):
        self.root, self.cache = root, {}

    def get(self, board, model):
        key = (board, str(model))
        if key not in self.cache:
            from packetclip.boards import load_board
            from packetclip.build import build_firmware, configure_and_build

            b = load_board(board)
            if not _have(b.section("toolchain").get("compiler", "cc"), "cmake", "ninja"):
                pytest.skip(f"toolchain for {board} not installed")
            out = self.root / f"{board}-{Path(model).name}"
            try:
                if Path(model) == FAKE_MODEL:
                    self.cache[key] = configure_and_build(b, FAKE_MODEL, out, log=lambda *a: None)[0]
                else:
                    build_firmware(b, model, out=out, log=lambda *a: None)
                    self.cache[key] = out      # a build folder with build.json
            except Exception as exc:  # remember, so the next test does not rebuild
                self.cache[key] = exc
        got = self.cache[key]
        if isinstance(got, Exception):
            raise got
        return got


@pytest.fixture(scope="session")
def firmware(tmp_path_factory):
    return _Firmware(tmp_path_factory.mktemp("harness-fw"))


@pytest.fixture(scope="session")
def host_build(firmware, bundle_dir):
    return firmware.get("host", bundle_dir)


@pytest.fixture(scope="session")
def golden(bundle_dir):
    """(bundle, int8 inputs of the test split [n, in], TFLM outputs [n, out])."""
    import numpy as np

    from packetclip.bundle.format import load_bundle
    from packetclip.bundle.golden import run_tflm
    from packetclip.device.conform import test_inputs

    b = load_bundle(bundle_dir)
    Xw, _, _, _ = test_inputs(b, limit=400)
    Q = b.quantize_input(Xw).reshape(len(Xw), -1)
    return b, Q, np.asarray(run_tflm(b.tflite, Q)).reshape(len(Q), -1).astype(np.int8)
