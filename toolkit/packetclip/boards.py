"""Board files: one TOML per board in `boards/` (the repo) or any path a user gives.

A board file holds what a person would look up on a datasheet and how to reach the board.
Fields (all sizes in bytes, power in mW, weight in grams):

    name, description, core, arch, dsp (bool), clock_hz, flash_bytes, ram_bytes,
    port (firmware/ports/<port>), emulated (bool), weight_g
    [toolchain] compiler, cflags (list), ldflags (list)
    [counter]   kind ("cycles" | "instructions" | "nanoseconds"), hz (counts per second), note
    [power]     active_mw, idle_mw, source
    [serial]    baud, usb (list of "VID:PID")
    [flash]     runner ("qemu" | "esptool" | "pyocd" | "host"), target (pyocd target / esptool chip)
    [qemu]      binary, machine, args (list)   (emulated boards only)
"""

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from packetclip.errors import PacketclipError

REPO_ROOT = Path(__file__).resolve().parents[2]
BOARDS_DIR = REPO_ROOT / "boards"

REQUIRED = {
    "name": str, "description": str, "core": str, "clock_hz": int, "flash_bytes": int,
    "ram_bytes": int, "port": str, "emulated": bool, "weight_g": (int, float),
}
COUNTER_KINDS = ("cycles", "instructions", "nanoseconds")
RUNNERS = ("qemu", "esptool", "pyocd", "host")


@dataclass(frozen=True)
class Board:
    name: str
    path: Path
    data: dict = field(repr=False)

    def __getattr__(self, key):
        try:
            return self.data[key]
        except KeyError:
            raise AttributeError(key) from None

    def section(self, key):
        return self.data.get(key, {})

    @property
    def counter_kind(self):
        return self.section("counter").get("kind", "cycles")

    @property
    def counter_hz(self):
        return int(self.section("counter").get("hz", self.data["clock_hz"]))

    @property
    def runner(self):
        return self.section("flash").get("runner")

    def counts_to_us(self, counts):
        return counts * 1e6 / self.counter_hz

    @property
    def baud(self):
        return int(self.section("serial").get("baud", 0))

    @property
    def usb_ids(self):
        """[(vid, pid)] as ints, from serial.usb "VID:PID" strings (hex)."""
        return [tuple(int(x, 16) for x in s.split(":")) for s in self.section("serial").get("usb", [])]

    @property
    def counter_unit(self):
        """What latencies are counted in; emulated boards count instructions, not cycles."""
        return self.counter_kind


def board_paths():
    return sorted(BOARDS_DIR.glob("*.toml"))


def list_boards():
    return [load_board(p) for p in board_paths()]


def load_board(name_or_path):
    """Load a board by name (a file in boards/) or by path to a TOML file."""
    p = Path(name_or_path)
    if p.suffix != ".toml":
        p = BOARDS_DIR / f"{name_or_path}.toml"
        if not p.exists():
            known = ", ".join(q.stem for q in board_paths())
            raise PacketclipError(f"unknown board '{name_or_path}'; known boards: {known} (or give a path to a .toml board file)")
    if not p.exists():
        raise PacketclipError(f"{p}: board file not found")
    try:
        data = tomllib.loads(p.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise PacketclipError(f"{p}: not valid TOML ({exc}); fix the syntax") from None
    for key, typ in REQUIRED.items():
        if key not in data:
            raise PacketclipError(f"{p}: field '{key}' is missing; add it (see boards/mps2-an386.toml)")
        if not isinstance(data[key], typ) or (typ is int and isinstance(data[key], bool)):
            raise PacketclipError(f"{p}: field '{key}' has the wrong type ({type(data[key]).__name__}); see boards/mps2-an386.toml")
    kind = data.get("counter", {}).get("kind", "cycles")
    if kind not in COUNTER_KINDS:
        raise PacketclipError(f"{p}: field 'counter.kind' is '{kind}'; use one of {', '.join(COUNTER_KINDS)}")
    runner = data.get("flash", {}).get("runner")
    if runner not in RUNNERS:
        raise PacketclipError(f"{p}: field 'flash.runner' is '{runner}'; use one of {', '.join(RUNNERS)}")
    if runner == "qemu" and "machine" not in data.get("qemu", {}):
        raise PacketclipError(f"{p}: field 'qemu.machine' is missing for an emulated board; add the QEMU machine name")
    if runner == "pyocd" and not data.get("flash", {}).get("target"):
        raise PacketclipError(f"{p}: field 'flash.target' is missing; add the pyocd target name (see `pyocd list --targets`)")
    if runner == "esptool" and not data.get("flash", {}).get("chip"):
        raise PacketclipError(f"{p}: field 'flash.chip' is missing; add the esptool chip name (esp32, esp32s3, esp32c3, ...)")
    for usb in data.get("serial", {}).get("usb", []):
        if not re.fullmatch(r"[0-9a-fA-F]{4}:[0-9a-fA-F]{4}", str(usb)):
            raise PacketclipError(f"{p}: field 'serial.usb' has '{usb}'; write USB ids as hex \"VID:PID\", e.g. \"0483:374b\"")
    return Board(name=data["name"], path=p, data=data)
