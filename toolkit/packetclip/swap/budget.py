"""Budget strings: `flash=64KiB,ram=16KiB,latency=2ms,energy=100uJ,weight=50g`.

Values are normalised to bytes, seconds, joules and grams. A bad string is a one-line error.
"""

import math
import re

from packetclip.errors import PacketclipError

UNITS = {
    "flash": {"": 1, "b": 1, "kb": 1000, "kib": 1024, "k": 1024, "mb": 10**6, "mib": 1 << 20, "m": 1 << 20},
    "latency": {"s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9},
    "energy": {"j": 1.0, "mj": 1e-3, "uj": 1e-6, "µj": 1e-6, "nj": 1e-9},
    "weight": {"g": 1.0, "kg": 1000.0, "mg": 1e-3},
}
UNITS["ram"] = UNITS["flash"]
EXAMPLE = "flash=64KiB,ram=16KiB,latency=2ms,energy=100uJ,weight=50g"
_ITEM = re.compile(r"^\s*([a-z]+)\s*=\s*([0-9]*\.?[0-9]+(?:e[-+]?[0-9]+)?)\s*([a-zµ]*)\s*$", re.I)


def parse_budgets(text):
    """'flash=64KiB,latency=2ms' -> {'flash': 65536, 'latency': 0.002}."""
    out = {}
    if text is None or not str(text).strip():
        return out
    for item in str(text).split(","):
        m = _ITEM.match(item)
        if not m:
            raise PacketclipError(f"--budget: cannot read '{item.strip()}'; write KEY=VALUEUNIT items separated by commas, e.g. {EXAMPLE}")
        key, num, unit = m.group(1).lower(), float(m.group(2)), m.group(3).lower()
        if key not in UNITS:
            raise PacketclipError(f"--budget: unknown budget '{key}'; use {', '.join(UNITS)} (e.g. {EXAMPLE})")
        if unit not in UNITS[key]:
            if unit == "" and key in ("latency", "energy", "weight"):
                raise PacketclipError(f"--budget: '{item.strip()}' needs a unit ({', '.join(u for u in UNITS[key] if u)})")
            raise PacketclipError(f"--budget: unit '{m.group(3)}' is not one of {', '.join(u for u in UNITS[key] if u)} for {key}")
        if not math.isfinite(num):
            raise PacketclipError(f"--budget: '{item.strip()}' is not a finite number; e.g. {EXAMPLE}")
        if key in out:
            raise PacketclipError(f"--budget: '{key}' is given twice")
        out[key] = num * UNITS[key][unit]
    return out


def fmt_value(key, v):
    if v is None:
        return "n/a"
    if key in ("flash", "ram"):
        return f"{v / 1024:,.1f} KiB"
    if key == "latency":
        return f"{v * 1e3:,.3f} ms" if v >= 1e-3 else f"{v * 1e6:,.1f} µs"
    if key == "energy":
        return f"{v * 1e6:,.2f} µJ"
    if key == "weight":
        return f"{v:,.1f} g"
    return str(v)


def check(budgets, values):
    """{key: {limit, value, pass, margin, margin_pct}} for every budget given."""
    out = {}
    for key, limit in budgets.items():
        v = values.get(key)
        if v is None:
            out[key] = {"limit": limit, "value": None, "pass": None, "margin": None, "margin_pct": None}
            continue
        out[key] = {"limit": limit, "value": v, "pass": bool(v <= limit), "margin": limit - v,
                    "margin_pct": (limit - v) / limit * 100 if limit else None}
    return out
