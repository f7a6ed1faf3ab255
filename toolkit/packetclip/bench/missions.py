"""Missions benchmark (issue 13 targets): what the embedding head and 16 prototypes cost on
mps2-an386 (flash <= 4 KiB, RAM <= 1 KiB more than the same student without them), how long a
push of 16 prototypes takes over the emulated link (< 1 s, no reflash), and that the scores of a
conform run are bit-exact with the host reference.

The two students are distilled from one teacher with the same recipe (MLP, demo preset), with and
without `--embedding`; both firmwares are built for the board; the difference of their linked
flash and RAM (stack apart) is the cost. Teacher: $PACKETCLIP_TEACHER, else the teacher benchmark's
run (OUT/teacher-run), else a demo-preset teacher trained here on the CIC sample.

The leave-one-class-out evaluation takes too long for this suite; run it as
`packetclip evaluate FLOWS --zero-shot --board mps2-an386 --out DIR` (docs/missions.md).
"""

import os
from pathlib import Path

BOARD = "mps2-an386"
PUSHES = 5


def _teacher(out_dir):
    for c in (os.environ.get("PACKETCLIP_TEACHER"), Path(out_dir) / "teacher-run"):
        if c and (Path(c) / "model.pt").exists():
            return Path(c)
    from packetclip.teacher import train

    run = Path(out_dir) / "missions-teacher"
    if not (run / "model.pt").exists():
        train(None, out=run, preset="demo", seed=0, quiet=True)
    return run


def _sixteen(kg):
    """16 missions in words: the knowledge graph's attack techniques, by their descriptions."""
    from packetclip.missions.file import Mission

    techs = [t for t in kg.techniques if kg.mission_of(t) != "benign"][:16]
    return [Mission(t.replace("_", "-"), kg.node(t, "technique").description, [t]) for t in techs]


def run(out_dir: Path) -> dict:
    from packetclip.boards import load_board
    from packetclip.bundle.format import load_bundle
    from packetclip.data.kg import load_kg
    from packetclip.device.conform import conform
    from packetclip.device.launch import connect
    from packetclip.device.session import Session
    from packetclip.distill import distill
    from packetclip.firmware import build_firmware
    from packetclip.missions.device import push_session
    from packetclip.missions.prototypes import compile_prototypes, save_prototypes

    out_dir = Path(out_dir)
    teacher = _teacher(out_dir)
    board = load_board(BOARD)
    quiet = lambda *a: None  # noqa: E731
    students, builds = {}, {}
    for name, emb in (("plain", False), ("embedding", True)):
        students[name] = out_dir / f"missions-student-{name}"
        distill(str(teacher), board=BOARD, out=str(students[name]), arch="mlp", preset="demo", max_weights=16384,
                max_arena=4096, embedding=emb, log=quiet, command="bench missions")
    b = load_bundle(students["embedding"])
    plain = load_bundle(students["plain"])
    kg = load_kg()
    protos = compile_prototypes(_sixteen(kg), b, teacher=teacher, kg=kg)
    pfile = out_dir / "missions-16.json"
    save_prototypes(pfile, protos)
    for name, bundle_dir, missions in (("plain", students["plain"], None), ("embedding", students["embedding"], None),
                                       ("embedding+16 compiled in", students["embedding"], pfile)):
        rep = build_firmware(board, bundle_dir, out=out_dir / f"missions-fw-{len(builds)}", missions=missions, log=quiet)
        builds[name] = {"flash": rep["memory"]["flash_bytes"], "ram": rep["memory"]["ram_bytes"],
                        "flash_missions": rep["memory"]["flash"].get("missions", 0),
                        "ram_missions": rep["memory"]["ram"].get("missions", 0), "weights": rep["memory"]["flash"]["weights"]}
    same_arch = b.meta["student"]["hidden"] == plain.meta["student"]["hidden"]
    d_flash = builds["embedding"]["flash"] - builds["plain"]["flash"]
    d_ram = builds["embedding"]["ram"] - builds["plain"]["ram"]
    # the 16 prototypes compiled in (build --missions) instead of pushed into the RAM slots
    d_flash_in = builds["embedding+16 compiled in"]["flash"] - builds["plain"]["flash"]
    d_ram_in = builds["embedding+16 compiled in"]["ram"] - builds["plain"]["ram"]
    # pushes over the emulated link, into the running firmware (no reflash between them)
    times = []
    with connect(board, firmware=out_dir / "missions-fw-1", bundle_dir=students["embedding"], log=quiet) as link:
        with Session.open(link.url, baud=board.baud or 115200) as s:
            s.wait_boot(1.0)
            s.hello()
            for _ in range(PUSHES):
                rec = push_session(s, protos)
                times.append(rec["seconds"])
    conf = conform(board, students["embedding"], firmware=out_dir / "missions-fw-1", out=out_dir / "missions-conform",
                   log=quiet, progress=False, missions=pfile, limit=500)
    return {"teacher": str(teacher), "board": BOARD, "student": b.meta["student"]["name"],
            "student_without_head": plain.meta["student"]["name"], "same_architecture": same_arch,
            "embedding_dim": int(b.meta["embedding"]["dim"]), "prototypes": protos.count, "capacity": rec["capacity"],
            "builds": builds, "flash_delta_bytes": d_flash, "ram_delta_bytes": d_ram,
            "flash_delta_compiled_in_bytes": d_flash_in, "ram_delta_compiled_in_bytes": d_ram_in,
            "push_seconds": times, "push_frames": rec["frames"], "push_max_s": max(times),
            "conform_bit_exact": conf["bit_exact"], "conform_scores_bit_exact": conf["missions"]["bit_exact"],
            "conform_n": conf["n"],
            "targets_met": {"flash_le_4KiB": same_arch and max(d_flash, d_flash_in) <= 4096,
                            "ram_le_1KiB": same_arch and max(d_ram, d_ram_in) <= 1024,
                            "push_lt_1s": max(times) < 1.0,
                            "scores_bit_exact": conf["missions"]["bit_exact"] == conf["n"] and conf["bit_exact"] == conf["n"]}}
