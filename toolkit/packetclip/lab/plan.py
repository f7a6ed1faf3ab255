"""The lab's plan: address plan, phase order, timing and every command line, from (scale, seed).

Pure and deterministic: the same (scale, seed, order) gives the same plan, and the plan is
written into the ground truth as it was run. Different seeds change the attacker addresses,
the benign hosts and their mix of services, the phase order, the gaps between phases, scan
ranges, flood rates and ports, and the word lists.
"""

import ipaddress
import random
from dataclasses import asdict, dataclass, field

from packetclip.errors import PacketclipError
from packetclip.lab.phases import PHASES

SUBNET = ipaddress.ip_network("10.213.0.0/24")
VICTIM = "10.213.0.10"
BENIGN_BLOCK = ipaddress.ip_network("10.213.0.32/27")     # benign clients (IoT sensors, users, admins)
DEVICE_BLOCK = ipaddress.ip_network("10.213.0.64/27")     # quiet devices: they only answer (sweeps find them)
ATTACKER_BLOCK = ipaddress.ip_network("10.213.0.96/27")   # one address per attack phase
BOTNET_BLOCK = ipaddress.ip_network("10.213.0.128/26")    # the ICMP flood's many sources
OPEN_PORTS = {"ssh": 22, "dns": 53, "http": 80, "mqtt": 1883}

# Per scale: phase budget (s, the most one phase may take), benign-only gaps between phases,
# benign lead-in and lead-out, benign hosts, and `rounds`, the repetition factor of the phases.
SCALES = {
    "ci": {"phase_s": 10, "gap_s": (1.5, 3.0), "lead_in_s": 4, "lead_out_s": 3, "benign_hosts": 4, "devices": 12,
           "rounds": 1},
    "full": {"phase_s": 75, "gap_s": (20.0, 35.0), "lead_in_s": 30, "lead_out_s": 20, "benign_hosts": 6, "devices": 20,
             "rounds": 5},
}

# Benign activities and their base weights; each host draws its own mix around these.
BENIGN_KINDS = {"http": 4.0, "http_auth": 1.0, "dns": 3.0, "mqtt_pub": 4.0, "ssh": 1.0, "ping": 1.0}
BENIGN_PROFILES = {  # role -> multipliers on the base weights
    "sensor": {"mqtt_pub": 3.0, "dns": 1.0, "http": 0.3, "http_auth": 0.0, "ssh": 0.0, "ping": 0.5},
    "user": {"http": 2.0, "dns": 1.5, "mqtt_pub": 0.2, "ssh": 0.5, "ping": 0.5, "http_auth": 0.5},
    "admin": {"ssh": 3.0, "http_auth": 2.0, "ping": 1.5, "http": 1.0, "dns": 1.0, "mqtt_pub": 0.2},
}


@dataclass
class Host:
    name: str                 # namespace suffix, e.g. "victim", "benign1", "port_scan"
    role: str                 # victim | benign | device | attacker
    addrs: list               # IPv4 addresses on eth0 (the first is the host's own)
    profile: str = ""         # benign role (sensor, user, admin)
    mix: dict = field(default_factory=dict)   # benign activity -> probability
    mean_gap_s: float = 0.0   # benign: mean pause between activities


@dataclass
class Phase:
    name: str                 # key of PHASES
    label: str                # the class of its flows (a technique of the knowledge graph)
    host: str                 # attacker host name
    commands: list
    budget_s: float


@dataclass
class Plan:
    scale: str
    seed: int
    order: list
    subnet: str
    victim: str
    hosts: list
    phases: list
    gaps_s: list              # benign-only pause before each phase
    lead_in_s: float
    lead_out_s: float
    secrets: dict             # throwaway credentials of the victim's services (lab only)
    inputs_seed: int          # word lists, DNS query file and web content are drawn from it

    def host(self, name):
        return next(h for h in self.hosts if h.name == name)

    def to_dict(self):
        return asdict(self)

    def budget_s(self):
        return self.lead_in_s + self.lead_out_s + sum(self.gaps_s) + sum(p.budget_s for p in self.phases)


def parse_order(order, rng):
    """'seed' (shuffled by the seed), 'canonical', or a comma list of phase names (a subset is fine)."""
    names = list(PHASES)
    if order in (None, "", "seed"):
        rng.shuffle(names)
        return names
    if order == "canonical":
        return names
    picked = [s.strip() for s in order.split(",") if s.strip()]
    bad = [s for s in picked if s not in PHASES]
    if bad:
        raise PacketclipError(f"lab --order: unknown phase {bad[0]!r}; use 'seed', 'canonical' or a comma list of "
                              f"{', '.join(PHASES)}")
    if len(set(picked)) != len(picked) or not picked:
        raise PacketclipError("lab --order: name each phase once (a comma list such as port_scan,syn_flood)")
    return picked


def make_plan(scale="full", seed=1, order="seed"):
    if scale not in SCALES:
        raise PacketclipError(f"lab --scale: unknown scale {scale!r}; use one of {', '.join(SCALES)}")
    sc = SCALES[scale]
    rng = random.Random(f"packetclip-lab/{seed}")
    names = parse_order(order, rng)

    hosts = [Host("victim", "victim", [VICTIM])]
    benign_addrs = rng.sample([str(a) for a in BENIGN_BLOCK.hosts()], sc["benign_hosts"])
    roles = (["sensor", "user", "admin"] * sc["benign_hosts"])[:sc["benign_hosts"]]
    rng.shuffle(roles)
    for i, (addr, role) in enumerate(zip(sorted(benign_addrs, key=ipaddress.ip_address), roles, strict=True)):
        mix = {k: w * BENIGN_PROFILES[role][k] * rng.uniform(0.5, 1.5) for k, w in BENIGN_KINDS.items()}
        total = sum(mix.values())
        hosts.append(Host(f"benign{i + 1}", "benign", [addr], role,
                          {k: round(v / total, 4) for k, v in mix.items()}, round(rng.uniform(0.8, 2.0), 3)))
    for i, addr in enumerate(sorted(rng.sample([str(a) for a in DEVICE_BLOCK.hosts()], sc["devices"]),
                                    key=ipaddress.ip_address)):
        hosts.append(Host(f"device{i + 1}", "device", [addr]))
    attacker_addrs = rng.sample([str(a) for a in ATTACKER_BLOCK.hosts()], len(names))
    secrets = {"ssh_user": "labuser", "ssh_password": _word(rng, 14), "http_user": "admin",
               "http_password": _word(rng, 12)}
    ctx = {"victim": VICTIM, "subnet": str(SUBNET), "ports": OPEN_PORTS, "secrets": secrets,
           "botnet": [str(a) for a in BOTNET_BLOCK.hosts()]}
    phases = []
    for name, addr in zip(names, attacker_addrs, strict=True):
        spec = PHASES[name]
        addrs = [addr]
        if spec.botnet:
            k = max(6, sc["rounds"] * spec.botnet)
            addrs += rng.sample(ctx["botnet"], min(k, len(ctx["botnet"])))
        commands = spec.build(random.Random(f"{seed}/{name}"), sc["rounds"], ctx, addrs)
        phases.append(Phase(name, spec.label, name, commands, sc["phase_s"]))
        hosts.append(Host(name, "attacker", addrs))
    gaps = [round(rng.uniform(*sc["gap_s"]), 3) for _ in phases]
    return Plan(scale, seed, names, str(SUBNET), VICTIM, hosts, phases, gaps, sc["lead_in_s"], sc["lead_out_s"],
                secrets, rng.randrange(2**31))


def _word(rng, n):
    alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(rng.choice(alphabet) for _ in range(n))
