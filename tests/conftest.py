"""Fixtures shared by every test folder: firmware built once per session and reused."""

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FAKE_MODEL = REPO / "tests" / "firmware" / "fake_model"   # generated-code stand-in: a fixed tiny engine


class Builds:
    """Firmware builds keyed by (board, model, dsp), made on first use.

    `fake(board)` builds around the fixed fake engine; `model(board, bundle)` generates code for a
    bundle; both return (elf, memory). `folder(board, bundle)` gives the build folder (build.json)."""

    def __init__(self, root):
        self.root, self.cache = root, {}

    def fake(self, board):
        return self._get(board, "fake", None)[:2]

    def model(self, board, bundle, dsp=None):
        return self._get(board, str(bundle), dsp)[:2]

    def folder(self, board, bundle, dsp=None):
        return self._get(board, str(bundle), dsp)[2]

    def _get(self, board, model, dsp):
        key = (board, model, dsp)
        if key not in self.cache:
            from packetclip.boards import load_board
            from packetclip.firmware import build_firmware, configure_and_build

            b = load_board(board)
            if not all(shutil.which(t) for t in (b.section("toolchain").get("compiler", "cc"), "cmake", "ninja")):
                pytest.skip(f"toolchain for {board} not installed")
            out = self.root / f"{board}-{Path(model).name}-{dsp}"
            try:
                if model == "fake":
                    elf, mem = configure_and_build(b, FAKE_MODEL, out)
                else:
                    rep = build_firmware(b, model, out=out, dsp=dsp, log=lambda *a: None)
                    elf, mem = rep["elf"], rep["memory"]
                self.cache[key] = (elf, mem, out)
            except Exception as exc:  # remember the failure so the next test does not rebuild
                self.cache[key] = exc
        got = self.cache[key]
        if isinstance(got, Exception):
            raise got
        return got


@pytest.fixture(scope="session")
def builds(tmp_path_factory):
    return Builds(tmp_path_factory.mktemp("fw"))
