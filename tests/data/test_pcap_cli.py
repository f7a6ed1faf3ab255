"""`packetclip data flows`: output that load_flows reads back, and bad captures."""

import subprocess
import sys

import numpy as np
import pytest

from packetclip.data.pcap import pcap_to_csv
from packetclip.data.pcap_synth import write_capture
from packetclip.errors import PacketclipError

A, B = "10.0.0.1", "10.0.0.2"


def _capture(path):
    pk = [{"ts": 5.0 + i * 0.25, "src": A if i % 2 == 0 else B, "dst": B if i % 2 == 0 else A,
           "sport": 40000 if i % 2 == 0 else 22, "dport": 22 if i % 2 == 0 else 40000,
           "flags": "S" if i == 0 else ("SA" if i == 1 else "PA"), "payload": 0 if i < 2 else 32 + i}
          for i in range(8)]
    pk.append({"ts": 9.0, "src": A, "dst": B, "sport": 5353, "dport": 53, "proto": "udp", "payload": 30})
    write_capture(path, pk)


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "packetclip", "data", "flows", *map(str, args)],
                          capture_output=True, text=True, timeout=60)


def test_cli_writes_canonical_csv_that_load_flows_reads_back(tmp_path):
    from packetclip.data import load_flows

    cap, out = tmp_path / "c.pcap", tmp_path / "flows.csv"
    _capture(cap)
    r = _cli(cap, "-o", out, "--label", "PortScan")
    assert r.returncode == 0, r.stderr
    assert "9 packets" in r.stdout and "2 flows" in r.stdout
    t = load_flows(out)
    assert len(t.labels) == 2 and set(t.labels) == {"port_scan"}
    i = t.features.index("fwd_packets")
    assert t.X[:, i].tolist() == [4, 1]
    assert t.meta["dst_port"].tolist() == [22, 53]
    assert t.meta["protocol"].tolist() == [6, 17]
    assert np.allclose(t.meta["timestamp"], [5.0, 9.0])
    # reproducible: same capture -> same bytes
    out2 = tmp_path / "again.csv"
    assert _cli(cap, "-o", out2, "--label", "PortScan").returncode == 0
    assert out.read_bytes() == out2.read_bytes()


def test_label_column_is_empty_without_label(tmp_path):
    cap, out = tmp_path / "c.pcap", tmp_path / "flows.csv"
    _capture(cap)
    pcap_to_csv(cap, out)
    lines = out.read_text().splitlines()
    assert lines[0].split(",")[-1] == "label"
    assert all(line.endswith(",") for line in lines[1:])


@pytest.mark.parametrize("content", [b"", b"Flow Duration,Label\n1,BENIGN\n", b"\x00" * 100])
def test_not_a_pcap_is_one_line_exit_2_no_output(tmp_path, content):
    bad, out = tmp_path / "x.pcap", tmp_path / "flows.csv"
    bad.write_bytes(content)
    r = _cli(bad, "-o", out)
    assert r.returncode == 2
    assert "x.pcap" in r.stderr and "pcap" in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert not out.exists() and list(tmp_path.iterdir()) == [bad]


def test_truncated_capture_is_rejected_unless_allowed(tmp_path):
    cap, out = tmp_path / "c.pcap", tmp_path / "flows.csv"
    _capture(cap)
    data = cap.read_bytes()
    cap.write_bytes(data[:-10])  # the last packet is cut short
    r = _cli(cap, "-o", out)
    assert r.returncode == 2 and "cut short after packet 8" in r.stderr and "--allow-truncated" in r.stderr
    assert not out.exists()
    stats = pcap_to_csv(cap, out, allow_truncated=True)
    assert stats.truncated and stats.packets == 8 and out.exists()
    cap.write_bytes(data[:20])  # not even a whole file header
    with pytest.raises(PacketclipError, match="header is cut short"):
        pcap_to_csv(cap, tmp_path / "other.csv")
