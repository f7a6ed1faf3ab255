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
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from packetclip.errors import PacketclipError
from packetclip.schema import Field, check

UNKNOWN = "unknown"
PROTOCOLS = {"tcp": 6, "udp": 17, "icmp": 1, "icmpv6": 58}
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
        cols = [c for k, cs in _NEEDS.items() if getattr(self, k) not in ((), None) for c in cs]
        return list(dict.fromkeys(cols))


@dataclass(frozen=True)
class Rules:
    source: str
    rules: tuple
    default: str = None


# ---------------------------------------------------------------- loading and schema

def _as_list(v):
    return v if isinstance(v, list) else [v]


def _net_problem(v):
    items = _as_list(v)
    if not items or not all(isinstance(s, str) for s in items):
        return f"is {v!r}, not an address or CIDR string (or a list of them)"
    for s in items:
        try:
            ipaddress.ip_network(s.strip(), strict=False)
        except ValueError:
            return f"has {s!r}, which is not an IP address or CIDR"
    return None


def _port_problem(v):
    items = _as_list(v)
    ok = items and all(isinstance(p, int) and not isinstance(p, bool) and 0 <= p <= 65535 for p in items)
    return None if ok else f"is {v!r}, not a port number 0-65535 (or a list of them)"


def _protocol_problem(v):
    if isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 255:
        return None
    if isinstance(v, str) and v.strip().lower() in PROTOCOLS:
        return None
    return f"is {v!r}, an unknown protocol"


_NET_FIX = 'write an address or CIDR such as "10.213.0.101", "10.213.0.96/28" or "fd00::/64"'
_TIME = Field(object, required=False, fix=_TIME_FIX)
# The rules file's format (packetclip/schema.py): checked when the file is loaded.
RULE_FORMAT = {
    "label": Field(str, check=lambda v: None if v.strip() else "is empty", fix='add label = "<class>"'),
    "host": Field(object, required=False, check=_net_problem, fix=_NET_FIX),
    "src": Field(object, required=False, check=_net_problem, fix=_NET_FIX),
    "dst": Field(object, required=False, check=_net_problem, fix=_NET_FIX),
    "port": Field(object, required=False, check=_port_problem, fix="write a port number or a list such as [22, 80]"),
    "protocol": Field(object, required=False, check=_protocol_problem,
                      fix='use "tcp", "udp", "icmp", "icmpv6" or an IP protocol number 0-255'),
    "start": _TIME,
    "end": _TIME,
}
RULES_FORMAT = {
    "default": Field(str, required=False, check=lambda v: None if v.strip() else "is empty",
                     fix='give the label of flows no rule matches, such as "benign", or remove it'),
    "rule": Field(list, fix="add [[rule]] tables, each with a label and a condition"),
}


def load_rules(path):
    """Read and check a rules TOML file; raises PacketclipError naming file, field and fix."""
    from packetclip.userfile import load_toml

    return parse_rules(load_toml(path, "rules file"), str(path))


def parse_rules(doc, name="rules"):
    doc = check(doc, RULES_FORMAT, name)
    raw = doc["rule"]
    if not raw:
        raise PacketclipError(f"{name}: no [[rule]] tables; add at least one [[rule]] with a label and a condition")
    rules = tuple(_rule(r, i + 1, name) for i, r in enumerate(raw))
    default = doc.get("default")
    return Rules(name, rules, default.strip() if default else None)


def _rule(r, n, name):
    where = f"{name}: [[rule]] {n}"
    if not isinstance(r, dict):
        raise PacketclipError(f"{where}: is {r!r}, not a table; write each rule as a [[rule]] table")
    r = check(r, RULE_FORMAT, where)
    kw = {k: tuple(ipaddress.ip_network(s.strip(), strict=False) for s in _as_list(r[k]))
          for k in ("host", "src", "dst") if k in r}
    if "port" in r:
        kw["port"] = tuple(_as_list(r["port"]))
    if "protocol" in r:
        v = r["protocol"]
        kw["protocol"] = v if isinstance(v, int) else PROTOCOLS[v.strip().lower()]
    for k in ("start", "end"):
        if k in r:
            kw[k] = parse_time(r[k], f"{where}: field '{k}'")
    if kw.get("start") is not None and kw.get("end") is not None and kw["start"] > kw["end"]:
        raise PacketclipError(f"{where}: field 'start' ({_iso(kw['start'])}) is after 'end' ({_iso(kw['end'])}); "
                              "swap them or fix the window")
    if not kw:
        raise PacketclipError(f"{where}: has no condition, so it would take every flow; add host, src, dst, port, "
                              "protocol or start/end (or use 'default' for a catch-all label)")
    return Rule(n, r["label"].strip(), **kw)


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
    return datetime.fromtimestamp(t, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# ---------------------------------------------------------------- matching

@dataclass
class Labelling:
    labels: np.ndarray        # str per flow
    taken: list               # flows each rule took, in rule order
    unmatched: int            # flows no rule matched (labelled default or "unknown")
    default: str = None

    def to_dict(self, rules):
        return {"rules": [{"rule": r.number, "label": r.label, "flows": int(k), "match": r.describe()}
                          for r, k in zip(rules.rules, self.taken, strict=True)],
                "unmatched": int(self.unmatched), "unmatched_label": self.default or UNKNOWN,
                "classes": dict(sorted(_counts(self.labels).items(), key=lambda kv: (-kv[1], kv[0])))}

    def to_text(self, rules):
        w = max(len(r.describe()) for r in rules.rules)
        lines = [f"  {r.describe():<{w}}  {k:>8,} flows" for r, k in zip(rules.rules, self.taken, strict=True)]
        tail = (f"default {self.default!r}" if self.default else f"{UNKNOWN!r} (no default in {rules.source})")
        lines.append(f"  {'no rule matched -> ' + tail:<{w}}  {self.unmatched:>8,} flows")
        return "\n".join(lines)


def _counts(labels):
    u, c = np.unique(labels, return_counts=True)
    return dict(zip(u.tolist(), c.tolist(), strict=True))


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
    for r in rules.rules:
        missing = [c for c in r.needs() if meta.get(c) is None]
        if missing:
            raise PacketclipError(f"{source}: no {missing[0]!r} column, which {rules.source} {r.describe()} needs; "
                                  "label flows that carry addresses, ports and timestamps (`packetclip data flows` writes them)")
    n = len(meta[rules.rules[0].needs()[0]])  # every rule has a condition, so needs a column
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
    idle = [r for r, k in zip(rules.rules, taken, strict=True) if k == 0]
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
    named = [(r.describe(), r.label) for r in rules.rules] + ([("'default'", rules.default)] if rules.default else [])
    for (what, label), cls in zip(named, map_labels([lb for _, lb in named], mapping), strict=True):
        if cls == UNKNOWN:
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
