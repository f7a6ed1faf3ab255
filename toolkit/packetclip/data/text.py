"""Flow descriptions: template sentences filled with a flow's features plus words from its
knowledge-graph node (the text side of PacketCLIP's contrastive pre-training).

The class name itself appears only at rate `class_word_rate`: vocabulary words that
contain a class phrase are held back otherwise, so the teacher has to learn from the
behaviour and the related vocabulary, not from the label word.

    texts = describe_flows(table, kg, seed=0, per_flow=1, class_word_rate=0.2)
    prompts = class_prompts(kg, labels)   # zero-shot prompts per class
"""

import re
from functools import lru_cache
from importlib import resources

import numpy as np
import yaml

FLAG_FEATURES = [("SYN", "syn_flag_count"), ("ACK", "ack_flag_count"), ("PSH", "psh_flag_count"),
                 ("FIN", "fin_flag_count"), ("RST", "rst_flag_count"), ("URG", "urg_flag_count")]


@lru_cache(maxsize=1)
def templates():
    """The packaged templates.yaml (behaviour/knowledge/class/prompts, services, protocols)."""
    text = (resources.files("packetclip.data") / "templates.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


# ---------------------------------------------------------------- humanized values

def _num(v):
    if v >= 100:
        return f"{v:.0f}"
    if v >= 10:
        return f"{v:.1f}".rstrip("0").rstrip(".")
    return f"{v:.2f}".rstrip("0").rstrip(".") or "0"


def _bytes(v):
    if v != v:
        return "an unknown number of bytes"
    if v < 1000:
        return "1 byte" if v == 1 else f"{v:.0f} bytes"
    for unit, div in (("kB", 1e3), ("MB", 1e6), ("GB", 1e9)):
        if v < div * 1000 or unit == "GB":
            return f"{_num(v / div)} {unit}"


def _duration(us):
    if us != us:
        return "an unknown time"
    if us <= 0:
        return "an instant"
    if us < 1000:
        return f"{us:.0f} microseconds"
    if us < 1e6:
        return f"{_num(us / 1e3)} ms"
    if us < 120e6:
        return f"{_num(us / 1e6)} s"
    if us < 7200e6:
        return f"{_num(us / 60e6)} min"
    return f"{_num(us / 3600e6)} h"


def _rate(v, what):
    if v != v:
        return f"an unknown {what} rate"
    if what == "byte":
        return f"{_bytes(v)}/s"
    return f"{_num(v)} packets/s"


def _packets(v):
    if v != v:
        return "an unknown number of packets"
    return "1 packet" if v == 1 else f"{v:.0f} packets"


def _words(ws):
    if len(ws) == 1:
        return ws[0]
    return ", ".join(ws[:-1]) + " and " + ws[-1]


def _lower_first(s):
    """Sentence-case names start lower-case in a sentence: "Port scan" -> "port scan",
    "A host" -> "a host"; titles and acronyms stay ("Network Service Discovery", "DoS")."""
    words = s.split(" ", 2)
    titled = [len(w) > 0 and w[0].isupper() and (len(w) == 1 or w[1:].islower()) for w in words[:2]]
    if titled[0] and not (len(titled) > 1 and titled[1]):
        return s[:1].lower() + s[1:]
    return s


# ---------------------------------------------------------------- class words

def class_phrases(kg, label):
    """Phrases that name the class: its id with spaces and its name without a parenthesis."""
    out = {label.replace("_", " ").lower()}
    if kg is not None and kg.has_technique(label):
        name = re.sub(r"\(.*?\)", "", kg.node(label, "technique").name).strip().lower()
        if name:
            out.add(name)
    return sorted(out)


def class_word_regex(kg, label):
    """Regex that finds a class phrase as whole words (used by the leak check and tests)."""
    return re.compile("|".join(r"\b" + re.escape(p) + r"\b" for p in class_phrases(kg, label)), re.I)


def _node_words(kg, label):
    """(vocabulary without class phrases, technique name, tactic name, mission name)."""
    tech = kg.node(label, "technique")
    path = kg.path(label)  # mission, tactic(s)..., technique
    nodes = [tech] + [kg.node(p, "tactic") for p in path[1:-1]][::-1] + [kg.node(path[0], "mission")]
    leak = class_word_regex(kg, label)
    vocab = []
    for n in nodes:
        for w in n.vocab:
            if w not in vocab and not leak.search(w):
                vocab.append(w)
    tactic = kg.node(path[-2], "tactic").name if len(path) > 2 else ""
    return vocab, _lower_first(tech.name), tactic, kg.node(path[0], "mission").name


# ---------------------------------------------------------------- descriptions

def _each(fn, values, *args):
    """fn applied to every value, computed once per distinct value (flow tables repeat a lot)."""
    a = np.asarray(values, dtype=np.float64)
    if a.size == 0:
        return []
    u, inv = np.unique(a, return_inverse=True)
    strs = [fn(x, *args) for x in u.tolist()]
    return [strs[i] for i in inv.ravel().tolist()]


def _column(table, name, n):
    feats = list(table.features)
    if name in feats:
        return np.asarray(table.X[:, feats.index(name)], dtype=np.float64)
    return np.full(n, np.nan)


def _behaviour_values(table):
    """Humanized placeholder values for every row: dict name -> list[str]."""
    n = len(table.labels)
    col = lambda name: _column(table, name, n)  # noqa: E731
    tpl = templates()
    meta = getattr(table, "meta", None) or {}
    fwd_p, bwd_p = col("fwd_packets"), col("bwd_packets")
    fwd_b, bwd_b = col("fwd_bytes"), col("bwd_bytes")
    pkts = fwd_p + bwd_p
    v = {
        "duration": _each(_duration, col("flow_duration")),
        "fwd_pkts": _each(_packets, fwd_p),
        "bwd_pkts": _each(_packets, bwd_p),
        "pkts": _each(_packets, pkts),
        "fwd_bytes": _each(_bytes, fwd_b),
        "bwd_bytes": _each(_bytes, bwd_b),
        "bytes": _each(_bytes, fwd_b + bwd_b),
        "pkt_rate": _each(_rate, col("flow_packets_per_s"), "packet"),
        "byte_rate": _each(_rate, col("flow_bytes_per_s"), "byte"),
        "avg_size": _each(_bytes, col("avg_packet_size")),
        "fwd_size": _each(_bytes, col("fwd_segment_size_avg")),
        "bwd_size": _each(_bytes, col("bwd_segment_size_avg")),
        "iat_mean": _each(_duration, col("flow_iat_mean")),
        "iat_max": _each(_duration, col("flow_iat_max")),
    }
    v["reply"] = ["with no reply" if b == 0 else f"answered by {_packets(b)} ({s})"
                  for b, s in zip(bwd_p.tolist(), v["bwd_bytes"], strict=True)]
    v["idle"] = _each(lambda x: "with no idle period" if not (x > 0) else f"idle for up to {_duration(x)}",
                      col("idle_max"))
    flag_cols = [(name, np.nan_to_num(col(f)).astype(np.int64)) for name, f in FLAG_FEATURES]
    any_flag = np.zeros(n, dtype=bool)
    for _, c in flag_cols:
        any_flag |= c > 0
    flags = []
    for i in range(n):
        parts = [f"{c[i]} {name}" for name, c in flag_cols if c[i] > 0]
        if not parts:
            flags.append("no TCP flags")
        else:
            flags.append(f"{_words(parts)} flag{'' if len(parts) == 1 and parts[0][:2] == '1 ' else 's'}")
    v["flags"] = flags

    protos, services = tpl["protocols"], tpl["services"]
    proto = meta.get("protocol")
    if proto is not None:
        v["proto"] = [protos.get(int(p), f"IP protocol {int(p)}") if p == p else "network"
                      for p in np.asarray(proto, dtype=np.float64).tolist()]
    else:  # no protocol column (CIC-IDS2017 MachineLearningCSV): TCP if any TCP flag was seen
        v["proto"] = ["TCP" if f else "network" for f in any_flag.tolist()]
    port = meta.get("dst_port")
    if port is not None:
        svc = []
        for p, pr in zip(np.asarray(port, dtype=np.float64).tolist(), v["proto"], strict=True):
            if p != p or p <= 0 or pr.startswith("ICMP"):
                svc.append("")
            elif int(p) in services:
                svc.append(f" to {services[int(p)]} (port {int(p)})")
            else:
                svc.append(f" to port {int(p)}")
        v["service"] = svc
    else:
        v["service"] = [""] * n
    return v


class _Row:
    """format_map view of row i of the humanized columns (no per-row dict to build)."""

    __slots__ = ("vals", "i")

    def __init__(self, vals):
        self.vals, self.i = vals, 0

    def __getitem__(self, key):
        return self.vals[key][self.i]


def describe_flows_report(table, kg, seed=0, per_flow=1, class_word_rate=0.2):
    """describe_flows plus a report: {"rows", "texts", "class_word_texts", "unknown_labels": {label: rows}}."""
    if not 0.0 <= class_word_rate <= 1.0:
        raise ValueError("class_word_rate must be in [0, 1]")
    if per_flow < 1:
        raise ValueError("per_flow must be >= 1")
    tpl = templates()
    labels = [str(x) for x in np.asarray(table.labels).tolist()]
    n = len(labels)
    vals = _behaviour_values(table)

    known = {}
    unknown = {}
    for lab in sorted(set(labels)):
        if kg is not None and kg.has_technique(lab):
            known[lab] = _node_words(kg, lab)
        else:
            unknown[lab] = 0
    max_pool = max([len(k[0]) for k in known.values()] + [1])

    # every random draw up front, in a fixed order: same seed -> same texts
    N = n * per_flow
    rng = np.random.default_rng(seed)
    b_idx = rng.integers(len(tpl["behaviour"]), size=N).tolist()
    k_idx = rng.integers(len(tpl["knowledge"]), size=N).tolist()
    c_idx = rng.integers(len(tpl["class"]), size=N).tolist()
    c_on = (rng.random(N) < class_word_rate).tolist()
    n_words = rng.integers(2, 5, size=N).tolist()
    keys = rng.random((N, max_pool))
    text_label = np.repeat(np.asarray(labels, dtype=object), per_flow)
    picks = [None] * N  # per text: indices into its label's vocabulary, in random order
    for lab, (vocab, *_rest) in known.items():
        js = np.flatnonzero(text_label == lab)
        if len(js) and vocab:
            perm = np.argsort(keys[js, : len(vocab)], axis=1)[:, :4].tolist()
            for j, p in zip(js.tolist(), perm, strict=True):
                picks[j] = p

    behaviour, knowledge, klass = tpl["behaviour"], tpl["knowledge"], tpl["class"]
    out, n_class = [], 0
    row = _Row(vals)
    j = 0
    for i in range(n):
        row.i = i
        lab = labels[i]
        node = known.get(lab)
        if node is None:
            unknown[lab] += 1
        texts = []
        for _ in range(per_flow):
            s = behaviour[b_idx[j]].format_map(row)
            if node is not None:
                vocab, name = node[0], node[1]
                if vocab:
                    words = [vocab[p] for p in picks[j][: n_words[j]]]
                    s += ", " + knowledge[k_idx[j]].format(words=_words(words))
                if c_on[j]:
                    s += ", " + klass[c_idx[j]].format(name=name)
                    n_class += 1
            texts.append(s[:1].upper() + s[1:] + ".")
            j += 1
        out.append(texts)
    report = {"rows": n, "texts": N, "class_word_texts": n_class,
              "unknown_labels": {k: c for k, c in unknown.items() if c}}
    return out, report


def describe_flows(table, kg, seed=0, per_flow=1, class_word_rate=0.2):
    """One list of `per_flow` sentences per row of `table` (a packetclip.data flow table)."""
    return describe_flows_report(table, kg, seed, per_flow, class_word_rate)[0]


# ---------------------------------------------------------------- zero-shot prompts

def class_prompts(kg, labels):
    """Zero-shot text prompts per class from the knowledge graph: {label: [prompt, ...]}.

    Labels that are techniques get prompts from the technique, its tactic and mission;
    a mission or tactic id gets prompts from that node; anything else a generic prompt.
    """
    tpl = templates()["prompts"]
    out = {}
    for lab in labels:
        lab = str(lab)
        node = None
        for kind in ("technique", "mission", "tactic"):
            try:
                node = kg.node(lab, kind)
                break
            except KeyError:
                continue
        if node is None:
            out[lab] = [f"network flow labelled {lab.replace('_', ' ')}"]
            continue
        if node.kind == "technique":
            path = kg.path(lab)
            tactic = kg.node(path[-2], "tactic").name if len(path) > 2 else node.name
            mission = kg.node(path[0], "mission").name
        elif node.kind == "tactic":
            tactic, mission = node.name, node.name
            cur = node
            while cur.kind != "mission":
                cur = kg._parent_node(cur)
            mission = cur.name
        else:
            tactic = mission = node.name
        desc = node.description.rstrip(".") if node.description else node.name
        words = _words(node.vocab[:3]) if node.vocab else node.name
        chain = []
        for part in (mission, tactic, node.name):
            if part.lower() not in [c.lower() for c in chain]:
                chain.append(part)
        fill = {"name": _lower_first(node.name), "tactic": _lower_first(tactic), "mission": mission,
                "description": _lower_first(desc), "words": words,
                "chain": ": ".join(_lower_first(c) if k else c for k, c in enumerate(chain))}
        prompts = []
        for t in tpl:
            p = t.format(**fill)
            if p not in prompts:
                prompts.append(p)
        out[lab] = prompts
    return out


def write_jsonl(path, table, texts):
    """jsonl: one {"row", "label", "mission", "texts"} per flow, written atomically."""
    import json

    from packetclip.fsutil import write_text

    labels = [str(x) for x in np.asarray(table.labels).tolist()]
    missions = getattr(table, "missions", None)
    missions = [str(x) for x in np.asarray(missions).tolist()] if missions is not None else [""] * len(labels)
    lines = [json.dumps({"row": i, "label": labels[i], "mission": missions[i], "texts": t},
                        ensure_ascii=False) for i, t in enumerate(texts)]
    write_text(path, "\n".join(lines) + ("\n" if lines else ""))
