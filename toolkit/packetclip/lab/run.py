"""`run_lab`: build the network, start the services, capture benign traffic and the attack phases,
tear everything down (on success, error, Ctrl-C or SIGTERM), then label the flows.

Output folder (written beside DIR and renamed onto it only when complete):
capture.pcap, flows.csv, rules.toml, ground-truth.json, README.md, logs/, inputs/.
"""

import contextlib
import json
import os
import platform
import random
import shutil
import signal
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from packetclip import __version__
from packetclip.errors import PacketclipError
from packetclip.fsutil import atomic_dir, check_out_dir
from packetclip.lab import netns, services, tools
from packetclip.lab.benign import Benign
from packetclip.lab.capture import Capture
from packetclip.lab.plan import make_plan
from packetclip.lab.procs import Procs
from packetclip.lab.truth import phase_hosts, readme, rules_toml

MARKER, WHAT = "ground-truth.json", "lab output folder"   # the file every lab output holds


def preflight():
    """Refuse in one line where the lab cannot run: not root, tools missing, no namespaces."""
    if os.geteuid() != 0:
        raise PacketclipError(f"lab: needs root to create network namespaces (running as uid {os.geteuid()}); "
                              "run it as root, e.g. sudo packetclip lab --out DIR")
    miss = tools.missing()
    if miss:
        pkgs = " ".join(sorted(set(miss.values())))
        raise PacketclipError(f"lab: missing {', '.join(sorted(miss))}; install them with: "
                              f"apt-get install -y --no-install-recommends {pkgs}")
    probe = f"{netns.PREFIX}{os.getpid()}-probe"
    r = netns.sh(["ip", "netns", "add", probe], check=False)
    if r.returncode != 0:
        why = (r.stderr or r.stdout).strip().splitlines()
        raise PacketclipError(f"lab: cannot create a network namespace ({why[-1] if why else 'ip netns add failed'}); "
                              "run on a Linux host with network namespaces (CONFIG_NET_NS), as root")
    netns.sh(["ip", "netns", "delete", probe], check=False)


class _Stop(BaseException):
    """SIGTERM/SIGHUP during a run: unwinds like Ctrl-C so every finally block tears down."""


@contextlib.contextmanager
def _signals():
    def handler(signum, frame):
        raise _Stop(signal.Signals(signum).name)

    old = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)


@contextlib.contextmanager
def _no_signals():
    """Teardown runs to the end: a second Ctrl-C or SIGTERM waits until it is done."""
    pending = []
    sigs = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    old = {s: signal.signal(s, lambda n, f: pending.append(n)) for s in sigs}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def run_lab(out, scale="full", seed=1, order="seed", echo=print, command=None):
    """Run the lab into folder `out`; returns the ground truth dict."""
    plan = make_plan(scale, seed, order)      # bad options fail here, before anything is made
    out = Path(out)
    check_out_dir(out, MARKER, WHAT)
    preflight()
    for ns in netns.stale_netns():
        echo(f"removing {ns}, left by a lab run that was killed")
        netns.remove_netns([ns])
    t_wall = time.monotonic()
    started = datetime.now(UTC)
    try:
        with atomic_dir(out, MARKER, WHAT) as tmp:
            try:
                truth = _run(plan, tmp, echo)
                truth["started_utc"] = started.isoformat(timespec="seconds").replace("+00:00", "Z")
                truth["command"] = command or f"packetclip lab --out {out} --scale {scale} --seed {seed} --order {order}"
                _label(plan, tmp, truth, echo)
                truth["wall_s"] = round(time.monotonic() - t_wall, 1)
                (tmp / "ground-truth.json").write_text(json.dumps(truth, indent=1, sort_keys=True) + "\n")
                (tmp / "README.md").write_text(readme(plan, truth, truth["command"], truth["labelling"]))
            except PacketclipError as exc:
                kept = _keep_logs(tmp, out)
                raise PacketclipError(f"{exc} (tool logs kept in {kept})" if kept else str(exc)) from None
    except _Stop as exc:
        raise KeyboardInterrupt(str(exc)) from None
    return truth


def _keep_logs(tmp, out):
    """On failure the output is discarded; only the tools' logs stay, beside it, for the diagnosis."""
    if not (tmp / "logs").is_dir() or not any((tmp / "logs").iterdir()):
        return None
    kept = out.with_name(f"{out.name}.failed-logs")
    shutil.rmtree(kept, ignore_errors=True)
    shutil.copytree(tmp / "logs", kept)
    return kept


def _run(plan, tmp, echo):
    logs = tmp / "logs"
    logs.mkdir()
    work = Path(tempfile.mkdtemp(prefix="packetclip-lab-"))    # configs and keys: never in the output
    os.chmod(work, 0o755)
    procs = Procs(logs, work)
    topo = netns.Topology(plan.hosts)
    budget = plan.budget_s() + 120                             # every server's `timeout`
    benign = Benign(procs, topo, plan, work / "srv" / "ssh" / "client_ed25519", plan.seed)
    capture = Capture(procs, topo.bridge_ns, tmp / "capture.pcap", budget)
    truth = {"plan": plan.to_dict(), "phases": [], "tools": tools.versions(), "packetclip": __version__,
             "host": {"system": f"{platform.system()} {platform.release()}", "machine": platform.machine()}}
    servers = {}
    rng = random.Random(f"{plan.seed}/content")
    try:
        with _signals():
            echo(f"lab {plan.scale} seed {plan.seed}: {len(plan.hosts)} hosts on {plan.subnet}, "
                 f"phases: {', '.join(plan.order)}")
            topo.up()
            topo.check()
            topo.wait_ready()
            argvs = services.write_configs(work / "srv", plan, rng)
            services.inputs(work, plan)
            servers = services.start(procs, topo.ns("victim"), argvs, budget)
            truth["servers"] = dict(argvs)
            capture.start()
            t_capture = time.time()
            benign.start(budget)
            time.sleep(plan.lead_in_s)
            for i, (phase, gap) in enumerate(zip(plan.phases, plan.gaps_s, strict=True)):
                if i:
                    time.sleep(gap)
                truth["phases"].append(_phase(procs, topo, plan, phase, i, echo))
            time.sleep(plan.lead_out_s)
    finally:
        with _no_signals():
            truth["benign"] = benign.stop()
            truth.setdefault("capture", {})["tcpdump"] = capture.stop()
            for p in servers.values():
                procs.stop(p)
            procs.stop_all()
            left = topo.down()
            if (work / "inputs").exists():
                shutil.copytree(work / "inputs", tmp / "inputs", dirs_exist_ok=True)
            shutil.rmtree(work, ignore_errors=True)
            truth["teardown"] = {"namespace_tag": topo.tag, "pids": list(procs.started),
                                 "namespaces_left": left + [n for n in netns.list_netns() if n.startswith(topo.tag + "-")],
                                 "processes_left": procs.names() + [p for p in procs.started if netns.alive(p)]}
    td = truth["teardown"]
    if td["namespaces_left"] or td["processes_left"]:
        raise PacketclipError(f"lab: teardown left namespaces {td['namespaces_left']} and processes "
                              f"{td['processes_left']}; remove them with `ip netns delete NAME` / kill PID")
    truth["capture"].update({"argv": capture.argv, "started": t_capture, "stopped": time.time()})
    truth["inputs"] = sorted(p.name for p in (tmp / "inputs").iterdir())
    return truth


def _phase(procs, topo, plan, phase, i, echo):
    ns = topo.ns(phase.host)
    addrs = phase_hosts(plan, phase)
    t0 = time.monotonic()
    done = []
    for cmd in phase.commands:
        left = phase.budget_s - (time.monotonic() - t0)
        if left < 1:
            done.append({"argv": cmd.argv, "skipped": "phase budget spent"})
            continue
        timeout = min(cmd.timeout_s, left)
        rc, a, b = procs.run(ns, cmd.argv, phase.name, timeout, log=f"{i + 1:02d}-{phase.name}.log")
        done.append({"argv": cmd.argv, "timeout_s": round(timeout, 1), "exit": rc, "start": a, "end": b,
                     "ok": rc in cmd.expect or rc == 124})
    ran = [c for c in done if "exit" in c]
    rec = {"name": phase.name, "label": phase.label, "host": phase.host, "hosts": addrs,
           "start": ran[0]["start"] if ran else None, "end": ran[-1]["end"] if ran else None, "commands": done}
    bad = [c for c in ran if not c["ok"]]
    echo(f"phase {i + 1}/{len(plan.phases)} {phase.name} from {addrs[0]}: {len(ran)} command(s), "
         f"{(rec['end'] or 0) - (rec['start'] or 0):.1f} s" + (f", {len(bad)} exited {bad[0]['exit']}" if bad else ""))
    return rec


def _label(plan, tmp, truth, echo):
    """Flows of the capture, labelled by the rules of the ground truth (the `data flows --rules` code)."""
    from packetclip.data.pcap import pcap_to_csv
    from packetclip.data.rules import load_rules

    (tmp / "rules.toml").write_text(rules_toml(plan, truth["phases"]))
    rules = load_rules(tmp / "rules.toml")
    stats, lab = pcap_to_csv(tmp / "capture.pcap", tmp / "flows.csv", rules=rules)
    truth["capture"].update({"packets": stats.packets, "flows": stats.flows, "skipped": stats.to_dict()["skipped"]})
    truth["labelling"] = lab.to_dict(rules)
    echo(f"capture: {stats.packets:,} packets, {stats.flows:,} flows; "
         + ", ".join(f"{c} {n:,}" for c, n in truth["labelling"]["classes"].items()))
