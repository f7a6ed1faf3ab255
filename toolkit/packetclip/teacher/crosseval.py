"""`packetclip evaluate RUN --test-data FILE`: the teacher of RUN, trained on one capture, tested on
another, next to baselines trained on the same training rows and scored on the same test rows.

Models (metrics.json keeps the teacher apart from the baselines):
  teacher.temporal       the teacher with each flow's window of its host's earlier flows
  teacher.no_context     the same teacher, every flow alone in its window (padding + the flow)
  baselines.random_forest, baselines.mlp           per-flow, on the teacher's input transform
  baselines.random_forest_context                  the flow plus the mean of its host's previous
                                                   three flows and how many there were (prep)
Windows come from packetclip.data.prep over each whole capture, in stream order.
"""

import json
import time
from pathlib import Path

import numpy as np

from packetclip.data import prep
from packetclip.errors import PacketclipError
from packetclip.fsutil import write_text

TEACHERS = ("temporal", "no_context")
BASELINES = ("random_forest", "mlp", "random_forest_context")
CONTEXT_FLOWS = 3  # the anchor of issue 9: the mean of each host's previous three flows
TARGETS = {"macro_f1": 0.98, "mean_auc_three_missions": 0.999}


def evaluate_cross(run, test_data, out="runs/eval", seeds=None, log=print):
    """Train what is missing (other seeds of RUN's settings on RUN's training file), measure, write
    metrics.json + report.md + PNGs under `out`; returns the metrics dict."""
    from packetclip.data import load_flows
    from packetclip.teacher.trainer import _kg

    t0 = time.monotonic()
    run, out = Path(run), Path(out)
    rc = _run_config(run)
    graph = _kg(rc["data"].get("kg_files"))
    train_path = rc["data"].get("path")
    train_table = load_flows(path=train_path, kg=graph)
    test_table = load_flows(path=test_data, kg=graph)
    _check_test(run, rc, train_table, test_table, test_data)
    seeds = [rc["data"]["seed"]] if seeds is None else list(seeds)
    results, timings, first = {}, {}, None
    for seed in seeds:
        seed_run = _seed_run(run, rc, seed, out, train_table, graph, log, timings)
        res, extra = _measure(seed_run, train_table, test_table, graph, seed)
        first = first or extra
        results[seed] = res
        log(f"seed {seed}: " + ", ".join(f"{k} F1 {v['macro_f1']:.4f} AUC3 {_f(v['mean_auc_three_missions'])}"
                                         for k, v in _flat(res).items()))
    metrics = _summarise(results, seeds, rc, train_table, test_table, first)
    _write(out, metrics, first, timings, time.monotonic() - t0)
    return metrics


def _run_config(run):
    cfg = run / "config.json"
    if not cfg.exists() or not (run / "model.pt").exists():
        raise PacketclipError(f"{run}: not a finished teacher run (config.json and model.pt); train one with "
                              f"`packetclip train FLOWS.csv --out {run}`")
    return json.loads(cfg.read_text())


def _check_test(run, rc, train_table, test_table, test_data):
    """A test capture the run cannot be scored on: one line naming the file, the field and the fix."""
    if list(test_table.features) != list(rc["features"]):
        missing = [f for f in rc["features"] if f not in test_table.features]
        raise PacketclipError(f"{test_data}: features differ from the run's ({', '.join(missing[:3]) or 'order'}); "
                              f"give flows with the {len(rc['features'])} features {run} was trained on "
                              "(read without --drop-constant)")
    labels = set(np.asarray(test_table.labels).astype(str).tolist())
    unknown = sorted(labels - set(rc["labels"]))
    if unknown:
        raise PacketclipError(f"{test_data}: field 'label' has class {unknown[0]!r}, which {run} never saw in training "
                              f"(its classes: {', '.join(rc['labels'])}); label the test capture with the same rules "
                              "or train on a capture that has it")
    if len(labels) < 2:
        raise PacketclipError(f"{test_data}: field 'label' has one class only ({next(iter(labels))!r}); "
                              "a test capture needs at least two")
    if train_table.source == test_table.source:
        raise PacketclipError(f"{test_data}: is the run's own training capture; give a capture from a separate run")


def _seed_run(run, rc, seed, out, train_table, graph, log, timings):
    from packetclip.teacher import train

    if rc["data"]["seed"] == seed:
        return run
    seed_run = out / "runs" / f"seed{seed}"
    c = rc["config"]
    settings = {k: c[k] for k in ("preset", "ssl", "text_encoder")}
    derived = {"seed", "fraction", "torch_threads", "window", "epochs_before_step_budget"}
    if "epochs_before_step_budget" in c:  # the step budget recomputes the epochs for this seed's split
        derived |= {"epochs", "pretrain_epochs"}
    overrides = {k: v for k, v in c.items() if k not in settings.keys() | derived and v != _preset(c["preset"]).get(k, v)}
    try:
        prev = json.loads((seed_run / "config.json").read_text())
        if (seed_run / "model.pt").exists() and prev["config"] == dict(c, seed=seed) and prev["data"]["path"] == rc["data"]["path"]:
            log(f"reusing {seed_run} (same settings and seed)")
            return seed_run
    except (OSError, ValueError, KeyError):
        pass
    log(f"training teacher seed {seed} ({settings['preset']} preset) on {rc['data']['path']} -> {seed_run}")
    r = train(train_table, out=seed_run, seed=seed, kg=graph, quiet=True, fraction=c.get("fraction", 1.0),
              **settings, **overrides)
    timings[f"seed{seed}"] = round(r["train_seconds"], 1)
    return seed_run


def _preset(name):
    from packetclip.teacher.config import PRESETS

    return PRESETS.get(name, {})


def context_features(flows, k=CONTEXT_FLOWS):
    """[Z, mean of the host's previous k flows in model space, how many there were]."""
    mean, count = flows.history_mean(k)
    return np.hstack([flows.Z, mean, count[:, None].astype(np.float32)])


def _measure(run, train_table, test_table, graph, seed):
    from packetclip.metrics import classification_metrics, softmax
    from packetclip.teacher import load_teacher
    from packetclip.teacher.baselines import fit_baseline, proba_in_order

    teacher = load_teacher(run)
    labels, missions = teacher.labels, teacher.missions
    lm = dict(teacher.label_missions)
    y = np.asarray(test_table.labels).astype(str)
    tr = np.asarray(json.loads((run / "split.json").read_text())["train"])
    y_tr = np.asarray(train_table.labels).astype(str)[tr]

    def score(class_probs, mission_probs=None):
        return classification_metrics(y, class_probs, labels, lm, missions, mission_probs)

    res = {"teacher": {}, "baselines": {}}
    probs = {}
    for name, context in (("temporal", True), ("no_context", False)):
        out = teacher.predict(test_table.X, test_table.meta, context=context)
        cp, mp = softmax(out["class_logits"]), softmax(out["mission_logits"])
        res["teacher"][name] = score(cp, mp)
        probs[name] = (cp, mp)
    t = teacher.transform  # baselines see the teacher's transform, fitted on the same training rows
    flows_tr = prep.prepare(train_table.X, train_table.meta, t, CONTEXT_FLOWS + 1)
    flows_te = prep.prepare(test_table.X, test_table.meta, t, CONTEXT_FLOWS + 1)
    inputs = {"random_forest": (flows_tr.Z[tr], flows_te.Z), "mlp": (flows_tr.Z[tr], flows_te.Z),
              "random_forest_context": (context_features(flows_tr)[tr], context_features(flows_te))}
    for name, (Ztr, Zte) in inputs.items():
        model = fit_baseline(name.replace("_context", ""), Ztr, y_tr, seed)
        res["baselines"][name] = score(proba_in_order(model, Zte, labels))
    extra = {"run": str(run), "probs": probs["temporal"], "y": y, "labels": labels, "missions": missions,
             "y_missions": np.asarray([graph.mission_of(l) for l in y]), "config": teacher.config,
             "temporal": teacher.temporal, "windows_test": flows_te.stats.to_dict() if teacher.window > 1 else None}
    return res, extra


def _flat(res):
    return {**{f"teacher.{k}": v for k, v in res["teacher"].items()},
            **{f"baselines.{k}": v for k, v in res["baselines"].items()}}


def _mean_std(vals):
    vals = [v for v in vals if v is not None]
    return {"mean": float(np.mean(vals)), "std": float(np.std(vals)), "values": [float(v) for v in vals]} if vals else None


def _summary(rows):
    """Mean/std over seeds of one model's metrics."""
    per_class = {lab: {**{k: _mean_std([r["per_class"][lab][k] for r in rows]) for k in ("precision", "recall", "f1", "auc")},
                       "support": rows[0]["per_class"][lab]["support"]} for lab in rows[0]["per_class"]}
    per_mission = {m: {"auc": _mean_std([r["per_mission"][m]["auc"] for r in rows]), "support": rows[0]["per_mission"][m]["support"]}
                   for m in rows[0]["per_mission"]}
    return {"accuracy": _mean_std([r["accuracy"] for r in rows]), "macro_f1": _mean_std([r["macro_f1"] for r in rows]),
            "mean_auc_three_missions": _mean_std([r["mean_auc_three_missions"] for r in rows]),
            "per_class": per_class, "per_mission": per_mission, "confusion_first_seed": rows[0]["confusion"]}


def _summarise(results, seeds, rc, train_table, test_table, first):
    teacher = {k: _summary([results[s]["teacher"][k] for s in seeds]) for k in TEACHERS}
    baselines = {k: _summary([results[s]["baselines"][k] for s in seeds]) for k in BASELINES}
    t = teacher["temporal"]
    best_forest = max(baselines[k]["macro_f1"]["mean"] for k in ("random_forest", "random_forest_context"))
    auc = t["mean_auc_three_missions"]
    targets = {f"macro_f1>={TARGETS['macro_f1']}": t["macro_f1"]["mean"] >= TARGETS["macro_f1"],
               f"mean_auc_three_missions>={TARGETS['mean_auc_three_missions']}":
                   auc is not None and auc["mean"] >= TARGETS["mean_auc_three_missions"],
               "macro_f1_above_both_random_forests": t["macro_f1"]["mean"] > best_forest}
    return {"mode": "cross_capture", "seeds": list(seeds),
            "train_data": {"source": train_table.source, "rows": int(len(train_table)), "run": rc["data"].get("path")},
            "test_data": {"source": test_table.source, "rows": int(len(test_table)),
                          "classes": test_table.class_counts(), "windows": first["windows_test"]},
            "teacher_config": first["config"], "temporal": first["temporal"],
            "teacher": teacher, "baselines": baselines, "targets": targets,
            "baseline_notes": {"random_forest": "200 trees, per flow", "mlp": "sklearn (64, 32), per flow",
                               "random_forest_context": f"200 trees, the flow + the mean of its host's previous "
                                                        f"{CONTEXT_FLOWS} flows + their count"}}


def _f(v, d=4):
    return "n/a" if v is None else f"{v:.{d}f}"


def _ms(ms, d=4):
    return "n/a" if ms is None else f"{ms['mean']:.{d}f} ± {ms['std']:.{d}f}"


def _write(out, m, first, timings, wall):
    from packetclip import plots

    out.mkdir(parents=True, exist_ok=True)
    cp, mp = first["probs"]
    plots.confusion_matrix(m["teacher"]["temporal"]["confusion_first_seed"], first["labels"], out / "confusion_matrix.png",
                           title=f"Teacher (temporal) confusion on {Path(m['test_data']['source']).name}, seed {m['seeds'][0]}")
    plots.roc_per_mission(first["y_missions"], mp, first["missions"], out / "roc_missions.png",
                          title="Teacher (temporal) one-vs-rest ROC per mission, test capture")
    write_text(out / "metrics.json", json.dumps(m, indent=2, sort_keys=True) + "\n")
    write_text(out / "timing.json", json.dumps({"evaluate_wall_s": round(wall, 1), "train_s": timings}, indent=2) + "\n")
    write_text(out / "report.md", render_report(m))


def render_report(m):
    rows = [(f"teacher, {k.replace('_', ' ')}", m["teacher"][k]) for k in TEACHERS] + \
           [(f"baseline: {k.replace('_', ' ')}", m["baselines"][k]) for k in BASELINES]
    lines = ["# Cross-capture evaluation", "",
             f"Trained on {m['train_data']['source']} ({m['train_data']['rows']} flows; the run's training rows), "
             f"tested on {m['test_data']['source']} ({m['test_data']['rows']} flows), seeds {', '.join(map(str, m['seeds']))}.",
             f"Temporal: {m['temporal']['note']}.", "",
             "| model | accuracy | macro-F1 | mean AUC (dos, brute_force, reconnaissance) |", "|---|---|---|---|"]
    lines += [f"| {name} | {_ms(s['accuracy'])} | {_ms(s['macro_f1'])} | {_ms(s['mean_auc_three_missions'])} |" for name, s in rows]
    lines += ["", "Targets (teacher, temporal): " + ", ".join(f"{k} {'met' if v else 'MISSED'}" for k, v in m["targets"].items()), "",
              "## Per class F1 (mean over seeds)", "",
              "| class | support | " + " | ".join(n for n, _ in rows) + " |", "|---|---|" + "---|" * len(rows)]
    for lab, r in m["teacher"]["temporal"]["per_class"].items():
        lines.append(f"| {lab} | {r['support']} | " + " | ".join(_ms(s["per_class"][lab]["f1"], 3) for _, s in rows) + " |")
    lines += ["", "Baselines: " + "; ".join(f"{k}: {v}" for k, v in m["baseline_notes"].items()) + ".",
              "Hyperparameters were chosen on validation splits of training data only; the test capture was only measured.", "",
              "![confusion](confusion_matrix.png) ![roc](roc_missions.png)", ""]
    return "\n".join(lines)
