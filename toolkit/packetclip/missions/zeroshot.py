"""Zero-shot missions, leave one class out, measured on the device (`packetclip evaluate --zero-shot`).

For each attack class c of a flow file in turn:
  1. train the teacher on the training rows without c (no flow of c is seen; the knowledge graph
     keeps c's words, as a person describing a new mission would);
  2. distill a student with an embedding head from it (its training rows without c too);
  3. describe c in words only: its knowledge-graph description and prompts, one mission;
  4. build the firmware for the board, push the prototype (PROTOTYPES), stream the whole test
     split (c's flows included) and take the device's mission score of every flow; `conform`
     checks each output and score bit for bit against TFLM and the integer reference;
  5. one-vs-rest AUC of c over the test split from those scores, and recall of c at the score
     that 1 % of the benign test flows exceed.
Next to it: the teacher's own zero-shot AUC (float, full embedding, same words) and the closed-set
AUC of c from the class head of a teacher + student trained with every class.

The split is distill's (stratified 70/30, seed), so every number is on rows no model trained on.
Each step's folder under OUT/work is kept and reused when the run is repeated.
"""

import json
import time
from pathlib import Path

import numpy as np

from packetclip.errors import PacketclipError

PRESETS = {
    # teacher preset, teacher row budget, student preset, student weight budget (bytes)
    "small": {"teacher": "demo", "max_rows": 6000, "student": "tiny", "max_weights": 16384},
    "tiny": {"teacher": "tiny", "max_rows": 600, "student": "tiny", "max_weights": 16384},
}
MIN_TEST_ROWS = 5


def _auc(y, s):
    from packetclip.metrics import _auc as auc

    v = auc(np.asarray(y, bool), np.asarray(s, np.float64))
    return None if v is None else float(v)


def recall_at_benign_fpr(y, s, benign, fpr=0.01):
    """Recall of the positives at the score that a fraction `fpr` of benign flows exceed."""
    s = np.asarray(s, np.float64)
    if not benign.any() or not y.any():
        return None
    thr = np.quantile(s[benign], 1.0 - fpr)
    return float((s[y] > thr).mean())


def evaluate_zero_shot(data=None, out="runs/zero-shot", board="mps2-an386", classes=None, preset="small", seed=0,
                       text_encoder="small", log=print):
    """Run the leave-one-class-out loop; writes OUT/zero-shot.{json,md,png}; returns the results dict."""
    from packetclip.boards import load_board
    from packetclip.data import load_flows, split_indices
    from packetclip.data.kg import load_kg

    if preset not in PRESETS:
        raise PacketclipError(f"--zero-shot-preset: unknown preset {preset!r}; choose one of {', '.join(PRESETS)}")
    pre = dict(PRESETS[preset], text_encoder=text_encoder or "small")
    board = load_board(board)
    kg = load_kg()
    t0 = time.monotonic()
    table = load_flows(path=data, kg=kg)
    labels = np.asarray(table.labels).astype(str)
    sp = split_indices(table, kind="stratified", test=0.3, val=0.15, seed=seed)   # distill's split
    fit_rows = np.sort(np.concatenate([sp["train"], sp["val"]]))
    test = np.sort(np.asarray(sp["test"]))
    attacks = [c for c in sorted(set(labels.tolist())) if kg.has_technique(c) and kg.mission_of(c) != "benign"]
    if classes:
        unknown = [c for c in classes if c not in attacks]
        if unknown:
            raise PacketclipError(f"--classes: {unknown[0]!r} is not an attack class of {table.source} "
                                  f"(it has {', '.join(attacks)})")
        attacks = list(classes)
    attacks = [c for c in attacks if (labels[test] == c).sum() >= MIN_TEST_ROWS]
    if not attacks:
        raise PacketclipError(f"{table.source}: no attack class with {MIN_TEST_ROWS}+ test flows to hold out")
    out = Path(out)
    work = out / "work"
    ctx = dict(table=table, labels=labels, fit_rows=fit_rows, test=test, board=board, pre=pre, seed=seed, kg=kg, log=log)
    log(f"zero-shot: {table.source}, {len(attacks)} classes held out in turn, board {board.name}, preset {preset}")
    closed = _closed_set(work / "all-classes", ctx)
    rows = []
    for c in attacks:
        rows.append(_held_out(c, work / c, ctx, closed))
        r = rows[-1]
        log(f"  {c}: device AUC {_f(r['auc_device'])}, recall@1%FP {_f(r['recall_at_1pct_benign'])} "
            f"(teacher {_f(r['auc_teacher'])}, closed-set {_f(r['auc_closed_set'])}), bit-exact "
            f"{r['bit_exact']}/{r['test_rows']}, {r['seconds']:.0f} s")
    res = _summary(table, board, preset, pre, seed, attacks, rows, closed, time.monotonic() - t0)
    _write(out, res)
    log(f"zero-shot: mean held-out AUC on the device {_f(res['mean_auc_device'])} over {len(rows)} classes, "
        f"{_f(res['mean_auc_device_vs_benign'])} against benign flows only "
        f"(closed-set {_f(res['mean_auc_closed_set'])}); {res['seconds']:.0f} s; wrote {out / 'zero-shot.md'}")
    return res


def _f(v):
    return "n/a" if v is None else f"{v:.4f}"


def _quiet(*_):
    pass


def _teacher(folder, rows, ctx):
    from packetclip.teacher import train

    folder = Path(folder)
    if (folder / "model.pt").exists():
        have = json.loads((folder / "config.json").read_text())["config"]
        if (have.get("text_encoder"), have.get("preset")) != (ctx["pre"]["text_encoder"], ctx["pre"]["teacher"]):
            raise PacketclipError(f"{folder}: a teacher of another setting ({have.get('preset')}, text encoder "
                                  f"{have.get('text_encoder')}) is there; give another --out")
    else:
        # window 1: the student scores one flow at a time, so the embedding it learns is per flow
        train(data=ctx["table"].subset(rows), out=folder, preset=ctx["pre"]["teacher"], seed=ctx["seed"], quiet=True,
              window=1, max_rows=ctx["pre"]["max_rows"], text_encoder=ctx["pre"]["text_encoder"])
    return folder


def _student(folder, teacher, ctx):
    from packetclip.distill import distill

    folder = Path(folder)
    if not (folder / "model.json").exists():
        distill(str(teacher), board=ctx["board"].name, out=str(folder), arch="mlp", preset=ctx["pre"]["student"],
                max_weights=ctx["pre"]["max_weights"], embedding=True, seed=ctx["seed"], log=_quiet)
    return folder


def _device(folder, student, protos_file, ctx):
    """Build for the board, then conform (push + every output and score checked)."""
    from packetclip.device.conform import conform
    from packetclip.firmware import build_firmware

    folder = Path(folder)
    fw = folder / "build"
    if not (fw / "build.json").exists():
        build_firmware(ctx["board"], student, out=fw, log=_quiet)
    done = folder / "conform" / "results.json"
    want = None if protos_file is None else json.loads(Path(protos_file).read_text())["sha256"]
    if done.exists():   # a finished device run of this very model and prototype set is kept
        res = json.loads(done.read_text())
        if res.get("model_sha256") == json.loads((Path(student) / "model.json").read_text())["tflite_sha256"] \
                and (res.get("missions") or {}).get("sha256") == want and res.get("board") == ctx["board"].name:
            return res, json.loads((fw / "build.json").read_text())
    res = conform(ctx["board"], student, firmware=fw, out=folder / "conform", log=_quiet, progress=False,
                  missions=protos_file)
    return res, json.loads((fw / "build.json").read_text())


def _closed_set(folder, ctx):
    """Teacher + student with every class: per-class AUC of the class head (TFLM int8 outputs, which
    conform checks bit for bit on the device)."""
    from packetclip.bundle.format import load_bundle
    from packetclip.bundle.golden import run_tflm
    from packetclip.bundle.verify import outputs_to_scores
    from packetclip.device.conform import test_inputs

    t = time.monotonic()
    teacher = _teacher(folder / "teacher", ctx["fit_rows"], ctx)
    student = _student(folder / "student", teacher, ctx)
    res, build = _device(folder, student, None, ctx)
    bundle = load_bundle(student)
    Q, y, _, rows = test_inputs(bundle)
    cls, _, _ = outputs_to_scores(bundle, np.asarray(run_tflm(bundle.tflite, Q)).reshape(len(Q), -1))
    auc = {c: _auc(y == c, cls[:, i]) for i, c in enumerate(bundle.meta["labels"]) if (y == c).any()}
    ctx["log"](f"  all classes: closed-set student on the device {res['bit_exact']}/{res['n']} bit-exact, "
               f"{time.monotonic() - t:.0f} s")
    return {"auc": auc, "bit_exact": res["bit_exact"], "n": res["n"], "memory": build["memory"],
            "weight_bytes": bundle.meta["weight_bytes"], "seconds": round(time.monotonic() - t, 1)}


def _held_out(c, folder, ctx, closed):
    from packetclip.bundle.format import load_bundle
    from packetclip.missions.file import Mission
    from packetclip.missions.prototypes import compile_prototypes, load_text_encoder, save_prototypes, text_vectors

    t = time.monotonic()
    labels, kg = ctx["labels"], ctx["kg"]
    fit = ctx["fit_rows"][labels[ctx["fit_rows"]] != c]
    teacher = _teacher(folder / "teacher", fit, ctx)
    student = _student(folder / "student", teacher, ctx)
    bundle = load_bundle(student)
    if c in bundle.meta["labels"]:
        raise PacketclipError(f"{student}: the student knows {c!r}; delete {folder} and run again")
    node = kg.node(c, "technique")
    m = Mission(c, node.description, [c])
    protos = compile_prototypes([m], bundle, teacher=teacher, kg=kg)
    protos_file = folder / "prototypes.json"
    save_prototypes(protos_file, protos)
    res, build = _device(folder, student, protos_file, ctx)
    z = np.load(folder / "conform" / "mission_scores.npz")
    rows = z["rows"]
    y_all = labels[rows]
    y, benign = y_all == c, y_all == "benign"
    s = z["scores"][:, 0].astype(np.float64)
    # the teacher's own zero-shot score: float, full embedding, the same words
    from packetclip.teacher import load_teacher

    tt = load_teacher(teacher)
    e = tt.predict(ctx["table"].X[rows])["embedding"].astype(np.float64)
    enc, _, _ = load_text_encoder(teacher)
    v = text_vectors(enc, [m], kg)[0]
    s_teacher = e @ v / np.maximum(np.linalg.norm(e, axis=1), 1e-12)
    return {"class": c, "mission": m.name, "description": m.description, "texts": len(m.kg) + 1,
            "test_rows": int(len(rows)), "positives": int(y.sum()), "benign": int(benign.sum()),
            "auc_device": _auc(y, s), "auc_device_vs_benign": _auc(y[y | benign], s[y | benign]),
            "recall_at_1pct_benign": recall_at_benign_fpr(y, s, benign),
            "auc_teacher": _auc(y, s_teacher), "recall_at_1pct_benign_teacher": recall_at_benign_fpr(y, s_teacher, benign),
            "auc_closed_set": closed["auc"].get(c),
            "bit_exact": int(min(res["bit_exact"], res["missions"]["bit_exact"])), "passed": bool(res["passed"]),
            "push_ms": round(res["missions"]["push"]["seconds"] * 1000, 2), "prototype_sha256": protos.sha256,
            "student": bundle.meta["student"]["name"], "embedding_cosine": bundle.meta["metrics"].get("embedding_cosine_vs_teacher"),
            "seconds": round(time.monotonic() - t, 1)}


def _mean(vals):
    v = [x for x in vals if x is not None]
    return float(np.mean(v)) if v else None


def _summary(table, board, preset, pre, seed, attacks, rows, closed, seconds):
    return {"data": str(table.source), "board": board.name, "emulated": bool(board.emulated), "preset": preset,
            "settings": pre, "seed": seed, "classes": attacks, "rows": rows, "closed_set": closed,
            "mean_auc_device": _mean(r["auc_device"] for r in rows),
            "mean_recall_at_1pct_benign": _mean(r["recall_at_1pct_benign"] for r in rows),
            "mean_auc_device_vs_benign": _mean(r["auc_device_vs_benign"] for r in rows),
            "mean_auc_teacher": _mean(r["auc_teacher"] for r in rows),
            "mean_auc_closed_set": _mean(r["auc_closed_set"] for r in rows),
            "all_bit_exact": all(r["passed"] and r["bit_exact"] == r["test_rows"] for r in rows),
            "seconds": round(seconds, 1)}


def report_md(res):
    lines = [f"# Zero-shot missions, leave one class out: {res['data']}", "",
             f"Board `{res['board']}`{' (emulated)' if res['emulated'] else ''}; preset `{res['preset']}` "
             f"(teacher {res['settings']['teacher']} on at most {res['settings']['max_rows']} rows, student "
             f"{res['settings']['student']} MLP within {res['settings']['max_weights']} B of weights, embedding head "
             f"of 16; text encoder {res['settings']['text_encoder']}); seed {res['seed']}; {res['seconds'] / 60:.1f} min in all.", "",
             "Each class is held out of the teacher's and the student's training, described only in words (its "
             "knowledge-graph description and prompts), pushed as one prototype, and scored on the device for every "
             "test flow. AUC: one-vs-rest over the whole test split (every other attack included); vs benign: the "
             "class against the benign test flows only. Recall: of the class, at the score 1 % of benign "
             "test flows exceed. Teacher: the same words against the float teacher's full embedding (one-vs-rest). "
             "Closed set: the class head of a student trained with every class (one-vs-rest).", "",
             "| held-out class | test flows | AUC on the device | AUC vs benign | recall @ 1 % benign FP | teacher AUC | closed-set AUC | bit-exact | push |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in res["rows"]:
        lines.append(f"| {r['class']} | {r['positives']} / {r['test_rows']} | {_f(r['auc_device'])} | "
                     f"{_f(r['auc_device_vs_benign'])} | {_f(r['recall_at_1pct_benign'])} | {_f(r['auc_teacher'])} | {_f(r['auc_closed_set'])} | "
                     f"{r['bit_exact']}/{r['test_rows']} | {r['push_ms']:.1f} ms |")
    lines += [f"| **mean** | | **{_f(res['mean_auc_device'])}** | {_f(res['mean_auc_device_vs_benign'])} | "
              f"{_f(res['mean_recall_at_1pct_benign'])} | "
              f"{_f(res['mean_auc_teacher'])} | {_f(res['mean_auc_closed_set'])} | "
              f"{'all' if res['all_bit_exact'] else 'NOT all'} | |", "", "![zero-shot](zero-shot.png)", ""]
    return "\n".join(lines)


def _write(out, res):
    from packetclip import plots
    from packetclip.fsutil import write_text

    write_text(out / "zero-shot.json", json.dumps(res, indent=2, sort_keys=True, default=float) + "\n")
    write_text(out / "zero-shot.md", report_md(res))
    names = [r["class"] for r in res["rows"]]
    plots.grouped_bars(names, {"zero-shot, on the device": [r["auc_device"] for r in res["rows"]],
                               "zero-shot, on the device, vs benign only": [r["auc_device_vs_benign"] for r in res["rows"]],
                               "zero-shot, teacher": [r["auc_teacher"] for r in res["rows"]],
                               "closed set (class seen)": [r["auc_closed_set"] for r in res["rows"]]},
                       out / "zero-shot.png", "one-vs-rest AUC", f"Held-out classes described in words ({_data_name(res['data'])})",
                       limit=0.9, ylim=(0.0, 1.01))


def _data_name(data):
    p = Path(data)   # a capture's flows.csv is named by its folder
    return f"{p.parent.name}/{p.name}" if p.name == "flows.csv" and p.parent.name else p.name
