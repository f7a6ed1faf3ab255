"""`packetclip flash`: put firmware on a board with the runner its board file names
(device/runners/: qemu and host start the device, esptool and pyocd write it through a tool).

Commands are argument lists run without a shell.
"""

import importlib.util
import subprocess

from packetclip.errors import PacketclipError
from packetclip.firmware.folder import build_command, build_dir, find_elf


def need_python_tool(runner):
    if importlib.util.find_spec(runner.tool) is None:
        raise PacketclipError(f"{runner.tool} not found; install it with: pip install '{runner.pip_pin}' "
                              "(or pip install -e '.[device]')")


def flash_command(board, firmware=None, port=None, probe=None):
    """(argv, description) for a probe runner (esptool, pyocd)."""
    return board.runner.flash_argv(board, firmware or build_dir(board.name), port=port, probe=probe)


def run_flash(board, firmware=None, port=None, probe=None, log=print):
    argv, what = flash_command(board, firmware, port, probe)
    need_python_tool(board.runner)
    log(f"{what}: {' '.join(argv[1:])}")
    rc = subprocess.run(argv).returncode
    if rc != 0:
        raise PacketclipError(f"{board.runner.tool} failed with exit status {rc}; see its output above")
    return {"board": board.name, "runner": board.runner.name, "argv": argv[1:]}


def start_emulated(board, firmware=None):
    """Start an emulated board's firmware; returns the running Emulator (caller stops it)."""
    elf = find_elf(board, firmware)
    if elf is None:
        fw = firmware or build_dir(board.name)
        raise PacketclipError(f"no firmware for {board.name} in {fw}; build it with `{build_command(board, None, firmware)}`")
    return board.runner.start(board, elf)
