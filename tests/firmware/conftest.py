"""Session fixtures: every firmware is built once per session and reused."""

import ctypes
import shutil

import pytest

from fwutil import FAKE_MODEL, build_core_lib


def _have(*tools):
    return all(shutil.which(t) for t in tools)


@pytest.fixture(scope="session")
def core_lib(tmp_path_factory):
    if not _have("cc"):
        pytest.skip("no host C compiler")
    lib = ctypes.CDLL(str(build_core_lib(tmp_path_factory.mktemp("corelib"))))
    lib.pc_crc32.restype = ctypes.c_uint32
    lib.pc_crc32.argtypes = [ctypes.c_uint32, ctypes.c_char_p, ctypes.c_size_t]
    lib.pc_cobs_decode.restype = ctypes.c_long
    lib.pc_cobs_decode.argtypes = [ctypes.c_char_p, ctypes.c_size_t]
    lib.pc_core_feed.argtypes = [ctypes.c_char_p, ctypes.c_size_t]
    lib.test_take_output.restype = ctypes.c_size_t
    lib.test_take_output.argtypes = [ctypes.c_char_p, ctypes.c_size_t]
    lib.pc_core_init()
    return lib


class _Builds:
    """Builds keyed by (board, model, dsp), made on first use."""

    def __init__(self, root):
        self.root, self.cache = root, {}

    def fake(self, board):
        return self._get(board, "fake", None)

    def _get(self, board, model, dsp):
        key = (board, model, dsp)
        if key not in self.cache:
            from packetclip.boards import load_board
            from packetclip.build import configure_and_build

            b = load_board(board)
            if not _have(b.section("toolchain").get("compiler", "cc"), "cmake", "ninja"):
                pytest.skip(f"toolchain for {board} not installed")
            out = self.root / f"{board}-{model}-{dsp}"
            try:
                if model == "fake":
                    elf, mem = configure_and_build(b, FAKE_MODEL, out, log=lambda *a: None)
                    self.cache[key] = (elf, mem)
                else:
                    from packetclip.build import build_firmware

                    rep = build_firmware(b, model, out=out, dsp=dsp, log=lambda *a: None)
                    self.cache[key] = (rep["elf"], rep["memory"])
            except Exception as exc:  # remember the failure so the next test does not rebuild
                self.cache[key] = exc
        got = self.cache[key]
        if isinstance(got, Exception):
            raise got
        return got

    def model(self, board, bundle, dsp=None):
        return self._get(board, str(bundle), dsp)


@pytest.fixture(scope="session")
def builds(tmp_path_factory):
    return _Builds(tmp_path_factory.mktemp("fw"))
