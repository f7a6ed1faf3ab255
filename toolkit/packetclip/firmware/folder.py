"""The firmware build folder: where `packetclip build` puts a board's build, and how later
stages (flash, conform, monitor, swap, demo) find it again. One convention, used by all."""

import json
from pathlib import Path

from packetclip.errors import PacketclipError


def build_dir(board_name, engine="aot", dsp=None, root="build"):
    """build/<board>-<engine>[-nodsp] under the current folder (or `root`)."""
    suffix = "-nodsp" if dsp is False else ""
    return Path(root) / f"{board_name}-{engine}{suffix}"


def read_build(firmware_dir):
    """build.json of a firmware build folder (or {} when there is none)."""
    p = Path(firmware_dir) / "build.json"
    if not p.exists():
        return {}
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise PacketclipError(f"{p}: not valid JSON; rebuild with `packetclip build`") from None


def find_elf(board, firmware=None):
    """The firmware ELF: FIRMWARE may be an .elf or a build folder (default build/<board>-aot)."""
    fw = Path(firmware) if firmware else build_dir(board.name)
    if fw.suffix == ".elf":
        return fw if fw.exists() else None
    elf = read_build(fw).get("elf")
    for cand in ([Path(elf)] if elf else []) + [fw / "packetclip.elf"]:
        if cand.exists():
            return cand
    return None


def build_command(board, bundle_dir=None, firmware=None):
    """The command that makes the missing build, for messages."""
    cmd = f"packetclip build --board {board.name}"
    if bundle_dir:
        cmd += f" --model {bundle_dir}"
    if firmware and Path(firmware).suffix != ".elf":
        cmd += f" --out {firmware}"
    return cmd
