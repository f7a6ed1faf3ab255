"""Port choice (never probing unknown ports) and flash command construction, without hardware."""

import json
import sys

import pytest

from packetclip.boards import load_board
from packetclip.device.flash import flash_command
from packetclip.device.ports import Candidate, choose_port
from packetclip.device.runners.esptool import esptool_argv
from packetclip.device.runners.pyocd import pyocd_argv
from packetclip.device.session import LinkLost, Session
from packetclip.errors import PacketclipError

NUCLEO = load_board("nucleo-f446re")
OTHER = Candidate("/dev/ttyUSB7", 0x1a86, 0x7523, "CH340")  # an unknown board: never chosen


def test_port_flag_wins_and_urls_pass_through():
    ports = [Candidate("/dev/ttyACM0", 0x0483, 0x374B, "STLink")]
    assert choose_port(NUCLEO, "/dev/ttyACM3", ports) == "/dev/ttyACM3"
    for url in ("socket://127.0.0.1:5555", "rfc2217://10.0.0.2:4000", "loop://"):
        assert choose_port(NUCLEO, url, ports) == url


def test_port_by_usb_id():
    ports = [OTHER, Candidate("/dev/ttyACM1", 0x0483, 0x374B, "STM32 STLink")]
    assert choose_port(NUCLEO, None, ports) == "/dev/ttyACM1"


def test_several_candidates_are_listed_and_stop():
    ports = [Candidate("/dev/ttyACM1", 0x0483, 0x374B, "STLink", "066A"), Candidate("/dev/ttyACM0", 0x0483, 0x374B, "STLink", "0670")]
    with pytest.raises(PacketclipError) as e:
        choose_port(NUCLEO, None, ports)
    msg = str(e.value)
    assert "2 ports match" in msg and "/dev/ttyACM0" in msg and "/dev/ttyACM1" in msg and "--port" in msg


def test_no_candidate_never_picks_unknown_port():
    with pytest.raises(PacketclipError, match="no serial port with USB id 0483:374b"):
        choose_port(NUCLEO, None, [OTHER])


def test_emulated_board_needs_url():
    with pytest.raises(PacketclipError, match="socket://"):
        choose_port(load_board("mps2-an386"), None, [])


def test_any_pyserial_url_opens():
    # loop:// echoes what we send: a HELLO comes back as a HELLO, never as an INFO.
    with Session.open("loop://", timeout=0.05, give_up_s=0.3) as s:
        with pytest.raises(LinkLost):
            s.hello()
        assert s.link.tx_bytes > 0 and s.link.accepted == 0


def _idf_build(tmp_path, chip="esp32", boot_off="0x1000"):
    b = tmp_path / "build"
    for rel in ("bootloader/bootloader.bin", "partition_table/partition-table.bin", "packetclip.bin"):
        (b / rel).parent.mkdir(parents=True, exist_ok=True)
        (b / rel).write_bytes(b"\xe9" * 16)
    fa = {"write_flash_args": ["--flash_mode", "dio", "--flash_size", "4MB", "--flash_freq", "40m"],
          "flash_settings": {"flash_mode": "dio", "flash_size": "4MB", "flash_freq": "40m"},
          "flash_files": {"0x10000": "packetclip.bin", boot_off: "bootloader/bootloader.bin",
                          "0x8000": "partition_table/partition-table.bin"},
          "extra_esptool_args": {"after": "hard_reset", "before": "default_reset", "stub": True, "chip": chip}}
    (b / "flasher_args.json").write_text(json.dumps(fa))
    return tmp_path


def test_esptool_argv(tmp_path):
    fw = _idf_build(tmp_path)
    argv, _ = flash_command(load_board("esp32-devkitc"), fw, port="/dev/ttyUSB0")
    b = fw / "build"
    assert argv == [sys.executable, "-m", "esptool", "--chip", "esp32", "--port", "/dev/ttyUSB0", "--baud", "460800",
                    "--before", "default-reset", "--after", "hard-reset", "write-flash",
                    "--flash-mode", "dio", "--flash-size", "4MB", "--flash-freq", "40m",
                    "0x1000", str(b / "bootloader/bootloader.bin"), "0x8000", str(b / "partition_table/partition-table.bin"),
                    "0x10000", str(b / "packetclip.bin")]


def test_esptool_wrong_chip_and_missing_build(tmp_path):
    fw = _idf_build(tmp_path / "a", chip="esp32")
    with pytest.raises(PacketclipError, match="built for chip esp32, board esp32-c3-devkitm is esp32c3"):
        esptool_argv(load_board("esp32-c3-devkitm"), fw / "build" / "flasher_args.json", "/dev/ttyUSB0")
    with pytest.raises(PacketclipError, match="flasher_args.json missing"):
        flash_command(load_board("esp32-s3-devkitc"), tmp_path / "nothing", port="/dev/ttyACM0")


def test_pyocd_argv(tmp_path):
    elf = tmp_path / "packetclip.elf"
    elf.write_bytes(b"\x7fELF")
    assert pyocd_argv(NUCLEO, elf) == [sys.executable, "-m", "pyocd", "flash", "-t", "stm32f446retx", str(elf)]
    argv, _ = flash_command(load_board("nrf52840dk"), elf, probe="683512345")
    assert argv[3:] == ["flash", "-t", "nrf52840", "-u", "683512345", str(elf)]
    with pytest.raises(PacketclipError, match="packetclip build --board nucleo-f446re"):
        flash_command(NUCLEO, tmp_path / "no-build")
