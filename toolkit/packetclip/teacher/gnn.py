"""Hierarchical message passing over the mission knowledge graph, conditioned on one flow.

Plain torch, not torch-geometric: the graph is a fixed three-level tree of ~30 nodes, so
dense masked attention is a few batched matmuls; torch-geometric would add a heavy
dependency (and scatter kernels whose CPU reductions are not deterministic) for no gain.

For each flow embedding z:
  technique t: h_t = e_t + f([e_t, z, e_t*z])          e_t: text embedding of t's description
               s_t = w.h_t + a*cos(z, e_t)               -> class logits (CLIP-style prior + GNN)
  tactic a:    h_a = e_a + g([e_a, sum_t softmax(s_t) W h_t, z])   over a's techniques
  mission m:   h_m = e_m + k([e_m, sum_a softmax(s_a) V h_a, z])   over m's tactics
               mission logit = u.h_m
"""

import torch
import torch.nn.functional as F
from torch import nn


def _mlp(i, o):
    return nn.Sequential(nn.Linear(i, o), nn.GELU(), nn.Linear(o, o))


def _masked_pool(scores, mask, values):
    """scores [B,C], mask [P,C] bool, values [B,C,D] -> [B,P,D]: attention of parents over children."""
    att = scores[:, None, :].masked_fill(~mask[None], float("-inf"))
    att = torch.nan_to_num(torch.softmax(att, dim=-1), nan=0.0)
    return att @ values


class HierarchicalGNN(nn.Module):
    def __init__(self, dim, tech_parent, tactic_parent, n_missions):
        super().__init__()
        t2a = torch.zeros(max(tech_parent) + 1, len(tech_parent), dtype=torch.bool)
        t2a[tech_parent, torch.arange(len(tech_parent))] = True
        a2m = torch.zeros(n_missions, len(tactic_parent), dtype=torch.bool)
        a2m[tactic_parent, torch.arange(len(tactic_parent))] = True
        self.register_buffer("t2a", t2a, persistent=False)
        self.register_buffer("a2m", a2m, persistent=False)
        self.tech_update = _mlp(3 * dim, dim)
        self.tech_score = nn.Linear(dim, 1)
        self.prior_scale = nn.Parameter(torch.tensor(5.0))
        self.msg_t = nn.Linear(dim, dim)
        self.tactic_update = _mlp(3 * dim, dim)
        self.tactic_score = nn.Linear(dim, 1)
        self.msg_a = nn.Linear(dim, dim)
        self.mission_update = _mlp(3 * dim, dim)
        self.mission_score = nn.Linear(dim, 1)
        self.norm_t, self.norm_a, self.norm_m = nn.LayerNorm(dim), nn.LayerNorm(dim), nn.LayerNorm(dim)

    def forward(self, z, e_tech, e_tactic, e_mission):
        """z [B,D] (unit norm); e_* [nodes, D] unit-norm text embeddings -> (tech [B,T], mission [B,M])."""
        B = len(z)
        et = e_tech[None].expand(B, -1, -1)
        zt = z[:, None].expand_as(et)
        ht = self.norm_t(et + self.tech_update(torch.cat([et, zt, et * zt], dim=-1)))
        s_t = self.tech_score(ht).squeeze(-1) + self.prior_scale * (zt * et).sum(-1)

        ea = e_tactic[None].expand(B, -1, -1)
        agg = _masked_pool(s_t, self.t2a, self.msg_t(ht))
        za = z[:, None].expand_as(ea)
        ha = self.norm_a(ea + self.tactic_update(torch.cat([ea, agg, za], dim=-1)))
        s_a = self.tactic_score(ha).squeeze(-1)

        em = e_mission[None].expand(B, -1, -1)
        agg = _masked_pool(s_a, self.a2m, self.msg_a(ha))
        zm = z[:, None].expand_as(em)
        hm = self.norm_m(em + self.mission_update(torch.cat([em, agg, zm], dim=-1)))
        return s_t, self.mission_score(hm).squeeze(-1)


def normalize(x):
    return F.normalize(x, dim=-1)
