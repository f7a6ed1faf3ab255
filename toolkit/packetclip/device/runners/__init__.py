"""One class per flash runner; the registry every board check, CLI and launcher derives from.

    from packetclip.device.runners import RUNNERS, get_runner
    runner = get_runner("qemu")          # what a board file's [flash] runner names
    runner.emulated                      # True: packetclip starts the device itself
    emu = runner.start(board, elf)       # emulated runners: a running device at emu.url
    argv = runner.flash_argv(board, firmware_dir, port=..., probe=...)   # probe runners

The model is zephyr's scripts/west_commands/runners/ (one class per runner with its name and
capabilities) with esptool's CHIP_DEFS registry shape.
"""

from packetclip.device.runners.base import Runner
from packetclip.device.runners.esptool import EsptoolRunner
from packetclip.device.runners.host import HostRunner
from packetclip.device.runners.pyocd import PyocdRunner
from packetclip.device.runners.qemu import QemuRunner
from packetclip.errors import PacketclipError

RUNNERS = {r.name: r for r in (QemuRunner(), HostRunner(), EsptoolRunner(), PyocdRunner())}
NAMES = tuple(RUNNERS)
EMULATED = tuple(n for n, r in RUNNERS.items() if r.emulated)


def get_runner(name, where="flash.runner"):
    try:
        return RUNNERS[name]
    except (KeyError, TypeError):
        raise PacketclipError(f"{where}: runner '{name}' is unknown; use one of {', '.join(NAMES)}") from None


__all__ = ["EMULATED", "NAMES", "RUNNERS", "Runner", "get_runner"]
