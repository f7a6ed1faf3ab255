"""`swap(boards, budgets, ...)`: one row per board, pass/fail per budget, a table, plots, Markdown.

Sources, best first, and every row says which it used:
- size: the board's firmware build (build/<board>-aot: its ELF read with pyelftools, the
  component split from build.json), else an estimate from the bundle (weight bytes + a code
  size measured on another build of this model, or a fixed allowance) marked "estimated";
- latency: the last conformance run on that board for this model (runs/conform/<board>),
  else an estimate from a measured run of the same model on an emulated board (instructions
  ≈ cycles) or from the model's MACs, marked "estimated";
- energy per inference = the board's active power × mean latency; weight from the board file.
The latency budget is checked against p99.
"""

import json
from pathlib import Path

from packetclip.boards import load_board
from packetclip.cores import CORES
from packetclip.errors import PacketclipError
from packetclip.firmware.folder import build_dir
from packetclip.firmware.memory import COMPONENTS
from packetclip.resources import default_bundle
from packetclip.swap.budget import check, fmt_value, parse_budgets
from packetclip.swap.elfsize import read_elf

# the estimate when nothing was measured: the core's cycles per MAC (cores.py) plus a fixed
# cost per invoke for layer setup
FIXED_CYCLES = 3000
CODE_ALLOWANCE = 4096          # core + engine + port + libc when no build of this model exists
RAM_ALLOWANCE = 512            # protocol buffers and statics besides the activation buffer
STACK_ALLOWANCE = 2048


def _load_json(p):
    try:
        return json.loads(Path(p).read_text())
    except (OSError, json.JSONDecodeError):
        return None


def _build_for(board, build_root, sha):
    """build.json of build/<board>-aot when it was built for this model (sha) and its ELF exists."""
    d = build_dir(board.name, root=build_root)
    rep = _load_json(d / "build.json")
    if not rep:
        return None, d
    elf = Path(rep.get("elf") or d / "packetclip.elf")
    if not elf.is_absolute() and not elf.exists():
        elf = d / elf.name
    built_sha = (rep.get("codegen") or {}).get("tflite_sha256")
    if not elf.exists() or (sha and built_sha and built_sha != sha):
        return None, d
    rep["_elf"] = elf
    return rep, d


def _conform_for(board_name, conform_root, sha):
    res = _load_json(Path(conform_root) / board_name / "results.json")
    if res and (not sha or res.get("model_sha256") == sha) and res.get("latency", {}).get("p50") is not None:
        return res
    return None


def _size_row(board, rep, meta, reference):
    """Flash/RAM: measured from a build, or estimated from the bundle."""
    if rep is not None:
        elf = read_elf(rep["_elf"])
        mem = rep.get("memory") or {}
        split_src = "linker map (build.json)" if mem.get("flash") else "ELF symbols"
        flash_c = mem.get("flash") or elf["symbols_split"]["flash"]
        ram_c = mem.get("ram") or elf["symbols_split"]["ram"]
        arena = (rep.get("codegen") or {}).get("arena_bytes") or meta.get("arena_bytes")
        return {"size_source": f"measured: {Path(rep['_elf']).name} ({split_src})", "estimated_size": False,
                "flash_bytes": elf["flash_bytes"], "ram_bytes": elf["ram_bytes"], "stack_bytes": elf["stack_bytes"],
                "arena_bytes": arena, "sections": elf["sections"],
                "flash_components": {c: int(flash_c.get(c, 0)) for c in COMPONENTS},
                "ram_components": {c: int(ram_c.get(c, 0)) for c in COMPONENTS}}
    if reference is not None:
        # Same model, same generated code: another board's build is the best estimate (code
        # density differs by ISA, so it stays marked "estimated").
        how = f"estimated: the build of this model for {reference['board']} (same generated code; code size varies with the ISA)"
        keep = ("flash_bytes", "ram_bytes", "stack_bytes", "arena_bytes", "flash_components", "ram_components")
        return {"size_source": how, "estimated_size": True, "sections": {}, **{k: reference[k] for k in keep}}
    weights = int(meta.get("weight_bytes") or 0)
    arena = int(meta.get("arena_bytes") or 0)
    return {"size_source": f"estimated from the bundle: {weights:,} weight bytes + {CODE_ALLOWANCE} B code allowance, "
                           f"TFLM arena {arena:,} B + {RAM_ALLOWANCE} B (no firmware build of this model here)",
            "estimated_size": True, "flash_bytes": weights + CODE_ALLOWANCE, "ram_bytes": arena + RAM_ALLOWANCE,
            "stack_bytes": STACK_ALLOWANCE, "arena_bytes": arena, "sections": {},
            "flash_components": {**dict.fromkeys(COMPONENTS, 0), "weights": weights, "other": CODE_ALLOWANCE},
            "ram_components": {**dict.fromkeys(COMPONENTS, 0), "engine": arena, "other": RAM_ALLOWANCE}}


def _latency_row(board, conf, meta, emulated_ref):
    hz = board.counter_hz
    if conf is not None:
        lat = conf["latency"]
        return {"latency_source": f"measured: conformance run on {board.name} ({lat['unit']}, n={lat.get('n')})",
                "estimated_latency": False, "latency_unit": lat["unit"],
                "latency_p50_s": lat["p50"] / hz, "latency_p99_s": lat["p99"] / hz, "latency_mean_s": lat["mean"] / hz,
                "latency_p50_counts": lat["p50"]}
    if emulated_ref is not None and board.counter_kind != "nanoseconds":
        counts = emulated_ref["latency"]["mean"]
        p99 = emulated_ref["latency"]["p99"]
        src = (f"estimated: {counts:,.0f} instructions measured on {emulated_ref['board']} (QEMU) taken as cycles "
               f"at {board.clock_hz / 1e6:g} MHz")
    else:
        macs = int(meta.get("macs") or 0)
        cpm = CORES[board.core].cycles_per_mac
        counts = p99 = macs * cpm + FIXED_CYCLES
        src = f"estimated: {macs:,} MACs x {cpm} cycles/MAC + {FIXED_CYCLES} at {board.clock_hz / 1e6:g} MHz"
    return {"latency_source": src, "estimated_latency": True, "latency_unit": "cycles (estimated)",
            "latency_p50_s": counts / board.clock_hz, "latency_p99_s": p99 / board.clock_hz,
            "latency_mean_s": counts / board.clock_hz, "latency_p50_counts": counts}


def swap(boards, budgets=None, model=None, build_root="build", conform_root="runs/conform", out=None, log=print):
    """SWaP rows for `boards` (names or Board objects) against `budgets` (dict or budget string)."""
    from packetclip.bundle.format import load_bundle

    if isinstance(budgets, str) or budgets is None:
        budgets = parse_budgets(budgets)
    if not boards:
        raise PacketclipError("--board: give at least one board (see `packetclip boards`)")
    boards = [b if hasattr(b, "section") else load_board(b) for b in boards]
    model = Path(model) if model else default_bundle()
    bundle = load_bundle(model)
    meta, sha = bundle.meta, bundle.sha256

    # Measurements of this model anywhere help estimate the boards that have none.
    rows, reference, emulated_ref = [], None, None
    for b in boards + [load_board("mps2-an386")]:
        rep, _ = _build_for(b, build_root, sha)
        if rep is not None and reference is None and b.counter_kind != "nanoseconds":
            reference = {"board": b.name, **_size_row(b, rep, meta, None)}
        conf = _conform_for(b.name, conform_root, sha)
        if conf is not None and b.counter_kind == "instructions" and emulated_ref is None:
            emulated_ref = conf
    for b in boards:
        rep, d = _build_for(b, build_root, sha)
        conf = _conform_for(b.name, conform_root, sha)
        row = {"board": b.name, "core": b.core, "clock_hz": b.clock_hz, "emulated": bool(b.emulated),
               "board_flash_bytes": b.flash_bytes, "board_ram_bytes": b.ram_bytes,
               "active_mw": b.section("power").get("active_mw"), "idle_mw": b.section("power").get("idle_mw"),
               "power_source": b.section("power").get("source"), "weight_g": b.weight_g}
        row.update(_size_row(b, rep, meta, reference))
        row.update(_latency_row(b, conf, meta, emulated_ref))
        row["energy_uj"] = row["active_mw"] * row["latency_mean_s"] * 1e3 if row["active_mw"] is not None else None
        row["estimated"] = row["estimated_size"] or row["estimated_latency"]
        ram_total = row["ram_bytes"] + row["stack_bytes"]
        row["ram_total_bytes"] = ram_total
        row["fits_board"] = row["flash_bytes"] <= b.flash_bytes and ram_total <= b.ram_bytes
        values = {"flash": row["flash_bytes"], "ram": ram_total, "latency": row["latency_p99_s"],
                  "energy": None if row["energy_uj"] is None else row["energy_uj"] * 1e-6, "weight": b.weight_g}
        row["budgets"] = check(budgets, values)
        row["passed"] = row["fits_board"] and all(v["pass"] is not False for v in row["budgets"].values())
        rows.append(row)
    res = {"model": str(model), "model_sha256": sha, "budgets": budgets, "boards": rows,
           "passed": all(r["passed"] for r in rows)}
    if out:
        write_report(res, out)
        res["out"] = str(out)
    return res


def table(res):
    keys = list(res["budgets"])
    head = ["board", "flash", "RAM+stack", "latency p99", "energy/inf", "weight", "fits", *[f"{k} budget" for k in keys], "source"]
    rows = []
    for r in res["boards"]:
        cells = [r["board"], fmt_value("flash", r["flash_bytes"]), fmt_value("ram", r["ram_total_bytes"]),
                 fmt_value("latency", r["latency_p99_s"]), fmt_value("energy", None if r["energy_uj"] is None else r["energy_uj"] * 1e-6),
                 fmt_value("weight", r["weight_g"]), "yes" if r["fits_board"] else "NO"]
        for k in keys:
            c = r["budgets"][k]
            if c["pass"] is None:
                cells.append("n/a")
            else:
                cells.append(f"{'PASS' if c['pass'] else 'FAIL'} ({c['margin_pct']:+.0f}%)")
        cells.append("estimated" if r["estimated"] else "measured")
        rows.append(cells)
    return head, rows


def format_table(res):
    head, rows = table(res)
    w = [max(len(str(x)) for x in col) for col in zip(head, *rows, strict=True)]
    line = lambda cells: "  ".join(str(c).ljust(n) for c, n in zip(cells, w, strict=True))  # noqa: E731
    out = [line(head)] + [line(r) for r in rows]
    if any(r["emulated"] and r["board"] != "host" for r in res["boards"]):
        out.append("emulated boards: latency counts instructions (QEMU -icount), not cycles, at the board clock")
    return "\n".join(out)


def report_md(res):
    head, rows = table(res)
    budgets = ", ".join(f"{k} ≤ {fmt_value(k, v)}" for k, v in res["budgets"].items()) or "none given (board capacity only)"
    lines = [f"# SWaP: {Path(res['model']).name}", "",
             f"Model `{res['model']}` (sha256 `{res['model_sha256'][:16]}...`). Budgets: {budgets}. "
             f"Overall: **{'PASS' if res['passed'] else 'FAIL'}**.", "",
             "| " + " | ".join(head) + " |", "|" + "---|" * len(head),
             *["| " + " | ".join(map(str, r)) + " |" for r in rows], "",
             "Latency budgets are checked against p99; energy per inference = active power × mean latency. "
             "Emulated boards count instructions (QEMU -icount), not cycles.", "",
             "![swap](swap.png)", ""]
    for r in res["boards"]:
        lines += [f"## {r['board']}", "",
                  f"- size: {r['size_source']}",
                  f"- latency: {r['latency_source']}",
                  f"- power: {r['active_mw']} mW active, {r['idle_mw']} mW idle ({r['power_source']})",
                  f"- weight: {r['weight_g']} g; arena {r['arena_bytes']} B; stack {r['stack_bytes']} B", "",
                  "| component | flash (B) | RAM (B) |", "|---|---|---|",
                  *[f"| {c} | {r['flash_components'][c]:,} | {r['ram_components'][c]:,} |" for c in COMPONENTS],
                  f"| **total** | {r['flash_bytes']:,} | {r['ram_bytes']:,} (+ stack {r['stack_bytes']:,}) |", ""]
        if r["sections"]:
            lines += ["sections: " + ", ".join(f"`{k}` {v:,} B" for k, v in r["sections"].items()), ""]
    return "\n".join(lines)


def plot(res, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from packetclip.fsutil import atomic_path

    names = [r["board"] for r in res["boards"]]
    panels = [("flash", "flash (KiB)", [r["flash_bytes"] / 1024 for r in res["boards"]], 1 / 1024),
              ("ram", "RAM + stack (KiB)", [r["ram_total_bytes"] / 1024 for r in res["boards"]], 1 / 1024),
              ("latency", "latency p99 (ms)", [r["latency_p99_s"] * 1e3 for r in res["boards"]], 1e3),
              ("energy", "energy / inference (µJ)", [r["energy_uj"] or 0 for r in res["boards"]], 1e6)]
    fig, axes = plt.subplots(1, 4, figsize=(max(10, 2.2 * len(names) + 6), 3.6))
    for ax, (key, label, vals, scale) in zip(axes, panels, strict=True):
        colors = ["#bbbbbb" if r["estimated"] else "#4477aa" for r in res["boards"]]
        ax.bar(names, vals, color=colors)
        if key in res["budgets"]:
            ax.axhline(res["budgets"][key] * scale, color="red", ls="--", lw=1)
        ax.set_title(label, fontsize=9)
        ax.tick_params(axis="x", rotation=45, labelsize=7)
    fig.suptitle("SWaP per board (grey: estimated; red: budget)", fontsize=10)
    fig.tight_layout()
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, dpi=110, metadata={"Software": None})
    plt.close(fig)


def write_report(res, out):
    from packetclip.fsutil import atomic_dir

    with atomic_dir(out, "swap.json", "SWaP report folder") as tmp:
        (tmp / "swap.json").write_text(json.dumps(res, indent=2, sort_keys=True, default=str) + "\n")
        (tmp / "report.md").write_text(report_md(res))
        plot(res, tmp / "swap.png")
