"""PNG plots for reports (matplotlib, Agg backend, deterministic file contents)."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from packetclip.fsutil import atomic_path  # noqa: E402
from packetclip.metrics import roc_curve  # noqa: E402

# No creation date in the PNG metadata, so identical data gives identical files.
_META = {"Software": None}


def _save(fig, path):
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, dpi=110, bbox_inches="tight", metadata=_META)
    plt.close(fig)


def confusion_matrix(confusion, labels, path, title="Confusion matrix"):
    c = np.asarray(confusion)
    fig, ax = plt.subplots(figsize=(1.0 + 0.55 * len(labels), 0.8 + 0.5 * len(labels)))
    norm = c / np.maximum(c.sum(axis=1, keepdims=True), 1)
    ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    for i in range(len(labels)):
        for j in range(len(labels)):
            if c[i, j]:
                ax.text(j, i, str(c[i, j]), ha="center", va="center", fontsize=7,
                        color="white" if norm[i, j] > 0.6 else "black")
    ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    _save(fig, path)


def roc_per_mission(y_missions, mission_probs, missions, path, title="One-vs-rest ROC per mission"):
    fig, ax = plt.subplots(figsize=(5, 4.5))
    y_missions = np.asarray(y_missions)
    for k, m in enumerate(missions):
        y = y_missions == m
        if y.any() and (~y).any():
            fpr, tpr = roc_curve(y, mission_probs[:, k])
            ax.plot(fpr, tpr, label=m)
    ax.plot([0, 1], [0, 1], "k:", lw=0.8)
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("true positive rate")
    ax.set_title(title)
    ax.legend(fontsize=8)
    _save(fig, path)


def lines(xs, series, path, xlabel, ylabel, title):
    """series: {name: ys}."""
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    for name, ys in series.items():
        ax.plot(xs, ys, marker="o", ms=3, label=name)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    if len(series) > 1:
        ax.legend(fontsize=8)
    _save(fig, path)


def histogram(values, path, xlabel, title, bins=40):
    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    ax.hist(values, bins=bins, color="#4477aa")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("count")
    ax.set_title(title)
    _save(fig, path)


def bars(names, values, path, ylabel, title, limit=None):
    fig, ax = plt.subplots(figsize=(max(4, 0.8 * len(names)), 3.8))
    ax.bar(names, values, color="#4477aa")
    if limit is not None:
        ax.axhline(limit, color="red", ls="--", lw=1, label="budget")
        ax.legend(fontsize=8)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.tick_params(axis="x", rotation=30)
    _save(fig, path)


def grouped_bars(names, series, path, ylabel, title, limit=None, ylim=None):
    """One group of bars per name, one bar per series ({label: values}; None values are skipped)."""
    fig, ax = plt.subplots(figsize=(max(5, 0.9 * len(names)), 3.8))
    width = 0.8 / max(len(series), 1)
    x = np.arange(len(names))
    for k, (label, values) in enumerate(series.items()):
        v = np.array([np.nan if a is None else a for a in values], dtype=float)
        ax.bar(x + (k - (len(series) - 1) / 2) * width, v, width, label=label)
    if limit is not None:
        ax.axhline(limit, color="red", ls="--", lw=1, label="target")
    if ylim is not None:
        ax.set_ylim(*ylim)
    ax.set_xticks(x, names, rotation=30, ha="right")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))   # beside the bars, not over them
    _save(fig, path)
