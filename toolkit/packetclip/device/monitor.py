"""`packetclip monitor`: connect, show the boot line, INFO and STATS."""

from packetclip.boards import load_board
from packetclip.device.launch import connect
from packetclip.device.session import Session


def monitor(board, port=None, firmware=None, timeout=2.0, give_up_s=30.0, log=print):
    """Handshake with a board; returns {"url", "boot", "info", "stats", "link"}."""
    board = board if hasattr(board, "section") else load_board(board)
    with connect(board, port, firmware, None, build=False, log=log) as link:
        with Session.open(link.url, baud=board.baud or 115200, timeout=timeout, give_up_s=give_up_s) as s:
            boot = s.wait_boot(0.5 if link.emulator is not None else 2.0) or (link.emulator.boot if link.emulator else None)
            info = s.hello()
            stats = s.stats()
            raw = [ln for ln in s.link.boot_lines]
            return {"board": board.name, "url": link.url, "boot": boot, "boot_lines": raw,
                    "info": info.to_dict(), "stats": stats, "link": s.link.to_dict()}


def format_monitor(res):
    i = res["info"]
    lines = [f"{res['board']} at {res['url']}"]
    if res.get("boot"):
        b = res["boot"]
        lines.append(f"boot: packetclip boot {b.get('board')} fw={b.get('fw')} proto={b.get('proto')}")
    unit = {"instructions": "instructions (emulated: not cycles)", "cycles": "cycles"}.get(i["counter_name"], i["counter_name"])
    lines += [
        f"info: protocol {i['proto_version']}, firmware {i['firmware_version']} for {i['board']}, engine {i['engine_name']}",
        f"      model sha256 {i['model_sha256']}",
        f"      input {i['input_shape']} ({i['input_bytes']} B, scale {i['input_scale']:.6g}, zero point {i['input_zero_point']}), "
        f"output {i['output_shape']} ({i['output_bytes']} B, scale {i['output_scale']:.6g}, zero point {i['output_zero_point']})",
        f"      arena {i['arena_bytes']} B, counter {unit} at {i['counter_hz']:,} Hz",
        "stats: " + ", ".join(f"{k} {v}" for k, v in res["stats"].items()),
    ]
    return "\n".join(lines)
