"""Flash and RAM of a linked firmware, by section and by component, from the GNU ld map.

Components: `weights` (read-only data of the generated model folder), `engine` (inference
kernels, generated graph code, activation buffers, TFLM), `hosts` (a windowed model's
per-host flow table, firmware/core/hosts.c), `missions` (text-mission prototypes and their
scoring, firmware/core/missions.c, and a compiled-in set), `core` (protocol and main loop),
`port` (startup, UART, counter), `libc` (C library, libgcc), `other`. Flash holds code,
read-only data and the initial values of .data; RAM holds .data and .bss; the stack is
reported apart (the budgets are "RAM besides stack").
"""

import re
from pathlib import Path

COMPONENTS = ("weights", "engine", "hosts", "missions", "core", "port", "libc", "other")
_OUT = re.compile(r"^(\.[\w.]+|[A-Za-z_][\w.]*)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)")
_IN = re.compile(r"^ ([\w.*$-]+)?\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S.*)$")
_IN_NAME_ONLY = re.compile(r"^ (\.[\w.$-]+)\s*$")


def section_kind(name):
    """'flash' for code/constants, 'data' for initialised RAM (in both), 'bss', 'stack' or None."""
    if name in (".stack", ".heap"):
        return "stack"
    if name.startswith((".text", ".rodata", ".ARM.exidx", ".ARM.extab", ".srodata", ".init", ".fini",
                        ".vectors", ".iram", ".flash")):
        return "flash"
    if name.startswith((".data", ".sdata", ".tdata")):
        return "data"
    if name.startswith((".bss", ".sbss", ".tbss", ".noinit")):
        return "bss"
    return None


# archives the firmware build itself makes (firmware/engine/tflm/tflm.cmake): not the C library
PROJECT_ARCHIVES = {"libpc_tflm.a": "engine"}


def component_of(obj, insec, model_dir_names=("model",)):
    o = obj.replace("\\", "/")
    if ".a(" in o:
        archive = o.split("(", 1)[0].rsplit("/", 1)[-1]
        return PROJECT_ARCHIVES.get(archive, "libc")
    if "/lib/gcc/" in o or "libc" in o.rsplit("/", 1)[-1] or "picolibc" in o:
        return "libc"
    if "/firmware/core/" in o:
        name = o.rsplit("/", 1)[-1]
        return "hosts" if name.startswith("hosts.c") else "missions" if name.startswith("missions.c") else "core"
    if "/firmware/ports/" in o:
        return "port"
    if "/firmware/engine/" in o or "tensorflow/lite" in o or "/tflm/" in o:
        return "engine"
    parts = o.split("/")
    if parts[-1].startswith("pc_missions_builtin"):
        return "missions"
    if any(p in model_dir_names for p in parts[:-1]) or "pc_model" in parts[-1]:
        return "weights" if insec.startswith((".rodata", ".srodata")) else "engine"
    return "other"


def parse_map(path, model_dir_names=("model",)):
    """Return {'sections': {name: size}, 'flash': {...}, 'ram': {...}, 'stack': n, ...}."""
    text = Path(path).read_text(errors="replace")
    start = text.find("Linker script and memory map")
    lines = text[start:].splitlines() if start >= 0 else []
    sections, flash, ram = {}, dict.fromkeys(COMPONENTS, 0), dict.fromkeys(COMPONENTS, 0)
    stack = 0
    out_name, kind, pending = None, None, None
    for line in lines:
        if line and not line[0].isspace():
            m = _OUT.match(line)
            if m:
                out_name = m.group(1)
                kind = section_kind(out_name)
                size = int(m.group(3), 16)
                if kind and size:
                    sections[out_name] = sections.get(out_name, 0) + size
                if kind == "stack":
                    stack += size
            elif line.startswith((".", "/DISCARD/")) or re.match(r"^\S+\s*$", line):
                out_name = line.split()[0]
                kind = section_kind(out_name)
                pending = None
            continue
        m = _IN_NAME_ONLY.match(line)
        if m:
            pending = m.group(1)
            continue
        m = _IN.match(line)
        if not m or kind in (None, "stack"):
            pending = None
            continue
        insec = m.group(1) or pending or ""
        pending = None
        size = int(m.group(3), 16)
        obj = m.group(4).strip()
        if not size or insec == "*fill*" or obj.startswith("0x"):
            continue
        comp = component_of(obj, insec or out_name, model_dir_names)
        if kind in ("flash", "data"):
            flash[comp] += size
        if kind in ("data", "bss"):
            ram[comp] += size
    flash_total = sum(s for n, s in sections.items() if section_kind(n) in ("flash", "data"))
    ram_total = sum(s for n, s in sections.items() if section_kind(n) in ("data", "bss"))
    # alignment padding and linker-script bytes go to "other" so that the split adds up
    flash["other"] += max(0, flash_total - sum(flash.values()))
    ram["other"] += max(0, ram_total - sum(ram.values()))
    return {"sections": sections, "flash_bytes": flash_total, "ram_bytes": ram_total,
            "stack_bytes": stack, "flash": flash, "ram": ram}


def format_summary(mem, board=None):
    lines = [f"flash {mem['flash_bytes']:,} B   RAM {mem['ram_bytes']:,} B (+ stack {mem['stack_bytes']:,} B)"
             + (f"   on {board.name}: flash {board.flash_bytes:,} B, RAM {board.ram_bytes:,} B" if board else "")]
    lines.append("  sections: " + ", ".join(f"{n} {s:,}" for n, s in sorted(mem["sections"].items())))
    lines.append(f"  {'component':<10}{'flash':>10}{'RAM':>10}")
    for c in COMPONENTS:
        if mem["flash"][c] or mem["ram"][c]:
            lines.append(f"  {c:<10}{mem['flash'][c]:>10,}{mem['ram'][c]:>10,}")
    return "\n".join(lines)
