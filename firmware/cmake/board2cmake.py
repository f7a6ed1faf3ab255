"""Turn a board file (boards/<name>.toml or a path) into CMake `set()` lines.

Used by the top-level CMakeLists.txt so that a plain `cmake -DPACKETCLIP_BOARD=...` works
without the packetclip package: standard library only (tomllib, Python >= 3.11).
    python3 board2cmake.py <board name or .toml path> <repo root> <out.cmake>
"""

import sys
import tomllib
from pathlib import Path


def cmake_str(v):
    return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'


def main(board, root, out):
    p = Path(board)
    if p.suffix != ".toml":
        p = Path(root) / "boards" / f"{board}.toml"
    if not p.exists():
        sys.exit(f"{p}: board file not found; give a name from boards/ or a path to a .toml")
    d = tomllib.loads(p.read_text())
    tc, q, c = d.get("toolchain", {}), d.get("qemu", {}), d.get("counter", {})
    vals = {
        "PC_BOARD_FILE": p.resolve(),
        "PC_BOARD_NAME": d["name"],
        "PC_BOARD_PORT": d["port"],
        "PC_BOARD_CORE": d.get("core", ""),
        "PC_BOARD_ARCH": d.get("arch", ""),
        "PC_BOARD_DSP": "ON" if d.get("dsp") else "OFF",
        "PC_BOARD_COMPILER": tc.get("compiler", ""),
        "PC_BOARD_QEMU_MACHINE": q.get("machine", ""),
        "PC_BOARD_COUNTER_HZ": int(c.get("hz", d.get("clock_hz", 0))),
        # real-board ports size the linker script, clock tree and UART from these
        "PC_BOARD_CLOCK_HZ": int(d.get("clock_hz", 0)),
        "PC_BOARD_FLASH_BYTES": int(d.get("flash_bytes", 0)),
        "PC_BOARD_RAM_BYTES": int(d.get("ram_bytes", 0)),
        "PC_BOARD_BAUD": int(d.get("serial", {}).get("baud", 0) or 0),
    }
    lines = [f"# generated from {p.name} by firmware/cmake/board2cmake.py"]
    lines += [f"set({k} {cmake_str(v)})" for k, v in vals.items()]
    for key, var in (("cflags", "PC_BOARD_CFLAGS"), ("ldflags", "PC_BOARD_LDFLAGS")):
        items = " ".join(cmake_str(x) for x in tc.get(key, []))
        lines.append(f"set({var} {items})")
    text = "\n".join(lines) + "\n"
    out = Path(out)
    if not out.exists() or out.read_text() != text:
        out.write_text(text)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
