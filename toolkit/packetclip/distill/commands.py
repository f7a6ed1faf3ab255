"""`packetclip distill`: thin click layer over packetclip.distill.distill (imports torch lazily)."""

import json
import shlex
import sys

import click


def _command_line(teacher_run, opts):
    """The exact command that reproduces this bundle (written into its model card)."""
    parts = ["packetclip", "distill"] + ([teacher_run] if teacher_run else ["--labels-only"])
    for key, value in opts:
        if value is None or value is False:
            continue
        parts += [key] if value is True else [key, str(value)]
    return " ".join(shlex.quote(p) for p in parts)


@click.command("distill")
@click.argument("teacher_run", required=False)
@click.option("--board", default="mps2-an386", show_default=True, help="Board name or board .toml: its flash and RAM bound the student.")
@click.option("--out", required=True, help="Bundle folder to write (e.g. models/my-student).")
@click.option("--arch", type=click.Choice(["auto", "mlp", "conv1d"]), default="auto", show_default=True,
              help="Student architecture; auto trains the largest fitting MLP and Conv1D and keeps the better one on validation.")
@click.option("--seed", type=int, default=None, help="Seed for the split, training and calibration (default: the teacher's seed, else 0).")
@click.option("--max-weights", type=int, default=None, help="Weight bytes limit (tighter than the board's flash).")
@click.option("--max-arena", type=int, default=None, help="TFLM arena bytes limit (tighter than the board's RAM).")
@click.option("--max-macs", type=int, default=None, help="Multiply-accumulates per inference limit.")
@click.option("--max-ram", type=int, default=None,
              help="RAM bytes limit for the model at run time: its TFLM arena plus, for a windowed student, the device's host table.")
@click.option("--hosts", type=click.IntRange(min=1), default=16, show_default=True,
              help="Hosts the device keeps for a windowed (conv1d) student: the table (hosts x window-1 flows) counts in RAM.")
@click.option("--preset", type=click.Choice(["full", "demo", "tiny"]), default="full", show_default=True,
              help="full: the released bundles; demo: fast for `make demo`; tiny: seconds (tests).")
@click.option("--data", default=None, help="Flow file; default: the teacher's data (the embedded CIC-IDS2017 sample).")
@click.option("--embedding", is_flag=True,
              help="Also distill the teacher's flow embedding into an int8 head, so the board can score missions "
                   "given in words (`packetclip mission`; docs/missions.md).")
@click.option("--embedding-dim", type=click.IntRange(2, 64), default=None,
              help="Values in the embedding head [default: 16]: the top principal directions of the teacher's flow embeddings.")
@click.option("--labels-only", is_flag=True, help="No teacher: train the student on the labels alone.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON on stdout.")
def distill(teacher_run, board, out, arch, seed, max_weights, max_arena, max_macs, max_ram, hosts, preset, data, embedding, embedding_dim,
            labels_only, as_json):
    """Distill TEACHER_RUN into an int8 TFLM student bundle at --out, sized for --board."""
    from packetclip.distill.pipeline import distill as run
    from packetclip.errors import PacketclipError

    if (teacher_run is None) == (not labels_only):
        raise PacketclipError("packetclip distill: give a TEACHER_RUN folder or --labels-only (not both, not neither)")
    cmd = _command_line(teacher_run, [("--board", board), ("--arch", arch), ("--seed", seed), ("--max-weights", max_weights),
                                      ("--max-arena", max_arena), ("--max-macs", max_macs), ("--max-ram", max_ram),
                                      ("--hosts", hosts if arch != "mlp" else None), ("--preset", preset),
                                      ("--data", data), ("--embedding", embedding),
                                      ("--embedding-dim", embedding_dim), ("--out", out)])
    log = (lambda msg: click.echo(msg, err=True)) if as_json else click.echo
    result = run(teacher_run, board=board, out=out, arch=arch, seed=seed, max_macs=max_macs, max_weights=max_weights,
                 max_arena=max_arena, preset=preset, data=data, embedding=embedding, embedding_dim=embedding_dim, log=log, command=cmd,
                 max_ram=max_ram, hosts=hosts)
    if as_json:
        sys.stdout.write(json.dumps(result, indent=2, sort_keys=True) + "\n")
