"""Session fixtures of the firmware tests (the firmware builds themselves are in tests/conftest.py)."""

import ctypes
import shutil

import pytest
from fwutil import FAKE_EMBED, FLOW_HOSTS, FLOW_WINDOW, FLOW_ZP, build_core_lib


def _have(*tools):
    return all(shutil.which(t) for t in tools)


def _core_lib(path):
    lib = ctypes.CDLL(str(path))
    lib.pc_crc32.restype = ctypes.c_uint32
    lib.pc_crc32.argtypes = [ctypes.c_uint32, ctypes.c_char_p, ctypes.c_size_t]
    lib.pc_cobs_decode.restype = ctypes.c_long
    lib.pc_cobs_decode.argtypes = [ctypes.c_char_p, ctypes.c_size_t]
    lib.pc_core_feed.argtypes = [ctypes.c_char_p, ctypes.c_size_t]
    lib.test_take_output.restype = ctypes.c_size_t
    lib.test_take_output.argtypes = [ctypes.c_char_p, ctypes.c_size_t]
    lib.pc_core_init()
    return lib


@pytest.fixture(scope="session")
def core_lib(tmp_path_factory):
    if not _have("cc"):
        pytest.skip("no host C compiler")
    return _core_lib(build_core_lib(tmp_path_factory.mktemp("corelib")))


@pytest.fixture(scope="session")
def big_core_lib(tmp_path_factory):
    """The core for a model whose 600-byte input needs LOAD chunks (PC_RX_CHUNK is 256)."""
    if not _have("cc"):
        pytest.skip("no host C compiler")
    return _core_lib(build_core_lib(tmp_path_factory.mktemp("corelib"), input_bytes=600))


@pytest.fixture(scope="session")
def flow_core_lib(tmp_path_factory):
    """The core for a windowed model (40-byte input = 4 flows of 10 bytes) with a 3-host table."""
    if not _have("cc"):
        pytest.skip("no host C compiler")
    return _core_lib(build_core_lib(tmp_path_factory.mktemp("corelib"), defines=(
        f"PC_MODEL_WINDOW={FLOW_WINDOW}u", f"PC_HOSTS={FLOW_HOSTS}u", f"PC_MODEL_INPUT_ZERO_POINT=({FLOW_ZP})")))



@pytest.fixture(scope="session")
def missions_core_lib(tmp_path_factory):
    """The core for a model with an embedding head: PROTOTYPES and mission scores."""
    if not _have("cc"):
        pytest.skip("no host C compiler")
    defines = (f"PC_MODEL_EMBED_OFFSET={FAKE_EMBED['start']}u", f"PC_MODEL_EMBED_DIM={FAKE_EMBED['dim']}u",
               f"PC_MODEL_OUTPUT_ZERO_POINT={FAKE_EMBED['zero_point']}")
    return _core_lib(build_core_lib(tmp_path_factory.mktemp("corelib"), defines=defines))
