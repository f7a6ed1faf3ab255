"""`packetclip demo`: the whole flow, end to end, on an emulated board.

shipped CIC-IDS2017 sample -> teacher (demo preset) -> distilled int8 student -> firmware for
the board -> QEMU -> conformance against the TFLM runtime -> SWaP report. Each stage prints one
headline; everything lands under OUT (default runs/demo) with a REPORT.md that links the rest.
"""

import json
import time
from pathlib import Path

import click

from packetclip.fsutil import write_text

DEFAULT_BUDGET = "flash=64KiB,ram=16KiB,latency=5ms,energy=500uJ"


def run_demo(board="mps2-an386", out="runs/demo", shipped=False, seed=0, budget=DEFAULT_BUDGET, log=print):
    """Run every stage; returns a summary dict (also written to OUT/summary.json)."""
    from packetclip.data import load_flows
    from packetclip.device.conform import conform
    from packetclip.firmware import build_firmware
    from packetclip.firmware.folder import build_dir
    from packetclip.swap.report import swap

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    quiet = lambda *a, **k: None  # noqa: E731  the stages' own chatter; the demo prints headlines
    summary, t0 = {"board": board, "stages": {}}, time.monotonic()

    def stage(name, headline, **facts):
        summary["stages"][name] = {"headline": headline, "seconds": round(time.monotonic() - t_stage, 1), **facts}
        log(f"[{name:>7}] {headline}  ({summary['stages'][name]['seconds']} s)")

    t_stage = time.monotonic()
    table = load_flows(None)
    stage("data", f"{len(table.labels):,} flows kept of the embedded CIC-IDS2017 sample, "
                  f"{len(set(table.labels))} classes, {len(set(table.missions))} missions")

    if shipped:
        from packetclip.resources import default_bundle

        bundle_dir = default_bundle()
        t_stage = time.monotonic()
        stage("teacher", "skipped (--shipped): using the released bundle")
    else:
        from packetclip.distill import distill
        from packetclip.teacher import train

        t_stage = time.monotonic()
        res = train(None, out=out / "teacher", preset="demo", seed=seed, quiet=True)
        m = res["metrics"]["holdout_metrics"]
        stage("teacher", f"PacketCLIP + hierarchical GNN, test macro-F1 {m['macro_f1']:.4f}, "
                         f"three-mission AUC {m['mean_auc_three_missions']:.4f}",
              macro_f1=m["macro_f1"], auc=m["mean_auc_three_missions"])

        t_stage = time.monotonic()
        bundle_dir = out / "bundle"
        # the same budgets and architecture as the released bundle (models/cicids2017-mlp)
        res = distill(out / "teacher", board=board, out=bundle_dir, arch="mlp", max_weights=16384,
                      max_arena=4096, preset="demo", log=quiet,
                      command=f"packetclip demo --board {board} --seed {seed}")
        tm = res["metrics"]["tflm_int8"]
        stage("student", f"{res['student'].get('arch', 'student')} int8: {res['weight_bytes']:,} B weights, "
                         f"{res['macs']:,} MACs, arena {res['arena_bytes']:,} B; TFLM macro-F1 "
                         f"{_num(tm.get('macro_f1'))}, three-mission AUC {_num(tm.get('mean_auc_three_missions'))}",
              weight_bytes=res["weight_bytes"], macs=res["macs"], arena_bytes=res["arena_bytes"])

    t_stage = time.monotonic()
    fw_dir = build_dir(board, root=out / "build")
    rep = build_firmware(board, bundle_dir, out=fw_dir, log=quiet)
    mem = rep["memory"]
    stage("build", f"aot firmware for {board}: flash {mem['flash_bytes']:,} B, RAM {mem['ram_bytes']:,} B "
                   f"+ stack {mem['stack_bytes']:,} B, DSP {'on' if rep['dsp'] else 'off'}", elf=rep["elf"])

    t_stage = time.monotonic()
    conf = conform(board, bundle_dir, out=out / "conform" / board, firmware=fw_dir, log=quiet)
    lat = conf["latency"]
    stage("conform", f"{conf['bit_exact']}/{conf['n']} outputs bit-exact with TFLM; on-device macro-F1 "
                     f"{conf['metrics']['macro_f1']:.4f}; latency p50 {lat['p50']:,.0f} {lat['unit']} "
                     f"({lat['p50_us']:,.0f} us at the board clock)",
          passed=conf["passed"], report=str(Path(conf["out"]) / "report.md"))

    t_stage = time.monotonic()
    sw = swap([board], budget, model=bundle_dir, build_root=out / "build", conform_root=out / "conform",
              out=out / "swap", log=quiet)
    row = sw["boards"][0]
    energy = "n/a" if row["energy_uj"] is None else f"{row['energy_uj']:.1f} uJ"
    stage("swap", f"{'all budgets met' if sw['passed'] else 'budgets MISSED'} ({budget}): flash "
                  f"{row['flash_bytes']:,} B, RAM+stack {row['ram_total_bytes']:,} B, "
                  f"p99 {row['latency_p99_s'] * 1e3:.3f} ms, {energy} per inference, {row['weight_g']} g",
          passed=sw["passed"])

    summary["seconds"] = round(time.monotonic() - t0, 1)
    summary["passed"] = bool(conf["passed"])
    write_text(out / "summary.json", json.dumps(summary, indent=2, sort_keys=True, default=str) + "\n")
    write_text(out / "REPORT.md", _report(summary, out))
    log(f"demo finished in {summary['seconds']} s; report: {out / 'REPORT.md'}")
    return summary


def _num(v):
    return "n/a" if v is None else f"{v:.4f}"


def _report(summary, out):
    lines = [f"# packetclip demo on {summary['board']}", "",
             f"Wall time {summary['seconds']} s. Conformance {'passed' if summary['passed'] else 'FAILED'}.", "",
             "| stage | headline | seconds |", "|---|---|---|"]
    for name, s in summary["stages"].items():
        lines.append(f"| {name} | {s['headline']} | {s['seconds']} |")
    lines += ["", "Details: `teacher/` (training run), `bundle/` (model bundle and MODEL_CARD.md), "
              f"`conform/{summary['board']}/report.md`, `swap/report.md`.", ""]
    return "\n".join(lines)


@click.command("demo")
@click.option("--board", default="mps2-an386", show_default=True, help="An emulated board (`packetclip boards`: emulated yes).")
@click.option("--out", default="runs/demo", show_default=True, type=click.Path(file_okay=False))
@click.option("--shipped", is_flag=True, help="Skip training: use the released bundle in models/.")
@click.option("--seed", default=0, show_default=True)
@click.option("--budget", default=DEFAULT_BUDGET, show_default=True, help="SWaP budgets to check.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def demo(board, out, shipped, seed, budget, as_json):
    """The whole flow end to end on an emulated board (default mps2-an386 under QEMU)."""
    from packetclip.boards import load_board
    from packetclip.errors import PacketclipError

    b = load_board(board)
    if not b.runner.emulated:
        from packetclip.device.runners import EMULATED

        raise PacketclipError(f"--board {board}: the demo needs an emulated board (runner {' or '.join(EMULATED)}); "
                              f"for {board} use `packetclip build`, `flash` and `conform`")
    summary = run_demo(board, out, shipped=shipped, seed=seed, budget=budget,
                       log=(lambda *a, **k: None) if as_json else print)
    if as_json:
        click.echo(json.dumps(summary, indent=2, sort_keys=True, default=str))
    if not summary["passed"]:
        raise SystemExit(1)
