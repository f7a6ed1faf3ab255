"""One tiny teacher, a student distilled from it with an embedding head, and its host-port
firmware: shared by the mission tests (real outputs of the earlier stages, not hand-built arrays)."""

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass
class Stack:
    teacher: Path
    bundle: Path
    firmware: Path


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    if not all(shutil.which(t) for t in ("cc", "cmake", "ninja")):
        pytest.skip("host toolchain (cc, cmake, ninja) not installed")
    from packetclip.distill import distill
    from packetclip.firmware import build_firmware
    from packetclip.teacher import train

    root = tmp_path_factory.mktemp("missions")
    teacher = root / "teacher"
    train(None, out=str(teacher), preset="tiny", seed=0, quiet=True, epochs=3, pretrain_epochs=1, max_rows=600)
    bundle = root / "student"
    distill(str(teacher), out=str(bundle), arch="mlp", preset="tiny", max_weights=16384, max_arena=4096, embedding=True,
            log=lambda m: None, command="packetclip distill RUN --embedding ...")
    fw = root / "build-host"
    build_firmware("host", bundle, out=fw, log=lambda *a: None)
    return Stack(teacher, bundle, fw)
