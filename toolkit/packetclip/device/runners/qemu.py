"""Emulated boards under QEMU, serial over TCP.

    emu = start_emulator("mps2-an386", "build/mps2-an386-aot/packetclip.elf")
    ser = serial.serial_for_url(emu.url, timeout=1)   # "socket://127.0.0.1:PORT"

QEMU listens with `server=on,wait=on,nodelay=on` (ARCHITECTURE.md: without nodelay a
round trip costs ~44 ms): the guest starts when the first client connects. We connect,
read the boot line, then disconnect, so the caller's connection is the next one; the boot
line is in `.boot` (dict) and `.boot_line`.
"""

import shutil
import subprocess
from pathlib import Path

from packetclip.device.runners.base import Runner
from packetclip.device.runners.process import Emulator, free_port, read_boot_line
from packetclip.errors import PacketclipError

APT_HINT = {"qemu-system-arm": "qemu-system-arm", "qemu-system-riscv32": "qemu-system-misc"}


class QemuRunner(Runner):
    name = "qemu"
    emulated = True
    board_fields = (("qemu", "machine", "add the QEMU machine name for an emulated board"),)

    def start(self, board, elf):
        return start_emulator(board, elf)


def qemu_command(board, elf, port):
    q = board.section("qemu")
    binary = q.get("binary", "qemu-system-arm")
    return [binary, "-M", q["machine"], *q.get("args", []), "-kernel", str(elf),
            "-serial", f"tcp:127.0.0.1:{port},server=on,wait=on,nodelay=on"]


def start_emulator(board, elf, port=None, timeout=20.0):
    """Start QEMU for `board` (name, path or Board) running `elf`; returns an Emulator."""
    from packetclip.boards import load_board

    board = board if hasattr(board, "section") else load_board(board)
    if board.runner.name != QemuRunner.name:
        raise PacketclipError(f"{board.path}: flash.runner is '{board.runner}', not qemu; this board is not emulated")
    elf = Path(elf)
    if not elf.exists():
        raise PacketclipError(f"{elf}: firmware not found; build it with `packetclip build --board {board.name}`")
    binary = board.section("qemu").get("binary", "qemu-system-arm")
    if shutil.which(binary) is None:
        raise PacketclipError(f"{binary} not found; install it with: sudo apt-get install {APT_HINT.get(binary, 'qemu-system')}")
    attempts = 1 if port else 3
    for attempt in range(attempts):
        p = port or free_port()
        proc = subprocess.Popen(qemu_command(board, elf, p), stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            line = read_boot_line(p, proc, timeout, f"{binary} ({board.name})")
            return Emulator(board, elf, proc, p, line)
        except PacketclipError:
            proc.kill()
            proc.wait()
            if proc.stderr:
                proc.stderr.close()
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")
