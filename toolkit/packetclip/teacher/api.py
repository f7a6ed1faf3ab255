"""A trained teacher loaded from its run folder, for evaluation and distillation.

    t = load_teacher("runs/teacher")
    out = t.predict(X_canonical, meta=None)   # {"class_logits", "mission_logits", "embedding"} numpy
"""

import json
from pathlib import Path

import numpy as np

from packetclip.data import prep
from packetclip.errors import PacketclipError


class Teacher:
    def __init__(self, run_dir, cfg, model):
        self.run_dir = Path(run_dir)
        self.run_config = cfg
        self.config = cfg["config"]
        self.labels = list(cfg["labels"])
        self.missions = list(cfg["missions"])
        self.label_missions = dict(cfg["label_missions"])
        self.features = list(cfg["features"])
        self.transform = dict(cfg["transform"])
        self.kg_version = cfg["kg_version"]
        self.window = int(cfg["window"])
        self.temporal = cfg["temporal"]
        self.model = model

    def __repr__(self):
        return f"Teacher({self.run_dir}, {len(self.labels)} classes, {len(self.features)} features)"

    def prepare(self, X, meta=None, context=True):
        """Canonical features [n, f] (+ meta src_ip/timestamp) -> prep.Prepared windows; context=False:
        every flow alone in its window (the same model without temporal context)."""
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != len(self.features):
            raise PacketclipError(f"{self.run_dir}: predict expects [n, {len(self.features)}] canonical features "
                                  f"({', '.join(self.features[:3])}, ...), got shape {list(X.shape)}")
        flows = prep.prepare(X, meta, self.transform, self.window)
        return flows if context else flows.without_context()

    def tensors(self, flows):
        """prep.Prepared -> the model's (x, valid) tensors."""
        import torch

        if self.window > 1:
            return torch.from_numpy(flows.windows()), torch.from_numpy(flows.valid())
        return torch.from_numpy(flows.Z), None

    def predict(self, X, meta=None, batch=2048, context=True):
        """-> {"class_logits" [n, classes], "mission_logits" [n, 5], "embedding" [n, d]} float32.

        With meta (src_ip, timestamp) and a temporal teacher, each flow sees the earlier flows of
        its host within X; without (or context=False), each flow stands alone."""
        from packetclip.teacher.trainer import _predict

        c, m, e = _predict(self.model, self.tensors(self.prepare(X, meta, context)), batch)
        return {"class_logits": c.astype(np.float32), "mission_logits": m.astype(np.float32),
                "embedding": e.astype(np.float32)}

    def predict_proba(self, X, meta=None, context=True):
        from packetclip.metrics import softmax

        out = self.predict(X, meta, context=context)
        return softmax(out["class_logits"]), softmax(out["mission_logits"])


def load_teacher(run_dir):
    """Rebuild the teacher of a run folder (config.json + model.pt); no text encoder is loaded:
    the knowledge-graph node embeddings were frozen into the checkpoint."""
    import torch

    from packetclip.teacher.hierarchy import Hierarchy
    from packetclip.teacher.model import PacketCLIPTeacher
    from packetclip.teacher.trainer import setup_torch

    run_dir = Path(run_dir)
    cfg_path, model_path = run_dir / "config.json", run_dir / "model.pt"
    if not model_path.exists() and (run_dir / "checkpoint.pt").exists():
        raise PacketclipError(f"{run_dir}: training was interrupted (checkpoint.pt of the last complete epoch, "
                              "no model.pt); train again to finish the run")
    if not cfg_path.exists():
        raise PacketclipError(f"{run_dir}: not a teacher run folder (no config.json); train one with `packetclip train --out {run_dir}`")
    if not model_path.exists():
        raise PacketclipError(f"{model_path}: missing; train the run again")
    cfg = json.loads(cfg_path.read_text())
    setup_torch(cfg["config"].get("seed", 0))
    hier = Hierarchy.from_dict(cfg["hierarchy"])
    class_index = [hier.techniques.index(l) for l in cfg["labels"]]
    model = PacketCLIPTeacher(cfg["config"], len(cfg["features"]), hier, class_index, with_text=False)
    state = torch.load(model_path, map_location="cpu", weights_only=True)
    model.node_cache = torch.zeros_like(state["model"]["node_cache"])
    model.load_state_dict(state["model"])
    model.eval()
    return Teacher(run_dir, cfg, model)
