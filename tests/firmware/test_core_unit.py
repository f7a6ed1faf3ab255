"""The C core (firmware/core) on the host through ctypes: CRC, COBS, parser, dispatch."""

import ctypes
import random
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
    (f,) = feed(core_lib, p.encode_frame(p.HELLO, 42))
    assert (f.type, f.seq) == (p.INFO, 42)
    info = p.parse_info(f.body)
    assert (info.proto_version, info.engine, info.counter_kind, info.counter_hz) == (1, 1, 1, 48_000_000)
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
        p.encode_frame(p.HELLO, 6, b"x"),               # BAD_LENGTH (HELLO has no body)
        p.encode_frame(p.INFER, 8, b"\x80\x7f" + bytes(FAKE_IN - 2)),  # engine fails -> ENGINE
        good,
    ]))
    got = [(f.type, f.seq, f.body[:2]) for f in frames[:-1]]
    E = p.ERROR
    assert got == [(E, 0, bytes([1, 0])), (E, 0, bytes([2, 0])), (E, 0, bytes([2, 0])), (E, 0, bytes([3, 0])),
                   (E, 4, bytes([4, 0x55])), (E, 5, bytes([5, 2])), (E, 6, bytes([5, 1])), (E, 8, bytes([6, 2]))]
    stats = p.parse_stats(frames[-1].body)
    assert stats == {"rx_frames": 9, "rx_bad_crc": 1, "rx_bad_frame": 2, "rx_too_long": 1,
                     "inferences": 0, "errors_sent": 8, "last_counter_delta": 0}


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
    assert buf.raw[:n] == b"\x00packetclip boot unit fw=0.1.0 proto=1\r\n\x00"


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
