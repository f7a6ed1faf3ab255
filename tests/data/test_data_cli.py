"""`packetclip data inspect|split` and `packetclip kg show|check` happy paths."""

import json

from click.testing import CliRunner

from packetclip.data import load_flows
from packetclip.data.commands import data, kg


def test_inspect_json_on_sample():
    res = CliRunner().invoke(data, ["inspect", "--json"])
    assert res.exit_code == 0, res.output
    rep = json.loads(res.output)
    assert rep["dialect"] == "cicids2017" and rep["rows_read"] == 6311
    assert rep["dropped"]["duplicate"] > 900 and len(rep["raw_labels"]) == 7
    assert list(rep["missions"]) == ["dos", "brute_force", "reconnaissance", "other_attack", "benign"]
    text = CliRunner().invoke(data, ["inspect"]).output
    assert "dialect   cicids2017" in text and "classes (kept rows)" in text


def test_split_writes_csvs_that_read_back(tmp_path):
    out = tmp_path / "split"
    res = CliRunner().invoke(data, ["split", "--out", str(out), "--val", "0.1", "--seed", "2"])
    assert res.exit_code == 0, res.output
    summary = json.loads((out / "split.json").read_text())
    assert summary["rows"]["train"] + summary["rows"]["val"] + summary["rows"]["test"] == len(load_flows())
    test = load_flows(out / "test.csv")
    assert test.dialect == "packetclip" and len(test) == summary["rows"]["test"]
    assert test.report.dropped == {}
    again = tmp_path / "again"
    CliRunner().invoke(data, ["split", "--out", str(again), "--val", "0.1", "--seed", "2"])
    assert (again / "test.csv").read_bytes() == (out / "test.csv").read_bytes()  # reproducible
    idx = tmp_path / "idx"
    assert CliRunner().invoke(data, ["split", "--out", str(idx), "--format", "index"]).exit_code == 0
    n = len((idx / "test.idx").read_text().split())
    assert n == json.loads((idx / "split.json").read_text())["rows"]["test"]


def test_kg_show_and_check(tmp_path):
    res = CliRunner().invoke(kg, ["show", "--json"])
    g = json.loads(res.output)
    assert len(g["techniques"]) == 22 and g["version"]
    assert "T1046" in CliRunner().invoke(kg, ["show"]).output
    ok = tmp_path / "ok.yaml"
    ok.write_text("techniques:\n  - {id: mqtt_flood, parent: network_flood, vocab: [mqtt]}\n")
    res = CliRunner().invoke(kg, ["check", str(ok)])
    assert res.exit_code == 0 and "ok" in res.output and "23 techniques" in res.output
