"""Training loop: contrastive pre-training, then the GNN classifier with the contrastive and
SSL losses kept on; a complete checkpoint is written atomically after every epoch."""

import json
import os
import sys
import time
from pathlib import Path

import numpy as np

from packetclip.errors import PacketclipError
from packetclip.fsutil import atomic_path, write_text
from packetclip.teacher import config as C
from packetclip.teacher.dataset import check_table, load_table, source_name, split, subsample, take_meta
from packetclip.teacher.hierarchy import build_hierarchy
from packetclip.teacher.temporal import build_windows, temporal_available
from packetclip.teacher.transform import apply_transform, fit_transform

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


def window_inputs(Z, windows):
    """Z [n,F], windows [n,W] of row ids (-1 = none) -> (x [n,W,F], valid [n,W]) tensors."""
    import torch

    valid = windows >= 0
    x = Z[np.where(valid, windows, 0)] * valid[..., None]
    return torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)), torch.from_numpy(valid)


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
    """
    from packetclip.teacher.text_encoders import TEXT_ENCODERS

    if text_encoder not in TEXT_ENCODERS:
        raise PacketclipError(f"--text-encoder: unknown encoder {text_encoder!r}; choose one of {', '.join(TEXT_ENCODERS)}")
    if ssl not in C.SSL_MODES:
        raise PacketclipError(f"--ssl: unknown mode {ssl!r}; choose one of {', '.join(C.SSL_MODES)}")
    if not 0.0 < fraction <= 1.0:
        raise PacketclipError(f"--fraction: {fraction} is outside (0, 1]; give e.g. 0.3 for 30 % of the training split")
    cfg = C.resolve(preset, text_encoder=text_encoder, ssl=ssl, seed=seed, fraction=fraction, **overrides)
    cfg["torch_threads"] = THREADS
    out = Path(out)
    t_start = time.monotonic()

    kg_files = [str(k) for k in ([kg] if isinstance(kg, (str, Path)) else kg)] if isinstance(kg, (str, Path, list, tuple)) else None
    kg = _kg(kg)
    table = load_table(data, kg)
    check_table(table, kg)
    labels_all = np.asarray(table.labels).astype(str)
    tr, ho = split(table, seed, holdout)
    tr = subsample(tr, labels_all, fraction, seed, cfg["max_rows"])
    if cfg["max_rows"]:
        ho = subsample(ho, labels_all, 1.0, seed, max(cfg["max_rows"] // 2, 50))
    import torch

    from packetclip.teacher.model import PacketCLIPTeacher

    setup_torch(seed)
    out.mkdir(parents=True, exist_ok=True)
    log = Log(out / "train.log", quiet)
    hier = build_hierarchy(kg)
    labels = label_order(hier, labels_all[tr])
    missions = list(hier.missions)
    label_missions = {l: kg.mission_of(l) for l in labels}
    lab_index = {l: i for i, l in enumerate(labels)}

    transform = fit_transform(table.X[tr])
    Z = apply_transform(transform, table.X)
    has_time = temporal_available(getattr(table, "meta", None))
    window = cfg["window"] if has_time else 1
    temporal_note = (f"temporal model over windows of {window} flows per source host (src_ip, timestamp)"
                     if has_time else
                     "temporal model off: the data has no src_ip/timestamp, so each flow is classified alone (window 1)")
    log(f"{source_name(table)}: {len(tr)} training rows, {len(ho)} {holdout} rows, {len(labels)} classes, "
        f"{Z.shape[1]} features; {temporal_note}")
    cfg = dict(cfg, window=window)

    texts = _descriptions(table, kg, seed)
    prompts = _prompts(kg, hier.techniques)

    model = PacketCLIPTeacher(cfg, Z.shape[1], hier, [hier.techniques.index(l) for l in labels])
    tr_in = _inputs(Z, tr, table, window)
    ho_in = _inputs(Z, ho, table, window)
    y_tr = torch.tensor([lab_index[l] for l in labels_all[tr]])
    m_tr = torch.tensor([missions.index(kg.mission_of(l)) for l in labels_all[tr]])
    weights = class_weights(y_tr.numpy(), len(labels), cfg["class_weight_power"])
    zs_rows = ho[:cfg["zs_rows"]] if len(ho) > cfg["zs_rows"] else ho
    zs_true = np.array([hier.techniques.index(l) for l in labels_all[zs_rows]])

    opt = torch.optim.AdamW(model.parameters(), lr=cfg["lr"], weight_decay=cfg["weight_decay"])
    gen = torch.Generator().manual_seed(seed)
    steps_per_epoch = max(1, int(np.ceil(len(tr) / cfg["batch"])))
    total = cfg["epochs"] * steps_per_epoch
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / steps_per_epoch) * 0.5 * (1 + np.cos(np.pi * min(s, total) / total)))
    history = {"step": [], "epoch": [], "loss": [], "zero_shot_top1": [], "zero_shot_top5": []}
    epoch_loss = []
    step = 0
    bar = _bar(cfg["epochs"], quiet)

    def log_zero_shot():
        top1, top5 = _zero_shot(model, ho_in, np.arange(len(zs_rows)), prompts, zs_true)
        history["zero_shot_top1"].append(top1)
        history["zero_shot_top5"].append(top5)
        history["step"].append(step)

    log_zero_shot()
    history["epoch"].append(0)
    history["loss"].append(None)
    for epoch in range(1, cfg["epochs"] + 1):
        model.train()
        supervised = epoch > cfg["pretrain_epochs"]
        perm = torch.randperm(len(tr), generator=gen)
        losses = []
        for b in range(steps_per_epoch):
            rows = perm[b * cfg["batch"]:(b + 1) * cfg["batch"]]
            if len(rows) < 2:
                continue
            loss = _step_loss(model, cfg, tr_in, rows, texts, tr, y_tr, m_tr, weights, supervised, gen)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
            sched.step()
            step += 1
            losses.append(float(loss.detach()))
            if step % cfg["log_every"] == 0:
                log_zero_shot()
                history["epoch"].append(epoch)
                history["loss"].append(float(np.mean(losses)))
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
        log_zero_shot()
        history["epoch"].append(cfg["epochs"])
        history["loss"].append(epoch_loss[-1])

    model.eval()
    model.freeze_nodes()
    class_logits, mission_logits, _ = _predict(model, ho_in)
    from packetclip.metrics import classification_metrics, softmax

    ho_metrics = classification_metrics(labels_all[ho], softmax(class_logits), labels, label_missions, missions,
                                        softmax(mission_logits))
    log(f"{holdout}: accuracy {ho_metrics['accuracy']:.4f} macro-F1 {ho_metrics['macro_f1']:.4f} "
        f"three-mission AUC {ho_metrics['mean_auc_three_missions']}")
    train_seconds = time.monotonic() - t_start

    state = {k: v for k, v in model.state_dict().items() if not k.startswith("text.")}
    save_torch({"model": state, "text_model": {k: v for k, v in model.state_dict().items() if k.startswith("text.")}},
               out / "model.pt")
    run_config = {
        "format": 1, "config": cfg, "features": list(table.features), "labels": labels, "missions": missions,
        "label_missions": label_missions, "transform": transform, "kg_version": kg.version,
        "hierarchy": hier.to_dict(), "window": window, "temporal": {"used": has_time, "note": temporal_note},
        "data": {"source": source_name(table), "path": _data_path(data, table), "kg_files": kg_files, "rows": int(len(labels_all)), "split": "stratified",
                 "test": 0.3, "holdout": holdout, "seed": seed, "fraction": fraction},
    }
    write_text(out / "config.json", json.dumps(run_config, indent=2, sort_keys=True) + "\n")
    write_text(out / "split.json", json.dumps({"train": tr.tolist(), holdout: ho.tolist()}) + "\n")
    metrics = {"holdout": holdout, "holdout_metrics": ho_metrics, "epoch_loss": epoch_loss,
               "zero_shot": history, "temporal": {"used": has_time, "note": temporal_note},
               "train_rows": int(len(tr)), "steps": step}
    write_text(out / "train_metrics.json", json.dumps(metrics, indent=2, sort_keys=True) + "\n")
    write_text(out / "timing.json", json.dumps({"train_seconds": round(train_seconds, 2),
                                                "threads": THREADS}, indent=2) + "\n")
    _plot_zero_shot(history, out / "zero_shot.png")
    log(f"wrote {out} (training took {train_seconds:.1f} s)")
    log.save()
    return {"run_dir": str(out), "metrics": metrics, "config": run_config, "train_seconds": train_seconds}


# -- pieces ---------------------------------------------------------------------------------
def _data_path(data, table):
    """What `evaluate` passes back to load_flows: a file path, or None for the embedded sample."""
    if isinstance(data, (str, Path)):
        return str(data)
    src = source_name(table)
    return None if src.startswith("packetclip:") else src


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


def _inputs(Z, idx, table, window):
    import torch

    meta = take_meta(getattr(table, "meta", None), idx)
    if window == 1:
        return torch.from_numpy(np.ascontiguousarray(Z[idx])), None
    return window_inputs(Z[idx], build_windows(meta, len(idx), window))


def _batch(inputs, rows):
    x, valid = inputs
    return (x[rows], None if valid is None else valid[rows])


def _step_loss(model, cfg, tr_in, rows, texts, tr, y_tr, m_tr, weights, supervised, gen):
    import torch
    import torch.nn.functional as F

    from packetclip.teacher.losses import clip_loss, nt_xent

    x, valid = _batch(tr_in, rows)
    z = model.embed_flows(x, valid)
    pick = torch.randint(0, 2, (len(rows),), generator=gen)
    flow_texts = [texts[int(tr[r])][int(p) % len(texts[int(tr[r])])] for r, p in zip(rows, pick)]
    zt = model.embed_texts(flow_texts)
    y = y_tr[rows]
    loss = cfg["w_clip"] * clip_loss(z, zt, model.logit_scale, y) if supervised else clip_loss(z, zt, model.logit_scale, y)
    if cfg["ssl"] in ("packet", "both"):
        a = model.ssl_flow(model.embed_flows(augment(x, gen), valid))
        b = model.ssl_flow(model.embed_flows(augment(x, gen), valid))
        loss = loss + cfg["w_ssl"] * nt_xent(F.normalize(a, dim=-1), F.normalize(b, dim=-1))
    if cfg["ssl"] == "both":
        other = [texts[int(tr[r])][(int(p) + 1) % len(texts[int(tr[r])])] for r, p in zip(rows, pick)]
        a = model.ssl_text(zt)
        b = model.ssl_text(model.embed_texts(other))
        loss = loss + cfg["w_ssl"] * nt_xent(F.normalize(a, dim=-1), F.normalize(b, dim=-1))
    if supervised:
        class_logits, mission_logits = model.classify(z)
        loss = loss + F.cross_entropy(class_logits, y, weight=weights, label_smoothing=cfg["label_smoothing"])
        loss = loss + cfg["w_mission"] * F.cross_entropy(mission_logits, m_tr[rows])
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


def _zero_shot(model, inputs, rows, prompts, true):
    """Top-1/top-5 accuracy of cosine similarity to the KG class prompts (all techniques)."""
    import torch

    with torch.no_grad():
        return _zero_shot_nograd(model, inputs, rows, prompts, true)


def _zero_shot_nograd(model, inputs, rows, prompts, true):
    import torch
    import torch.nn.functional as F

    was = model.training
    model.eval()
    x, valid = inputs
    z = model.embed_flows(x[rows], None if valid is None else valid[rows])
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
