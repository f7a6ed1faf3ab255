"""Start an emulated board (QEMU) from its board file and an ELF, serial over TCP.

    with start_emulator("mps2-an386", "build/mps2-an386-aot/packetclip.elf") as emu:
        ser = serial.serial_for_url(emu.url, timeout=1)   # "socket://127.0.0.1:PORT"

QEMU listens with `server=on,wait=on,nodelay=on` (ARCHITECTURE.md: without nodelay a
round trip costs ~44 ms): the guest starts when the first client connects. We connect,
read the boot line, then disconnect, so the caller's connection is the next one; the boot
line is in `.boot` (dict) and `.boot_line`.
"""

import shutil
import socket
import subprocess
import time
from pathlib import Path

from packetclip.boards import load_board
from packetclip.device.protocol import Deframer, parse_boot_line
from packetclip.errors import PacketclipError

APT_HINT = {"qemu-system-arm": "qemu-system-arm", "qemu-system-riscv32": "qemu-system-misc"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Emulator:
    """A running device process reachable at `.url`; stop() (or leaving `with`) ends it."""

    def __init__(self, board, elf, proc, port, boot_line=b""):
        self.board, self.elf, self.proc, self.port = board, Path(elf), proc, port
        self.url = f"socket://127.0.0.1:{port}"
        self.boot_line = boot_line
        self.boot = parse_boot_line(boot_line) if boot_line else None

    def alive(self):
        return self.proc.poll() is None

    def stop(self, timeout=3.0):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for f in (self.proc.stdout, self.proc.stderr):
            if f:
                f.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def __del__(self):
        try:
            self.stop()
        except Exception:
            pass


def qemu_command(board, elf, port):
    q = board.section("qemu")
    binary = q.get("binary", "qemu-system-arm")
    return [binary, "-M", q["machine"], *q.get("args", []), "-kernel", str(elf),
            "-serial", f"tcp:127.0.0.1:{port},server=on,wait=on,nodelay=on"]


def read_boot_line(port, proc, timeout, what):
    """Connect to a device's TCP serial port and return its boot line (chunk bytes)."""
    deadline = time.monotonic() + timeout
    sock = None
    while sock is None:
        if proc.poll() is not None:
            err = proc.stderr.read().decode(errors="replace").strip() if proc.stderr else ""
            raise PacketclipError(f"{what}: exited with status {proc.returncode} before serving ({err[-300:]})")
        try:
            sock = socket.create_connection(("127.0.0.1", port), timeout=0.5)
        except OSError:
            if time.monotonic() > deadline:
                raise PacketclipError(f"{what}: nothing listens on 127.0.0.1:{port} after {timeout:.0f} s") from None
            time.sleep(0.02)
    deframer, seen = Deframer(), b""
    try:
        sock.settimeout(0.2)
        while time.monotonic() < deadline:
            try:
                data = sock.recv(4096)
            except socket.timeout:
                continue
            if not data:
                break
            seen += data
            for chunk in deframer.feed(data):
                if parse_boot_line(chunk):
                    return chunk
    finally:
        sock.close()
    raise PacketclipError(f"{what}: no boot line within {timeout:.0f} s (got {seen[:80]!r}); "
                          "check that the ELF was built for this board")


def start_emulator(board, elf, port=None, timeout=20.0):
    """Start QEMU for `board` (name, path or Board) running `elf`; returns an Emulator."""
    board = board if hasattr(board, "section") else load_board(board)
    if board.runner != "qemu":
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
