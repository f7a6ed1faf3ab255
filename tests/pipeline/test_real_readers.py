"""Every reader's real output through train, evaluate (cross-capture), distill --arch conv1d and
conform on the host port: the flows of one real loopback capture as `packetclip data flows`,
Python cicflowmeter 0.5.0 (seconds, gzip) and 0.1.6 wrote them, and as the CIC-IDS2017,
CSE-CIC-IDS2018 and ACI-IoT-2023 dialects write them (dialect_files.py)."""

import json

import numpy as np
import pytest
from click.testing import CliRunner
from dialect_files import FIXTURES, SOURCE, write_dialect

from packetclip.data import load_flows

TEST_CAPTURE = FIXTURES / "lo2-packetclip-flows.csv.gz"
READERS = ["packetclip-flows", "cicflowmeter-0.5.0", "cicflowmeter-0.1.6", "cicids2017", "cicids2018-gzip", "aciiot"]
QUIET = dict(log=lambda *a: None)


@pytest.fixture(scope="module")
def source():
    return load_flows(SOURCE)


@pytest.fixture(scope="module")
def files(tmp_path_factory, source):
    tmp = tmp_path_factory.mktemp("dialects")
    return {
        "packetclip-flows": SOURCE,
        "cicflowmeter-0.5.0": FIXTURES / "lo-cicflowmeter-0.5.0.csv.gz",
        "cicflowmeter-0.1.6": FIXTURES / "lo-cicflowmeter-0.1.6.csv.gz",
        "cicids2017": write_dialect(source, "cicids2017", tmp / "cic2017-trafficlabelling.csv"),
        "cicids2018-gzip": write_dialect(source, "cicids2018", tmp / "cic2018.csv.gz", gz=True),
        "aciiot": write_dialect(source, "aciiot", tmp / "aciiot.csv"),
    }


EXPECT = {"packetclip-flows": ("packetclip", "microseconds"), "cicflowmeter-0.5.0": ("cicflowmeter", "seconds"),
          "cicflowmeter-0.1.6": ("cicflowmeter-0.1", "microseconds"), "cicids2017": ("cicids2017", "microseconds"),
          "cicids2018-gzip": ("cicids2018", "microseconds"), "aciiot": ("aciiot", "microseconds")}


@pytest.mark.parametrize("reader", READERS)
def test_reader_gives_the_canonical_table(files, source, reader):
    t = load_flows(files[reader])
    assert (t.dialect, t.report.time_unit) == EXPECT[reader]
    assert all(t.meta[k] is not None for k in ("src_ip", "timestamp", "dst_port"))
    assert set(t.labels.tolist()) == {"benign", "port_scan", "brute_force"}
    if reader.startswith("cicflowmeter"):
        # another flow meter on the same packets: durations agree with ours once both are microseconds
        d = t.X[:, t.features.index("flow_duration")]
        assert len(t) == pytest.approx(len(source), abs=5) and 1e2 < np.median(d[d > 0]) < 1e6
        return
    np.testing.assert_allclose(t.X, source.X, rtol=1e-12, atol=1e-9)
    assert t.labels.tolist() == source.labels.tolist()
    assert t.meta["src_ip"].tolist() == source.meta["src_ip"].tolist()
    ts = source.meta["timestamp"] if reader == "packetclip-flows" else np.floor(source.meta["timestamp"])  # 1 s cells
    np.testing.assert_array_equal(t.meta["timestamp"], ts)


@pytest.mark.parametrize("reader", READERS)
def test_reader_output_trains_evaluates_distills_and_conforms(tmp_path, files, builds, reader):
    from packetclip.device.conform import conform
    from packetclip.distill import distill
    from packetclip.teacher import train
    from packetclip.teacher.crosseval import evaluate_cross

    r = train(str(files[reader]), out=tmp_path / "run", preset="tiny", seed=0, quiet=True)
    assert r["metrics"]["temporal"]["used"] and r["config"]["window"] == 3
    assert r["metrics"]["temporal"]["windows"]["hosts"] == 3
    m = evaluate_cross(tmp_path / "run", TEST_CAPTURE, out=tmp_path / "eval", **QUIET)
    assert set(m["teacher"]) == {"temporal", "no_context"}
    assert set(m["baselines"]) == {"random_forest", "mlp", "random_forest_context"}
    assert m["test_data"]["rows"] == 440 and (tmp_path / "eval" / "report.md").exists()
    assert m["baselines"]["random_forest"]["macro_f1"]["mean"] > 0.9  # the capture is easy: a broken reader is not
    res = distill(str(tmp_path / "run"), board="mps2-an386", out=str(tmp_path / "student"), arch="conv1d",
                  preset="tiny", max_weights=16384, max_arena=8192, **QUIET)
    meta = json.loads((tmp_path / "student" / "model.json").read_text())
    assert res["student"]["arch"] == "conv1d" and meta["window"] > 1 and meta["window_context"]["kind"] == "host_time"
    fw = builds.folder("host", tmp_path / "student")
    c = conform("host", tmp_path / "student", data=str(TEST_CAPTURE), firmware=fw, out=tmp_path / "conform",
                progress=False, **QUIET)
    assert c["passed"] and c["bit_exact"] == c["n"] > 100


def test_evaluate_cli_json_keeps_teacher_and_baselines_apart(tmp_path):
    from packetclip.cli import main
    from packetclip.teacher import train

    train(str(SOURCE), out=tmp_path / "run", preset="tiny", seed=0, quiet=True)
    res = CliRunner().invoke(main, ["evaluate", str(tmp_path / "run"), "--test-data", str(TEST_CAPTURE),
                                    "--out", str(tmp_path / "e"), "--seeds", "0", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert set(out["teacher"]) == {"teacher.temporal", "teacher.no_context"}
    assert set(out["baselines"]) == {"baselines.random_forest", "baselines.mlp", "baselines.random_forest_context"}
    saved = json.loads((tmp_path / "e" / "metrics.json").read_text())
    assert saved["mode"] == "cross_capture" and set(saved["teacher"]) == {"temporal", "no_context"}
    assert saved["teacher"]["temporal"]["macro_f1"]["values"] == [out["teacher"]["teacher.temporal"]["macro_f1"]]


def _cli(*args):
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "packetclip", *map(str, args)], capture_output=True, text=True)


def _one_line(res, *needles):
    err = res.stderr.strip()
    assert res.returncode == 2 and "Traceback" not in res.stderr and len(err.splitlines()) == 1, res.stderr
    for n in needles:
        assert n in err, err


def test_declared_time_unit_that_the_values_contradict_is_refused(tmp_path):
    s05 = FIXTURES / "lo-cicflowmeter-0.5.0.csv.gz"  # seconds
    _one_line(_cli("data", "inspect", s05, "--time-unit", "us"), "lo-cicflowmeter-0.5.0.csv.gz",
              "--time-unit says the time columns are microseconds but the values say seconds", "--time-unit s")
    _one_line(_cli("data", "inspect", SOURCE, "--time-unit", "s"), "values say microseconds")
    out = tmp_path / "split"
    _one_line(_cli("data", "split", s05, "--time-unit", "ms", "--out", out), "values say seconds")
    assert not out.exists()
    res = _cli("data", "inspect", s05, "--json")
    rep = json.loads(res.stdout)
    assert rep["time_unit"] == "seconds" and rep["time_unit_how"] == "detected from the values" and len(rep["time_columns"]) == 23


@pytest.mark.parametrize("cell,needle", [("", "the cell is empty"), ("31/02/2026 25:61", "cannot read '31/02/2026 25:61' as a time")])
def test_missing_or_garbled_timestamp_is_refused(tmp_path, source, cell, needle):
    p = write_dialect(source, "aciiot", tmp_path / "aci.csv")
    lines = p.read_text().splitlines()
    cells = lines[5].split(",")
    cells[6] = cell
    lines[5] = ",".join(cells)
    p.write_text("\n".join(lines) + "\n")
    _one_line(_cli("data", "inspect", p), "aci.csv", "line 6", "column 'Timestamp'", needle, "--drop-bad-rows")
    _one_line(_cli("train", p, "--out", tmp_path / "run", "--preset", "tiny"), "line 6", needle)
    assert not (tmp_path / "run").exists()
    t = load_flows(p, drop_bad_rows=True)
    assert len(t) == len(source) - 1 and t.report.dropped == {"bad_timestamp": 1}


def test_test_capture_that_does_not_match_the_run_is_refused(tmp_path, source):
    from packetclip.teacher import train

    train(str(SOURCE), out=tmp_path / "run", preset="tiny", seed=0, quiet=True)
    other = tmp_path / "other-labels.csv"
    text = write_dialect(source, "aciiot", tmp_path / "x.csv").read_text().replace(",Port Scan,", ",SYN Flood,")
    other.write_text(text)
    out = tmp_path / "eval"
    _one_line(_cli("evaluate", tmp_path / "run", "--test-data", other, "--out", out, "--seeds", "0", "--json"),
              "other-labels.csv", "field 'label' has class 'syn_flood'", "never saw in training")
    fewer = tmp_path / "fewer-features.csv"
    lines = write_dialect(source, "aciiot", tmp_path / "y.csv").read_text().splitlines()
    fewer.write_text("\n".join(",".join(c for i, c in enumerate(l.split(",")) if i != 8) for l in lines) + "\n")
    _one_line(_cli("evaluate", tmp_path / "run", "--test-data", fewer, "--out", out), "fewer-features.csv", "lacks aciiot column")
    _one_line(_cli("evaluate", tmp_path / "run", "--test-data", SOURCE, "--out", out), "the run's own training capture")
    assert not out.exists()
