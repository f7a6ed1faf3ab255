"""Static activation memory plan: place buffers with known lifetimes in one arena.

A buffer may be anchored to another at a fixed relative offset (`anchor`, `rel`): an op whose
kernel may overwrite its input while it runs (elementwise ops exactly in place, convolutions
with their output a few rows ahead of the input) gets its output anchored to that input, and
the two move together. Buffers anchored to each other form a group; groups are placed largest
first, each at the lowest aligned offset where none of its members overlaps a placed buffer
whose lifetime intersects its own. Deterministic: ties break on names.
"""

from dataclasses import dataclass


@dataclass
class Buf:
    name: str
    size: int
    first: int      # op index where it is written (or -1 for values live at entry)
    last: int       # last op index that reads it
    offset: int = -1
    anchor: str | None = None   # name of the buffer this one is placed relative to
    rel: int = 0                # offset - anchor's offset (a multiple of the alignment)


def _align(n, a):
    return (n + a - 1) // a * a


def _groups(bufs):
    """[(members [(buf, rel to the group's first byte)], extent)] in placement order."""
    by_name = {b.name: b for b in bufs}

    def root(b):
        rel = 0
        while b.anchor is not None:
            rel += b.rel
            b = by_name[b.anchor]
        return b, rel
    groups = {}
    for b in bufs:
        r, rel = root(b)
        groups.setdefault(r.name, []).append((b, rel))
    out = []
    for members in groups.values():
        lo = min(rel for _, rel in members)
        members = [(b, rel - lo) for b, rel in members]
        extent = max(rel + b.size for b, rel in members)
        out.append((members, extent))
    out.sort(key=lambda g: (-max(b.size for b, _ in g[0]), -g[1], min(b.first for b, _ in g[0]), min(b.name for b, _ in g[0])))
    return out


def plan(bufs, align=8):
    """Assign offsets in place; returns the arena size (peak)."""
    for b in bufs:
        if b.anchor is not None and b.rel % align:
            raise ValueError(f"{b.name}: relative offset {b.rel} is not a multiple of {align}")
    placed = []
    for members, _ in _groups(bufs):
        def fits(base, members=members):
            for b, rel in members:
                lo, hi = base + rel, base + rel + b.size
                for p in placed:
                    if p.last < b.first or b.last < p.first:
                        continue
                    if lo < p.offset + p.size and p.offset < hi:
                        return False
            return True
        cands = {0}
        for b, rel in members:
            for p in placed:
                if not (p.last < b.first or b.last < p.first):
                    cands.add(max(0, _align(p.offset + p.size - rel, align)))
        base = next(c for c in sorted(cands) if fits(c))
        for b, rel in members:
            b.offset = base + rel
            placed.append(b)
    return max((_align(b.offset + b.size, align) for b in bufs), default=0)
