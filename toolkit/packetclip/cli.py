"""The `packetclip` command: a thin click layer over the stage APIs.

Each verb lives in its stage's own `commands.py` and is imported only when it runs, so
`packetclip --help` stays fast and never imports torch or tensorflow.
"""

import importlib
import sys

import click

from packetclip import __version__
from packetclip.errors import PacketclipError

# verb -> (module, attribute, one-line help). Order is the order of the product's flow.
VERBS = {
    "data": ("packetclip.data.commands", "data", "Read flow CSVs and pcaps, inspect, split, describe."),
    "kg": ("packetclip.data.commands", "kg", "Show or check the mission knowledge graph."),
    "lab": ("packetclip.lab.commands", "lab", "Make real labelled traffic in network namespaces (root)."),
    "train": ("packetclip.teacher.commands", "train", "Train the PacketCLIP teacher and hierarchical GNN."),
    "evaluate": ("packetclip.teacher.commands", "evaluate", "Evaluate a teacher run against baselines."),
    "distill": ("packetclip.distill.commands", "distill", "Distill a teacher into an int8 TFLM student bundle."),
    "export": ("packetclip.bundle.commands", "export", "Make a bundle from your own .tflite (or Keras) model."),
    "verify": ("packetclip.bundle.commands", "verify", "Check a bundle and run it in the TFLM runtime."),
    "codegen": ("packetclip.codegen.commands", "codegen", "Generate C sources for a bundle."),
    "build": ("packetclip.firmware.commands", "build", "Generate code and build firmware for a board."),
    "boards": ("packetclip.device.commands", "boards", "List the supported boards."),
    "flash": ("packetclip.device.commands", "flash", "Flash firmware to a board (or start an emulated one)."),
    "monitor": ("packetclip.device.commands", "monitor", "Talk to a board: handshake, info and stats."),
    "conform": ("packetclip.device.commands", "conform", "Run the conformance test against a board."),
    "mission": ("packetclip.missions.commands", "mission", "Missions in words: add, list, compile, push to a board."),
    "swap": ("packetclip.swap.commands", "swap", "Size, weight and power budgets per board."),
    "demo": ("packetclip.demo", "demo", "The whole flow end to end on an emulated board."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx):
        return list(VERBS)

    def get_command(self, ctx, name):
        if name not in VERBS:
            return None
        module, attr, _ = VERBS[name]
        return getattr(importlib.import_module(module), attr)

    def format_commands(self, ctx, formatter):
        # Help text comes from the table so that --help imports no stage.
        rows = [(name, help_) for name, (_, _, help_) in VERBS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="packetclip")
def main():
    """packetclip: PacketCLIP intrusion detection on microcontrollers.

    Flow: data -> train -> distill -> build -> flash -> conform -> swap.
    """


def run():
    """Console-script entry point: user errors become one line and exit status 2."""
    try:
        main(standalone_mode=False)
    except PacketclipError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.UsageError as exc:
        # one line, like every other user error: what is wrong and where the help is
        ctx = exc.ctx
        where = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
        click.echo(f"error: {exc.format_message()}{where}", err=True)
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        click.echo(f"error: {exc.format_message()}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)


if __name__ == "__main__":
    run()
