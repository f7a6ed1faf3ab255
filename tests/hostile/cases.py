"""The hostile-input corpus, generated (nothing committed but this script): every surface the
tool reads, each case a realistic mistake or a malicious file derived from a real artefact
(the packaged CIC-IDS2017 sample, the released bundle, the shipped board files, the MLPerf Tiny
models, a capture written by the data layer)."""

import gzip
import hashlib
import json
import os
import struct
import tomllib
from pathlib import Path

from peers import BEHAVIOURS, Peer
from runner import Case

from packetclip import resources

BUNDLE = resources.default_bundle()
BOARD = resources.boards_dir() / "mps2-an386.toml"
SAMPLE = resources.share().parent / "data" / "cicids2017-sample.csv.gz"
MLPERF = Path(__file__).resolve().parents[3] / "shared" / "data" / "mlperf-tiny"


def _write(rel, data):
    def setup(d):
        p = d / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return setup


def _chain(*fns):
    def setup(d):
        for f in fns:
            if f:
                f(d)
    return setup


def _sample_text():
    return gzip.decompress(SAMPLE.read_bytes()).decode("utf-8")


def _toml_dumps(doc):
    """Minimal TOML writer for board documents (tables of scalars and lists)."""
    def val(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, str):
            return json.dumps(v)
        if isinstance(v, list):
            return "[" + ", ".join(val(x) for x in v) + "]"
        return repr(v)
    lines = [f"{k} = {val(v)}" for k, v in doc.items() if not isinstance(v, dict)]
    for k, v in doc.items():
        if isinstance(v, dict):
            lines += ["", f"[{k}]"] + [f"{kk} = {val(vv)}" for kk, vv in v.items()]
    return "\n".join(lines) + "\n"


# -- board files ------------------------------------------------------------------------------
def board_cases():
    base = tomllib.loads(BOARD.read_text())
    mutations = {
        "clock-negative": ("clock_hz", -1_000_000), "clock-zero": ("clock_hz", 0), "clock-float": ("clock_hz", 25e6),
        "clock-string": ("clock_hz", "25MHz"), "flash-zero": ("flash_bytes", 0), "ram-zero": ("ram_bytes", 0),
        "ram-negative": ("ram_bytes", -4), "core-z80": ("core", "z80"), "core-number": ("core", 4),
        "port-missing-folder": ("port", "vax"), "emulated-string": ("emulated", "yes"), "weight-negative": ("weight_g", -1.0),
        "name-slash": ("name", "../evil"), "name-empty": ("name", ""), "name-long": ("name", "x" * 300),
        "counter-not-table": ("counter", 5), "toolchain-not-table": ("toolchain", "gcc"),
        "dsp-string": ("dsp", "true"), "unknown-key": ("clock_hx", 25_000_000),
    }
    section = {
        "counter-hz-zero": ("counter", "hz", 0), "counter-hz-negative": ("counter", "hz", -5),
        "counter-kind-bogus": ("counter", "kind", "jiffies"), "runner-bogus": ("flash", "runner", "dfu"),
        "runner-number": ("flash", "runner", 3), "qemu-no-machine": ("qemu", "machine", None),
        "usb-bad": ("serial", "usb", ["0483-374b"]), "usb-not-list": ("serial", "usb", "0483:374b"),
        "baud-negative": ("serial", "baud", -9600), "cflags-not-list": ("toolchain", "cflags", "-O2"),
        "cflags-numbers": ("toolchain", "cflags", [1, 2]), "power-negative": ("power", "active_mw", -3.0),
        "idle-above-active": ("power", "idle_mw", 1000.0), "flash-section-missing": ("flash", None, None),
        "emulated-real-runner": ("flash", "runner", "pyocd"),
    }
    docs = {}
    for name, (k, v) in mutations.items():
        d = dict(base)
        d[k] = v
        docs[name] = d
    for name, (sec, k, v) in section.items():
        d = {kk: (dict(vv) if isinstance(vv, dict) else vv) for kk, vv in base.items()}
        if k is None:
            d.pop(sec)
        elif v is None:
            d[sec].pop(k, None)
        else:
            d[sec][k] = v
        docs[name] = d
    cases = []
    for name, doc in docs.items():
        text = _toml_dumps(doc)
        cases.append(Case(f"board-{name}-build", "board", ["build", "--board", "{d}/b.toml", "--out", "{d}/out"],
                          _write("b.toml", text)))
        cases.append(Case(f"board-{name}-swap", "board", ["swap", "--board", "{d}/b.toml", "--out", "{d}/sw"],
                          _write("b.toml", text)))
    raw = {
        "not-utf8": BOARD.read_bytes().replace(b"Cortex-M4", b"Cortex\xff\xfeM4"),
        "not-toml": b"name = [unclosed\n", "binary": os.urandom(4096), "empty": b"",
        "deep": ("a = " + "[" * 2000 + "]" * 2000 + "\n").encode(),
        "deep-tables": ("".join(f"[{'.'.join(['t'] * i)}]\n" for i in range(1, 200))).encode(),
    }
    for name, data in raw.items():
        cases.append(Case(f"board-{name}", "board", ["build", "--board", "{d}/b.toml", "--out", "{d}/out"], _write("b.toml", data)))
    cases.append(Case("board-is-folder", "board", ["build", "--board", "{d}/x.toml"], lambda d: (d / "x.toml").mkdir()))
    cases.append(Case("board-fifo", "board", ["build", "--board", "{d}/f.toml"], lambda d: os.mkfifo(d / "f.toml"), timeout=20))
    cases.append(Case("board-unknown-name", "board", ["build", "--board", "no-such-board"]))
    cases.append(Case("board-missing-file", "board", ["swap", "--board", "{d}/missing.toml"]))
    return cases


# -- budgets and numeric options ---------------------------------------------------------------
def option_cases():
    budgets = ["flash=", "flash=-5KiB", "latency=2", "energy=1uJ,energy=2uJ", "ram=16 KiB KiB", "speed=3",
               "flash=1e999KiB", "flash=64KiB;ram=1KiB", "latency=nanms", "weight=5lb"]
    cases = [Case(f"budget-{i}", "options", ["swap", "--board", "mps2-an386", "--budget", b, "--out", "{d}/sw"])
             for i, b in enumerate(budgets)]
    bad = [
        ("conform-limit-negative", ["conform", "--board", "host", "--limit", "-5", "--out", "{d}/c"]),
        ("conform-limit-zero", ["conform", "--board", "host", "--limit", "0", "--out", "{d}/c"]),
        ("conform-window-zero", ["conform", "--board", "host", "--window", "0", "--out", "{d}/c"]),
        ("conform-window-huge", ["conform", "--board", "host", "--window", "1000", "--out", "{d}/c"]),
        ("split-test-above-one", ["data", "split", "--out", "{d}/s", "--test", "1.5"]),
        ("split-test-negative", ["data", "split", "--out", "{d}/s", "--test", "-0.1"]),
        ("split-val-plus-test", ["data", "split", "--out", "{d}/s", "--test", "0.6", "--val", "0.5"]),
        ("split-unknown-kind", ["data", "split", "--out", "{d}/s", "--split", "random"]),
        ("split-time-no-timestamps", ["data", "split", "--out", "{d}/s", "--split", "time"]),
        ("train-fraction-zero", ["train", "--out", "{d}/r", "--fraction", "0", "--preset", "tiny"]),
        ("train-fraction-two", ["train", "--out", "{d}/r", "--fraction", "2", "--preset", "tiny"]),
        ("train-preset-bogus", ["train", "--out", "{d}/r", "--preset", "huge"]),
        ("train-ssl-bogus", ["train", "--out", "{d}/r", "--preset", "tiny", "--ssl", "maybe"]),
        ("train-text-encoder-bogus", ["train", "--out", "{d}/r", "--preset", "tiny", "--text-encoder", "gpt9"]),
        ("build-engine-bogus", ["build", "--board", "mps2-an386", "--engine", "onnx", "--out", "{d}/b"]),
        ("codegen-engine-bogus", ["codegen", str(BUNDLE), "--engine", "onnx", "--out", "{d}/g"]),
        ("demo-real-board", ["demo", "--board", "nucleo-f446re", "--out", "{d}/demo"]),
        ("flash-no-build", ["flash", "--board", "nucleo-f446re", "--firmware", "{d}/none"]),
        ("monitor-bad-url", ["monitor", "--board", "host", "--port", "socket://127.0.0.1:1"]),
        ("verify-not-a-bundle", ["verify", "{d}"]),
    ]
    return cases + [Case(i, "options", a, timeout=120) for i, a in bad]


# -- output paths ---------------------------------------------------------------------------
def output_cases():
    f = _write("taken", "a user's file\n")
    userdir = _write("mine/notes.txt", "keep me\n")
    return [
        Case("out-build-is-file", "outputs", ["build", "--board", "host", "--out", "{d}/taken"], f),
        Case("out-build-user-folder", "outputs", ["build", "--board", "host", "--out", "{d}/mine"], userdir),
        Case("out-build-under-file", "outputs", ["build", "--board", "host", "--out", "{d}/taken/sub"], f),
        Case("out-codegen-is-file", "outputs", ["codegen", str(BUNDLE), "--out", "{d}/taken"], f),
        Case("out-codegen-user-folder", "outputs", ["codegen", str(BUNDLE), "--out", "{d}/mine"], userdir),
        Case("out-split-is-file", "outputs", ["data", "split", "--out", "{d}/taken"], f),
        Case("out-split-user-folder", "outputs", ["data", "split", "--out", "{d}/mine"], userdir),
        Case("out-flows-under-file", "outputs", ["data", "flows", "{d}/c.pcap", "-o", "{d}/taken/x.csv"],
             _chain(f, _pcap_setup("c.pcap"))),
        Case("out-flows-is-folder", "outputs", ["data", "flows", "{d}/c.pcap", "-o", "{d}/mine"],
             _chain(userdir, _pcap_setup("c.pcap"))),
        Case("out-text-under-file", "outputs", ["data", "text", "-o", "{d}/taken/t.jsonl"], f),
        Case("out-swap-is-file", "outputs", ["swap", "--board", "mps2-an386", "--out", "{d}/taken"], f),
        Case("out-swap-user-folder", "outputs", ["swap", "--board", "mps2-an386", "--out", "{d}/mine"], userdir),
        Case("out-train-is-file", "outputs", ["train", "--preset", "tiny", "--out", "{d}/taken"], f),
        Case("out-train-user-folder", "outputs", ["train", "--preset", "tiny", "--out", "{d}/mine"], userdir),
        Case("out-export-is-file", "outputs", ["export", "--tflite", str(BUNDLE / "model.tflite"), "--out", "{d}/taken"], f),
        Case("out-export-user-folder", "outputs", ["export", "--tflite", str(BUNDLE / "model.tflite"), "--out", "{d}/mine"], userdir),
        Case("out-conform-is-file", "outputs", ["conform", "--board", "host", "--out", "{d}/taken", "--limit", "5"], f,
             timeout=120, allow_new=("build",)),
        Case("out-proc", "outputs", ["data", "split", "--out", "/proc/packetclip-out"]),
    ]


# -- flow CSVs ------------------------------------------------------------------------------
def csv_cases():
    text = _sample_text()
    head, *rows = text.splitlines()
    body = "\n".join(rows[:300])
    cases = {
        "empty": b"", "header-only": (head + "\n").encode(), "binary": os.urandom(20000),
        "extra-field": (head + "\n" + rows[0] + ",1,2\n" + body).encode(),
        "missing-field": (head + "\n" + rows[0].rsplit(",", 3)[0] + "\n" + body).encode(),
        "text-in-number": (head + "\n" + rows[0].replace(",", ",abc,", 1).replace(",abc,", ",x,", 1) + "\n" + body).encode(),
        "wrong-dialect-header": b"a,b,c\n1,2,3\n",
        "one-line-50mb": b"x" * (50 << 20),
        "blank-header": ("\n" + body).encode(),
        "nul-bytes": (head + "\n" + body).encode().replace(b",", b"\x00", 50),
        "huge-number": (head + "\n" + rows[0].replace(",", ",1e999999,", 1) + "\n").encode(),
        "only-bad-rows": (head + "\n" + "\n".join(",".join(["nan"] * (len(head.split(",")) - 1) + ["BENIGN"]) for _ in range(50)) + "\n").encode(),
    }
    # flow CSVs are read leniently as text on purpose: the CIC-IDS2017 exports carry cp1252 bytes
    # in their labels ("Web Attack \x96 Brute Force"), so non-UTF-8 bytes are no case here
    out = [Case(f"csv-{k}", "csv", ["data", "inspect", "{d}/f.csv"], _write("f.csv", v), timeout=60) for k, v in cases.items()]
    out.append(Case("csv-train-no-label-column", "csv", ["train", "{d}/f.csv", "--preset", "tiny", "--out", "{d}/r"],
                    _write("f.csv", "\n".join(",".join(r.split(",")[:-1]) for r in [head] + rows[:200]) + "\n")))
    gz = gzip.compress((head + "\n" + body).encode())
    out += [
        Case("csv-gzip-truncated", "csv", ["data", "inspect", "{d}/f.csv.gz"], _write("f.csv.gz", gz[: len(gz) // 2])),
        Case("csv-gzip-corrupt", "csv", ["data", "inspect", "{d}/f.csv.gz"], _write("f.csv.gz", gz[:20] + os.urandom(200) + gz[220:])),
        Case("csv-named-gz-not-gzip", "csv", ["data", "inspect", "{d}/f.csv.gz"], _write("f.csv.gz", (head + "\n" + body).encode())),
        Case("csv-gzip-bomb-header", "csv", ["data", "inspect", "{d}/f.csv.gz"],
             _write("f.csv.gz", gzip.compress(b"a" * (200 << 20))), timeout=90),
        Case("csv-fifo", "csv", ["data", "inspect", "{d}/f.csv"], lambda d: os.mkfifo(d / "f.csv"), timeout=20),
        Case("csv-dev-zero", "csv", ["data", "inspect", "/dev/zero"], timeout=20),
        Case("csv-dev-urandom", "csv", ["data", "inspect", "/dev/urandom"], timeout=20),
        Case("csv-folder", "csv", ["data", "inspect", "{d}"]),
        Case("csv-missing", "csv", ["data", "inspect", "{d}/nope.csv"]),
        Case("csv-strict-unknown-label", "csv", ["data", "inspect", "{d}/f.csv", "--strict"],
             _write("f.csv", (head + "\n" + body.replace("BENIGN", "Totally New Attack")).encode())),
        Case("csv-dialect-bogus", "csv", ["data", "inspect", "{d}/f.csv", "--dialect", "pcapng"], _write("f.csv", text)),
        Case("csv-train-one-class", "csv", ["train", "{d}/f.csv", "--preset", "tiny", "--out", "{d}/r"],
             _write("f.csv", head + "\n" + "\n".join(r for r in rows if r.endswith("BENIGN")) + "\n")),
        Case("csv-distill-one-class", "csv", ["distill", "--labels-only", "--data", "{d}/f.csv", "--out", "{d}/b"],
             _write("f.csv", head + "\n" + "\n".join(r for r in rows if r.endswith("BENIGN")) + "\n"), timeout=120),
        Case("csv-train-fifo", "csv", ["train", "{d}/f.csv", "--preset", "tiny", "--out", "{d}/r"],
             lambda d: os.mkfifo(d / "f.csv"), timeout=20),
        Case("csv-split-dev-zero", "csv", ["data", "split", "/dev/zero", "--out", "{d}/s"], timeout=20),
    ]
    return out


# -- labels TOML and knowledge-graph YAML ----------------------------------------------------------
def taxonomy_cases():
    labels = {
        "not-utf8": b'[labels]\n"BENIGN" = "benign\xff"\n', "not-toml": b"[labels\n", "no-table": b'BENIGN = "benign"\n',
        "value-number": b'[labels]\n"BENIGN" = 3\n', "unknown-class": b'[labels]\n"BENIGN" = "not-a-technique"\n',
        "table-not-dict": b"labels = 5\n", "deep": ("[labels]\nx = " + "[" * 3000 + "]" * 3000 + "\n").encode(),
    }
    out = [Case(f"labels-{k}", "labels", ["data", "inspect", "--labels", "{d}/l.toml"], _write("l.toml", v))
           for k, v in labels.items()]
    out += [Case("labels-folder", "labels", ["data", "inspect", "--labels", "{d}"]),
            Case("labels-missing", "labels", ["data", "inspect", "--labels", "{d}/nope.toml"]),
            Case("labels-fifo", "labels", ["data", "inspect", "--labels", "{d}/l.toml"],
                 lambda d: os.mkfifo(d / "l.toml"), timeout=20)]
    kg = {
        "not-utf8": b"missions:\n  - id: dos\xff\n", "not-yaml": b"missions: [\n", "scalar": b"42\n", "list": b"- a\n- b\n",
        "nested-1000": ("a:\n" + "".join("  " * i + "b:\n" for i in range(1, 1000))).encode(),
        "flow-nested": ("x: " + "[" * 5000 + "]" * 5000 + "\n").encode(),
        "anchors-bomb": b'a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n'
                        b"c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
                        b"e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
                        b"g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\nh: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n",
        "technique-no-tactic": b"techniques:\n  - id: new_thing\n    tactic: no_such_tactic\n",
        "python-tag": b"a: !!python/object/apply:os.system ['echo hi']\n",
    }
    out += [Case(f"kg-{k}", "kg", ["kg", "check", "{d}/k.yaml"], _write("k.yaml", v), timeout=30) for k, v in kg.items()]
    out += [Case(f"kg-{k}-inspect", "kg", ["data", "inspect", "--kg", "{d}/k.yaml"], _write("k.yaml", v), timeout=30)
            for k, v in list(kg.items())[:5]]
    out += [Case("kg-folder", "kg", ["kg", "check", "{d}"]), Case("kg-missing", "kg", ["kg", "check", "{d}/nope.yaml"])]
    return out


# -- captures -----------------------------------------------------------------------------
def _pcap_setup(rel, mutate=None):
    def setup(d):
        from packetclip.data.pcap_synth import synthetic_traffic, write_frames

        p = d / rel
        write_frames(p, synthetic_traffic(300, n_flows=30, seed=1))
        if mutate:
            p.write_bytes(mutate(p.read_bytes()))
    return setup


def pcap_cases():
    m = {
        "empty": lambda b: b"", "magic-only": lambda b: b[:4], "truncated-header": lambda b: b[:20],
        "bad-magic": lambda b: b"\xde\xad\xbe\xef" + b[4:], "truncated-packet": lambda b: b[: len(b) - 7],
        "huge-caplen": lambda b: b[:24] + b[24:32] + struct.pack("<II", 0x7FFFFFFF, 0x7FFFFFFF) + b[40:],
        "random": lambda b: os.urandom(len(b)), "linktype-bogus": lambda b: b[:20] + struct.pack("<I", 999) + b[24:],
        "pcapng-bad-block": lambda b: b"\x0a\x0d\x0d\x0a" + struct.pack("<I", 0xFFFFFFF0) + b"\x4d\x3c\x2b\x1a" + b[12:200],
        "no-ip-packets": lambda b: b[:24] + b"".join(
            struct.pack("<IIII", 1, i, 60, 60) + b"\xff" * 12 + b"\x88\xcc" + bytes(46) for i in range(20)),
    }
    out = [Case(f"pcap-{k}", "pcap", ["data", "flows", "{d}/c.pcap", "-o", "{d}/out.csv"], _pcap_setup("c.pcap", f))
           for k, f in m.items()]
    out += [Case("pcap-folder", "pcap", ["data", "flows", "{d}", "-o", "{d}/out.csv"]),
            Case("pcap-fifo", "pcap", ["data", "flows", "{d}/c.pcap", "-o", "{d}/out.csv"],
                 lambda d: os.mkfifo(d / "c.pcap"), timeout=20),
            Case("pcap-dev-zero", "pcap", ["data", "flows", "/dev/zero", "-o", "{d}/out.csv"], timeout=20)]
    return out


# -- labelling rules (data label, data flows --rules) --------------------------------------------
def rules_cases():
    def flows_setup(d):
        from packetclip.data.pcap import pcap_to_csv

        _pcap_setup("c.pcap")(d)
        pcap_to_csv(d / "c.pcap", d / "f.csv")

    rule = '[[rule]]\nlabel = "port_scan"\n'
    bodies = {
        "not-utf8": b'[[rule]]\nlabel = "port_scan\xff"\nhost = "10.0.0.1"\n', "not-toml": b"[[rule]\n", "empty": b"",
        "rule-not-table": b"rule = [1, 2]\n", "no-rules": b'default = "benign"\n', "rule-empty-list": b"rule = []\n",
        "deep": ("x = " + "[" * 3000 + "]" * 3000 + "\n").encode(), "unknown-top": b'defualt = "benign"\n',
        "bad-cidr": (rule + 'host = "10.0.0.0/40"\n').encode(), "bad-ip": (rule + 'host = "10.0.0.256"\n').encode(),
        "host-number": (rule + "host = 10\n").encode(), "protocol-name": (rule + 'protocol = "tcpp"\n').encode(),
        "protocol-range": (rule + "protocol = 256\n").encode(), "protocol-bool": (rule + "protocol = true\n").encode(),
        "time-format": (rule + 'start = "12/01/2026 10:00"\n').encode(), "time-naive": (rule + "start = 2026-12-01T10:00:00\n").encode(),
        "time-date-only": (rule + 'end = "2026-12-01"\n').encode(), "time-nan": (rule + "start = nan\n").encode(),
        "time-order": (rule + "start = 20\nend = 10\n").encode(), "port-range": (rule + "port = 65536\n").encode(),
        "port-string": (rule + 'port = "22"\n').encode(), "unknown-field": (rule + 'hsot = "10.0.0.1"\n').encode(),
        "no-condition": rule.encode(), "label-empty": b'[[rule]]\nlabel = ""\nhost = "10.0.0.1"\n',
        "label-unknown": b'[[rule]]\nlabel = "nmap-ish"\nhost = "10.0.0.1"\n',
        "label-missing": b'[[rule]]\nhost = "10.0.0.1"\n', "default-number": b'default = 3\n[[rule]]\nlabel = "benign"\nport = 1\n',
        "matches-nothing": (rule + 'host = "192.0.2.0/24"\n').encode(),
        "one-rule-idle": (rule + 'host = "10.0.0.0/8"\n' + rule + 'host = "10.0.0.0/8"\n').encode(),
    }
    out = []
    for k, v in bodies.items():
        out.append(Case(f"rules-{k}-label", "rules", ["data", "label", "{d}/f.csv", "--rules", "{d}/r.toml", "-o", "{d}/out.csv"],
                        _chain(flows_setup, _write("r.toml", v)), timeout=30))
    for k in ("not-utf8", "bad-cidr", "protocol-name", "time-format", "matches-nothing", "deep"):
        out.append(Case(f"rules-{k}-flows", "rules", ["data", "flows", "{d}/c.pcap", "--rules", "{d}/r.toml", "-o", "{d}/out.csv"],
                        _chain(_pcap_setup("c.pcap"), _write("r.toml", bodies[k])), timeout=30))
    out += [Case("rules-folder", "rules", ["data", "label", "{d}/f.csv", "--rules", "{d}", "-o", "{d}/out.csv"], flows_setup),
            Case("rules-missing", "rules", ["data", "label", "{d}/f.csv", "--rules", "{d}/nope.toml", "-o", "{d}/out.csv"],
                 flows_setup),
            Case("rules-fifo", "rules", ["data", "label", "{d}/f.csv", "--rules", "{d}/r.toml", "-o", "{d}/out.csv"],
                 _chain(flows_setup, lambda d: os.mkfifo(d / "r.toml")), timeout=20),
            Case("rules-dev-zero", "rules", ["data", "label", "{d}/f.csv", "--rules", "/dev/zero", "-o", "{d}/out.csv"],
                 flows_setup, timeout=20),
            Case("rules-no-metadata", "rules", ["data", "label", "{d}/s.csv.gz", "--rules", "{d}/r.toml", "-o", "{d}/out.csv"],
                 _chain(_write("s.csv.gz", SAMPLE.read_bytes()), _write("r.toml", rule + 'host = "10.0.0.1"\n')), timeout=30),
            Case("rules-without-rules", "rules", ["data", "label", "{d}/f.csv", "-o", "{d}/out.csv"], flows_setup),
            Case("rules-and-label", "rules", ["data", "flows", "{d}/c.pcap", "--label", "x", "--rules", "{d}/r.toml", "-o",
                                              "{d}/out.csv"], _chain(_pcap_setup("c.pcap"), _write("r.toml", rule + "port = 1\n")))]
    return out


# -- bundles and .tflite -------------------------------------------------------------------------
def _bundle_setup(mutate_json=None, mutate_tflite=None, drop=None, resign=False):
    """A copy of the packaged bundle, mutated; `resign`: model.json gets the new file's sha256, so
    the check that fails is the one about the content (a careful forger)."""
    def setup(d):
        b = d / "bundle"
        b.mkdir()
        meta = json.loads((BUNDLE / "model.json").read_text())
        tfl = (BUNDLE / "model.tflite").read_bytes()
        if mutate_tflite:
            tfl = mutate_tflite(tfl)
        if resign:
            meta["tflite_sha256"] = hashlib.sha256(tfl).hexdigest()
        raw = json.dumps(meta).encode()
        if mutate_json:
            raw = mutate_json(meta, raw)
        if drop != "model.json":
            (b / "model.json").write_bytes(raw)
        if drop != "model.tflite":
            (b / "model.tflite").write_bytes(tfl)
    return setup


def _set(key, value):
    def f(meta, raw):
        meta = dict(meta)
        cur = meta
        *path, last = key.split(".")
        for k in path:
            cur[k] = dict(cur[k])
            cur = cur[k]
        cur[last] = value
        return json.dumps(meta).encode()
    return f


def bundle_cases():
    muts = {
        "json-null": lambda m, r: b"null", "json-list": lambda m, r: b"[1,2]", "json-garbage": lambda m, r: r[:len(r) // 2],
        "json-not-utf8": lambda m, r: r.replace(b'"name"', b'"n\xffame"', 1), "sha-number": _set("tflite_sha256", 12345),
        "format-99": _set("format", 99), "mean-short": _set("transform.mean", [0.0] * 3),
        "std-zero": _set("transform.std", [0.0] * 76), "features-unknown": _set("features", ["bogus"] * 76),
        "window-zero": _set("window", 0), "window-string": _set("window", "8"), "input-scale-zero": _set("input.scale", 0),
        "input-shape-wrong": _set("input.shape", [1, 3]), "labels-not-list": _set("labels", "benign"),
        "heads-out-of-range": _set("heads.classes", [0, 999]), "missions-missing": lambda m, r: json.dumps(
            {k: v for k, v in m.items() if k != "missions"}).encode(),
        "deep-json": lambda m, r: ("[" * 100000 + "]" * 100000).encode(),
    }
    out = []
    for k, f in muts.items():
        for verb in (["verify", "{d}/bundle"], ["build", "--board", "host", "--model", "{d}/bundle", "--out", "{d}/b"],
                     ["codegen", "{d}/bundle", "--out", "{d}/g"]):
            out.append(Case(f"bundle-{k}-{verb[0]}", "bundle", verb, _bundle_setup(mutate_json=f), timeout=60))
    tfl = {
        "tflite-empty": lambda b: b"", "tflite-random": lambda b: os.urandom(len(b)), "tflite-truncated": lambda b: b[: len(b) // 3],
        "tflite-flipped": lambda b: b[:200] + bytes(x ^ 0xFF for x in b[200:400]) + b[400:],
    }
    for k, f in tfl.items():
        out.append(Case(f"bundle-{k}-verify", "bundle", ["verify", "{d}/bundle"], _bundle_setup(mutate_tflite=f)))
        out.append(Case(f"{k}-export", "tflite", ["export", "--tflite", "{d}/m.tflite", "--out", "{d}/e"],
                        _write("m.tflite", f((BUNDLE / "model.tflite").read_bytes()))))
        out.append(Case(f"{k}-codegen", "tflite", ["codegen", "{d}/m.tflite", "--out", "{d}/g"],
                        _write("m.tflite", f((BUNDLE / "model.tflite").read_bytes()))))
    out += [Case("bundle-no-json", "bundle", ["verify", "{d}/bundle"], _bundle_setup(drop="model.json")),
            Case("bundle-no-tflite", "bundle", ["build", "--board", "host", "--model", "{d}/bundle", "--out", "{d}/b"],
                 _bundle_setup(drop="model.tflite")),
            Case("bundle-is-file", "bundle", ["verify", "{d}/f"], _write("f", "x")),
            Case("tflite-folder", "tflite", ["export", "--tflite", "{d}", "--out", "{d}/e"]),
            Case("tflite-fifo", "tflite", ["codegen", "{d}/m.tflite", "--out", "{d}/g"], lambda d: os.mkfifo(d / "m.tflite"),
                 timeout=20)]
    return out


# -- serial peers ---------------------------------------------------------------------------
def serial_cases():
    """Every hostile peer against both commands that talk to a board; --give-up 1 keeps each short."""
    verbs = {"monitor": ["monitor", "--board", "host", "--port", "{peer}", "--give-up", "1"],
             "conform": ["conform", "--board", "host", "--port", "{peer}", "--limit", "5", "--give-up", "1",
                         "--out", "{d}/c"]}
    return [Case(f"serial-{b}-{v}", "serial", argv, serve=lambda d, b=b: Peer(b), timeout=40)
            for b in BEHAVIOURS for v, argv in verbs.items()]


# -- crafted .tflite: valid flatbuffers whose indices or shapes lie ----------------------------
def _crafted(mutate):
    """The packaged bundle's model, parsed into the object API, mutated, serialised again."""
    import flatbuffers

    from packetclip.bundle.tflite import schema

    S = schema()
    m = S.ModelT.InitFromObj(S.Model.GetRootAs((BUNDLE / "model.tflite").read_bytes(), 0))
    mutate(m, m.subgraphs[0])
    fb = flatbuffers.Builder(1 << 16)
    fb.Finish(m.Pack(fb), file_identifier=b"TFL3")
    return bytes(fb.Output())


def _weights(g):
    """The first layer's weight matrix (its second input)."""
    return g.tensors[g.operators[0].inputs[1]]


def _set0(obj, name, value):
    setattr(obj, name, [value] + [int(x) for x in getattr(obj, name)[1:]])


def crafted_tflite_cases():
    muts = {
        "tensor-index": lambda m, g: _set0(g.operators[0], "inputs", 9999),
        "output-tensor-index": lambda m, g: _set0(g.operators[-1], "outputs", len(g.tensors) + 3),
        "opcode-index": lambda m, g: setattr(g.operators[0], "opcodeIndex", 77),
        "buffer-index": lambda m, g: setattr(_weights(g), "buffer", 10_000),
        "graph-input-index": lambda m, g: _set0(g, "inputs", -5),
        "graph-output-index": lambda m, g: _set0(g, "outputs", 4096),
        "weights-1d": lambda m, g: setattr(_weights(g), "shape", [int(_weights(g).shape[0]) * int(_weights(g).shape[1])]),
        "input-zero-dim": lambda m, g: setattr(g.tensors[g.inputs[0]], "shape", [1, 0]),
        "negative-dim": lambda m, g: setattr(g.tensors[g.inputs[0]], "shape", [1, -76]),
        "unknown-dtype": lambda m, g: setattr(g.tensors[0], "type", 99),
        "two-subgraphs": lambda m, g: m.subgraphs.append(m.subgraphs[0]),
        "no-operators": lambda m, g: setattr(g, "operators", []),
        "float-input": lambda m, g: setattr(g.tensors[g.inputs[0]], "type", 0),
    }
    out = []
    for k, f in muts.items():
        setup = (lambda d, f=f: (d / "m.tflite").write_bytes(_crafted(f)))
        out.append(Case(f"crafted-{k}-export", "tflite", ["export", "--tflite", "{d}/m.tflite", "--out", "{d}/e"], setup))
        out.append(Case(f"crafted-{k}-codegen", "tflite", ["codegen", "{d}/m.tflite", "--out", "{d}/g"], setup))
        out.append(Case(f"crafted-{k}-verify", "bundle", ["verify", "{d}/bundle"],
                        _bundle_setup(mutate_tflite=lambda b, f=f: _crafted(f), resign=True)))
    return out


def all_cases():
    cases = (board_cases() + option_cases() + output_cases() + csv_cases() + taxonomy_cases() + pcap_cases()
             + rules_cases() + bundle_cases() + crafted_tflite_cases() + serial_cases())
    ids = [c.id for c in cases]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    return cases
