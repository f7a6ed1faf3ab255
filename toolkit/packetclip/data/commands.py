"""`packetclip data ...` and `packetclip kg ...`: thin click layer over packetclip.data."""

import json
import sys
from pathlib import Path

import click

from packetclip.data.dialects import NAMES as DIALECT_NAMES
from packetclip.data.dialects import TIME_UNITS
from packetclip.data.label_cli import label as label_command
from packetclip.data.pcap_cli import flows as flows_command
from packetclip.data.text_cli import text as text_command
from packetclip.errors import PacketclipError

DIALECT_CHOICE = click.Choice(DIALECT_NAMES)


def _load_options(f):
    opts = [
        click.option("--dialect", type=DIALECT_CHOICE, default=None, help="Column naming (default: detect from the header)."),
        click.option("--time-unit", type=click.Choice(list(TIME_UNITS)), default=None,
                     help="Unit of the time columns (default: the dialect's, or read from the values)."),
        click.option("--labels", "labels", multiple=True, type=click.Path(), help="Extra label taxonomy TOML (repeatable)."),
        click.option("--kg", "kg_files", multiple=True, type=click.Path(), help="Extra knowledge-graph YAML (repeatable)."),
        click.option("--strict", is_flag=True, help="Reject labels the taxonomy does not know (default: class 'unknown')."),
        click.option("--drop-unknown", is_flag=True, help="Drop rows whose label is unknown."),
        click.option("--drop-bad-rows", is_flag=True, help="Drop rows with non-numeric cells instead of stopping."),
        click.option("--keep-duplicates", is_flag=True, help="Keep exact duplicate rows (dropped by default)."),
        click.option("--drop-constant", is_flag=True, help="Drop constant feature columns (changes the feature list)."),
    ]
    for o in reversed(opts):
        f = o(f)
    return f


def _load(file, dialect, time_unit, labels, kg_files, strict, drop_unknown, drop_bad_rows, keep_duplicates, drop_constant,
          require_label=True):
    from packetclip.data.flows import load_flows
    from packetclip.data.kg import load_kg

    progress = None
    if sys.stdout.isatty() and file is not None:
        from tqdm import tqdm
        size = Path(file).stat().st_size if Path(file).exists() else None
        bar = tqdm(total=size, unit="B", unit_scale=True, desc="reading", leave=False)

        def progress(pos, bar=bar):
            bar.update(max(0, pos - bar.n))
    try:
        return load_flows(file, dialect=dialect, time_unit=time_unit, strict=strict, kg=load_kg(list(kg_files)), labels=list(labels),
                          drop_bad_rows=drop_bad_rows, drop_constant=drop_constant,
                          drop_duplicates=not keep_duplicates, drop_unknown=drop_unknown, require_label=require_label,
                          progress=progress)
    finally:
        if progress is not None:
            progress.__defaults__[0].close()


@click.group("data")
def data():
    """Read flow CSVs and pcaps, inspect, split, describe."""


@data.command("inspect")
@click.argument("file", required=False, type=click.Path())
@_load_options
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def inspect(file, as_json, **load):
    """Read FILE (default: the embedded CIC-IDS2017 sample) and report what cleaning did.

    A file without a label column (a flow meter's raw output) is read too: its flows are 'unknown'."""
    t = _load(file, require_label=False, **load)
    rep = t.report.to_dict()
    if as_json:
        rep["features"] = t.features
        rep["kg_version"] = t.kg_version
        click.echo(json.dumps(rep, indent=2, ensure_ascii=False))
    else:
        click.echo(t.report.to_text())
        click.echo(f"features  {len(t.features)} (units: packetclip/data/schema.py, docs/data.md)")


@data.command("split")
@click.argument("file", required=False, type=click.Path())
@click.option("--out", "-o", "out", required=True, type=click.Path(file_okay=False), help="Output folder.")
@click.option("--split", "kind", type=click.Choice(["stratified", "time", "host"]), default="stratified", show_default=True)
@click.option("--test", type=float, default=0.3, show_default=True, help="Test fraction.")
@click.option("--val", type=float, default=0.0, show_default=True, help="Validation fraction.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["csv", "index"]), default="csv", show_default=True,
              help="csv: train/val/test.csv in packetclip's header; index: row numbers of the cleaned table.")
@_load_options
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def split(file, out, kind, test, val, seed, fmt, as_json, **load):
    """Split FILE into train/val/test under --out (stratified, by time or by source host)."""
    from packetclip.data.splits import split_indices
    from packetclip.fsutil import atomic_dir

    t = _load(file, **load)
    parts = split_indices(t, kind=kind, test=test, val=val, seed=seed)
    summary = {"source": t.source, "dialect": t.dialect, "split": kind, "test": test, "val": val, "seed": seed,
               "format": fmt, "kg_version": t.kg_version, "rows": {k: int(len(v)) for k, v in parts.items()},
               "classes": {k: {c: int((t.labels[v] == c).sum()) for c in sorted(set(t.labels.tolist()))}
                           for k, v in parts.items()},
               "load_options": {k: (list(v) if isinstance(v, tuple) else v) for k, v in load.items()}}
    with atomic_dir(out, "split.json", "split folder") as tmp:
        for name, idx in parts.items():
            if len(idx) == 0:
                continue
            if fmt == "csv":
                from packetclip.data.csvwrite import write_flows_csv
                write_flows_csv(t, tmp / f"{name}.csv", idx)
            else:
                (tmp / f"{name}.idx").write_text("".join(f"{i}\n" for i in idx.tolist()))
        (tmp / "split.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
    if as_json:
        click.echo(json.dumps(summary, indent=2, sort_keys=True))
    else:
        click.echo(f"{kind} split of {t.source}: " + ", ".join(f"{k} {n}" for k, n in summary["rows"].items())
                   + f" rows -> {out}")


data.add_command(flows_command)
data.add_command(label_command)
data.add_command(text_command)


@click.group("kg")
def kg():
    """Show or check the mission knowledge graph."""


@kg.command("show")
@click.option("--kg", "kg_files", multiple=True, type=click.Path(), help="Extra knowledge-graph YAML (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print the graph as JSON.")
def show(kg_files, as_json):
    """Print the missions, tactics and techniques (with ATT&CK ids)."""
    from packetclip.data.kg import load_kg

    g = load_kg(list(kg_files))
    click.echo(json.dumps(g.to_dict(), indent=2, ensure_ascii=False) if as_json else g.to_text())


@kg.command("check")
@click.argument("file", type=click.Path())
def check(file):
    """Check a user knowledge-graph FILE merged onto the packaged graph."""
    from packetclip.data.kg import check_file

    g = check_file(file)
    click.echo(f"{file}: ok; merged graph {g.version}: {len(g.missions)} missions, "
               f"{len(g.tactics)} tactics, {len(g.techniques)} techniques")


__all__ = ["data", "kg", "PacketclipError"]
