"""Distillation benchmark: distill + quantize + convert + verify wall time (target <= 5 min),
student size (weights <= 16 KiB, arena <= 4 KiB) and TFLM int8 metrics vs the float teacher.

Uses the teacher run in $PACKETCLIP_TEACHER, else the one the teacher benchmark just trained
(OUT/teacher-run), else runs/teacher-cic; with none of them it distils from the labels alone
(and says so).
"""

import os
import time
from pathlib import Path


def run(out_dir: Path) -> dict:
    from packetclip.bundle.verify import verify_bundle
    from packetclip.distill import distill

    candidates = [os.environ.get("PACKETCLIP_TEACHER"), Path(out_dir) / "teacher-run", Path("runs") / "teacher-cic"]
    teacher_run = next((str(c) for c in candidates if c and (Path(c) / "config.json").exists()), None)
    results = {"teacher": teacher_run or "none (labels only)"}
    for preset in ("full", "demo"):
        out = Path(out_dir) / f"distill-{preset}"
        t0 = time.monotonic()
        r = distill(teacher_run, board="mps2-an386", out=str(out), arch="mlp" if preset == "demo" else "auto", preset=preset,
                    max_weights=16384, max_arena=4096, log=lambda m: None, command=f"bench {preset}")
        verify_bundle(out, log=lambda m: None)
        wall = time.monotonic() - t0
        m = r["metrics"]
        results[preset] = {
            "seconds_distill_quantize_convert_verify": round(wall, 1), "student": r["student"]["name"],
            "quantization": r["quantization"], "weight_bytes": r["weight_bytes"], "arena_bytes": r["arena_bytes"],
            "macs": r["macs"], "tflm_macro_f1": m["tflm_int8"]["macro_f1"],
            "tflm_mean_auc_three_missions": m["tflm_int8"]["mean_auc_three_missions"],
            "delta_macro_f1_vs_teacher": m.get("delta_macro_f1_vs_teacher"),
            "delta_mean_auc_vs_teacher": m.get("delta_mean_auc_vs_teacher"),
            "targets_met": {"time_le_300s": wall <= 300, "weights_le_16KiB": r["weight_bytes"] <= 16384,
                            "arena_le_4KiB": r["arena_bytes"] <= 4096,
                            "f1_within_1pt": None if m.get("delta_macro_f1_vs_teacher") is None else m["delta_macro_f1_vs_teacher"] >= -0.01,
                            "auc_within_0.005": None if m.get("delta_mean_auc_vs_teacher") is None else m["delta_mean_auc_vs_teacher"] >= -0.005},
        }
    return results
