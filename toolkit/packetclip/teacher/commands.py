"""`packetclip train` and `packetclip evaluate`: thin click layers over packetclip.teacher.
torch loads only when a command runs, so `packetclip --help` stays light."""

import json

import click


def _evaluate_cross(run, test_data, out, seeds, other_options, as_json):
    from pathlib import Path

    from packetclip.errors import PacketclipError
    from packetclip.teacher.crosseval import evaluate_cross

    if run is None or not (Path(run) / "config.json").exists():
        raise PacketclipError(f"{run or 'RUN'}: --test-data needs a teacher run folder (config.json); train one with "
                              "`packetclip train TRAIN.csv --out runs/teacher`")
    if other_options:
        raise PacketclipError("--test-data: --scarcity, --preset, --ssl and --text-encoder do not apply; the run's settings are used")
    m = evaluate_cross(run, test_data, out=out, seeds=seeds, log=(lambda *_: None) if as_json else click.echo)
    short = {f"{group}.{k}": {x: (v[x]["mean"] if v[x] else None) for x in ("accuracy", "macro_f1", "mean_auc_three_missions")}
             for group in ("teacher", "baselines") for k, v in m[group].items()}
    if as_json:
        click.echo(json.dumps({"out": out, "mode": m["mode"], "test_data": m["test_data"]["source"],
                               "teacher": {k: v for k, v in short.items() if k.startswith("teacher.")},
                               "baselines": {k: v for k, v in short.items() if k.startswith("baselines.")},
                               "targets": m["targets"]}, indent=2))
    else:
        for k, v in short.items():
            click.echo(f"{k}: accuracy {v['accuracy']:.4f} macro-F1 {v['macro_f1']:.4f} "
                       f"three-mission AUC {v['mean_auc_three_missions'] if v['mean_auc_three_missions'] is None else round(v['mean_auc_three_missions'], 4)}")
        click.echo(f"wrote {out}/report.md")


@click.command("train")
@click.argument("file", required=False, type=click.Path(dir_okay=False))
@click.option("--out", default="runs/teacher", show_default=True, type=click.Path(file_okay=False),
              help="Run folder to write (config.json, model.pt, checkpoint.pt, metrics).")
@click.option("--preset", default="full", show_default=True, help="full | demo (~1 min) | tiny (seconds, tests).")
@click.option("--seed", default=0, show_default=True, type=int, help="Seed of the 70/30 split and of training.")
@click.option("--ssl", default="packet", show_default=True, help="SimCLR head on: packet | both | none.")
@click.option("--text-encoder", default="small", show_default=True,
              help="small (trained here, offline) | minilm (frozen all-MiniLM-L6-v2, needs the 'minilm' extra).")
@click.option("--fraction", default=1.0, show_default=True, type=float, help="Share of the training split to train on.")
@click.option("--kg", "kg_files", multiple=True, type=click.Path(dir_okay=False, exists=True),
              help="Extra knowledge-graph YAML merged onto the packaged one (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def train(file, out, preset, seed, ssl, text_encoder, fraction, kg_files, as_json):
    """Train the PacketCLIP teacher on FILE (default: the embedded CIC-IDS2017 sample)."""
    from packetclip.teacher import train as train_api

    r = train_api(file, out=out, preset=preset, seed=seed, ssl=ssl, text_encoder=text_encoder,
                  fraction=fraction, kg=list(kg_files) or None, quiet=as_json)
    m = r["metrics"]["holdout_metrics"]
    if as_json:
        click.echo(json.dumps({"run_dir": r["run_dir"], "train_seconds": round(r["train_seconds"], 1),
                               "test": {k: m[k] for k in ("accuracy", "macro_f1", "mean_auc_three_missions")},
                               "temporal": r["metrics"]["temporal"]}, indent=2))


@click.command("evaluate")
@click.argument("run_or_file", required=False, type=click.Path())
@click.option("--out", default="runs/eval", show_default=True, type=click.Path(file_okay=False),
              help="Report folder (metrics.json, report.md, PNGs, runs/).")
@click.option("--test-data", type=click.Path(dir_okay=False), default=None,
              help="A separate capture's labelled flows to test RUN on (cross-capture evaluation).")
@click.option("--seeds", default="0,1,2", show_default=True, help="Comma-separated seeds (split and training).")
@click.option("--scarcity", is_flag=True, help="Also train on 70/50/40/30 % of the training split.")
@click.option("--preset", default=None, help="Preset for teachers trained here (default: the run's, or full).")
@click.option("--ssl", default=None, help="packet | both | none (default: the run's, or packet).")
@click.option("--text-encoder", default=None, help="small | minilm (default: the run's, or small).")
@click.option("--zero-shot", is_flag=True,
              help="Missions from words, leave one class out, on the device: RUN_OR_FILE is the flow file "
                   "(default: the CIC sample); see docs/missions.md.")
@click.option("--board", default="mps2-an386", show_default=True, help="--zero-shot: the board (emulated or the host port).")
@click.option("--classes", default=None, help="--zero-shot: comma-separated classes to hold out [default: every attack class].")
@click.option("--zero-shot-preset", default="small", show_default=True, help="--zero-shot: small (the measured runs) or tiny (tests).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def evaluate(run_or_file, out, test_data, seeds, scarcity, preset, ssl, text_encoder, zero_shot, board, classes,
             zero_shot_preset, as_json):
    """Evaluate a teacher run (or train on RUN_OR_FILE) against random forest and MLP baselines.

    With --zero-shot, each attack class of RUN_OR_FILE is held out of training in turn, described in
    words and found on the device (table zero-shot.md/json and plot zero-shot.png in --out).

    With --test-data, RUN (trained on one capture) is tested on another capture: the teacher with
    and without temporal context, and baselines trained on RUN's training rows."""
    from packetclip.errors import PacketclipError
    from packetclip.teacher import evaluate as evaluate_api

    try:
        seed_list = [int(s) for s in seeds.split(",") if s.strip()]
    except ValueError:
        raise PacketclipError(f"--seeds: {seeds!r} is not a comma-separated list of integers, e.g. 0,1,2") from None
    if not seed_list:
        raise PacketclipError("--seeds: give at least one seed, e.g. 0,1,2")
    if zero_shot:   # the missions stage runs the whole loop (teacher, student, firmware, device)
        from packetclip.missions.zeroshot import evaluate_zero_shot

        if test_data or scarcity:
            raise PacketclipError("--zero-shot: --test-data and --scarcity do not apply")
        res = evaluate_zero_shot(run_or_file, out=out, board=board, preset=zero_shot_preset, seed=seed_list[0],
                                 text_encoder=text_encoder or "small",
                                 classes=[c.strip() for c in classes.split(",") if c.strip()] if classes else None,
                                 log=(lambda *_: None) if as_json else click.echo)
        if as_json:
            click.echo(json.dumps({k: res[k] for k in ("data", "board", "mean_auc_device", "mean_recall_at_1pct_benign",
                                                       "mean_auc_closed_set", "all_bit_exact", "seconds")}, indent=2))
        return
    if test_data is not None:
        return _evaluate_cross(run_or_file, test_data, out, seed_list, scarcity or preset or ssl or text_encoder, as_json)
    m = evaluate_api(run_or_file, out=out, seeds=seed_list, scarcity=scarcity, preset=preset, ssl=ssl,
                     text_encoder=text_encoder, log=(lambda *_: None) if as_json else click.echo)
    short = {k: {x: v[x]["mean"] for x in ("accuracy", "macro_f1", "mean_auc_three_missions")}
             for k, v in m["summary"].items()}
    if as_json:
        click.echo(json.dumps({"out": out, "summary": short, "targets": m["targets"]}, indent=2))
    else:
        for k, v in short.items():
            click.echo(f"{k}: accuracy {v['accuracy']:.4f} macro-F1 {v['macro_f1']:.4f} "
                       f"three-mission AUC {v['mean_auc_three_missions']:.4f}")
        click.echo(f"wrote {out}/report.md")
