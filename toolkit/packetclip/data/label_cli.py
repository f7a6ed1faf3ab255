"""`packetclip data label FLOWS --rules RULES.toml -o OUT.csv`: label flows by address, port,
protocol and time (packetclip.data.rules)."""

import json

import click


def rules_options(f):
    opts = [
        click.option("--rules", type=click.Path(dir_okay=False), default=None,
                     help="Labelling rules TOML (default label, [[rule]] tables; first match wins)."),
        click.option("--allow-unmatched", is_flag=True,
                     help="Accept rules that match no flow (by default that is an error)."),
        click.option("--labels", "labels", multiple=True, type=click.Path(),
                     help="Extra label taxonomy TOML for the rules' labels (repeatable)."),
        click.option("--kg", "kg_files", multiple=True, type=click.Path(),
                     help="Extra knowledge-graph YAML (repeatable)."),
    ]
    for o in reversed(opts):
        f = o(f)
    return f


def echo_labelling(ruleset, lab):
    click.echo(f"labelled by {ruleset.source} (first match wins):")
    click.echo(lab.to_text(ruleset))


@click.command("label")
@click.argument("flows", type=click.Path(dir_okay=False))
@rules_options
@click.option("-o", "--out", required=True, type=click.Path(dir_okay=False),
              help="Labelled CSV to write (canonical packetclip dialect).")
@click.option("--dialect", type=click.Choice(["cicids2017", "aciiot", "cicflowmeter"]), default=None,
              help="Column naming of FLOWS (default: detect from the header).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def label(flows, rules, allow_unmatched, labels, kg_files, out, dialect, as_json):
    """Label the flows of FLOWS (a flow CSV with addresses and timestamps) by --rules.

    \b
    default = "benign"        # flows no rule matches; without it "unknown", and reported
    [[rule]]
    label = "port_scan"
    host = "10.213.0.101"     # either endpoint; CIDR "10.213.0.96/28" or a list too
    start = 1795925906.6      # window on the flow's start: unix seconds or RFC 3339
    end = "2026-11-29T04:18:38Z"
    # also: src, dst (that endpoint only), port (either side), protocol (tcp/udp/icmp/number)

    Every row of FLOWS is kept (rows with infinite or missing feature values are dropped as
    on every read) and its label replaced; any label in FLOWS is ignored.
    """
    from packetclip.data.rules import label_csv
    from packetclip.errors import PacketclipError

    if not rules:
        raise PacketclipError("data label: no --rules file; give --rules RULES.toml (see `packetclip data label --help`)")
    ruleset, lab, table = label_csv(flows, rules, out, dialect=dialect, labels=labels,
                                    kg_files=kg_files, allow_unmatched=allow_unmatched)
    if as_json:
        click.echo(json.dumps({"flows": str(flows), "out": str(out), "rows": len(table),
                               "labelling": lab.to_dict(ruleset)}, sort_keys=True))
        return
    click.echo(f"{flows}: {len(table):,} flows")
    echo_labelling(ruleset, lab)
    click.echo(f"wrote {out}")
