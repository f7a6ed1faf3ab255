"""`packetclip evaluate`: the teacher against random forest and MLP on the same splits, over
several seeds, with a data-scarcity curve and a size table; writes metrics.json, report.md
and PNG plots. Nothing here chooses hyperparameters: the test split is only measured."""

import json
import time
from pathlib import Path

import numpy as np

from packetclip.errors import PacketclipError
from packetclip.fsutil import write_text

FRACTIONS = (1.0, 0.7, 0.5, 0.4, 0.3)
MODELS = ("teacher", "random_forest", "mlp")


def _is_run(path):
    return path is not None and Path(path).is_dir() and (Path(path) / "config.json").exists()


def evaluate(run_or_file=None, out="runs/eval", seeds=(0, 1, 2), scarcity=False, preset=None, ssl=None,
             text_encoder=None, kg=None, quiet=False, log=print):
    """Evaluate (training what is missing) and write the report folder; returns the metrics dict.

    run_or_file: a teacher run folder (its settings are reused and it serves its own seed),
    a flow file, or None (embedded CIC-IDS2017 sample)."""
    from packetclip.teacher import train
    from packetclip.teacher.dataset import load_table
    from packetclip.teacher.trainer import _kg

    out = Path(out)
    t0 = time.monotonic()
    given_run = Path(run_or_file) if _is_run(run_or_file) else None
    if run_or_file is not None and given_run is None and not Path(run_or_file).is_file():
        raise PacketclipError(f"{run_or_file}: neither a teacher run folder (with config.json) nor a flow file")
    settings = {"preset": preset or "full", "ssl": ssl or "packet", "text_encoder": text_encoder or "small"}
    data_path, kg_files = (str(run_or_file) if run_or_file is not None and given_run is None else None), kg
    if given_run is not None:
        rc = json.loads((given_run / "config.json").read_text())
        c = rc["config"]
        settings = {"preset": preset or c["preset"], "ssl": ssl or c["ssl"], "text_encoder": text_encoder or c["text_encoder"]}
        data_path, kg_files = rc["data"].get("path"), rc["data"].get("kg_files") or kg
        if rc["data"].get("holdout") != "test":
            raise PacketclipError(f"{given_run}: was trained with a validation holdout; evaluate needs a run trained on the 70/30 split")
    graph = _kg(kg_files)
    table = load_table(data_path, graph)
    fractions = FRACTIONS if scarcity else (1.0,)
    seeds = list(seeds)
    timings, results = {}, {}  # results[(fraction, seed)] = {model: metrics}
    first = {}
    for frac in fractions:
        for seed in seeds:
            run = out / "runs" / (f"seed{seed}" if frac == 1.0 else f"fraction{int(round(frac * 100))}-seed{seed}")
            if frac == 1.0 and given_run is not None and json.loads((given_run / "config.json").read_text())["data"]["seed"] == seed \
                    and json.loads((given_run / "config.json").read_text())["data"]["fraction"] == 1.0:
                run = given_run
            elif _reusable(run, settings, seed, frac, data_path):
                log(f"reusing {run} (same settings, seed and fraction)")
            else:
                log(f"training teacher: fraction {frac:.0%}, seed {seed} -> {run}")
                r = train(table, out=run, seed=seed, fraction=frac, kg=graph, quiet=True, **settings)
                timings[str(run.relative_to(out))] = round(r["train_seconds"], 1)
            res, extra = _evaluate_seed(run, table, graph, seed, want_plots=(frac == 1.0 and not first))
            if extra:
                first = extra
            results[(frac, seed)] = res
            log(f"fraction {frac:.0%} seed {seed}: " + ", ".join(
                f"{m} F1 {res[m]['macro_f1']:.4f} AUC3 {res[m]['mean_auc_three_missions']:.4f}" for m in MODELS))
    metrics = _summarise(results, fractions, seeds, first, settings, table, graph)
    _write(out, metrics, first, fractions, timings, time.monotonic() - t0)
    return metrics


def _reusable(run, settings, seed, frac, data_path):
    """A finished run with the same settings (an interrupted evaluation resumes, and runs can be
    trained in parallel beforehand with `packetclip train --out <out>/runs/...`)."""
    try:
        rc = json.loads((Path(run) / "config.json").read_text())
    except (OSError, ValueError):
        return False
    c, d = rc["config"], rc["data"]
    return ((Path(run) / "model.pt").exists() and d.get("holdout") == "test" and d.get("seed") == seed
            and d.get("fraction") == frac and d.get("path") == data_path
            and all(c.get(k) == v for k, v in settings.items()))


def _evaluate_seed(run, table, graph, seed, want_plots):
    from packetclip.data.prep import apply_transform
    from packetclip.metrics import classification_metrics, softmax
    from packetclip.teacher import load_teacher
    from packetclip.teacher.baselines import baseline_size, fit_baseline, proba_in_order
    from packetclip.teacher.size import teacher_size

    teacher = load_teacher(run)
    split = json.loads((Path(run) / "split.json").read_text())
    tr, te = np.asarray(split["train"]), np.asarray(split["test"])
    labels_all = np.asarray(table.labels).astype(str)
    if list(table.features) != teacher.features or len(labels_all) != teacher.run_config["data"]["rows"]:
        raise PacketclipError(f"{run}: was trained on different data ({teacher.run_config['data']['source']}); evaluate it on that file")
    labels, missions, lm = teacher.labels, teacher.missions, teacher.label_missions
    lm_all = dict(lm, **{l: graph.mission_of(l) for l in set(labels_all[te])})
    meta = {k: (None if v is None else np.asarray(v)[te]) for k, v in (table.meta or {}).items()}
    out = teacher.predict(table.X[te], meta)
    cp, mp = softmax(out["class_logits"]), softmax(out["mission_logits"])
    res = {"teacher": classification_metrics(labels_all[te], cp, labels, lm_all, missions, mp)}
    probs = {"teacher": (cp, mp)}
    sizes = {"teacher": teacher_size(teacher)} if want_plots else {}
    Z = apply_transform(teacher.transform, table.X)  # fitted on these training rows
    for name in ("random_forest", "mlp"):
        model = fit_baseline(name, Z[tr], labels_all[tr], seed)
        res[name] = classification_metrics(labels_all[te], proba_in_order(model, Z[te], labels), labels, lm_all, missions)
        if want_plots:
            sizes[name] = baseline_size(name, model, Z[te[:200]])
    extra = None
    if want_plots:
        tm = json.loads((Path(run) / "train_metrics.json").read_text())
        extra = {"run": str(run), "probs": probs, "y": labels_all[te], "y_missions": np.asarray([lm_all[l] for l in labels_all[te]]),
                 "labels": labels, "missions": missions, "zero_shot": tm["zero_shot"], "sizes": sizes,
                 "temporal": teacher.temporal, "transform_clip": teacher.transform["clip"], "config": teacher.config}
    return res, extra


def _mean_std(vals):
    vals = [v for v in vals if v is not None]
    return {"mean": float(np.mean(vals)), "std": float(np.std(vals)), "values": [float(v) for v in vals]} if vals else None


def _summarise(results, fractions, seeds, first, settings, table, graph):
    summary = {}
    for model in MODELS:
        rows = [results[(1.0, s)][model] for s in seeds]
        per_class = {}
        for lab in rows[0]["per_class"]:
            per_class[lab] = {k: _mean_std([r["per_class"][lab][k] for r in rows])
                              for k in ("precision", "recall", "f1", "auc")}
            per_class[lab]["support"] = rows[0]["per_class"][lab]["support"]
        per_mission = {m: {"auc": _mean_std([r["per_mission"][m]["auc"] for r in rows]),
                           "support": rows[0]["per_mission"][m]["support"]} for m in rows[0]["per_mission"]}
        summary[model] = {"accuracy": _mean_std([r["accuracy"] for r in rows]),
                          "macro_f1": _mean_std([r["macro_f1"] for r in rows]),
                          "mean_auc_three_missions": _mean_std([r["mean_auc_three_missions"] for r in rows]),
                          "per_class": per_class, "per_mission": per_mission,
                          f"confusion_seed{seeds[0]}": rows[0]["confusion"]}
    scarcity = {model: {f"{int(round(f * 100))}": {"macro_f1": _mean_std([results[(f, s)][model]["macro_f1"] for s in seeds]),
                                                  "mean_auc_three_missions": _mean_std([results[(f, s)][model]["mean_auc_three_missions"] for s in seeds])}
                        for f in fractions} for model in MODELS}
    t = summary["teacher"]
    targets = {"macro_f1>=0.96": t["macro_f1"]["mean"] >= 0.96,
               "mean_auc_three_missions>=0.995": t["mean_auc_three_missions"]["mean"] >= 0.995}
    if "30" in scarcity["teacher"]:
        targets["macro_f1_at_30pct>=0.94"] = scarcity["teacher"]["30"]["macro_f1"]["mean"] >= 0.94
    return {"data": {"source": getattr(table, "source", ""), "rows": int(len(table.labels)),
                     "split": "stratified 70/30 (split seed = model seed)", "kg_version": graph.version, "techniques": len(graph.techniques)},
            "seeds": list(seeds), "settings": settings, "teacher_config": first["config"],
            "temporal": first["temporal"], "summary": summary, "scarcity": scarcity,
            "size": first["sizes"], "targets": targets,
            "zero_shot_final": {"top1": first["zero_shot"]["zero_shot_top1"][-1],
                                "top5": first["zero_shot"]["zero_shot_top5"][-1]}}


def _write(out, metrics, first, fractions, timings, wall):
    from packetclip import plots

    out.mkdir(parents=True, exist_ok=True)
    cp, mp = first["probs"]["teacher"]
    plots.confusion_matrix(metrics["summary"]["teacher"][f"confusion_seed{metrics['seeds'][0]}"], first["labels"],
                           out / "confusion_matrix.png", title=f"Teacher confusion (test, seed {metrics['seeds'][0]})")
    plots.roc_per_mission(first["y_missions"], mp, first["missions"], out / "roc_missions.png",
                          title="Teacher one-vs-rest ROC per mission (test)")
    zs = first["zero_shot"]
    plots.lines(zs["step"], {"top-1": zs["zero_shot_top1"], "top-5": zs["zero_shot_top5"]}, out / "zero_shot.png",
                "training step", "zero-shot accuracy", "Zero-shot accuracy (KG class prompts) vs steps")
    if len(fractions) > 1:
        xs = [int(round(f * 100)) for f in sorted(fractions)]
        plots.lines(xs, {m: [metrics["scarcity"][m][str(x)]["macro_f1"]["mean"] for x in xs] for m in MODELS},
                    out / "scarcity.png", "% of the training split", "macro-F1 (test, mean of seeds)",
                    "Data scarcity")
    write_text(out / "metrics.json", json.dumps(metrics, indent=2, sort_keys=True) + "\n")
    write_text(out / "timing.json", json.dumps({"evaluate_wall_s": round(wall, 1), "train_s": timings}, indent=2, sort_keys=True) + "\n")
    write_text(out / "report.md", render_report(metrics, len(fractions) > 1))


def _fmt(ms, digits=4):
    return "n/a" if ms is None else f"{ms['mean']:.{digits}f} ± {ms['std']:.{digits}f}"


def render_report(m, with_scarcity):
    s = m["summary"]
    lines = ["# Teacher evaluation", "",
             f"Data: {m['data']['source']} ({m['data']['rows']} rows after cleaning), {m['data']['split']}, "
             f"seeds {', '.join(map(str, m['seeds']))}; knowledge graph {m['data']['kg_version']}.",
             f"Teacher: preset {m['settings']['preset']}, text encoder {m['settings']['text_encoder']}, SSL {m['settings']['ssl']}, "
             f"flow encoder {m['teacher_config']['flow_encoder']}.", "",
             f"Temporal: {m['temporal']['note']}.", "",
             "## Test metrics (mean ± std over seeds)", "",
             "| model | accuracy | macro-F1 | mean AUC (dos, brute_force, reconnaissance) |", "|---|---|---|---|"]
    for model in MODELS:
        lines.append(f"| {model} | {_fmt(s[model]['accuracy'])} | {_fmt(s[model]['macro_f1'])} | {_fmt(s[model]['mean_auc_three_missions'])} |")
    lines += ["", "Targets: " + ", ".join(f"{k} {'met' if v else 'MISSED'}" for k, v in m["targets"].items()), "",
              "## Per class (teacher; F1 and AUC, mean over seeds)", "",
              "| class | support | precision | recall | F1 | AUC | RF F1 | MLP F1 |", "|---|---|---|---|---|---|---|---|"]
    for lab, r in s["teacher"]["per_class"].items():
        lines.append(f"| {lab} | {r['support']} | {_fmt(r['precision'], 3)} | {_fmt(r['recall'], 3)} | {_fmt(r['f1'], 3)} | "
                     f"{_fmt(r['auc'], 4)} | {_fmt(s['random_forest']['per_class'][lab]['f1'], 3)} | {_fmt(s['mlp']['per_class'][lab]['f1'], 3)} |")
    lines += ["", "## Per mission one-vs-rest AUC", "", "| mission | support | teacher | random forest | MLP |", "|---|---|---|---|---|"]
    for mis, r in s["teacher"]["per_mission"].items():
        lines.append(f"| {mis} | {r['support']} | {_fmt(r['auc'])} | {_fmt(s['random_forest']['per_mission'][mis]['auc'])} | {_fmt(s['mlp']['per_mission'][mis]['auc'])} |")
    if with_scarcity:
        lines += ["", "## Data scarcity (macro-F1 on the test split, mean ± std over seeds)", "",
                  "| % of training split | teacher | random forest | MLP |", "|---|---|---|---|"]
        for f in m["scarcity"]["teacher"]:
            lines.append(f"| {f} | " + " | ".join(_fmt(m["scarcity"][x][f]["macro_f1"]) for x in MODELS) + " |")
        lines += ["", "![scarcity](scarcity.png)"]
    lines += ["", "## Size per inference (one flow)", "", "| model | params | FLOPs | note |", "|---|---|---|---|"]
    for model in MODELS:
        z = m["size"][model]
        lines.append(f"| {model} | {z['params']:,} | {z['flops']:,} | {z['note']} |")
    lines += ["| student | (added by `packetclip distill`) | | |", "",
              f"Zero-shot (cosine to the KG class prompts of all {m['data']['techniques']} techniques): "
              f"final top-1 {m['zero_shot_final']['top1']:.3f}, top-5 {m['zero_shot_final']['top5']:.3f} (seed {m['seeds'][0]}, test split).", "",
              "![confusion](confusion_matrix.png) ![roc](roc_missions.png) ![zero-shot](zero_shot.png)", "",
              "Hyperparameters were chosen on a validation split carved from the training split (measurements in "
              "packetclip/teacher/config.py); the test split was only measured.",
              "Wall-clock timings: timing.json.", ""]
    return "\n".join(lines)
