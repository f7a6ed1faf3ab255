"""Flash and RAM of a firmware ELF read with pyelftools: per section and per component.

Flash holds every allocated section with contents (code, constants, .data's initial values);
RAM holds the writable allocated sections (.data, .bss, stack, heap). Components come from
the firmware build's linker-map split (build.json, by object file) when there is one, else
from the ELF's symbols grouped by name (model arrays, engine, core, port, libc)."""

import re
from pathlib import Path

from packetclip.errors import PacketclipError
from packetclip.firmware.memory import COMPONENTS

_STACK = re.compile(r"^\.(stack|heap)")
_SYM_RULES = [
    ("weights", re.compile(r"^(pc_[wbc]\d+|pc_rq\d+|pc_cat\d+|pc_model_(data|tflite|weights)|g_model)")),
    ("engine", re.compile(r"^(pc_aot_|pc_engine_|pc_arena|pc_info$|pc_k_|pc_tflm|tflite|_ZN6tflite)")),
    ("hosts", re.compile(r"^(pc_hosts_|table$)")),
    ("core", re.compile(r"^(pc_core_|pc_main$|pc_crc32|pc_cobs|send_frame|put_shape|nibble_table|rx$|tx$|stats$)")),
    ("port", re.compile(r"^(pc_hal_|Reset_Handler|vectors|_start|Default_Handler|SysTick|HardFault|trap|uart)")),
    ("libc", re.compile(r"^(mem|str|__aeabi|__|_impure|_global_impure|abort|exit|_exit|malloc|free)")),
]


def _component_of_symbol(name):
    for comp, rx in _SYM_RULES:
        if rx.match(name):
            return comp
    return "other"


def read_elf(path):
    """{'sections': {name: {size, flash, ram}}, 'flash_bytes', 'ram_bytes', 'stack_bytes', 'symbols_split'}."""
    from elftools.common.exceptions import ELFError
    from elftools.elf.constants import SH_FLAGS
    from elftools.elf.elffile import ELFFile

    path = Path(path)
    try:
        f = open(path, "rb")
    except OSError as exc:
        raise PacketclipError(f"{path}: cannot read the firmware ELF ({exc.strerror}); build it with `packetclip build`") from None
    with f:
        try:
            elf = ELFFile(f)
        except ELFError as exc:
            raise PacketclipError(f"{path}: not an ELF file ({exc}); give the packetclip.elf of a build") from None
        sections, stack = {}, 0
        ranges = []
        for s in elf.iter_sections():
            flags, size = s["sh_flags"], s["sh_size"]
            if not flags & SH_FLAGS.SHF_ALLOC or size == 0:
                continue
            nobits = s["sh_type"] == "SHT_NOBITS"
            writable = bool(flags & SH_FLAGS.SHF_WRITE)
            in_flash = not nobits
            in_ram = writable
            if _STACK.match(s.name):
                stack += size
                in_flash = in_ram = False
            sections[s.name] = {"size": size, "flash": in_flash, "ram": in_ram, "addr": s["sh_addr"]}
            ranges.append((s["sh_addr"], s["sh_addr"] + size, s.name))
        split = {"flash": dict.fromkeys(COMPONENTS, 0), "ram": dict.fromkeys(COMPONENTS, 0)}
        symtab = elf.get_section_by_name(".symtab")
        if symtab is not None:
            for sym in symtab.iter_symbols():
                if sym["st_info"]["type"] not in ("STT_FUNC", "STT_OBJECT") or not sym["st_size"]:
                    continue
                addr = sym["st_value"] & ~1
                sec = next((n for lo, hi, n in ranges if lo <= addr < hi), None)
                if sec is None or sec not in sections or _STACK.match(sec):
                    continue
                comp = _component_of_symbol(sym.name)
                if sections[sec]["flash"]:
                    split["flash"][comp] += sym["st_size"]
                if sections[sec]["ram"]:
                    split["ram"][comp] += sym["st_size"]
    flash = sum(v["size"] for v in sections.values() if v["flash"])
    ram = sum(v["size"] for v in sections.values() if v["ram"])
    # bytes no symbol claims (alignment, literal pools, linker-made data) count as "other"
    split["flash"]["other"] += max(0, flash - sum(split["flash"].values()))
    split["ram"]["other"] += max(0, ram - sum(split["ram"].values()))
    return {"sections": {k: v["size"] for k, v in sections.items()}, "flash_bytes": flash, "ram_bytes": ram,
            "stack_bytes": stack, "symbols_split": split}
