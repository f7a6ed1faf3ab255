"""Temporal context: a window of the recent flows of the same source host, by timestamp.

Only possible when the table's meta has src_ip and timestamp (CIC-IDS2017's MachineLearningCSV
release has neither; then every window is the flow alone and the model says so).
"""

import numpy as np
import torch
from torch import nn


def temporal_available(meta):
    meta = meta or {}
    return meta.get("src_ip") is not None and meta.get("timestamp") is not None


def build_windows(meta, n, window):
    """Row indices [n, window] of each flow's predecessors from the same src_ip (oldest first,
    the flow itself last), -1 where the host has fewer earlier flows. Ties keep file order."""
    idx = np.full((n, window), -1, dtype=np.int64)
    idx[:, -1] = np.arange(n)
    if window == 1 or not temporal_available(meta):
        return idx
    src = np.asarray(meta["src_ip"]).astype(str)
    ts = np.asarray(meta["timestamp"], dtype=np.float64)
    order = np.lexsort((np.arange(n), np.nan_to_num(ts, nan=-np.inf), src))
    start = 0
    for k in range(1, n + 1):
        if k == n or src[order[k]] != src[order[start]]:
            group = order[start:k]
            for j, row in enumerate(group):
                prev = group[max(0, j - window + 1):j + 1]
                idx[row, window - len(prev):] = prev
            start = k
    return idx


class TemporalAttention(nn.Module):
    """The current flow attends over its window (recency embeddings); residual onto itself."""

    def __init__(self, dim, window, heads=4):
        super().__init__()
        self.pos = nn.Parameter(torch.zeros(window, dim))
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.norm = nn.LayerNorm(dim)

    def forward(self, h, valid):
        """h [B,W,D] per-flow features (current flow last), valid [B,W] bool."""
        q = h[:, -1:]
        kv = h + self.pos
        out, _ = self.attn(q, kv, kv, key_padding_mask=~valid, need_weights=False)
        return self.norm(h[:, -1] + out[:, 0])
