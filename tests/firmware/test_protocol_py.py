"""The Python side of protocol v2 (docs/protocol.md)."""

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


@given(st.integers(0, 255), st.integers(0, 255), st.binary(max_size=3000))
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
    chunk = b"packetclip boot mps2-an386 fw=0.1.0 proto=2\r\n"
    assert p.parse_boot_line(chunk) == {"board": "mps2-an386", "fw": "0.1.0", "proto": 2}
    assert p.parse_boot_line(p.encode_frame(p.INFO, 0, b"x")[:-1]) is None
    with pytest.raises(p.FrameError):
        p.decode_frame(chunk)


def test_info_roundtrip_and_truncation():
    info = p.Info(2, get_engine("aot").info_id, p.COUNTER_INSTRUCTIONS, 25_000_000, 96, "ab" * 32, 40, 12,
                  0.5, -3, 0.25, 7, (1, 40), (1, 12), "mps2-an386", "0.1.0",
                  {p.REC_MAX_REQUEST_BODY: struct.pack("<H", 256)})
    body = p.pack_info(info)
    got = p.parse_info(body)
    assert got == info and got.engine_name == "aot" and got.counter_name == "instructions"
    assert got.max_request_body == 256
    for cut in (0, 10, len(body) - 1, len(body) - 3):
        with pytest.raises(p.FrameError):
            p.parse_info(body[:cut])
    with pytest.raises(p.FrameError):     # a record header with no value
        p.parse_info(body + b"\x09")


def test_info_records_unknown_tags_are_kept_and_skipped():
    v1_fields = p.pack_info(p.Info(2, 1, 2, 1, 0, "00" * 32, 70000 % 65536, 3, 1.0, 0, 1.0, 0, (1, 2), (1, 3), "b", "f"))
    # a later feature's record (temporal context), then the tensor sizes of a > 64 KiB input
    body = v1_fields + bytes((p.REC_TEMPORAL, 8)) + struct.pack("<HHI", 4, 64, 4096) \
        + bytes((p.REC_TENSOR_BYTES, 8)) + struct.pack("<II", 70000, 3)
    info = p.parse_info(body)
    assert info.records[p.REC_TEMPORAL] == struct.pack("<HHI", 4, 64, 4096)
    assert (info.input_bytes, info.output_bytes) == (70000, 3)
    assert info.max_request_body == 70000     # no record: a device that takes a whole INFER
    assert info.to_dict()["records"]["temporal"] == struct.pack("<HHI", 4, 64, 4096).hex()


def test_input_frames_infer_or_chunks():
    x = bytes(range(256)) * 3
    assert p.input_frames(x[:100], 256) == [(p.INFER, x[:100])]
    frames = p.input_frames(x, 256)
    assert [t for t, _ in frames] == [p.LOAD] * 4 + [p.RUN]
    assert all(len(b) <= 256 for _, b in frames)
    got = b"".join(b[4:] for t, b in frames if t == p.LOAD)
    assert got == x
    assert [struct.unpack_from("<I", b)[0] for t, b in frames if t == p.LOAD] == [0, 252, 504, 756]
    assert frames[-1][1] == struct.pack("<I", zlib.crc32(x))
    assert p.parse_loaded(struct.pack("<I", 504)) == 504


def test_result_stats_error():
    assert p.parse_result(p.pack_result(1234, b"\x01\xff"), output_bytes=2) == (1234, b"\x01\xff")
    with pytest.raises(p.FrameError):
        p.parse_result(b"\x00\x00\x00\x00\x01", output_bytes=2)
    s = dict(zip(p.STATS_FIELDS, range(1, len(p.STATS_FIELDS) + 1), strict=True))
    assert p.parse_stats(p.pack_stats(s)) == s
    assert p.parse_error(p.pack_error(p.ERR_BAD_LENGTH, p.INFER)) == (5, 2)
