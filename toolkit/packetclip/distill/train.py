"""Knowledge distillation of a student (float, then quantization-aware fine-tuning).

Loss per batch (T = temperature, a = kd weight; a = 0 when there is no teacher):
  classes:  (1-a) * CE(student, label) + a * T^2 * KL(teacher/T || student/T)
  missions: the same with the mission logits (weight `mission_weight`)
  embedding (optional head): MSE to the teacher's embedding (weight `embedding_weight`)
Training is deterministic for a given seed: one torch thread, seeded shuffles, and the
epoch with the best validation macro-F1 is kept.
"""

import contextlib
from dataclasses import asdict, dataclass

import numpy as np


@dataclass
class KDConfig:
    temperature: float = 4.0
    kd_weight: float = 0.7
    mission_weight: float = 0.5
    embedding_weight: float = 1.0
    epochs: int = 60
    batch: int = 64
    lr: float = 3e-3
    weight_decay: float = 1e-4
    qat_epochs: int = 8
    qat_lr: float = 5e-4

    def to_dict(self):
        return asdict(self)


@dataclass
class Targets:
    """Training targets aligned with the input rows."""
    y: np.ndarray                 # class index
    ym: np.ndarray                # mission index
    t_class: np.ndarray | None    # teacher class logits
    t_mission: np.ndarray | None  # teacher mission logits
    t_emb: np.ndarray | None      # teacher embedding

    def take(self, idx):
        pick = lambda a: None if a is None else a[idx]  # noqa: E731
        return Targets(self.y[idx], self.ym[idx], pick(self.t_class), pick(self.t_mission), pick(self.t_emb))


@contextlib.contextmanager
def deterministic_torch(seed):
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def macro_f1(y, pred, n_classes):
    f1s = []
    for c in range(n_classes):
        t, p = y == c, pred == c
        if not t.any():
            continue
        tp = (t & p).sum()
        f1s.append(0.0 if tp == 0 else 2 * tp / (t.sum() + p.sum()))
    return float(np.mean(f1s)) if f1s else 0.0


def _loss(out, tg, heads, cfg, torch, F):
    c0, c1 = heads["classes"]
    m0, m1 = heads["missions"]
    a, T = (cfg.kd_weight if tg["t_class"] is not None else 0.0), cfg.temperature
    sc, sm = out[:, c0:c1], out[:, m0:m1]
    loss = (1 - a) * F.cross_entropy(sc, tg["y"]) + (1 - a) * cfg.mission_weight * F.cross_entropy(sm, tg["ym"])
    if a:
        kl = lambda s, t: F.kl_div(F.log_softmax(s / T, 1), F.softmax(t / T, 1), reduction="batchmean") * T * T  # noqa: E731
        loss = loss + a * kl(sc, tg["t_class"])
        if tg["t_mission"] is not None:
            loss = loss + a * cfg.mission_weight * kl(sm, tg["t_mission"])
    if heads.get("embedding") and tg["t_emb"] is not None:
        e0, e1 = heads["embedding"]
        loss = loss + cfg.embedding_weight * F.mse_loss(out[:, e0:e1], tg["t_emb"])
    return loss


def fit(module, Z, targets, Zval, yval, heads, cfg, seed, epochs, lr, log=None):
    """Train `module` (a torch module or a prepared QAT graph) in place; returns history."""
    import torch
    import torch.nn.functional as F

    rng = np.random.RandomState(seed)
    as_t = lambda a, dt=torch.float32: None if a is None else torch.as_tensor(a, dtype=dt)  # noqa: E731
    Zt = torch.from_numpy(np.ascontiguousarray(Z, dtype=np.float32))
    tg_all = {"y": as_t(targets.y, torch.long), "ym": as_t(targets.ym, torch.long), "t_class": as_t(targets.t_class),
              "t_mission": as_t(targets.t_mission), "t_emb": as_t(targets.t_emb)}
    opt = torch.optim.AdamW(module.parameters(), lr=lr, weight_decay=cfg.weight_decay)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(epochs, 1))
    c0, c1 = heads["classes"]
    n_classes = c1 - c0
    best, best_state, history = -1.0, None, []
    Zv = torch.from_numpy(np.ascontiguousarray(Zval, dtype=np.float32))
    for epoch in range(epochs):
        _train_mode(module, True)
        order = rng.permutation(len(Z))
        for i in range(0, len(order), cfg.batch):
            b = torch.from_numpy(order[i:i + cfg.batch])
            tg = {k: (None if v is None else v[b]) for k, v in tg_all.items()}
            loss = _loss(module(Zt[b]), tg, heads, cfg, torch, F)
            opt.zero_grad()
            loss.backward()
            opt.step()
        sched.step()
        _train_mode(module, False)
        with torch.no_grad():
            pred = module(Zv)[:, c0:c1].argmax(1).numpy()
        f1 = macro_f1(yval, pred, n_classes)
        history.append(round(f1, 6))
        if f1 > best:
            best, best_state = f1, {k: v.detach().clone() for k, v in module.state_dict().items()}
        if log:
            log(f"  epoch {epoch + 1}/{epochs}: val macro-F1 {f1:.4f}")
    if best_state is not None:
        module.load_state_dict(best_state)
    _train_mode(module, False)
    return {"val_macro_f1": best, "history": history}


def _train_mode(module, on):
    # Exported (PT2E) graphs do not support .train()/.eval(); torchao provides helpers.
    import torch

    if isinstance(module, torch.fx.GraphModule):
        from torchao.quantization.pt2e import move_exported_model_to_eval, move_exported_model_to_train

        (move_exported_model_to_train if on else move_exported_model_to_eval)(module)
    else:
        module.train(on)


def predict(module, Z, batch=1024):
    import torch

    _train_mode(module, False)
    out = []
    with torch.no_grad():
        for i in range(0, len(Z), batch):
            out.append(module(torch.from_numpy(np.ascontiguousarray(Z[i:i + batch], dtype=np.float32))).numpy())
    return np.concatenate(out).astype(np.float64)
