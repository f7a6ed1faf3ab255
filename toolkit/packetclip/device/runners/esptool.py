"""ESP32 boards: the ESP-IDF build's bootloader, partition table and app at the offsets in
`flasher_args.json`, through esptool v5 `write-flash`, run from this interpreter
(`python -m esptool`) so the venv's pinned version is the one used."""

import json
import sys
from pathlib import Path

from packetclip.device.ports import choose_port
from packetclip.device.runners.base import Runner
from packetclip.errors import PacketclipError

ESPTOOL_BAUD = 460800


class EsptoolRunner(Runner):
    name = "esptool"
    tool = "esptool"
    pip_pin = "esptool==5.6.0"
    board_fields = (("flash", "chip", "add the esptool chip name (esp32, esp32s3, esp32c3, ...)"),)

    def flash_argv(self, board, firmware, port=None, probe=None):
        fa = find_flasher_args(firmware)
        if fa is None:
            raise PacketclipError(f"no ESP-IDF build in {firmware} (flasher_args.json missing); `packetclip build --board {board.name}` "
                                  f"writes the project, then build it with `idf.py -C {firmware} build` (ESP-IDF)")
        return esptool_argv(board, fa, choose_port(board, port)), f"esptool write-flash via {fa}"


def _dash(opt):
    """esptool v5 spells options and values with dashes (flash_mode -> flash-mode)."""
    return opt.replace("_", "-")


def find_flasher_args(firmware):
    fw = Path(firmware)
    for p in (fw / "flasher_args.json", fw / "build" / "flasher_args.json"):
        if p.exists():
            return p
    return None


def esptool_argv(board, flasher_args, port, baud=ESPTOOL_BAUD):
    """argv for esptool v5 write-flash from an ESP-IDF `flasher_args.json`."""
    flasher_args = Path(flasher_args)
    try:
        fa = json.loads(flasher_args.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PacketclipError(f"{flasher_args}: cannot read ({exc}); rebuild with idf.py build") from None
    files = fa.get("flash_files") if isinstance(fa, dict) else None
    if not files or not isinstance(files, dict):
        raise PacketclipError(f"{flasher_args}: field 'flash_files' is missing or empty; rebuild with idf.py build")
    extra = fa.get("extra_esptool_args", {})
    chip = board.section("flash").get("chip") or extra.get("chip")
    if extra.get("chip") and extra["chip"] != chip:
        raise PacketclipError(f"{flasher_args}: built for chip {extra['chip']}, board {board.name} is {chip}; "
                              f"rebuild with `packetclip build --board {board.name}`")
    argv = [sys.executable, "-m", "esptool", "--chip", chip, "--port", port, "--baud", str(baud),
            "--before", _dash(extra.get("before", "default_reset")), "--after", _dash(extra.get("after", "hard_reset"))]
    if extra.get("stub") is False:
        argv.append("--no-stub")
    argv.append("write-flash")
    args = list(fa.get("write_flash_args", []))
    argv += [_dash(a) if a.startswith("--") else a for a in args]
    try:
        ordered = sorted(files.items(), key=lambda kv: int(kv[0], 16))
    except ValueError:
        raise PacketclipError(f"{flasher_args}: field 'flash_files' has an offset that is not hex; rebuild with idf.py build") from None
    for offset, rel in ordered:
        path = flasher_args.parent / rel
        if not path.exists():
            raise PacketclipError(f"{flasher_args}: {rel} (offset {offset}) does not exist; rebuild with idf.py build")
        argv += [offset, str(path)]
    return argv
