"""Session fixtures of the firmware tests (the firmware builds themselves are in tests/conftest.py)."""

import ctypes
import shutil

import pytest
from fwutil import build_core_lib


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
