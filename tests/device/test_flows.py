"""Temporal context on the device: a windowed student distilled from a teacher trained on a real
`packetclip lab` capture (addresses, timestamps), its firmware keeping each host's flows, fed one
FLOW at a time by `conform`, checked bit for bit against TFLM on the host reference's windows,
with a table small enough that hosts are evicted and come back, through link faults and a reboot."""

import json

import numpy as np
import pytest

from packetclip.boards import load_board
from packetclip.bundle.format import load_bundle
from packetclip.device.conform import conform
from packetclip.device.faults import FaultShim
from packetclip.device.runners.host import start_hostport
from packetclip.device.session import DeviceError, Session
from packetclip.device.stream import flow_stream
from packetclip.firmware import build_firmware

QUIET = dict(log=lambda *a: None, progress=False)
HOSTS = 6     # the lab has a few dozen source addresses: a 6-host table evicts and readmits them


@pytest.fixture(scope="module")
def lab_student(lab_run, tmp_path_factory):
    """teacher (tiny preset) and conv1d student on the session's real lab capture."""
    from packetclip.distill import distill
    from packetclip.teacher import train

    d = tmp_path_factory.mktemp("labstudent")
    train(str(lab_run.flows), out=d / "run", preset="tiny", seed=0, quiet=True)
    distill(str(d / "run"), board="mps2-an386", out=str(d / "student"), arch="conv1d", preset="tiny",
            max_weights=16384, max_arena=8192, log=lambda *a: None)
    b = load_bundle(d / "student")
    assert b.window > 1 and b.meta["window_context"]["kind"] == "host_time"
    return d / "student"


@pytest.fixture(scope="module")
def host_fw(lab_student, tmp_path_factory):
    out = tmp_path_factory.mktemp("hostfw") / "host"
    rep = build_firmware("host", lab_student, out=out, hosts=HOSTS, log=lambda *a: None)
    assert rep["context"]["where"] == "device" and rep["context"]["hosts"] == HOSTS
    assert rep["memory"]["ram"]["hosts"] >= HOSTS * (load_bundle(lab_student).window - 1) * rep["context"]["row_bytes"]
    return out


def test_conform_streams_flows_to_the_host_table(tmp_path, lab_run, lab_student, host_fw):
    res = conform("host", lab_student, data=str(lab_run.flows), firmware=host_fw, out=tmp_path / "c", **QUIET)
    ctx = res["context"]
    assert res["passed"] and res["bit_exact"] == res["n"] == len(lab_run.table())
    assert ctx["where"] == "device" and ctx["hosts"] == HOSTS and ctx["history_mismatches"] == 0
    assert ctx["evictions"] == ctx["evictions_reference"] > 0 and ctx["returns"] > 0
    assert ctx["device_out_of_order"] == 0 and ctx["flows"] == res["n"]
    assert res["device_stats"]["evictions"] == ctx["evictions"]
    saved = json.loads((tmp_path / "c" / "results.json").read_text())["context"]
    assert saved == ctx
    assert "Temporal context on the device" in (tmp_path / "c" / "report.md").read_text()


def test_faults_never_put_a_flow_into_a_history_twice(lab_run, lab_student, host_fw):
    """Bytes dropped, flipped and duplicated both ways, and whole frames lost: FLOWs resent after a
    lost reply come from the replay buffer, FLOWs past a lost one are refused (FLOW_GAP), and every
    output and history length still equals the reference's."""
    b = load_bundle(lab_student)
    st = flow_stream(b, str(lab_run.flows), limit=1500)
    Q, hist_ref, _ = st.reference(b, HOSTS)
    from packetclip.bundle.golden import run_tflm

    Y = np.asarray(run_tflm(b.tflite, Q)).reshape(len(Q), -1).astype(np.int8)
    order = st.order
    from packetclip.firmware.folder import find_elf

    with start_hostport(find_elf(load_board("host"), host_fw)) as dev, \
            FaultShim(("127.0.0.1", dev.port), drop=0.002, flip=0.003, dup=0.002, drop_frame=0.01, seed=11) as shim:
        with Session.open(shim.url, timeout=1.0) as s:
            s.hello()
            _, hist, outs = s.flows(st.keys[order], st.starts_us[order], st.rows[order], window=8)
            stats = s.stats()
    assert np.array_equal(outs, Y[order]) and np.array_equal(hist, hist_ref[order])
    assert s.link.recoveries > 5 and shim.stats.to_host.frames_dropped + shim.stats.to_host.dropped > 0
    assert stats["flow_replays"] > 0 and stats["flows"] == len(st)
    assert s.link.device_errors.get("FLOW_GAP", 0) > 0


def test_a_reboot_mid_stream_is_one_clear_error(lab_run, lab_student, host_fw):
    b = load_bundle(lab_student)
    st = flow_stream(b, str(lab_run.flows), limit=600)
    from packetclip.firmware.folder import find_elf

    done = [0]
    with start_hostport(find_elf(load_board("host"), host_fw)) as dev, FaultShim(("127.0.0.1", dev.port)) as shim:
        def progress(k):
            done[0] += k
            if done[0] == 200:
                shim.reset_device()      # the host port starts afresh for a new client: its table is gone
        with Session.open(shim.url, timeout=1.0) as s:
            s.hello()
            with pytest.raises(DeviceError, match="rebooted during the flow stream"):
                s.flows(st.keys, st.starts_us, st.rows, progress=progress)


def test_without_a_host_table_the_host_sends_whole_windows(tmp_path, lab_run, lab_student):
    fw = tmp_path / "h0"
    build_firmware("host", lab_student, out=fw, hosts=0, log=lambda *a: None)
    res = conform("host", lab_student, firmware=fw, out=tmp_path / "c0", limit=300, **QUIET)
    assert res["passed"] and res["context"] == {"where": "host"} and res["bit_exact"] == 300
    from packetclip.firmware.folder import find_elf

    st = flow_stream(load_bundle(lab_student), str(lab_run.flows), limit=5)
    with start_hostport(find_elf(load_board("host"), fw)) as dev, Session.open(dev.url, timeout=1.0) as s:
        s.hello()
        with pytest.raises(DeviceError, match="keeps no flow history"):
            s.flows(st.keys, st.starts_us, st.rows)


@pytest.mark.qemu
def test_qemu_an386_keeps_the_table_within_16_kib(tmp_path, lab_run, lab_student):
    fw = tmp_path / "q"
    rep = build_firmware("mps2-an386", lab_student, out=fw, hosts=HOSTS, log=lambda *a: None)
    mem = rep["memory"]
    assert mem["ram"]["hosts"] > 0 and mem["ram_bytes"] + mem["stack_bytes"] <= 16 * 1024
    res = conform("mps2-an386", lab_student, data=str(lab_run.flows), firmware=fw, out=tmp_path / "qc", limit=400, **QUIET)
    assert res["passed"] and res["bit_exact"] == 400 and res["context"]["history_mismatches"] == 0
    assert res["latency"]["unit"] == "instructions"
