"""Write a FlowTable as CSV in packetclip's own canonical header (reads back with load_flows)."""

import numpy as np

from packetclip.data.schema import META_FIELDS
from packetclip.fsutil import atomic_path


def write_flows_csv(table, path, idx=None, block=20_000):
    """Rows `idx` (all when None) of `table` to `path`, atomically; floats round-trip exactly."""
    idx = np.arange(len(table)) if idx is None else np.asarray(idx)
    meta = [k for k in META_FIELDS if table.meta.get(k) is not None]
    header = list(table.features) + meta + ["label"]
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="\n") as f:
        f.write(",".join(header) + "\n")
        for s in range(0, len(idx), block):
            rows = idx[s:s + block]
            cols = [table.X[rows].tolist()]
            extra = [table.meta[k][rows].tolist() for k in meta] + [table.labels[rows].tolist()]
            lines = []
            for i, feats in enumerate(cols[0]):
                cells = [repr(v) for v in feats] + [_cell(e[i]) for e in extra]
                lines.append(",".join(cells))
            f.write("\n".join(lines) + ("\n" if lines else ""))


def _cell(v):
    if isinstance(v, float):  # metadata: ports and protocols read back as floats; write them whole
        return str(int(v)) if v.is_integer() and abs(v) < 2**53 else repr(v)
    v = str(v)
    return f'"{v}"' if "," in v else v
