"""Processes of a lab run: always inside a lab namespace, always under `timeout`, stopped by PID.

Each process gets its own session (so a Ctrl-C on the terminal reaches only packetclip, which
then stops them in order) and is wrapped as `ip netns exec NS timeout -k 2 T argv`, so even a
packetclip killed with SIGKILL leaves nothing running past T.
"""

import os
import signal
import subprocess
import threading
import time


class Procs:
    def __init__(self, log_dir, cwd):
        self.log_dir, self.cwd = log_dir, cwd
        self.live = {}                 # pid -> (Popen, name)
        self.started = []              # every pid this run started (the ground truth lists them)
        self.lock = threading.Lock()

    def start(self, ns, argv, name, timeout_s, log=None, stdin=subprocess.DEVNULL):
        full = ["ip", "netns", "exec", ns, "timeout", "-k", "2", f"{max(timeout_s, 1):.0f}", *argv]
        logf = open(self.log_dir / log, "ab") if log else subprocess.DEVNULL
        try:
            p = subprocess.Popen(full, stdin=stdin, stdout=logf, stderr=subprocess.STDOUT, cwd=self.cwd,
                                 start_new_session=True)
        finally:
            if log:
                logf.close()
        with self.lock:
            self.live[p.pid] = (p, name)
            self.started.append(p.pid)
        return p

    def run(self, ns, argv, name, timeout_s, log=None):
        """Start, wait, return (exit code, start, end) in unix seconds."""
        t0 = time.time()
        p = self.start(ns, argv, name, timeout_s, log)
        try:
            rc = p.wait(timeout=timeout_s + 10)
        except subprocess.TimeoutExpired:  # `timeout -k` should have ended it; do it ourselves
            self.stop(p)
            rc = p.returncode
        finally:
            with self.lock:
                self.live.pop(p.pid, None)
        return rc, t0, time.time()

    def stop(self, p, sig=signal.SIGTERM, grace_s=3.0):
        """Signal the process group of `p` (the tool and its children), then SIGKILL after grace."""
        if p.poll() is None:
            for s in (sig, signal.SIGKILL):
                try:
                    os.killpg(p.pid, s)
                except ProcessLookupError:
                    break
                try:
                    p.wait(timeout=grace_s)
                    break
                except subprocess.TimeoutExpired:
                    continue
        with self.lock:
            self.live.pop(p.pid, None)
        return p.returncode

    def stop_all(self, prefix=""):
        """Stop every live process (whose name starts with `prefix`)."""
        with self.lock:
            procs = [p for p, n in self.live.values() if n.startswith(prefix)]
        for p in procs:
            self.stop(p)

    def names(self):
        with self.lock:
            return [n for p, n in self.live.values() if p.poll() is None]
