"""Harness throughput: inferences/s over QEMU's socket (mps2-an386), and the link utilization
that pipelining reaches on a simulated 115200-baud link (fault shim throttling both ways),
for the default flow bundle (one INFER per input) and, when the MLPerf Tiny models are there
(PACKETCLIP_MLPERF_DIR), for KWS on the host port (490-byte inputs: two LOAD chunks and a RUN
each, protocol v2), with the payload share of the bytes sent.

Utilization = bytes/s on the busier direction ÷ (baud / 10). Target: >= 90 % with a window.
"""

import time
from pathlib import Path

BAUD = 115200


def _inputs(bundle, n):
    from packetclip.device.conform import test_inputs

    return test_inputs(bundle, limit=n)[0]


def _run(url, Q, window, baud=None):
    from packetclip.device.session import Session

    with Session.open(url, timeout=2.0, link_bps=baud / 10 if baud else None) as s:
        s.hello()
        s.infer(Q[:8], window=window)          # warm up
        tx0, rx0 = s.link.tx_bytes, s.link.rx_bytes
        t0 = time.monotonic()
        s.infer(Q, window=window)
        dt = time.monotonic() - t0
        tx, rx = s.link.tx_bytes - tx0, s.link.rx_bytes - rx0
    out = {"window": window, "n": len(Q), "wall_s": round(dt, 3), "inferences_per_s": round(len(Q) / dt, 1),
           "tx_bytes_per_inference": round(tx / len(Q), 1), "rx_bytes_per_inference": round(rx / len(Q), 1)}
    if baud:
        out["utilization"] = round(max(tx, rx) / dt / (baud / 10), 4)
    return out


def run(out_dir: Path) -> dict:
    from packetclip.boards import load_board
    from packetclip.bundle.format import load_bundle
    from packetclip.device.faults import FaultShim
    from packetclip.device.launch import ensure_elf
    from packetclip.resources import default_bundle

    BUNDLE = default_bundle()
    bundle = load_bundle(BUNDLE)
    res = {"bundle": "models/" + BUNDLE.name, "baud": BAUD}
    Q = _inputs(bundle, 1000)
    an386 = load_board("mps2-an386")
    elf = ensure_elf(an386, None, BUNDLE, log=lambda *a: None)
    with an386.runner.start(an386, elf) as emu:
        res["qemu_socket"] = [_run(emu.url, Q, w) for w in (1, 16)]
    with an386.runner.start(an386, elf) as emu, FaultShim(("127.0.0.1", emu.port), baud=BAUD) as shim:
        res["qemu_115200"] = [_run(shim.url, Q[:300], w, BAUD) for w in (1, 16)]
    host = load_board("host")
    helf = ensure_elf(host, None, BUNDLE, log=lambda *a: None)
    with host.runner.start(host, helf) as dev:
        res["host_socket"] = [_run(dev.url, Q, w) for w in (1, 16)]
    with host.runner.start(host, helf) as dev, FaultShim(("127.0.0.1", dev.port), baud=BAUD) as shim:
        res["host_115200"] = [_run(shim.url, Q[:300], w, BAUD) for w in (1, 16)]
    res["chunked_kws_host_115200"] = _chunked(Path(out_dir), host)
    best = max(r["utilization"] for r in res["qemu_115200"] + res["host_115200"])
    res["headline"] = {
        "qemu_an386_inferences_per_s_window16": res["qemu_socket"][1]["inferences_per_s"],
        "qemu_an386_inferences_per_s_window1": res["qemu_socket"][0]["inferences_per_s"],
        "utilization_115200_pipelined": best,
        "utilization_115200_window1": max(res["qemu_115200"][0]["utilization"], res["host_115200"][0]["utilization"]),
        "target_utilization": 0.9, "meets_target": bool(best >= 0.9),
    }
    return res


def _chunked(out_dir, host):
    """KWS (a generic bundle) over the simulated UART: utilization and payload share."""
    import numpy as np

    from packetclip.bench.mlperf import mlperf_dir
    from packetclip.bundle.export import export_tflite
    from packetclip.device.faults import FaultShim
    from packetclip.firmware import build_firmware

    src = mlperf_dir() / "kws_ref_model.tflite"
    if not src.exists():
        return {"skipped": f"{src} not found"}
    b = export_tflite(src, out_dir / "harness-kws" / "bundle", log=lambda *a: None)
    rep = build_firmware("host", b.path, out=out_dir / "harness-kws" / "host-aot", log=lambda *a: None)
    X = np.random.default_rng(0).integers(-128, 128, (60, b.input_size), dtype=np.int8)
    with host.runner.start(host, rep["elf"]) as dev, FaultShim(("127.0.0.1", dev.port), baud=BAUD) as shim:
        rows = [_run(shim.url, X, w, BAUD) for w in (1, 16)]
    for r in rows:
        r["payload_share_tx"] = round(b.input_size / r["tx_bytes_per_inference"], 4)
    return rows


if __name__ == "__main__":
    import json

    print(json.dumps(run(Path("build/bench")), indent=2))
