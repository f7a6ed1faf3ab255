"""Chunked CSV reading for flow files: header, dialect detection, numpy-parsed chunks.

Why numpy's `loadtxt`: it parses in C (about 200k rows/s for 85-column rows here), takes a
structured dtype so numbers and strings come out of one pass, and needs no extra dependency.
Files are read in blocks of bytes so a file larger than memory streams through; a block that
loadtxt rejects is re-parsed row by row to name the exact line and column.
"""

import csv
import gzip
import io
import zlib

import numpy as np

from packetclip import userfile
from packetclip.data import dialects
from packetclip.data.schema import FEATURES, LABEL_NAMES, META_FIELDS, META_NUMERIC, norm_name
from packetclip.errors import PacketclipError

CHUNK_BYTES = 4 << 20
MAX_LINE_BYTES = 1 << 20      # longest line accepted (the longest real header is ~2 KiB)
_STR_WIDTH = {"src_ip": 45, "dst_ip": 45, "timestamp": 32, "label": 48}


def open_binary(path):
    """Binary file object; gzip is recognised by its magic bytes, not only by '.gz'."""
    path = userfile.regular_file(path, "flow CSV")   # never block on a FIFO or read /dev/zero
    try:
        f = open(path, "rb")
    except OSError as exc:
        raise PacketclipError(f"{path}: cannot read the flow CSV ({exc.strerror or exc}); check its permissions") from None
    magic = f.read(2)
    f.seek(0)
    if magic == b"\x1f\x8b":
        return gzip.GzipFile(fileobj=f, mode="rb")
    if path.suffix == ".gz":
        f.close()
        raise PacketclipError(f"{path}: named .gz but is not gzip data; rename it or re-compress it with gzip")
    return f


def read_blocks(f, path, chunk_bytes):
    """Yield decoded text blocks that end at a line boundary."""
    rest = b""
    while True:
        try:
            block = f.read(chunk_bytes)
        except EOFError:
            raise PacketclipError(f"{path}: gzip data is truncated (the file ends early); re-download or re-compress it") from None
        except (gzip.BadGzipFile, zlib.error) as exc:
            raise PacketclipError(f"{path}: corrupt gzip data ({exc}); re-download or re-compress it") from None
        if not block:
            break
        block = rest + block
        cut = block.rfind(b"\n") + 1
        if cut == 0:
            if len(block) > MAX_LINE_BYTES:   # a flow row is a few hundred bytes: this is not a CSV
                raise PacketclipError(f"{path}: a line is longer than {MAX_LINE_BYTES >> 20} MiB; "
                                      "this is not a flow CSV, check the file")
            rest = block
            continue
        rest = block[cut:]
        yield _fill_empty(block[:cut]).decode("utf-8", errors="replace")
    if rest.strip():
        yield _fill_empty(rest + b"\n").decode("utf-8", errors="replace")


def split_header(text, path):
    """(header fields stripped of spaces and BOM, remaining text)."""
    line, _, rest = text.partition("\n")
    line = line.lstrip("\ufeff").rstrip("\r")
    if not line.strip():
        raise PacketclipError(f"{path}: line 1 is empty; the first line must be the CSV header")
    try:
        fields = next(csv.reader([line]))
    except csv.Error as exc:
        raise PacketclipError(f"{path}: line 1 is not a CSV header ({exc}); give a flow CSV") from None
    return [h.strip() for h in fields], rest


class Layout:
    """Where each canonical field sits in a file's columns, for one dialect (a dialects.Dialect)."""

    def __init__(self, path, header, dialect):
        self.path, self.header, self.dialect = path, header, dialect.name
        index = {}
        self.dropped_columns = []  # (name, why)
        for i, h in enumerate(header):
            k = norm_name(h)
            if k in index:
                self.dropped_columns.append((h, f"repeats column {index[k] + 1} '{header[index[k]]}'"))
            else:
                index[k] = i
        for dup in dialect.duplicate_columns:
            if norm_name(dup) in index:
                orig = dup.rsplit(".", 1)[0]
                self.dropped_columns.append((header[index.pop(norm_name(dup))], f"repeats '{orig}'"))
        cols = dialect.columns
        missing = [cols[f] for f in FEATURES if norm_name(cols[f]) not in index]
        if missing:
            more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
            raise PacketclipError(
                f"{path}: header lacks {dialect.name} column(s) {', '.join(repr(m) for m in missing[:5])}{more}; "
                f"add them or pass the right --dialect ({', '.join(dialects.NAMES)})")
        self.features = [index[norm_name(cols[f])] for f in FEATURES]
        self.meta = {}
        for name in META_FIELDS:  # the dialect's spelling first, then any other dialect's
            spellings = [dialect.meta[name]] + [d.meta[name] for d in dialects.DIALECTS.values()]
            for s in spellings:
                if norm_name(s) in index:
                    self.meta[name] = index[norm_name(s)]
                    break
        self.label = next((index[norm_name(n)] for n in LABEL_NAMES if norm_name(n) in index), None)
        used = set(self.features) | set(self.meta.values()) | {self.label}
        dropped = {d[0] for d in self.dropped_columns}
        self.ignored_columns = [h for i, h in enumerate(header) if i not in used and h not in dropped]
        # one structured dtype for a single loadtxt pass, columns in file order
        fields = [(i, f"f{j}", "f8") for j, i in enumerate(self.features)]
        for name, i in self.meta.items():
            fields.append((i, name, "f8" if name in META_NUMERIC else f"U{_STR_WIDTH[name]}"))
        if self.label is not None:
            fields.append((self.label, "label", f"U{_STR_WIDTH['label']}"))
        fields.sort()
        self.usecols = [i for i, _, _ in fields]
        self.dtype = np.dtype([(n, t) for _, n, t in fields])


def _python_parse(text, layout, first_line, drop_bad_rows, bad):
    """Slow exact parse of one block: names the line/column of a bad cell, or drops the row."""
    ncols = len(layout.header)
    rows = []
    line_no = first_line - 1
    reader = csv.reader(io.StringIO(text))
    while True:
        try:
            fields = next(reader, None)
        except csv.Error as exc:          # e.g. a lone carriage return inside a row
            raise PacketclipError(f"{layout.path}: line {line_no + 1} is not a CSV row ({exc}); fix the row") from None
        if fields is None:
            break
        line_no += 1
        if not fields or (len(fields) == 1 and not fields[0].strip()):
            continue
        if len(fields) != ncols:
            msg = f"has {len(fields)} fields but the header has {ncols}"
            if drop_bad_rows:
                bad["wrong field count"] = bad.get("wrong field count", 0) + 1
                continue
            raise PacketclipError(f"{layout.path}: line {line_no} {msg}; fix the row or pass --drop-bad-rows")
        out, ok = [], True
        for (_name, kind), col in zip(layout.dtype.descr, layout.usecols, strict=True):
            cell = fields[col].strip()
            if kind.endswith("f8"):
                if cell == "":
                    out.append(np.nan)
                    continue
                try:
                    out.append(float(cell))
                except ValueError:
                    if drop_bad_rows:
                        ok = False
                        bad["non-numeric cell"] = bad.get("non-numeric cell", 0) + 1
                        break
                    raise PacketclipError(
                        f"{layout.path}: line {line_no}, column '{layout.header[col]}': {cell[:40]!r} is not a number; "
                        f"fix the cell or pass --drop-bad-rows") from None
            else:
                out.append(cell)
        if ok:
            rows.append(tuple(out))
    return np.array(rows, dtype=layout.dtype) if rows else np.empty(0, dtype=layout.dtype)


def iter_chunks(path, layout, text, blocks, drop_bad_rows=False, bad=None):
    """Yield (structured array, first line number) per block; `text` is the first block minus header."""
    line = 2
    for block in _chain(text, blocks):
        n_lines = block.count("\n")
        arr = None
        # loadtxt ignores fields past usecols: rows with too many (or too few) fields, or quoted
        # commas, show up in the comma count and go to the exact parser, which names the line
        fits = block.count(",") == (n_lines - block.count("\n\n")) * (len(layout.header) - 1) and '"' not in block
        for fix in ((None, _fill_edges) if fits else ()):
            try:
                arr = np.loadtxt((fix(block) if fix else block).splitlines(), delimiter=",", dtype=layout.dtype, usecols=layout.usecols,
                                 comments=None, quotechar='"', ndmin=1)
                break
            except ValueError:
                continue
        if arr is None:  # locate the bad cell exactly (or drop its row)
            arr = _python_parse(block, layout, line, drop_bad_rows, bad if bad is not None else {})
        yield arr, line
        line += n_lines


def _fill_empty(block):
    """Empty cells between commas -> 'nan', on the raw bytes (loadtxt rejects empty numbers;
    the CIC files have them in Flow Bytes/s). Line numbers do not change."""
    if b"\r" in block:
        block = block.replace(b"\r\n", b"\n")
    if b",," in block:
        block = block.replace(b",,", b",nan,")
        if b",," in block:  # runs of empty cells
            block = block.replace(b",,", b",nan,")
    return block


def _fill_edges(text):
    """Empty first/last cells -> 'nan' (rare, so only tried when a block fails to parse)."""
    text = text.replace(",\n", ",nan\n").replace("\n,", "\nnan,")
    return "nan" + text if text.startswith(",") else text


def _chain(first, rest):
    if first:
        yield first
    yield from rest
