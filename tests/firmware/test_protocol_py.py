"""The Python side of protocol v1 (docs/protocol.md)."""

import struct
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from packetclip.device import protocol as p
from packetclip.engines import get_engine


def test_cobs_known_vectors():
    # Vectors from the COBS paper / Wikipedia examples.
    assert p.cobs_encode(b"\x00") == b"\x01\x01"
    assert p.cobs_encode(b"\x00\x00") == b"\x01\x01\x01"
    assert p.cobs_encode(b"\x11\x22\x00\x33") == b"\x03\x11\x22\x02\x33"
    assert p.cobs_encode(b"\x11\x00\x00\x00") == b"\x02\x11\x01\x01\x01"
    data = bytes(range(1, 256))
    assert p.cobs_encode(data) == b"\xff" + bytes(range(1, 255)) + b"\x02\xff"


@given(st.binary(max_size=1200))
@settings(max_examples=300, deadline=None)
def test_cobs_roundtrip(data):
    enc = p.cobs_encode(data)
    assert 0 not in enc
    assert p.cobs_decode(enc) == data
    assert len(enc) <= len(data) + len(data) // 254 + 1


@given(st.integers(0, 255), st.integers(0, 255), st.binary(max_size=p.MAX_BODY))
@settings(max_examples=200, deadline=None)
def test_frame_roundtrip(t, seq, body):
    wire = p.encode_frame(t, seq, body)
    assert wire.endswith(b"\x00") and 0 not in wire[:-1]
    assert len(wire) - 1 <= p.max_encoded_len(len(body))
    assert p.decode_frame(wire[:-1]) == p.Frame(t, seq, body)


def test_crc_is_zlib_and_little_endian():
    wire = p.encode_frame(p.HELLO, 7)
    raw = p.cobs_decode(wire[:-1])
    assert raw[:2] == b"\x01\x07"
    assert struct.unpack("<I", raw[2:])[0] == zlib.crc32(b"\x01\x07")


def test_decode_errors():
    wire = bytearray(p.encode_frame(p.INFER, 3, b"\x01\x02\x03"))
    wire[3] ^= 0x40
    with pytest.raises(p.FrameError) as e:
        p.decode_frame(bytes(wire[:-1]))
    assert e.value.code == p.ERR_BAD_CRC
    with pytest.raises(p.FrameError) as e:
        p.decode_frame(b"\x09\x01\x02")  # block runs past the end
    assert e.value.code == p.ERR_BAD_FRAME
    with pytest.raises(p.FrameError) as e:
        p.decode_frame(p.cobs_encode(b"\x01\x02\x03"))  # too short
    assert e.value.code == p.ERR_BAD_FRAME


def test_deframer_splits_and_keeps_partial():
    a, b = p.encode_frame(p.HELLO, 1), p.encode_frame(p.STATS, 2)
    d = p.Deframer()
    stream = b"\x00\x00" + a + b
    chunks = d.feed(stream[:5]) + d.feed(stream[5:-2]) + d.feed(stream[-2:])
    assert [p.decode_frame(c) for c in chunks] == [p.Frame(p.HELLO, 1, b""), p.Frame(p.STATS, 2, b"")]
    assert d.pending == 0


def test_boot_line():
    chunk = b"packetclip boot mps2-an386 fw=0.1.0 proto=1\r\n"
    assert p.parse_boot_line(chunk) == {"board": "mps2-an386", "fw": "0.1.0", "proto": 1}
    assert p.parse_boot_line(p.encode_frame(p.INFO, 0, b"x")[:-1]) is None
    with pytest.raises(p.FrameError):
        p.decode_frame(chunk)


def test_info_roundtrip_and_truncation():
    info = p.Info(1, get_engine("aot").info_id, p.COUNTER_INSTRUCTIONS, 25_000_000, 96, "ab" * 32, 40, 12,
                  0.5, -3, 0.25, 7, (1, 40), (1, 12), "mps2-an386", "0.1.0")
    body = p.pack_info(info)
    got = p.parse_info(body)
    assert got == info and got.engine_name == "aot" and got.counter_name == "instructions"
    for cut in (0, 10, len(body) - 1):
        with pytest.raises(p.FrameError):
            p.parse_info(body[:cut])
    with pytest.raises(p.FrameError):
        p.parse_info(body + b"\x00")


def test_result_stats_error():
    assert p.parse_result(p.pack_result(1234, b"\x01\xff"), output_bytes=2) == (1234, b"\x01\xff")
    with pytest.raises(p.FrameError):
        p.parse_result(b"\x00\x00\x00\x00\x01", output_bytes=2)
    s = dict(zip(p.STATS_FIELDS, range(1, 8)))
    assert p.parse_stats(p.pack_stats(s)) == s
    assert p.parse_error(p.pack_error(p.ERR_BAD_LENGTH, p.INFER)) == (5, 2)
