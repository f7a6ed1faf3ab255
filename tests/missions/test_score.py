"""The numpy integer reference of the device's mission scores (packetclip.missions.score)."""

import math

import numpy as np

from packetclip.missions import score


def _slow(out, protos, start, zp):
    """The documented formula in Python integers, one flow and prototype at a time."""
    S, B = [], []
    for o in out:
        e = [int(v) - zp for v in o[start:start + protos.shape[1]]]
        ne = math.isqrt(sum(v * v for v in e))
        row = []
        for p in protos:
            dot = sum(a * int(b) for a, b in zip(e, p, strict=True))
            den = ne * math.isqrt(sum(int(b) * int(b) for b in p))
            q = 0 if den == 0 else (abs(dot) << 14) // den * (1 if dot >= 0 else -1)
            row.append(max(-16384, min(16384, q)))
        S.append(row)
        B.append(int(np.argmax(row)))
    return np.array(S), np.array(B)


def test_isqrt_exact():
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.integers(0, 1 << 40, 5000), np.arange(0, 3000), np.array([(1 << 31) - 1, 65025 * 64])])
    x = np.concatenate([x, x.clip(1) ** 0 * (np.arange(len(x)) % 2000) ** 2])   # perfect squares
    assert np.array_equal(score.isqrt(x), np.array([math.isqrt(int(v)) for v in x]))


def test_scores_match_the_formula():
    rng = np.random.default_rng(1)
    out = rng.integers(-128, 128, (300, 30), dtype=np.int8)
    out[0, 10:26] = -3                     # the embedding at the zero point: norm 0, every score 0
    out[1, 10:26] = 127
    protos = rng.integers(-127, 128, (16, 16), dtype=np.int8)
    protos[5] = 0                          # a zero prototype scores 0
    protos[6] = out[2, 10:26] + 3          # the flow itself: cosine 1 (up to the floors)
    s, b = score.scores(out, protos, 10, -3)
    s2, b2 = _slow(out, protos, 10, -3)
    assert np.array_equal(s, s2) and np.array_equal(b, b2)
    assert (s[0] == 0).all() and (s[:, 5] == 0).all() and s[2, 6] >= 16300
    assert s.dtype == np.int16 and np.abs(s).max() <= score.ONE


def test_no_prototypes():
    s, b = score.scores(np.zeros((3, 20), np.int8), np.zeros((0, 16), np.int8), 4, 0)
    assert s.shape == (3, 0) and b.shape == (3,)
