"""Conformance: does the board compute exactly what the TFLM runtime computes, and how well?

`conform(board, bundle_dir, ...)` streams inputs to the device (pipelined): a flow bundle's
test split by default, or `inputs="random[:N]"` / `inputs="FILE.npy"` for any bundle (device/
inputs.py). Every output is compared with `packetclip.bundle.golden.run_tflm` byte for byte;
for a flow bundle on its test split the device's own outputs also give accuracy, macro-F1 and
per-mission AUC; latency comes from the device counter, throughput from the link. When outputs
differ and the device runs the aot engine, the mismatch debugger (codegen/debug.py) finds for
each of the first few the first differing tensor, its op, node and element, and the cause.
It writes a session folder (results.json, report.md, latency.png, [confusion.png],
mismatches.jsonl, [mismatch-debug.json]) and returns the results dict; `results["passed"]` is
False when an output differs for a reason other than a known difference of the golden runtime
(the debugger's "scale_product_rounding": the device matches TFLM's kernel semantics).
"""

import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from packetclip.boards import load_board
from packetclip.bundle.format import load_bundle
from packetclip.device import protocol as P
from packetclip.device.launch import connect
from packetclip.device.session import Session
from packetclip.errors import PacketclipError
from packetclip.firmware.folder import build_command
from packetclip.fsutil import atomic_dir

DEFAULT_SPLIT = {"kind": "stratified", "test": 0.3, "val": 0.15, "seed": 0}  # distill's split


def default_out(board_name):
    return Path("runs") / "conform" / board_name


def test_inputs(bundle, data=None, limit=None):
    """(int8 inputs [n, input bytes], true labels [n], description, rows) of the flows to check.

    The bundle's own data (no FILE, or FILE is that data): the test split recorded in model.json
    (distill's: stratified, seed 0). Another capture: every row, none of it was seen in training.
    `limit` takes a fixed random subset (seed 0), in row order."""
    from packetclip.bundle.verify import bundle_inputs
    from packetclip.data import split_indices

    table, where, split = scored_rows(bundle, data)
    if split is None:
        rows = np.arange(len(table.labels), dtype=np.int64)
    else:
        rows = np.sort(np.asarray(split_indices(table, kind=split["kind"], test=split["test"], val=split.get("val", 0.0),
                                                seed=split["seed"])["test"], dtype=np.int64))
    if limit is not None and 0 < limit < len(rows):
        rows = np.sort(np.random.default_rng(0).choice(rows, int(limit), replace=False))
    Q = bundle_inputs(bundle, table, rows, where).reshape(len(rows), -1)
    return Q, np.asarray(table.labels).astype(str)[rows], where, rows


def scored_rows(bundle, data=None):
    """(flow table, description, split or None): the split to score when the flows are the bundle's
    own data (None: every row counts, it is another capture)."""
    from packetclip.data import load_flows

    d = bundle.meta.get("data") or {}
    own = d.get("path")
    if data is not None and not (own and _same_file(data, own)):
        return load_flows(path=str(data)), f"{data} (every flow: not the bundle's training data)", None
    sp = {**DEFAULT_SPLIT, **(d.get("split") or {})}
    table = load_flows(path=own if data is None else str(data), dialect=d.get("dialect"))
    source = str(d.get("source") or own or "cicids2017-sample")
    return table, f"{source} test split ({sp['kind']}, test={sp['test']}, seed={sp['seed']})", sp


def _same_file(a, b):
    try:
        return Path(a).resolve() == Path(b).resolve()
    except OSError:
        return False


def check_device(info, bundle, board):
    """Stop with a clear message when the device runs another model or protocol."""
    fix = f"flash it with `{build_command(board, bundle.path)} && packetclip flash --board {board.name}`"
    if info.proto_version != P.PROTO_VERSION:
        raise PacketclipError(f"the device speaks protocol {info.proto_version}, this packetclip speaks {P.PROTO_VERSION}; update the firmware: {fix}")
    if info.model_sha256 != bundle.sha256:
        raise PacketclipError(f"the device runs model {info.model_sha256[:12]}..., the bundle {bundle.path} is {bundle.sha256[:12]}...: {fix}")
    n_in, n_out = int(np.prod(bundle.input_shape)), int(np.prod(bundle.output_shape))
    if (info.input_bytes, info.output_bytes) != (n_in, n_out) or \
            tuple(info.input_shape) != tuple(bundle.input_shape) or tuple(info.output_shape) != tuple(bundle.output_shape):
        raise PacketclipError(f"the device's model takes {list(info.input_shape)} -> {list(info.output_shape)}, the bundle "
                              f"{list(bundle.input_shape)} -> {list(bundle.output_shape)}: {fix}")


def latency_summary(counters, board, info=None):
    c = np.asarray(counters, dtype=np.float64)
    unit = board.counter_unit
    hz = board.counter_hz
    out = {"unit": unit, "counter_hz": hz, "n": int(len(c))}
    if info is not None and info.counter_hz and info.counter_hz != hz:
        out["device_counter_hz"] = info.counter_hz
    if len(c) == 0:
        return out
    for name, q in (("p50", 50), ("p95", 95), ("p99", 99)):
        v = float(np.percentile(c, q))
        out[name] = v
        out[f"{name}_us"] = v * 1e6 / hz
    out["mean"] = float(c.mean())
    out["min"], out["max"] = float(c.min()), float(c.max())
    out["mean_us"] = out["mean"] * 1e6 / hz
    if board.counter_kind == "instructions":
        out["note"] = "emulated: counts are instructions (QEMU -icount), not cycles; microseconds assume 1 instruction per clock"
    return out


def link_summary(session, wall_s, n, baud):
    L = session.link
    out = {"wall_s": wall_s, "inferences_per_s": n / wall_s if wall_s > 0 else None,
           "tx_bytes": L.tx_bytes, "rx_bytes": L.rx_bytes,
           "tx_bytes_per_s": L.tx_bytes / wall_s if wall_s > 0 else None,
           "rx_bytes_per_s": L.rx_bytes / wall_s if wall_s > 0 else None, "baud": baud or None}
    if baud:
        cap = baud / 10.0
        out["utilization_tx"] = out["tx_bytes_per_s"] / cap
        out["utilization_rx"] = out["rx_bytes_per_s"] / cap
        out["utilization"] = max(out["utilization_tx"], out["utilization_rx"])
    else:
        out["utilization"] = None
        out["note"] = "socket link (emulated board): not rate-limited, so no utilization against a baud rate"
    out.update({k: v for k, v in L.to_dict().items() if k not in ("tx_bytes", "rx_bytes", "boot_lines")})
    return out


DEBUG_LIMIT = 50         # mismatching inputs the debugger traces (all of them must be explained to pass)
KNOWN = ("scale_product_rounding",)   # causes where the device matches TFLM's kernel semantics


def conform(board, bundle_dir, data=None, port=None, out=None, limit=None, window=16, firmware=None,
            timeout=2.0, link_baud=None, log=print, progress=None, build=True, inputs=None, debug_limit=DEBUG_LIMIT,
            give_up_s=30.0, missions=None):
    """Run the conformance test; returns the results dict (also written to OUT/results.json).

    A windowed flow bundle on a device with a host table (INFO record 3) gets every flow of the
    data streamed one FLOW at a time (device/stream.py); any other bundle gets whole inputs.
    `missions`: a prototypes file (`packetclip mission compile`) pushed first; every RESULT's
    mission scores and best mission are then checked bit for bit against packetclip.missions.score
    on the TFLM outputs."""
    board = board if hasattr(board, "section") else load_board(board)
    if bundle_dir is None:
        from packetclip.resources import default_bundle

        bundle_dir = default_bundle()
    bundle = load_bundle(bundle_dir)
    protos = None
    if missions is not None:
        from packetclip.missions.prototypes import load_prototypes

        protos = load_prototypes(missions, bundle)
    if inputs is not None and data is not None:
        raise PacketclipError("conform: give --inputs or --data, not both (--data selects flows of a flow bundle)")
    if inputs is None and not bundle.is_flow:
        raise PacketclipError(f"{bundle.path}: a generic bundle (no flow metadata) has no test split; give --inputs random:N "
                              "(seeded random int8 inputs) or --inputs FILE.npy (your recorded int8 inputs)")
    windowed = inputs is None and bundle.window > 1
    job = None if windowed else _whole_inputs(bundle, data, limit, inputs, log)   # fail fast, before a board starts

    with connect(board, port, firmware, bundle_dir, build=build, log=log) as link:
        baud = link_baud if link_baud is not None else (link.baud if link.rate_limited else 0)
        with Session.open(link.url, baud=board.baud or 115200, timeout=timeout, give_up_s=give_up_s,
                          link_bps=(baud / 10.0 if baud else None)) as s:
            boot = s.wait_boot(0.5 if link.emulator is not None else 2.0)
            info = s.hello()
            check_device(info, bundle, board)
            log(f"device: {info.board} fw {info.firmware_version}, engine {info.engine_name}, model {info.model_sha256[:12]}..., "
                f"counter {info.counter_name}")
            if windowed and info.temporal is not None:
                from packetclip.device.stream import flow_stream

                job = _Job.of_stream(bundle, flow_stream(bundle, data, limit), info.temporal, log)
            elif job is None:   # a windowed model on a device without a host table: the host builds the windows
                job = _whole_inputs(bundle, data, limit, None, log)
            pushed = device_scores = None
            if protos is not None:
                from packetclip.missions.device import push_session

                if job.stream is not None:
                    raise PacketclipError("conform --missions: this windowed bundle is streamed as FLOWs, and FLOW_RESULT "
                                          "carries no mission scores yet; score missions with a per-flow (mlp) student")
                pushed = push_session(s, protos, "conform --missions")
                log(f"pushed {pushed['count']} prototype(s) in {pushed['seconds'] * 1000:.1f} ms, set {pushed['sha256'][:12]}...")
            bar = _bar(len(job.Q), progress)
            t0 = time.monotonic()
            if job.stream is None:
                counters, outs = s.infer(job.Q, window=window, progress=bar.update if bar else None)
                history = None
                device_scores = s.mission_scores
            else:
                order = job.stream.order
                c, h, o = s.flows(job.stream.keys[order], job.stream.starts_us[order], job.stream.rows[order],
                                  window=window, progress=bar.update if bar else None)
                counters, history, outs = np.empty_like(c), np.empty_like(h), np.empty_like(o)
                counters[order], history[order], outs[order] = c, h, o
            wall = time.monotonic() - t0
            if bar:
                bar.close()
            stats = s.stats()
            link_res = link_summary(s, wall, len(job.Q), baud)
    context = job.context(info, stats, history)
    debug = _debug(bundle, info, job.Q, job.golden, outs, debug_limit, log)
    mrec = _missions_check(bundle, protos, pushed, job.golden, device_scores) if protos is not None else None
    return _finish(board, bundle, info, boot or (link.emulator.boot if link.emulator else None), job, outs,
                   counters, link_res, stats, out, log, debug, context, mrec)


def _missions_check(bundle, protos, pushed, golden, device_scores):
    """The device's mission block of every RESULT against the integer reference on TFLM's outputs."""
    from packetclip.missions import score

    start = bundle.meta["heads"]["embedding"][0]
    ref_s, ref_b = score.scores(golden, protos.rows, start, bundle.meta["output"]["zero_point"])
    if protos.count == 0:
        exact = np.ones(len(golden), bool)
    else:
        best, dev_s = device_scores
        exact = np.all(dev_s == ref_s, axis=1) & (best == ref_b)
    return {"count": protos.count, "names": list(protos.names), "sha256": protos.sha256, "push": pushed,
            "bit_exact": int(exact.sum()), "mismatches": int((~exact).sum()),
            "scores": None if device_scores is None else device_scores[1], "best": None if device_scores is None else device_scores[0]}


@dataclass
class _Job:
    """What a conformance run sends and what every output must equal."""
    Q: np.ndarray                 # int8 inputs the device computes on (for a stream: the reference windows)
    golden: np.ndarray            # TFLM's outputs on Q
    y: np.ndarray = None          # true labels (flow bundles)
    scored: np.ndarray = None     # bool: rows the metrics count (all when None)
    rows: np.ndarray = None
    where: str = ""
    stream: object = None         # device/stream.FlowStream when the device keeps the context
    reference: tuple = None       # (history lengths, WindowStats) of the stream's reference
    host_windows: bool = False    # a windowed model whose windows the host built (a device without a host table)

    @classmethod
    def of_stream(cls, bundle, stream, temporal, log):
        if temporal["window"] != bundle.window:
            raise PacketclipError(f"the device keeps windows of {temporal['window']} flows, the bundle {bundle.path} takes "
                                  f"{bundle.window}; rebuild the firmware for this bundle")
        Q, hist, stats = stream.reference(bundle, temporal["hosts"])
        if stream.out_of_order:
            log(f"warning: {stream.out_of_order} flows of {stream.where} start before the row above them; "
                "they are streamed in start-time order (ties in file order), as the host reference orders them")
        log(f"{len(Q)} flows from {stream.where}, one FLOW each; the device keeps {temporal['hosts']} hosts x "
            f"{temporal['window'] - 1} flows ({temporal['table_bytes']:,} B); golden outputs from the TFLM runtime on "
            f"the reference windows ({stats.evictions} evictions, {stats.returns} returning hosts)")
        return cls(Q, _golden(bundle, Q), stream.labels, stream.scored, np.arange(len(Q)), stream.where, stream, (hist, stats))

    def context(self, info, dev, history):
        if self.stream is None:
            return {"where": "host" if self.host_windows else "none"}
        hist_ref, ref = self.reference
        t = info.temporal
        same = int((history == hist_ref).sum())
        return {"where": "device", "window": t["window"], "hosts": t["hosts"], "table_bytes": t["table_bytes"],
                "replay": t["replay"], "evictions": int(dev["evictions"]), "evictions_reference": int(ref.evictions),
                "hosts_seen": int(dev["hosts_seen"]), "returns": int(ref.returns), "addresses": int(ref.addresses),
                "host_keys": int(ref.hosts), "collisions": int(ref.collisions), "max_hosts": int(ref.max_hosts),
                "flows": int(dev["flows"]), "flow_replays": int(dev["flow_replays"]),
                "device_out_of_order": int(dev["out_of_order"]), "file_out_of_order": self.stream.out_of_order,
                "history_matches": same, "history_mismatches": int(len(history) - same),
                "scored": int(self.stream.scored.sum())}


def _golden(bundle, Q):
    from packetclip.bundle.golden import run_tflm

    return np.asarray(run_tflm(bundle.tflite, Q)).reshape(len(Q), -1).astype(np.int8)


def _whole_inputs(bundle, data, limit, inputs, log):
    """Whole int8 inputs: --inputs (any bundle) or a flow bundle's test split (windows built by the host)."""
    if inputs is not None:
        from packetclip.device.inputs import conform_inputs

        Q, where = conform_inputs(bundle, inputs, limit)
        job = _Job(Q, _golden(bundle, Q), rows=np.arange(len(Q)), where=where)
    else:
        Q, y, where, rows = test_inputs(bundle, data, limit)
        if len(Q) == 0:
            raise PacketclipError(f"{where}: no test rows to send")
        job = _Job(Q, _golden(bundle, Q), y, None, rows, where, host_windows=bundle.window > 1)
    log(f"{len(job.Q)} inputs: {job.where}; golden outputs from the TFLM runtime")
    return job


def _debug(bundle, info, Q, golden, outs, limit, log):
    """The mismatch debugger on the first `limit` differing inputs (aot engine only)."""
    bad = np.flatnonzero(np.any(outs != golden, axis=1))
    if not len(bad) or limit <= 0:
        return None
    if info.engine_name != "aot":
        return {"skipped": f"the device runs the {info.engine_name} engine; the debugger traces the aot engine"}
    from packetclip.codegen.debug import HostTrace, first_difference, summary_line

    host = HostTrace(bundle.tflite)
    reports = []
    for j, i in enumerate(bad[:limit]):
        rep = first_difference(bundle.tflite, Q[i], device_output=outs[i], host=host)
        reports.append({"input": int(i), **(rep or {"cause": "unexplained"})})
        if j < 3:
            log("mismatch " + summary_line(rep, int(i)))
    if len(reports) > 3:
        log(f"mismatch ... {len(reports) - 3} more traced (mismatch-debug.json)")
    causes = {}
    for r in reports:
        causes[r.get("cause", "unexplained")] = causes.get(r.get("cause", "unexplained"), 0) + 1
    return {"explained_inputs": len(reports), "of": int(len(bad)), "causes": causes, "reports": reports}


def _bar(n, progress):
    if progress is False:
        return None
    if progress is None and not sys.stdout.isatty():
        return None
    from tqdm import tqdm

    return tqdm(total=n, unit="inf", desc="conform", disable=not sys.stdout.isatty())


def _finish(board, bundle, info, boot, job, outs, counters, link_res, stats, out, log, debug, context, missions=None):
    Q, golden, rows, where = job.Q, job.golden, job.rows, job.where
    same = np.all(outs == golden, axis=1)
    n_exact = int(same.sum())
    m = None
    if job.y is not None:
        from packetclip.bundle.verify import outputs_to_scores, score, summary

        keep = job.scored if job.scored is not None else np.ones(len(job.y), bool)
        keep = keep & np.isin(job.y, bundle.meta["labels"])   # a class the model has no output for is not scored
        cls, mis, _ = outputs_to_scores(bundle, outs[keep])
        m = score(bundle.meta, job.y[keep], cls, mis)
    lat = latency_summary(counters, board, info)
    known = bool(debug and "reports" in debug and debug["explained_inputs"] == debug["of"]
                 and all(r.get("cause") in KNOWN for r in debug["reports"]))
    history_ok = context.get("history_mismatches", 0) == 0 and context.get("evictions") == context.get("evictions_reference")
    res = {
        "passed": bool((n_exact == len(Q) or known) and history_ok and (missions is None or missions["mismatches"] == 0)),
        "board": board.name, "emulated": bool(board.emulated), "bundle": str(bundle.path), "model_sha256": bundle.sha256,
        "kind": "flow" if bundle.is_flow else "generic",
        "data": where, "n": int(len(Q)), "bit_exact": n_exact, "mismatches": int(len(Q) - n_exact),
        "device": {**info.to_dict(), "boot": boot}, "device_stats": stats,
        "metrics": summary(m) if m is not None else None, "latency": lat, "link": link_res, "context": context,
    }
    if missions is not None:
        res["missions"] = {k: v for k, v in missions.items() if k not in ("scores", "best")}
    if debug is not None:
        res["mismatch_debug"] = {k: v for k, v in debug.items() if k != "reports"}
        if debug.get("reports"):
            res["mismatch_debug"]["first"] = debug["reports"][0]
        res["known_differences_only"] = known
    out = Path(out) if out else default_out(board.name)
    with atomic_dir(out, "results.json", "conformance session folder") as tmp:
        _write_session(tmp, res, m, bundle, Q, golden, outs, counters, rows, same, debug)
        if missions is not None and missions["scores"] is not None:   # the device's scores, for evaluation
            np.savez(tmp / "mission_scores.npz", scores=missions["scores"], best=missions["best"], rows=np.asarray(rows))
    res["out"] = str(out)
    log(headline(res))
    log(f"report: {out / 'report.md'}")
    return res


def headline(res):
    lat = res["latency"]
    s = f"{res['board']}: {res['bit_exact']}/{res['n']} bit-exact with TFLM"
    if lat.get("p50") is not None:
        s += f"; latency p50 {lat['p50']:,.0f} {lat['unit']} ({lat['p50_us']:,.1f} us at {lat['counter_hz'] / 1e6:g} MHz)"
    if res["metrics"]:
        s += f"; accuracy {res['metrics']['accuracy']:.4f}, macro-F1 {res['metrics']['macro_f1']:.4f}"
    if res.get("mismatch_debug", {}).get("causes"):
        dbg = res["mismatch_debug"]
        s += (f"; the {dbg['explained_inputs']} of {dbg['of']} differing inputs explained: "
              + ", ".join(f"{k} {v}" for k, v in sorted(dbg["causes"].items())) + " (mismatch-debug.json)")
    if res.get("missions"):
        mi = res["missions"]
        s += f"; mission scores ({mi['count']} prototypes) {mi['bit_exact']}/{res['n']} bit-exact with the host reference"
    ctx = res.get("context") or {}
    if ctx.get("where") == "device":
        s += (f"; flows streamed to a {ctx['hosts']}-host table ({ctx['table_bytes']:,} B, {ctx['evictions']} evictions, "
              f"{ctx['history_mismatches']} history mismatches)")
    ips = res["link"].get("inferences_per_s")
    if ips:
        s += f"; {ips:,.0f} inferences/s over the link"
    return s


def _write_session(d, res, m, bundle, Q, golden, outs, counters, rows, same, debug=None):
    from packetclip import plots

    (d / "results.json").write_text(json.dumps(res, indent=2, sort_keys=True, default=_json) + "\n")
    if debug is not None:
        (d / "mismatch-debug.json").write_text(json.dumps(debug, indent=2, sort_keys=True, default=_json) + "\n")
    with open(d / "mismatches.jsonl", "w") as f:
        for i in np.flatnonzero(~same):
            f.write(json.dumps({"index": int(i), "row": int(rows[i]), "input": Q[i].tolist(),
                                "device": outs[i].tolist(), "tflm": golden[i].tolist(),
                                "counter": int(counters[i])}) + "\n")
    lat = res["latency"]
    if len(counters):
        plots.histogram(np.asarray(counters, np.float64), d / "latency.png", f"{lat['unit']} per inference",
                        f"{res['board']}: engine invoke ({lat['unit']})")
    if m is not None:
        plots.confusion_matrix(m["confusion"], m["labels"], d / "confusion.png", f"{res['board']}: on-device confusion matrix")
    (d / "report.md").write_text(report_md(res))


def _json(o):
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    return str(o)


def _f(v, fmt="{:.4f}"):
    return "n/a" if v is None else fmt.format(v)


def report_md(res):
    lat, link, dev, met = res["latency"], res["link"], res["device"], res["metrics"]
    if res["bit_exact"] == res["n"]:
        verdict = "PASS"
    elif res["passed"]:
        verdict = (f"PASS with known differences ({res['mismatches']} outputs differ from the TFLM Python runtime where the device "
                   "matches TFLM's kernel semantics; see mismatch-debug.json)")
    else:
        verdict = f"FAIL ({res['mismatches']} outputs differ from TFLM; see mismatches.jsonl and mismatch-debug.json)"
    lines = [
        f"# Conformance: {res['board']}", "",
        f"**{verdict}**: {res['bit_exact']} of {res['n']} device outputs are bit-exact with the TFLM runtime.", "",
        f"- bundle: `{res['bundle']}` ({res['kind']}, model sha256 `{res['model_sha256'][:16]}...`)",
        f"- inputs: {res['data']}",
        f"- device: {dev['board']} firmware {dev['firmware_version']}, engine {dev['engine_name']}, "
        f"arena {dev['arena_bytes']} B, counter {dev['counter_name']} at {dev['counter_hz']:,} Hz", ""]
    if res.get("missions"):
        mi = res["missions"]
        lines += ["## Missions", "",
                  f"{mi['count']} prototype(s) pushed in {mi['push']['seconds'] * 1000:.1f} ms (set `{mi['sha256'][:16]}...`: "
                  f"{', '.join(mi['names'])}); the scores and best mission of {mi['bit_exact']} of {res['n']} RESULTs are "
                  "bit-exact with packetclip.missions.score on the TFLM outputs (mission_scores.npz).", ""]
    dbg = res.get("mismatch_debug")
    if dbg and dbg.get("first"):
        f = dbg["first"]
        lines += ["## Mismatch debugger", "",
                  f"{dbg['explained_inputs']} of {dbg['of']} differing inputs traced op by op (TFLM on the model cut at "
                  "each tensor against the traced aot build): " + ", ".join(f"{k} {v}" for k, v in sorted(dbg["causes"].items())) + ".", ""]
        if "node" in f:
            e = f["elements"][0]
            lines += [f"First: input {f['input']}, node {f['node']} ({f['op']}), tensor {f['tensor']} `{f['name']}` "
                      f"{f['shape']}, element {e['index']} {tuple(e['coords'])}: device {e['device']}, TFLM {e['tflm']} "
                      f"({f['count']} element(s) differ, at most {f['max_abs_delta']} LSB).", "", f"_{f['explanation']}._", ""]
        else:
            lines += [f"First: input {f['input']}: {f.get('explanation', f.get('cause'))}.", ""]
    elif dbg and dbg.get("skipped"):
        lines += ["## Mismatch debugger", "", dbg["skipped"] + ".", ""]
    ctx = res.get("context") or {}
    if ctx.get("where") == "device":
        lines += ["## Temporal context on the device", "",
                  f"Every flow sent as one FLOW in start-time order; the device built each window from its table of "
                  f"{ctx['hosts']} hosts x {ctx['window'] - 1} flows ({ctx['table_bytes']:,} B). Evictions: device "
                  f"{ctx['evictions']}, reference {ctx['evictions_reference']}; hosts that came back after eviction: "
                  f"{ctx['returns']}; history length equal to the reference's on {ctx['history_matches']} of "
                  f"{ctx['history_matches'] + ctx['history_mismatches']} flows; {ctx['addresses']} source addresses, "
                  f"{ctx['collisions']} host-key collisions; {ctx['flow_replays']} FLOWs answered from the replay buffer; "
                  f"{ctx['file_out_of_order']} rows of the file out of time order. Metrics count {ctx['scored']} flows.", ""]
    elif ctx.get("where") == "host":
        lines += ["## Temporal context", "", "The device has no host table (built with --hosts 0): the harness built each "
                  "window and sent it whole.", ""]
    if met is not None:
        lines += ["## On-device accuracy (from the device's outputs)", "",
                  "| accuracy | macro-F1 | 3-mission mean AUC |", "|---|---|---|",
                  f"| {_f(met['accuracy'])} | {_f(met['macro_f1'])} | {_f(met['mean_auc_three_missions'])} |", "",
                  "| mission | AUC |", "|---|---|",
                  *[f"| {k} | {_f(v)} |" for k, v in met["mission_auc"].items()], ""]
    lines += [f"## Latency ({lat['unit']})", ""]
    if lat.get("note"):
        lines += [f"_{lat['note']}._", ""]
    if lat.get("p50") is not None:
        lines += ["| | p50 | p95 | p99 | mean |", "|---|---|---|---|---|",
                  f"| {lat['unit']} | {lat['p50']:,.0f} | {lat['p95']:,.0f} | {lat['p99']:,.0f} | {lat['mean']:,.0f} |",
                  f"| µs at {lat['counter_hz'] / 1e6:g} MHz | {lat['p50_us']:,.2f} | {lat['p95_us']:,.2f} | {lat['p99_us']:,.2f} | {lat['mean_us']:,.2f} |",
                  "", "![latency](latency.png)", ""]
    lines += ["## Link", "",
              f"- {_f(link['inferences_per_s'], '{:,.0f}')} inferences/s over the harness, "
              f"{link['tx_bytes']:,} B sent and {link['rx_bytes']:,} B received in {link['wall_s']:.2f} s",
              "- utilization: " + (f"{link['utilization']:.1%} of {link['baud']} baud" if link.get("utilization") is not None
                                    else link.get("note", "n/a")),
              f"- recoveries {link['recoveries']}, resent {link['resent']}, timeouts {link['timeouts']}, damaged replies "
              f"{link['rx_bad']}, duplicates dropped {link['duplicates']}, device errors {link['device_errors'] or 'none'}, "
              f"reboots {link['reboots']}", ""]
    if met is not None:
        lines += ["## Confusion matrix", "", "![confusion](confusion.png)", ""]
    return "\n".join(lines)
