"""Labelling rules: a TOML file of address/port/protocol/time rules -> a label per flow.

    default = "benign"          # label of flows no rule matches; without it: "unknown", reported
    [[rule]]
    label = "port_scan"
    host = "10.213.0.101"       # either endpoint; a CIDR ("10.213.0.96/28") or a list of them
    start = 1795925906.6        # optional window on the flow's start: unix seconds or RFC 3339
    end = "2026-11-29T04:18:38Z"
    # optional: src, dst (that endpoint only), port (either endpoint's port; a number or a
    # list), protocol ("tcp", "udp", "icmp", "icmpv6" or a number)

Rules are tried in file order and the first that matches a flow labels it. The schema is
checked when the file is loaded: every message names the file, the field (with its
[[rule]] number, counted from 1) and the fix. Matching is vectorised: addresses are parsed
once per distinct value, then every condition is a numpy mask over all flows.
"""

import ipaddress
import tomllib
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from packetclip.errors import PacketclipError

UNKNOWN = "unknown"
PROTOCOLS = {"tcp": 6, "udp": 17, "icmp": 1, "icmpv6": 58}
_KEYS = ("label", "host", "src", "dst", "port", "protocol", "start", "end")
_TIME_FIX = "write unix seconds (1795925906.6) or RFC 3339 with a zone ('2026-11-29T04:18:38Z')"
# which flow column each condition needs
_NEEDS = {"host": ("src_ip", "dst_ip"), "src": ("src_ip",), "dst": ("dst_ip",),
          "port": ("src_port", "dst_port"), "protocol": ("protocol",), "start": ("timestamp",),
          "end": ("timestamp",)}


@dataclass(frozen=True)
class Rule:
    number: int               # 1-based position in the file, as the messages count
    label: str
    host: tuple = ()          # ip_network objects; empty = any
    src: tuple = ()
    dst: tuple = ()
    port: tuple = ()          # ints
    protocol: int = None
    start: float = None       # unix seconds
    end: float = None

    def describe(self):
        def show(v):
            if isinstance(v, (ipaddress.IPv4Network, ipaddress.IPv6Network)) and v.num_addresses == 1:
                return str(v.network_address)
            return str(v)

        parts = [f"{k} {','.join(map(show, getattr(self, k)))}" for k in ("host", "src", "dst", "port")
                 if getattr(self, k)]
        if self.protocol is not None:
            names = {v: k for k, v in PROTOCOLS.items()}
            parts.append(f"protocol {names.get(self.protocol, self.protocol)}")
        for k in ("start", "end"):
            if getattr(self, k) is not None:
                parts.append(f"{k} {_iso(getattr(self, k))}")
        return f"[[rule]] {self.number} {self.label!r}" + (f" ({', '.join(parts)})" if parts else "")

    def needs(self):
        return sorted({c for k, cols in _NEEDS.items() if getattr(self, k) not in ((), None) for c in cols})


@dataclass(frozen=True)
class Rules:
    source: str
    rules: tuple
    default: str = None

    def labels(self):
        return [r.label for r in self.rules] + ([self.default] if self.default else [])


# ---------------------------------------------------------------- loading and schema

def load_rules(path):
    """Read and check a rules TOML file; raises PacketclipError naming file, field and fix."""
    name = str(path)
    try:
        doc = tomllib.loads(_read_text(Path(path)))
    except tomllib.TOMLDecodeError as exc:
        raise PacketclipError(f"{name}: not valid TOML ({exc}); fix the syntax (see `packetclip data label --help`)") from None
    return parse_rules(doc, name)


def _read_text(path, limit=1 << 20):
    """A small UTF-8 text file; refuses directories, FIFOs and devices before opening them."""
    try:
        st = path.stat()
    except OSError as exc:
        raise PacketclipError(f"{path}: cannot read the rules file ({exc.strerror}); check the --rules path") from None
    import stat
    if not stat.S_ISREG(st.st_mode):
        raise PacketclipError(f"{path}: not a regular file; give a rules TOML file to --rules")
    if st.st_size > limit:
        raise PacketclipError(f"{path}: {st.st_size:,} bytes is too large for a rules file (limit {limit:,}); check the path")
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PacketclipError(f"{path}: not UTF-8 text (byte {exc.start}); save the rules file as UTF-8") from None


def parse_rules(doc, name="rules"):
    unknown = sorted(set(doc) - {"default", "rule"})
    if unknown:
        raise PacketclipError(f"{name}: unknown top-level key {unknown[0]!r}; only 'default' and [[rule]] tables belong there")
    default = doc.get("default")
    if default is not None and (not isinstance(default, str) or not default.strip()):
        raise PacketclipError(f"{name}: 'default' must be a non-empty label string such as \"benign\"; fix or remove it")
    raw = doc.get("rule", [])
    if not isinstance(raw, list) or not all(isinstance(r, dict) for r in raw):
        raise PacketclipError(f"{name}: 'rule' must be an array of tables, written [[rule]]; fix the file")
    if not raw:
        raise PacketclipError(f"{name}: no [[rule]] tables; add at least one [[rule]] with a label and a condition")
    rules = tuple(_rule(r, i + 1, name) for i, r in enumerate(raw))
    return Rules(name, rules, default.strip() if default else None)


def _rule(r, n, name):
    where = f"{name}: [[rule]] {n}"
    bad = sorted(set(r) - set(_KEYS))
    if bad:
        raise PacketclipError(f"{where}: unknown field {bad[0]!r}; the fields are {', '.join(_KEYS)}")
    label = r.get("label")
    if not isinstance(label, str) or not label.strip():
        raise PacketclipError(f"{where}: field 'label' is {'missing' if label is None else 'not a non-empty string'}; "
                              "add label = \"<class>\"")
    kw = {k: _networks(r[k], f"{where}, field {k!r}") for k in ("host", "src", "dst") if k in r}
    if "port" in r:
        kw["port"] = _ports(r["port"], f"{where}, field 'port'")
    if "protocol" in r:
        kw["protocol"] = _protocol(r["protocol"], f"{where}, field 'protocol'")
    for k in ("start", "end"):
        if k in r:
            kw[k] = parse_time(r[k], f"{where}, field {k!r}")
    if kw.get("start") is not None and kw.get("end") is not None and kw["start"] > kw["end"]:
        raise PacketclipError(f"{where}: start {_iso(kw['start'])} is after end {_iso(kw['end'])}; swap them or fix the window")
    if not kw:
        raise PacketclipError(f"{where}: no condition, so it would take every flow; add host, src, dst, port, "
                              "protocol or start/end (or use 'default' for a catch-all label)")
    return Rule(n, label.strip(), **kw)


def _networks(v, where):
    items = v if isinstance(v, list) else [v]
    if not items or not all(isinstance(s, str) for s in items):
        raise PacketclipError(f"{where}: expected an address or CIDR string (or a list of them), got {v!r}; "
                              "write e.g. \"10.213.0.101\" or \"10.213.0.96/28\"")
    nets = []
    for s in items:
        try:
            nets.append(ipaddress.ip_network(s.strip(), strict=False))
        except ValueError:
            raise PacketclipError(f"{where}: {s!r} is not an IP address or CIDR; write e.g. \"10.213.0.101\", "
                                  "\"10.213.0.96/28\" or \"fd00::/64\"") from None
    return tuple(nets)


def _ports(v, where):
    items = v if isinstance(v, list) else [v]
    if not items or not all(isinstance(p, int) and not isinstance(p, bool) and 0 <= p <= 65535 for p in items):
        raise PacketclipError(f"{where}: expected a port number 0-65535 (or a list of them), got {v!r}; fix the value")
    return tuple(items)


def _protocol(v, where):
    if isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 255:
        return v
    if isinstance(v, str) and v.strip().lower() in PROTOCOLS:
        return PROTOCOLS[v.strip().lower()]
    raise PacketclipError(f"{where}: unknown protocol {v!r}; use \"tcp\", \"udp\", \"icmp\", \"icmpv6\" "
                          "or an IP protocol number 0-255")


def parse_time(v, where):
    """Unix seconds from a number, an RFC 3339 string or a TOML offset date-time."""
    if isinstance(v, bool):
        pass
    elif isinstance(v, (int, float)):
        if np.isfinite(v) and 0 <= v < 1e11:
            return float(v)
        raise PacketclipError(f"{where}: {v!r} is not a time in unix seconds (0 to 1e11); {_TIME_FIX}")
    elif isinstance(v, datetime):
        if v.tzinfo is None:
            raise PacketclipError(f"{where}: {v.isoformat()} has no time zone; add 'Z' or an offset such as +02:00")
        return v.timestamp()
    elif isinstance(v, str):
        s = v.strip()
        try:
            return parse_time(float(s), where)
        except ValueError:
            pass
        try:
            t = datetime.fromisoformat(s[:-1] + "+00:00" if s[-1:] in "zZ" and s else s)
        except ValueError:
            raise PacketclipError(f"{where}: cannot read {v!r} as a time; {_TIME_FIX}") from None
        if "T" not in s.upper() and " " not in s:
            raise PacketclipError(f"{where}: {v!r} is a date without a time; {_TIME_FIX}")
        return parse_time(t, where)
    raise PacketclipError(f"{where}: expected a time, got {v!r}; {_TIME_FIX}")


def _iso(t):
    return datetime.fromtimestamp(t, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# ---------------------------------------------------------------- matching

@dataclass
class Labelling:
    labels: np.ndarray        # str per flow
    taken: list               # flows each rule took, in rule order
    unmatched: int            # flows no rule matched (labelled default or "unknown")
    default: str = None

    def to_dict(self, rules):
        return {"rules": [{"rule": r.number, "label": r.label, "flows": int(k), "match": r.describe()}
                          for r, k in zip(rules.rules, self.taken)],
                "unmatched": int(self.unmatched), "unmatched_label": self.default or UNKNOWN,
                "classes": dict(sorted(_counts(self.labels).items(), key=lambda kv: (-kv[1], kv[0])))}

    def to_text(self, rules):
        w = max(len(r.describe()) for r in rules.rules)
        lines = [f"  {r.describe():<{w}}  {k:>8,} flows" for r, k in zip(rules.rules, self.taken)]
        tail = (f"default {self.default!r}" if self.default else f"{UNKNOWN!r} (no default in {rules.source})")
        lines.append(f"  {'no rule matched -> ' + tail:<{w}}  {self.unmatched:>8,} flows")
        return "\n".join(lines)


def _counts(labels):
    u, c = np.unique(labels, return_counts=True)
    return dict(zip(u.tolist(), c.tolist()))


def _in_networks(addrs, nets):
    """Mask: address string in any of `nets`; parsed once per distinct address."""
    uniq, inv = np.unique(np.asarray(addrs), return_inverse=True)  # object, str or StringDType
    hit = np.zeros(len(uniq), dtype=bool)
    for i, a in enumerate(uniq.tolist()):
        try:
            ip = ipaddress.ip_address(str(a).strip())
        except ValueError:
            continue  # an empty or odd cell matches no address rule
        hit[i] = any(ip.version == n.version and ip in n for n in nets)
    return hit[inv.reshape(-1)]


def apply_rules(rules, meta, source="flows", allow_unmatched=False):
    """Label flows by `rules` (first match wins). `meta`: column name -> array (src_ip, dst_ip,
    src_port, dst_port, protocol, timestamp as unix seconds). Returns a Labelling.

    Every rule must take at least one flow (a rule that takes none is almost always a wrong
    address or window, and would silently leave attack flows under the default label) unless
    `allow_unmatched`; a file none of whose rules match anything is always an error."""
    n = len(next(iter(v for v in meta.values() if v is not None)))
    for r in rules.rules:
        missing = [c for c in r.needs() if meta.get(c) is None]
        if missing:
            raise PacketclipError(f"{source}: no {missing[0]!r} column, which {rules.source} {r.describe()} needs; "
                                  "label flows that carry addresses, ports and timestamps (`packetclip data flows` writes them)")
    cache = {}

    def member(col, nets):
        key = (col, nets)
        if key not in cache:
            cache[key] = _in_networks(meta[col], nets)
        return cache[key]

    free = np.ones(n, dtype=bool)
    out = np.full(n, rules.default or UNKNOWN, dtype=object)
    taken = []
    for r in rules.rules:
        m = free.copy()
        if r.host:
            m &= member("src_ip", r.host) | member("dst_ip", r.host)
        if r.src:
            m &= member("src_ip", r.src)
        if r.dst:
            m &= member("dst_ip", r.dst)
        if r.port:
            ports = np.asarray(r.port)
            m &= np.isin(np.asarray(meta["src_port"]), ports) | np.isin(np.asarray(meta["dst_port"]), ports)
        if r.protocol is not None:
            m &= np.asarray(meta["protocol"]) == r.protocol
        if r.start is not None or r.end is not None:
            t = np.asarray(meta["timestamp"], dtype=np.float64)
            if r.start is not None:
                m &= t >= r.start
            if r.end is not None:
                m &= t <= r.end
        out[m] = r.label
        free &= ~m
        taken.append(int(m.sum()))
    if not any(taken):
        raise PacketclipError(f"{rules.source}: no rule matched any of the {n:,} flows of {source}{_span(meta)}; "
                              "check the addresses and time windows against the flows (`packetclip data inspect`)")
    idle = [r for r, k in zip(rules.rules, taken) if k == 0]
    if idle and not allow_unmatched:
        raise PacketclipError(f"{rules.source}: {idle[0].describe()} matched no flow of {source}{_span(meta)} "
                              "(an earlier rule may take them all); fix the rule or pass --allow-unmatched")
    return Labelling(out, taken, int(free.sum()), rules.default)


def _span(meta):
    t = meta.get("timestamp")
    if t is None or len(t) == 0:
        return ""
    t = np.asarray(t, dtype=np.float64)
    return f" (flows start {_iso(np.nanmin(t))} to {_iso(np.nanmax(t))})"


def check_labels(rules, label_files=(), kg_files=()):
    """Every label of the rules must be a class the taxonomy knows (else the output reads as 'unknown')."""
    from packetclip.data.kg import load_kg
    from packetclip.data.labels import load_label_map, map_labels

    graph = load_kg(list(kg_files))
    mapping = load_label_map(list(label_files), graph)
    for r, cls in zip(list(rules.rules) + [None], map_labels(rules.labels(), mapping)):
        if cls == UNKNOWN:
            what = r.describe() if r else "'default'"
            label = r.label if r else rules.default
            raise PacketclipError(f"{rules.source}: {what}: label {label!r} is not a class of the label taxonomy; "
                                  f"use one of {', '.join(graph.techniques)} or map it with --labels FILE.toml")


def label_csv(flows, rules_path, out, dialect=None, labels=(), kg_files=(), allow_unmatched=False):
    """`data label`: read a flow CSV, label it by the rules file, write the canonical CSV atomically.

    Returns (Rules, Labelling, FlowTable as written)."""
    from dataclasses import replace

    from packetclip.data.csvwrite import write_flows_csv
    from packetclip.data.flows import load_flows

    rules = load_rules(rules_path)
    check_labels(rules, labels, kg_files)
    table = load_flows(flows, dialect=dialect, require_label=False, drop_duplicates=False, kg=list(kg_files),
                       labels=list(labels))
    lab = apply_rules(rules, table.meta, source=str(flows), allow_unmatched=allow_unmatched)
    table = replace(table, labels=lab.labels.astype(str))
    write_flows_csv(table, out)
    return rules, lab, table
