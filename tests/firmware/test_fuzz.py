"""A short libFuzzer pass over the frame parser under ASan + UBSan, for a model whose input
fits one INFER and for one whose input needs LOAD chunks (the long run is manual: see
firmware/core/fuzz/fuzz_frame.c and the firmware notes)."""

import re
import shutil
import struct
import subprocess
import zlib

import numpy as np
import pytest
from fwutil import REPO

from packetclip.device import protocol as p

WINDOW, HOSTS = 4, 3   # the windowed build: FLOWs through a three-host table
EMBED = ("-DPC_MODEL_EMBED_OFFSET=4u", "-DPC_MODEL_EMBED_DIM=8u")   # an embedding head: PROTOTYPES + scores


def _build(tmp_path, input_bytes, windowed=False, embed=False):
    exe = tmp_path / f"fuzz_frame_{input_bytes}{'_flow' if windowed else ''}{'_embed' if embed else ''}"
    core = REPO / "firmware/core"
    ctx = [f"-DPC_MODEL_WINDOW={WINDOW}u", f"-DPC_HOSTS={HOSTS}u"] if windowed else []
    ctx += list(EMBED) if embed else []
    build = subprocess.run(
        ["clang", "-g", "-O1", "-fsanitize=fuzzer,address,undefined", "-fno-sanitize-recover=all",
         f"-DPC_MODEL_INPUT_BYTES={input_bytes}u", *ctx, f"-I{REPO / 'firmware/include'}", f"-I{core / 'fuzz'}",
         *(str(core / f) for f in ("cobs.c", "crc32.c", "frame.c", "hosts.c", "missions.c")), str(core / "fuzz/fuzz_frame.c"),
         "-o", str(exe)], capture_output=True, text=True)
    if build.returncode != 0 and "fuzzer" in build.stderr:
        pytest.skip("libFuzzer runtime not installed (libclang-rt-14-dev)")
    assert build.returncode == 0, build.stderr
    return exe


@pytest.mark.slow
@pytest.mark.parametrize("input_bytes,windowed,embed", [(40, False, False), (600, False, False), (40, True, False),
                                                       (40, False, True)])
def test_fuzz_frame_parser_short(tmp_path, input_bytes, windowed, embed):
    if not shutil.which("clang"):
        pytest.skip("clang not installed")
    exe = _build(tmp_path, input_bytes, windowed, embed)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    x = bytes(range(256)) * (input_bytes // 256 + 1)
    x = x[:input_bytes]
    (corpus / "hello").write_bytes(p.encode_frame(p.HELLO, 1) + p.encode_frame(p.HELLO, 2, p.pack_hello()))
    (corpus / "mix").write_bytes(p.encode_frame(p.STATS, 3) + b"\x00" + p.encode_frame(9, 5, b"abc"))
    seqd = b"".join(p.encode_frame(t, 10 + i, b) for i, (t, b) in enumerate(p.input_frames(x, 256)))
    (corpus / "input").write_bytes(seqd)
    (corpus / "loads").write_bytes(p.encode_frame(p.LOAD, 7, p.pack_load(0, x[:100]))
                                   + p.encode_frame(p.LOAD, 8, p.pack_load(100, x[100:200]))
                                   + p.encode_frame(p.RUN, 9, struct.pack("<I", zlib.crc32(x))))
    if windowed:
        row = input_bytes // WINDOW
        (corpus / "flows").write_bytes(p.encode_frame(p.RESET_CONTEXT, 20) + b"".join(
            p.encode_frame(p.FLOW, 21 + i, p.pack_flow(i, 7 + i % 5, 1000 * i, x[:row])) for i in range(12)))
    if embed:   # a pushed set (the fuzz engine's model sha256 is all zeros), then inputs that get scores
        rows = np.arange(-64, 64, 4, dtype=np.int8).reshape(4, 8)
        push = p.prototype_frames(rows, "11" * 32, "00" * 32, 46)
        (corpus / "push").write_bytes(b"".join(p.encode_frame(t, 30 + i, b) for i, (t, b) in enumerate(push)) + seqd)
    run = subprocess.run([str(exe), "-max_total_time=6", "-seed=1", "-rss_limit_mb=1024", str(corpus)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    frames = int(re.search(r"packetclip-fuzz: frames=(\d+)", run.stderr).group(1))
    assert frames > 50_000
    if embed:   # RESULTs with a missions block were produced and checked
        assert int(re.search(r"scored=(\d+)", run.stderr).group(1)) > 0
