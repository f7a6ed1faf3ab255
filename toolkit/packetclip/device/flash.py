"""Put firmware on a board with the runner its board file names.

- qemu / host: start the emulated board (or host-port process) with the built ELF, wait for
  its boot line and give its socket:// URL; it runs until stopped (Ctrl-C) unless detached.
- esptool: the ESP-IDF build's bootloader, partition table and app at the offsets in
  `flasher_args.json`, through esptool v5 `write-flash`.
- pyocd: `pyocd flash -t TARGET packetclip.elf` through the board's debug probe.

Commands are argument lists run without a shell; the Python tools run from this
interpreter (`python -m esptool`), so the pinned versions in the venv are the ones used.
"""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

from packetclip.device.launch import build_command, default_build_dir, find_elf, start_device
from packetclip.device.ports import choose_port
from packetclip.errors import PacketclipError

PIP_PIN = {"esptool": "esptool==5.6.0", "pyocd": "pyocd==0.46.0"}
ESPTOOL_BAUD = 460800


def need_python_tool(name):
    if importlib.util.find_spec(name) is None:
        raise PacketclipError(f"{name} not found; install it with: pip install '{PIP_PIN[name]}' (or pip install -e '.[device]')")


def _dash(opt):
    """esptool v5 spells options and values with dashes (flash_mode -> flash-mode)."""
    return opt.replace("_", "-")


def find_flasher_args(firmware_dir):
    fw = Path(firmware_dir)
    for p in (fw / "flasher_args.json", fw / "build" / "flasher_args.json"):
        if p.exists():
            return p
    return None


def esptool_argv(board, flasher_args, port, baud=ESPTOOL_BAUD):
    """argv for esptool v5 write-flash from an ESP-IDF `flasher_args.json`."""
    flasher_args = Path(flasher_args)
    try:
        fa = json.loads(flasher_args.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise PacketclipError(f"{flasher_args}: cannot read ({exc}); rebuild with idf.py build") from None
    files = fa.get("flash_files")
    if not files:
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
    for offset, rel in sorted(files.items(), key=lambda kv: int(kv[0], 16)):
        path = flasher_args.parent / rel
        if not path.exists():
            raise PacketclipError(f"{flasher_args}: {rel} (offset {offset}) does not exist; rebuild with idf.py build")
        argv += [offset, str(path)]
    return argv


def pyocd_argv(board, elf, probe=None):
    target = board.section("flash").get("target")
    argv = [sys.executable, "-m", "pyocd", "flash", "-t", target]
    if probe:
        argv += ["-u", probe]
    return argv + [str(elf)]


def flash_command(board, firmware=None, port=None, probe=None):
    """(argv, description) for the esptool/pyocd runners."""
    fw_dir = Path(firmware) if firmware else default_build_dir(board)
    if board.runner == "esptool":
        fa = find_flasher_args(fw_dir)
        if fa is None:
            raise PacketclipError(f"no ESP-IDF build in {fw_dir} (flasher_args.json missing); `packetclip build --board {board.name} ...` "
                                  f"writes the project, then build it with `idf.py -C {fw_dir} build` (ESP-IDF)")
        return esptool_argv(board, fa, choose_port(board, port)), f"esptool write-flash via {fa}"
    if board.runner == "pyocd":
        elf = find_elf(board, firmware)
        if elf is None:
            raise PacketclipError(f"no firmware for {board.name} in {fw_dir}; build it with `{build_command(board, None, firmware)}`")
        return pyocd_argv(board, elf, probe), f"pyocd flash {elf}"
    raise PacketclipError(f"{board.path}: runner '{board.runner}' does not flash over a probe")


def run_flash(board, firmware=None, port=None, probe=None, log=print):
    argv, what = flash_command(board, firmware, port, probe)
    need_python_tool(argv[2])
    log(f"{what}: {' '.join(argv[1:])}")
    rc = subprocess.run(argv).returncode
    if rc != 0:
        raise PacketclipError(f"{argv[2]} failed with exit status {rc}; see its output above")
    return {"board": board.name, "runner": board.runner, "argv": argv[1:]}


def start_emulated(board, firmware=None):
    """Start an emulated board's firmware; returns the running Emulator (caller stops it)."""
    elf = find_elf(board, firmware)
    if elf is None:
        fw = firmware or default_build_dir(board)
        raise PacketclipError(f"no firmware for {board.name} in {fw}; build it with `{build_command(board, None, firmware)}`")
    return start_device(board, elf)
