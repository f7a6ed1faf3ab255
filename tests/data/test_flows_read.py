"""Reading the three flow dialects, gzip, chunking, cleaning and the embedded sample."""

import gzip

import numpy as np
import pytest

from packetclip.data import FEATURES, load_flows
from packetclip.data.dialects import COLUMNS
from packetclip.errors import PacketclipError

ACI_META = ["Flow ID", "Src IP", "Src Port", "Dst IP", "Dst Port", "Protocol", "Timestamp"]


def feature_row(seed):
    """A distinct, valid value per feature (so a mis-mapped column shows up)."""
    return [float(seed * 1000 + j) for j in range(len(FEATURES))]


def write_csv(path, dialect, rows, labels, meta=None, leading_space=False, extra_cols=()):
    names = [COLUMNS[dialect][f] for f in FEATURES]
    head = list(meta[0]) if meta else []
    header = head + names + list(extra_cols) + ["Label" if dialect != "cicflowmeter" else "label"]
    if leading_space:
        header = [" " + h for h in header]
    lines = [",".join(header)]
    for i, (row, lab) in enumerate(zip(rows, labels, strict=True)):
        cells = (list(meta[1][i]) if meta else []) + [repr(v) for v in row] + ["x"] * len(extra_cols) + [lab]
        lines.append(",".join(str(c) for c in cells))
    data = ("\n".join(lines) + "\n").encode()
    if str(path).endswith(".gz"):
        data = gzip.compress(data, mtime=0)
    path.write_bytes(data)
    return path


def test_cicids2017_dialect_with_leading_spaces_and_duplicate_column(tmp_path):
    rows = [feature_row(i) for i in range(4)]
    p = write_csv(tmp_path / "cic.csv", "cicids2017", rows, ["BENIGN", "DoS Hulk", "PortScan", "FTP-Patator"],
                  leading_space=True, extra_cols=["Fwd Header Length.1"])
    t = load_flows(p)
    assert t.dialect == "cicids2017"
    assert t.features == FEATURES
    np.testing.assert_array_equal(t.X, np.array(rows))
    assert t.labels.tolist() == ["benign", "dos", "port_scan", "brute_force"]
    assert t.missions.tolist() == ["benign", "dos", "reconnaissance", "brute_force"]
    assert t.report.dropped_columns == [["Fwd Header Length.1", "repeats 'Fwd Header Length'"]]
    assert all(v is None for v in t.meta.values())


def test_aciiot_dialect_gzip_with_metadata(tmp_path):
    rows = [feature_row(i) for i in range(3)]
    meta = (ACI_META, [
        ("10.0.0.2-10.0.0.1-5000-80-6", "10.0.0.2", 5000, "10.0.0.1", 80, 6, "07/11/2023 01:45:06 PM"),
        ("10.0.0.3-10.0.0.1-5001-53-17", "10.0.0.3", 5001, "10.0.0.1", 53, 17, "07/11/2023 01:45:07 PM"),
        ("10.0.0.4-10.0.0.1-0-0-1", "10.0.0.4", 0, "10.0.0.1", 0, 1, "08/11/2023 09:00:00 AM"),
    ])
    p = write_csv(tmp_path / "aci.csv.gz", "aciiot", rows, ["Benign", "DNS Flood", "Ping Sweep"], meta=meta,
                  extra_cols=["Connection Type"])
    t = load_flows(p)
    assert t.dialect == "aciiot"
    np.testing.assert_array_equal(t.X, np.array(rows))
    assert t.labels.tolist() == ["benign", "dns_flood", "ping_sweep"]
    assert t.meta["src_ip"].tolist() == ["10.0.0.2", "10.0.0.3", "10.0.0.4"]
    assert t.meta["dst_port"].tolist() == [80.0, 53.0, 0.0]
    assert t.meta["protocol"].tolist() == [6.0, 17.0, 1.0]
    ts = t.meta["timestamp"]
    assert ts[1] - ts[0] == 1.0  # day-first, 12-hour clock: 7 Nov 13:45:06 -> 13:45:07
    assert ts[2] - ts[0] == pytest.approx(86400 - 4 * 3600 - 45 * 60 - 6)
    assert "Flow ID" in t.report.ignored_columns and "Connection Type" in t.report.ignored_columns


def test_cicflowmeter_dialect_and_override(tmp_path):
    rows = [feature_row(i) for i in range(2)]
    meta = (["src_ip", "dst_ip", "src_port", "dst_port", "protocol", "timestamp"],
            [("1.1.1.1", "2.2.2.2", 1, 22, 6, "2024-01-02 03:04:05"), ("1.1.1.2", "2.2.2.2", 2, 22, 6, "2024-01-02 03:04:09")])
    p = write_csv(tmp_path / "py.csv", "cicflowmeter", rows, ["SSH-Patator", "Port Scan"], meta=meta)
    # two flows cannot tell the unit, and cicflowmeter changed it between versions: declare it
    with pytest.raises(PacketclipError, match=r"py\.csv: cannot tell the unit of the time columns.*--time-unit"):
        load_flows(p)
    t = load_flows(p, time_unit="us")
    assert t.dialect == "cicflowmeter" and t.report.time_unit == "microseconds"
    np.testing.assert_array_equal(t.X, np.array(rows))
    assert np.diff(t.meta["timestamp"]).tolist() == [4.0]
    assert load_flows(p, dialect="cicflowmeter", time_unit="s").labels.tolist() == ["brute_force", "port_scan"]
    with pytest.raises(PacketclipError, match="lacks aciiot column"):
        load_flows(p, dialect="aciiot")


def test_small_chunks_give_the_same_table(tmp_path):
    rng = np.random.default_rng(0)
    rows = [[float(v) for v in rng.integers(0, 50, len(FEATURES))] for _ in range(300)]
    labs = rng.choice(["BENIGN", "DDoS", "Bot"], 300).tolist()
    p = write_csv(tmp_path / "c.csv", "cicids2017", rows, labs)
    a, b = load_flows(p), load_flows(p, chunk_bytes=1000)
    np.testing.assert_array_equal(a.X, b.X)
    assert a.labels.tolist() == b.labels.tolist()
    assert a.report.to_dict() == b.report.to_dict()


def test_cleaning_is_reported(tmp_path):
    rows = [feature_row(i) for i in range(6)]
    rows[1][FEATURES.index("flow_bytes_per_s")] = float("inf")
    rows[2][FEATURES.index("flow_duration")] = -5.0
    rows[4] = list(rows[3])  # duplicate
    for r in rows:
        r[FEATURES.index("ece_flag_count")] = 0.0  # constant column
    labs = ["BENIGN"] * 6
    p = write_csv(tmp_path / "c.csv", "cicids2017", rows, labs)
    t = load_flows(p)
    rep = t.report
    assert (rep.rows_read, rep.rows_kept) == (6, 3)
    assert rep.dropped == {"nonfinite": 1, "negative_time": 1, "duplicate": 1}
    assert rep.dropped_by_column["nonfinite"] == {"flow_bytes_per_s": 1}
    assert rep.dropped_by_column["negative_time"] == {"flow_duration": 1}
    assert "ece_flag_count" in rep.constant_columns and t.features == FEATURES  # reported, kept
    t2 = load_flows(p, drop_constant=True)
    assert "ece_flag_count" not in t2.features and t2.X.shape[1] == len(t2.features)
    assert load_flows(p, drop_duplicates=False).report.rows_kept == 4
    text = rep.to_text()
    assert "inf or NaN" in text and "duplicate" in text


def test_empty_cells_read_as_missing(tmp_path):
    rows = [feature_row(i) for i in range(2)]
    p = write_csv(tmp_path / "c.csv", "cicids2017", rows, ["BENIGN", "BENIGN"])
    text = p.read_text().splitlines()
    cells = text[1].split(",")
    cells[FEATURES.index("flow_bytes_per_s")] = ""
    text[1] = ",".join(cells)
    p.write_text("\n".join(text) + "\n")
    t = load_flows(p)
    assert t.report.dropped == {"nonfinite": 1}


def test_unknown_labels_kept_reported_or_rejected(tmp_path):
    rows = [feature_row(i) for i in range(3)]
    p = write_csv(tmp_path / "c.csv", "cicids2017", rows, ["BENIGN", "Mystery", "Mystery"])
    t = load_flows(p)
    assert t.labels.tolist() == ["benign", "unknown", "unknown"]
    assert t.missions.tolist()[1] == "unknown"
    assert t.report.unknown_labels == {"Mystery": 2}
    with pytest.raises(PacketclipError, match=r"c\.csv: line 3, column 'Label': unknown label 'Mystery'"):
        load_flows(p, strict=True)
    assert len(load_flows(p, drop_unknown=True)) == 1
    extra = tmp_path / "mine.toml"
    extra.write_text('[labels]\n"Mystery" = "os_scan"\n')
    assert load_flows(p, labels=extra, strict=True).labels.tolist() == ["benign", "os_scan", "os_scan"]
    bad = tmp_path / "bad.toml"
    bad.write_text('[labels]\n"Mystery" = "teleport"\n')
    with pytest.raises(PacketclipError, match="not a technique"):
        load_flows(p, labels=bad)


def test_web_attack_spellings_map():
    from packetclip.data.labels import load_label_map, map_labels
    m = load_label_map()
    raw = ["Web Attack \ufffd Brute Force", "Web Attack \u2013 XSS", "Web Attack \x96 Sql Injection", " DoS slowloris",
           "BENIGN", "Heartbleed", "ARP Spoofing", "Vulnerability Scan", "Dictionary Attack", "DDoS"]
    assert map_labels(raw, m) == ["web_attack", "web_attack", "web_attack", "slowloris", "benign", "heartbleed",
                                  "arp_spoofing", "vulnerability_scan", "dictionary_attack", "ddos"]


def test_embedded_sample():
    t = load_flows()
    rep = t.report
    assert t.source == "packetclip:cicids2017-sample" and t.dialect == "cicids2017"
    assert rep.rows_read == 6311
    assert len(rep.raw_labels) == 7 and not rep.unknown_labels
    assert set(t.labels) == {"web_attack", "bot", "dos", "brute_force", "port_scan", "benign", "infiltration"}
    assert rep.dropped["duplicate"] > 900
    assert rep.dropped["nonfinite"] > 0
    assert rep.rows_kept == len(t) == t.X.shape[0] and t.X.shape[1] == 76 == len(FEATURES)
    assert np.isfinite(t.X).all()
    assert set(t.missions) == {"dos", "brute_force", "reconnaissance", "other_attack", "benign"}


def test_embedded_sample_is_deterministic_gzip():
    from packetclip.data.flows import sample_path
    raw = sample_path().read_bytes()
    assert raw[:2] == b"\x1f\x8b" and raw[4:8] == b"\0\0\0\0"  # mtime 0
    assert (sample_path().parent / "cicids2017-sample.SOURCE.md").read_text().count("Sharafaldin") == 1
