"""The device's mission scores in numpy integers, bit for bit (firmware/core/missions.c).

    e_i     = out[embed_start + i] - output_zero_point
    dot_k   = sum_i e_i * p_k[i]
    den_k   = isqrt(sum_i e_i^2) * isqrt(sum_i p_k[i]^2)
    score_k = trunc(dot_k * 2^14 / den_k) clamped to [-2^14, 2^14], 0 when den_k is 0

score_k is the cosine of the embedding and the prototype in Q14; best is the first largest.
"""

import numpy as np

SCORE_BITS = 14
ONE = 1 << SCORE_BITS


def isqrt(x):
    """floor(sqrt(x)) of non-negative int64 values, exact (float estimate, then corrected)."""
    x = np.asarray(x, dtype=np.int64)
    r = np.floor(np.sqrt(x.astype(np.float64))).astype(np.int64)
    r -= (r * r > x).astype(np.int64)
    r += ((r + 1) * (r + 1) <= x).astype(np.int64)
    return r


def scores(outputs, prototypes, embed_start, zero_point):
    """int8 outputs [n, output_bytes], int8 prototypes [K, D] -> (scores int16 [n, K], best uint8 [n])."""
    P = np.asarray(prototypes, dtype=np.int64)
    n = len(outputs)
    if P.ndim != 2 or len(P) == 0:
        return np.zeros((n, 0), np.int16), np.zeros(n, np.uint8)
    D = P.shape[1]
    E = np.asarray(outputs, dtype=np.int64).reshape(n, -1)[:, embed_start:embed_start + D] - int(zero_point)
    dot = E @ P.T
    den = isqrt((E * E).sum(1))[:, None] * isqrt((P * P).sum(1))[None, :]
    safe = np.where(den == 0, 1, den)
    q = np.sign(dot) * ((np.abs(dot) << SCORE_BITS) // safe)   # truncation toward zero, as C99
    s = np.clip(np.where(den == 0, 0, q), -ONE, ONE).astype(np.int16)
    return s, s.argmax(axis=1).astype(np.uint8)


def cosine(s):
    """Q14 scores -> floats in [-1, 1]."""
    return np.asarray(s, np.float64) / ONE
