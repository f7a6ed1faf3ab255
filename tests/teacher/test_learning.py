"""The teacher learns (loss falls, accuracy well above chance), and its run folder is usable."""

import json
from pathlib import Path

import numpy as np

from packetclip.teacher import load_teacher


def test_loss_falls_and_beats_chance(tiny_run):
    m = tiny_run["metrics"]
    losses = m["epoch_loss"]
    assert losses[-1] < 0.8 * losses[0], losses
    ho = m["holdout_metrics"]
    # majority class (web_attack) is ~40 % of the sample; uniform chance over 7 classes ~14 %
    assert ho["accuracy"] > 0.75, ho["accuracy"]
    assert ho["macro_f1"] > 0.5, ho["macro_f1"]
    assert m["zero_shot"]["zero_shot_top1"][-1] > 0.4  # prompts from the KG, no classifier


def test_run_folder_and_api(tiny_run):
    run = Path(tiny_run["run_dir"])
    for name in ("config.json", "model.pt", "checkpoint.pt", "split.json", "train_metrics.json", "zero_shot.png"):
        assert (run / name).exists(), name
    t = load_teacher(run)
    assert t.missions == ["dos", "brute_force", "reconnaissance", "other_attack", "benign"]
    assert set(t.label_missions) == set(t.labels) and t.label_missions["port_scan"] == "reconnaissance"
    assert t.transform["kind"] == "signed_log1p_standardize"
    assert len(t.transform["mean"]) == len(t.features) == len(t.transform["std"])
    from packetclip.data import load_flows

    table = load_flows()
    test = json.loads((run / "split.json").read_text())["test"]
    out = t.predict(table.X[test])
    assert out["class_logits"].shape == (len(test), len(t.labels))
    assert out["mission_logits"].shape == (len(test), 5)
    assert out["embedding"].dtype == np.float32 and np.allclose(np.linalg.norm(out["embedding"], axis=1), 1, atol=1e-4)
    # the loaded teacher reproduces the accuracy measured at the end of training
    pred = np.asarray(t.labels)[out["class_logits"].argmax(1)]
    acc = float((pred == table.labels[test]).mean())
    assert abs(acc - tiny_run["metrics"]["holdout_metrics"]["accuracy"]) < 1e-9
    # the temporal model says why it is off on this file
    assert tiny_run["metrics"]["temporal"]["used"] is False and "no src_ip/timestamp" in tiny_run["metrics"]["temporal"]["note"]


def test_evaluate_writes_report(tiny_run, tmp_path):
    from packetclip.teacher import evaluate

    m = evaluate(tiny_run["run_dir"], out=tmp_path / "eval", seeds=[0], log=lambda *_: None)
    for name in ("metrics.json", "report.md", "confusion_matrix.png", "roc_missions.png", "zero_shot.png"):
        assert (tmp_path / "eval" / name).exists(), name
    assert not (tmp_path / "eval" / "runs").exists()  # the given run served seed 0, nothing retrained
    assert set(m["summary"]) == {"teacher", "random_forest", "mlp"}
    assert m["size"]["teacher"]["params"] > 0 and m["size"]["teacher"]["flops"] > 0
    assert m["size"]["random_forest"]["note"].startswith("200 trees")
    assert "| teacher |" in (tmp_path / "eval" / "report.md").read_text()
