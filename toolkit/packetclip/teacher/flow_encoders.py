"""Flow encoders over the transformed canonical features (one flow -> one vector).

Two candidates, chosen by validation measurements (see DESIGN notes in report.md):
- "mlp": residual MLP (pre-norm blocks), cheap and strong on tabular flow features;
- "mlp_plr": the same MLP over periodic feature embeddings (per feature: sin/cos of trainable
  frequencies, then a small linear map; Gorishniy et al. 2022), which lets an MLP cut a single
  feature at several thresholds the way trees do;
- "transformer": feature-token transformer (one token per feature + CLS), the FT-Transformer idea.
"""

import torch
from torch import nn

FLOW_ENCODERS = ("mlp", "mlp_plr", "transformer")


class ResidualBlock(nn.Module):
    def __init__(self, width, dropout):
        super().__init__()
        self.net = nn.Sequential(nn.LayerNorm(width), nn.Linear(width, 2 * width), nn.GELU(),
                                 nn.Dropout(dropout), nn.Linear(2 * width, width))

    def forward(self, h):
        return h + self.net(h)


class ResidualMLP(nn.Module):
    def __init__(self, n_features, width=256, depth=3, dropout=0.1):
        super().__init__()
        self.inp = nn.Linear(n_features, width)
        self.blocks = nn.Sequential(*[ResidualBlock(width, dropout) for _ in range(depth)])
        self.norm = nn.LayerNorm(width)
        self.out_dim = width

    def forward(self, x):
        return self.norm(self.blocks(self.inp(x)))


class PeriodicEmbedding(nn.Module):
    def __init__(self, n_features, k=16, d=8, sigma=0.5):
        super().__init__()
        self.freq = nn.Parameter(torch.randn(n_features, k) * sigma)
        self.weight = nn.Parameter(torch.randn(n_features, 2 * k, d) / (2 * k) ** 0.5)
        self.bias = nn.Parameter(torch.zeros(n_features, d))
        self.out_dim = n_features * d

    def forward(self, x):
        v = 2 * torch.pi * x.unsqueeze(-1) * self.freq
        v = torch.cat([torch.sin(v), torch.cos(v)], dim=-1)
        h = torch.relu(torch.einsum("bfk,fkd->bfd", v, self.weight) + self.bias)
        return h.flatten(1)


class PLRMLP(nn.Module):
    def __init__(self, n_features, width=256, depth=3, dropout=0.1):
        super().__init__()
        self.embed = PeriodicEmbedding(n_features)
        self.mlp = ResidualMLP(self.embed.out_dim + n_features, width, depth, dropout)
        self.out_dim = width

    def forward(self, x):
        return self.mlp(torch.cat([self.embed(x), x], dim=-1))


class FeatureTokenTransformer(nn.Module):
    def __init__(self, n_features, width=32, depth=2, heads=4, dropout=0.1):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(n_features, width) * 0.1)
        self.bias = nn.Parameter(torch.zeros(n_features, width))
        self.cls = nn.Parameter(torch.zeros(1, 1, width))
        layer = nn.TransformerEncoderLayer(width, heads, 2 * width, dropout, batch_first=True,
                                           norm_first=True, activation="gelu")
        self.encoder = nn.TransformerEncoder(layer, depth, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(width)
        self.out_dim = width

    def forward(self, x):
        tokens = x.unsqueeze(-1) * self.weight + self.bias
        tokens = torch.cat([self.cls.expand(len(x), -1, -1), tokens], dim=1)
        return self.norm(self.encoder(tokens)[:, 0])


def make_flow_encoder(name, n_features, width, depth, dropout):
    if name == "mlp":
        return ResidualMLP(n_features, width, depth, dropout)
    if name == "mlp_plr":
        return PLRMLP(n_features, width, depth, dropout)
    if name == "transformer":
        return FeatureTokenTransformer(n_features, width, depth, dropout=dropout)
    raise ValueError(f"unknown flow encoder {name!r}; choose one of {FLOW_ENCODERS}")
