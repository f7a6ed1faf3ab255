"""`packetclip lab --out DIR`: a thin click layer over packetclip.lab.run."""

import json
import sys

import click

from packetclip.lab.phases import PHASES
from packetclip.lab.plan import SCALES


@click.command("lab")
@click.option("--out", "-o", required=True, type=click.Path(), help="Folder to write (capture, flows, rules, ground truth).")
@click.option("--scale", type=click.Choice(list(SCALES)), default="full", show_default=True,
              help="ci: every phase once, about 2 minutes; full: about 15 minutes.")
@click.option("--seed", type=int, default=1, show_default=True,
              help="Seeds addresses, benign mix, phase order, timing, ports and rates.")
@click.option("--order", default="seed", show_default=True,
              help=f"Phase order: 'seed' (shuffled by --seed), 'canonical', or a comma list of {', '.join(PHASES)}.")
@click.option("--json", "as_json", is_flag=True, help="Print the ground truth's summary as JSON.")
def lab(out, scale, seed, order, as_json):
    """Make real labelled traffic (root): an isolated network of namespaces, a victim running
    nginx, dnsmasq, OpenSSH and mosquitto, benign clients, and attack phases with nmap, hping3,
    dnsperf, slowhttptest and hydra, each from its own address; tcpdump on the bridge.

    Writes DIR/capture.pcap, flows.csv (labelled by rules.toml through `data flows --rules`),
    ground-truth.json and README.md. Everything it creates is removed on exit, on error and on
    Ctrl-C.
    """
    from packetclip.lab.run import run_lab

    command = "packetclip lab " + " ".join(sys.argv[sys.argv.index("lab") + 1:]) if "lab" in sys.argv else None
    truth = run_lab(out, scale=scale, seed=seed, order=order, echo=(lambda s: click.echo(s, err=True)) if as_json else click.echo,
                    command=command)
    if as_json:
        click.echo(json.dumps({"out": str(out), "wall_s": truth["wall_s"], "capture": truth["capture"],
                               "labelling": truth["labelling"], "teardown": truth["teardown"]}, sort_keys=True))
    else:
        click.echo(f"wrote {out} in {truth['wall_s']:.0f} s")
