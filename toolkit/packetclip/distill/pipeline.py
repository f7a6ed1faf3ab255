"""teacher run -> student candidates -> KD training -> int8 (PTQ, QAT if needed) -> TFLM checks -> bundle.

`distill(...)` is the API behind `packetclip distill`; it returns a JSON-ready result and
writes the bundle atomically (nothing is written when any step fails).
"""

import copy
import hashlib
import json
import time
from pathlib import Path

import numpy as np

from packetclip.bundle.checks import check_tflite
from packetclip.bundle.format import Bundle, write_bundle
from packetclip.bundle.verify import evaluate_bundle, probe_arena, run_tflm, score, summary
from packetclip.data import prep
from packetclip.distill import convert
from packetclip.distill.budget import DEFAULT_HOSTS, board_budget, plan
from packetclip.distill.card import model_card
from packetclip.distill.students import build_module
from packetclip.distill.train import KDConfig, Targets, deterministic_torch, fit, predict
from packetclip.errors import PacketclipError
from packetclip.metrics import softmax

SPLIT = {"kind": "stratified", "test": 0.3, "val": 0.15}  # the teacher's split; val is carved from train
PRESETS = {
    # full: what the released bundle uses; demo: fast enough for `make demo`.
    "full": {"kd": {}, "per_arch": 1, "calib_rows": 1000},
    "demo": {"kd": {"epochs": 25, "qat_epochs": 4}, "per_arch": 1, "calib_rows": 500},
    # tiny: seconds; the tests use it.
    "tiny": {"kd": {"epochs": 4, "qat_epochs": 1}, "per_arch": 1, "calib_rows": 200},
}
PTQ_TOLERANCE = 0.005  # macro-F1 lost to PTQ (on val) beyond which QAT runs
MAX_FALLBACKS = 3      # smaller students tried after one measures over the budget


def distill(teacher_run=None, board="mps2-an386", out="models/student", arch="auto", seed=None, max_macs=None,
            max_weights=None, max_arena=None, preset="full", data=None, embedding=False, embedding_dim=None, log=print,
            command=None, max_ram=None, hosts=DEFAULT_HOSTS):
    t_start = time.monotonic()
    if preset not in PRESETS:
        raise PacketclipError(f"--preset: unknown preset {preset!r}; choose one of {', '.join(PRESETS)}")
    pre = PRESETS[preset]
    cfg = KDConfig(**pre["kd"])
    from packetclip.data.kg import load_kg

    kg = load_kg()
    teacher, tcfg = _load_teacher(teacher_run, kg) if teacher_run is not None else (None, None)
    if teacher is None and embedding:
        raise PacketclipError("--embedding: needs a teacher run (the embedding is distilled from the teacher)")
    if seed is None:  # the teacher's split seed, so the test split is the teacher's
        seed = int((tcfg or {}).get("data", {}).get("seed", 0))
    table, data_rec = _load_data(data, tcfg, kg)
    sp = _split(table, seed)
    labels_all = np.asarray(table.labels).astype(str)
    labels = list(teacher.labels) if teacher else [t for t in _technique_ids(kg) if t in set(labels_all[sp["train"]])]
    if len(labels) < 2:
        where = data_rec.get("source") or data or "the data"
        raise PacketclipError(f"{where}: field 'label' has {len(labels)} class(es) in the training split "
                              f"({', '.join(map(repr, labels)) or 'none'}); a student needs flows of at least two classes")
    missions = list(kg.missions)
    label_missions = {l: kg.mission_of(l) for l in labels}
    features = list(teacher.features) if teacher else list(table.features)
    X = _columns(table, features)
    transform = _transform(teacher, X[sp["train"]])
    inputs = _Inputs(X, getattr(table, "meta", None), transform)
    known = np.isin(labels_all, labels)
    y = np.array([labels.index(l) if l in labels else -1 for l in labels_all])
    ym = np.array([missions.index(kg.mission_of(l)) for l in labels_all])

    tp = teacher.predict(X, meta=getattr(table, "meta", None)) if teacher else None
    t_emb = space = None
    if embedding:   # the head regresses a fixed projection of the teacher's flow embedding (distill/embedding.py)
        from packetclip.distill import embedding as emb

        tr_rows = sp["train"][known[sp["train"]]]
        space = emb.fit_space(tp["embedding"][tr_rows], tp["class_logits"][tr_rows], dim=embedding_dim or emb.DIM)
        space.update(emb.teacher_fields(teacher_run, tcfg))
        t_emb = emb.targets(space, tp["embedding"])
    heads = {"classes": [0, len(labels)], "missions": [len(labels), len(labels) + len(missions)],
             "embedding": None if t_emb is None else [len(labels) + len(missions), len(labels) + len(missions) + t_emb.shape[1]]}
    n_out = heads["embedding"][1] if t_emb is not None else heads["missions"][1]
    targets = Targets(y, ym, None if tp is None else np.asarray(tp["class_logits"], np.float64),
                      None if tp is None or tp.get("mission_logits") is None else np.asarray(tp["mission_logits"], np.float64),
                      t_emb)

    if hosts is None or int(hosts) < 1:
        raise PacketclipError(f"--hosts {hosts}: a windowed student's device keeps at least 1 host; give --hosts N >= 1")
    if arch == "auto" and prep.context_kind(getattr(table, "meta", None)) != "host_time":
        arch = "mlp"   # no addresses or timestamps: every window would be padding plus the flow itself
    budget = board_budget(board, max_weights=max_weights, max_arena=max_arena, max_macs=max_macs, max_ram=max_ram, hosts=hosts)
    specs, table_rows, fallback = plan(budget, arch, len(features), n_out, per_arch=pre["per_arch"])
    log(f"distill: {len(features)} features, {len(labels)} classes, teacher {'none (labels only)' if teacher is None else teacher_run}; "
        f"budget weights <= {budget.max_weights} B, arena <= {budget.max_arena} B, arena + host table "
        f"({budget.hosts} hosts) <= {budget.max_ram} B; training {', '.join(s.name for s in specs)}")
    tr = sp["train"][known[sp["train"]]]
    va = sp["val"][known[sp["val"]]]
    te = sp["test"][known[sp["test"]]]   # a class the teacher was not trained on has no output to score
    base_meta = {"features": features, "transform": transform, "labels": labels, "missions": missions,
                 "label_missions": label_missions, "heads": heads}
    if space is not None:
        base_meta["embedding"] = space

    tried, queue = [], list(specs)
    while queue:
        spec = queue.pop(0)
        res = _train_one(spec, inputs, targets, tr, va, heads, base_meta, cfg, seed, pre["calib_rows"], log)
        arena = probe_arena(res["tflite"])
        res["arena_bytes"] = arena
        fits = not budget.misses(spec, arena) and res["checks"]["weight_bytes"] <= budget.max_weights
        res["fits"] = fits
        tried.append(res)
        log(f"  {spec.name}: val macro-F1 float {res['val_float']:.4f}, TFLM int8 {res['val_int8']:.4f} ({res['quantization']}); "
            f"{res['checks']['weight_bytes']} weight B, arena {arena} B"
            + (f" + {budget.table(spec)} B host table" if budget.table(spec) else "") + ("" if fits else " (over budget)"))
        # the arena is an estimate until converted: over it, the next smaller fitting spec (3 tries per arch)
        if not fits and fallback.get(spec.arch) and sum(r["spec"].arch == spec.arch for r in tried) <= MAX_FALLBACKS:
            queue.insert(0, fallback[spec.arch].pop(0))
    ok = [r for r in tried if r["fits"]]
    if not ok:  # the estimate fitted but the converted file does not: report the measured sizes
        least = min(tried, key=lambda r: (r["arena_bytes"], r["checks"]["weight_bytes"]))
        raise PacketclipError(f"board {budget.board}: converted {least['spec'].name} measures a {least['arena_bytes']} B TFLM arena "
                              f"(+ {budget.table(least['spec'])} B host table) and {least['checks']['weight_bytes']} B of weights, "
                              f"over the budget ({budget.max_arena} B arena, {budget.max_ram} B RAM, {budget.max_weights} B weights); "
                              "raise --max-arena/--max-ram/--max-weights to at least those sizes, or keep fewer --hosts")
    best = max(ok, key=lambda r: (round(r["val_int8"], 4), -r["checks"]["weight_bytes"]))
    spec = best["spec"]

    # Test split: TFLM int8 vs float student vs teacher.
    meta = _meta(base_meta, spec, best, out, kg, budget, data_rec, seed, preset, cfg, teacher_run, table)
    meta["distill"]["teacher_command"] = _teacher_command(teacher_run, tcfg)
    bundle = Bundle(path=Path(out), meta={**meta, "tflite_sha256": ""}, tflite=best["tflite"])
    Zte = inputs(spec, te)
    m_int8, Qout = evaluate_bundle(bundle, bundle.quantize(Zte), labels_all[te])
    cls_q = Qout.reshape(len(te), -1)[:, heads["classes"][0]:heads["classes"][1]].astype(np.int32).argmax(1)
    with deterministic_torch(seed):
        f_logits = predict(best["module"], Zte)
    m_float = score(meta, labels_all[te], softmax(f_logits[:, slice(*heads["classes"])]), softmax(f_logits[:, slice(*heads["missions"])]))
    metrics = {"split": "test", "unseen_class_rows": int((~known[sp["test"]]).sum()), "tflm_int8": summary(m_int8), "float_student": summary(m_float),
               "agreement_float_student": round(float((cls_q == f_logits[:, slice(*heads["classes"])].argmax(1)).mean()), 6)}
    if tp is not None:
        tc = np.asarray(tp["class_logits"])[te]
        tm = None if tp.get("mission_logits") is None else softmax(np.asarray(tp["mission_logits"])[te])
        m_teacher = score(meta, labels_all[te], softmax(tc), tm)
        metrics["teacher"] = summary(m_teacher)
        metrics["agreement_teacher"] = round(float((cls_q == tc.argmax(1)).mean()), 6)
        metrics["delta_macro_f1_vs_teacher"] = round(m_int8["macro_f1"] - m_teacher["macro_f1"], 6)
        if m_int8["mean_auc_three_missions"] is not None and m_teacher["mean_auc_three_missions"] is not None:
            metrics["delta_mean_auc_vs_teacher"] = round(m_int8["mean_auc_three_missions"] - m_teacher["mean_auc_three_missions"], 6)
    if heads["embedding"] is not None:
        e_q = bundle.head(bundle.dequantize_output(Qout), "embedding")
        e_t = t_emb[te]
        cos = (e_q * e_t).sum(1) / np.maximum(np.linalg.norm(e_q, axis=1) * np.linalg.norm(e_t, axis=1), 1e-12)
        metrics["embedding_cosine_vs_teacher"] = round(float(cos.mean()), 6)
    metrics["per_class_f1"] = {k: round(v["f1"], 6) for k, v in m_int8["per_class"].items()}
    meta["metrics"] = metrics
    meta["candidates"] = _candidate_table(table_rows, tried)
    meta["tflite_sha256"] = hashlib.sha256(best["tflite"]).hexdigest()
    card = model_card(meta, command)
    bundle = write_bundle(out, best["tflite"], meta, card)
    elapsed = time.monotonic() - t_start
    log(f"wrote {out}: {spec.name}, sha256 {bundle.sha256[:16]}, TFLM int8 test macro-F1 {m_int8['macro_f1']:.4f}, "
        f"3-mission AUC {_fmt(m_int8['mean_auc_three_missions'])}, arena {best['arena_bytes']} B, {elapsed:.1f} s")
    return {"bundle": str(out), "sha256": bundle.sha256, "student": spec.to_dict(), "quantization": best["quantization"],
            "weight_bytes": meta["weight_bytes"], "arena_bytes": meta["arena_bytes"], "macs": meta["macs"],
            "params": meta["params"], "metrics": metrics, "candidates": meta["candidates"], "seconds": round(elapsed, 1)}


def _fmt(v):
    return "n/a" if v is None else f"{v:.4f}"


def _technique_ids(kg):
    return [getattr(t, "id", t) for t in kg.techniques]


def _teacher_config(run_dir):
    run = Path(run_dir)
    cfg_path = run / "config.json"
    if not run.is_dir() or not cfg_path.exists():
        raise PacketclipError(f"{run}: not a teacher run folder (no config.json); train one with `packetclip train --out {run}` "
                              "or pass --labels-only to distill from labels")
    try:
        return json.loads(cfg_path.read_text())
    except json.JSONDecodeError as exc:
        raise PacketclipError(f"{cfg_path}: not valid JSON at line {exc.lineno}; retrain the teacher with `packetclip train`") from None


def _load_teacher(run_dir, kg):
    run = Path(run_dir)
    cfg = _teacher_config(run)
    if cfg.get("kg_version") != kg.version:
        raise PacketclipError(f"{run / 'config.json'}: field 'kg_version' is {cfg.get('kg_version')!r} but this packetclip's "
                              f"knowledge graph is {kg.version!r}; retrain the teacher with `packetclip train` on this knowledge graph")
    from packetclip.teacher import load_teacher

    try:
        teacher = load_teacher(run)
    except PacketclipError:
        raise
    except (OSError, KeyError, ValueError, RuntimeError) as exc:
        raise PacketclipError(f"{run}: cannot load the teacher ({type(exc).__name__}: {str(exc).splitlines()[0][:120]}); "
                              "retrain it with `packetclip train`") from None
    return teacher, cfg


def _load_data(data, teacher_cfg, kg):
    from packetclip.data import load_flows

    if data is None and teacher_cfg:
        d = teacher_cfg.get("data", {})
        src = str(d.get("path") or d.get("source") or "")
        if src and not src.startswith("packetclip:"):
            data = src  # the teacher's own flow file
    table = load_flows(path=data, kg=kg)
    return table, {"source": str(getattr(table, "source", data) or "cicids2017-sample"), "rows": int(len(table.X)),
                   "path": None if data is None else str(data), "dialect": getattr(table, "dialect", None)}


def _split(table, seed):
    from packetclip.data import split_indices

    parts = split_indices(table, kind=SPLIT["kind"], test=SPLIT["test"], val=SPLIT["val"], seed=seed)
    return {k: np.sort(np.asarray(v, dtype=np.int64)) for k, v in parts.items()}


def _columns(table, features):
    index = {f: i for i, f in enumerate(table.features)}
    missing = [f for f in features if f not in index]
    if missing:
        raise PacketclipError(f"{table.source}: lacks feature(s) {', '.join(missing[:5])} that the teacher was trained on; "
                              "give the same kind of flow data as the teacher run")
    return np.asarray(table.X, np.float64)[:, [index[f] for f in features]]


def _transform(teacher, Xtr):
    t = getattr(teacher, "transform", None) if teacher is not None else None
    if t and t.get("kind") == prep.TRANSFORM_KIND:
        return {"kind": t["kind"], "mean": [float(v) for v in t["mean"]], "std": [float(v) for v in t["std"]], "clip": float(t.get("clip") or prep.CLIP)}
    return prep.fit_transform(Xtr)


class _Inputs:
    """Model-space student inputs of table rows; windows built once per window size over the
    whole table (packetclip.data.prep), so train, val and test rows see the same history."""

    def __init__(self, X, meta, transform):
        self.X, self.meta, self.transform, self.by_window = X, meta, transform, {}

    def __call__(self, spec, rows):
        if spec.window not in self.by_window:
            self.by_window[spec.window] = prep.prepare(self.X, self.meta, self.transform, spec.window)
        return self.by_window[spec.window].windows(rows).reshape((len(rows),) + tuple(spec.input_shape[1:]))


def _train_one(spec, inputs, targets, tr, va, heads, base_meta, cfg, seed, calib_rows, log):
    import torch

    Ztr, Zva = inputs(spec, tr), inputs(spec, va)
    with deterministic_torch(seed):
        module = build_module(spec)
        hist = fit(module, Ztr, targets.take(tr), Zva, targets.y[va], heads, cfg, seed, cfg.epochs, cfg.lr)
        val_float = hist["val_macro_f1"]
        calib = Ztr[np.random.RandomState(seed).permutation(len(Ztr))[:calib_rows]]
        prepared, q = convert.prepare_ptq(copy.deepcopy(module), torch.from_numpy(calib[:2]))
        convert.calibrate(prepared, calib)
        tfl = convert.to_tflite(prepared, q, spec.input_shape)
        val_ptq = _val_int8(tfl, base_meta, spec, Zva, targets.y[va], heads)
        best = {"tflite": tfl, "val_int8": val_ptq, "quantization": "ptq"}
        if val_float - val_ptq > PTQ_TOLERANCE:
            log(f"  {spec.name}: PTQ lost {100 * (val_float - val_ptq):.2f} macro-F1 points on val; running QAT")
            qmod, q = convert.prepare_qat(copy.deepcopy(module), torch.from_numpy(Ztr[:2]))
            fit(qmod, Ztr, targets.take(tr), Zva, targets.y[va], heads, cfg, seed + 1, cfg.qat_epochs, cfg.qat_lr)
            tfl_q = convert.to_tflite(qmod, q, spec.input_shape)
            val_qat = _val_int8(tfl_q, base_meta, spec, Zva, targets.y[va], heads)
            if val_qat > val_ptq:
                best = {"tflite": tfl_q, "val_int8": val_qat, "quantization": "qat"}
    checks = check_tflite(best["tflite"], f"{spec.name}.tflite")
    return {**best, "spec": spec, "module": module, "val_float": val_float, "val_ptq": val_ptq, "checks": checks,
            "history": hist["history"]}


def _val_int8(tfl, base_meta, spec, Zva, yva, heads):
    from packetclip.distill.train import macro_f1

    s = check_tflite(tfl, f"{spec.name}.tflite")
    q = s["input"]
    Q = np.clip(np.round(Zva / q["scale"]) + q["zero_point"], -128, 127).astype(np.int8)
    out = run_tflm(tfl, Q).reshape(len(Q), -1)[:, heads["classes"][0]:heads["classes"][1]]
    return macro_f1(yva, out.astype(np.int32).argmax(1), heads["classes"][1] - heads["classes"][0])


def _meta(base_meta, spec, best, out, kg, budget, data_rec, seed, preset, cfg, teacher_run, table):
    c = best["checks"]
    return {
        **base_meta,
        "name": Path(out).name,
        "window": spec.window,
        "window_context": {"kind": prep.context_kind(getattr(table, "meta", None)) if spec.window > 1 else "single_flow",
                           "padding": "model-space zero rows (int8: input zero_point) before a host's first flows"},
        # the device's host table this student was sized with (build uses it unless --hosts says otherwise)
        **({"context": {"hosts": budget.hosts, "table_bytes": budget.table(spec)}} if spec.window > 1 else {}),
        "input": c["input"], "output": c["output"],
        "kg_version": kg.version,
        "arena_bytes": best["arena_bytes"],
        "ops": c["ops"], "macs": c["macs"], "params": c["params"], "weight_bytes": c["weight_bytes"],
        "tools": convert.tool_versions(),
        "student": {**spec.to_dict(), "quantization": best["quantization"], "val_macro_f1_float": round(best["val_float"], 6),
                    "val_macro_f1_int8": round(best["val_int8"], 6), "val_macro_f1_ptq": round(best["val_ptq"], 6)},
        "distill": {"teacher": None if teacher_run is None else Path(teacher_run).name, "preset": preset, "seed": seed,
                    "kd": cfg.to_dict(), "budget": budget.to_dict()},
        "data": {**data_rec, "split": {**SPLIT, "seed": seed}},
    }


def _teacher_command(run_dir, tcfg):
    """The `packetclip train` command that made the teacher (from its config.json)."""
    if not tcfg:
        return None
    c, d = tcfg.get("config", {}), tcfg.get("data", {})
    parts = ["packetclip", "train"] + ([str(d["path"])] if d.get("path") else [])
    parts += ["--out", str(run_dir), "--preset", str(c.get("preset", "full")), "--seed", str(d.get("seed", c.get("seed", 0)))]
    for key, flag, default in (("ssl", "--ssl", "packet"), ("text_encoder", "--text-encoder", "small"), ("fraction", "--fraction", 1.0)):
        if c.get(key, default) != default:
            parts += [flag, str(c[key])]
    return " ".join(parts)


def _candidate_table(rows, tried):
    by_name = {r["spec"].name: r for r in tried}
    out = []
    for row in rows:
        r = by_name.get(row["name"])
        entry = {k: row[k] for k in ("name", "arch", "macs", "weight_bytes", "arena_estimate", "fits", "misses")}
        if r is not None:
            entry.update(trained=True, val_macro_f1_int8=round(r["val_int8"], 6), arena_bytes=r["arena_bytes"])
        out.append(entry)
    return out
