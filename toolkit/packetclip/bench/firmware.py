"""Firmware benchmark: flash/RAM per board (with the component split) and instructions per
invoke, for the default bundle on every emulated board, and for the fixed reference MLP
(40 -> 64 -> 32 -> 12, packetclip.codegen.reference) on mps2-an386, DSP and reference C paths,
against the targets (whole firmware <= 16 KiB flash, <= 1 KiB RAM besides stack,
<= 11,000 instructions per invoke on the DSP path).

Counts come from QEMU -icount shift=0: exact on RV32 (minstret); on MPS2/MPS3 SysTick gives
one tick per 1e9/SYSCLK instructions (40 on AN386), so the mean over many inputs is reported
(the tick phase varies between requests, so the mean resolves below one tick).
"""

from pathlib import Path

import numpy as np

from packetclip.resources import DEFAULT_BUNDLE as DEFAULT_BUNDLE_NAME
from packetclip.resources import default_bundle

EMULATED = ["mps2-an386", "mps2-an500", "mps2-an505", "mps3-an547", "qemu-rv32"]
TARGETS = {"flash_bytes": 16 * 1024, "ram_bytes": 1024, "instructions_dsp": 11_000}
N_VECTORS = 300


def _measure(board, elf, n_in, n=N_VECTORS, seed=0):
    import socket

    from packetclip.device import protocol as p
    from packetclip.device.runners.qemu import start_emulator

    X = np.random.default_rng(seed).integers(-128, 128, (n, n_in), dtype=np.int8)
    with start_emulator(board, elf) as emu:
        sock = socket.create_connection(("127.0.0.1", emu.port), timeout=20)
        d, chunks = p.Deframer(), []
        sock.sendall(b"".join(p.encode_frame(p.INFER, i & 0xFF, X[i].tobytes()) for i in range(n)))
        while len(chunks) < n:
            chunks += [c for c in d.feed(sock.recv(65536)) if not p.is_boot_line(c)]
        sock.close()
    deltas = np.array([p.parse_result(p.decode_frame(c).body)[0] for c in chunks[:n]])
    return {"instructions_mean": round(float(deltas.mean()), 1), "instructions_min": int(deltas.min()),
            "instructions_max": int(deltas.max()), "vectors": n}


def _entry(rep):
    m = rep["memory"]
    return {"flash_bytes": m["flash_bytes"], "ram_bytes": m["ram_bytes"], "stack_bytes": m["stack_bytes"],
            "flash_split": m["flash"], "ram_split": m["ram"], "sections": m["sections"]}


def run(out_dir: Path) -> dict:
    from packetclip.bundle.format import load_bundle
    from packetclip.firmware import build_firmware

    out_dir = Path(out_dir)
    work = out_dir / "firmware-builds"
    quiet = lambda *a: None  # noqa: E731
    result = {"default_bundle": f"models/{DEFAULT_BUNDLE_NAME}", "boards": {}, "reference_mlp": {}}

    n_in = int(np.prod(load_bundle(default_bundle()).input_shape))
    for board in EMULATED:
        rep = build_firmware(board, default_bundle(), out=work / f"{board}-aot", log=quiet)
        entry = _entry(rep)
        entry.update(_measure(board, rep["elf"], n_in))
        result["boards"][board] = entry

    from packetclip.codegen.reference import make_reference_bundle

    ref = make_reference_bundle(work / "reference-mlp")
    ref = Path(getattr(ref, "path", ref))
    n_in = int(np.prod(load_bundle(ref).input_shape))
    for name, dsp in (("dsp", None), ("reference_c", False)):
        rep = build_firmware("mps2-an386", ref, out=work / f"ref-mps2-an386-{name}", dsp=dsp, log=quiet)
        entry = _entry(rep)
        entry.update(_measure("mps2-an386", rep["elf"], n_in))
        result["reference_mlp"][name] = entry
    dsp = result["reference_mlp"]["dsp"]
    result["targets"] = TARGETS
    result["meets_targets"] = {
        "flash": dsp["flash_bytes"] <= TARGETS["flash_bytes"],
        "ram": dsp["ram_bytes"] <= TARGETS["ram_bytes"],
        "instructions_dsp": dsp["instructions_mean"] <= TARGETS["instructions_dsp"],
    }
    result["tflm_reference_on_mps2_an386"] = {  # measured by the issue author, not here
        "tflm_reference_kernels": {"flash_bytes": 32084, "ram_bytes": 2228, "instructions": 58084},
        "tflm_cmsis_nn": {"flash_bytes": 38708, "ram_bytes": 2316, "instructions": 22346}}
    return result
