"""The PacketCLIP teacher: flow encoder <-> text encoder in one space, SSL heads,
temporal context and the hierarchical GNN classifier."""

import math

import torch
import torch.nn.functional as F
from torch import nn

from packetclip.teacher.flow_encoders import make_flow_encoder
from packetclip.teacher.gnn import HierarchicalGNN
from packetclip.teacher.temporal import TemporalAttention
from packetclip.teacher.text_encoders import make_text_encoder


def _head(dim):
    return nn.Sequential(nn.Linear(dim, dim), nn.GELU(), nn.Linear(dim, dim))


class PacketCLIPTeacher(nn.Module):
    def __init__(self, cfg, n_features, hierarchy, class_index, with_text=True):
        """cfg: model config dict; class_index: GNN technique index of each output class."""
        super().__init__()
        dim = cfg["embed_dim"]
        self.flow = make_flow_encoder(cfg["flow_encoder"], n_features, cfg["width"], cfg["depth"],
                                      cfg["dropout"])
        self.flow_proj = nn.Linear(self.flow.out_dim, dim)
        self.window = cfg["window"]
        # False: a window's earlier flows are encoded without gradient (the current flow carries
        # it); every flow is the current flow of its own window, so the encoder still sees all
        self.history_grad = cfg.get("history_grad", True)
        self.temporal = TemporalAttention(self.flow.out_dim, self.window) if self.window > 1 else None
        self.text = make_text_encoder(cfg["text_encoder"], dim) if with_text else None
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))
        self.ssl_flow = _head(dim)
        self.ssl_text = _head(dim)
        self.gnn = HierarchicalGNN(dim, hierarchy.tech_parent, hierarchy.tactic_parent,
                                   len(hierarchy.missions))
        self.hierarchy = hierarchy
        self.register_buffer("class_index", torch.tensor(class_index, dtype=torch.long), persistent=False)
        # node text embeddings frozen at the end of training, so inference needs no text encoder
        self.register_buffer("node_cache", torch.zeros(0, dim))

    # -- encoders ------------------------------------------------------------------------
    def embed_flows(self, x, valid=None):
        """x [B,F] or [B,W,F] (with valid [B,W]) -> unit-norm embeddings [B,D]."""
        if x.dim() == 3:
            B, W, Fn = x.shape
            if self.history_grad or not torch.is_grad_enabled() or W == 1:
                h = self.flow(x.reshape(B * W, Fn)).reshape(B, W, -1)
            else:
                with torch.no_grad():
                    past = self.flow(x[:, :-1].reshape(B * (W - 1), Fn)).reshape(B, W - 1, -1)
                h = torch.cat([past, self.flow(x[:, -1])[:, None]], dim=1)
            h = self.temporal(h, valid) if self.temporal is not None else h[:, -1]
        else:
            h = self.flow(x)
        return F.normalize(self.flow_proj(h), dim=-1)

    def embed_texts(self, texts):
        return F.normalize(self.text.encode(texts), dim=-1)

    def node_embeddings(self):
        """(technique, tactic, mission) text embeddings; from the cache when frozen."""
        h = self.hierarchy
        sizes = [len(h.techniques), len(h.tactics), len(h.missions)]
        if len(self.node_cache):
            emb = self.node_cache
        else:
            emb = self.embed_texts(h.texts["technique"] + h.texts["tactic"] + h.texts["mission"])
        return torch.split(emb, sizes)

    def freeze_nodes(self):
        with torch.no_grad():
            self.node_cache = torch.cat(self.node_embeddings()).detach().clone()

    # -- heads ---------------------------------------------------------------------------
    def classify(self, z, nodes=None):
        """-> (class logits [B, n_classes], mission logits [B, n_missions])."""
        e_t, e_a, e_m = nodes if nodes is not None else self.node_embeddings()
        s_t, s_m = self.gnn(z, e_t, e_a, e_m)
        return s_t[:, self.class_index], s_m
