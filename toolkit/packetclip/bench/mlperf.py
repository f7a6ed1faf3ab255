"""MLPerf Tiny on the aot engine: for each of the four reference models (PACKETCLIP_MLPERF_DIR,
default /work/shared/data/mlperf-tiny, see its SOURCE.md) exported as a generic bundle:

- bit-exact count against the TFLM Python runtime on seeded random inputs, on the host port
  (1,000) and on QEMU mps2-an386 (Cortex-M4, DSP kernels; 1,000 for AD01 and KWS, 200 for IC
  and VWW by default: PACKETCLIP_BENCH_QEMU_N=1000 for all), with the mismatch debugger's
  causes for any difference;
- instructions per inference on the DSP and the reference C paths (QEMU -icount: instructions,
  not cycles), and per MAC;
- flash of the whole firmware against the .tflite itself (TFLM keeps the flatbuffer in flash,
  so its flash is at least that much plus the interpreter: a strict lower bound of TFLM's);
- activation RAM (the aot arena, input and output included) next to TFLM's arena (the
  smallest the TFLM runtime runs the model with, probed here).

Targets (issue 11): bit-exact; KWS <= 4.6 M instructions on the DSP path; flash below TFLM's;
activation RAM <= 0.7 x TFLM's arena.
"""

import os
from pathlib import Path

MODELS = {"ad01": "ad01_int8.tflite", "kws": "kws_ref_model.tflite", "ic": "pretrainedResnet_quant.tflite",
          "vww": "vww_96_int8.tflite"}
BOARD = "mps2-an386"
HOST_N = 1000
QEMU_N = {"ad01": 1000, "kws": 1000, "ic": 200, "vww": 200}
REF_N = 10                                   # inputs timed on the reference C path
TARGETS = {"kws_dsp_instructions": 4_600_000, "arena_ratio": 0.7}


def mlperf_dir():
    return Path(os.environ.get("PACKETCLIP_MLPERF_DIR", "/work/shared/data/mlperf-tiny"))


def _conform(board, bundle, build, out, n, log):
    from packetclip.device.conform import conform

    res = conform(board, bundle, firmware=build, out=out, inputs=f"random:{n}", timeout=30.0, log=log, progress=False)
    dbg = res.get("mismatch_debug") or {}
    return {"n": res["n"], "bit_exact": res["bit_exact"], "passed": res["passed"],
            "known_differences_only": res.get("known_differences_only", res["bit_exact"] == res["n"]),
            "causes": dbg.get("causes", {}), "instructions_mean": res["latency"].get("mean"),
            "instructions_p50": res["latency"].get("p50"), "session": str(out)}


def run(out_dir: Path) -> dict:
    from packetclip.bundle.export import export_tflite
    from packetclip.bundle.format import load_bundle
    from packetclip.firmware import build_firmware

    src = mlperf_dir()
    missing = [f for f in MODELS.values() if not (src / f).exists()]
    if missing:
        raise FileNotFoundError(f"{src}: MLPerf Tiny models missing ({', '.join(missing)}); set PACKETCLIP_MLPERF_DIR")
    work = Path(out_dir) / "mlperf-work"
    quiet = lambda *a: None  # noqa: E731
    qemu_n = {k: int(os.environ.get("PACKETCLIP_BENCH_QEMU_N", v)) for k, v in QEMU_N.items()}
    rows = {}
    for name, f in MODELS.items():
        print(f"  mlperf {name} ...", flush=True)
        bundle = export_tflite(src / f, work / name / "bundle", log=quiet)
        b = load_bundle(bundle.path)
        row = {"model": f, "macs": b.meta["macs"], "tflite_bytes": len(b.tflite), "tflm_arena_bytes": b.meta["arena_bytes"]}
        host = build_firmware("host", b.path, out=work / name / "host-aot", log=quiet)
        row["host"] = _conform("host", b.path, work / name / "host-aot", work / name / "conform-host", HOST_N, quiet)
        dsp = build_firmware(BOARD, b.path, out=work / name / f"{BOARD}-dsp", log=quiet)
        ref = build_firmware(BOARD, b.path, out=work / name / f"{BOARD}-ref", dsp=False, log=quiet)
        row["activation_bytes"] = dsp["codegen"]["arena_bytes"]
        row["arena_ratio"] = round(row["activation_bytes"] / row["tflm_arena_bytes"], 3)
        row["flash_bytes_dsp"] = dsp["memory"]["flash_bytes"]
        row["flash_bytes_ref"] = ref["memory"]["flash_bytes"]
        row["ram_bytes_dsp"] = dsp["memory"]["ram_bytes"]
        row["flash_below_tflite"] = row["flash_bytes_dsp"] < row["tflite_bytes"]
        row["qemu_dsp"] = _conform(BOARD, b.path, work / name / f"{BOARD}-dsp", work / name / "conform-dsp", qemu_n[name], quiet)
        row["qemu_ref"] = _conform(BOARD, b.path, work / name / f"{BOARD}-ref", work / name / "conform-ref", REF_N, quiet)
        for path in ("qemu_dsp", "qemu_ref"):
            m = row[path]["instructions_mean"]
            row[path]["instructions_per_mac"] = round(m / row["macs"], 3) if m else None
        del host
        rows[name] = row
        print(f"  mlperf {name}: host {row['host']['bit_exact']}/{row['host']['n']}, {BOARD} DSP "
              f"{row['qemu_dsp']['bit_exact']}/{row['qemu_dsp']['n']} at {row['qemu_dsp']['instructions_mean']:,.0f} instr "
              f"({row['qemu_dsp']['instructions_per_mac']} / MAC), reference C {row['qemu_ref']['instructions_mean']:,.0f}; "
              f"flash {row['flash_bytes_dsp']:,} B (.tflite {row['tflite_bytes']:,} B); activations "
              f"{row['activation_bytes']:,} B vs TFLM arena {row['tflm_arena_bytes']:,} B ({row['arena_ratio']})", flush=True)
    met = {
        "bit_exact_or_known": all(r[p]["known_differences_only"] for r in rows.values() for p in ("host", "qemu_dsp", "qemu_ref")),
        "kws_dsp_instructions": rows["kws"]["qemu_dsp"]["instructions_mean"] <= TARGETS["kws_dsp_instructions"],
        "arena_ratio": all(r["arena_ratio"] <= TARGETS["arena_ratio"] for r in rows.values()),
        "flash_below_tflm": all(r["flash_below_tflite"] for r in rows.values()),
    }
    return {"board": BOARD, "models": rows, "targets": TARGETS, "targets_met": met,
            "note": "instructions under QEMU -icount shift=0 (not cycles); TFLM's flash is bounded below by the .tflite "
                    "size (TFLM's interpreter code comes on top; it cannot be built here)"}
