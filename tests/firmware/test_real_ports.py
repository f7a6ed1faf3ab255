"""Real-board ports (stm32f4 on NUCLEO-F446RE, nrf52 on nRF52840-DK): built here, never run.

No hardware is attached and QEMU models neither SoC, so these tests check the linked image:
vector table, memory fit, and the peripheral registers the port code reads and writes
(found by following constant base addresses through the disassembly).
"""

import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from fwutil import REPO

from packetclip.boards import load_board

BUNDLE = REPO / "models" / "cicids2017-mlp"

# board -> flash origin, RAM origin, {register address: value the port must store there (None: any access)}
DWT = {0xE000EDFC: None, 0xE0001000: None, 0xE0001004: None}  # DEMCR, DWT_CTRL, DWT_CYCCNT
EXPECT = {
    "nucleo-f446re": (0x08000000, 0x20000000, {
        **DWT,
        0x40023804: 8 | 180 << 6 | 8 << 24 | 2 << 28,  # RCC_PLLCFGR: HSI/8 * 180 / 2 = 180 MHz
        0x40023C00: 5 | 7 << 8,                         # FLASH_ACR: 5 wait states, prefetch + caches
        0x40007000: None,                               # PWR_CR (VOS, over-drive)
        0x40004408: 391,                                # USART2_BRR: 45 MHz APB1 / 115200
        0x4000440C: 1 << 13 | 1 << 3 | 1 << 2,          # USART2_CR1: UE TE RE
        0x40004400: None, 0x40004404: None,             # USART2_SR, USART2_DR
        0x40020020: None,                               # GPIOA_AFRL (AF7 on PA2/PA3)
        0x40023808: 5 << 10 | 4 << 13,                  # RCC_CFGR before the switch: APB1 /4, APB2 /2
    }),
    "nrf52840dk": (0x00000000, 0x20000000, {
        **DWT,
        0x40000000: 1,                                  # CLOCK TASKS_HFCLKSTART
        0x40002500: 4,                                  # UART0 ENABLE = UART (not UARTE)
        0x4000250C: 6, 0x40002514: 8,                   # PSEL.TXD = P0.06, PSEL.RXD = P0.08
        0x40002524: 0x01D7E000,                         # BAUDRATE 115200
        0x50000718: 3, 0x50000720: 0,                   # P0 PIN_CNF[6] output, PIN_CNF[8] input
        0x40002108: None, 0x40002518: None,             # EVENTS_RXDRDY, RXD
        0x4000211C: None, 0x4000251C: None,             # EVENTS_TXDRDY, TXD
    }),
}
BOARDS = sorted(EXPECT)


@pytest.fixture(scope="module")
def built(builds):
    if not (BUNDLE / "model.json").exists():
        pytest.skip("default bundle models/cicids2017-mlp is missing")
    if not shutil.which("arm-none-eabi-objdump"):
        pytest.skip("arm-none-eabi binutils not installed")
    return lambda board: builds.model(board, BUNDLE)


def _read_elf(elf):
    """(allocated sections as (name, addr, size, bytes), loaded segments as (paddr, filesz), {symbol: addr})"""
    from elftools.elf.elffile import ELFFile

    with open(elf, "rb") as f:
        e = ELFFile(f)
        secs = [(s.name, s["sh_addr"], s["sh_size"], b"" if s["sh_type"] == "SHT_NOBITS" else s.data())
                for s in e.iter_sections() if s["sh_flags"] & 2 and s["sh_size"]]  # SHF_ALLOC
        segs = [(p["p_paddr"], p["p_filesz"]) for p in e.iter_segments() if p["p_type"] == "PT_LOAD" and p["p_filesz"]]
        syms = {y.name: y["st_value"] for y in e.get_section_by_name(".symtab").iter_symbols() if y.name}
    return secs, segs, syms


@pytest.mark.parametrize("board", BOARDS)
def test_vector_table_and_memory_fit(built, board):
    elf, mem = built(board)
    b = load_board(board)
    flash0, ram0, _ = EXPECT[board]
    secs, segs, syms = _read_elf(elf)
    text = next(s for s in secs if s[0] == ".text")
    assert syms["vectors"] == text[1] == flash0, f"vector table at {syms['vectors']:#x}, expected the flash base {flash0:#x}"
    sp, reset = struct.unpack_from("<II", text[3])
    assert sp == ram0 + b.ram_bytes, f"initial SP {sp:#x} is not the top of RAM"
    assert reset & 1 and flash0 < reset < flash0 + b.flash_bytes, f"reset vector {reset:#x} not a Thumb address in flash"
    # every byte to program lies in flash, every RAM section in RAM
    for paddr, size in segs:
        assert flash0 <= paddr and paddr + size <= flash0 + b.flash_bytes
    for name, addr, size, _ in secs:
        lo, hi = (flash0, flash0 + b.flash_bytes) if addr < ram0 else (ram0, ram0 + b.ram_bytes)
        assert lo <= addr and addr + size <= hi, f"{name} [{addr:#x}, +{size:#x}) outside its memory"
    assert 0 < mem["flash_bytes"] <= b.flash_bytes
    assert mem["ram_bytes"] + mem["stack_bytes"] <= b.ram_bytes
    assert mem["flash"]["weights"] > 1000 and mem["flash"]["port"] > 200
    assert (Path(elf).parent / "packetclip.hex").stat().st_size > 0  # for drag-and-drop / nrfjprog


_LINE = re.compile(r"^\s*([0-9a-f]+):\s+(\S+)\s*(.*)$")
_WORD = re.compile(r"^\s*([0-9a-f]+):\s+([0-9a-f]{8})\s+\.word\s")
_MEM = re.compile(r"\[(r\d+|ip|lr)(?:, #(-?\d+))?\]")
_BRANCH = re.compile(r"b(l|x|lx)?(eq|ne|cs|cc|hs|lo|mi|pl|vs|vc|hi|ls|ge|lt|gt|le)?")
_NO_DEST = ("str", "cmp", "cmn", "tst", "teq", "push", "it", "cbz", "cbnz", "nop", "dsb", "isb", "dmb")


def _objdump(elf, *opts):
    return subprocess.run(["arm-none-eabi-objdump", "-d", *opts, str(elf)],
                          capture_output=True, text=True, check=True).stdout


def register_accesses(elf, functions):
    """{address: stored values} of the loads/stores through a constant base register in
    `functions` (a linear walk of objdump -d; a value is None when it is not a constant).
    Constants come from literal pools, mov/movw/movt and add/sub/orr with an immediate."""
    words = {int(m.group(1), 16): int(m.group(2), 16)
             for m in map(_WORD.match, _objdump(elf).splitlines()) if m}
    out, const, on = {}, {}, False
    for line in _objdump(elf, "--no-show-raw-insn").splitlines():
        head = re.match(r"^[0-9a-f]+ <(\w+)>:", line)
        if head:
            on, const = head.group(1) in functions, {}
            continue
        m = _LINE.match(line)
        if not on or not m or m.group(2).startswith("."):
            continue
        op, args = m.group(2).split(".")[0], m.group(3)
        code = args.split("@")[0]
        regs = [r.strip() for r in code.split(",")]
        lit = re.search(r"\[pc, #-?\d+\]\s+@ \(([0-9a-f]+)", args)
        imm = re.search(r"#(-?\d+)", code)
        mem = _MEM.search(code)
        base = op[:-1] if op in ("movs", "mvns", "adds", "subs", "orrs") else op
        if lit and op.startswith("ldr"):
            const[regs[0]] = words.get(int(lit.group(1), 16))
        elif mem and op.startswith(("ldr", "str")):
            if const.get(mem.group(1)) is not None:
                addr = (const[mem.group(1)] + int(mem.group(2) or 0)) & 0xFFFFFFFF
                out.setdefault(addr, set()).add(const.get(regs[0]) if op.startswith("str") else None)
            if op.startswith("ldr"):
                const[regs[0]] = None
        elif base in ("mov", "movw", "mvn") and imm and len(regs) == 2:
            v = int(imm.group(1)) & 0xFFFFFFFF
            const[regs[0]] = (~v & 0xFFFFFFFF) if base == "mvn" else v
        elif base == "movt" and imm:
            const[regs[0]] = ((const.get(regs[0]) or 0) & 0xFFFF) | (int(imm.group(1)) << 16)
        elif base in ("add", "sub", "orr") and imm and len(regs) == 3 and const.get(regs[1]) is not None:
            v, i = const[regs[1]], int(imm.group(1))
            const[regs[0]] = {"add": v + i, "sub": v - i, "orr": v | i}[base] & 0xFFFFFFFF
        elif _BRANCH.fullmatch(op):
            if op.startswith("bl"):  # a call clobbers the caller-saved registers
                for r in ("r0", "r1", "r2", "r3", "ip", "lr"):
                    const[r] = None
        elif regs[0] and not op.startswith(_NO_DEST):
            const[regs[0]] = None  # any other instruction overwrites its first operand
    return out


@pytest.mark.parametrize("board", BOARDS)
def test_port_uses_the_boards_registers(built, board):
    elf, _ = built(board)
    acc = register_accesses(elf, {"pc_hal_init", "pc_hal_read_byte", "pc_hal_write", "pc_hal_counter"})
    for addr, value in EXPECT[board][2].items():
        assert addr in acc, f"{board}: register {addr:#010x} is never accessed (seen: {sorted(map(hex, acc))})"
        if value is not None:
            assert value in acc[addr], f"{board}: {addr:#010x} gets {acc[addr]}, expected {value:#x}"


@pytest.mark.parametrize("board", BOARDS)
def test_dsp_kernels_are_linked(built, board):
    elf, _ = built(board)  # board files say dsp = true: the aot kernels use the Armv7E-M SIMD ops
    assert re.search(r"\s(smlad|sxtb16)\s", _objdump(elf)), "no SMLAD/SXTB16 in the image: DSP path off"
