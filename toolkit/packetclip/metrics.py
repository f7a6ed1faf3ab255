"""Classification metrics shared by the teacher, the distiller and the conformance harness.

Scores are per-class probabilities (or any monotone score); missions are scored by summing the
class probabilities of each mission's classes unless the model gives mission scores itself.
"""

import numpy as np

THREE_MISSIONS = ("dos", "brute_force", "reconnaissance")


def softmax(z):
    z = np.asarray(z, dtype=np.float64)
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def mission_scores_from_classes(class_probs, labels, label_missions, missions):
    """Sum class probabilities into mission probabilities, columns in `missions` order."""
    out = np.zeros((len(class_probs), len(missions)))
    for j, lab in enumerate(labels):
        out[:, missions.index(label_missions[lab])] += class_probs[:, j]
    return out


def _auc(y, s):
    """One-vs-rest ROC AUC via the rank statistic (ties get average ranks); None if one class."""
    y = np.asarray(y, bool)
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    if n_pos == 0 or n_neg == 0:
        return None
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s))
    s_sorted = np.asarray(s)[order]
    i = 0
    while i < len(s):
        j = i
        while j + 1 < len(s) and s_sorted[j + 1] == s_sorted[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def roc_curve(y, s):
    """(fpr, tpr) points for plotting."""
    y = np.asarray(y, bool)
    order = np.argsort(-np.asarray(s), kind="mergesort")
    tp = np.concatenate([[0], np.cumsum(y[order])])
    fp = np.concatenate([[0], np.cumsum(~y[order])])
    return fp / max(fp[-1], 1), tp / max(tp[-1], 1)


def classification_metrics(y_true, class_probs, labels, label_missions, missions, mission_probs=None):
    """Per-class precision/recall/F1, macro-F1, accuracy, per-class and per-mission AUC.

    y_true: array of label strings; class_probs: [n, len(labels)]; mission_probs: [n, len(missions)]
    (derived from the classes when None).
    """
    y_true = np.asarray(y_true)
    labels = list(labels)
    missions = list(missions)
    class_probs = np.asarray(class_probs, dtype=np.float64)
    if mission_probs is None:
        mission_probs = mission_scores_from_classes(class_probs, labels, label_missions, missions)
    pred = np.asarray(labels)[class_probs.argmax(axis=1)]
    per_class = {}
    f1s = []
    for j, lab in enumerate(labels):
        t, p = y_true == lab, pred == lab
        tp = int((t & p).sum())
        prec = tp / p.sum() if p.sum() else 0.0
        rec = tp / t.sum() if t.sum() else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        per_class[lab] = {"precision": prec, "recall": rec, "f1": f1, "support": int(t.sum()),
                          "auc": _auc(t, class_probs[:, j])}
        if t.sum():
            f1s.append(f1)
    y_mission = np.asarray([label_missions[l] for l in y_true])
    per_mission = {m: {"auc": _auc(y_mission == m, mission_probs[:, k]), "support": int((y_mission == m).sum())}
                   for k, m in enumerate(missions)}
    three = [per_mission[m]["auc"] for m in THREE_MISSIONS if m in per_mission and per_mission[m]["auc"] is not None]
    confusion = np.zeros((len(labels), len(labels)), dtype=int)
    index = {l: i for i, l in enumerate(labels)}
    for t, p in zip(y_true, pred, strict=True):
        if t in index:
            confusion[index[t], index[p]] += 1
    return {
        "n": int(len(y_true)),
        "accuracy": float((pred == y_true).mean()) if len(y_true) else 0.0,
        "macro_f1": float(np.mean(f1s)) if f1s else 0.0,
        "mean_auc_three_missions": float(np.mean(three)) if three else None,
        "per_class": per_class,
        "per_mission": per_mission,
        "labels": labels,
        "confusion": confusion.tolist(),
    }
