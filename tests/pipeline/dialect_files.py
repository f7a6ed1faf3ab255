"""Real flows of the loopback fixture, written as each dialect writes them (test helper).

The values are the real output of `packetclip data flows` (tests/data/fixtures); each writer
renames the columns from the dialect registry, writes the dialect's timestamp format and
converts the time columns to the dialect's unit, so a reader bug shows up as a table that
differs from the source."""

import gzip
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from packetclip.data.dialects import DIALECTS, TIME_UNITS
from packetclip.data.schema import FEATURES, TIME_FEATURES

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "fixtures"
SOURCE = FIXTURES / "lo-packetclip-flows.csv.gz"
_TS = {  # dialect -> (strftime, leading space in header names, extra columns)
    "cicids2017": ("%-d/%-m/%Y %-I:%M:%S %p", True),
    "cicids2018": ("%d/%m/%Y %H:%M:%S", False),
    "aciiot": ("%d/%m/%Y %I:%M:%S %p", False),
}


def write_dialect(table, dialect, path, unit=None, gz=False):
    """`table` (a FlowTable with meta) -> `path` in `dialect`'s header, timestamp format and time unit."""
    d = DIALECTS[dialect]
    unit = unit or d.time_unit or "s"
    fmt, space = _TS.get(dialect, ("%Y-%m-%d %H:%M:%S", False))
    X = table.X.copy()
    tcols = [FEATURES.index(f) for f in TIME_FEATURES]
    X[:, tcols] /= TIME_UNITS[unit][1]
    meta = ["src_ip", "src_port", "dst_ip", "dst_port", "protocol", "timestamp"]
    head = ([d.meta[m] for m in meta] + [d.columns[f] for f in FEATURES] + ["Label"])
    if dialect in ("cicids2017", "aciiot", "cicids2018"):
        head = ["Flow ID"] + head
    if dialect == "aciiot":
        head.append("Connection Type")
    if space:
        head = [" " + h for h in head]
    lines = [",".join(head)]
    raw = {"benign": "BENIGN" if dialect == "cicids2017" else "Benign", "port_scan": "Port Scan", "brute_force": "Brute Force"}
    for i in range(len(X)):
        m = {k: table.meta[k][i] for k in meta}
        ts = datetime.fromtimestamp(float(m["timestamp"]), UTC).strftime(fmt)
        cells = [str(m["src_ip"]), str(int(m["src_port"])), str(m["dst_ip"]), str(int(m["dst_port"])),
                 str(int(m["protocol"])), ts] + [repr(float(v)) for v in X[i]] + [raw[table.labels[i]]]
        if head[0].strip() == "Flow ID":
            cells = [f"{m['src_ip']}-{m['dst_ip']}-{int(m['src_port'])}-{int(m['dst_port'])}-{int(m['protocol'])}"] + cells
        if dialect == "aciiot":
            cells.append("wired")
        lines.append(",".join(cells))
    data = ("\n".join(lines) + "\n").encode()
    path = Path(path)
    path.write_bytes(gzip.compress(data, mtime=0) if gz else data)
    return path


def truncate_to_seconds(ts):
    return np.floor(np.asarray(ts, np.float64))
