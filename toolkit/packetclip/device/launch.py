"""Reach a board: a port the user gives, a USB serial port found by VID:PID, or an emulated
board (QEMU or the host port) that we start ourselves from a firmware build.

    with connect(board, port=None, bundle_dir="models/cicids2017-mlp") as link:
        link.url, link.emulator, link.baud
"""

import contextlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from packetclip.device.ports import choose_port, is_url
from packetclip.errors import PacketclipError
from packetclip.firmware.folder import build_command, build_dir, find_elf, read_build


def ensure_elf(board, firmware=None, bundle_dir=None, build=True, log=print):
    """The ELF to run; builds it for `bundle_dir` when missing or built for another bundle."""
    elf = find_elf(board, firmware)
    fw_dir = Path(firmware) if firmware and Path(firmware).suffix != ".elf" else build_dir(board.name)
    stale = False
    if elf is not None and bundle_dir is not None and not (firmware and Path(firmware).suffix == ".elf"):
        built_for = read_build(fw_dir).get("model")
        stale = built_for is not None and _same_bundle(built_for, bundle_dir) is False
    if elf is not None and not stale:
        return elf
    if not build or bundle_dir is None:
        raise PacketclipError(f"no firmware for {board.name} in {fw_dir}; build it with `{build_command(board, bundle_dir, firmware)}`")
    from packetclip.firmware import build_firmware

    log(f"building firmware for {board.name} ({'stale build' if stale else 'none found'}): {build_command(board, bundle_dir, fw_dir)}")
    rep = build_firmware(board, bundle_dir, out=fw_dir, log=lambda *a: None)
    return Path(rep["elf"])


def _same_bundle(a, b):
    """True/False when both bundles can be read, None otherwise."""
    try:
        ja = json.loads((Path(a) / "model.json").read_text(encoding="utf-8"))
        jb = json.loads((Path(b) / "model.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(ja, dict) or not isinstance(jb, dict):
        return None
    return ja.get("tflite_sha256") == jb.get("tflite_sha256")


@dataclass
class Link:
    url: str
    baud: int            # nominal link rate (0/None: a socket, not rate-limited)
    emulator: object = None

    @property
    def rate_limited(self):
        return bool(self.baud) and not self.url.startswith(("socket://", "loop://"))


@contextlib.contextmanager
def connect(board, port=None, firmware=None, bundle_dir=None, build=True, log=print):
    """Yield a Link to `board`; an emulator started here is stopped on exit."""
    if port or not board.runner.emulated:
        url = choose_port(board, port)
        yield Link(url, 0 if is_url(url) else board.baud)
        return
    elf = ensure_elf(board, firmware, bundle_dir, build=build, log=log)
    emu = board.runner.start(board, elf)
    try:
        log(f"started {board.name} ({board.runner}) with {_rel(elf)} at {emu.url}")
        yield Link(emu.url, 0, emu)
    finally:
        emu.stop()


def _rel(p):
    """A path as the user would type it: relative to the current folder when it is under it."""
    rel = os.path.relpath(Path(p).resolve())
    return str(p) if rel.startswith("..") else rel
