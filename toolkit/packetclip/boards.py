"""Board files: one TOML per board, shipped in the package (`boards/` in the repository), or
any path a user gives.

A board file holds what a person would look up on a datasheet and how to reach the board;
BOARD_FORMAT below declares every field (sizes in bytes, power in mW, weight in grams), and
a file is checked against it when it is loaded.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path

from packetclip import resources
from packetclip.cores import CORES
from packetclip.errors import PacketclipError
from packetclip.schema import Field, check
from packetclip.userfile import load_toml

COUNTER_KINDS = ("cycles", "instructions", "nanoseconds")
EXAMPLE = "see boards/mps2-an386.toml"
NON_PORTS = ("cortex-m",)   # firmware/ports/cortex-m is shared by the Cortex-M ports, not a port


def _ports():
    return sorted(p.name for p in (resources.firmware_dir() / "ports").iterdir()
                  if p.is_dir() and p.name not in NON_PORTS)


def _runners():
    from packetclip.device.runners import NAMES

    return NAMES


def _usb_id(v):
    if not re.fullmatch(r"[0-9a-fA-F]{4}:[0-9a-fA-F]{4}", v):
        return f"has '{v}'"
    return None


def _text(**kw):
    return Field(str, **kw)


BOARD_FORMAT = {
    "name": _text(check=lambda v: None if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}", v) else f"is {v!r}",
                  fix="use 1-32 letters, digits, '.', '_' or '-' (it names build folders and the firmware's INFO)"),
    "description": _text(max_len=200),
    "core": _text(choices=lambda: CORES, fix="cores are listed in packetclip/cores.py"),
    "arch": _text(required=False),
    "dsp": Field(bool, required=False, default=False),
    "clock_hz": Field(int, min=1, fix="the CPU clock in Hz"),
    "flash_bytes": Field(int, min=1, fix="the board's flash in bytes"),
    "ram_bytes": Field(int, min=1, fix="the board's RAM in bytes"),
    "port": _text(choices=_ports, fix="a folder of firmware/ports/"),
    "emulated": Field(bool),
    "weight_g": Field(float, min=0, fix="the board's weight in grams"),
    "weight_source": _text(required=False),
    "toolchain": Field(dict, required=False, default=dict, fields={
        "compiler": _text(required=False, default="cc"),
        "cflags": Field(list, required=False, default=list, items=_text()),
        "ldflags": Field(list, required=False, default=list, items=_text()),
    }),
    "counter": Field(dict, required=False, default=dict, fields={
        "kind": _text(required=False, default="cycles", choices=COUNTER_KINDS),
        "hz": Field(int, required=False, min=1, fix="counts per second of the board's counter"),
        "note": _text(required=False),
    }),
    "power": Field(dict, required=False, default=dict, fields={
        "active_mw": Field(float, required=False, default=0.0, min=0),
        "idle_mw": Field(float, required=False, default=0.0, min=0),
        "source": _text(required=False),
    }),
    "serial": Field(dict, required=False, default=dict, fields={
        "baud": Field(int, required=False, default=0, min=0, max=100_000_000),
        "usb": Field(list, required=False, default=list,
                     items=_text(check=_usb_id, fix='write USB ids as hex "VID:PID", e.g. "0483:374b"')),
        "usb_note": _text(required=False),
    }),
    "flash": Field(dict, fields={
        "runner": _text(choices=_runners),
        "target": _text(required=False),
        "chip": _text(required=False),
    }),
    "qemu": Field(dict, required=False, default=dict, fields={
        "binary": _text(required=False, default="qemu-system-arm"),
        "machine": _text(required=False),
        "args": Field(list, required=False, default=list, items=_text()),
    }),
}


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
        """The flash runner (device/runners/) this board's [flash] section names."""
        from packetclip.device.runners import get_runner

        return get_runner(self.section("flash").get("runner"))

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
    return sorted(resources.boards_dir().glob("*.toml"))


def list_boards():
    return [load_board(p) for p in board_paths()]


def load_board(name_or_path):
    """Load a board by name (a packaged board file) or by path to a TOML file."""
    p = Path(name_or_path)
    if p.suffix != ".toml":
        p = resources.boards_dir() / f"{name_or_path}.toml"
        if not p.exists():
            known = ", ".join(q.stem for q in board_paths())
            raise PacketclipError(f"unknown board '{name_or_path}'; known boards: {known} (or give a path to a .toml board file)")
    data = check(load_toml(p, "board file"), BOARD_FORMAT, p)
    runner = _runners_get(data["flash"]["runner"])
    runner.check_board(p, data)
    if data["emulated"] != runner.emulated:
        raise PacketclipError(f"{p}: field 'emulated' is {str(data['emulated']).lower()} but runner '{runner}' "
                              f"{'starts' if runner.emulated else 'flashes'} {'an emulated' if runner.emulated else 'a real'} board; "
                              "make them agree")
    if data["dsp"] and not CORES[data["core"]].dsp:
        raise PacketclipError(f"{p}: field 'dsp' is true but a {data['core']} has no DSP extension; set dsp = false")
    power = data["power"]
    if power["idle_mw"] > power["active_mw"] > 0:
        raise PacketclipError(f"{p}: field 'power.idle_mw' ({power['idle_mw']}) is above power.active_mw ({power['active_mw']}); "
                              "swap them or fix the datasheet values")
    return Board(name=data["name"], path=p, data=data)


def _runners_get(name):
    from packetclip.device.runners import get_runner

    return get_runner(name)
