"""Teacher benchmark: wall time of one full training on the CIC-IDS2017 sample (target
<= 600 s on a 2-core CPU) and its test metrics (targets: macro-F1 >= 0.96, three-mission
mean AUC >= 0.995; the 3-seed numbers come from `packetclip evaluate --seeds 0,1,2 --scarcity`)."""

import time


def run(out_dir):
    from packetclip.teacher import train

    t0 = time.monotonic()
    r = train(None, out=out_dir / "teacher-run", preset="full", seed=0, quiet=True)
    wall = time.monotonic() - t0
    m = r["metrics"]["holdout_metrics"]
    return {"train_seconds": round(r["train_seconds"], 1), "wall_seconds": round(wall, 1),
            "within_10_min": wall <= 600, "test_accuracy": m["accuracy"], "test_macro_f1": m["macro_f1"],
            "test_mean_auc_three_missions": m["mean_auc_three_missions"],
            "targets_met": m["macro_f1"] >= 0.96 and m["mean_auc_three_missions"] >= 0.995}
