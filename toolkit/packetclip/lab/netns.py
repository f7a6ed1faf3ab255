"""The lab network: one namespace per host and one for the bridge, joined by veth pairs.

Nothing is created in the root namespace: the bridge lives in its own namespace, each veth
pair is made there with its host end moved straight into the host's namespace. No uplink, no
default route (only the /24 of the lab is routable), IPv6 off in every namespace before any
interface exists, and NIC offloads off on both ends of every veth so the capture sees frames
as they would be on a wire (no 64 KB TSO/GRO super-frames, real checksums).

Namespaces are named `pclab<pid>-<host>` after the packetclip process that owns them, so a
run can find and remove what a killed run left behind (its pid is gone).
"""

import os
import re
import signal
import subprocess
import time

from packetclip.errors import PacketclipError

PREFIX = "pclab"
OFFLOADS = ["rx", "off", "tx", "off", "sg", "off", "tso", "off", "gso", "off", "gro", "off"]
_NAME = re.compile(rf"^{PREFIX}(\d+)-")


def sh(argv, what=None, check=True):
    """Run a short setup command; raise a one-line PacketclipError on failure."""
    r = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    if check and r.returncode != 0:
        msg = (r.stderr or r.stdout).strip().splitlines()
        raise PacketclipError(f"lab: {what or ' '.join(argv)} failed ({msg[-1] if msg else f'exit {r.returncode}'})")
    return r


def list_netns():
    r = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, timeout=30)
    return [line.split()[0] for line in r.stdout.splitlines() if line.strip()]


def netns_pids(ns):
    r = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True, timeout=30)
    return [int(p) for p in r.stdout.split() if p.isdigit()]


def kill_pids(pids, grace_s=3.0):
    """SIGTERM, then SIGKILL after `grace_s`, for processes the lab started (found in its namespaces)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        left = []
        for p in pids:
            try:
                os.kill(p, sig)
                left.append(p)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + grace_s
        while left and time.monotonic() < deadline:
            left = [p for p in left if alive(p)]
            time.sleep(0.05)
        if not left:
            return
        pids = left


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead for our purposes (its parent reaps it)
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def remove_netns(names):
    """Stop every process inside, then delete the namespaces (veths go with them)."""
    for ns in names:
        kill_pids(netns_pids(ns))
    for ns in names:
        subprocess.run(["ip", "netns", "delete", ns], capture_output=True, timeout=30)


def stale_netns():
    """Lab namespaces whose owning process is gone (a run killed with SIGKILL)."""
    out = []
    for ns in list_netns():
        m = _NAME.match(ns)
        if m and not alive(int(m.group(1))):
            out.append(ns)
    return out


class Topology:
    """Namespaces, bridge and veths of one lab run, created by up() and removed by down()."""

    def __init__(self, hosts, prefix_len=24, owner=None):
        self.tag = f"{PREFIX}{owner or os.getpid()}"
        self.hosts = hosts             # [plan.Host]
        self.prefix_len = prefix_len
        self.bridge_ns = f"{self.tag}-br"
        self.created = []              # namespaces made so far (down() removes exactly these)

    def ns(self, host_name):
        return f"{self.tag}-{host_name}"

    def up(self):
        for name in [self.bridge_ns] + [self.ns(h.name) for h in self.hosts]:
            sh(["ip", "netns", "add", name], f"ip netns add {name}")
            self.created.append(name)
            sh(["ip", "netns", "exec", name, "sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1",
                "net.ipv6.conf.default.disable_ipv6=1"], "disabling IPv6")
            sh(["ip", "-n", name, "link", "set", "lo", "up"])
        br = self.bridge_ns
        sh(["ip", "-n", br, "link", "add", "br0", "type", "bridge", "stp_state", "0", "mcast_snooping", "0"])
        for i, h in enumerate(self.hosts):
            port, ns = f"p{i}", self.ns(h.name)
            sh(["ip", "-n", br, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", ns])
            sh(["ip", "-n", br, "link", "set", port, "master", "br0"])
            for side, dev in ((br, port), (ns, "eth0")):
                sh(["ip", "netns", "exec", side, "ethtool", "-K", dev, *OFFLOADS], f"ethtool -K {dev} (offloads off)")
            for a in h.addrs:
                sh(["ip", "-n", ns, "addr", "add", f"{a}/{self.prefix_len}", "dev", "eth0"])
            sh(["ip", "-n", br, "link", "set", port, "up"])
            sh(["ip", "-n", ns, "link", "set", "eth0", "up"])
        sh(["ip", "-n", br, "link", "set", "br0", "up"])

    def check(self):
        """The isolation the lab promises, read back from the kernel."""
        for name in self.created:
            routes = sh(["ip", "-n", name, "route", "show", "default"]).stdout.strip()
            if routes:
                raise PacketclipError(f"lab: namespace {name} has a default route ({routes}); refusing to send traffic")
            v6 = sh(["ip", "-n", name, "-6", "addr", "show"]).stdout.strip()
            if v6:
                raise PacketclipError(f"lab: namespace {name} has IPv6 addresses; refusing to send traffic")

    def wait_ready(self, timeout_s=10.0):
        """Until every host's eth0 is up and carrier is on (veths come up asynchronously)."""
        deadline = time.monotonic() + timeout_s
        for h in self.hosts:
            while True:
                st = sh(["ip", "-n", self.ns(h.name), "-o", "link", "show", "eth0"]).stdout
                if "LOWER_UP" in st and "state UP" in st:
                    break
                if time.monotonic() > deadline:
                    raise PacketclipError(f"lab: eth0 of {h.name} did not come up within {timeout_s:.0f} s")
                time.sleep(0.05)

    def down(self):
        names, self.created = list(self.created), []
        remove_netns(list(reversed(names)))
        left = [n for n in list_netns() if n in names]
        return left
