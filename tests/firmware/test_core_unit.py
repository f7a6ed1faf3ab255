"""The C core (firmware/core) on the host through ctypes: CRC, COBS, parser, dispatch."""

import ctypes
import random
import struct
import zlib

import numpy as np
import pytest
from fwutil import FAKE_IN, FAKE_OUT, fake_expected

from packetclip.device import protocol as p

RX_ENC_MAX = p.max_encoded_len(FAKE_IN)  # what frame.c sizes its receive buffer to


def feed(lib, data):
    lib.pc_core_feed(bytes(data), len(data))
    buf = ctypes.create_string_buffer(1 << 16)
    n = lib.test_take_output(buf, len(buf))
    d = p.Deframer()
    return [p.decode_frame(c) for c in d.feed(buf.raw[:n])]


def test_crc32_matches_zlib(core_lib):
    rng = random.Random(1)
    for n in (0, 1, 5, 63, 1000):
        data = bytes(rng.randrange(256) for _ in range(n))
        assert core_lib.pc_crc32(0, data, n) == zlib.crc32(data)
    # incremental use
    assert core_lib.pc_crc32(core_lib.pc_crc32(0, b"abc", 3), b"def", 3) == zlib.crc32(b"abcdef")


def test_cobs_decode_matches_python(core_lib):
    rng = random.Random(2)
    for n in list(range(0, 10)) + [253, 254, 255, 508, 600]:
        data = bytes(rng.choice((0, rng.randrange(1, 256))) for _ in range(n))
        enc = p.cobs_encode(data)
        buf = ctypes.create_string_buffer(enc, len(enc))
        assert core_lib.pc_cobs_decode(buf, len(enc)) == len(data)
        assert buf.raw[:len(data)] == data
    for bad in (b"\x05ab", b"\x02a\x00", b"\x00"):
        assert core_lib.pc_cobs_decode(ctypes.create_string_buffer(bad, len(bad)), len(bad)) == -1


def test_hello_info(core_lib):
    (f,) = feed(core_lib, p.encode_frame(p.HELLO, 42, p.pack_hello()))
    assert (f.type, f.seq) == (p.INFO, 42)
    info = p.parse_info(f.body)
    assert (info.proto_version, info.engine, info.counter_kind, info.counter_hz) == (2, 1, 1, 48_000_000)
    assert info.records == {p.REC_MAX_REQUEST_BODY: struct.pack("<H", 40)} and info.max_request_body == 40
    assert (info.input_bytes, info.output_bytes, info.input_shape, info.output_shape) == (40, 12, (1, 40), (1, 12))
    assert (info.input_scale, info.input_zero_point, info.output_scale, info.output_zero_point) == (0.5, -3, 0.25, 7)
    assert info.model_sha256.startswith("face") and info.board == "unit" and info.arena_bytes == 64


def test_infer_result_and_counter(core_lib):
    x = np.arange(-20, 20, dtype=np.int8)
    core_lib.test_set_counter_step(10)
    (f,) = feed(core_lib, p.encode_frame(p.INFER, 7, x.tobytes()))
    assert (f.type, f.seq) == (p.RESULT, 7)
    delta, out = p.parse_result(f.body, FAKE_OUT)
    assert np.array_equal(np.frombuffer(out, np.int8), fake_expected(x[None])[0])
    # the counter advances 10 per read; the core subtracts the cost of a read pair
    assert delta == 0
    core_lib.test_set_counter_step(10)


def test_errors_and_resync(core_lib):
    core_lib.pc_core_init()
    good = p.encode_frame(p.STATS, 9)
    bad_crc = bytearray(p.encode_frame(p.HELLO, 3))
    bad_crc[2] ^= 1
    frames = feed(core_lib, b"".join([
        b"\x00\x00",                                    # empty frames: ignored
        bytes(bad_crc),                                 # BAD_CRC, seq 0
        b"\x07ab\x00",                                  # not COBS -> BAD_FRAME
        p.cobs_encode(b"\x01\x02\x03") + b"\x00",       # too short -> BAD_FRAME
        b"\x01" * (RX_ENC_MAX + 1) + b"\x00",           # one byte too long -> TOO_LONG
        p.encode_frame(0x55, 4, b"xyz"),                # UNKNOWN_TYPE echoes seq and type
        p.encode_frame(p.INFER, 5, bytes(FAKE_IN - 1)),  # BAD_LENGTH
        p.encode_frame(p.HELLO, 6, b"x"),               # BAD_LENGTH (HELLO has 0 or 2 bytes)
        p.encode_frame(p.INFER, 8, b"\x80\x7f" + bytes(FAKE_IN - 2)),  # engine fails -> ENGINE
        good,
    ]))
    got = [(f.type, f.seq, f.body[:2]) for f in frames[:-1]]
    E = p.ERROR
    assert got == [(E, 0, bytes([1, 0])), (E, 0, bytes([2, 0])), (E, 0, bytes([2, 0])), (E, 0, bytes([3, 0])),
                   (E, 4, bytes([4, 0x55])), (E, 5, bytes([5, 2])), (E, 6, bytes([5, 1])), (E, 8, bytes([6, 2]))]
    stats = p.parse_stats(frames[-1].body)
    assert stats == {"rx_frames": 9, "rx_bad_crc": 1, "rx_bad_frame": 2, "rx_too_long": 1,
                     "inferences": 0, "errors_sent": 8, "last_counter_delta": 0, "flows": 0, "hosts_seen": 0,
                     "evictions": 0, "out_of_order": 0, "hosts_in_table": 0, "flow_replays": 0}


def test_longest_legal_frame_is_accepted(core_lib):
    # an INFER whose body has no zero encodes to its maximum length minus the 254-block slack
    x = bytes([1]) * FAKE_IN
    wire = p.encode_frame(p.INFER, 1, x)
    assert len(wire) - 1 <= RX_ENC_MAX
    (f,) = feed(core_lib, wire)
    assert f.type == p.RESULT
    # exactly RX_ENC_MAX encoded bytes of garbage are read, then judged (BAD_*), not TOO_LONG
    (f,) = feed(core_lib, b"\x01" * RX_ENC_MAX + b"\x00")
    assert p.parse_error(f.body)[0] == p.ERR_BAD_CRC


def test_split_feeding_and_boot_line(core_lib):
    wire = p.encode_frame(p.INFER, 3, bytes(range(FAKE_IN))) + p.encode_frame(p.HELLO, 4)
    out = []
    for i in range(len(wire)):
        out += feed(core_lib, wire[i:i + 1])
    assert [f.type for f in out] == [p.RESULT, p.INFO]
    core_lib.pc_core_boot()
    buf = ctypes.create_string_buffer(256)
    n = core_lib.test_take_output(buf, 256)
    assert buf.raw[:n] == b"\x00packetclip boot unit fw=0.1.0 proto=2\r\n\x00"


@pytest.mark.parametrize("seed", range(3))
def test_random_streams_always_answered(core_lib, seed):
    """Garbage mixed with good frames: every good frame is answered with its own seq."""
    rng = random.Random(seed)
    core_lib.pc_core_init()
    stream, want = b"", []
    for i in range(200):
        if rng.random() < 0.3:
            stream += bytes(rng.randrange(256) for _ in range(rng.randrange(1, 80))) + b"\x00"
        x = bytes(rng.randrange(256) for _ in range(FAKE_IN))
        stream += p.encode_frame(p.INFER, i & 0xFF, x)
        want.append(i & 0xFF)
    frames = feed(core_lib, stream)
    got = [f.seq for f in frames if f.type == p.RESULT]
    assert got == want
    assert all(f.type in (p.RESULT, p.ERROR) for f in frames)


def test_v1_hello_gets_the_v1_fields_and_version_2(core_lib):
    """A v1 host sends an empty HELLO: it gets INFO in the v1 layout (no records), which its
    parser reads and whose proto_version 2 it refuses with a clear message (test_v1_host)."""
    (f,) = feed(core_lib, p.encode_frame(p.HELLO, 3))
    info = p.parse_info(f.body)
    assert info.proto_version == 2 and info.records == {}
    v1_len = 64 + 2 * (1 + 2 * 2) + 2 + len("unit") + len("0.1.0")
    assert len(f.body) == v1_len


def _load_frames(x, seq0=1, chunk=252):
    return [p.encode_frame(p.LOAD, seq0 + i, p.pack_load(o, x[o:o + chunk])) for i, o in enumerate(range(0, len(x), chunk))]


def test_load_run_chunks_into_the_input_tensor(big_core_lib):
    lib = big_core_lib
    lib.pc_core_init()
    (f,) = feed(lib, p.encode_frame(p.HELLO, 1, p.pack_hello()))
    info = p.parse_info(f.body)
    assert (info.input_bytes, info.max_request_body) == (600, 256)
    x = np.random.default_rng(0).integers(-128, 128, 600, dtype=np.int8).tobytes()
    got = feed(lib, b"".join(_load_frames(x)) + p.encode_frame(p.RUN, 9, struct.pack("<I", zlib.crc32(x))))
    assert [(g.type, g.seq) for g in got] == [(p.LOADED, 1), (p.LOADED, 2), (p.LOADED, 3), (p.RESULT, 9)]
    assert [p.parse_loaded(g.body) for g in got[:3]] == [252, 504, 600]
    _, out = p.parse_result(got[3].body, FAKE_OUT)
    assert np.array_equal(np.frombuffer(out, np.int8), fake_expected(np.frombuffer(x, np.int8)[None])[0])
    # the same through the host's framing helper
    frames = [p.encode_frame(t, 20 + i, b) for i, (t, b) in enumerate(p.input_frames(x, info.max_request_body))]
    assert feed(lib, b"".join(frames))[-1].body == got[3].body


def test_load_run_errors(big_core_lib):
    lib = big_core_lib
    lib.pc_core_init()
    x = bytes(range(200)) * 3
    crc = struct.pack("<I", zlib.crc32(x))
    E = p.ERROR

    def err(wire):
        (g,) = feed(lib, wire)
        return (g.type, g.seq, p.parse_error(g.body)[0]) if g.type == E else (g.type, g.seq)
    assert err(p.encode_frame(p.RUN, 1, crc)) == (E, 1, p.ERR_NOT_LOADED)              # nothing loaded
    assert err(p.encode_frame(p.LOAD, 2, p.pack_load(252, x[:10]))) == (E, 2, p.ERR_BAD_OFFSET)   # a gap
    assert err(p.encode_frame(p.LOAD, 3, p.pack_load(0, x[:252]))) == (p.LOADED, 3)
    assert err(p.encode_frame(p.LOAD, 4, p.pack_load(500, x[:10]))) == (E, 4, p.ERR_BAD_OFFSET)   # skips ahead
    assert err(p.encode_frame(p.LOAD, 5, p.pack_load(252, x[252:504]))) == (p.LOADED, 5)
    assert err(p.encode_frame(p.LOAD, 6, p.pack_load(504, x[504:] + b"!"))) == (E, 6, p.ERR_BAD_OFFSET)  # past the end
    assert err(p.encode_frame(p.LOAD, 7, p.pack_load(0xFFFFFFF0, b"ab"))) == (E, 7, p.ERR_BAD_OFFSET)   # wraps
    assert err(p.encode_frame(p.LOAD, 8, struct.pack("<I", 504))) == (E, 8, p.ERR_BAD_LENGTH)   # no data
    assert err(p.encode_frame(p.RUN, 9, crc)) == (E, 9, p.ERR_NOT_LOADED)             # 96 bytes missing
    assert err(p.encode_frame(p.LOAD, 10, p.pack_load(504, x[504:]))) == (p.LOADED, 10)
    assert err(p.encode_frame(p.RUN, 11, b"")) == (E, 11, p.ERR_BAD_LENGTH)
    assert err(p.encode_frame(p.RUN, 12, struct.pack("<I", zlib.crc32(x) ^ 1))) == (E, 12, p.ERR_NOT_LOADED)  # another input
    assert err(p.encode_frame(p.RUN, 13, crc)) == (p.RESULT, 13)
    assert err(p.encode_frame(p.RUN, 14, crc)) == (E, 14, p.ERR_NOT_LOADED)           # the input is consumed
    # a whole INFER of a 600-byte input does not fit the 256-byte receive buffer
    assert err(p.encode_frame(p.INFER, 15, x)) == (E, 0, p.ERR_TOO_LONG)
    # offset 0 always starts a new input
    feed(lib, p.encode_frame(p.LOAD, 16, p.pack_load(0, x[:100])))
    assert err(p.encode_frame(p.LOAD, 17, p.pack_load(0, x[:252]))) == (p.LOADED, 17)
