"""`packetclip evaluate --zero-shot` end to end with the tiny preset on the host port: one class held
out of the teacher and the student, described in words, scored on the device; the table and plot."""

import json

from test_file import one_line_error

from packetclip.data import load_flows, split_indices


def test_zero_shot_one_class_on_the_host_port(tmp_path):
    import os
    import subprocess
    import sys

    env = dict(os.environ, PYTHONWARNINGS="ignore")
    r = subprocess.run([sys.executable, "-m", "packetclip", "evaluate", "--zero-shot", "--board", "host",
                        "--zero-shot-preset", "tiny", "--classes", "port_scan", "--seeds", "0", "--out", str(tmp_path / "zs"),
                        "--json"], capture_output=True, text=True, env=env, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    summary = json.loads(r.stdout)
    res = json.loads((tmp_path / "zs" / "zero-shot.json").read_text())
    (row,) = res["rows"]
    t = load_flows()
    test = split_indices(t, kind="stratified", test=0.3, val=0.15, seed=0)["test"]
    assert row["class"] == "port_scan" and row["test_rows"] == len(test)
    assert row["positives"] == int((t.labels[test] == "port_scan").sum()) > 0
    assert row["passed"] and row["bit_exact"] == row["test_rows"] and summary["all_bit_exact"]
    assert 0.0 <= row["auc_device"] <= 1.0 and row["auc_closed_set"] > 0.9   # the class head when port_scan was seen
    assert (tmp_path / "zs" / "zero-shot.png").stat().st_size > 1000
    assert "| port_scan |" in (tmp_path / "zs" / "zero-shot.md").read_text()
    # the held-out student has no output for the class: it never saw a port_scan flow
    student = json.loads((tmp_path / "zs" / "work" / "port_scan" / "student" / "model.json").read_text())
    assert "port_scan" not in student["labels"] and student["metrics"]["unseen_class_rows"] == row["positives"]


def test_zero_shot_bad_class(tmp_path):
    import os
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-m", "packetclip", "evaluate", "--zero-shot", "--classes", "benign,nope",
                        "--out", str(tmp_path / "zs")], capture_output=True, text=True, timeout=120,
                       env=dict(os.environ, PYTHONWARNINGS="ignore"))
    assert "--classes: 'benign' is not an attack class" in one_line_error(r)
    assert not (tmp_path / "zs").exists()
