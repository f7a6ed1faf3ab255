"""The mission knowledge graph: packaged content, user extension, validation."""

import pytest

from packetclip.data.kg import MISSION_ORDER, load_kg
from packetclip.errors import PacketclipError

CONTRACT = {
    "dos": ["dos", "ddos", "dns_flood", "icmp_flood", "syn_flood", "slowloris", "udp_flood"],
    "brute_force": ["brute_force", "dictionary_attack", "ssh_brute_force", "http_brute_force"],
    "reconnaissance": ["port_scan", "os_scan", "version_scan", "ping_sweep", "vulnerability_scan"],
    "other_attack": ["bot", "web_attack", "infiltration", "heartbleed", "arp_spoofing"],
    "benign": ["benign"],
}


def test_packaged_graph_matches_contract():
    kg = load_kg()
    assert kg.missions == MISSION_ORDER == ["dos", "brute_force", "reconnaissance", "other_attack", "benign"]
    for mission, classes in CONTRACT.items():
        for c in classes:
            assert kg.mission_of(c) == mission
            assert kg.node(c).kind == "technique"
            assert kg.node(kg.tactic_of(c)).kind == "tactic"
        assert sorted(kg.techniques_of_mission(mission)) == sorted(classes)
    assert sorted(kg.techniques) == sorted(c for cs in CONTRACT.values() for c in cs)
    assert kg.node("network_flood").attack_id == "T1498"
    assert kg.node("ping_sweep").attack_id == "T1595.001"
    assert kg.node("arp_spoofing").attack_id == "T1557.002"
    assert kg.node("dos", "mission").kind == "mission" and kg.node("dos").kind == "technique"
    assert "botnet" in kg.node("ddos").vocab and kg.node("port_scan").description
    assert kg.children("reconnaissance", "mission") == ["network_service_discovery", "active_scanning"]
    assert kg.path("syn_flood") == ["dos", "endpoint_exhaustion", "syn_flood"]


def test_version_is_stable_and_content_sensitive(tmp_path):
    a, b = load_kg(), load_kg()
    assert a.version == b.version and len(a.version) == 12
    extra = tmp_path / "mine.yaml"
    extra.write_text(
        "missions:\n  - id: exfiltration\n    name: Exfiltration\n    vocab: [leak, upload]\n"
        "tactics:\n  - id: exfil_c2\n    parent: exfiltration\n    attack_id: T1041\n"
        "techniques:\n  - id: dns_tunnel\n    parent: exfil_c2\n    vocab: [tunnel]\n"
        "  - id: ddos\n    vocab: [my word]\n")
    kg = load_kg(extra)
    assert kg.version != a.version
    assert kg.missions == MISSION_ORDER + ["exfiltration"]
    assert kg.mission_of("dns_tunnel") == "exfiltration"
    assert kg.node("ddos").vocab == ["my word"] and kg.mission_of("ddos") == "dos"  # updated field by field


@pytest.mark.parametrize("text, needle", [
    ("tactics:\n  - {id: a, parent: b}\n  - {id: b, parent: a}\n", "cycle in the knowledge graph: "),
    ("tactics:\n  - {id: a, parent: a}\n", "cycle"),
    ("techniques:\n  - {id: t1, parent: nowhere}\n", "missing parent 'nowhere'"),
    ("techniques:\n  - {id: t1, parent: dos}\n", "a mission, not a tactic"),
    ("techniques:\n  - {id: t1, parent: ddos}\n", "a technique, not a tactic"),
    ("techniques:\n  - {id: t1, parent: network_flood}\n  - {id: t1, parent: network_flood}\n", "duplicate technique id 't1'"),
    ("missions:\n  - {id: m, parent: dos}\n", "missions are roots"),
    ("tactics:\n  - {id: x}\n", "has no 'parent'"),
    ("techniques:\n  - {id: t1, parent: network_flood, colour: red}\n", "unknown field"),
    ("tactics: [\n", "not valid YAML"),
    ("- 1\n", "expected a mapping"),
])
def test_invalid_user_graphs(tmp_path, text, needle):
    p = tmp_path / "bad.yaml"
    p.write_text(text)
    with pytest.raises(PacketclipError) as e:
        load_kg(p)
    msg = str(e.value)
    assert needle in msg and "bad.yaml" in msg and "\n" not in msg
