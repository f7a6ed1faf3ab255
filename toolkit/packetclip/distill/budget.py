"""What a board (and the user's limits) leave for the model, and which students fit."""

from dataclasses import dataclass

from packetclip.boards import load_board
from packetclip.distill.students import ARCHS, candidates
from packetclip.errors import PacketclipError

# Flash and RAM the firmware itself needs beside the model (core + TFLM engine, stacks, buffers).
FIRMWARE_FLASH = 160 * 1024
FIRMWARE_RAM = 32 * 1024


@dataclass(frozen=True)
class Budget:
    board: str
    max_weights: int
    max_arena: int
    max_macs: int | None

    def to_dict(self):
        return {"board": self.board, "max_weights": self.max_weights, "max_arena": self.max_arena,
                "max_macs": self.max_macs}

    def misses(self, spec):
        """Why a spec does not fit (empty list when it does)."""
        out = []
        if spec.weight_bytes > self.max_weights:
            out.append(f"weights {spec.weight_bytes} B > {self.max_weights} B")
        if spec.arena_estimate > self.max_arena:
            out.append(f"arena ~{spec.arena_estimate} B > {self.max_arena} B")
        if self.max_macs is not None and spec.macs > self.max_macs:
            out.append(f"MACs {spec.macs} > {self.max_macs}")
        return out


def board_budget(board, max_weights=None, max_arena=None, max_macs=None):
    b = load_board(board)
    weights = max(b.flash_bytes - FIRMWARE_FLASH, 0)
    arena = max(b.ram_bytes - FIRMWARE_RAM, 0)
    if max_weights is not None:
        weights = min(weights, int(max_weights))
    if max_arena is not None:
        arena = min(arena, int(max_arena))
    return Budget(board=b.name, max_weights=weights, max_arena=arena,
                  max_macs=None if max_macs is None else int(max_macs))


def plan(budget, arch, n_features, n_out, per_arch=1):
    """Return (chosen specs to train, table of every candidate with fits/misses).

    `arch` is "mlp", "conv1d" or "auto"; for each architecture the `per_arch` largest
    fitting candidates are trained. Raises a one-line error naming the smallest size that
    would fit when nothing does.
    """
    archs = ARCHS if arch == "auto" else (arch,)
    table, chosen = [], []
    for a in archs:
        specs = candidates(a, n_features, n_out)
        fitting = [s for s in specs if not budget.misses(s)]
        for s in specs:
            table.append({**s.to_dict(), **s.costs(), "fits": not budget.misses(s), "misses": budget.misses(s)})
        chosen += fitting[-per_arch:][::-1]
    if not chosen:
        smallest = min((s for a in archs for s in candidates(a, n_features, n_out)), key=lambda s: s.weight_bytes)
        raise PacketclipError(
            f"board {budget.board}: no {arch} student fits the budget (weights <= {budget.max_weights} B, "
            f"arena <= {budget.max_arena} B" + (f", MACs <= {budget.max_macs}" if budget.max_macs is not None else "")
            + f"); the smallest, {smallest.name}, needs {smallest.weight_bytes} B of weights, ~{smallest.arena_estimate} B of arena "
            f"and {smallest.macs} MACs: raise --max-weights/--max-arena/--max-macs to at least that")
    return chosen, table
