"""Distillation from a real (tiny) teacher run, with the optional embedding head."""

import json

import pytest

from packetclip.bundle.format import load_bundle


@pytest.fixture(scope="module")
def teacher_run(tmp_path_factory):
    from packetclip.teacher import train

    out = tmp_path_factory.mktemp("teacher") / "run"
    # tiny and short: this tests the plumbing (labels, transform, KD, embedding head), not accuracy
    train(None, out=str(out), preset="tiny", seed=0, quiet=True, epochs=2, pretrain_epochs=1, max_rows=400)
    return out


@pytest.mark.slow
def test_kd_with_embedding_head(teacher_run, tmp_path):
    from packetclip.distill import distill

    out = tmp_path / "kd"
    r = distill(str(teacher_run), out=str(out), arch="mlp", preset="tiny", max_weights=16384, max_arena=4096,
                embedding=True, log=lambda m: None, command="packetclip distill RUN ...")
    b = load_bundle(out)
    cfg = json.loads((teacher_run / "config.json").read_text())
    assert b.meta["labels"] == cfg["labels"] and b.meta["kg_version"] == cfg["kg_version"]
    assert b.meta["transform"]["mean"] == cfg["transform"]["mean"]
    n_c, n_m = len(cfg["labels"]), 5
    e = b.meta["heads"]["embedding"]
    assert e[0] == n_c + n_m and b.meta["output"]["shape"] == [1, e[1]] and e[1] - e[0] == b.meta["embedding"]["dim"] == 16
    assert b.meta["embedding"]["method"] == "pca" and b.meta["embedding"]["teacher"] == str(teacher_run)
    m = r["metrics"]
    assert {"teacher", "agreement_teacher", "delta_macro_f1_vs_teacher", "embedding_cosine_vs_teacher"} <= set(m)
    assert m["embedding_cosine_vs_teacher"] > 0.5 and m["agreement_teacher"] > 0.5
    assert "packetclip train" in (out / "MODEL_CARD.md").read_text()
