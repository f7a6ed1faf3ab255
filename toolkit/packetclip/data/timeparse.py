"""Flow timestamps -> float seconds (UTC-naive: only the order and gaps matter for splits).

Formats seen in the wild: ISO 'YYYY-MM-DD HH:MM:SS[.ffffff]' (Python cicflowmeter),
'dd/MM/yyyy hh:mm:ss AM' (CICFlowMeter-4, ACI-IoT-2023), 'd/M/yyyy H:mm' (CIC-IDS2017
TrafficLabelling) and epoch numbers (s, ms or us by magnitude). Distinct strings are parsed
once, so 1-second timestamps over a million rows cost a few thousand parses.
"""

from datetime import datetime, timezone

import numpy as np

_FORMATS = ("%d/%m/%Y %I:%M:%S %p", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %I:%M %p", "%d/%m/%Y %H:%M",
            "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M:%S")


def _one(s):
    s = s.strip()
    if not s:
        return np.nan
    try:
        v = float(s)
    except ValueError:
        pass
    else:
        return v / 1e6 if v > 1e14 else v / 1e3 if v > 1e11 else v
    for fmt in _FORMATS:
        try:
            return datetime.strptime(s, fmt).replace(tzinfo=timezone.utc).timestamp()
        except ValueError:
            continue
    return None


def parse_timestamps(values, cache):
    """float64 seconds for an array of strings; None entries in the result mean unparseable (NaN + mask)."""
    uniq, inv = np.unique(values, return_inverse=True)
    out = np.empty(len(uniq), dtype=np.float64)
    bad = np.zeros(len(uniq), dtype=bool)
    todo = []
    for i, s in enumerate(uniq.tolist()):
        v = cache.get(s)
        if v is None:
            todo.append(i)
        else:
            out[i] = v
    if todo:
        strs = [uniq[i] for i in todo]
        iso = None
        if all("-" in s for s in strs):
            try:  # ISO strings in one vectorised call
                iso = np.array(strs, dtype="datetime64[us]").astype(np.int64) / 1e6
            except ValueError:
                iso = None
        for k, i in enumerate(todo):
            v = iso[k] if iso is not None else _one(strs[k])
            if v is None:
                bad[i] = True
                v = np.nan
            else:
                cache[strs[k]] = v
            out[i] = v
    return out[inv], bad[inv]
