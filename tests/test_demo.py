"""`packetclip demo --shipped`: the released bundle through build, QEMU, conformance and SWaP."""

import json

from packetclip.demo import run_demo


def test_demo_with_the_shipped_bundle(tmp_path):
    lines = []
    summary = run_demo("mps2-an386", tmp_path / "demo", shipped=True, log=lines.append)
    assert summary["passed"]
    assert list(summary["stages"]) == ["data", "teacher", "build", "conform", "swap"]
    conform = json.loads((tmp_path / "demo" / "conform" / "mps2-an386" / "results.json").read_text())
    assert conform["bit_exact"] == conform["n"] > 1000
    assert "instructions" in summary["stages"]["conform"]["headline"]
    assert (tmp_path / "demo" / "REPORT.md").read_text().startswith("# packetclip demo on mps2-an386")
    assert (tmp_path / "demo" / "swap" / "report.md").exists()
    assert lines[-1].startswith("demo finished")
