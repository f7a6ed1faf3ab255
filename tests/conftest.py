"""Fixtures shared by every test folder: firmware built once per session and reused."""

import shutil
from pathlib import Path

import pytest

from tests_mlperf import MLPERF, MLPERF_DIR

REPO = Path(__file__).resolve().parents[1]
FAKE_MODEL = REPO / "tests" / "firmware" / "fake_model"   # generated-code stand-in: a fixed tiny engine


class Builds:
    """Firmware builds keyed by (board, model, dsp), made on first use.

    `fake(board)` builds around the fixed fake engine; `model(board, bundle)` generates code for a
    bundle; both return (elf, memory). `folder(board, bundle)` gives the build folder (build.json)."""

    def __init__(self, root):
        self.root, self.cache = root, {}

    def fake(self, board):
        return self._get(board, "fake", None)[:2]

    def model(self, board, bundle, dsp=None):
        return self._get(board, str(bundle), dsp)[:2]

    def folder(self, board, bundle, dsp=None):
        return self._get(board, str(bundle), dsp)[2]

    def _get(self, board, model, dsp):
        key = (board, model, dsp)
        if key not in self.cache:
            from packetclip.boards import load_board
            from packetclip.firmware import build_firmware, configure_and_build

            b = load_board(board)
            if not all(shutil.which(t) for t in (b.section("toolchain").get("compiler", "cc"), "cmake", "ninja")):
                pytest.skip(f"toolchain for {board} not installed")
            out = self.root / f"{board}-{Path(model).name}-{dsp}"
            try:
                if model == "fake":
                    elf, mem = configure_and_build(b, FAKE_MODEL, out)
                else:
                    rep = build_firmware(b, model, out=out, dsp=dsp, log=lambda *a: None)
                    elf, mem = rep["elf"], rep["memory"]
                self.cache[key] = (elf, mem, out)
            except Exception as exc:  # remember the failure so the next test does not rebuild
                self.cache[key] = exc
        got = self.cache[key]
        if isinstance(got, Exception):
            raise got
        return got


@pytest.fixture(scope="session")
def builds(tmp_path_factory):
    return Builds(tmp_path_factory.mktemp("fw"))


def _lab_unavailable():
    """Why the lab cannot run here (not root, no network namespaces), or None."""
    import os
    import subprocess

    if os.geteuid() != 0:
        return f"packetclip lab needs root (running as uid {os.geteuid()})"
    probe = f"pclabtest{os.getpid()}"
    r = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)
    if r.returncode != 0:
        return f"no network namespaces here ({r.stderr.strip()})"
    subprocess.run(["ip", "netns", "delete", probe], capture_output=True)
    return None


@pytest.fixture(scope="session")
def lab_unavailable():
    return _lab_unavailable()


class LabRun:
    """One real ci-scale `packetclip lab` run (the CLI, as a user runs it) and its outputs."""

    def __init__(self, out, proc):
        import json

        self.out, self.proc = out, proc
        self.truth = json.loads((out / "ground-truth.json").read_text())
        self.pcap, self.flows, self.rules = out / "capture.pcap", out / "flows.csv", out / "rules.toml"

    def table(self):
        from packetclip.data import load_flows

        return load_flows(self.flows, drop_duplicates=False)


@pytest.fixture(scope="session")
def lab_run(tmp_path_factory):
    """`packetclip lab --scale ci` once per test session (about 2 minutes)."""
    import subprocess
    import sys

    why = _lab_unavailable()
    if why:
        pytest.skip(why)
    out = tmp_path_factory.mktemp("lab") / "ci"
    proc = subprocess.run([sys.executable, "-m", "packetclip", "lab", "--out", str(out), "--scale", "ci", "--seed", "7"],
                          capture_output=True, text=True, timeout=400)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return LabRun(out, proc)


@pytest.fixture(scope="session")
def mlperf(tmp_path_factory):
    """The four MLPerf Tiny reference models (PACKETCLIP_MLPERF_DIR, see its SOURCE.md) exported as
    generic bundles once per session: {"ad01": bundle folder, "kws": ..., "ic": ..., "vww": ...}."""
    if not all((MLPERF_DIR / f).exists() for f in MLPERF.values()):
        pytest.skip(f"MLPerf Tiny models not found in {MLPERF_DIR} (set PACKETCLIP_MLPERF_DIR)")
    from packetclip.bundle.export import export_tflite

    root = tmp_path_factory.mktemp("mlperf")
    return {k: export_tflite(MLPERF_DIR / f, root / k, log=lambda *a: None).path for k, f in MLPERF.items()}
