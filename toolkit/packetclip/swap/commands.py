"""`packetclip swap`: thin click layer over packetclip.swap.report.swap."""

import json

import click

from packetclip.errors import PacketclipError


class BudgetFailed(PacketclipError):
    exit_code = 1


@click.command("swap")
@click.option("--board", "boards", multiple=True, required=True, help="board name (repeat for a table across boards)")
@click.option("--budget", default=None, help="e.g. flash=64KiB,ram=16KiB,latency=2ms,energy=100uJ,weight=50g")
@click.option("--model", type=click.Path(file_okay=False), default=None, help="bundle folder [default: the packaged models/cicids2017-mlp]")
@click.option("--builds", type=click.Path(file_okay=False), default="build", show_default=True,
              help="where firmware builds are (<builds>/<board>-aot)")
@click.option("--conform", "conform_root", type=click.Path(file_okay=False), default="runs/conform", show_default=True,
              help="where conformance sessions are (<conform>/<board>/results.json)")
@click.option("--out", type=click.Path(file_okay=False), default="runs/swap", show_default=True, help="report folder")
@click.option("--json", "as_json", is_flag=True, help="print the results as JSON")
def swap(boards, budget, model, builds, conform_root, out, as_json):
    """Size, weight and power per board against budgets: table, plot, Markdown report."""
    from packetclip.swap.budget import parse_budgets
    from packetclip.swap.report import format_table
    from packetclip.swap.report import swap as run

    budgets = parse_budgets(budget)   # a bad string fails here, before any work
    res = run(list(boards), budgets, model=model, build_root=builds, conform_root=conform_root, out=out)
    if as_json:
        click.echo(json.dumps(res, indent=2, sort_keys=True, default=str))
    else:
        click.echo(format_table(res))
        click.echo(f"report: {out}/report.md")
    if not res["passed"]:
        failed = [r["board"] for r in res["boards"] if not r["passed"]]
        raise BudgetFailed(f"over budget on {', '.join(failed)}")
