"""tcpdump on the lab bridge (in the bridge's own namespace): every frame between the hosts, once.

The bridge is promiscuous while tcpdump listens, so frames forwarded between two ports are
passed up to it too. Snap length 0 (whole frames) and a 32 MiB kernel buffer so floods are not
dropped; the kernel's drop count is read back from tcpdump's summary.
"""

import re
import signal
import time

from packetclip.errors import PacketclipError
from packetclip.lab.tools import which


class Capture:
    def __init__(self, procs, ns, pcap, budget_s, log="tcpdump.log"):
        self.procs, self.ns, self.pcap, self.budget_s, self.log = procs, ns, pcap, budget_s, log
        self.p = None

    def start(self):
        argv = [which("tcpdump"), "-i", "br0", "-n", "-s", "0", "-B", "32768", "-Z", "root", "-w", str(self.pcap)]
        self.argv = argv
        self.p = self.procs.start(self.ns, argv, "tcpdump", self.budget_s, log=self.log)
        deadline = time.monotonic() + 10
        logf = self.procs.log_dir / self.log
        while "listening on" not in logf.read_text(errors="replace"):
            if self.p.poll() is not None or time.monotonic() > deadline:
                raise PacketclipError(f"lab: tcpdump did not start on the bridge ({logf.read_text(errors='replace').strip()[-200:]})")
            time.sleep(0.05)

    def stop(self):
        """SIGINT (tcpdump flushes and prints its counts); returns {captured, received, dropped}."""
        if self.p is None:
            return {}
        self.procs.stop(self.p, sig=signal.SIGINT, grace_s=10)
        text = (self.procs.log_dir / self.log).read_text(errors="replace")
        counts = {}
        for key, pat in (("captured", r"(\d+) packets? captured"), ("received_by_filter", r"(\d+) packets? received by filter"),
                         ("dropped_by_kernel", r"(\d+) packets? dropped by kernel")):
            m = re.search(pat, text)
            counts[key] = int(m.group(1)) if m else None
        self.p = None
        return counts
