"""`packetclip codegen BUNDLE --engine aot|tflm --out DIR`"""

import json
import sys

import click

from packetclip.engines import NAMES as ENGINES


@click.command("codegen")
@click.argument("bundle", type=click.Path())
@click.option("--engine", type=click.Choice(ENGINES), default="aot", show_default=True)
@click.option("--out", "out_dir", type=click.Path(), required=True, help="folder for the generated C (replaced)")
@click.option("--json", "as_json", is_flag=True, help="print the report as JSON")
def codegen(bundle, engine, out_dir, as_json):
    """Generate C sources for BUNDLE (a bundle folder or a .tflite file)."""
    from packetclip.codegen import generate

    rep = generate(bundle, out_dir, engine=engine)
    if as_json:
        json.dump({k: v for k, v in rep.items() if k != "buffers"}, sys.stdout, indent=2, sort_keys=True)
        sys.stdout.write("\n")
        return
    click.echo(f"engine {engine}: {len(rep['files'])} files in {out_dir}: {', '.join(rep['files'])}")
    click.echo(f"ops: {', '.join(rep['ops'])}")
    if engine == "aot":
        click.echo(f"activation arena {rep['arena_bytes']} B (sum of buffers {rep['activation_sum_bytes']} B), "
                   f"{rep['macs']} MACs, {rep['weight_bytes']} B of constants")
    else:
        click.echo(f"tensor arena {rep['arena_bytes']} B (probed {rep['arena_probed_bytes']} B + margin), model {rep['model_bytes']} B")
