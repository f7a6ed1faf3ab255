"""Temporal context in the teacher: the current flow attends over its window of the same host's
earlier flows. The windows themselves come from packetclip.data.prep (one implementation,
shared with the student, the bundle and the device reference)."""

import torch
from torch import nn


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
