"""Run a bundle in the real TFLM runtime (the golden model) and measure it.

`evaluate_bundle(bundle, X, labels)` -> metrics of the int8 model as TFLM runs it;
`verify_bundle(path, data=None)` -> static checks + TFLM metrics on the recorded test split
(or on every row of a user's flow file).
"""

import numpy as np

from packetclip.bundle.format import load_bundle
from packetclip.errors import PacketclipError
from packetclip.metrics import classification_metrics, softmax


def _golden():
    from packetclip.bundle import golden

    return golden


def run_tflm(tflite, Q):
    """int8 inputs [n, *input_shape[1:]] -> int8 outputs [n, out] through TFLM, one invoke per row."""
    return np.asarray(_golden().run_tflm(tflite, Q))


def probe_arena(tflite):
    return int(_golden().probe_arena(tflite))


def outputs_to_scores(bundle, Qout):
    """int8 outputs -> (class probs, mission probs or None, logits)."""
    logits = bundle.dequantize_output(Qout)
    cls = softmax(bundle.head(logits, "classes"))
    mis = bundle.head(logits, "missions")
    return cls, (None if mis is None else softmax(mis)), logits


def score(meta, y_true, class_probs, mission_probs):
    return classification_metrics(y_true, class_probs, meta["labels"], meta["label_missions"], meta["missions"], mission_probs)


def summary(m):
    """The few numbers worth a line: accuracy, macro-F1, three-mission mean AUC, per-mission AUC."""
    return {"n": m["n"], "accuracy": round(m["accuracy"], 6), "macro_f1": round(m["macro_f1"], 6),
            "mean_auc_three_missions": None if m["mean_auc_three_missions"] is None else round(m["mean_auc_three_missions"], 6),
            "mission_auc": {k: (None if v["auc"] is None else round(v["auc"], 6)) for k, v in m["per_mission"].items()}}


def evaluate_bundle(bundle, Q, y_true):
    """int8 inputs [n, *input_shape[1:]] + true labels -> (metrics, int8 outputs)."""
    Qout = run_tflm(bundle.tflite, Q)
    cls, mis, _ = outputs_to_scores(bundle, Qout)
    return score(bundle.meta, y_true, cls, mis), Qout


def verify_bundle(path, data=None, dialect=None, log=print):
    """Checks + TFLM run. `data` None = the split recorded in model.json on its source data."""
    bundle = load_bundle(path)
    s = bundle.checks
    log(f"checks: ok ({', '.join(s['ops'])}; {s['weight_bytes']} weight bytes; {s['macs']} MACs)")
    arena = probe_arena(bundle.tflite)
    log(f"arena: {arena} B measured in TFLM (model.json says {bundle.meta.get('arena_bytes')})")
    if not bundle.is_flow:
        if data is not None:
            raise PacketclipError(f"{bundle.path}: a generic bundle (no flow metadata) cannot be evaluated on flows; "
                                  "check it on a board with `packetclip conform --inputs random:N` or `--inputs FILE.npy`")
        Q = np.random.default_rng(0).integers(-128, 128, (16, bundle.input_size), dtype=np.int8)
        out = run_tflm(bundle.tflite, Q)
        log(f"generic bundle: TFLM runs it ({len(Q)} random inputs -> outputs of {out.shape[1]} values); no flow metrics")
        return {"bundle": str(bundle.path), "sha256": bundle.sha256, "checks": s, "arena_bytes": arena, "kind": "generic"}
    Q, y, where_data = _eval_rows(bundle, data, dialect)
    m, _ = evaluate_bundle(bundle, Q, y)
    out = {"bundle": str(bundle.path), "sha256": bundle.sha256, "checks": s, "arena_bytes": arena,
           "data": where_data, "tflm": summary(m)}
    log(f"TFLM int8 on {where_data} ({m['n']} rows): macro-F1 {m['macro_f1']:.4f}, accuracy {m['accuracy']:.4f}, "
        f"3-mission mean AUC {m['mean_auc_three_missions'] if m['mean_auc_three_missions'] is None else round(m['mean_auc_three_missions'], 4)}")
    return out


def feature_matrix(table, features, where):
    """Columns of a flow table in the bundle's feature order; one-line error for a missing one."""
    index = {f: i for i, f in enumerate(table.features)}
    missing = [f for f in features if f not in index]
    if missing:
        raise PacketclipError(f"{where}: lacks feature(s) {', '.join(missing[:5])} that the bundle's model.json lists; "
                              "give flows with those columns")
    return table.X[:, [index[f] for f in features]]


def bundle_inputs(bundle, table, rows, where):
    """int8 inputs of the given table rows; windows are built over the whole table (prep)."""
    return bundle.inputs(feature_matrix(table, bundle.meta["features"], where), table.meta, rows)


def _eval_rows(bundle, data, dialect):
    from packetclip.data import load_flows, split_indices

    meta = bundle.meta
    if data is not None:
        table = load_flows(path=data, dialect=dialect)
        rows = np.arange(len(table.X))
        where = str(data)
    else:
        d = meta.get("data")
        if not d or "split" not in d:
            raise PacketclipError(f"{bundle.path / 'model.json'}: no recorded data split to verify on; pass --data FLOWS.csv")
        table = load_flows(path=d.get("path"), dialect=d.get("dialect"))
        sp = d["split"]
        rows = np.asarray(split_indices(table, kind=sp["kind"], test=sp["test"], val=sp.get("val", 0.0), seed=sp["seed"])["test"])
        where = f"{d.get('source', d.get('path'))} test split ({sp['kind']}, test={sp['test']}, seed={sp['seed']})"
    return bundle_inputs(bundle, table, rows, where), np.asarray(table.labels)[rows], where
