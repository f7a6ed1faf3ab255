"""What a board (and the user's limits) leave for the model, and which students fit.

RAM counts what the model needs at run time: its activations (the TFLM arena) and, for a
windowed student whose device keeps each host's recent flows, the host table (`hosts` hosts x
window-1 flow rows, bundle/context.py)."""

from dataclasses import dataclass

from packetclip.boards import load_board
from packetclip.bundle.context import table_bytes
from packetclip.distill.students import ARCHS, candidates
from packetclip.errors import PacketclipError

# Flash and RAM the firmware itself needs beside the model (core + TFLM engine, stacks, buffers).
FIRMWARE_FLASH = 160 * 1024
FIRMWARE_RAM = 32 * 1024


DEFAULT_HOSTS = 16   # hosts a windowed student's device keeps, unless --hosts says otherwise


@dataclass(frozen=True)
class Budget:
    board: str
    max_weights: int
    max_arena: int
    max_macs: int | None
    max_ram: int = None          # arena + host table
    hosts: int = DEFAULT_HOSTS

    def to_dict(self):
        return {"board": self.board, "max_weights": self.max_weights, "max_arena": self.max_arena,
                "max_macs": self.max_macs, "max_ram": self.max_ram, "hosts": self.hosts}

    def table(self, spec):
        """Bytes of the device's host table for this spec (0 for a per-flow student)."""
        return table_bytes(self.hosts, spec.window, spec.n_features)

    def misses(self, spec, arena=None):
        """Why a spec does not fit (empty list when it does); `arena`: the measured one, once converted."""
        arena = spec.arena_estimate if arena is None else arena
        approx = "~" if arena is spec.arena_estimate else ""
        out = []
        if spec.weight_bytes > self.max_weights:
            out.append(f"weights {spec.weight_bytes} B > {self.max_weights} B")
        if arena > self.max_arena:
            out.append(f"arena {approx}{arena} B > {self.max_arena} B")
        if self.max_ram is not None and arena + self.table(spec) > self.max_ram:
            out.append(f"RAM {approx}{arena} B arena + {self.table(spec)} B host table > {self.max_ram} B")
        if self.max_macs is not None and spec.macs > self.max_macs:
            out.append(f"MACs {spec.macs} > {self.max_macs}")
        return out


def board_budget(board, max_weights=None, max_arena=None, max_macs=None, max_ram=None, hosts=DEFAULT_HOSTS):
    b = load_board(board)
    weights = max(b.flash_bytes - FIRMWARE_FLASH, 0)
    arena = max(b.ram_bytes - FIRMWARE_RAM, 0)
    ram = arena if max_ram is None else min(arena, int(max_ram))
    if max_weights is not None:
        weights = min(weights, int(max_weights))
    if max_arena is not None:
        arena = min(arena, int(max_arena))
    return Budget(board=b.name, max_weights=weights, max_arena=arena,
                  max_macs=None if max_macs is None else int(max_macs), max_ram=ram, hosts=int(hosts))


def plan(budget, arch, n_features, n_out, per_arch=1):
    """Return (chosen specs to train, table of every candidate with fits/misses, {arch: the next
    smaller fitting specs, largest first}: what to try when a converted student measures over).

    `arch` is "mlp", "conv1d" or "auto"; for each architecture the `per_arch` largest
    fitting candidates are trained. Raises a one-line error naming the smallest size that
    would fit when nothing does.
    """
    archs = ARCHS if arch == "auto" else (arch,)
    table, chosen, fallback = [], [], {}
    for a in archs:
        specs = candidates(a, n_features, n_out)
        fitting = [s for s in specs if not budget.misses(s)]
        for s in specs:
            table.append({**s.to_dict(), **s.costs(), "fits": not budget.misses(s), "misses": budget.misses(s)})
        chosen += fitting[-per_arch:][::-1]
        fallback[a] = fitting[:-per_arch][::-1]
    if not chosen:
        smallest = min((s for a in archs for s in candidates(a, n_features, n_out)), key=lambda s: s.weight_bytes)
        raise PacketclipError(
            f"board {budget.board}: no {arch} student fits the budget (weights <= {budget.max_weights} B, "
            f"arena <= {budget.max_arena} B, arena + host table of {budget.hosts} hosts <= {budget.max_ram} B"
            + (f", MACs <= {budget.max_macs}" if budget.max_macs is not None else "")
            + f"); the smallest, {smallest.name}, needs {smallest.weight_bytes} B of weights, ~{smallest.arena_estimate} B of arena "
            f"{f', a {budget.table(smallest)} B host table' if budget.table(smallest) else ''} and {smallest.macs} MACs: "
            "raise --max-weights/--max-arena/--max-ram/--max-macs to at least that, or keep fewer --hosts")
    return chosen, table, fallback
