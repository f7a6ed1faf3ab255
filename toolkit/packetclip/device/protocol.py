"""Serial protocol v2 (docs/protocol.md), host side: COBS frames, CRC-32, message bodies.

The C side is firmware/core/; both follow docs/protocol.md. Pure Python, no I/O here:
the session client (device/session.py) feeds bytes in and writes encoded frames out.
"""

import struct
import zlib
from dataclasses import dataclass, field

from packetclip.engines import BY_INFO_ID

PROTO_VERSION = 2
# No protocol maximum: a device accepts requests up to the body length its INFO announces
# (record MAX_REQUEST_BODY); replies are as long as the model's output needs.

# message types
HELLO = 0x01
INFO = 0x81
INFER = 0x02
RESULT = 0x82
STATS = 0x03
STATS_REPLY = 0x83
LOAD = 0x04
LOADED = 0x84
RUN = 0x05
FLOW = 0x06              # one flow of a windowed model; the device keeps each host's history
FLOW_RESULT = 0x86
PROTOTYPES = 0x07        # text-mission prototypes (stage rows, commit): docs/missions.md
PROTOTYPES_REPLY = 0x87
RESET_CONTEXT = 0x08     # forget every host, flow ids start again at 0
CONTEXT = 0x88
ERROR = 0x7F
TYPE_NAMES = {HELLO: "HELLO", INFO: "INFO", INFER: "INFER", RESULT: "RESULT", STATS: "STATS",
              STATS_REPLY: "STATS_REPLY", LOAD: "LOAD", LOADED: "LOADED", RUN: "RUN", FLOW: "FLOW",
              FLOW_RESULT: "FLOW_RESULT", PROTOTYPES: "PROTOTYPES", PROTOTYPES_REPLY: "PROTOTYPES_REPLY",
              RESET_CONTEXT: "RESET_CONTEXT", CONTEXT: "CONTEXT", ERROR: "ERROR"}
REPLY_TO = {HELLO: INFO, INFER: RESULT, STATS: STATS_REPLY, LOAD: LOADED, RUN: RESULT, FLOW: FLOW_RESULT,
            PROTOTYPES: PROTOTYPES_REPLY, RESET_CONTEXT: CONTEXT}
LOAD_HEADER = 4      # u32 offset
FLOW_HEADER = 16     # u32 flow id, u32 host key, u64 start time (microseconds)

# ERROR codes
ERR_BAD_CRC = 1
ERR_BAD_FRAME = 2
ERR_TOO_LONG = 3
ERR_UNKNOWN_TYPE = 4
ERR_BAD_LENGTH = 5
ERR_ENGINE = 6
ERR_BAD_OFFSET = 7
ERR_NOT_LOADED = 8
ERR_WRONG_MODE = 9       # FLOW to a device without a host table, INFER/LOAD/RUN to one with it
ERR_FLOW_GAP = 10        # FLOW past the next id expected (an earlier FLOW was lost)
ERR_FLOW_STALE = 11      # FLOW older than the results the device still holds
ERR_NO_ROOM = 12         # more prototypes than the device holds (none without an embedding head)
ERR_WRONG_MODEL = 13     # prototypes made for another model
ERROR_NAMES = {ERR_BAD_CRC: "BAD_CRC", ERR_BAD_FRAME: "BAD_FRAME", ERR_TOO_LONG: "TOO_LONG",
               ERR_UNKNOWN_TYPE: "UNKNOWN_TYPE", ERR_BAD_LENGTH: "BAD_LENGTH", ERR_ENGINE: "ENGINE",
               ERR_BAD_OFFSET: "BAD_OFFSET", ERR_NOT_LOADED: "NOT_LOADED", ERR_WRONG_MODE: "WRONG_MODE",
               ERR_FLOW_GAP: "FLOW_GAP", ERR_FLOW_STALE: "FLOW_STALE", ERR_NO_ROOM: "NO_ROOM",
               ERR_WRONG_MODEL: "WRONG_MODEL"}

# INFO extension records: (u8 tag, u8 length, value), after the v1 fields, to the end of the body
REC_MAX_REQUEST_BODY = 1     # u16
REC_TENSOR_BYTES = 2         # u32 input_bytes, u32 output_bytes (when either exceeds 65535)
REC_TEMPORAL = 3             # u16 window W, u16 host capacity N, u32 table bytes, u16 replay depth
REC_PROTOTYPES = 4           # u8 capacity, u8 dim, u8 count, u8 score bits, sha256[32] of the active set
RECORD_NAMES = {REC_MAX_REQUEST_BODY: "max_request_body", REC_TENSOR_BYTES: "tensor_bytes",
                REC_TEMPORAL: "temporal", REC_PROTOTYPES: "prototypes"}

ENGINE_NAMES = {i: e.name for i, e in BY_INFO_ID.items()}
COUNTER_NONE, COUNTER_CYCLES, COUNTER_INSTRUCTIONS, COUNTER_NANOSECONDS = 0, 1, 2, 3
COUNTER_NAMES = {COUNTER_NONE: "none", COUNTER_CYCLES: "cycles", COUNTER_INSTRUCTIONS: "instructions",
                 COUNTER_NANOSECONDS: "nanoseconds"}

STATS_FIELDS = ("rx_frames", "rx_bad_crc", "rx_bad_frame", "rx_too_long", "inferences",
                "errors_sent", "last_counter_delta",
                # the host table (windowed models; zeros otherwise) and FLOWs answered twice
                "flows", "hosts_seen", "evictions", "out_of_order", "hosts_in_table", "flow_replays")

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

    Bytes after the last delimiter wait for the next feed, at most `max_chunk` of them: like
    the device, the host discards a chunk longer than the longest legal frame (a peer streaming
    bytes without a delimiter costs no memory); `discarded` counts the bytes thrown away.
    """

    def __init__(self, max_chunk=None):
        self._buf = bytearray()
        self.max_chunk = max_chunk or max_encoded_len(4096)
        self.discarded = 0

    def feed(self, data):
        self._buf += data
        if 0 not in data:
            if len(self._buf) > self.max_chunk:
                self.discarded += len(self._buf)
                self._buf.clear()
            return []
        parts = self._buf.split(b"\x00")
        self._buf = bytearray(parts.pop())
        if len(self._buf) > self.max_chunk:
            self.discarded += len(self._buf)
            self._buf.clear()
        keep = [bytes(p) for p in parts if p and len(p) <= self.max_chunk]
        self.discarded += sum(len(p) for p in parts if len(p) > self.max_chunk)
        return keep

    @property
    def pending(self):
        return len(self._buf)


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
    records: dict = field(default_factory=dict)   # extension records: tag -> raw value bytes

    @property
    def max_request_body(self):
        """The longest request body the device takes (a v2 device says; else the model's input)."""
        v = self.records.get(REC_MAX_REQUEST_BODY)
        return struct.unpack("<H", v)[0] if v is not None and len(v) == 2 else self.input_bytes

    @property
    def prototypes(self):
        """The prototypes record as a dict (capacity, dim, count, score_bits, sha256), or None."""
        v = self.records.get(REC_PROTOTYPES)
        if v is None or len(v) != 36:
            return None
        return {"capacity": v[0], "dim": v[1], "count": v[2], "score_bits": v[3], "sha256": bytes(v[4:36]).hex()}

    @property
    def temporal(self):
        """{"window", "hosts", "table_bytes", "replay"} of a device with a host table, else None."""
        v = self.records.get(REC_TEMPORAL)
        if v is None or len(v) != 10:
            return None
        w, n, b, r = struct.unpack("<HHIH", v)
        return {"window": w, "hosts": n, "table_bytes": b, "replay": r}

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
        d["records"] = {RECORD_NAMES.get(k, str(k)): v.hex() for k, v in self.records.items()}
        d["max_request_body"] = self.max_request_body
        d["temporal"] = self.temporal
        d["prototypes"] = self.prototypes
        return d


def pack_hello(version=PROTO_VERSION):
    """HELLO body: the host's protocol version (a v1 host sends an empty body)."""
    return struct.pack("<H", version)


def pack_records(records):
    out = bytearray()
    for tag, value in sorted(records.items()):
        out += bytes((tag, len(value))) + bytes(value)
    return bytes(out)


_INFO_HEAD = struct.Struct("<HBBII32sHHfifi")


def pack_info(info):
    """Info -> INFO body (what the firmware sends; used by tests)."""
    out = bytearray(_INFO_HEAD.pack(
        info.proto_version, info.engine, info.counter_kind, info.counter_hz, info.arena_bytes,
        bytes.fromhex(info.model_sha256), min(info.input_bytes, 0xFFFF), min(info.output_bytes, 0xFFFF),
        info.input_scale, info.input_zero_point, info.output_scale, info.output_zero_point))
    for shape in (info.input_shape, info.output_shape):
        out.append(len(shape))
        out += struct.pack(f"<{len(shape)}H", *shape)
    for s in (info.board, info.firmware_version):
        b = s.encode("ascii")
        out.append(len(b))
        out += b
    return bytes(out) + pack_records(info.records)


def parse_info(body):
    """INFO body -> Info: the v1 fields, then extension records to the end (unknown tags are
    kept, not interpreted); FrameError if anything is truncated."""
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
    records = {}
    while pos < len(body):
        if pos + 2 > len(body) or pos + 2 + body[pos + 1] > len(body):
            raise FrameError(f"INFO record at byte {pos} is truncated", code=ERR_BAD_LENGTH)
        records[body[pos]] = body[pos + 2:pos + 2 + body[pos + 1]]
        pos += 2 + body[pos + 1]
    info = Info(v[0], v[1], v[2], v[3], v[4], v[5].hex(), v[6], v[7], v[8], v[9], v[10], v[11],
                tuple(shapes[0]), tuple(shapes[1]), strings[0], strings[1], records)
    tb = records.get(REC_TENSOR_BYTES)
    if tb is not None and len(tb) == 8:
        info.input_bytes, info.output_bytes = struct.unpack("<II", tb)
    return info


def pack_load(offset, data):
    """LOAD body: u32 offset into the input tensor, then the bytes to write there."""
    return struct.pack("<I", offset) + bytes(data)


def _u32_body(body, name):
    body = bytes(body)
    if len(body) != 4:
        raise FrameError(f"{name} body of {len(body)} bytes; expected 4", code=ERR_BAD_LENGTH)
    return struct.unpack("<I", body)[0]


def parse_loaded(body):
    """LOADED body -> input bytes loaded so far."""
    return _u32_body(body, "LOADED")


def parse_context(body):
    """CONTEXT body (the reply to RESET_CONTEXT) -> the flow id the device expects next (0)."""
    return _u32_body(body, "CONTEXT")


def input_frames(x, max_body):
    """The requests that send one input: INFER when it fits the device's body limit, else
    LOADs of at most max_body - 4 bytes each and a RUN naming the input by its CRC-32.
    [(type, body)]."""
    x = bytes(x)
    if len(x) <= max_body:
        return [(INFER, x)]
    step = max_body - LOAD_HEADER
    if step < 1:
        raise ValueError(f"a device body limit of {max_body} bytes cannot carry LOAD chunks")
    return ([(LOAD, pack_load(o, x[o:o + step])) for o in range(0, len(x), step)]
            + [(RUN, struct.pack("<I", crc32(x)))])


def pack_result(counter_delta, output):
    return struct.pack("<I", counter_delta & 0xFFFFFFFF) + bytes(output)


def parse_result(body, output_bytes=None, missions=0):
    """RESULT body -> (counter_delta, output bytes); checks the length when output_bytes is given.
    With `missions` K > 0 active prototypes the body ends with the missions block, returned too:
    (counter_delta, output bytes, (best, scores int16 [K]))."""
    body = bytes(body)
    tail = 2 + 2 * missions if missions else 0
    if len(body) < 4 + tail or (output_bytes is not None and len(body) != 4 + output_bytes + tail):
        raise FrameError(f"RESULT body of {len(body)} bytes; expected 4 + output_bytes"
                         + (f" + {tail} (missions)" if tail else ""), code=ERR_BAD_LENGTH)
    delta = struct.unpack_from("<I", body)[0]
    if not missions:
        return delta, body[4:]
    k, best = body[-tail], body[-tail + 1]
    if k != missions or best >= k:
        raise FrameError(f"RESULT missions block says {k} prototypes (best {best}); expected {missions}", code=ERR_BAD_LENGTH)
    return delta, body[4:-tail], (best, struct.unpack_from(f"<{k}h", body, len(body) - 2 * k))


def pack_mission_scores(best, scores):
    """The missions block of a RESULT (what the firmware appends; used by tests)."""
    return bytes((len(scores), best)) + struct.pack(f"<{len(scores)}h", *scores)


MISSIONS_COMMIT = 0xFF
MODEL_PREFIX = 8


def prototype_frames(rows, set_sha256, model_sha256, max_body):
    """The PROTOTYPES requests that replace a device's set with int8 `rows` [K, D]: staging
    frames of as many rows as fit `max_body` (index 0 first), then the commit. [(type, body)]."""
    import numpy as np

    rows = np.ascontiguousarray(np.asarray(rows, dtype=np.int8))
    k = len(rows)
    dim = rows.shape[1] if rows.ndim == 2 else 0
    out = []
    if k:
        per = (max_body - 1) // dim
        if per < 1:
            raise ValueError(f"a device body limit of {max_body} bytes cannot carry a prototype of {dim} values")
        out = [(PROTOTYPES, bytes((i,)) + rows[i:i + per].tobytes()) for i in range(0, k, per)]
    commit = (bytes((MISSIONS_COMMIT, k)) + struct.pack("<I", crc32(rows.tobytes())) + bytes.fromhex(set_sha256)
              + bytes.fromhex(model_sha256)[:MODEL_PREFIX])
    return out + [(PROTOTYPES, commit)]


def parse_prototypes_reply(body):
    """PROTOTYPES_REPLY body -> (rows staged, prototypes active)."""
    body = bytes(body)
    if len(body) != 2:
        raise FrameError(f"PROTOTYPES reply of {len(body)} bytes; expected 2", code=ERR_BAD_LENGTH)
    return body[0], body[1]


def pack_flow(flow_id, host_key, start_us, row):
    """FLOW body: the flow's id in the stream, its host key, its start time, one int8 row."""
    return struct.pack("<IIQ", flow_id & 0xFFFFFFFF, host_key & 0xFFFFFFFF, max(0, int(start_us))) + bytes(row)


def parse_flow_result(body, output_bytes=None):
    """FLOW_RESULT body -> (counter_delta, flow id, history length, output bytes)."""
    body = bytes(body)
    if len(body) < 9 or (output_bytes is not None and len(body) != 9 + output_bytes):
        raise FrameError(f"FLOW_RESULT body of {len(body)} bytes; expected 9 + output_bytes", code=ERR_BAD_LENGTH)
    delta, fid, hist = struct.unpack_from("<IIB", body)
    return delta, fid, hist, body[9:]


def pack_stats(stats):
    return struct.pack(f"<{len(STATS_FIELDS)}I", *(int(stats.get(k, 0)) & 0xFFFFFFFF for k in STATS_FIELDS))


def parse_stats(body):
    body = bytes(body)
    if len(body) != 4 * len(STATS_FIELDS):
        raise FrameError(f"STATS body of {len(body)} bytes; expected {4 * len(STATS_FIELDS)}", code=ERR_BAD_LENGTH)
    return dict(zip(STATS_FIELDS, struct.unpack(f"<{len(STATS_FIELDS)}I", body), strict=True))


def pack_error(code, request_type=0):
    return bytes((code & 0xFF, request_type & 0xFF))


def parse_error(body):
    """ERROR body -> (code, request_type)."""
    body = bytes(body)
    if len(body) != 2:
        raise FrameError(f"ERROR body of {len(body)} bytes; expected 2", code=ERR_BAD_LENGTH)
    return body[0], body[1]
