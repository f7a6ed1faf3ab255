"""Conformance over the host port and QEMU, with faults, resets and the wrong model."""

import json

import numpy as np
import pytest
from click.testing import CliRunner

from packetclip.boards import load_board
from packetclip.cli import main
from packetclip.device.conform import conform
from packetclip.device.faults import FaultShim
from packetclip.device.runners.host import start_hostport
from packetclip.device.session import Session
from packetclip.errors import PacketclipError
from packetclip.firmware.folder import find_elf

HOST = load_board("host")
QUIET = dict(log=lambda *a: None, progress=False)


def test_conform_host_port_bit_exact(tmp_path, bundle_dir, host_build):
    res = conform("host", bundle_dir, firmware=host_build, out=tmp_path / "s", **QUIET)
    assert res["passed"] and res["bit_exact"] == res["n"] > 1000
    assert res["metrics"]["accuracy"] > 0.8 and res["metrics"]["mean_auc_three_missions"] > 0.9
    assert res["latency"]["p50"] > 0 and res["latency"]["p99"] >= res["latency"]["p50"]
    assert res["link"]["recoveries"] == 0 and res["device_stats"]["inferences"] == res["n"]
    for f in ("results.json", "report.md", "latency.png", "confusion.png", "mismatches.jsonl"):
        assert (tmp_path / "s" / f).exists()
    assert (tmp_path / "s" / "mismatches.jsonl").read_text() == ""
    assert json.loads((tmp_path / "s" / "results.json").read_text())["bit_exact"] == res["n"]


@pytest.mark.qemu
def test_conform_qemu_mps2_an386(tmp_path, bundle_dir, builds):
    build = builds.folder("mps2-an386", bundle_dir)
    res = conform("mps2-an386", bundle_dir, firmware=build, out=tmp_path / "q", limit=200, **QUIET)
    assert res["passed"] and res["bit_exact"] == 200
    assert res["latency"]["unit"] == "instructions" and "not cycles" in res["latency"]["note"]
    assert "not cycles" in (tmp_path / "q" / "report.md").read_text()


def test_faults_one_percent_never_accept_wrong(golden, host_build):
    """1 % of bytes dropped, flipped or duplicated in both directions: finishes, all exact."""
    b, Q, Y = golden
    with start_hostport(find_elf(HOST, host_build)) as dev, \
            FaultShim(("127.0.0.1", dev.port), drop=0.003, flip=0.004, dup=0.003, seed=7) as shim:
        with Session.open(shim.url, timeout=1.0) as s:
            s.hello()
            counters, outs = s.infer(Q, window=16)
    assert np.array_equal(outs, Y), "a damaged or misattributed reply was accepted"
    st = shim.stats
    assert st.to_device.flipped > 10 and st.to_host.flipped > 10 and st.to_host.dropped > 5
    assert s.link.recoveries > 10 and s.link.rx_bad > 10 and s.link.resent > 0


def test_reset_mid_run_recovers(golden, host_build):
    """Kill the host-port process mid-run and start it again on the same port."""
    b, Q, Y = golden
    elf = find_elf(HOST, host_build)
    dev = start_hostport(elf)
    port = dev.port
    state = {"dev": dev, "done": 0}

    def restart():
        state["dev"].stop()
        state["dev"] = start_hostport(elf, port=port)

    with FaultShim(("127.0.0.1", port), restart=restart) as shim:
        def progress(k):
            state["done"] += k
            if state["done"] in (100, 250):
                shim.reset_device()
        try:
            with Session.open(shim.url, timeout=1.0) as s:
                s.hello()
                _, outs = s.infer(Q, window=16, progress=progress)
        finally:
            state["dev"].stop()
    assert np.array_equal(outs, Y)
    assert shim.stats.resets == 2 and s.link.reboots >= 1 and s.link.recoveries >= 1


def test_wrong_model_is_a_clear_error(tmp_path, bundle_dir, builds):
    elf = builds.fake("host")[0]
    with start_hostport(elf) as dev:
        with pytest.raises(PacketclipError) as e:
            conform("host", bundle_dir, port=dev.url, out=tmp_path / "w", limit=20, **QUIET)
    msg = str(e.value)
    assert "the device runs model face0000" in msg and "packetclip build --board host" in msg and "packetclip flash" in msg
    assert not (tmp_path / "w").exists()


def test_monitor_talks_to_host_port(bundle_dir, host_build):
    from packetclip.bundle.format import load_bundle

    with start_hostport(find_elf(HOST, host_build)) as dev:
        r = CliRunner().invoke(main, ["monitor", "--board", "host", "--port", dev.url, "--json"])
        assert r.exit_code == 0, r.output
        res = json.loads(r.output)
        assert res["info"]["model_sha256"] == load_bundle(bundle_dir).sha256
        assert res["boot"]["board"] == "host" and res["stats"]["rx_frames"] >= 1
        text = CliRunner().invoke(main, ["monitor", "--board", "host", "--port", dev.url]).output
        assert "model sha256" in text and "stats:" in text


def test_conform_cli_exit_codes(tmp_path, bundle_dir, host_build):
    r = CliRunner().invoke(main, ["conform", "--board", "host", "--model", str(bundle_dir), "--firmware", str(host_build),
                                  "--out", str(tmp_path / "c"), "--limit", "50", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["bit_exact"] == 50
