"""`packetclip mission add | list | rm | compile | push`: thin click layer over packetclip.missions."""

import json

import click

from packetclip.missions.file import DEFAULT_FILE

_file = click.option("--file", "path", default=DEFAULT_FILE, show_default=True, type=click.Path(dir_okay=False),
                     help="missions file (YAML)")


@click.group("mission")
def mission():
    """Missions in words: the device scores every flow against each (docs/missions.md)."""


@mission.command("add")
@click.argument("name")
@click.argument("description")
@click.option("--kg", "kg_nodes", multiple=True, metavar="NODE",
              help="knowledge-graph node whose words join the description (repeatable; `packetclip kg show`)")
@_file
def add(name, description, kg_nodes, path):
    """Add mission NAME, described in words by DESCRIPTION."""
    from packetclip.data.kg import load_kg
    from packetclip.missions.file import add_mission

    ms = add_mission(path, name, description, kg_nodes, kg=load_kg())
    click.echo(f"{path}: {len(ms)} mission(s); added {name!r}")


@mission.command("rm")
@click.argument("name")
@_file
def rm(name, path):
    """Remove mission NAME."""
    from packetclip.missions.file import remove_mission

    ms = remove_mission(path, name)
    click.echo(f"{path}: {len(ms)} mission(s); removed {name!r}")


@mission.command("list")
@_file
@click.option("--json", "as_json", is_flag=True, help="print the missions as JSON")
def list_(path, as_json):
    """List the missions of the file."""
    from packetclip.data.kg import load_kg
    from packetclip.missions.file import load_missions

    ms = load_missions(path, kg=load_kg())
    if as_json:
        click.echo(json.dumps([m.to_dict() for m in ms], indent=2))
        return
    for i, m in enumerate(ms):
        click.echo(f"{i:>3}  {m.name:<24} {m.description}" + (f"  [kg: {', '.join(m.kg)}]" if m.kg else ""))
    click.echo(f"{len(ms)} mission(s) in {path}")


def _prototypes(model, teacher, path, prototypes_file):
    from packetclip.bundle.format import load_bundle
    from packetclip.data.kg import load_kg
    from packetclip.missions.file import load_missions
    from packetclip.missions.prototypes import compile_prototypes, load_prototypes

    bundle = load_bundle(model)
    if prototypes_file:
        return bundle, load_prototypes(prototypes_file, bundle)
    kg = load_kg()
    return bundle, compile_prototypes(load_missions(path, kg=kg), bundle, teacher=teacher, kg=kg)


_model = click.option("--model", required=True, type=click.Path(file_okay=False),
                      help="bundle distilled with --embedding (its projection and teacher)")
_teacher = click.option("--teacher", default=None, type=click.Path(file_okay=False),
                        help="teacher run the bundle was distilled from [default: the one model.json names]")


@mission.command("compile")
@_model
@_teacher
@_file
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="prototypes file to write (JSON)")
def compile_(model, teacher, path, out):
    """Turn the missions into int8 prototypes for a bundle (for `build --missions` or `push --prototypes`)."""
    from packetclip.missions.prototypes import save_prototypes

    _, protos = _prototypes(model, teacher, path, None)
    save_prototypes(out, protos)
    click.echo(f"wrote {out}: {protos.count} prototype(s) of {protos.dim} values, set {protos.sha256[:12]}...")


@mission.command("push")
@click.option("--board", required=True, help="board name from boards/ or a path to a board .toml")
@_model
@_teacher
@_file
@click.option("--prototypes", "prototypes_file", default=None, type=click.Path(dir_okay=False),
              help="a compiled prototypes file instead of --file")
@click.option("--port", default=None, help="serial port or pyserial URL; emulated boards are started when omitted")
@click.option("--firmware", type=click.Path(), default=None, help="emulated boards: build folder or .elf")
@click.option("--json", "as_json", is_flag=True, help="print the push record as JSON")
def push(board, model, teacher, path, prototypes_file, port, firmware, as_json):
    """Send the missions to a running board (stored in its RAM; no reflash)."""
    from packetclip.missions.device import push as run

    _, protos = _prototypes(model, teacher, path, prototypes_file)
    rec = run(board, model, protos, port=port, firmware=firmware, log=(lambda *a: None) if as_json else click.echo)
    if as_json:
        click.echo(json.dumps({**rec, "names": protos.names}, indent=2))
