"""Contrastive losses: symmetric InfoNCE (flow <-> text) and NT-Xent (SimCLR) for the SSL head."""

import torch
import torch.nn.functional as F


def clip_loss(flow_emb, text_emb, logit_scale, labels=None):
    """Symmetric InfoNCE over a batch of L2-normalised pairs.

    With `labels`, flows and texts of the same class are not pushed apart: the target puts
    equal mass on every same-class pair (with 7 classes, a 256 batch is mostly false negatives
    otherwise).
    """
    logits = logit_scale.exp().clamp(max=100.0) * flow_emb @ text_emb.t()
    if labels is None:
        target = torch.arange(len(logits))
        return 0.5 * (F.cross_entropy(logits, target) + F.cross_entropy(logits.t(), target))
    same = (labels[:, None] == labels[None, :]).float()
    target = same / same.sum(dim=1, keepdim=True)
    loss_f = -(target * F.log_softmax(logits, dim=1)).sum(dim=1).mean()
    loss_t = -(target * F.log_softmax(logits.t(), dim=1)).sum(dim=1).mean()
    return 0.5 * (loss_f + loss_t)


def nt_xent(a, b, temperature=0.2):
    """SimCLR loss for two views a, b (each [n, d], L2-normalised)."""
    n = len(a)
    z = torch.cat([a, b], dim=0)
    sim = z @ z.t() / temperature
    sim = sim.masked_fill(torch.eye(2 * n, dtype=torch.bool), float("-inf"))
    target = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)])
    return F.cross_entropy(sim, target)
