"""The host-port firmware (firmware/ports/host) as a process serving TCP or a pty.

    dev = start_hostport("build/host-aot/packetclip.elf")
    ser = serial.serial_for_url(dev.url, timeout=1)

The process prints `listening 127.0.0.1:PORT`, then serves one client at a time. Every new
connection starts with a fresh boot line (the host port "resets" per client, as a board
does when its USB serial opens), so the caller reads the boot line itself.
"""

import subprocess
from pathlib import Path

from packetclip.device.runners.base import Runner
from packetclip.device.runners.process import Emulator
from packetclip.errors import PacketclipError


class HostRunner(Runner):
    name = "host"
    emulated = True

    def start(self, board, elf):
        return start_hostport(elf, board=board)


def start_hostport(elf, port=None, board=None):
    elf = Path(elf)
    if not elf.exists():
        raise PacketclipError(f"{elf}: host firmware not found; build it with `packetclip build --board host`")
    proc = subprocess.Popen([str(elf), "--port", str(port or 0)], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline().strip()  # "listening 127.0.0.1:PORT"
    if not line.startswith("listening "):
        proc.kill()
        err = proc.stderr.read().strip()
        proc.wait()
        raise PacketclipError(f"{elf}: did not start serving ({line or err[-200:]})")
    return Emulator(board, elf, proc, int(line.rsplit(":", 1)[1]))


def start_hostport_pty(elf):
    """Serve over a pseudo-terminal instead; returns (process, slave device path)."""
    proc = subprocess.Popen([str(elf), "--pty"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline().strip()  # "pty /dev/pts/N"
    if not line.startswith("pty "):
        proc.kill()
        proc.wait()
        raise PacketclipError(f"{elf}: did not open a pty ({line})")
    return proc, line.split(" ", 1)[1]
