"""`packetclip boards | flash | monitor | conform`: thin click layers over packetclip.device."""

import json
import sys

import click

from packetclip.errors import PacketclipError


class ConformanceFailed(PacketclipError):
    exit_code = 1


def _size(n):
    for unit, k in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= k and n % (k // 4 or 1) == 0:
            return f"{n / k:g} {unit}"
    return f"{n} B"


def _board_row(b):
    mem = f"{_size(b.flash_bytes)} / {_size(b.ram_bytes)}"
    counter = "instructions, not cycles" if b.counter_kind == "instructions" else b.counter_kind
    return {"name": b.name, "core": b.core, "clock_mhz": b.clock_hz / 1e6, "flash_bytes": b.flash_bytes,
            "ram_bytes": b.ram_bytes, "emulated": b.emulated, "runner": b.runner.name, "counter": counter,
            "active_mw": b.section("power").get("active_mw"), "idle_mw": b.section("power").get("idle_mw"),
            "weight_g": b.weight_g, "usb": b.section("serial").get("usb", []),
            "target": b.section("flash").get("target") or b.section("flash").get("chip"),
            "description": b.description, "memory": mem, "path": str(b.path.name)}


@click.command("boards")
@click.option("--json", "as_json", is_flag=True, help="print the boards as JSON")
def boards(as_json):
    """List the supported boards (boards/*.toml)."""
    from packetclip.boards import list_boards

    rows = [_board_row(b) for b in list_boards()]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    click.echo(f"{'board':<18}{'core':<12}{'MHz':>6}  {'flash / RAM':<20}{'runner':<9}{'counter':<26}{'mW act':>8}{'g':>7}  usb")
    for r in rows:
        click.echo(f"{r['name']:<18}{r['core']:<12}{r['clock_mhz']:>6g}  {r['memory']:<20}{r['runner']:<9}{r['counter']:<26}"
                   f"{r['active_mw']:>8g}{r['weight_g']:>7g}  {','.join(r['usb']) or '-'}")
    click.echo("emulated boards count instructions (QEMU -icount), not cycles; latencies on them say so.")


@click.command("flash")
@click.option("--board", required=True, help="board name from boards/ or a path to a board .toml")
@click.option("--firmware", type=click.Path(), default=None, help="build folder or .elf [default: build/<board>-aot]")
@click.option("--port", default=None, help="serial port or pyserial URL (esptool boards); default: found by USB VID:PID")
@click.option("--probe", default=None, help="pyocd probe unique id (when several probes are connected)")
@click.option("--detach", is_flag=True, help="emulated boards: leave the emulator running in the background and exit")
def flash(board, firmware, port, probe, detach):
    """Flash firmware to a board, or start an emulated board and print its socket:// URL."""
    import signal
    import time

    from packetclip.boards import load_board
    from packetclip.device.flash import run_flash, start_emulated

    b = load_board(board)
    if b.runner.emulated:
        emu = start_emulated(b, firmware)
        click.echo(f"{b.name} running {emu.elf} (pid {emu.proc.pid})")
        click.echo(emu.url)
        sys.stdout.flush()
        if detach:
            emu.stop = lambda *a, **k: None   # leave it running: stop it with `kill PID`
            click.echo(f"detached; stop it with: kill {emu.proc.pid}", err=True)
            return
        click.echo("Ctrl-C stops it", err=True)
        signal.signal(signal.SIGTERM, lambda *a: (_ for _ in ()).throw(KeyboardInterrupt()))
        try:
            while emu.alive():
                time.sleep(0.2)
            click.echo(f"{b.name}: the emulator exited with status {emu.proc.returncode}", err=True)
        except KeyboardInterrupt:
            pass
        finally:
            emu.stop()
            click.echo(f"stopped {b.name}", err=True)
        return
    run_flash(b, firmware, port, probe, log=click.echo)


@click.command("monitor")
@click.option("--board", required=True, help="board name from boards/ or a path to a board .toml")
@click.option("--port", default=None, help="serial port or pyserial URL (socket://, rfc2217://, loop://)")
@click.option("--firmware", type=click.Path(), default=None, help="emulated boards: build folder or .elf to start")
@click.option("--give-up", "give_up", type=click.FloatRange(1, 3600), default=30.0, show_default=True, metavar="SECONDS",
              help="stop with one line when the device makes no progress for this long")
@click.option("--json", "as_json", is_flag=True, help="print boot line, INFO and STATS as JSON")
def monitor(board, port, firmware, as_json, give_up):
    """Handshake with a board and print its boot line, INFO and STATS."""
    from packetclip.device.monitor import format_monitor
    from packetclip.device.monitor import monitor as run

    res = run(board, port, firmware, give_up_s=give_up, log=(lambda *a: None) if as_json else (lambda m: click.echo(m, err=True)))
    click.echo(json.dumps(res, indent=2, default=str) if as_json else format_monitor(res))


@click.command("conform")
@click.option("--board", required=True, help="board name from boards/ or a path to a board .toml")
@click.option("--model", "model", default=None, type=click.Path(file_okay=False),
              help="model bundle folder [default: the packaged models/cicids2017-mlp]")
@click.option("--data", type=click.Path(dir_okay=False), default=None, help="flow file (its test split is used) [default: the bundle's data]")
@click.option("--inputs", default=None, metavar="random[:N]|FILE.npy",
              help="inputs for any bundle: N seeded random int8 inputs (default 200), or your recorded int8 inputs "
                   "(.npy, shape (N, *input shape) or (N, input size)) [default: a flow bundle's test split]")
@click.option("--port", default=None, help="serial port or pyserial URL; emulated boards are started when omitted")
@click.option("--firmware", type=click.Path(), default=None, help="emulated boards: build folder or .elf [default: build/<board>-aot, built if missing]")
@click.option("--out", type=click.Path(file_okay=False), default=None, help="session folder [default: runs/conform/<board>]")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="send at most N test rows (a fixed random subset)")
@click.option("--window", type=click.IntRange(1, 64), default=16, show_default=True, help="requests in flight")
@click.option("--missions", type=click.Path(dir_okay=False), default=None,
              help="prototypes file (`packetclip mission compile`) to push first; every RESULT's mission scores are "
                   "checked bit for bit against the host reference")
@click.option("--give-up", "give_up", type=click.FloatRange(1, 3600), default=30.0, show_default=True, metavar="SECONDS",
              help="stop with one line when the device makes no progress for this long")
@click.option("--json", "as_json", is_flag=True, help="print the results as JSON")
def conform(board, model, data, inputs, port, firmware, out, limit, window, missions, as_json, give_up):
    """Check every device output bit-exactly against the TFLM runtime; latency, link (and accuracy
    on a flow bundle's test split). Differences are traced to their first tensor (mismatch-debug.json)."""
    from packetclip.device.conform import conform as run

    log = (lambda *a: None) if as_json else click.echo
    res = run(board, model, data=data, port=port, out=out, limit=limit, window=window, firmware=firmware, log=log,
              inputs=inputs, missions=missions, give_up_s=give_up)
    if as_json:
        click.echo(json.dumps(res, indent=2, sort_keys=True, default=str))
    if not res["passed"]:
        if res["mismatches"] == 0 and res.get("missions"):
            raise ConformanceFailed(f"{res['missions']['mismatches']} of {res['n']} RESULTs carry mission scores that differ "
                                    f"from the host reference (packetclip.missions.score); see {res['out']}/results.json")
        raise ConformanceFailed(f"{res['mismatches']} of {res['n']} outputs differ from TFLM; inputs and outputs are in "
                                f"{res['out']}/mismatches.jsonl, the first differing tensors in {res['out']}/mismatch-debug.json")
