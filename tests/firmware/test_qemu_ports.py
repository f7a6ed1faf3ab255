"""Every emulated board boots in QEMU and serves the protocol (fake engine, so the port,
startup, UART and counter are what is tested here; bit-exactness is test_bitexact.py)."""

import numpy as np
import pytest
from fwutil import EMULATED, FAKE_IN, Link, fake_expected

from packetclip.boards import load_board
from packetclip.device import protocol as p
from packetclip.device.runners.qemu import start_emulator

pytestmark = pytest.mark.qemu


@pytest.mark.parametrize("board", EMULATED)
def test_port_serves_protocol(builds, board):
    elf, mem = builds.fake(board)
    assert mem["ram_bytes"] < 1024, mem  # core + port without a model: well under the 1 KiB budget
    with start_emulator(board, elf) as emu:
        assert emu.boot == {"board": board, "fw": "0.1.0", "proto": 1}
        link = Link(emu.port)
        info = p.parse_info(link.request(p.HELLO, 1).body)
        assert info.board == board and info.counter_kind == p.COUNTER_INSTRUCTIONS
        assert info.counter_hz == load_board(board).counter_hz
        X = np.random.default_rng(1).integers(-100, 100, (300, FAKE_IN), dtype=np.int8)
        Y, deltas = link.infer_many(X)
        assert np.array_equal(Y, fake_expected(X))
        # 480 MACs: thousands of instructions, identical for every input up to the counter resolution
        # (one SysTick tick is 40-50 instructions under QEMU; the spread can be two ticks)
        assert 500 < deltas.min() and deltas.max() - deltas.min() <= 100, (deltas.min(), deltas.max())
        link.send(b"\x01" * 300 + b"\x00" + b"\x03\x03\x00")
        errs = [p.parse_error(f.body)[0] for f in link.recv_frames(2)]
        assert errs == [p.ERR_TOO_LONG, p.ERR_BAD_FRAME]
        s = p.parse_stats(link.request(p.STATS, 2).body)
        assert s["inferences"] == 300 and s["rx_too_long"] == 1 and s["rx_bad_frame"] == 1
        link.close()
