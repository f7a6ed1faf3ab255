"""Flow timestamps -> float seconds (UTC-naive: only the order and gaps matter for splits).

Formats seen in the wild: ISO 'YYYY-MM-DD HH:MM:SS[.ffffff]' (Python cicflowmeter),
'dd/MM/yyyy hh:mm:ss AM' (CICFlowMeter-4, ACI-IoT-2023), 'd/M/yyyy H:mm' (CIC-IDS2017
TrafficLabelling) and epoch numbers (s, ms or us by magnitude). Distinct strings are parsed
once, so 1-second timestamps over a million rows cost a few thousand parses.
"""

from datetime import UTC, datetime

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
            return datetime.strptime(s, fmt).replace(tzinfo=UTC).timestamp()
        except ValueError:
            continue
    return None


def _java_fixed(strs):
    """Vectorised 'dd/MM/yyyy hh:mm:ss AM' (CICFlowMeter-4); None if any string has another shape."""
    a = np.asarray(strs)
    if a.dtype.kind != "U" or a.dtype.itemsize // 4 < 22 or len(a) == 0:
        return None
    c = a.view(np.uint32).reshape(len(a), -1)
    if a.dtype.itemsize // 4 > 22 and c[:, 22:].any():
        return None
    c = c[:, :22].astype(np.int64)
    sep = {2: "/", 5: "/", 10: " ", 13: ":", 16: ":", 19: " ", 21: "M"}
    if any((c[:, i] != ord(ch)).any() for i, ch in sep.items()):
        return None
    d = c - 48
    digits = [0, 1, 3, 4, 6, 7, 8, 9, 11, 12, 14, 15, 17, 18]
    if ((d[:, digits] < 0) | (d[:, digits] > 9)).any() or not np.isin(c[:, 20], (ord("A"), ord("P"))).all():
        return None
    day, month = d[:, 0] * 10 + d[:, 1], d[:, 3] * 10 + d[:, 4]
    year = d[:, 6] * 1000 + d[:, 7] * 100 + d[:, 8] * 10 + d[:, 9]
    hour = (d[:, 11] * 10 + d[:, 12]) % 12 + 12 * (c[:, 20] == ord("P"))
    minute, sec = d[:, 14] * 10 + d[:, 15], d[:, 17] * 10 + d[:, 18]
    if ((day < 1) | (day > 31) | (month < 1) | (month > 12) | (minute > 59) | (sec > 60)).any():
        return None
    days = ((year - 1970) * 12 + month - 1).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64) + day - 1
    return (days * 86400 + hour * 3600 + minute * 60 + sec).astype(np.float64)


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
        iso = _java_fixed(uniq[todo])
        if iso is None and all("-" in s for s in strs):
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
