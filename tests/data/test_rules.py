"""Labelling rules (`data label`, `data flows --rules`) on the real output of a ci-scale lab run:
first match wins, CIDR and address lists, time windows in both formats, protocols, default and
unknown, and bad rules files and captures (one line, exit 2, no traceback, no output)."""

import ipaddress
import subprocess
import sys
from datetime import UTC, datetime

import dpkt
import numpy as np
import pytest

from packetclip.data import load_flows
from packetclip.data.rules import apply_rules, load_rules, parse_rules
from packetclip.errors import PacketclipError


def cli(*args):
    return subprocess.run([sys.executable, "-m", "packetclip", *map(str, args)], capture_output=True, text=True,
                          timeout=300)


def one_line_error(r, *needles):
    err = r.stderr.strip()
    assert r.returncode == 2, r.stdout + r.stderr
    assert "Traceback" not in r.stderr and len(err.splitlines()) == 1, r.stderr
    for n in needles:
        assert n in err, err


@pytest.fixture(scope="module")
def flows(lab_run):
    return lab_run.table()


def _rules(tmp_path, text, name="r.toml"):
    p = tmp_path / name
    p.write_text(text)
    return p


def _iso(t):
    return datetime.fromtimestamp(t, UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _in(addrs, net):
    net = ipaddress.ip_network(net)
    return np.array([ipaddress.ip_address(a) in net for a in addrs.astype(object)])


def _phase(lab_run, name):
    return next(p for p in lab_run.truth["phases"] if p["name"] == name)


def test_lab_rules_relabel_the_lab_flows_identically(lab_run, tmp_path):
    out = tmp_path / "relabelled.csv"
    r = cli("data", "label", lab_run.flows, "--rules", lab_run.rules, "-o", out, "--json")
    assert r.returncode == 0, r.stderr
    again = load_flows(out, drop_duplicates=False)
    assert again.labels.tolist() == load_flows(lab_run.flows, drop_duplicates=False).labels.tolist()
    assert again.dialect == "packetclip" and again.meta["src_ip"] is not None


def test_data_flows_with_rules_is_the_lab_in_one_step(lab_run, tmp_path):
    out = tmp_path / "flows.csv"
    r = cli("data", "flows", lab_run.pcap, "--rules", lab_run.rules, "-o", out)
    assert r.returncode == 0, r.stderr
    assert out.read_bytes() == lab_run.flows.read_bytes()  # deterministic, and the lab used this code
    assert "first match wins" in r.stdout and "[[rule]] 1" in r.stdout


def test_first_match_wins_and_counts_are_reported(flows, lab_run):
    victim = lab_run.truth["plan"]["victim"]
    scan = _phase(lab_run, "port_scan")["hosts"][0]
    rules = parse_rules({"rule": [{"label": "port_scan", "host": scan}, {"label": "benign", "host": victim}],
                         "default": "benign"}, "two.toml")
    lab = apply_rules(rules, flows.meta)
    is_scan = (flows.meta["src_ip"] == scan) | (flows.meta["dst_ip"] == scan)
    is_victim = (flows.meta["src_ip"] == victim) | (flows.meta["dst_ip"] == victim)
    assert lab.taken == [int(is_scan.sum()), int((is_victim & ~is_scan).sum())]  # rule 2 gets what rule 1 left
    assert (lab.labels[is_scan] == "port_scan").all() and lab.unmatched == int((~is_victim & ~is_scan).sum())
    swapped = apply_rules(parse_rules({"rule": [{"label": "benign", "host": victim}, {"label": "port_scan", "host": scan}]}),
                          flows.meta)  # the victim rule now takes the scan too; only sweeps of the scanner are left
    assert swapped.taken == [int(is_victim.sum()), int((is_scan & ~is_victim).sum())]
    twice = parse_rules({"rule": [{"label": "port_scan", "host": scan}, {"label": "os_scan", "host": f"{scan}/32"}]},
                        "twice.toml")
    with pytest.raises(PacketclipError, match=r"twice.toml: \[\[rule\]\] 2 'os_scan'.*matched no flow.*--allow-unmatched"):
        apply_rules(twice, flows.meta)
    assert apply_rules(twice, flows.meta, allow_unmatched=True).taken == [int(is_scan.sum()), 0]


def test_cidr_and_address_lists(flows, lab_run):
    block = "10.213.0.96/27"  # the attackers' block
    lab = apply_rules(parse_rules({"rule": [{"label": "port_scan", "host": block}]}), flows.meta)
    want = _in(flows.meta["src_ip"], block) | _in(flows.meta["dst_ip"], block)
    assert (lab.labels == "port_scan").tolist() == want.tolist() and want.sum() > 1000
    addrs = [p["hosts"][0] for p in lab_run.truth["phases"]]  # every attacker's own address: the block's only hosts
    listed = apply_rules(parse_rules({"rule": [{"label": "port_scan", "host": addrs}]}), flows.meta)
    assert listed.taken == [int(want.sum())]
    src_only = apply_rules(parse_rules({"rule": [{"label": "port_scan", "src": block}]}), flows.meta)
    assert src_only.taken[0] == int(_in(flows.meta["src_ip"], block).sum()) < want.sum()


def test_time_windows_in_unix_seconds_and_rfc3339_agree(flows, lab_run):
    p = _phase(lab_run, "syn_flood")
    victim = lab_run.truth["plan"]["victim"]
    by_num = apply_rules(parse_rules({"rule": [{"label": "syn_flood", "host": victim, "start": p["start"], "end": p["end"]}]}),
                         flows.meta)
    by_str = apply_rules(parse_rules({"rule": [{"label": "syn_flood", "host": victim, "start": _iso(p["start"]),
                                                "end": _iso(p["end"])}]}), flows.meta)
    ts = flows.meta["timestamp"]
    inside = (ts >= p["start"]) & (ts <= p["end"]) & ((flows.meta["src_ip"] == victim) | (flows.meta["dst_ip"] == victim))
    assert by_num.labels.tolist() == by_str.labels.tolist()
    assert by_num.taken[0] == int(inside.sum()) > 0
    attacker = p["hosts"][0]
    from_attacker = (flows.meta["src_ip"] == attacker) | (flows.meta["dst_ip"] == attacker)
    assert from_attacker.sum() <= by_num.taken[0]  # the window also holds benign flows of that time


def test_protocol_names_and_numbers(flows):
    for name, num in (("icmp", 1), ("udp", 17), ("tcp", 6)):
        a = apply_rules(parse_rules({"rule": [{"label": "benign", "protocol": name}]}), flows.meta)
        b = apply_rules(parse_rules({"rule": [{"label": "benign", "protocol": num}]}), flows.meta)
        assert a.taken == b.taken == [int((flows.meta["protocol"] == num).sum())]
    port = apply_rules(parse_rules({"rule": [{"label": "benign", "port": [53, 1883]}]}), flows.meta)
    m = np.isin(flows.meta["src_port"], [53, 1883]) | np.isin(flows.meta["dst_port"], [53, 1883])
    assert port.taken == [int(m.sum())]


def test_unknown_without_default_and_reported(lab_run, tmp_path):
    scan = _phase(lab_run, "port_scan")["hosts"][0]
    rules = _rules(tmp_path, f'[[rule]]\nlabel = "Port Scan"\nhost = "{scan}"\n')
    out = tmp_path / "o.csv"
    r = cli("data", "label", lab_run.flows, "--rules", rules, "-o", out)
    assert r.returncode == 0, r.stderr
    t = load_flows(out, drop_duplicates=False)
    n_scan = int((t.labels == "port_scan").sum())
    assert set(t.labels.tolist()) == {"port_scan", "unknown"}
    assert f"'unknown' (no default in {rules})" in r.stdout and f"{len(t) - n_scan:,} flows" in r.stdout
    rules.write_text('default = "Benign"\n' + rules.read_text())
    assert cli("data", "label", lab_run.flows, "--rules", rules, "-o", out).returncode == 0
    assert set(load_flows(out, drop_duplicates=False).labels.tolist()) == {"port_scan", "benign"}


@pytest.mark.parametrize("body, needles", [
    ('host = "10.213.0.300/24"', ["[[rule]] 1", "'host'", "not an IP address or CIDR", "10.213.0.96/28"]),
    ('host = "10.213.0.0/33"', ["[[rule]] 1", "'host'", "not an IP address or CIDR"]),
    ('protocol = "sctpish"', ["[[rule]] 1", "'protocol'", "unknown protocol", '"icmp"']),
    ('protocol = 300', ["'protocol'", "0-255"]),
    ('host = "10.213.0.10"\nstart = "29/11/2026 04:18"', ["[[rule]] 1", "'start'", "cannot read", "RFC 3339"]),
    ('host = "10.213.0.10"\nend = "yesterday"', ["'end'", "unix seconds"]),
    ('host = "10.213.0.10"\nstart = 2026-11-29T04:18:38', ["'start'", "no time zone"]),
    ('host = "10.213.0.10"\nstart = 20\nend = 10', ["'start'", "after 'end'", "swap"]),
    ('hosts = "10.213.0.10"', ["'hosts' is not a known field", "host, src, dst"]),
    ('port = "http"', ["'port'", "port number"]),
    ('', ["[[rule]] 1", "no condition"]),
])
def test_bad_rules_are_one_line_with_file_field_and_fix(lab_run, tmp_path, body, needles):
    rules = _rules(tmp_path, f'[[rule]]\nlabel = "port_scan"\n{body}\n', "bad.toml")
    out = tmp_path / "o.csv"
    for args in (["data", "label", lab_run.flows], ["data", "flows", lab_run.pcap]):
        one_line_error(cli(*args, "--rules", rules, "-o", out), "bad.toml", *needles)
        assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.toml"]


@pytest.mark.parametrize("text, needles", [
    ('lable = "x"\n[[rule]]\nlabel = "port_scan"\nhost = "10.213.0.10"\n', ["'lable' is not a known field"]),
    ('default = "benign"\n[[rule]]\nlabel = "port_scan"\nhost = "10.213.0.10"\n[[rule]]\nlabel = "os_scan"\nport = 22\nsrc = 7\n',
     ["[[rule]] 2", "'src'"]),
    ('default = "benign"\n', ["'rule' is missing", "[[rule]]"]),
    ('rule = 5\n', ["'rule'", "must be a list"]),
    ('[[rule]]\nlabel = "Port Sacn"\nhost = "10.213.0.10"\n', ["'Port Sacn' is not a class", "--labels"]),
    ('[[rule]\nlabel = "x"\n', ["not valid TOML"]),
])
def test_bad_rules_files(lab_run, tmp_path, text, needles):
    rules = _rules(tmp_path, text, "bad.toml")
    out = tmp_path / "o.csv"
    one_line_error(cli("data", "label", lab_run.flows, "--rules", rules, "-o", out), "bad.toml", *needles)
    assert not out.exists()


def test_rules_that_match_nothing(lab_run, tmp_path):
    out = tmp_path / "o.csv"
    far = _rules(tmp_path, '[[rule]]\nlabel = "port_scan"\nhost = "192.168.7.0/24"\n', "far.toml")
    one_line_error(cli("data", "label", lab_run.flows, "--rules", far, "-o", out), "far.toml", "no rule matched any",
                   "flows start")
    late = _rules(tmp_path, '[[rule]]\nlabel = "port_scan"\nhost = "10.213.0.10"\n'
                            '[[rule]]\nlabel = "os_scan"\nhost = "10.213.0.10"\nstart = "2099-01-01T00:00:00Z"\n', "late.toml")
    one_line_error(cli("data", "flows", lab_run.pcap, "--rules", late, "-o", out), "late.toml", "[[rule]] 2 'os_scan'",
                   "matched no flow", "--allow-unmatched")
    assert not out.exists()
    r = cli("data", "flows", lab_run.pcap, "--rules", late, "-o", out, "--allow-unmatched")
    assert r.returncode == 0 and out.exists()


def test_a_capture_with_no_ip_packets(lab_run, tmp_path):
    arp = tmp_path / "arp-only.pcap"  # the lab's own ARP frames, without any IP packet
    with open(lab_run.pcap, "rb") as f, open(arp, "wb") as g:
        w = dpkt.pcap.Writer(g)
        for ts, buf in dpkt.pcap.Reader(f):
            if isinstance(dpkt.ethernet.Ethernet(buf).data, dpkt.arp.ARP):
                w.writepkt(buf, ts=ts)
    out = tmp_path / "o.csv"
    one_line_error(cli("data", "flows", arp, "--rules", lab_run.rules, "-o", out), "arp-only.pcap", "no IPv4/IPv6 packets",
                   "not IP")
    one_line_error(cli("data", "flows", arp, "-o", out), "arp-only.pcap", "no IPv4/IPv6 packets")
    assert not out.exists()


def test_label_needs_rules_and_addresses(tmp_path, lab_run):
    one_line_error(cli("data", "label", lab_run.flows, "-o", tmp_path / "o.csv"), "--rules")
    one_line_error(cli("data", "flows", lab_run.pcap, "--label", "x", "--rules", lab_run.rules, "-o", tmp_path / "o.csv"),
                   "--label and --rules")
    from packetclip.data.flows import sample_path

    sample = tmp_path / "sample.csv.gz"
    sample.write_bytes(sample_path().read_bytes())  # CIC-IDS2017 sample: no addresses, no timestamps
    one_line_error(cli("data", "label", sample, "--rules", lab_run.rules, "-o", tmp_path / "o.csv"),
                   "no 'src_ip' column", "data flows")
    assert not (tmp_path / "o.csv").exists()
    assert load_rules(lab_run.rules).rules[-1].label == "benign"
