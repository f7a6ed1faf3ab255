"""`packetclip data flows CAPTURE -o flows.csv`: a capture to canonical flows."""

import json

import click


@click.command("flows")
@click.argument("capture", type=click.Path(dir_okay=False))
@click.option("-o", "--out", required=True, type=click.Path(dir_okay=False),
              help="CSV to write (canonical packetclip dialect, read back by `data inspect`).")
@click.option("--label", default="", help="Label to put on every flow (default: empty).")
@click.option("--allow-truncated", is_flag=True,
              help="Use the complete packets of a capture that was cut short.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def flows(capture, out, label, allow_truncated, as_json):
    """Turn a pcap/pcapng CAPTURE into bidirectional flows with CICFlowMeter features.

    Flows are keyed by the 5-tuple; the first packet sets the forward direction; flow
    timeout 120 s, activity timeout 5 s; TCP flows end on RST or FIN from both sides.
    """
    from packetclip.data.pcap import pcap_to_csv

    stats = pcap_to_csv(capture, out, label=label, allow_truncated=allow_truncated)
    d = stats.to_dict()
    if as_json:
        click.echo(json.dumps({"capture": str(capture), "out": str(out), **d}, sort_keys=True))
        return
    skipped = ", ".join(f"{k}: {v}" for k, v in d["skipped"].items()) or "none"
    click.echo(f"{capture}: {d['packets']} packets, {d['used']} in {d['flows']} flows "
               f"(skipped {skipped}){' [truncated capture]' if d['truncated'] else ''}")
    click.echo(f"wrote {out}")
