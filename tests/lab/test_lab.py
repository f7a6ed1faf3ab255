"""`packetclip lab --scale ci`: one real run per session (fixture `lab_run`), checked for what it
promises: every phase made flows of its class from its own address, benign traffic throughout,
nothing outside the lab subnet in the capture, ground truth that agrees with the labelled CSV,
and nothing left running or configured afterwards."""

import ipaddress
import os
import subprocess
from collections import Counter

import dpkt
import numpy as np

from packetclip.lab.phases import PHASES
from packetclip.lab.plan import BENIGN_BLOCK, DEVICE_BLOCK, SUBNET, make_plan


def _frames(pcap):
    with open(pcap, "rb") as f:
        for ts, buf in dpkt.pcap.Reader(f):
            yield ts, buf, dpkt.ethernet.Ethernet(buf)


def test_every_phase_made_flows_of_its_label_from_its_own_address(lab_run):
    t = lab_run.table()
    src, dst = t.meta["src_ip"].astype(object), t.meta["dst_ip"].astype(object)
    ts = t.meta["timestamp"]
    phases = lab_run.truth["phases"]
    assert [p["name"] for p in phases] == lab_run.truth["plan"]["order"] and len(phases) == len(PHASES)
    seen_addrs = set()
    for p in phases:
        mine = t.labels == p["label"]
        assert mine.sum() > 0, p["name"]
        nets = [ipaddress.ip_network(h) for h in p["hosts"]]
        own = np.array([any(ipaddress.ip_address(a) in n for n in nets) or any(ipaddress.ip_address(b) in n for n in nets)
                        for a, b in zip(src[mine], dst[mine], strict=True)])
        assert own.all(), f"{p['name']}: a flow without the attacker's address"
        assert ts[mine].min() >= p["start"] - 1.0 and ts[mine].max() <= p["end"] + 1.0, p["name"]
        assert p["hosts"][0] not in seen_addrs  # each attacker from its own address
        seen_addrs.add(p["hosts"][0])
        assert all(c.get("ok", True) for c in p["commands"]), p["commands"]


def test_benign_flows_exist_for_every_service_and_come_from_benign_hosts(lab_run):
    t = lab_run.table()
    ben = t.labels == "benign"
    assert ben.sum() >= 100
    proto, dport = t.meta["protocol"][ben], t.meta["dst_port"][ben]
    services = {(int(p), int(d)) for p, d in zip(proto, dport, strict=True)}
    for want in ((6, 80), (17, 53), (6, 1883), (6, 22)):
        assert want in services, want
    assert 1 in set(proto.astype(int).tolist())  # ping
    for a, b in zip(t.meta["src_ip"][ben].astype(object), t.meta["dst_ip"][ben].astype(object), strict=True):
        assert any(ipaddress.ip_address(x) in n for x in (a, b) for n in (BENIGN_BLOCK, DEVICE_BLOCK))
    counts = lab_run.truth["benign"]
    assert sum(v["ok"] for v in counts.values()) > 5 * sum(v["failed"] for v in counts.values())


def test_capture_holds_only_lab_traffic_in_wire_sized_frames(lab_run):
    kinds = Counter()
    biggest = 0
    for _, buf, eth in _frames(lab_run.pcap):
        biggest = max(biggest, len(buf))
        if isinstance(eth.data, dpkt.ip.IP):
            s, d = ipaddress.ip_address(eth.data.src), ipaddress.ip_address(eth.data.dst)
            assert s in SUBNET and d in SUBNET, (s, d)
            kinds[eth.data.p] += 1
        else:
            kinds[type(eth.data).__name__] += 1
    assert "IP6" not in kinds  # IPv6 off in every namespace
    assert set(kinds) <= {1, 6, 17, "ARP"}, kinds
    assert biggest <= 1514  # offloads off: no TSO/GRO super-frames
    cap = lab_run.truth["capture"]
    assert cap["tcpdump"]["dropped_by_kernel"] == 0
    assert sum(kinds.values()) == cap["packets"] == cap["tcpdump"]["captured"]


def test_icmp_flows_are_kept(lab_run):
    t = lab_run.table()
    icmp = t.meta["protocol"] == 1
    got = set(t.labels[icmp].tolist())
    assert {"icmp_flood", "ping_sweep", "benign"} <= got
    n_icmp = sum(1 for _, _, e in _frames(lab_run.pcap) if isinstance(e.data, dpkt.ip.IP) and e.data.p == 1)
    i_fwd, i_bwd = t.features.index("fwd_packets"), t.features.index("bwd_packets")
    assert t.X[icmp][:, [i_fwd, i_bwd]].sum() == n_icmp


def test_ground_truth_agrees_with_the_labelled_csv(lab_run):
    t = lab_run.table()
    lab = lab_run.truth["labelling"]
    assert lab["unmatched"] == 0  # every flow belongs to a phase or a benign host
    assert dict(Counter(t.labels.tolist())) == lab["classes"]
    assert len(t) == lab_run.truth["capture"]["flows"]
    by_label = Counter()
    for r in lab["rules"]:
        by_label[r["label"]] += r["flows"]
    assert dict(by_label) == lab["classes"]
    assert set(lab["classes"]) == {p.label for p in PHASES.values()} | {"benign"}
    assert all(c in t.report.classes for c in lab["classes"])  # canonical techniques, not 'unknown'
    readme = (lab_run.out / "README.md").read_text()
    assert "packetclip lab --out" in readme and "--scale ci --seed 7" in readme
    for c, n in lab["classes"].items():
        assert f"| {c} | {n:,} |" in readme
    tools = lab_run.truth["tools"]
    assert all(v != "not from dpkg" for v in tools.values()) and "nmap" in tools


def test_nothing_is_left_running_or_configured(lab_run):
    td = lab_run.truth["teardown"]
    assert td["namespaces_left"] == [] and td["processes_left"] == []
    names = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    assert td["namespace_tag"] + "-" not in names
    assert td["pids"]
    for pid in td["pids"]:
        assert not os.path.exists(f"/proc/{pid}") or open(f"/proc/{pid}/stat").read().split(")")[1].split()[0] == "Z"
    # the root namespace was not touched: no lab address or bridge here
    links = subprocess.run(["ip", "-o", "addr"], capture_output=True, text=True).stdout
    assert "10.213.0." not in links and "pclab" not in links


def test_plans_differ_between_seeds_and_repeat_for_a_seed():
    a, b = make_plan("full", 1), make_plan("full", 2)
    assert a.to_dict() == make_plan("full", 1).to_dict()
    assert a.order != b.order
    addrs = lambda p: {h.name: h.addrs[0] for h in p.hosts if h.role == "attacker"}  # noqa: E731
    assert addrs(a) != addrs(b)
    assert [h.mix for h in a.hosts if h.role == "benign"] != [h.mix for h in b.hosts if h.role == "benign"]
    argv = lambda p: {ph.name: ph.commands[0].argv for ph in p.phases}  # noqa: E731
    assert argv(a)["syn_flood"] != argv(b)["syn_flood"]
    assert make_plan("ci", 3, "syn_flood,port_scan").order == ["syn_flood", "port_scan"]
