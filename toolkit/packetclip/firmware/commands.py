"""`packetclip build`: thin click layer over packetclip.firmware.build_firmware."""

import json

import click

from packetclip.engines import NAMES as ENGINES


@click.command("build")
@click.option("--board", required=True, help="board name from boards/ or a path to a board .toml")
@click.option("--model", "model", default=None, type=click.Path(file_okay=False),
              help="model bundle folder [default: the packaged models/cicids2017-mlp]")
@click.option("--engine", type=click.Choice(ENGINES), default="aot", show_default=True)
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="build folder [default: build/<board>-<engine>]")
@click.option("--no-dsp", is_flag=True, help="use the reference C kernels even if the board has DSP")
@click.option("--tflm-root", type=click.Path(file_okay=False), default=None,
              help="TensorFlow Lite Micro source tree (engine tflm on Cortex-M)")
@click.option("--hosts", type=click.IntRange(min=0), default=None,
              help="windowed models: hosts the device's flow-history table holds [default: what distill chose, "
                   "else what 1/8 of the board's RAM holds]; 0: no table, the host sends whole windows")
@click.option("--missions", type=click.Path(dir_okay=False), default=None,
              help="prototypes file (`packetclip mission compile`) to compile in (a bundle with an embedding head)")
@click.option("--max-missions", type=click.IntRange(1, 254), default=None,
              help="prototypes the firmware holds in RAM [default: 16]")
@click.option("--json", "as_json", is_flag=True, help="print the build report as JSON")
def build(board, model, engine, out, no_dsp, tflm_root, hosts, missions, max_missions, as_json):
    """Generate code for a bundle and build firmware for a board (ESP32: an ESP-IDF project)."""
    from packetclip.firmware import build_firmware

    log = (lambda *a: None) if as_json else click.echo
    report = build_firmware(board, model, engine=engine, out=out, dsp=False if no_dsp else None,
                            tflm_root=tflm_root, hosts=hosts, log=log, missions=missions, max_missions=max_missions)
    if as_json:
        click.echo(json.dumps(report, indent=2, sort_keys=True, default=str))
