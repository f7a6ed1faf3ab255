"""SWaP: budget strings, ELF sizes, measured and estimated rows, pass/fail, report files."""

import json
import shutil

import pytest
from click.testing import CliRunner

from packetclip.cli import main
from packetclip.errors import PacketclipError
from packetclip.swap.budget import parse_budgets
from packetclip.swap.elfsize import read_elf
from packetclip.swap.report import swap


def test_parse_budgets():
    b = parse_budgets("flash=64KiB, ram=16KiB,latency=2ms,energy=100uJ,weight=50g")
    assert b == {"flash": 65536, "ram": 16384, "latency": 0.002, "energy": pytest.approx(1e-4), "weight": 50.0}
    assert parse_budgets("flash=1MiB,latency=250us")["latency"] == pytest.approx(250e-6)
    assert parse_budgets(None) == {}


@pytest.mark.parametrize("bad,match", [("flash=64KiB,x=3", "unknown budget 'x'"), ("flash=lots", "cannot read"),
                                       ("latency=2", "needs a unit"), ("energy=3kg", "unit 'kg'"),
                                       ("ram=1KiB,ram=2KiB", "given twice")])
def test_bad_budgets_one_line(bad, match):
    with pytest.raises(PacketclipError, match=match) as e:
        parse_budgets(bad)
    assert "\n" not in str(e.value)


def test_bad_budget_cli_exit_2():
    r = CliRunner().invoke(main, ["swap", "--board", "host", "--budget", "flash=64KiB,speed=9"])
    assert r.exit_code != 0 and "unknown budget 'speed'" in str(r.exception or r.output)


@pytest.fixture(scope="module")
def measured(tmp_path_factory, bundle_dir, builds):
    """A builds root with mps2-an386 and a conformance session for it."""
    from packetclip.device.conform import conform

    root = tmp_path_factory.mktemp("swaproot")
    build = builds.folder("mps2-an386", bundle_dir)
    shutil.copytree(build, root / "build" / "mps2-an386-aot")
    rep = json.loads((root / "build" / "mps2-an386-aot" / "build.json").read_text())
    rep["elf"] = str(root / "build" / "mps2-an386-aot" / "packetclip.elf")
    (root / "build" / "mps2-an386-aot" / "build.json").write_text(json.dumps(rep))
    conform("mps2-an386", bundle_dir, firmware=build, out=root / "conform" / "mps2-an386", limit=100,
            log=lambda *a: None, progress=False)
    return root


def test_read_elf_matches_build(measured):
    d = measured / "build" / "mps2-an386-aot"
    elf = read_elf(d / "packetclip.elf")
    mem = json.loads((d / "build.json").read_text())["memory"]
    assert elf["flash_bytes"] == mem["flash_bytes"] and elf["ram_bytes"] == mem["ram_bytes"]
    assert elf["stack_bytes"] == mem["stack_bytes"] > 0
    split = elf["symbols_split"]
    assert sum(split["flash"].values()) == elf["flash_bytes"]
    assert split["flash"]["weights"] > 0.7 * elf["flash_bytes"]      # an MLP's firmware is mostly weights


def test_swap_measured_and_estimated(measured, bundle_dir, tmp_path):
    kw = dict(model=bundle_dir, build_root=measured / "build", conform_root=measured / "conform")
    p99 = swap(["mps2-an386"], None, **kw)["boards"][0]["latency_p99_s"]
    res = swap(["mps2-an386", "nucleo-f446re", "esp32-devkitc"],
               f"flash=64KiB,ram=16KiB,latency={p99 * 0.5e6:.1f}us,energy=1J", out=tmp_path / "r", **kw)
    an, nu, esp = res["boards"]
    assert not an["estimated"] and an["size_source"].startswith("measured")
    assert an["latency_source"].startswith("measured") and an["latency_unit"] == "instructions"
    assert an["flash_components"]["weights"] > 10000 and sum(an["flash_components"].values()) == an["flash_bytes"]
    assert an["energy_uj"] == pytest.approx(an["active_mw"] * an["latency_mean_s"] * 1e3)
    # 25 MHz emulated M4: ~41k instructions ≈ 1.6 ms, over a 1 ms budget
    assert an["budgets"]["latency"]["pass"] is False and an["budgets"]["latency"]["margin"] < 0
    assert an["budgets"]["flash"]["pass"] and an["budgets"]["flash"]["margin"] > 0
    assert nu["estimated"] and esp["estimated"] and "estimated" in esp["size_source"]
    assert esp["latency_p99_s"] < an["latency_p99_s"]           # 240 MHz vs 25 MHz
    assert not res["passed"]
    for f in ("swap.json", "report.md", "swap.png"):
        assert (tmp_path / "r" / f).exists()
    md = (tmp_path / "r" / "report.md").read_text()
    assert "estimated" in md and "not cycles" in md


def test_swap_cli_json(measured, bundle_dir, tmp_path):
    r = CliRunner().invoke(main, ["swap", "--board", "mps2-an386", "--board", "nrf52840dk", "--budget", "flash=64KiB,weight=600g",
                                  "--model", str(bundle_dir), "--builds", str(measured / "build"),
                                  "--conform", str(measured / "conform"), "--out", str(tmp_path / "o"), "--json"])
    assert r.exit_code == 0, r.output
    res = json.loads(r.output)
    assert res["passed"] and [b["board"] for b in res["boards"]] == ["mps2-an386", "nrf52840dk"]
    assert res["boards"][1]["weight_g"] == 60.0
