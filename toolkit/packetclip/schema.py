"""File formats declared once and checked when a file is loaded.

A format is a dict of `Field`s; `check(doc, fields, where)` walks the document, fills defaults
and raises one PacketclipError line naming the file, the field and the fix:

    lab.toml: field 'counter.hz' is 0; it must be at least 1 (counts per second of the board's counter)

Plain Python rather than a schema library: the formats are small TOML/JSON/YAML documents,
the messages must name the fix in the project's words, and ranges often come from registries
(cores, runners, dialects) that a JSON-Schema file could not see. Kinds: str, int, float
(an int is accepted), bool, list (with `items`), table (with `fields`; `open=True` keeps keys
it does not declare); `null=True` also accepts None.
"""

from dataclasses import dataclass, field

from packetclip.errors import PacketclipError

MISSING = object()
_KIND_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "true or false",
               list: "a list", dict: "a table"}


@dataclass
class Field:
    kind: type
    required: bool = True
    default: object = MISSING
    min: float = None
    max: float = None
    choices: object = None          # iterable, or a callable returning one (registries, lazily)
    items: "Field" = None           # list element
    fields: dict = None             # table members
    open: bool = False              # table: undeclared keys allowed
    max_len: int = None             # list or string length
    check: object = None            # callable(value) -> problem string or None
    null: bool = False              # None (JSON null) accepted
    fix: str = ""                   # what to tell the user
    doc: str = field(default="", repr=False)


def _type_ok(kind, v):
    if kind is float:
        return isinstance(v, (int, float)) and not isinstance(v, bool)
    if kind is int:
        return isinstance(v, int) and not isinstance(v, bool)
    return isinstance(v, kind)


def _fail(where, path, problem, fix):
    msg = f"{where}: field '{path}' {problem}"
    raise PacketclipError(msg + (f"; {fix}" if fix else ""))


def check_value(v, f, where, path):
    """One value against its Field; returns it (tables with defaults filled)."""
    if v is None and f.null:
        return None
    if not _type_ok(f.kind, v):
        _fail(where, path, f"must be {_KIND_NAMES.get(f.kind, f.kind.__name__)}, not {type(v).__name__}", f.fix)
    if f.kind in (int, float):
        if v != v or v in (float("inf"), float("-inf")):
            _fail(where, path, f"is {v}", f.fix or "give a finite number")
        if f.min is not None and v < f.min:
            _fail(where, path, f"is {v}; it must be at least {f.min:g}", f.fix)
        if f.max is not None and v > f.max:
            _fail(where, path, f"is {v}; it must be at most {f.max:g}", f.fix)
    if f.max_len is not None and f.kind in (str, list) and len(v) > f.max_len:
        _fail(where, path, f"has {len(v)} {'characters' if f.kind is str else 'items'}; at most {f.max_len} are allowed", f.fix)
    if f.choices is not None:
        choices = list(f.choices() if callable(f.choices) else f.choices)
        if v not in choices:
            _fail(where, path, f"is {v!r}", f"use one of {', '.join(map(str, choices))}" + (f" ({f.fix})" if f.fix else ""))
    if f.kind is list and f.items is not None:
        v = [check_value(x, f.items, where, f"{path}[{i}]") for i, x in enumerate(v)]
    if f.kind is dict and f.fields is not None:
        v = check(v, f.fields, where, path, f.open)
    if f.check is not None:
        problem = f.check(v)
        if problem:
            _fail(where, path, problem, f.fix)
    return v


def check(doc, fields, where, path="", open=False):
    """Check a table against its fields; returns a new dict with defaults filled in."""
    if not isinstance(doc, dict):
        what = f"field '{path}'" if path else "the document"
        raise PacketclipError(f"{where}: {what} must be a table of keys, not {type(doc).__name__}")
    out = {}
    for key, f in fields.items():
        p = f"{path}.{key}" if path else key
        if key in doc:
            out[key] = check_value(doc[key], f, where, p)
        elif f.required:
            _fail(where, p, "is missing", f.fix or "add it")
        elif f.default is not MISSING:
            out[key] = f.default() if callable(f.default) else f.default
    extra = [k for k in doc if k not in fields]
    if extra and not open:
        p = f"{path}.{extra[0]}" if path else str(extra[0])
        _fail(where, p, "is not a known field", f"known fields here: {', '.join(fields)}")
    for k in extra:
        out[k] = doc[k]
    return out
