"""load_flows: any supported flow CSV (or the embedded CIC-IDS2017 sample) -> FlowTable."""

import itertools
import warnings
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from packetclip.data import csvread, dialects
from packetclip.data.labels import UNKNOWN, load_label_map, map_labels
from packetclip.data.report import CleaningReport
from packetclip.data.schema import FEATURES, META_FIELDS, META_NUMERIC, TIME_FEATURES
from packetclip.data.timeparse import parse_timestamps
from packetclip.errors import PacketclipError

SAMPLE_NAME = "cicids2017-sample.csv.gz"
SAMPLE_SOURCE = "packetclip:cicids2017-sample"
_TIME_IDX = np.array([FEATURES.index(f) for f in TIME_FEATURES])


@dataclass
class FlowTable:
    X: np.ndarray                 # float64 [n, len(features)]
    features: list
    labels: np.ndarray            # canonical class per row ('unknown' when not in the taxonomy)
    missions: np.ndarray          # mission per row
    meta: dict                    # src_ip, dst_ip, src_port, dst_port, protocol, timestamp -> array or None
    report: CleaningReport
    dialect: str = ""
    source: str = ""
    kg_version: str = ""
    extra: dict = field(default_factory=dict)

    def __len__(self):
        return len(self.labels)

    def subset(self, idx):
        """Rows `idx` as a new table (the report stays the one of the whole file); the zero-shot
        loop trains each teacher on the rows without its held-out class."""
        idx = np.asarray(idx)
        meta = {k: (None if v is None else v[idx]) for k, v in self.meta.items()}
        return FlowTable(self.X[idx], list(self.features), self.labels[idx], self.missions[idx], meta,
                         self.report, self.dialect, self.source, self.kg_version)

    def class_counts(self):
        u, c = np.unique(self.labels, return_counts=True)
        return dict(zip(u.tolist(), c.tolist(), strict=True))


def sample_path():
    """The embedded CIC-IDS2017 sample (gzip) inside the installed package."""
    return resources.files("packetclip.data") / SAMPLE_NAME


def _resolve_kg(kg):
    from packetclip.data.kg import KnowledgeGraph, load_kg
    if isinstance(kg, KnowledgeGraph):
        return kg
    return load_kg(kg)


def load_flows(path=None, dialect=None, strict=False, kg=None, labels=None, drop_bad_rows=False,
               drop_constant=False, drop_duplicates=True, drop_unknown=False, require_label=True,
               time_unit=None, chunk_bytes=csvread.CHUNK_BYTES, progress=None):
    """Read a flow CSV (plain or gzip) into the canonical FlowTable.

    path None: the embedded CIC-IDS2017 sample. dialect: a name of dialects.DIALECTS (None =
    detect from the header). time_unit: "s", "ms" or "us" of the file's time columns (None =
    the dialect's, or read from the values); the table is always microseconds. strict: an unknown label is an error instead of class
    'unknown'. kg: a KnowledgeGraph or extra KG file(s); labels: extra label TOML file(s).
    progress: callable(bytes_read) for progress bars.
    """
    graph = _resolve_kg(kg)
    label_map = load_label_map(labels, graph)
    if path is None:
        path, shown = Path(str(sample_path())), SAMPLE_SOURCE
    else:
        path = Path(path)
        shown = str(path)
    f = csvread.open_binary(path)
    with f:
        blocks = csvread.read_blocks(f, shown, chunk_bytes)
        first = next(blocks, None)
        if first is None or not first.strip():
            raise PacketclipError(f"{shown}: file is empty; give a CSV with a header line and flow rows")
        header, rest = csvread.split_header(first, shown)
        dialect = dialects.detect(header, shown, dialect)
        if time_unit is not None and time_unit not in dialects.TIME_UNITS:
            raise PacketclipError(f"--time-unit {time_unit}: unknown unit; use one of {', '.join(dialects.TIME_UNITS)}")
        layout = csvread.Layout(shown, header, dialect)
        if layout.label is None and require_label:
            raise PacketclipError(f"{shown}: no label column (looked for 'Label'/'label' in the header); "
                                  "add a Label column naming each flow's class")
        report = CleaningReport(source=shown, dialect=dialect.name, meta=sorted(layout.meta, key=META_FIELDS.index),
                                dropped_columns=[list(d) for d in layout.dropped_columns],
                                ignored_columns=layout.ignored_columns)
        hint = _rows_hint(path, first)
        acc = _Accumulator(layout, report, label_map, graph, strict, drop_bad_rows, drop_unknown, shown,
                           dialect, time_unit, hint)
        bad = {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # loadtxt's "no data" on blank blocks
            for arr, line in csvread.iter_chunks(shown, layout, rest, blocks, drop_bad_rows, bad):
                acc.add(arr, line)
                del arr
                _release_free_memory()
                if progress:
                    progress(_tell(f))
        for why, n in bad.items():
            report.rows_read += n
            report.add_drop("non_numeric", n, why)
    if report.rows_read == 0:
        raise PacketclipError(f"{shown}: has a header but no flow rows; give a file with data")
    table = acc.finish(drop_duplicates, drop_constant)
    if len(table) == 0:
        raise PacketclipError(f"{shown}: no rows left after cleaning ({report.dropped}); check the file with `packetclip data inspect`")
    return table


def _rows_hint(path, first_block):
    """Upper-ish estimate of the row count: file size (gzip: from its trailer) / bytes per row."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            if f.read(2) == b"\x1f\x8b" and size >= 18:
                f.seek(-4, 2)
                size = max(size, int.from_bytes(f.read(4), "little"))  # ISIZE: uncompressed size mod 2**32
    except OSError:
        return 0
    lines = max(first_block.count("\n"), 1)
    return int(size / (len(first_block) / lines) * 1.2) + 1024


def _release_free_memory():
    """Give freed heap pages back to the OS between chunks (glibc keeps them otherwise, and the
    per-chunk parse buffers would pile up as resident memory). No-op off glibc."""
    global _TRIM
    if _TRIM is None:
        try:
            import ctypes
            _TRIM = ctypes.CDLL("libc.so.6").malloc_trim
        except (OSError, AttributeError):
            _TRIM = False
    if _TRIM:
        _TRIM(0)


_TRIM = None


def _tell(f):
    try:
        raw = getattr(f, "fileobj", None) or f
        return raw.tell()
    except (OSError, ValueError):
        return 0


class _Accumulator:
    """Cleans chunk by chunk and keeps only kept rows, so memory stays near the output size."""

    def __init__(self, layout, report, label_map, kg, strict, drop_bad_rows, drop_unknown, shown, dialect,
                 time_unit=None, hint=0):
        self.layout, self.report, self.label_map, self.kg = layout, report, label_map, kg
        self.dialect, self.time_unit = dialect, time_unit
        self.strict, self.drop_bad_rows, self.drop_unknown, self.shown = strict, drop_bad_rows, drop_unknown, shown
        self.X, self.cls, self.hash = _Grow(hint), _Grow(hint), _Grow(hint)
        self.meta = {k: _Grow(hint) for k in layout.meta}
        self.classes = []            # class id per code
        self.ts_cache = {}

    def _code(self, cls):
        if cls not in self.classes:
            self.classes.append(cls)
        return self.classes.index(cls)

    def add(self, arr, line):
        n = len(arr)
        if n == 0:
            return
        rep = self.report
        rep.rows_read += n
        X = self.X.reserve(n, len(FEATURES))  # parse straight into the growing output buffer
        offs = [arr.dtype.fields[f"f{j}"][1] for j in range(len(FEATURES))]
        if all(b - a == 8 for a, b in itertools.pairwise(offs)):  # features side by side: one strided copy
            X[:] = np.ndarray((n, len(FEATURES)), np.float64, arr, offs[0], (arr.dtype.itemsize, 8))
        else:
            for j in range(len(FEATURES)):
                X[:, j] = arr[f"f{j}"]
        keep = np.ones(n, dtype=bool)
        # labels
        if "label" in arr.dtype.names:
            raw = arr["label"]
            uniq, inv = np.unique(raw, return_inverse=True)
            mapped = map_labels(uniq, self.label_map)
            stripped = [str(u).strip() for u in uniq]
            counts = np.bincount(inv, minlength=len(uniq))
            for s, m, c in zip(stripped, mapped, counts, strict=True):
                rep.raw_labels[s] = rep.raw_labels.get(s, 0) + int(c)
                if m == UNKNOWN:
                    if self.strict:
                        row = int(np.flatnonzero(inv == stripped.index(s))[0])
                        raise PacketclipError(
                            f"{self.shown}: line {line + row}, column 'Label': unknown label {s!r} (--strict); "
                            f"map it in a --labels TOML file ([labels] {s!r} = \"<class>\") or drop --strict")
                    rep.unknown_labels[s] = rep.unknown_labels.get(s, 0) + int(c)
            codes = np.array([self._code(m) for m in mapped], dtype=np.int16)[inv]
            if self.drop_unknown and UNKNOWN in mapped:
                unk = codes == self._code(UNKNOWN)
                rep.add_drop("unknown_label", int((unk & keep).sum()))
                keep &= ~unk
        else:
            codes = np.full(n, self._code(UNKNOWN), dtype=np.int16)
        # metadata
        meta = {}
        for name in self.layout.meta:
            if name == "timestamp":
                ts, badts = parse_timestamps(arr["timestamp"], self.ts_cache)
                badts |= np.isnan(ts)  # an empty cell is as unusable as a garbled one
                if badts.any():
                    r = int(np.flatnonzero(badts)[0])
                    if not self.drop_bad_rows:
                        cell = str(arr["timestamp"][r]).strip()
                        # (the block reader turned empty cells into 'nan')
                        what = f"cannot read {cell!r} as a time" if cell.lower() not in ("", "nan") else "the cell is empty"
                        raise PacketclipError(
                            f"{self.shown}: line {line + r}, column '{self.layout.header[self.layout.meta['timestamp']]}': {what}; "
                            f"this dialect writes {self.dialect.timestamps!r} (ISO 'YYYY-MM-DD HH:MM:SS', "
                            "'d/m/yyyy h:mm[:ss] [AM|PM]' and epoch seconds are read too); fix the cell or pass --drop-bad-rows")
                    rep.add_drop("bad_timestamp", int((badts & keep).sum()))
                    keep &= ~badts
                meta[name] = ts
            elif name in META_NUMERIC:
                meta[name] = arr[name]
            else:
                meta[name] = _narrow(np.strings.strip(arr[name]))  # fixed width for hashing below
        # cleaning: inf/NaN, then negative times
        finite = np.isfinite(X)
        nonfinite = ~finite.all(axis=1) & keep
        if nonfinite.any():
            bad_cols = (~finite[nonfinite]).sum(axis=0)
            rep.add_drop("nonfinite", int(nonfinite.sum()))
            for j in np.flatnonzero(bad_cols):
                rep.dropped_by_column.setdefault("nonfinite", {})
                d = rep.dropped_by_column["nonfinite"]
                d[FEATURES[j]] = d.get(FEATURES[j], 0) + int(bad_cols[j])
            keep &= ~nonfinite
        neg = X[:, _TIME_IDX] < 0
        negrow = neg.any(axis=1) & keep
        if negrow.any():
            rep.add_drop("negative_time", int(negrow.sum()))
            cols = neg[negrow].sum(axis=0)
            d = rep.dropped_by_column.setdefault("negative_time", {})
            for j in np.flatnonzero(cols):
                d[TIME_FEATURES[j]] = d.get(TIME_FEATURES[j], 0) + int(cols[j])
            keep &= ~negrow
        if not keep.all():
            k = int(keep.sum())
            X[:k] = X[keep]
            X = X[:k]
            codes = codes[keep]
            meta = {name: v[keep] for name, v in meta.items()}
        X += 0.0  # -0.0 -> 0.0 so equal rows hash equal
        self.hash.append(_row_hashes(X, codes, meta))
        self.X.commit(len(X))
        self.cls.append(codes)
        for name, v in meta.items():
            # addresses as numpy's variable-width strings: 16 bytes a row instead of 4 per character
            self.meta[name].append(v.astype(_STR) if v.dtype.kind == "U" else v)

    def finish(self, drop_duplicates, drop_constant):
        rep, kg = self.report, self.kg
        self.ts_cache = None  # one entry per distinct timestamp string: no longer needed
        X = self.X.result(np.float64, (0, len(FEATURES)))
        n = len(X)
        codes = self.cls.result(np.int16, (0,))
        meta = {k: v.result(np.float64, (0,)) for k, v in self.meta.items()}
        features = list(FEATURES)
        if drop_duplicates and n:
            first = _first_occurrence(X, codes, meta, self.hash.result(np.uint64, (0,)))
            dup = first != np.arange(n)
            rep.add_drop("duplicate", int(dup.sum()))
            if dup.any():
                keep_idx = np.flatnonzero(~dup)
                _compact_rows(X, keep_idx)
                X = _shrink(X, len(keep_idx))
                codes = codes[keep_idx]
                meta = {k: v[keep_idx] for k, v in meta.items()}
        _release_free_memory()  # the dedup temporaries, before the label arrays are built
        if len(X):
            self._time_unit(X)
        if len(X):
            lo, hi = X.min(axis=0), X.max(axis=0)
            const = [f for f, a, b in zip(features, lo, hi, strict=True) if a == b]
            rep.constant_columns = const
            rep.identical_columns = _identical_columns(X, features, set(const))
            if drop_constant and const:
                keep_cols = [j for j, f in enumerate(features) if f not in const]
                X = np.ascontiguousarray(X[:, keep_cols])
                features = [features[j] for j in keep_cols]
                rep.constant_columns_dropped = True
        classes = np.array(self.classes or [UNKNOWN])
        labels = classes[codes] if len(codes) else np.empty(0, dtype=classes.dtype)
        mission_of = np.array([kg.mission_of(c) if c == UNKNOWN or kg.has_technique(c) else UNKNOWN for c in classes])
        missions = mission_of[codes] if len(codes) else np.empty(0, dtype=mission_of.dtype)
        rep.rows_kept = len(labels)
        counts = np.bincount(codes, minlength=len(classes)) if len(codes) else np.zeros(len(classes), np.int64)
        rep.classes = dict(sorted(((str(c), int(k)) for c, k in zip(classes, counts, strict=True) if k), key=lambda kv: (-kv[1], kv[0])))
        mcount = {}
        for m, k in zip(mission_of.tolist(), counts.tolist(), strict=True):
            mcount[m] = mcount.get(m, 0) + k
        rep.missions = {m: mcount[m] for m in kg.missions + [UNKNOWN] if mcount.get(m)}
        full_meta = {k: meta.get(k) for k in META_FIELDS}
        _release_free_memory()
        return FlowTable(X, features, labels, missions, full_meta, rep, self.layout.dialect, self.shown, kg.version)


    def _time_unit(self, X):
        """Find (or check) the unit of the time columns and convert them to microseconds in place."""
        f = FEATURES.index
        detected, evidence = dialects.detect_time_unit(
            X[:, f("flow_duration")], X[:, f("fwd_packets")] + X[:, f("bwd_packets")], X[:, f("flow_packets_per_s")])
        unit, how = dialects.resolve_time_unit(self.dialect, self.time_unit, detected, evidence, self.shown)
        rep = self.report
        rep.time_unit, rep.time_unit_how, rep.time_unit_evidence = dialects.TIME_UNITS[unit][0], how, evidence
        factor = dialects.TIME_UNITS[unit][1]
        if factor != 1.0:
            X[:, _TIME_IDX] *= factor


class _Grow:
    """An output array sized once from an estimate of the row count.

    Untouched pages of a big allocation cost no RAM, so over-estimating is free; a wrong
    estimate falls back to grow-and-copy. (ndarray.resize would zero-fill the new part.)"""

    def __init__(self, hint=0):
        self.buf, self.n, self.hint = None, 0, hint

    def _ensure(self, need, tail, dtype):
        if self.buf is None:
            self.buf = np.empty((max(need, self.hint, 1024),) + tail, dtype=dtype)
        grow = need > len(self.buf)
        wider = np.dtype(dtype).itemsize > self.buf.dtype.itemsize  # wider strings arrived
        if grow or wider:
            new = np.empty((max(need, int(len(self.buf) * 1.5)) if grow else len(self.buf),) + tail,
                           dtype=dtype if wider else self.buf.dtype)
            new[:self.n] = self.buf[:self.n]  # copy only the filled rows
            self.buf = new

    def reserve(self, k, width):
        """A writable view of the next k rows; commit(m) keeps the first m of them."""
        self._ensure(self.n + k, (width,), np.float64)
        return self.buf[self.n:self.n + k]

    def commit(self, m):
        self.n += m

    def append(self, v):
        self._ensure(self.n + len(v), v.shape[1:], v.dtype)
        self.buf[self.n:self.n + len(v)] = v
        self.n += len(v)

    def result(self, dtype, empty_shape):
        if self.buf is None:
            return np.empty(empty_shape, dtype=dtype)
        out, self.buf = self.buf, None
        out.resize((self.n,) + out.shape[1:], refcheck=False)  # shrinking: realloc gives pages back
        return out


def _narrow(v):
    """Smallest fixed width that holds these strings (the parse buffer is wide)."""
    w = int(np.strings.str_len(v).max()) if len(v) else 1
    return v.astype(f"U{max(w, 1)}")


_STR = np.dtypes.StringDType()
_MASK = np.uint64(0x9E3779B97F4A7C15)


def _mix(h, v):
    """Fold a uint64 column into a running uint64 hash (wrap-around arithmetic)."""
    h ^= v + _MASK + (h << np.uint64(6)) + (h >> np.uint64(2))
    return h


_MULT = np.random.default_rng(12345).integers(1, 2**63, size=256, dtype=np.uint64) | np.uint64(1)


def _row_hashes(X, codes, meta, block=1 << 15):
    """64-bit hash per row over features, class and metadata, computed in row blocks."""
    mult = _MULT[:X.shape[1]]
    strs = {k: v for k, v in meta.items() if v is not None and v.dtype.kind == "U"}
    smult = {k: _MULT[:max(1, v.dtype.itemsize // 4)] for k, v in strs.items()}
    h = np.empty(len(X), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for s in range(0, len(X), block):
            e = min(s + block, len(X))
            hb = (X[s:e].view(np.uint64) * mult).sum(axis=1)
            hb = _mix(hb, codes[s:e].astype(np.uint64))
            for name in META_FIELDS:
                v = meta.get(name)
                if v is None:
                    continue
                if name in strs:
                    w = v.dtype.itemsize // 4
                    cps = v[s:e].view(np.uint32).reshape(e - s, w) if w else np.zeros((e - s, 1), np.uint32)
                    hb = _mix(hb, (cps * smult[name]).sum(axis=1, dtype=np.uint64))
                else:
                    hb = _mix(hb, np.nan_to_num(v[s:e].astype(np.float64), nan=-1.0).view(np.uint64))
            h[s:e] = hb
    return h


def _first_occurrence(X, codes, meta, h):
    """Index of the first identical row for every row (itself when it is the first)."""
    _, first_idx, inv = np.unique(h, return_index=True, return_inverse=True)
    first = first_idx[inv]
    cand = np.flatnonzero(first != np.arange(len(X)))
    if len(cand):  # confirm hash matches cell by cell; a collision keeps the row
        same = (X[cand] == X[first[cand]]).all(axis=1) & (codes[cand] == codes[first[cand]])
        for v in meta.values():
            if v is not None:
                same &= (v[cand] == v[first[cand]]) | ((v[cand] != v[cand]) & (v[first[cand]] != v[first[cand]]))
        first[cand[~same]] = cand[~same]
    return first


def _compact_rows(X, keep_idx, block=1 << 15):
    """Move rows keep_idx to the front in place (keep_idx is increasing, so reads stay ahead of writes)."""
    for s in range(0, len(keep_idx), block):
        e = min(s + block, len(keep_idx))
        X[s:e] = X[keep_idx[s:e]]


def _shrink(X, n):
    if n == len(X):
        return X
    try:
        X.resize((n, X.shape[1]), refcheck=False)
        return X
    except ValueError:
        return X[:n].copy()


def _identical_columns(X, features, skip=(), block=1 << 13):
    """Pairs of non-constant features whose columns are equal on every kept row (informational).

    Columns are compared by a 64-bit hash computed in row blocks (no copy of X), then confirmed."""
    rng = np.random.default_rng(54321)
    sig = np.zeros(X.shape[1], dtype=np.uint64)
    with np.errstate(over="ignore"):
        for s in range(0, len(X), block):
            e = min(s + block, len(X))
            w = rng.integers(1, 2**63, size=(e - s, 1), dtype=np.uint64) | np.uint64(1)
            sig += (X[s:e].view(np.uint64) * w).sum(axis=0, dtype=np.uint64)
    seen, pairs = {}, []
    for j, f in enumerate(features):
        if f in skip:
            continue
        k = int(sig[j])
        if k in seen and np.array_equal(X[:, j], X[:, seen[k]]):
            pairs.append([f, features[seen[k]]])
        else:
            seen.setdefault(k, j)
    return pairs
