"""Training loop: contrastive pre-training, then the GNN classifier with the contrastive and
SSL losses kept on; a complete checkpoint is written atomically after every epoch."""

import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from packetclip.data import prep
from packetclip.errors import PacketclipError
from packetclip.fsutil import atomic_path, check_out_dir, write_text
from packetclip.teacher import config as C
from packetclip.teacher.dataset import check_table, load_table, source_name, split, subsample
from packetclip.teacher.hierarchy import build_hierarchy

# torch is imported after the input checks, so a bad file fails in a fraction of a second

# One intra-op thread: measured on this shared 2-core machine, 3 epochs of the full preset took
# 20 s with 1 thread and 264 s with 2 (OpenMP threads spin when other jobs hold the cores); the
# batches are too small to gain from a second thread. Results are bit-identical only for the
# same thread count, so it is part of the configuration (PACKETCLIP_TORCH_THREADS overrides).
THREADS = int(os.environ.get("PACKETCLIP_TORCH_THREADS", "1"))


def setup_torch(seed):
    import torch

    torch.set_num_threads(THREADS)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)


def save_torch(obj, path):
    import torch

    with atomic_path(path, suffix=".pt") as tmp:
        torch.save(obj, tmp)


def augment(x, gen, noise=0.1, drop=0.1):
    """A SimCLR view of transformed flows: Gaussian jitter and random feature dropout."""
    import torch

    keep = (torch.rand(x.shape, generator=gen) > drop).float()
    return (x + noise * torch.randn(x.shape, generator=gen)) * keep


class Log:
    def __init__(self, path, quiet=False):
        self.lines, self.path, self.quiet = [], path, quiet

    def __call__(self, msg):
        self.lines.append(msg)
        if not self.quiet:
            print(msg, flush=True)

    def save(self):
        write_text(self.path, "\n".join(self.lines) + "\n")


def label_order(hier, labels):
    present = set(labels)
    return [t for t in hier.techniques if t in present]


def class_weights(y, n, power):
    import torch

    counts = np.bincount(y, minlength=n).astype(np.float64)
    w = np.where(counts > 0, (counts.sum() / np.maximum(counts, 1)) ** power, 0.0)
    return torch.tensor(w / w[counts > 0].mean(), dtype=torch.float32)


def train(data=None, out="runs/teacher", preset="full", seed=0, ssl="packet", text_encoder="small",
          fraction=1.0, kg=None, holdout="test", quiet=False, callback=None, **overrides):
    """Train a teacher and write its run folder; returns {"run_dir", "metrics", "config"}.

    data: table, path or None (embedded CIC-IDS2017 sample); kg: a KG object, a path of an
    extra KG file, or None (packaged). holdout: "test" (70/30 split) or "val" (validation
    split carved from the training rows; used to choose hyperparameters, never the test split).
    callback(epoch, info) runs after each epoch's checkpoint (tests use it to interrupt).

    The table flows through packetclip.data.prep once: load -> clean -> transform -> window -> tensors.
    """
    cfg = _config(preset, seed, ssl, text_encoder, fraction, overrides)
    out, t_start = Path(out), time.monotonic()
    if not (out / "checkpoint.pt").exists():      # an interrupted run of ours: trained again in place
        check_out_dir(out, "config.json", "teacher run folder")   # never a user's folder
    kg_files, kg = _kg_files(kg), _kg(kg)
    table = load_table(data, kg)                                      # load -> clean
    check_table(table, kg)
    rows = _rows(table, seed, holdout, fraction, cfg)                 # split
    cfg = _step_budget(cfg, len(rows.train))
    transform = prep.fit_transform(table.X[rows.train])               # transform (training rows)
    window = cfg["window"] if prep.context_kind(table.meta) == "host_time" else 1
    flows = prep.prepare(table.X, table.meta, transform, window)      # window
    cfg = dict(cfg, window=window)
    setup_torch(seed)
    from packetclip.teacher.model import PacketCLIPTeacher

    hier = build_hierarchy(kg)
    d = TrainData.build(flows, table, rows, hier, kg, cfg, seed)     # tensors
    out.mkdir(parents=True, exist_ok=True)
    log = Log(out / "train.log", quiet)
    note = _temporal_note(flows)
    log(f"{source_name(table)}: {len(rows.train)} training rows, {len(rows.holdout)} {holdout} rows, "
        f"{len(d.labels)} classes, {flows.Z.shape[1]} features; {note}")
    model = PacketCLIPTeacher(cfg, flows.Z.shape[1], hier, [hier.techniques.index(l) for l in d.labels])
    history, epoch_loss, steps = _fit(model, cfg, d, seed, out, log, quiet, callback)
    model.eval()
    model.freeze_nodes()
    ho_metrics = _holdout_metrics(model, d, kg)
    log(f"{holdout}: accuracy {ho_metrics['accuracy']:.4f} macro-F1 {ho_metrics['macro_f1']:.4f} "
        f"three-mission AUC {ho_metrics['mean_auc_three_missions']}")
    train_seconds = time.monotonic() - t_start
    temporal = {"used": window > 1, "note": note, "windows": flows.stats.to_dict()}
    run_config = {
        "format": 1, "config": cfg, "features": list(table.features), "labels": d.labels, "missions": d.missions,
        "label_missions": d.label_missions, "transform": transform, "kg_version": kg.version,
        "hierarchy": hier.to_dict(), "window": window, "temporal": temporal,
        "data": {"source": source_name(table), "path": _data_path(data, table), "kg_files": kg_files,
                 "rows": int(len(table)), "split": "stratified", "test": 0.3, "holdout": holdout, "seed": seed,
                 "fraction": fraction},
    }
    metrics = {"holdout": holdout, "holdout_metrics": ho_metrics, "epoch_loss": epoch_loss, "zero_shot": history,
               "temporal": temporal, "train_rows": int(len(rows.train)), "steps": steps}
    _write_run(out, model, run_config, rows, holdout, metrics, history, train_seconds)
    log(f"wrote {out} (training took {train_seconds:.1f} s)")
    log.save()
    return {"run_dir": str(out), "metrics": metrics, "config": run_config, "train_seconds": train_seconds}


@dataclass
class Rows:
    train: np.ndarray
    holdout: np.ndarray


@dataclass
class TrainData:
    """What the training loop reads: windows of every row as tensors, targets, texts, row sets."""
    x: object            # torch float32 [n, W, F] (all table rows)
    valid: object        # torch bool [n, W] or None (window 1)
    y: object            # torch long [n] class index (-1: not a training class)
    m: object            # torch long [n] mission index
    texts: list          # per row, two flow descriptions
    rows: Rows
    labels: list
    missions: list
    label_missions: dict
    true: np.ndarray     # label strings [n]
    weights: object      # class weights
    prompts: list
    zs_rows: np.ndarray
    zs_true: np.ndarray

    @classmethod
    def build(cls, flows, table, rows, hier, kg, cfg, seed):
        import torch

        true = np.asarray(table.labels).astype(str)
        labels = label_order(hier, true[rows.train])
        missions = list(hier.missions)
        index = {l: i for i, l in enumerate(labels)}
        y = torch.tensor([index.get(l, -1) for l in true.tolist()])
        m = torch.tensor([missions.index(kg.mission_of(l)) for l in true.tolist()])
        x = torch.from_numpy(np.ascontiguousarray(flows.windows() if flows.window > 1 else flows.Z))
        valid = torch.from_numpy(flows.valid()) if flows.window > 1 else None
        zs_rows = rows.holdout[:cfg["zs_rows"]]
        return cls(x, valid, y, m, _descriptions(table, kg, seed), rows, labels, missions,
                   {l: kg.mission_of(l) for l in labels}, true,
                   class_weights(y[rows.train].numpy(), len(labels), cfg["class_weight_power"]),
                   _prompts(kg, hier.techniques), zs_rows,
                   np.array([hier.techniques.index(l) for l in true[zs_rows]]))

    def batch(self, rows):
        import torch

        rows = torch.as_tensor(rows)
        return self.x[rows], None if self.valid is None else self.valid[rows]


def _config(preset, seed, ssl, text_encoder, fraction, overrides):
    from packetclip.teacher.text_encoders import TEXT_ENCODERS

    if text_encoder not in TEXT_ENCODERS:
        raise PacketclipError(f"--text-encoder: unknown encoder {text_encoder!r}; choose one of {', '.join(TEXT_ENCODERS)}")
    if ssl not in C.SSL_MODES:
        raise PacketclipError(f"--ssl: unknown mode {ssl!r}; choose one of {', '.join(C.SSL_MODES)}")
    if not 0.0 < fraction <= 1.0:
        raise PacketclipError(f"--fraction: {fraction} is outside (0, 1]; give e.g. 0.3 for 30 % of the training split")
    cfg = C.resolve(preset, text_encoder=text_encoder, ssl=ssl, seed=seed, fraction=fraction, **overrides)
    cfg["torch_threads"] = THREADS
    return cfg


def _step_budget(cfg, n_train):
    """Fewer epochs on big captures: at most max_steps optimizer steps (pre-training shrinks in
    proportion), so training time stops growing with the capture once it has enough steps."""
    if not cfg.get("max_steps"):
        return cfg
    per_epoch = max(1, int(np.ceil(n_train / cfg["batch"])))
    epochs = min(cfg["epochs"], max(2, int(np.ceil(cfg["max_steps"] / per_epoch))))
    if epochs == cfg["epochs"]:
        return cfg
    pre = max(1, int(round(cfg["pretrain_epochs"] * epochs / cfg["epochs"]))) if cfg["pretrain_epochs"] else 0
    return dict(cfg, epochs=epochs, pretrain_epochs=min(pre, epochs - 1), epochs_before_step_budget=cfg["epochs"])


def _rows(table, seed, holdout, fraction, cfg):
    labels = np.asarray(table.labels).astype(str)
    tr, ho = split(table, seed, holdout)
    tr = subsample(tr, labels, fraction, seed, cfg["max_rows"])
    if cfg["max_rows"]:
        ho = subsample(ho, labels, 1.0, seed, max(cfg["max_rows"] // 2, 50))
    return Rows(tr, ho)


def _temporal_note(flows):
    if flows.window == 1:
        return "temporal model off: the data has no src_ip/timestamp, so each flow is classified alone (window 1)"
    s = flows.stats
    return (f"temporal model over windows of {flows.window} flows per source host (src_ip, timestamp; "
            f"{s.hosts} hosts)")


def _fit(model, cfg, d, seed, out, log, quiet, callback):
    """The training loop; a complete checkpoint after every epoch. -> (zero-shot history, epoch losses, steps)."""
    import torch

    tr = torch.from_numpy(d.rows.train)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg["lr"], weight_decay=cfg["weight_decay"])
    gen = torch.Generator().manual_seed(seed)
    steps_per_epoch = max(1, int(np.ceil(len(tr) / cfg["batch"])))
    total = cfg["epochs"] * steps_per_epoch
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / steps_per_epoch) * 0.5 * (1 + np.cos(np.pi * min(s, total) / total)))
    history = {"step": [], "epoch": [], "loss": [], "zero_shot_top1": [], "zero_shot_top5": []}
    epoch_loss, step, bar = [], 0, _bar(cfg["epochs"], quiet)

    def log_zero_shot(epoch, loss):
        top1, top5 = _zero_shot(model, d.batch(d.zs_rows), d.prompts, d.zs_true)
        for k, v in (("zero_shot_top1", top1), ("zero_shot_top5", top5), ("step", step), ("epoch", epoch), ("loss", loss)):
            history[k].append(v)

    log_zero_shot(0, None)
    for epoch in range(1, cfg["epochs"] + 1):
        model.train()
        supervised = epoch > cfg["pretrain_epochs"]
        perm = tr[torch.randperm(len(tr), generator=gen)]
        losses = []
        for b in range(steps_per_epoch):
            rows = perm[b * cfg["batch"]:(b + 1) * cfg["batch"]]
            if len(rows) < 2:
                continue
            loss = _step_loss(model, cfg, d, rows, supervised, gen)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
            sched.step()
            step += 1
            losses.append(float(loss.detach()))
            if step % cfg["log_every"] == 0:
                log_zero_shot(epoch, float(np.mean(losses)))
        epoch_loss.append(float(np.mean(losses)) if losses else None)
        save_torch({"epoch": epoch, "step": step, "model": model.state_dict(), "optimizer": opt.state_dict(),
                    "config": cfg}, out / "checkpoint.pt")
        msg = (f"epoch {epoch}/{cfg['epochs']} {'supervised' if supervised else 'contrastive'} "
               f"loss {epoch_loss[-1]:.4f} zero-shot top1 {history['zero_shot_top1'][-1]:.3f}")
        if bar is not None:
            bar.update(1)
            bar.set_postfix_str(f"loss {epoch_loss[-1]:.3f}")
            log.lines.append(msg)
        else:
            log(msg)
        if callback is not None:
            callback(epoch, {"loss": epoch_loss[-1], "checkpoint": out / "checkpoint.pt"})
    if bar is not None:
        bar.close()
    if history["step"][-1] != step:
        log_zero_shot(cfg["epochs"], epoch_loss[-1])
    return history, epoch_loss, step


def _holdout_metrics(model, d, kg):
    from packetclip.metrics import classification_metrics, softmax

    ho = d.rows.holdout
    class_logits, mission_logits, _ = _predict(model, d.batch(ho))
    lm = dict(d.label_missions, **{l: kg.mission_of(l) for l in set(d.true[ho].tolist())})
    return classification_metrics(d.true[ho], softmax(class_logits), d.labels, lm, d.missions, softmax(mission_logits))


def _write_run(out, model, run_config, rows, holdout, metrics, history, train_seconds):
    state = model.state_dict()
    save_torch({"model": {k: v for k, v in state.items() if not k.startswith("text.")},
                "text_model": {k: v for k, v in state.items() if k.startswith("text.")}}, out / "model.pt")
    write_text(out / "config.json", json.dumps(run_config, indent=2, sort_keys=True) + "\n")
    write_text(out / "split.json", json.dumps({"train": rows.train.tolist(), holdout: rows.holdout.tolist()}) + "\n")
    write_text(out / "train_metrics.json", json.dumps(metrics, indent=2, sort_keys=True) + "\n")
    write_text(out / "timing.json", json.dumps({"train_seconds": round(train_seconds, 2), "threads": THREADS}, indent=2) + "\n")
    _plot_zero_shot(history, out / "zero_shot.png")


# -- pieces ---------------------------------------------------------------------------------
def _data_path(data, table):
    """What `evaluate` passes back to load_flows: a file path, or None for the embedded sample."""
    if isinstance(data, (str, Path)):
        return str(data)
    src = source_name(table)
    return None if src.startswith("packetclip:") else src


def _kg_files(kg):
    if isinstance(kg, (str, Path)):
        return [str(kg)]
    return [str(k) for k in kg] if isinstance(kg, (list, tuple)) else None


def _kg(kg):
    if kg is not None and not isinstance(kg, (str, Path, list, tuple)):
        return kg
    from packetclip.data.kg import load_kg

    return load_kg(extra=kg)


def _descriptions(table, kg, seed):
    from packetclip.data.text import describe_flows

    return describe_flows(table, kg, seed=seed, per_flow=2)


def _prompts(kg, techniques):
    from packetclip.data.text import class_prompts

    p = class_prompts(kg, list(techniques))
    return [list(p[t]) for t in techniques]


def _step_loss(model, cfg, d, rows, supervised, gen):
    import torch
    import torch.nn.functional as F

    from packetclip.teacher.losses import clip_loss, nt_xent

    x, valid = d.batch(rows)
    z = model.embed_flows(x, valid)
    pick = torch.randint(0, 2, (len(rows),), generator=gen)
    texts = [d.texts[r] for r in rows.tolist()]
    zt = model.embed_texts([t[p % len(t)] for t, p in zip(texts, pick.tolist(), strict=True)])
    y = d.y[rows]
    loss = clip_loss(z, zt, model.logit_scale, y) * (cfg["w_clip"] if supervised else 1.0)
    if cfg["ssl"] in ("packet", "both"):  # SimCLR views of the flow itself (the flow encoder's SSL)
        xf = x[:, -1] if x.dim() == 3 else x
        a = model.ssl_flow(model.embed_flows(augment(xf, gen)))
        b = model.ssl_flow(model.embed_flows(augment(xf, gen)))
        loss = loss + cfg["w_ssl"] * nt_xent(F.normalize(a, dim=-1), F.normalize(b, dim=-1))
    if cfg["ssl"] == "both":
        a = model.ssl_text(zt)
        b = model.ssl_text(model.embed_texts([t[(p + 1) % len(t)] for t, p in zip(texts, pick.tolist(), strict=True)]))
        loss = loss + cfg["w_ssl"] * nt_xent(F.normalize(a, dim=-1), F.normalize(b, dim=-1))
    if supervised:
        class_logits, mission_logits = model.classify(z)
        loss = loss + F.cross_entropy(class_logits, y, weight=d.weights, label_smoothing=cfg["label_smoothing"])
        loss = loss + cfg["w_mission"] * F.cross_entropy(mission_logits, d.m[rows])
    return loss


def _predict(model, inputs, batch=1024):
    import torch

    with torch.no_grad():
        return _predict_nograd(model, inputs, batch)


def _predict_nograd(model, inputs, batch):
    import torch

    was = model.training
    model.eval()
    x, valid = inputs
    nodes = model.node_embeddings()
    cl, ml, em = [], [], []
    for s in range(0, len(x), batch):
        z = model.embed_flows(x[s:s + batch], None if valid is None else valid[s:s + batch])
        c, m = model.classify(z, nodes)
        cl.append(c), ml.append(m), em.append(z)
    model.train(was)
    return torch.cat(cl).numpy(), torch.cat(ml).numpy(), torch.cat(em).numpy()


def _zero_shot(model, inputs, prompts, true):
    """Top-1/top-5 accuracy of cosine similarity to the KG class prompts (all techniques)."""
    import torch

    with torch.no_grad():
        return _zero_shot_nograd(model, inputs, prompts, true)


def _zero_shot_nograd(model, inputs, prompts, true):
    import torch
    import torch.nn.functional as F

    was = model.training
    model.eval()
    x, valid = inputs
    z = model.embed_flows(x, valid)
    flat = [p for ps in prompts for p in ps]
    emb = model.embed_texts(flat)
    owner = torch.tensor([i for i, ps in enumerate(prompts) for _ in ps])
    proto = torch.zeros(len(prompts), emb.shape[1]).index_add_(0, owner, emb)
    proto = F.normalize(proto, dim=-1)
    sims = (z @ proto.t()).numpy()
    model.train(was)
    order = np.argsort(-sims, axis=1, kind="stable")
    top1 = float((order[:, 0] == true).mean())
    top5 = float((order[:, :5] == true[:, None]).any(axis=1).mean())
    return top1, top5


def _bar(n, quiet):
    if quiet or not sys.stdout.isatty():
        return None
    from tqdm import tqdm

    return tqdm(total=n, desc="train", unit="epoch")


def _plot_zero_shot(history, path):
    from packetclip.plots import lines

    lines(history["step"], {"top-1": history["zero_shot_top1"], "top-5": history["zero_shot_top5"]},
          path, "training step", "zero-shot accuracy", "Zero-shot accuracy (KG class prompts) vs steps")
