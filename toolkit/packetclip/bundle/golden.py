"""The golden model: run int8 inputs through the real TFLM runtime (PyPI `tflite-micro`).

    run_tflm(tflite_bytes, inputs_int8, arena_size=None) -> int8 outputs [n, output_size]
    probe_arena(tflite_bytes) -> smallest arena (bytes, multiple of 16) TFLM runs the model with

`inputs_int8` is one input shaped like the model's input, or a batch [n, ...] whose rows each
hold input_size values; each row is one invoke. A too-small arena can segfault TFLM instead
of raising, so probe_arena bisects in a separate process that forks one child per attempt.
"""

import subprocess
import sys

import numpy as np

from packetclip.errors import PacketclipError

DEFAULT_ARENA = 1 << 20
MAX_ARENA = 1 << 26


def _interpreter(tflite_bytes, arena_size):
    from tflite_micro import runtime

    try:
        return runtime.Interpreter.from_bytes(bytes(tflite_bytes), arena_size=int(arena_size))
    except Exception as exc:  # noqa: BLE001 - TFLM reports allocation/prepare failures as RuntimeError
        raise PacketclipError(f"model.tflite: TFLM could not prepare the model with a {arena_size}-byte arena ({str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__}); check the ops with `packetclip verify`") from None


def run_tflm(tflite_bytes, inputs_int8, arena_size=None):
    """int8 inputs -> int8 outputs [n, output_size] computed by TFLM, one invoke per row."""
    it = _interpreter(tflite_bytes, arena_size or DEFAULT_ARENA)
    din = it.get_input_details(0)
    shape = tuple(int(d) for d in din["shape"])
    if np.dtype(din["dtype"]) != np.int8:
        raise PacketclipError(f"model.tflite: input is {np.dtype(din['dtype'])}, not int8; export a fully int8 model")
    size = int(np.prod(shape))
    Q = np.asarray(inputs_int8)
    if Q.size % size:
        raise PacketclipError(f"inputs: {Q.size} values are not a whole number of model inputs of {size} values")
    rows = Q.astype(np.int8).reshape(-1, size)
    out = []
    for q in rows:
        it.set_input(q.reshape(shape), 0)
        it.invoke()
        out.append(np.array(it.get_output(0), dtype=np.int8).reshape(-1))
    if not out:
        osize = int(np.prod(it.get_output_details(0)["shape"]))
        return np.zeros((0, osize), np.int8)
    return np.stack(out)


# Runs in a fresh interpreter: import TFLM once, then fork a child per arena size so that a
# segfault kills only that child. Prints the smallest working size.
_PROBE = r"""
import os, sys
import numpy as np
from tflite_micro import runtime
data = open(sys.argv[1], 'rb').read()
max_arena = int(sys.argv[2])

def ok(n):
    pid = os.fork()
    if pid == 0:
        try:
            fd = os.open(os.devnull, os.O_WRONLY); os.dup2(fd, 1); os.dup2(fd, 2)
            it = runtime.Interpreter.from_bytes(data, arena_size=n)
            d = it.get_input_details(0)
            it.set_input(np.zeros(d['shape'], d['dtype']), 0)
            it.invoke()
            it.get_output(0)
            os._exit(0)
        except BaseException:
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    return os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0

hi = 1024
while not ok(hi):
    hi *= 2
    if hi > max_arena:
        print('fail'); sys.exit(0)
lo = hi // 2 if hi > 1024 else 0
while hi - lo > 16:
    mid = (lo + hi) // 2 // 16 * 16
    if mid <= lo:
        break
    if ok(mid):
        hi = mid
    else:
        lo = mid
print(hi)
"""


def probe_arena(tflite_bytes):
    """Smallest TFLM arena (bytes, a multiple of 16) that prepares and invokes the model on this host."""
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".tflite") as f:
        f.write(bytes(tflite_bytes))
        f.flush()
        r = subprocess.run([sys.executable, "-c", _PROBE, f.name, str(MAX_ARENA)],
                           capture_output=True, text=True, timeout=600)
    line = r.stdout.strip().splitlines()[-1] if r.stdout.strip() else ""
    if r.returncode != 0 or not line.isdigit():
        why = "no arena up to 64 MiB works" if line == "fail" else (r.stderr.strip().splitlines() or ["probe crashed"])[-1]
        raise PacketclipError(f"model.tflite: TFLM cannot run this model ({why}); check it with `packetclip verify`")
    return int(line)
