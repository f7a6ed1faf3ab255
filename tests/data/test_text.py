"""Flow descriptions: reproducible, class words only at the requested rate, KG words, prompts."""

import json
import subprocess
import sys

import numpy as np
import pytest

from packetclip.data import load_flows
from packetclip.data.kg import load_kg
from packetclip.data.text import class_prompts, class_word_regex, describe_flows, describe_flows_report

KNOWLEDGE_PREFIXES = ("associated with", "suggesting", "in the context of", "related to")


@pytest.fixture(scope="module")
def sample():
    return load_flows(None)


@pytest.fixture(scope="module")
def kg():
    return load_kg()


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "packetclip", "data", "text", *map(str, args)],
                          capture_output=True, text=True, timeout=120)


def test_same_seed_same_bytes_and_jsonl_shape(tmp_path):
    a, b, c = tmp_path / "a.jsonl", tmp_path / "b.jsonl", tmp_path / "c.jsonl"
    for out, seed in ((a, 1), (b, 1), (c, 2)):
        r = _cli("-o", out, "--per-flow", "2", "--seed", seed)
        assert r.returncode == 0, r.stderr
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()
    rows = [json.loads(line) for line in a.read_text().splitlines()]
    assert [r["row"] for r in rows] == list(range(len(rows)))
    assert all(len(r["texts"]) == 2 and r["mission"] for r in rows)
    assert {r["label"] for r in rows} >= {"dos", "port_scan", "brute_force", "benign"}


@pytest.mark.parametrize("rate", [0.0, 0.2, 0.5, 1.0])
def test_class_word_rate_holds(sample, kg, rate):
    texts = describe_flows(sample, kg, seed=3, per_flow=2, class_word_rate=rate)
    regex = {lab: class_word_regex(kg, lab) for lab in set(sample.labels.tolist())}
    hits = [bool(regex[lab].search(t)) for lab, row in zip(sample.labels.tolist(), texts, strict=True) for t in row]
    share = np.mean(hits)
    assert abs(share - rate) < 0.02, share  # ~10,000 texts: 3 standard deviations is < 0.015


def test_kg_vocabulary_and_features_are_in_the_text(sample, kg):
    texts = describe_flows(sample, kg, seed=0, per_flow=3, class_word_rate=0.0)
    for i in range(0, len(texts), 250):
        lab = sample.labels[i]
        path = kg.path(lab)
        vocab = {w for node_id in path for kind in ("technique", "tactic", "mission")
                 for w in _vocab(kg, node_id, kind)}
        for t in texts[i]:
            assert any(w in t for w in vocab), (lab, t)
            assert any(p in t for p in KNOWLEDGE_PREFIXES)
            assert not t[0].islower() and t.endswith(".")


def _vocab(kg, node_id, kind):
    try:
        return kg.node(node_id, kind).vocab
    except KeyError:
        return []


def test_describes_a_capture_with_ports_and_protocol(tmp_path, kg):
    from packetclip.data.pcap import pcap_to_csv
    from packetclip.data.pcap_synth import write_capture

    pk = [{"ts": 1.0, "src": "10.0.0.1", "dst": "10.0.0.2", "sport": 40000, "dport": 22, "flags": "S"},
          {"ts": 1.5, "src": "10.0.0.2", "dst": "10.0.0.1", "sport": 22, "dport": 40000, "flags": "SA"},
          {"ts": 3.0, "src": "10.0.0.1", "dst": "10.0.0.2", "sport": 40000, "dport": 22, "flags": "PA", "payload": 1200}]
    write_capture(tmp_path / "c.pcap", pk)
    pcap_to_csv(tmp_path / "c.pcap", tmp_path / "f.csv", label="SSH-Patator")
    t = load_flows(tmp_path / "f.csv", kg=kg)
    texts, rep = describe_flows_report(t, kg, seed=0, per_flow=40, class_word_rate=0.0)
    joined = " ".join(texts[0])
    assert "TCP" in joined and "ssh (port 22)" in joined
    assert "2 s" in joined  # duration 2,000,000 us
    assert "1.2 kB" in joined  # 1200 bytes sent
    assert "2 SYN" in joined
    assert rep["unknown_labels"] == {} and rep["class_word_texts"] == 0


def test_unknown_labels_are_described_without_kg_words_and_reported(tmp_path):
    lines = _sample_lines(41)
    body = [line.rsplit(",", 1)[0] + ",Zombie" for line in lines[1:21]] + lines[21:]
    f = tmp_path / "mixed.csv"
    f.write_text("\n".join([lines[0]] + body) + "\n")
    out = tmp_path / "t.jsonl"
    r = _cli(f, "-o", out, "--class-word-rate", "1.0", "--json")
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout.strip().splitlines()[-1])
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    unknown = [row for row in rows if row["label"] == "unknown"]
    assert summary["unknown_labels"] == {"unknown": len(unknown)} and len(unknown) >= 15
    for row in unknown:
        assert not any(p in row["texts"][0] for p in KNOWLEDGE_PREFIXES)
    known = [row for row in rows if row["label"] != "unknown"]
    assert known and all(any(p in row["texts"][0] for p in KNOWLEDGE_PREFIXES) for row in known)
    r = _cli(f, "-o", out)
    assert "labels outside the knowledge graph" in r.stdout


def test_class_prompts(kg):
    labels = list(kg.techniques) + ["reconnaissance", "not_a_class"]
    prompts = class_prompts(kg, labels)
    assert list(prompts) == labels
    for lab in kg.techniques:
        ps = prompts[lab]
        assert len(ps) >= 4 and len(set(ps)) == len(ps)
        assert class_word_regex(kg, lab).search(ps[0]), ps[0]
    assert prompts["syn_flood"][0] == "network flow of SYN flood"
    assert "Reconnaissance" in " ".join(prompts["reconnaissance"])
    assert prompts["not_a_class"] == ["network flow labelled not a class"]


def _sample_lines(n):
    """The first n lines (header included) of the CIC-IDS2017 sample shipped in the package."""
    import gzip
    from importlib.resources import files

    with gzip.open(files("packetclip.data") / "cicids2017-sample.csv.gz", "rt") as fh:
        return [next(fh).rstrip("\n") for _ in range(n)]
