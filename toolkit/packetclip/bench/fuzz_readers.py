"""Property fuzzing of every reader of user input (hypothesis): CSV, pcap, pcapng, .tflite,
TOML (board files, labelling rules, label taxonomy), YAML (knowledge graph), JSON (model.json)
and serial replies. Each input is a real artefact with random byte edits (or, for short
formats, random text); the property is that a reader either returns or raises the one-line
PacketclipError, never anything else.

`make test` runs a short budget (tests/hostile/test_fuzz_readers.py); `make bench` the long one
(PACKETCLIP_BENCH_FUZZ_EXAMPLES per reader, default 2,000)."""

import gzip
import io
import os
import tempfile
import time
from pathlib import Path

from packetclip.errors import PacketclipError

EXAMPLES = int(os.environ.get("PACKETCLIP_BENCH_FUZZ_EXAMPLES", 2000))


def _seed_csv():
    from packetclip.resources import share

    text = gzip.decompress((share().parent / "data" / "cicids2017-sample.csv.gz").read_bytes())
    return b"\n".join(text.split(b"\n")[:40]) + b"\n"


def _seed_pcap(ng):
    """A short synthetic capture (packetclip.data.pcap_synth), as pcap or pcapng (dpkt's writers)."""
    import dpkt

    from packetclip.data.pcap_synth import synthetic_traffic

    buf = io.BytesIO()
    w = (dpkt.pcapng.Writer if ng else dpkt.pcap.Writer)(buf, snaplen=65535, linktype=1)
    for ts, frame in synthetic_traffic(60, n_flows=8, seed=3):
        w.writepkt(frame, ts=ts)
    return buf.getvalue()


def _bundle_file(name):
    from packetclip import resources

    return (resources.default_bundle() / name).read_bytes()


def _board_file(name):
    from packetclip import resources

    return (resources.boards_dir() / name).read_bytes()


def _via_file(suffix, fn):
    """Run fn(path) on the bytes written to a temp file named *suffix."""
    def call(data):
        with tempfile.TemporaryDirectory() as d:
            p = Path(d) / f"input{suffix}"
            p.write_bytes(data)
            fn(p)
    return call


def _csv(p):
    from packetclip.data.flows import load_flows

    load_flows(p, chunk_bytes=4096)


def _pcap(p):
    from packetclip.data.pcap import read_flows

    read_flows(p, allow_truncated=True)   # past the truncation check, into the packets


def _tflite(data):
    from packetclip.bundle.checks import check_tflite

    check_tflite(data, "fuzz.tflite")


def _model_json(data):
    from packetclip import userfile
    from packetclip.bundle.format import check_meta

    check_meta(userfile.parse_json(userfile.decode_utf8(data, "model.json"), "model.json"), "model.json")


def _board(p):
    from packetclip.boards import load_board

    load_board(str(p))


def _rules(p):
    from packetclip.data.rules import load_rules

    load_rules(p)


def _labels(p):
    from packetclip.data.labels import load_label_map

    load_label_map(p)


def _kg(p):
    from packetclip.data.kg import load_kg

    load_kg(p)


def _serial(data):
    """Bytes from a device: deframed, decoded, every body parser tried on every frame."""
    from packetclip.device import protocol as P

    d = P.Deframer()
    for chunk in d.feed(data) + d.feed(b"\x00"):
        if P.is_boot_line(chunk):
            P.parse_boot_line(chunk)
            continue
        try:
            f = P.decode_frame(chunk)
        except P.FrameError:
            continue
        for parse in (P.parse_info, P.parse_result, P.parse_flow_result, P.parse_stats, P.parse_error,
                      P.parse_loaded, P.parse_context):
            try:
                parse(f.body)
            except P.FrameError:
                pass


RULES_SEED = (b'default = "Benign"\n[[rule]]\nlabel = "Port Scan"\nsrc = "10.0.0.5"\nport = 22\nprotocol = "tcp"\n'
              b'start = "2026-12-01T09:34:47.116Z"\nend = "2026-12-01T09:34:56.827Z"\n')
LABELS_SEED = b'[labels]\n"BENIGN" = "benign"\n"DoS Hulk" = "dos"\n'
KG_SEED = (b"techniques:\n  - id: new_thing\n    parent: endpoint_exhaustion\n    name: New thing\n"
           b"    description: a new attack\n    vocab: [flood, new]\n")


def targets():
    """name -> (seed bytes or None for free text, call(bytes))."""
    from packetclip.device import protocol as P

    info = P.encode_frame(P.INFO, 1, _seed_info())
    return {
        "csv": (_seed_csv, _via_file(".csv", _csv)),
        "pcap": (lambda: _seed_pcap(False), _via_file(".pcap", _pcap)),
        "pcapng": (lambda: _seed_pcap(True), _via_file(".pcapng", _pcap)),
        "tflite": (lambda: _bundle_file("model.tflite"), _tflite),
        "model_json": (lambda: _bundle_file("model.json"), _model_json),
        "board_toml": (lambda: _board_file("mps2-an386.toml"), _via_file(".toml", _board)),
        "rules_toml": (lambda: RULES_SEED, _via_file(".toml", _rules)),
        "labels_toml": (lambda: LABELS_SEED, _via_file(".toml", _labels)),
        "kg_yaml": (lambda: KG_SEED, _via_file(".yaml", _kg)),
        "serial": (lambda: info + P.encode_frame(P.RESULT, 2, b"\x10\x00\x00\x00" + bytes(12)) + b"packetclip boot host fw=0.1.0 proto=2\r\n", _serial),
    }


def _seed_info():
    from packetclip.device import protocol as P

    return P.pack_info(P.Info(2, 1, 0, 1_000_000, 4096, "ab" * 32, 76, 12, 0.03, -35, 0.07, 6, (1, 76), (1, 12), "host", "0.1.0"))


def strategy(seed):
    """Random edits of the seed: overwrite, insert and delete bytes, or truncate; plus raw bytes."""
    from hypothesis import strategies as st

    edit = st.tuples(st.sampled_from("oidt"), st.integers(0, max(len(seed) - 1, 0)), st.binary(min_size=1, max_size=8))

    def apply(edits):
        b = bytearray(seed)
        for kind, at, data in edits:
            at = min(at, len(b))
            if kind == "o":
                b[at:at + len(data)] = data
            elif kind == "i":
                b[at:at] = data
            elif kind == "d":
                del b[at:at + len(data)]
            else:
                del b[at:]
        return bytes(b)
    return st.one_of(st.lists(edit, min_size=1, max_size=6).map(apply), st.binary(max_size=512))


def fuzz(name, examples, seed=0):
    """Run one reader's property; returns {"examples", "seconds", "refused", "accepted"}; an
    exception other than PacketclipError propagates with hypothesis' minimal failing input."""
    from hypothesis import HealthCheck, given, settings

    make_seed, call = targets()[name]
    counts = {"refused": 0, "accepted": 0}

    @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck), print_blob=False)
    @given(strategy(make_seed()))
    def prop(data):
        try:
            call(data)
            counts["accepted"] += 1
        except PacketclipError as exc:
            assert "\n" not in str(exc).strip(), f"a multi-line error: {exc}"
            counts["refused"] += 1

    t0 = time.monotonic()
    prop()
    return {"examples": counts["refused"] + counts["accepted"], "seconds": round(time.monotonic() - t0, 1), **counts}


def run(out):
    """The long budget, every reader; a finding is recorded (with its exception), not raised."""
    res = {}
    for name in targets():
        try:
            res[name] = fuzz(name, EXAMPLES)
        except Exception as exc:  # noqa: BLE001 - the finding is the result
            res[name] = {"finding": f"{type(exc).__name__}: {str(exc)[:400]}"}
    return {"examples_per_reader": EXAMPLES, "readers": res,
            "findings": sorted(k for k, v in res.items() if "finding" in v)}
