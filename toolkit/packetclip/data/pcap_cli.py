"""`packetclip data flows CAPTURE -o flows.csv`: a capture to canonical flows."""

import json

import click

from packetclip.data.label_cli import echo_labelling, rules_options
from packetclip.errors import PacketclipError


@click.command("flows")
@click.argument("capture", type=click.Path(dir_okay=False))
@click.option("-o", "--out", required=True, type=click.Path(dir_okay=False),
              help="CSV to write (canonical packetclip dialect, read back by `data inspect`).")
@click.option("--label", default="", help="Label to put on every flow (default: empty).")
@rules_options
@click.option("--allow-truncated", is_flag=True,
              help="Use the complete packets of a capture that was cut short.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def flows(capture, out, label, rules, allow_unmatched, labels, kg_files, allow_truncated, as_json):
    """Turn a pcap/pcapng CAPTURE into bidirectional flows with CICFlowMeter features.

    Flows are keyed by the 5-tuple (ICMP: the address pair); the first packet sets the
    forward direction; flow timeout 120 s, activity timeout 5 s; TCP flows end on RST or FIN
    from both sides. With --rules the flows are labelled in the same step (see `data label`).
    """
    from packetclip.data.pcap import pcap_to_csv
    from packetclip.data.rules import check_labels, load_rules

    if rules and label:
        raise PacketclipError("data flows: --label and --rules both set the label; give one of them")
    ruleset = None
    if rules:
        ruleset = load_rules(rules)
        check_labels(ruleset, labels, kg_files)
    got = pcap_to_csv(capture, out, label=label, allow_truncated=allow_truncated, rules=ruleset,
                      allow_unmatched=allow_unmatched)
    stats, lab = got if ruleset else (got, None)
    d = stats.to_dict()
    if as_json:
        extra = {"labelling": lab.to_dict(ruleset)} if lab else {}
        click.echo(json.dumps({"capture": str(capture), "out": str(out), **d, **extra}, sort_keys=True))
        return
    skipped = ", ".join(f"{k}: {v}" for k, v in d["skipped"].items()) or "none"
    click.echo(f"{capture}: {d['packets']} packets, {d['used']} in {d['flows']} flows "
               f"(skipped {skipped}){' [truncated capture]' if d['truncated'] else ''}")
    if lab:
        echo_labelling(ruleset, lab)
    click.echo(f"wrote {out}")
