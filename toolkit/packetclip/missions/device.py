"""Prototypes to a board over its serial link (PROTOTYPES, docs/protocol.md): no reflash."""

import time

from packetclip.errors import PacketclipError


def check_room(info, protos, where="mission push"):
    """Refuse before sending what the device cannot take (one line each)."""
    rec = info.prototypes
    if rec is None:
        raise PacketclipError(f"{where}: the device's firmware has no room for missions (its model has no embedding head, "
                              "or the firmware predates missions); build it for a bundle distilled with --embedding")
    if protos.count > rec["capacity"]:
        raise PacketclipError(f"{where}: {protos.count} prototypes, the device holds {rec['capacity']}; remove "
                              f"{protos.count - rec['capacity']} mission(s) or build with --max-missions {protos.count}")
    if protos.count and protos.dim != rec["dim"]:
        raise PacketclipError(f"{where}: prototypes of {protos.dim} values, the device's embedding has {rec['dim']}; "
                              "compile them for the bundle it runs")
    if info.model_sha256 != protos.model_sha256:
        raise PacketclipError(f"{where}: the prototypes were made for model {protos.model_sha256[:12]}..., the device runs "
                              f"{info.model_sha256[:12]}...; compile them for the bundle it runs (`packetclip mission compile --model`)")
    return rec


def push_session(session, protos, where="mission push"):
    """Push over an open Session; -> {"seconds", "count", "sha256", "capacity", "frames"}."""
    info = session.info or session.hello()
    rec = check_room(info, protos, where)
    t0 = time.monotonic()
    tx0 = session.link.tx_frames
    got = session.push_prototypes(protos.rows, protos.sha256)
    return {"seconds": round(time.monotonic() - t0, 4), "count": got["count"], "sha256": got["sha256"],
            "capacity": rec["capacity"], "frames": session.link.tx_frames - tx0}


def push(board, bundle_dir, protos, port=None, firmware=None, build=True, log=print):
    """Start or reach `board`, push `protos`; -> the push record. An emulated board started here
    stops afterwards (and forgets them: prototypes live in RAM), so pushing to an emulator is a
    check; a real board keeps them until it resets."""
    from packetclip.boards import load_board
    from packetclip.device.launch import connect
    from packetclip.device.session import Session

    board = board if hasattr(board, "section") else load_board(board)
    with connect(board, port, firmware, bundle_dir, build=build, log=log) as link:
        with Session.open(link.url, baud=board.baud or 115200) as s:
            s.wait_boot(0.5 if link.emulator is not None else 2.0)
            s.hello()
            rec = push_session(s, protos)
    log(f"pushed {rec['count']} prototype(s) to {board.name} in {rec['seconds'] * 1000:.0f} ms "
        f"({rec['frames']} frames, set {rec['sha256'][:12]}..., room for {rec['capacity']})")
    return rec
