"""Reach a board: a port the user gives, a USB serial port found by VID:PID, or an emulated
board (QEMU or the host port) that we start ourselves from a firmware build.

    with connect(board, port=None, bundle_dir="models/cicids2017-mlp") as link:
        link.url, link.emulator, link.baud
"""

import contextlib
import json
from dataclasses import dataclass
from pathlib import Path

from packetclip.boards import REPO_ROOT
from packetclip.device.ports import choose_port, is_url
from packetclip.errors import PacketclipError

EMULATED_RUNNERS = ("qemu", "host")


def default_build_dir(board, engine="aot"):
    return Path("build") / f"{board.name}-{engine}"


def read_build(firmware_dir):
    """build.json of a firmware build folder (or {} when there is none)."""
    p = Path(firmware_dir) / "build.json"
    if not p.exists():
        return {}
    try:
        return json.loads(p.read_text())
    except json.JSONDecodeError:
        raise PacketclipError(f"{p}: not valid JSON; rebuild with `packetclip build`") from None


def find_elf(board, firmware=None):
    """The firmware ELF: FIRMWARE may be an .elf or a build folder (default build/<board>-aot)."""
    fw = Path(firmware) if firmware else default_build_dir(board)
    if fw.suffix == ".elf":
        return fw if fw.exists() else None
    elf = read_build(fw).get("elf")
    for cand in ([Path(elf)] if elf else []) + [fw / "packetclip.elf"]:
        if cand.exists():
            return cand
    return None


def build_command(board, bundle_dir=None, firmware=None):
    cmd = f"packetclip build --board {board.name} --model {bundle_dir or 'models/cicids2017-mlp'}"
    if firmware and Path(firmware).suffix != ".elf":
        cmd += f" --out {firmware}"
    return cmd


def ensure_elf(board, firmware=None, bundle_dir=None, build=True, log=print):
    """The ELF to run; builds it for `bundle_dir` when missing or built for another bundle."""
    elf = find_elf(board, firmware)
    fw_dir = Path(firmware) if firmware and Path(firmware).suffix != ".elf" else default_build_dir(board)
    stale = False
    if elf is not None and bundle_dir is not None and not (firmware and Path(firmware).suffix == ".elf"):
        built_for = read_build(fw_dir).get("model")
        stale = built_for is not None and _same_bundle(built_for, bundle_dir) is False
    if elf is not None and not stale:
        return elf
    if not build or bundle_dir is None:
        raise PacketclipError(f"no firmware for {board.name} in {fw_dir}; build it with `{build_command(board, bundle_dir, firmware)}`")
    from packetclip.build import build_firmware

    log(f"building firmware for {board.name} ({'stale build' if stale else 'none found'}): {build_command(board, bundle_dir, fw_dir)}")
    rep = build_firmware(board, bundle_dir, out=fw_dir, log=lambda *a: None)
    return Path(rep["elf"])


def _same_bundle(a, b):
    """True/False when both bundles can be read, None otherwise."""
    try:
        ja = json.loads((Path(a) / "model.json").read_text())
        jb = json.loads((Path(b) / "model.json").read_text())
    except (OSError, json.JSONDecodeError):
        return None
    return ja.get("tflite_sha256") == jb.get("tflite_sha256")


def start_device(board, elf):
    """Start an emulated board (QEMU) or the host port running `elf`; returns an Emulator."""
    if board.runner == "qemu":
        from packetclip.device.qemu import start_emulator

        return start_emulator(board, elf)
    if board.runner == "host":
        from packetclip.device.hostport import start_hostport

        return start_hostport(elf)
    raise PacketclipError(f"{board.path}: board {board.name} is not emulated (runner {board.runner}); give --port")


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
    if port or board.runner not in EMULATED_RUNNERS:
        url = choose_port(board, port)
        yield Link(url, 0 if is_url(url) else board.baud)
        return
    elf = ensure_elf(board, firmware, bundle_dir, build=build, log=log)
    emu = start_device(board, elf)
    try:
        log(f"started {board.name} ({board.runner}) with {_rel(elf)} at {emu.url}")
        yield Link(emu.url, 0, emu)
    finally:
        emu.stop()


def _rel(p):
    try:
        return str(Path(p).resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(p)
