"""Cortex-M boards with a CMSIS-DAP / ST-LINK / J-Link probe: `pyocd flash -t TARGET packetclip.elf`,
run from this interpreter (`python -m pyocd`)."""

import sys

from packetclip.device.runners.base import Runner
from packetclip.errors import PacketclipError
from packetclip.firmware.folder import build_command, find_elf


class PyocdRunner(Runner):
    name = "pyocd"
    tool = "pyocd"
    pip_pin = "pyocd==0.46.0"
    board_fields = (("flash", "target", "add the pyocd target name (see `pyocd list --targets`)"),)

    def flash_argv(self, board, firmware, port=None, probe=None):
        elf = find_elf(board, firmware)
        if elf is None:
            raise PacketclipError(f"no firmware for {board.name} in {firmware}; build it with "
                                  f"`{build_command(board, None, firmware)}`")
        return pyocd_argv(board, elf, probe), f"pyocd flash {elf}"


def pyocd_argv(board, elf, probe=None):
    target = board.section("flash").get("target")
    argv = [sys.executable, "-m", "pyocd", "flash", "-t", target]
    if probe:
        argv += ["-u", probe]
    return argv + [str(elf)]
