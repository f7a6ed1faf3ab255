"""Windows of flows for the conv1d student.

A window is the current flow preceded by the W-1 flows that the same source host opened
just before it (chronological order, oldest first); missing predecessors are padded with
all-zero canonical rows ("no flow"), which is also what the firmware feeds for a host's
first flows. This needs per-flow timestamps and a host key. Without them (the CIC-IDS2017
sample ships neither: its row order is sorted by attack, so neighbouring rows would leak
the label) no honest context exists: every window is the flow alone plus W-1 padding rows.
"""

import numpy as np


def context_kind(meta):
    meta = meta or {}
    ts, src = meta.get("timestamp"), meta.get("src_ip")
    return "host_time" if ts is not None and src is not None else "none"


def window_rows(meta, n, window):
    """[n, window] row indices into the table (-1 = padding), last column = the flow itself."""
    idx = np.full((n, window), -1, dtype=np.int64)
    idx[:, -1] = np.arange(n)
    if window == 1 or context_kind(meta) == "none":
        return idx
    ts = np.asarray(meta["timestamp"], dtype=np.float64)
    src = np.asarray(meta["src_ip"]).astype(str)
    order = np.lexsort((np.arange(n), ts, src))  # by host, then time, then row: deterministic
    prev_host, history = None, []
    for r in order:
        if src[r] != prev_host:
            prev_host, history = src[r], []
        past = history[-(window - 1):]
        if past:
            idx[r, window - 1 - len(past):window - 1] = past
        history.append(r)
    return idx


def build_windows(X, idx):
    """Canonical X [n, f] and rows [m, window] -> [m, window*f] (padding rows are zeros)."""
    X = np.asarray(X, dtype=np.float64)
    pad = np.vstack([X, np.zeros((1, X.shape[1]))])
    return pad[np.where(idx < 0, len(X), idx)].reshape(len(idx), -1)
