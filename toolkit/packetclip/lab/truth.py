"""Ground truth of a lab run, and the labelling rules derived from it.

ground-truth.json records what was done: the address plan, each phase's window (first
command start to last command end, unix seconds), the exact argv, exit code and times of
every command, the benign activity counts, tool versions and the capture's counts.
rules.toml turns it into `packetclip data label` rules: one rule per phase (its attacker's
addresses, its window widened by MARGIN_S), then the benign hosts; no default, so a flow
that belongs to nobody shows up as "unknown" in the report instead of hiding as benign.
"""

from datetime import UTC, datetime

from packetclip.lab.plan import BENIGN_BLOCK, BOTNET_BLOCK, DEVICE_BLOCK

MARGIN_S = 1.0


def _rfc3339(t):
    return datetime.fromtimestamp(t, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def phase_hosts(plan, phase):
    """Addresses a phase's rule names: the attacker's own, plus the botnet block if it used one."""
    addrs = plan.host(phase.host).addrs
    return [addrs[0]] + ([str(BOTNET_BLOCK)] if len(addrs) > 1 else [])


def rules_toml(plan, phases_run):
    lines = [f"# Labelling rules of a packetclip lab run (scale {plan.scale}, seed {plan.seed}); first match wins.",
             "# One rule per attack phase: its attacker's addresses and its window (flow start), then the",
             "# benign clients and quiet devices. No default: a flow no rule takes is reported as 'unknown'.", ""]
    for ph in phases_run:
        if ph["start"] is None:
            continue
        hosts = ph["hosts"]
        host = f'"{hosts[0]}"' if len(hosts) == 1 else "[" + ", ".join(f'"{h}"' for h in hosts) + "]"
        lines += ["[[rule]]", f'label = "{ph["label"]}"', f"host = {host}",
                  f'start = "{_rfc3339(ph["start"] - MARGIN_S)}"', f'end = "{_rfc3339(ph["end"] + MARGIN_S)}"', ""]
    lines += ["[[rule]]", 'label = "benign"', f'host = ["{BENIGN_BLOCK}", "{DEVICE_BLOCK}"]', ""]
    return "\n".join(lines)


def readme(plan, truth, command, labelling):
    rows = "\n".join(f"| {c} | {n:,} |" for c, n in labelling["classes"].items())
    phases = "\n".join(f"| {i + 1} | {p['name']} | {p['label']} | {', '.join(p['hosts'])} | "
                       f"{p['end'] - p['start']:.1f} | {len(p['commands'])} |"
                       for i, p in enumerate(truth["phases"]) if p["start"] is not None)
    cap = truth["capture"]
    return f"""# packetclip lab capture (scale {plan.scale}, seed {plan.seed})

Made by:

    {command}

as root on {truth['host']['system']}, {truth['started_utc']}, {truth['wall_s']:.0f} s wall.
Real tools in Linux network namespaces on one isolated bridge (no uplink, no default route,
IPv6 off, NIC offloads off); a victim ({plan.victim}) running nginx, dnsmasq, OpenSSH and
mosquitto; {sum(h.role == 'benign' for h in plan.hosts)} benign clients for the whole capture; one attacker address per phase.

| file | what |
|---|---|
| capture.pcap | tcpdump on the bridge: {cap['packets']:,} packets, {cap['tcpdump'].get('dropped_by_kernel')} dropped by the kernel |
| flows.csv | {cap['flows']:,} flows (packetclip canonical CSV, CICFlowMeter features, addresses, timestamps, label) |
| rules.toml | the labelling rules (`packetclip data label` / `data flows --rules`) |
| ground-truth.json | address plan, phase windows, every command's argv, exit code and times, tool versions |
| logs/, inputs/ | the tools' output; word lists and DNS query file the attacks read |

## Flows per class

| class | flows |
|---|---|
{rows}

## Phases (in the order run)

| # | phase | label | source | seconds | commands |
|---|---|---|---|---|---|
{phases}

Relabel with other rules: `packetclip data label flows.csv --rules my-rules.toml -o relabelled.csv`.
"""
