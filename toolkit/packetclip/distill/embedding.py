"""The student's embedding head: what it regresses, and how missions in words reach it.

The teacher's PacketCLIP flow embedding e (unit norm, E values) is too wide for a small board
and too small in magnitude to share one int8 output scale with the logits. The head regresses

    target = s * P @ e

- P [D, E]: the top-D principal directions of the teacher's flow embeddings on the training
  rows (right singular vectors of the uncentred matrix, each sign fixed so its largest entry is
  positive). PCA keeps more of the flow-text geometry at D = 16 than a random projection does:
  measured leave-one-class-out on lab-full-s1 (teacher demo preset, zero-shot AUC of the
  held-out class from its words), PCA-16 0.998/0.946/0.968 for syn_flood/port_scan/
  http_brute_force against random-16 0.996/0.826/0.939, the full 64-d embedding 0.998/0.941/0.969.
- s: the 99th percentile of |teacher class logits| over the 99th percentile of |P @ e| on the
  training rows, so the embedding spans the logits' range and keeps int8 resolution under the
  output tensor's single scale.

A mission's prototype is P @ t for its text embedding t (packetclip.missions.prototypes); the
device compares by cosine, so s and the prototype's own int8 scale drop out.
"""

from pathlib import Path

import numpy as np

DIM = 16


def fit_space(t_emb, t_logits, dim=DIM):
    """Projection and scale from training rows -> the model.json "embedding" record (without teacher fields)."""
    E = np.asarray(t_emb, np.float64)
    dim = int(min(dim, E.shape[1]))
    _, _, vt = np.linalg.svd(E, full_matrices=False)
    P = vt[:dim]
    P *= np.where(P[np.arange(dim), np.abs(P).argmax(1)] < 0, -1.0, 1.0)[:, None]
    proj = np.abs(E @ P.T)
    scale = float(np.percentile(np.abs(np.asarray(t_logits, np.float64)), 99) / max(np.percentile(proj, 99), 1e-9))
    return {"method": "pca", "dim": dim, "teacher_embed_dim": int(E.shape[1]), "scale": round(scale, 6),
            "projection": [[round(float(v), 8) for v in row] for row in P]}


def targets(space, t_emb):
    """Teacher embeddings [n, E] -> the head's regression targets [n, D]."""
    P = np.asarray(space["projection"], np.float64)
    return float(space["scale"]) * np.asarray(t_emb, np.float64) @ P.T


def teacher_fields(run_dir, teacher_cfg):
    """Where the prototypes' text encoder comes from: the run, the sha256 of its model.pt."""
    from packetclip.missions.prototypes import file_sha256

    return {"teacher": str(run_dir), "teacher_sha256": file_sha256(Path(run_dir) / "model.pt"),
            "text_encoder": (teacher_cfg or {}).get("config", {}).get("text_encoder", "small")}
