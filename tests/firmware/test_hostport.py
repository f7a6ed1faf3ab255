"""The host port (firmware/ports/host) over TCP and a pty, with the fake engine."""

import os
import select
import time

import numpy as np
import pytest
from fwutil import FAKE_IN, FAKE_OUT, Link, fake_expected

from packetclip.device import protocol as p
from packetclip.device.runners.host import start_hostport, start_hostport_pty


@pytest.fixture(scope="module")
def host_elf(builds):
    return builds.fake("host")[0]


@pytest.fixture()
def link(host_elf):
    with start_hostport(host_elf) as dev:
        link = Link(dev.port)
        boot = link.recv_chunks(1)[0]
        assert p.parse_boot_line(boot) == {"board": "host", "fw": "0.1.0", "proto": 1}
        yield link
        link.close()


def test_info_fields(link):
    f = link.request(p.HELLO, 200)
    assert (f.type, f.seq) == (p.INFO, 200)
    info = p.parse_info(f.body)
    assert info.board == "host" and info.firmware_version == "0.1.0"
    assert (info.counter_kind, info.counter_hz) == (p.COUNTER_NANOSECONDS, 1_000_000_000)
    assert (info.input_bytes, info.output_bytes) == (FAKE_IN, FAKE_OUT)


def test_pipelined_infer_and_stats(link):
    X = np.random.default_rng(0).integers(-128, 128, (1000, FAKE_IN), dtype=np.int8)
    X[:, 0] = np.where((X[:, 0] == -128) & (X[:, 1] == 127), 0, X[:, 0])  # avoid the fake failure input
    t = time.monotonic()
    Y, deltas = link.infer_many(X)
    assert time.monotonic() - t < 10
    assert np.array_equal(Y, fake_expected(X))
    s = p.parse_stats(link.request(p.STATS, 1).body)
    assert s["inferences"] == 1000 and s["rx_frames"] == 1001 and s["errors_sent"] == 0
    assert s["last_counter_delta"] == deltas[-1]


def test_errors_then_resync(link):
    bad_crc = bytearray(p.encode_frame(p.HELLO, 3))
    bad_crc[1] ^= 0xFF
    link.send(b"\x13\x37garbage" + b"\x00" + bytes(bad_crc) + b"\x01" * 5000 + b"\x00"
              + p.encode_frame(0x42, 9) + p.encode_frame(p.INFER, 10, bytes(3)))
    codes = [(f.seq, p.parse_error(f.body)) for f in link.recv_frames(5)]
    assert codes == [(0, (p.ERR_BAD_FRAME, 0)), (0, (p.ERR_BAD_CRC, 0)), (0, (p.ERR_TOO_LONG, 0)),
                     (9, (p.ERR_UNKNOWN_TYPE, 0x42)), (10, (p.ERR_BAD_LENGTH, p.INFER))]
    f = link.request(p.INFER, 11, bytes(range(FAKE_IN)))
    assert f.type == p.RESULT and f.seq == 11


def test_truncated_frame_then_good_frame(link):
    # a frame cut short by a delimiter fails its CRC; the next frame still gets through
    wire = p.encode_frame(p.INFER, 1, bytes(range(1, FAKE_IN + 1)))
    link.send(wire[:20] + b"\x00" + p.encode_frame(p.HELLO, 2))
    a, b = link.recv_frames(2)
    assert a.type == p.ERROR and p.parse_error(a.body)[0] in (p.ERR_BAD_CRC, p.ERR_BAD_FRAME)
    assert (b.type, b.seq) == (p.INFO, 2)


def test_reconnect_boots_again(host_elf):
    with start_hostport(host_elf) as dev:
        for _ in range(2):
            link = Link(dev.port)
            assert p.is_boot_line(link.recv_chunks(1)[0])
            assert link.request(p.STATS, 5).type == p.STATS_REPLY
            link.close()


def test_pty(host_elf):
    import termios
    import tty

    proc, path = start_hostport_pty(host_elf)
    try:
        fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
        tty.setraw(fd)
        termios.tcflush(fd, termios.TCIOFLUSH)
        os.write(fd, b"\x00" + p.encode_frame(p.HELLO, 77))
        d, frames, deadline = p.Deframer(), [], time.monotonic() + 5
        while not frames and time.monotonic() < deadline:
            if select.select([fd], [], [], 0.2)[0]:
                frames = [c for c in d.feed(os.read(fd, 4096)) if not p.is_boot_line(c)]
        os.close(fd)
        assert frames and p.decode_frame(frames[0]).seq == 77
    finally:
        proc.kill()
        proc.wait()
