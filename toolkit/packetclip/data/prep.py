"""The one preprocessing path from canonical flows to model inputs (numpy only).

Training, evaluation, distillation, the bundle, `conform` and the device reference all call
this module, so a flow becomes the same numbers everywhere:

1. transform: x -> clip((sign(x) * log1p(|x|) - mean) / std, -clip, clip) per feature, with
   NaN and +-inf read as 0 first (the reader drops such rows, so only callers that bypass it
   see the difference). mean/std are fitted on training rows and saved in model.json.
2. windows: each flow preceded by the last W-1 flows of the same source host, oldest first,
   in stream order (start time, then arrival/file order). Hosts are keyed by `host_key`; a
   table of `capacity` hosts forgets the least recently seen one when a new host arrives
   (capacity None = unbounded, what training uses). A device with an N-host table computes
   exactly `window_index(..., capacity=N)`, key collisions and evictions included.
3. padding: a missing predecessor is the zero vector in model space, i.e. the int8 input
   zero point in every byte: one constant the firmware can memset (`PAD`).
"""

import ipaddress
import zlib
from collections import OrderedDict, deque
from dataclasses import asdict, dataclass

import numpy as np

TRANSFORM_KIND = "signed_log1p_standardize"
CLIP = 6.0  # |z| beyond 6 standard deviations carries no extra signal and wastes int8 range
PAD = 0.0   # model-space value of a missing predecessor (int8: the input zero point)


# -- 1. transform -----------------------------------------------------------------------------
def signed_log1p(X):
    X = np.nan_to_num(np.asarray(X, dtype=np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    return np.sign(X) * np.log1p(np.abs(X))


def fit_transform(X, clip=CLIP):
    """Fit on training rows only; returns the transform dict (plain floats, JSON-ready)."""
    L = signed_log1p(X)
    mean, std = L.mean(axis=0), L.std(axis=0)
    std = np.where(std < 1e-6, 1.0, std)  # constant columns pass through centred, not blown up
    return {"kind": TRANSFORM_KIND, "mean": [float(v) for v in mean], "std": [float(v) for v in std],
            "clip": float(clip)}


def apply_transform(transform, X):
    """Canonical features [..., f] -> model space float32 [..., f], as model.json documents."""
    if transform.get("kind") != TRANSFORM_KIND:
        raise ValueError(f"unknown transform kind {transform.get('kind')!r}")
    Z = (signed_log1p(X) - np.asarray(transform["mean"], np.float64)) / np.asarray(transform["std"], np.float64)
    clip = transform.get("clip")
    if clip:
        Z = np.clip(Z, -clip, clip)
    return Z.astype(np.float32)


def quantize(Z, scale, zero_point):
    """Model-space floats -> int8 with the model's input quantization (round half to even)."""
    return np.clip(np.round(np.asarray(Z, np.float64) / scale) + zero_point, -128, 127).astype(np.int8)


# -- 2. host keys -----------------------------------------------------------------------------
def host_text(addr):
    """Canonical text of a source address: ipaddress' compressed form when it parses."""
    s = str(addr).strip()
    try:
        return ipaddress.ip_address(s).compressed
    except ValueError:
        return s


def host_key(addr):
    """32-bit host key: CRC-32 (zlib) of the UTF-8 bytes of the canonical address text."""
    return zlib.crc32(host_text(addr).encode("utf-8"))


def host_keys(addrs):
    """uint32 keys for an array of addresses (each distinct address hashed once)."""
    uniq, inv = np.unique(np.asarray(addrs).astype(object).astype(str), return_inverse=True)
    return np.array([host_key(a) for a in uniq.tolist()], dtype=np.uint32)[inv.reshape(-1)], uniq


# -- 3. windows -------------------------------------------------------------------------------
@dataclass
class WindowStats:
    context: str            # "host_time" (src_ip + timestamp) or "none" (each flow alone)
    window: int
    capacity: int | None    # host-table size; None = unbounded
    flows: int = 0
    hosts: int = 0          # distinct host keys
    addresses: int = 0      # distinct source addresses
    collisions: int = 0     # addresses that share a host key with another address
    evictions: int = 0      # hosts dropped from a full table
    returns: int = 0        # flows of a host that had been evicted (its history restarts)
    max_hosts: int = 0      # largest number of hosts held at once

    def to_dict(self):
        return asdict(self)


def context_kind(meta):
    meta = meta or {}
    return "host_time" if meta.get("src_ip") is not None and meta.get("timestamp") is not None else "none"


def stream_order(times):
    """Row order of the stream: by start time, ties (and equal times) in arrival/file order."""
    return np.argsort(np.asarray(times, dtype=np.float64), kind="stable")


def window_index(keys, times, window, capacity=None):
    """-> (idx [n, window] int64, WindowStats). idx[r] = rows of flow r's window, oldest first,
    -1 = padding, last column = r itself. One pass over the flows in stream order, keeping per
    host key its last window-1 rows, with least-recently-seen eviction beyond `capacity`."""
    n = len(keys)
    if capacity is not None and capacity < 1:
        raise ValueError("capacity must be >= 1 or None")
    idx = np.full((n, window), -1, dtype=np.int64)
    idx[:, -1] = np.arange(n)
    stats = WindowStats("host_time", window, capacity, flows=n)
    if window == 1 or n == 0:
        stats.hosts = len(np.unique(keys))
        return idx, stats
    keys = np.asarray(keys).tolist()
    table, evicted, past = OrderedDict(), set(), window - 1
    for r in stream_order(times).tolist():
        k = keys[r]
        h = table.get(k)
        if h is None:
            if capacity is not None and len(table) >= capacity:
                old, _ = table.popitem(last=False)
                evicted.add(old)
                stats.evictions += 1
            if k in evicted:
                stats.returns += 1
                evicted.discard(k)
            h = table[k] = deque(maxlen=past)
            stats.max_hosts = max(stats.max_hosts, len(table))
        else:
            table.move_to_end(k)
        if h:
            idx[r, past - len(h):past] = h
        h.append(r)
    stats.hosts = len(set(keys))
    return idx, stats


def flow_windows(meta, n, window, capacity=None):
    """Windows of a table's rows from its meta (src_ip + timestamp); each flow alone without them."""
    if context_kind(meta) == "none" or window == 1:
        idx = np.full((n, window), -1, dtype=np.int64)
        idx[:, -1] = np.arange(n)
        return idx, WindowStats(context_kind(meta), window, capacity, flows=n)
    keys, uniq = host_keys(meta["src_ip"])
    idx, stats = window_index(keys, meta["timestamp"], window, capacity)
    stats.addresses = len(uniq)
    stats.collisions = len(uniq) - len(np.unique(host_keys(uniq)[0]))
    return idx, stats


def alone(n, window):
    """Windows of each flow alone (no temporal context): padding, then the flow."""
    idx = np.full((n, window), -1, dtype=np.int64)
    idx[:, -1] = np.arange(n)
    return idx


def gather(Z, idx):
    """Model-space rows Z [n, f] and windows idx [m, W] -> [m, W, f] float32, PAD where idx < 0."""
    Zp = np.vstack([np.asarray(Z, np.float32), np.full((1, Z.shape[1]), PAD, np.float32)])
    return Zp[np.where(idx < 0, len(Z), idx)]


@dataclass
class Prepared:
    """A flow table in model space with its windows: what every model consumer takes."""
    Z: np.ndarray        # float32 [n, f], one row per flow
    idx: np.ndarray      # int64 [n, W], window rows into Z (-1 = padding)
    stats: WindowStats

    def __len__(self):
        return len(self.Z)

    @property
    def window(self):
        return self.idx.shape[1]

    def windows(self, rows=None):
        """float32 [m, W, f] for `rows` (all when None)."""
        return gather(self.Z, self.idx if rows is None else self.idx[rows])

    def valid(self, rows=None):
        return (self.idx if rows is None else self.idx[rows]) >= 0

    def without_context(self):
        """The same flows, each alone in its window (for "the same model without temporal context")."""
        return Prepared(self.Z, alone(len(self.Z), self.window),
                        WindowStats("none", self.window, None, flows=len(self.Z)))

    def history_mean(self, k):
        """[n, f] mean of the k previous flows of each row's host (zeros without any), [n] count."""
        past = self.idx[:, -1 - k:-1] if k < self.window else self.idx[:, :-1]
        ok = past >= 0
        cnt = ok.sum(axis=1)
        s = (gather(self.Z, past) * ok[..., None]).sum(axis=1)
        return s / np.maximum(cnt, 1)[:, None], cnt


def prepare(X, meta, transform, window, capacity=None):
    """Canonical features [n, f] + meta -> Prepared (transform, then per-host windows)."""
    X = np.asarray(X, dtype=np.float64)
    idx, stats = flow_windows(meta, len(X), int(window), capacity)
    return Prepared(apply_transform(transform, X), idx, stats)
