"""Static activation memory plan: place buffers with known lifetimes in one arena.

Greedy by size (largest first), each buffer at the lowest aligned offset that does not
overlap a placed buffer whose lifetime intersects its own. Deterministic: ties break on name.
"""

from dataclasses import dataclass


@dataclass
class Buf:
    name: str
    size: int
    first: int      # op index where it is written (or -1 for values live at entry)
    last: int       # last op index that reads it
    offset: int = -1


def _align(n, a):
    return (n + a - 1) // a * a


def plan(bufs, align=8):
    """Assign offsets in place; returns the arena size (peak)."""
    placed = []
    for b in sorted(bufs, key=lambda b: (-b.size, b.first, b.name)):
        live = sorted((p for p in placed if not (p.last < b.first or b.last < p.first)), key=lambda p: p.offset)
        off = 0
        for p in live:
            if off + b.size <= p.offset:
                break
            off = max(off, _align(p.offset + p.size, align))
        b.offset = off
        placed.append(b)
    return max((_align(b.offset + b.size, align) for b in bufs), default=0)
