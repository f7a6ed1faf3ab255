"""Hostile serial peers for the hostile-input suite: a TCP server on loopback that the CLI reaches
with --port socket://127.0.0.1:PORT and that misbehaves the way broken boards, wrong baud rates
and foreign firmware do. Each peer runs in a thread and stops when the case ends."""

import json
import os
import socket
import struct
import threading

from packetclip import resources
from packetclip.device import protocol as P

BUNDLE_META = json.loads((resources.default_bundle() / "model.json").read_text())


def device_info(proto=P.PROTO_VERSION, sha=None):
    """The INFO a host-port build of the packaged bundle would send."""
    i, o = BUNDLE_META["input"], BUNDLE_META["output"]
    n_in, n_out = i["shape"][-1], o["shape"][-1]
    return P.Info(proto_version=proto, engine=1, counter_kind=0, counter_hz=1_000_000, arena_bytes=4096,
                  model_sha256=sha or BUNDLE_META["tflite_sha256"], input_bytes=n_in, output_bytes=n_out,
                  input_scale=i["scale"], input_zero_point=i["zero_point"], output_scale=o["scale"],
                  output_zero_point=o["zero_point"], input_shape=tuple(i["shape"]), output_shape=tuple(o["shape"]),
                  board="host", firmware_version="0.1.0")


def _frames(conn, buf):
    """Requests (type, seq) the client sent, as they arrive; None when it hung up."""
    data = conn.recv(65536)
    if not data:
        return None
    buf += data
    out = []
    *chunks, rest = bytes(buf).split(b"\x00")
    buf[:] = rest
    for c in chunks:
        try:
            f = P.decode_frame(c)
            out.append((f.type, f.seq))
        except P.FrameError:
            pass
    return out


def _answer(reply):
    """A peer that answers each request with reply(type, seq) -> bytes (b'' for silence, None to
    hang up)."""
    def run(conn, stop):
        buf = bytearray()
        while not stop.is_set():
            reqs = _frames(conn, buf)
            if reqs is None:
                return
            for t, seq in reqs:
                out = reply(t, seq)
                if out is None:
                    return
                conn.sendall(out)
    return run


def _info_frame(seq, **kw):
    return P.encode_frame(P.INFO, seq, P.pack_info(device_info(**kw)))


BEHAVIOURS = {
    "closes-at-once": lambda conn, stop: None,
    "silent": _answer(lambda t, seq: b""),
    "ff-flood": lambda conn, stop: _flood(conn, stop, b"\xff" * 65536),
    "random-bytes": lambda conn, stop: _flood(conn, stop, None),
    "boot-loop": _answer(lambda t, seq: b"packetclip boot host fw=0.1.0 proto=2\r\n"),
    "result-2-bytes": _answer(lambda t, seq: P.encode_frame(P.RESULT, seq, b"\x01\x02")),
    "info-then-2-byte-results": _answer(lambda t, seq: _info_frame(seq) if t == P.HELLO
                                        else P.encode_frame(P.RESULT, seq, b"\x01\x02")),
    "info-then-errors": _answer(lambda t, seq: _info_frame(seq) if t == P.HELLO
                                else P.encode_frame(P.ERROR, seq, bytes((P.ERR_BAD_FRAME, t)))),
    "info-then-closes": _answer(lambda t, seq: _info_frame(seq) if t == P.HELLO else None),   # hangs up mid-run
    "protocol-1": _answer(lambda t, seq: _info_frame(seq, proto=1) if t == P.HELLO else b""),
    "other-model": _answer(lambda t, seq: _info_frame(seq, sha="ab" * 32) if t == P.HELLO else b""),
    "damaged-crc": _answer(lambda t, seq: _info_frame(seq)[:-3] + b"\x01\x01\x00"),
    "info-truncated": _answer(lambda t, seq: P.encode_frame(P.INFO, seq, P.pack_info(device_info())[:9])),
    "stats-garbage": _answer(lambda t, seq: _info_frame(seq) if t == P.HELLO
                             else P.encode_frame(P.STATS_REPLY if t == P.STATS else P.RESULT, seq, b"\x07" * 3)),
}


def _flood(conn, stop, block):
    conn.settimeout(1.0)
    while not stop.is_set():
        data = block if block is not None else os.urandom(65536)
        try:
            conn.sendall(data)
        except OSError:
            return


class Peer:
    """Context manager: listen on 127.0.0.1:<free port>, run one behaviour per connection."""

    def __init__(self, behaviour):
        self.behaviour = BEHAVIOURS[behaviour]
        self.stop = threading.Event()
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.sock.settimeout(0.2)
        self.url = f"socket://127.0.0.1:{self.sock.getsockname()[1]}"
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self):
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            with conn:
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                try:
                    self.behaviour(conn, self.stop)
                except OSError:
                    pass

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(5)
        self.sock.close()
