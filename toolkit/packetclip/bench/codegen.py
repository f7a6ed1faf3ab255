"""aot engine on the issue-6 reference MLP (40 -> 64 -> 32 -> 12, 4,992 MACs): per board and
DSP on/off, whole-firmware flash and RAM and instructions per invoke measured in QEMU
(-icount shift=0: the port's counter counts instructions), outputs checked against TFLM.

Targets (mps2-an386, DSP path): flash <= 16 KiB, RAM besides stack <= 1 KiB, <= 11,000
instructions per invoke. Needs arm-none-eabi-gcc, cmake, ninja, qemu-system-arm/-riscv32.
"""

import shutil
import subprocess
import time
from pathlib import Path

import numpy as np

BOARDS = [("mps2-an386", True), ("mps2-an386", False), ("mps2-an500", True), ("mps2-an505", True),
          ("mps3-an547", True), ("qemu-rv32", False)]
N_INPUTS = 20
TARGETS = {"flash_bytes": 16384, "ram_bytes_no_stack": 1024, "instructions_per_invoke": 11000}


def _size(elf):
    out = subprocess.run([_size_tool(elf), "-A", str(elf)], capture_output=True, text=True, check=True).stdout
    sec = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0].startswith(".") and parts[1].isdigit():
            sec[parts[0]] = int(parts[1])
    return sec


def _size_tool(elf):
    head = Path(elf).read_bytes()[:20]
    machine = int.from_bytes(head[18:20], "little")
    return "riscv64-unknown-elf-size" if machine == 243 and shutil.which("riscv64-unknown-elf-size") else "arm-none-eabi-size"


def _stack_bytes(build_dir):
    cache = (Path(build_dir) / "CMakeCache.txt").read_text()
    for line in cache.splitlines():
        if line.startswith("PACKETCLIP_STACK_BYTES"):
            return int(line.split("=")[-1])
    return 0


def _build(repo, board, dsp, gen_dir, build_dir):
    cfg = ["cmake", "-G", "Ninja", "-S", str(repo), "-B", str(build_dir), f"-DPACKETCLIP_BOARD={board}",
           f"-DPACKETCLIP_MODEL_DIR={gen_dir}", "-DPACKETCLIP_ENGINE=aot", f"-DPACKETCLIP_DSP={'ON' if dsp else 'OFF'}"]
    subprocess.run(cfg, capture_output=True, text=True, check=True)
    r = subprocess.run(["ninja", "-C", str(build_dir), "-j2"], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(r.stdout[-2000:] + r.stderr[-2000:])
    return Path(build_dir) / "packetclip.elf"


def _invoke_all(board, elf, X):
    """INFER each row; returns (outputs, counter deltas)."""
    import serial

    from packetclip.device import protocol as P
    from packetclip.device.runners.qemu import start_emulator

    outs, deltas = [], []
    with start_emulator(board, elf) as emu:
        s = serial.serial_for_url(emu.url, timeout=5)
        d = P.Deframer()
        for i, x in enumerate(X):
            s.write(P.encode_frame(P.INFER, i & 0xFF, x.tobytes()))
            got, t0 = None, time.monotonic()
            while got is None and time.monotonic() - t0 < 10:
                for ch in d.feed(s.read(s.in_waiting or 1)):
                    try:
                        f = P.decode_frame(ch)
                    except P.FrameError:
                        continue
                    if f.type == P.RESULT:
                        got = P.parse_result(f.body)
                    elif f.type == P.ERROR:
                        raise RuntimeError(f"device error {P.parse_error(f.body)}")
            if got is None:
                raise RuntimeError("no RESULT within 10 s")
            deltas.append(int(got[0]))
            outs.append(np.frombuffer(bytes(got[1]), np.int8))
        s.close()
    return np.stack(outs), deltas


def run(out_dir: Path) -> dict:
    from packetclip.bundle import golden
    from packetclip.codegen import generate
    from packetclip.codegen.hostrun import REPO
    from packetclip.codegen.reference import make_reference_bundle

    work = Path(out_dir) / "codegen-work"
    bundle = make_reference_bundle(work / "reference-mlp")
    gen = work / "gen-aot"
    rep = generate(bundle, gen, engine="aot")
    X = np.random.default_rng(0).integers(-128, 128, (N_INPUTS, 40)).astype(np.int8)
    want = golden.run_tflm(bundle.tflite, X)
    rows = []
    for board, dsp in BOARDS:
        row = {"board": board, "dsp": dsp}
        try:
            elf = _build(REPO, board, dsp, gen.resolve(), work / f"build-{board}-{'dsp' if dsp else 'ref'}")
            sec = _size(elf)
            flash = sec.get(".text", 0) + sec.get(".rodata", 0) + sec.get(".data", 0) + sec.get(".isr_vector", 0) + sec.get(".vectors", 0)
            ram_no_stack = sec.get(".data", 0) + sec.get(".bss", 0)
            stack = sec.get(".stack", _stack_bytes(elf.parent))
            row.update(sections={k: v for k, v in sec.items() if not k.startswith(".debug")}, flash_bytes=flash,
                       ram_bytes=ram_no_stack + stack, stack_bytes=stack, ram_bytes_no_stack=ram_no_stack)
            got, deltas = _invoke_all(board, elf, X)
            row.update(bit_exact=bool((got == want.reshape(got.shape)).all()),
                       instructions_per_invoke=int(np.median(deltas)), instructions_min=min(deltas),
                       instructions_max=max(deltas))
        except Exception as exc:  # noqa: BLE001 - one board failing must not hide the others
            row["error"] = str(exc).strip().splitlines()[-1][:300] if str(exc).strip() else type(exc).__name__
        rows.append(row)
        print(f"  {board} dsp={dsp}: {row.get('instructions_per_invoke')} instr, flash {row.get('flash_bytes')} B, "
              f"RAM-no-stack {row.get('ram_bytes_no_stack')} B, bit-exact {row.get('bit_exact')} {row.get('error', '')}", flush=True)
    main = next((r for r in rows if r["board"] == "mps2-an386" and r["dsp"] and "error" not in r), None)
    met = None
    if main:
        met = {k: main[k] <= v for k, v in TARGETS.items()}
    return {"model": "reference-mlp-40-64-32-12", "tflite_sha256": bundle.sha256, "macs": rep["macs"],
            "aot_arena_bytes": rep["arena_bytes"], "targets": TARGETS, "targets_met_mps2_an386_dsp": met,
            "boards": rows}
