"""Serial protocol v1 (docs/protocol.md), host side: COBS frames, CRC-32, message bodies.

The C side is firmware/core/; both follow docs/protocol.md. Pure Python, no I/O here:
the session client (device/session.py) feeds bytes in and writes encoded frames out.
"""

import struct
import zlib
from dataclasses import dataclass, field

from packetclip.engines import BY_INFO_ID

PROTO_VERSION = 1
MAX_BODY = 1024  # PC_MAX_BODY: the largest body any firmware accepts or sends

# message types
HELLO = 0x01
INFO = 0x81
INFER = 0x02
RESULT = 0x82
STATS = 0x03
STATS_REPLY = 0x83
ERROR = 0x7F
TYPE_NAMES = {HELLO: "HELLO", INFO: "INFO", INFER: "INFER", RESULT: "RESULT",
              STATS: "STATS", STATS_REPLY: "STATS_REPLY", ERROR: "ERROR"}
REPLY_TO = {HELLO: INFO, INFER: RESULT, STATS: STATS_REPLY}

# ERROR codes
ERR_BAD_CRC = 1
ERR_BAD_FRAME = 2
ERR_TOO_LONG = 3
ERR_UNKNOWN_TYPE = 4
ERR_BAD_LENGTH = 5
ERR_ENGINE = 6
ERROR_NAMES = {ERR_BAD_CRC: "BAD_CRC", ERR_BAD_FRAME: "BAD_FRAME", ERR_TOO_LONG: "TOO_LONG",
               ERR_UNKNOWN_TYPE: "UNKNOWN_TYPE", ERR_BAD_LENGTH: "BAD_LENGTH", ERR_ENGINE: "ENGINE"}

ENGINE_NAMES = {i: e.name for i, e in BY_INFO_ID.items()}
COUNTER_NONE, COUNTER_CYCLES, COUNTER_INSTRUCTIONS, COUNTER_NANOSECONDS = 0, 1, 2, 3
COUNTER_NAMES = {COUNTER_NONE: "none", COUNTER_CYCLES: "cycles", COUNTER_INSTRUCTIONS: "instructions",
                 COUNTER_NANOSECONDS: "nanoseconds"}

STATS_FIELDS = ("rx_frames", "rx_bad_crc", "rx_bad_frame", "rx_too_long", "inferences",
                "errors_sent", "last_counter_delta")

BOOT_PREFIX = b"packetclip boot "
HEADER = 2   # type, seq
TRAILER = 4  # CRC-32
MIN_FRAME = HEADER + TRAILER


class FrameError(ValueError):
    """A chunk that is not a valid frame; `.code` is the ERROR code a device would answer."""

    def __init__(self, msg, code=ERR_BAD_FRAME):
        super().__init__(msg)
        self.code = code


@dataclass(frozen=True)
class Frame:
    type: int
    seq: int
    body: bytes

    @property
    def name(self):
        return TYPE_NAMES.get(self.type, f"0x{self.type:02x}")


def crc32(data):
    return zlib.crc32(data) & 0xFFFFFFFF


def cobs_encode(data):
    """COBS without the trailing delimiter: the output holds no 0x00."""
    out = bytearray()
    block = bytearray()
    for b in data:
        if b == 0:
            out.append(len(block) + 1)
            out += block
            block.clear()
        else:
            block.append(b)
            if len(block) == 254:
                out.append(255)
                out += block
                block.clear()
    out.append(len(block) + 1)
    out += block
    return bytes(out)


def cobs_decode(data):
    """Inverse of cobs_encode (input without the delimiter); FrameError if malformed."""
    out = bytearray()
    i, n = 0, len(data)
    while i < n:
        code = data[i]
        if code == 0:
            raise FrameError("COBS: zero byte inside a frame")
        end = i + code
        if end > n:
            raise FrameError("COBS: block runs past the end of the frame")
        block = data[i + 1:end]
        if 0 in block:
            raise FrameError("COBS: zero byte inside a frame")
        out += block
        i = end
        if code != 255 and i < n:
            out.append(0)
    return bytes(out)


def max_encoded_len(body_len):
    """Longest COBS encoding (without delimiter) of a frame with this body length."""
    raw = HEADER + body_len + TRAILER
    return raw + raw // 254 + 1


def encode_frame(type_, seq, body=b""):
    """A complete wire frame: COBS(type, seq, body, crc) followed by the 0x00 delimiter."""
    body = bytes(body)
    if len(body) > MAX_BODY:
        raise ValueError(f"body of {len(body)} bytes exceeds the protocol maximum {MAX_BODY}")
    raw = bytes((type_ & 0xFF, seq & 0xFF)) + body
    raw += struct.pack("<I", crc32(raw))
    return cobs_encode(raw) + b"\x00"


def decode_frame(chunk):
    """One chunk between delimiters (without the 0x00) -> Frame; FrameError if bad."""
    raw = cobs_decode(bytes(chunk))
    if len(raw) < MIN_FRAME:
        raise FrameError(f"frame of {len(raw)} bytes is shorter than {MIN_FRAME}")
    (crc,) = struct.unpack_from("<I", raw, len(raw) - TRAILER)
    if crc != crc32(raw[:-TRAILER]):
        raise FrameError("CRC mismatch", code=ERR_BAD_CRC)
    return Frame(raw[0], raw[1], raw[HEADER:-TRAILER])


def is_boot_line(chunk):
    """True for a chunk holding the boot line (possibly after bootloader noise with no 0x00)."""
    chunk = bytes(chunk)
    return chunk.startswith(BOOT_PREFIX) or (BOOT_PREFIX in chunk and chunk.endswith(b"\r\n"))


def parse_boot_line(chunk):
    """`packetclip boot <board> fw=<ver> proto=<n>\\r\\n` -> dict, or None if not a boot line."""
    chunk = bytes(chunk)
    if not is_boot_line(chunk):
        return None
    words = chunk[chunk.rfind(BOOT_PREFIX) + len(BOOT_PREFIX):].decode("ascii", "replace").split()
    out = {"board": words[0] if words else ""}
    for w in words[1:]:
        k, _, v = w.partition("=")
        out[k] = v
    if "proto" in out:
        try:
            out["proto"] = int(out["proto"])
        except ValueError:
            pass
    return out


class Deframer:
    """Splits a byte stream at 0x00 delimiters; skips empty chunks.

    Bytes after the last delimiter wait for the next feed. A chunk longer than `max_chunk`
    is still returned whole (the host has memory); decode_frame then rejects it.
    """

    def __init__(self):
        self._buf = bytearray()

    def feed(self, data):
        self._buf += data
        if 0 not in data:
            return []
        parts = self._buf.split(b"\x00")
        self._buf = bytearray(parts.pop())
        return [bytes(p) for p in parts if p]

    @property
    def pending(self):
        return len(self._buf)

    def reset(self):
        self._buf.clear()


@dataclass
class Info:
    proto_version: int
    engine: int
    counter_kind: int
    counter_hz: int
    arena_bytes: int
    model_sha256: str          # hex
    input_bytes: int
    output_bytes: int
    input_scale: float
    input_zero_point: int
    output_scale: float
    output_zero_point: int
    input_shape: tuple = field(default_factory=tuple)
    output_shape: tuple = field(default_factory=tuple)
    board: str = ""
    firmware_version: str = ""

    @property
    def engine_name(self):
        return ENGINE_NAMES.get(self.engine, str(self.engine))

    @property
    def counter_name(self):
        return COUNTER_NAMES.get(self.counter_kind, str(self.counter_kind))

    def to_dict(self):
        d = dict(self.__dict__)
        d["input_shape"], d["output_shape"] = list(self.input_shape), list(self.output_shape)
        d["engine_name"], d["counter_name"] = self.engine_name, self.counter_name
        return d


_INFO_HEAD = struct.Struct("<HBBII32sHHfifi")


def pack_info(info):
    """Info -> INFO body (what the firmware sends; used by tests and the fault shim)."""
    out = bytearray(_INFO_HEAD.pack(
        info.proto_version, info.engine, info.counter_kind, info.counter_hz, info.arena_bytes,
        bytes.fromhex(info.model_sha256), info.input_bytes, info.output_bytes,
        info.input_scale, info.input_zero_point, info.output_scale, info.output_zero_point))
    for shape in (info.input_shape, info.output_shape):
        out.append(len(shape))
        out += struct.pack(f"<{len(shape)}H", *shape)
    for s in (info.board, info.firmware_version):
        b = s.encode("ascii")
        out.append(len(b))
        out += b
    return bytes(out)


def parse_info(body):
    """INFO body -> Info; FrameError if it is truncated or has trailing bytes."""
    body = bytes(body)
    try:
        v = _INFO_HEAD.unpack_from(body, 0)
        pos = _INFO_HEAD.size
        shapes = []
        for _ in range(2):
            rank = body[pos]
            pos += 1
            shapes.append(struct.unpack_from(f"<{rank}H", body, pos))
            pos += 2 * rank
        strings = []
        for _ in range(2):
            n = body[pos]
            pos += 1
            if pos + n > len(body):
                raise IndexError
            strings.append(body[pos:pos + n].decode("ascii", "replace"))
            pos += n
    except (struct.error, IndexError):
        raise FrameError(f"INFO body of {len(body)} bytes is truncated", code=ERR_BAD_LENGTH) from None
    if pos != len(body):
        raise FrameError(f"INFO body has {len(body) - pos} trailing bytes", code=ERR_BAD_LENGTH)
    return Info(v[0], v[1], v[2], v[3], v[4], v[5].hex(), v[6], v[7], v[8], v[9], v[10], v[11],
                tuple(shapes[0]), tuple(shapes[1]), strings[0], strings[1])


def pack_result(counter_delta, output):
    return struct.pack("<I", counter_delta & 0xFFFFFFFF) + bytes(output)


def parse_result(body, output_bytes=None):
    """RESULT body -> (counter_delta, output bytes); checks the length when output_bytes is given."""
    body = bytes(body)
    if len(body) < 4 or (output_bytes is not None and len(body) != 4 + output_bytes):
        raise FrameError(f"RESULT body of {len(body)} bytes; expected 4 + output_bytes", code=ERR_BAD_LENGTH)
    return struct.unpack_from("<I", body)[0], body[4:]


def pack_stats(stats):
    return struct.pack("<7I", *(int(stats.get(k, 0)) & 0xFFFFFFFF for k in STATS_FIELDS))


def parse_stats(body):
    body = bytes(body)
    if len(body) != 4 * len(STATS_FIELDS):
        raise FrameError(f"STATS body of {len(body)} bytes; expected {4 * len(STATS_FIELDS)}", code=ERR_BAD_LENGTH)
    return dict(zip(STATS_FIELDS, struct.unpack("<7I", body)))


def pack_error(code, request_type=0):
    return bytes((code & 0xFF, request_type & 0xFF))


def parse_error(body):
    """ERROR body -> (code, request_type)."""
    body = bytes(body)
    if len(body) != 2:
        raise FrameError(f"ERROR body of {len(body)} bytes; expected 2", code=ERR_BAD_LENGTH)
    return body[0], body[1]
