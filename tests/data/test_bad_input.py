"""Every bad input is one line naming the file, row/field and fix; exit 2; no traceback; no output."""

import gzip
import subprocess
import sys

import pytest

from packetclip.data import FEATURES, load_flows
from packetclip.data.dialects import COLUMNS
from packetclip.errors import PacketclipError


def cic_csv(path, n=4, label="BENIGN", header_extra=(), cell=None):
    names = [COLUMNS["cicids2017"][f] for f in FEATURES]
    lines = [",".join(names + ["Label"])]
    for i in range(n):
        cells = [str(i * 100 + j) for j in range(len(FEATURES))] + [label]
        if cell and cell[0] == i:
            cells[cell[1]] = cell[2]
        lines.append(",".join(cells))
    path.write_text("\n".join(lines) + "\n")
    return path


def cli(*args):
    return subprocess.run([sys.executable, "-m", "packetclip", *map(str, args)], capture_output=True, text=True)


def assert_one_line_error(res, *needles):
    assert res.returncode == 2, res.stderr
    err = res.stderr.strip()
    assert "Traceback" not in res.stderr and len(err.splitlines()) == 1, res.stderr
    for n in needles:
        assert n in err, err


def test_empty_file(tmp_path):
    p = tmp_path / "empty.csv"
    p.write_text("")
    with pytest.raises(PacketclipError, match=r"empty\.csv: file is empty"):
        load_flows(p)


def test_header_only(tmp_path):
    p = cic_csv(tmp_path / "h.csv", n=0)
    with pytest.raises(PacketclipError, match="header but no flow rows"):
        load_flows(p)


def test_no_label_column(tmp_path):
    p = tmp_path / "nolabel.csv"
    p.write_text(",".join(COLUMNS["cicids2017"][f] for f in FEATURES) + "\n" + ",".join("1" * len(FEATURES)) + "\n")
    with pytest.raises(PacketclipError, match=r"nolabel\.csv: no label column.*add a Label column"):
        load_flows(p)
    assert load_flows(p, require_label=False).labels.tolist() == ["unknown"]


def test_unknown_dialect_lists_the_three(tmp_path):
    p = tmp_path / "other.csv"
    p.write_text("a,b,c,Label\n1,2,3,BENIGN\n")
    with pytest.raises(PacketclipError) as e:
        load_flows(p)
    msg = str(e.value)
    assert "other.csv" in msg and "cicids2017, cicids2018, aciiot, cicflowmeter" in msg and "--dialect" in msg


def test_non_numeric_cell_names_line_and_column(tmp_path):
    p = cic_csv(tmp_path / "bad.csv", cell=(2, 3, "abc"))
    with pytest.raises(PacketclipError, match=r"bad\.csv: line 4, column 'Total Length of Fwd Packets': 'abc' is not a number"):
        load_flows(p)
    t = load_flows(p, drop_bad_rows=True)
    assert t.report.rows_read == 4 and t.report.rows_kept == 3 and t.report.dropped == {"non_numeric": 1}


def test_wrong_field_count(tmp_path):
    p = cic_csv(tmp_path / "short.csv")
    p.write_text(p.read_text() + "1,2,3\n")
    with pytest.raises(PacketclipError, match=r"short\.csv: line 6 has 3 fields but the header has 77"):
        load_flows(p)


def test_truncated_gzip(tmp_path):
    raw = gzip.compress(cic_csv(tmp_path / "x.csv", n=200).read_bytes())
    p = tmp_path / "cut.csv.gz"
    p.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(PacketclipError, match=r"cut\.csv\.gz: gzip data is truncated"):
        load_flows(p)


def test_not_gzip_but_named_gz(tmp_path):
    p = tmp_path / "plain.csv.gz"
    p.write_text("hello\n")
    with pytest.raises(PacketclipError, match="not gzip data"):
        load_flows(p)


def test_unknown_label_strict(tmp_path):
    p = cic_csv(tmp_path / "u.csv", label="Alien")
    with pytest.raises(PacketclipError, match=r"u\.csv: line 2, column 'Label': unknown label 'Alien'"):
        load_flows(p, strict=True)


def test_cli_errors_exit_2_one_line_no_output(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    assert_one_line_error(cli("data", "inspect", empty), "empty.csv", "file is empty")
    bad = cic_csv(tmp_path / "bad.csv", cell=(0, 5, "x1"))
    out = tmp_path / "split-out"
    assert_one_line_error(cli("data", "split", bad, "--out", out), "bad.csv", "line 2", "--drop-bad-rows")
    assert not out.exists() and not list(tmp_path.glob(".split-out*"))
    u = cic_csv(tmp_path / "u.csv", label="Alien")
    assert_one_line_error(cli("data", "inspect", u, "--strict"), "unknown label 'Alien'", "--labels")
    res = cli("data", "inspect", u, "--json")
    assert res.returncode == 0 and '"Alien": 4' in res.stdout
    other = tmp_path / "o.csv"
    other.write_text("a,b,Label\n1,2,x\n")
    assert_one_line_error(cli("data", "inspect", other), "cicids2017, cicids2018, aciiot, cicflowmeter", "--dialect")
    cyc = tmp_path / "cycle.yaml"
    cyc.write_text("tactics:\n  - {id: a, parent: b}\n  - {id: b, parent: a}\n")
    assert_one_line_error(cli("kg", "check", cyc), "cycle.yaml", "cycle")
    miss = tmp_path / "miss.yaml"
    miss.write_text("techniques:\n  - {id: t1, parent: nowhere}\n")
    assert_one_line_error(cli("kg", "check", miss), "miss.yaml", "missing parent 'nowhere'")
