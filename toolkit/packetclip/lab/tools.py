"""The programs the lab runs and the Debian packages they come from (the one list of them).

Standard library only, so the Makefile can print the package list before any venv exists:
    python3 toolkit/packetclip/lab/tools.py    -> the Debian package names, one line
"""

import shutil
import subprocess

# program -> Debian package. Servers come from packages whose system services never start:
# the lab runs its own instances, in its own namespaces, from configs it writes to a temp dir.
TOOLS = {
    "ip": "iproute2", "ethtool": "ethtool", "tcpdump": "tcpdump", "timeout": "coreutils",
    "nginx": "nginx-light", "dnsmasq": "dnsmasq-base", "sshd": "openssh-server",
    "ssh-keygen": "openssh-client", "ssh": "openssh-client", "mosquitto": "mosquitto",
    "mosquitto_pub": "mosquitto-clients", "mosquitto_sub": "mosquitto-clients", "curl": "curl",
    "dig": "bind9-dnsutils", "ping": "iputils-ping", "nmap": "nmap", "hping3": "hping3",
    "dnsperf": "dnsperf", "slowhttptest": "slowhttptest", "hydra": "hydra", "openssl": "openssl",
}
# sbin programs are not on every user's PATH
_SBIN = ("/usr/sbin", "/sbin")


def packages():
    return sorted(set(TOOLS.values()))


def which(prog):
    """Absolute path of a lab program, or None."""
    found = shutil.which(prog)
    if found:
        return found
    for d in _SBIN:
        p = shutil.which(prog, path=d)
        if p:
            return p
    return None


def missing():
    """Programs not installed, as {program: package}."""
    return {p: pkg for p, pkg in TOOLS.items() if which(p) is None}


def versions():
    """{package: Debian version} of every lab package (for the ground truth)."""
    out = {}
    for pkg in packages():
        r = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", pkg], capture_output=True, text=True)
        out[pkg] = r.stdout.strip() if r.returncode == 0 else "not from dpkg"
    return out


if __name__ == "__main__":
    print(" ".join(packages()))
