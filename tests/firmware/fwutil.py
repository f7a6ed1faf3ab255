"""Helpers for the firmware tests: build once, talk the protocol over a socket, pipelined."""

import socket
import subprocess
from pathlib import Path

import numpy as np

from packetclip.device import protocol as p

HERE = Path(__file__).parent
REPO = HERE.parents[1]
FAKE_MODEL = HERE / "fake_model"
FAKE_IN, FAKE_OUT = 40, 12
# the fake model's output [12] read as 4 logits then an 8-value embedding (zero point 7, as its INFO)
FAKE_EMBED = {"start": 4, "dim": 8, "zero_point": 7}
FLOW_WINDOW, FLOW_HOSTS, FLOW_ZP = 4, 3, -3   # the windowed core build: 4 rows of 10 bytes, a three-host table
EMULATED = ["mps2-an386", "mps2-an500", "mps2-an505", "mps3-an547", "qemu-rv32"]


def fake_expected(X):
    """What tests/firmware/fake_model/fake_engine.c computes (for any input size)."""
    X = np.asarray(X, dtype=np.int64)
    W = np.arange(X.shape[1])[:, None] + np.arange(FAKE_OUT)[None, :] + 1
    return np.clip((X @ W) >> 6, -128, 127).astype(np.int8)


def build_core_lib(out_dir, input_bytes=FAKE_IN, defines=()):
    """The core + fake engine + capture hal as a shared library for ctypes (`defines`: extra
    -D options, e.g. a host table or an embedding head)."""
    out = Path(out_dir) / f"libpccore{input_bytes}{''.join('_' + d.split('=')[0] for d in defines)}.so"
    src = [*(REPO / "firmware/core").glob("*.c"), FAKE_MODEL / "fake_engine.c", HERE / "c/capture_hal.c"]
    src = [s for s in src if s.name != "main.c"]
    subprocess.run(["cc", "-std=c99", "-O1", "-g", "-Wall", "-Wextra", "-Werror", "-shared", "-fPIC",
                    f"-DPC_MODEL_INPUT_BYTES={input_bytes}u", *(f"-D{d}" for d in defines),
                    f"-I{REPO / 'firmware/include'}", f"-I{FAKE_MODEL}",
                    *map(str, src), "-o", str(out)], check=True)
    return out


class Link:
    """Protocol client over a TCP socket with up to `window` requests in flight."""

    def __init__(self, port, timeout=10.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.deframer = p.Deframer()
        self.pending = []

    def close(self):
        self.sock.close()

    def send(self, data):
        self.sock.sendall(data)

    def recv_chunks(self, n):
        out = self.pending[:n]
        self.pending = self.pending[n:]
        while len(out) < n:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("device closed the connection")
            chunks = self.deframer.feed(data)
            take = n - len(out)
            out += chunks[:take]
            self.pending += chunks[take:]
        return out

    def recv_frames(self, n, skip_boot=True):
        frames = []
        while len(frames) < n:
            for c in self.recv_chunks(n - len(frames)):
                if skip_boot and p.is_boot_line(c):
                    continue
                frames.append(p.decode_frame(c))
        return frames

    def request(self, type_, seq=0, body=b""):
        self.send(p.encode_frame(type_, seq, body))
        return self.recv_frames(1)[0]

    def infer_many(self, X, window=32):
        """Pipelined INFERs; returns (outputs int8 [n, out], counter deltas)."""
        X = np.asarray(X, dtype=np.int8).reshape(len(X), -1)
        outs, deltas = [None] * len(X), [0] * len(X)
        sent = done = 0
        while done < len(X):
            burst = b""
            while sent < len(X) and sent - done < window:
                burst += p.encode_frame(p.INFER, sent & 0xFF, X[sent].tobytes())
                sent += 1
            if burst:
                self.send(burst)
            for f in self.recv_frames(min(window // 2, sent - done) or 1):
                assert f.type == p.RESULT, (f, p.parse_error(f.body) if f.type == p.ERROR else None)
                assert f.seq == done & 0xFF
                deltas[done], out = p.parse_result(f.body)
                outs[done] = np.frombuffer(out, dtype=np.int8)
                done += 1
        return np.stack(outs), np.array(deltas)
