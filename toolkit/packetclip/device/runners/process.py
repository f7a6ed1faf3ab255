"""A device process packetclip started (QEMU or the host port), reached over TCP."""

import socket
import subprocess
import time
from pathlib import Path

from packetclip.device.protocol import Deframer, parse_boot_line
from packetclip.errors import PacketclipError


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
            except TimeoutError:
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
