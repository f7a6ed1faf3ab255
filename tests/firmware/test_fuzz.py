"""A short libFuzzer pass over the frame parser under ASan + UBSan (the long run is manual:
see firmware/core/fuzz/fuzz_frame.c and the firmware notes)."""

import re
import shutil
import subprocess

import pytest
from fwutil import REPO

from packetclip.device import protocol as p


@pytest.mark.slow
def test_fuzz_frame_parser_short(tmp_path):
    if not shutil.which("clang"):
        pytest.skip("clang not installed")
    exe = tmp_path / "fuzz_frame"
    core = REPO / "firmware/core"
    build = subprocess.run(
        ["clang", "-g", "-O1", "-fsanitize=fuzzer,address,undefined", "-fno-sanitize-recover=all",
         f"-I{REPO / 'firmware/include'}", f"-I{core / 'fuzz'}",
         *(str(core / f) for f in ("cobs.c", "crc32.c", "frame.c")), str(core / "fuzz/fuzz_frame.c"),
         "-o", str(exe)], capture_output=True, text=True)
    if build.returncode != 0 and "fuzzer" in build.stderr:
        pytest.skip("libFuzzer runtime not installed (libclang-rt-14-dev)")
    assert build.returncode == 0, build.stderr
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "hello").write_bytes(p.encode_frame(p.HELLO, 1))
    (corpus / "infer").write_bytes(p.encode_frame(p.INFER, 2, bytes(range(40))))
    (corpus / "mix").write_bytes(p.encode_frame(p.STATS, 3) + b"\x00" + p.encode_frame(9, 5, b"abc"))
    run = subprocess.run([str(exe), "-max_total_time=8", "-seed=1", "-rss_limit_mb=1024", str(corpus)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    frames = int(re.search(r"packetclip-fuzz: frames=(\d+)", run.stderr).group(1))
    assert frames > 100_000
