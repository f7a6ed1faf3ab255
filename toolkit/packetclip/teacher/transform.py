"""The input transform the teacher (and later the device) applies to canonical features.

signed log1p tames the heavy tails of byte/packet counts and rates; standardization then
centres each feature. The exact numbers are saved in the bundle format's `transform` dict
so the student and the firmware reproduce them bit for bit.
"""

import numpy as np

KIND = "signed_log1p_standardize"
CLIP = 6.0  # |z| beyond 6 standard deviations carries no extra signal and wastes int8 range


def signed_log1p(X):
    X = np.nan_to_num(np.asarray(X, dtype=np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    return np.sign(X) * np.log1p(np.abs(X))


def fit_transform(X, clip=CLIP):
    """Fit on training rows only; returns the transform dict (plain floats, JSON-ready)."""
    L = signed_log1p(X)
    mean = L.mean(axis=0)
    std = L.std(axis=0)
    std = np.where(std < 1e-6, 1.0, std)  # constant columns pass through centred, not blown up
    return {"kind": KIND, "mean": [float(v) for v in mean], "std": [float(v) for v in std],
            "clip": float(clip)}


def apply_transform(transform, X):
    """Canonical features [n, f] -> model space float32 [n, f], exactly as model.json documents."""
    if transform.get("kind") != KIND:
        raise ValueError(f"unknown transform kind {transform.get('kind')!r}")
    mean = np.asarray(transform["mean"], np.float64)
    std = np.asarray(transform["std"], np.float64)
    Z = (signed_log1p(X) - mean) / std
    clip = transform.get("clip")
    if clip:
        Z = np.clip(Z, -clip, clip)
    return Z.astype(np.float32)
