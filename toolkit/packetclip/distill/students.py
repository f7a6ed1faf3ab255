"""Student architectures and their costs.

Costs (MACs, weight bytes, an arena estimate) are computed from the spec alone, without
torch, so the budget can rule candidates out before anything trains.

Both students lower to RESHAPE + FULLY_CONNECTED only (ReLU fused), the smallest op set
for the ahead-of-time engine:
- mlp:    [1, window*features] -> FC+ReLU ... -> FC(out)
- conv1d: [1, window, features] -> strided Conv1D layers (kernel = stride = 2, weights
          shared across time, written as reshape + FC over the last axis) -> flatten -> FC(out).
          A real Conv1D written with nn.Conv1d lowers to TRANSPOSE/RESHAPE/CONV_2D chains.
The output is ONE tensor [class logits | mission logits (| embedding)].
"""

from dataclasses import dataclass
from itertools import pairwise

ARCHS = ("mlp", "conv1d")
KERNEL = 2  # conv1d kernel = stride

# Candidate ladders, smallest first. conv1d: (channels per layer) at each window W of
# CONV_WINDOWS (two stride-2 layers: W/4 positions reach the last FC); a longer window gives
# more context but costs the device W-1 rows per host in its table.
MLP_LADDER = ((8,), (16,), (16, 8), (24, 16), (32, 16), (48, 24), (64, 32), (96, 48), (128, 64), (192, 96), (256, 128))
CONV_LADDER = ((8, 8), (12, 12), (16, 16), (24, 24), (32, 32), (48, 48), (64, 64))
CONV_WINDOWS = (4, 8)

# TFLM arena overhead beyond the activation buffers, fitted on converted students here
# (interpreter, per-tensor and per-node structs); the real arena is probed after conversion.
ARENA_BASE = 1536
ARENA_PER_OP = 160


@dataclass(frozen=True)
class StudentSpec:
    arch: str
    hidden: tuple
    n_features: int
    n_out: int
    window: int = 1

    @property
    def name(self):
        return f"{self.arch}-" + "x".join(str(h) for h in self.hidden) + (f"-w{self.window}" if self.arch == "conv1d" else "")

    @property
    def input_shape(self):
        return [1, self.window * self.n_features] if self.arch == "mlp" else [1, self.window, self.n_features]

    def layers(self):
        """[(positions, fan_in, fan_out)] for every FULLY_CONNECTED, in order."""
        if self.arch == "mlp":
            dims = [self.window * self.n_features, *self.hidden, self.n_out]
            return [(1, a, b) for a, b in pairwise(dims)]
        out, steps, chans = [], self.window, self.n_features
        for c in self.hidden:
            steps //= KERNEL
            out.append((steps, KERNEL * chans, c))
            chans = c
        out.append((1, steps * chans, self.n_out))
        return out

    @property
    def macs(self):
        return sum(p * a * b for p, a, b in self.layers())

    @property
    def params(self):
        return sum(a * b + b for _, a, b in self.layers())

    @property
    def weight_bytes(self):
        """int8 weights + int32 biases (the constant buffers; shape constants are a few bytes more)."""
        return sum(a * b + 4 * b for _, a, b in self.layers())

    @property
    def n_ops(self):
        return len(self.layers()) * (1 if self.arch == "mlp" else 2)

    @property
    def arena_estimate(self):
        acts = [self.window * self.n_features] + [p * b for p, _, b in self.layers()]
        peak = max(a + b for a, b in pairwise(acts))
        return ARENA_BASE + ARENA_PER_OP * self.n_ops + peak

    def costs(self):
        return {"macs": self.macs, "params": self.params, "weight_bytes": self.weight_bytes,
                "arena_estimate": self.arena_estimate}

    def to_dict(self):
        return {"arch": self.arch, "hidden": list(self.hidden), "window": self.window,
                "n_features": self.n_features, "n_out": self.n_out, "name": self.name}


def candidates(arch, n_features, n_out):
    """All specs of one architecture, smallest first."""
    if arch == "mlp":
        return [StudentSpec("mlp", h, n_features, n_out, 1) for h in MLP_LADDER]
    if arch == "conv1d":   # by cost: the budget keeps the largest that fits, a window and width trade
        specs = [StudentSpec("conv1d", h, n_features, n_out, w) for w in CONV_WINDOWS for h in CONV_LADDER]
        return sorted(specs, key=lambda s: (s.weight_bytes + s.arena_estimate, s.window))
    raise ValueError(f"unknown arch {arch!r}")


def build_module(spec):
    """The torch module for a spec (imports torch)."""
    import torch
    from torch import nn

    class MLPStudent(nn.Module):
        def __init__(self):
            super().__init__()
            dims = [spec.window * spec.n_features, *spec.hidden]
            self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in pairwise(dims))
            self.out = nn.Linear(dims[-1], spec.n_out)

        def forward(self, x):
            for layer in self.hidden:
                x = torch.relu(layer(x))
            return self.out(x)

    class Conv1DStudent(nn.Module):
        def __init__(self):
            super().__init__()
            chans, steps, layers = spec.n_features, spec.window, []
            for c in spec.hidden:
                layers.append(nn.Linear(KERNEL * chans, c))
                chans, steps = c, steps // KERNEL
            self.convs = nn.ModuleList(layers)
            self.out = nn.Linear(steps * chans, spec.n_out)

        def forward(self, x):  # x: [n, window, features]
            n = x.shape[0]
            for conv in self.convs:
                x = torch.relu(conv(x.reshape(n, x.shape[1] // KERNEL, KERNEL * x.shape[2])))
            return self.out(x.reshape(n, -1))

    return MLPStudent() if spec.arch == "mlp" else Conv1DStudent()
