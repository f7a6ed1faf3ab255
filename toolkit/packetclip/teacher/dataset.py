"""From a canonical flow table to what the teacher trains on: split, subsample, checks, texts."""

from pathlib import Path

import numpy as np

from packetclip.errors import PacketclipError


def load_table(data, kg):
    """`data`: a table from packetclip.data.load_flows, a CSV/pcap path, or None (embedded sample)."""
    if data is not None and not isinstance(data, (str, Path)):
        return data
    from packetclip.data import load_flows

    return load_flows(path=data, kg=kg)

def source_name(table):
    src = getattr(table, "source", None)
    return str(src) if src else "flows"

def check_table(table, kg):
    """The bad inputs a user can fix, as one line each."""
    where = source_name(table)
    labels = np.asarray(table.labels).astype(str)
    if len(labels) == 0:
        raise PacketclipError(f"{where}: no flows to train on; give a file with labelled rows")
    known = {getattr(t, "id", t) for t in kg.techniques}
    unknown = sorted(set(labels) - known)
    if unknown:
        raise PacketclipError(f"{where}: field 'label' value {unknown[0]!r} is not a technique of the knowledge graph "
                              f"(kg {kg.version}); map it in the data layer or add it with --kg FILE")
    classes, counts = np.unique(labels, return_counts=True)
    if len(classes) < 2:
        raise PacketclipError(f"{where}: field 'label' has one class only ({classes[0]!r}); "
                              "training needs flows of at least two classes")

def split(table, seed, holdout, test=0.3, val=0.15):
    """(train idx, holdout idx). holdout='test': the 30 % test split; 'val': a validation split
    carved from the training rows (for model selection; the test rows are left out entirely)."""
    from packetclip.data import split_indices

    where = source_name(table)
    try:
        parts = split_indices(table, kind="stratified", test=test, val=val if holdout == "val" else 0.0, seed=seed)
    except PacketclipError:
        raise
    except ValueError as exc:
        raise PacketclipError(f"{where}: cannot split for training ({exc}); give more rows per class") from None
    tr, ho = np.asarray(parts["train"]), np.asarray(parts[holdout])
    if len(tr) < 2 or len(ho) < 1 or len(np.unique(np.asarray(table.labels)[tr])) < 2:
        raise PacketclipError(f"{where}: too few rows for a {int((1 - test) * 100)}/{int(test * 100)} split "
                              f"({len(table.labels)} rows); give at least a few flows per class")
    return tr, ho

def subsample(idx, labels, fraction, seed, max_rows=None):
    """Stratified subset of `idx` (each class keeps >= 1 row); deterministic for a seed."""
    idx = np.asarray(idx)
    if fraction >= 1.0 and (max_rows is None or len(idx) <= max_rows):
        return idx
    if max_rows is not None:
        fraction = min(fraction, max_rows / len(idx))
    rng = np.random.default_rng(seed + 7919)
    lab = np.asarray(labels)[idx]
    keep = []
    for c in sorted(set(lab)):
        rows = idx[lab == c]
        k = max(1, int(round(fraction * len(rows))))
        keep.append(rng.choice(rows, size=k, replace=False))
    return np.sort(np.concatenate(keep))
