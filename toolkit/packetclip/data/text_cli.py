"""`packetclip data text FILE -o texts.jsonl`: flow descriptions for contrastive training."""

import json

import click


@click.command("text")
@click.argument("file", required=False, type=click.Path(dir_okay=False))
@click.option("-o", "--out", required=True, type=click.Path(dir_okay=False), help="jsonl to write.")
@click.option("--per-flow", default=1, show_default=True, type=click.IntRange(1, 100),
              help="Descriptions per flow.")
@click.option("--class-word-rate", default=0.2, show_default=True, type=click.FloatRange(0.0, 1.0),
              help="Share of descriptions that name the class (the rest only describe behaviour).")
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--kg", "kg_files", multiple=True, type=click.Path(dir_okay=False),
              help="Extra knowledge-graph file(s) merged onto the packaged one.")
@click.option("--dialect", default=None, help="Flow CSV dialect (default: detected).")
@click.option("--paraphrase-url", default=None,
              help="OpenAI-compatible endpoint, e.g. http://127.0.0.1:8000/v1 (off by default).")
@click.option("--paraphrase-model", default=None, help="Model name for the paraphrase endpoint.")
@click.option("--paraphrase-cache", default=None, type=click.Path(file_okay=False),
              help="Paraphrase cache folder (default: ~/.cache/packetclip/paraphrase).")
@click.option("--paraphrase-timeout", default=30.0, show_default=True, type=float, help="Seconds per request.")
@click.option("--paraphrase-workers", default=4, show_default=True, type=click.IntRange(1, 32))
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def text(file, out, per_flow, class_word_rate, seed, kg_files, dialect, paraphrase_url, paraphrase_model,
         paraphrase_cache, paraphrase_timeout, paraphrase_workers, as_json):
    """Describe every flow of FILE (default: the embedded CIC-IDS2017 sample) in sentences: behaviour from its features plus words
    from its knowledge-graph node. Seeded: the same input and seed give the same file."""
    from packetclip.data import load_flows
    from packetclip.data.kg import load_kg
    from packetclip.data.text import describe_flows_report, write_jsonl
    from packetclip.errors import PacketclipError

    if bool(paraphrase_url) != bool(paraphrase_model):
        raise PacketclipError("--paraphrase-url and --paraphrase-model go together; give both or neither")
    kg = load_kg(list(kg_files) or None)
    table = load_flows(file, dialect=dialect, kg=kg)
    texts, report = describe_flows_report(table, kg, seed=seed, per_flow=per_flow,
                                          class_word_rate=class_word_rate)
    if paraphrase_url:
        from packetclip.data.paraphrase import Paraphraser, paraphrase_texts

        p = Paraphraser(paraphrase_url, paraphrase_model, cache_dir=paraphrase_cache, timeout=paraphrase_timeout)
        texts = paraphrase_texts(texts, p, workers=paraphrase_workers)
        report["paraphrase"] = {"calls": p.calls, "cache_hits": p.hits}
    write_jsonl(out, table, texts)
    report["kg_version"] = kg.version
    if as_json:
        click.echo(json.dumps({"file": str(table.source), "out": str(out), **report}, sort_keys=True))
        return
    click.echo(f"{table.source}: {report['rows']} flows, {report['texts']} descriptions, "
               f"{report['class_word_texts']} name their class (rate {class_word_rate})")
    if report["unknown_labels"]:
        unk = ", ".join(f"{k}: {v}" for k, v in sorted(report["unknown_labels"].items()))
        click.echo(f"labels outside the knowledge graph, described without its words ({unk}); "
                   "add them to labels.toml or a --kg file")
    if "paraphrase" in report:
        click.echo(f"paraphrase: {report['paraphrase']['calls']} requests, {report['paraphrase']['cache_hits']} from cache")
    click.echo(f"wrote {out}")
