"""Every board file loads and is consistent; `packetclip boards` lists them all."""

import json
import re

import pytest
from click.testing import CliRunner

from packetclip.boards import board_paths, load_board
from packetclip.cli import main

REAL = {"nucleo-f446re": ("pyocd", "stm32f446retx", "0483:374b"), "nrf52840dk": ("pyocd", "nrf52840", "1366:1015"),
        "esp32-devkitc": ("esptool", "esp32", "10c4:ea60"), "esp32-s3-devkitc": ("esptool", "esp32s3", "303a:1001"),
        "esp32-c3-devkitm": ("esptool", "esp32c3", "303a:1001")}
EMULATED = {"mps2-an386", "mps2-an500", "mps2-an505", "mps3-an547", "qemu-rv32", "host"}


@pytest.mark.parametrize("path", board_paths(), ids=lambda p: p.stem)
def test_board_file_consistent(path):
    b = load_board(path.stem)
    assert b.name == path.stem
    assert b.clock_hz > 0 and b.flash_bytes > 0 and b.ram_bytes > 0 and b.weight_g >= 0
    power = b.section("power")
    assert power["active_mw"] >= power["idle_mw"] >= 0 and power.get("source")
    if b.counter_kind == "cycles" and b.runner.name != "host":
        assert b.counter_hz == b.clock_hz, "a cycle counter ticks at the core clock"
    for usb in b.section("serial").get("usb", []):
        assert re.fullmatch(r"[0-9a-f]{4}:[0-9a-f]{4}", usb)
    if b.runner.name == "qemu":
        assert b.emulated and b.counter_kind == "instructions"


def test_all_boards_present():
    names = {p.stem for p in board_paths()}
    assert set(REAL) <= names
    assert EMULATED <= names


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_boards(name):
    runner, target, usb = REAL[name]
    b = load_board(name)
    assert not b.emulated and b.runner.name == runner and b.counter_kind == "cycles"
    key = "target" if runner == "pyocd" else "chip"
    assert b.section("flash")[key] == target
    assert usb in b.section("serial")["usb"]
    assert b.section("power")["active_mw"] > 1 and b.weight_g > 0
    assert b.usb_ids and all(isinstance(v, int) for ids in b.usb_ids for v in ids)


def test_bad_board_file_is_one_line(tmp_path):
    from packetclip.errors import PacketclipError

    src = load_board("nucleo-f446re").path.read_text().replace('usb = ["0483:374b"]', 'usb = ["0483-374b"]')
    (tmp_path / "x.toml").write_text(src)
    with pytest.raises(PacketclipError, match=r"serial.usb.*VID:PID"):
        load_board(tmp_path / "x.toml")


def test_boards_cli_lists_all():
    r = CliRunner().invoke(main, ["boards", "--json"])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.output)
    assert {x["name"] for x in rows} == {p.stem for p in board_paths()}
    for x in rows:
        kind = load_board(x["name"]).counter_kind
        assert x["counter"] == ("instructions, not cycles" if kind == "instructions" else kind)
    text = CliRunner().invoke(main, ["boards"]).output
    assert "instructions, not cycles" in text and "nucleo-f446re" in text
