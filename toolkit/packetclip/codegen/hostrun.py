"""Compile generated aot code + the aot kernels for this host and run it through ctypes.

Used by the tests (bit-exact against TFLM) and the benchmarks. `dsp=True` builds the DSP
kernels with portable C stand-ins for the ACLE intrinsics, so that path is checked here too.
"""

import ctypes
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from packetclip import resources
from packetclip.errors import PacketclipError

AOT_DIR = resources.firmware_dir() / "engine" / "aot"
INCLUDE_DIR = resources.firmware_dir() / "include"


class HostModel:
    def __init__(self, lib_path, in_bytes, out_bytes):
        self.lib = ctypes.CDLL(str(lib_path))
        self.lib.pc_engine_invoke.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
        self.lib.pc_engine_init()
        self.in_bytes, self.out_bytes = in_bytes, out_bytes

    def run(self, X):
        X = np.ascontiguousarray(np.asarray(X, np.int8).reshape(-1, self.in_bytes))
        Y = np.zeros((len(X), self.out_bytes), np.int8)
        for i in range(len(X)):
            rc = self.lib.pc_engine_invoke(X[i].ctypes.data, Y[i].ctypes.data)
            if rc != 0:
                raise RuntimeError(f"pc_engine_invoke returned {rc}")
        return Y


def _config_value(gen_dir, name):
    for line in (Path(gen_dir) / "pc_model_config.h").read_text().splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[0] == "#define" and parts[1] == name:
            return int(parts[2])
    raise KeyError(name)


_KERNEL_CACHE = {}


def _cc():
    cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if cc is None:
        raise PacketclipError("no C compiler found (cc/gcc/clang); install build-essential")
    return cc


def _flags(dsp, gen_dir=None):
    f = ["-O1", "-std=c99", "-fPIC", "-Wall", "-Wextra", "-Werror=implicit-function-declaration",
         f"-I{INCLUDE_DIR}", f"-I{AOT_DIR}"]
    if gen_dir is not None:
        f.append(f"-I{gen_dir}")
    if dsp:
        f.append("-DPC_AOT_DSP=1")
    return f


def _run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"host build failed:\n{' '.join(cmd)}\n{r.stderr}")


def kernel_objects(dsp=False):
    """The aot kernels compiled once per process (they do not depend on the model)."""
    key = bool(dsp)
    if key not in _KERNEL_CACHE:
        work = Path(tempfile.mkdtemp(prefix="pc_kernels_"))
        objs = []
        for src in sorted(AOT_DIR.glob("*.c")):
            obj = work / (src.stem + ".o")
            _run([_cc(), *_flags(dsp), "-c", str(src), "-o", str(obj)])
            objs.append(str(obj))
        _KERNEL_CACHE[key] = objs
    return _KERNEL_CACHE[key]


def build_host(gen_dir, dsp=False, work_dir=None):
    """Build gen_dir/pc_model.c + kernels into a shared library; returns a HostModel."""
    work = Path(work_dir or tempfile.mkdtemp(prefix="pc_host_"))
    lib = work / ("libpcmodel_dsp.so" if dsp else "libpcmodel.so")
    _run([_cc(), *_flags(dsp, gen_dir), "-shared", str(Path(gen_dir) / "pc_model.c"), *kernel_objects(dsp), "-o", str(lib)])
    return HostModel(lib, _config_value(gen_dir, "PC_MODEL_INPUT_BYTES"), _config_value(gen_dir, "PC_MODEL_OUTPUT_BYTES"))
