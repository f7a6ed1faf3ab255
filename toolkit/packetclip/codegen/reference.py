"""The fixed benchmark model of issue 6, regenerated deterministically by anyone:
an int8 MLP 40 -> 64 -> 32 -> 12 with ReLU, per-channel weights, int8 input and output
(4,992 MACs), converted with torch + litert-torch PT2E like the students are.

    from packetclip.codegen.reference import make_reference_bundle
    make_reference_bundle("build/reference-mlp")

Weights are random but fixed (seed 0); calibration uses fixed random inputs. It is a speed and
size benchmark, not a classifier: labels are placeholders.
"""

from pathlib import Path

import numpy as np

SIZES = (40, 64, 32, 12)
SEED = 0
NAME = "reference-mlp-40-64-32-12"


def _module():
    import torch

    torch.manual_seed(SEED)
    layers = []
    for i, (a, b) in enumerate(zip(SIZES[:-1], SIZES[1:], strict=True)):
        layers.append(torch.nn.Linear(a, b))
        if i < len(SIZES) - 2:
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers).eval()


def reference_tflite():
    """The reference model's .tflite bytes."""
    import torch

    from packetclip.distill.convert import calibrate, prepare_ptq, to_tflite

    torch.manual_seed(SEED)
    torch.use_deterministic_algorithms(True, warn_only=True)
    m = _module()
    rng = np.random.default_rng(SEED)
    Z = rng.standard_normal((512, SIZES[0])).astype(np.float32)
    prepared, q = prepare_ptq(m, torch.from_numpy(Z[:2]))
    calibrate(prepared, Z)
    return to_tflite(prepared, q, (1, SIZES[0]))


def make_reference_bundle(out_dir):
    """Write the reference bundle (model.tflite + model.json) to out_dir; returns the Bundle."""
    from packetclip.bundle.format import write_bundle
    from packetclip.bundle.golden import probe_arena
    from packetclip.bundle.tflite import parse_tflite

    data = reference_tflite()
    g = parse_tflite(data)
    ti, to = g.tensors[g.inputs[0]], g.tensors[g.outputs[0]]
    n_out = SIZES[-1]
    labels = [f"ref{i}" for i in range(n_out)]
    meta = {
        "name": NAME,
        "features": [f"f{i}" for i in range(SIZES[0])],
        "window": 1,
        "transform": {"kind": "signed_log1p_standardize", "mean": [0.0] * SIZES[0], "std": [1.0] * SIZES[0], "clip": 0.0},
        "input": {"shape": list(ti.shape), "scale": float(ti.scale[0]), "zero_point": int(ti.zero_point[0])},
        "output": {"shape": list(to.shape), "scale": float(to.scale[0]), "zero_point": int(to.zero_point[0])},
        "heads": {"classes": [0, n_out], "missions": None, "embedding": None},
        "labels": labels,
        "missions": ["dos", "brute_force", "reconnaissance", "other_attack", "benign"],
        "label_missions": {lab: "benign" for lab in labels},
        "kg_version": "none",
        "arena_bytes": probe_arena(data),
        "ops": g.op_names(),
        "macs": int(sum(a * b for a, b in zip(SIZES[:-1], SIZES[1:], strict=True))),
        "params": int(sum(a * b + b for a, b in zip(SIZES[:-1], SIZES[1:], strict=True))),
        "weight_bytes": int(sum(a * b for a, b in zip(SIZES[:-1], SIZES[1:], strict=True))),
        "tools": {"generator": "packetclip.codegen.reference", "seed": SEED},
    }
    card = (f"# {NAME}\n\nFixed benchmark model (issue 6): int8 MLP {' -> '.join(map(str, SIZES))}, ReLU, "
            "per-channel weights, int8 I/O, 4,992 MACs. Random fixed weights (seed 0); not a classifier.\n"
            "Regenerate: `python -c \"from packetclip.codegen.reference import make_reference_bundle as m; m('DIR')\"`\n")
    return write_bundle(Path(out_dir), data, meta, card=card)


if __name__ == "__main__":
    import sys

    b = make_reference_bundle(sys.argv[1] if len(sys.argv) > 1 else "build/reference-mlp")
    print(b.path, b.sha256)
