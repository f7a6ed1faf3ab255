"""Run hostile-input cases as a user would: the real `packetclip` CLI in a subprocess, each in a
fresh folder, with a wall-clock bound and its peak memory measured (wait4's rusage).

A case passes when the command exits with the expected status (2: a user error), writes
exactly one line to stderr and no Python traceback, finishes within its time bound and
memory bound, and leaves no output behind (the folder holds only what the case created,
byte for byte).

    python tests/hostile/runner.py [--surface NAME] [--jobs 2]   # per-surface counts, JSON on stdout
"""

import hashlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

PY = sys.executable


@dataclass
class Case:
    id: str
    surface: str
    argv: list                          # packetclip arguments; "{d}" is the case folder
    setup: object = None                # callable(folder: Path) creating the inputs
    code: int = 2
    timeout: float = 60.0
    max_rss_mb: int = 2500
    allow_new: tuple = ()               # paths (relative) a case may leave, e.g. a failed-build log
    serve: object = None                # callable(folder) -> context manager: a hostile serial peer
    env: dict = field(default_factory=dict)


@dataclass
class Outcome:
    case: Case
    code: int
    stderr: str
    seconds: float
    rss_mb: float
    timed_out: bool
    leftovers: list

    @property
    def problems(self):
        p = []
        if self.timed_out:
            p.append(f"hung: killed after {self.case.timeout:.0f} s")
        elif self.code != self.case.code:
            p.append(f"exit {self.code}, expected {self.case.code}")
        lines = [ln for ln in self.stderr.splitlines() if ln.strip()]
        if "Traceback (most recent call last)" in self.stderr:
            p.append("traceback")
        elif not self.timed_out and len(lines) != 1:
            p.append(f"{len(lines)} stderr lines, expected 1")
        if self.rss_mb > self.case.max_rss_mb:
            p.append(f"peak memory {self.rss_mb:.0f} MB > {self.case.max_rss_mb} MB")
        if self.leftovers:
            p.append(f"left behind or changed: {', '.join(self.leftovers[:4])}")
        return p


def _snapshot(d):
    out = {}
    for root, dirs, files in os.walk(d):
        for name in dirs + files:
            p = Path(root) / name
            rel = str(p.relative_to(d))
            try:
                if p.is_symlink() or not p.is_file():
                    out[rel] = "dir" if p.is_dir() else "special"
                elif p.stat().st_size > (8 << 20):
                    st = p.stat()
                    out[rel] = f"big:{st.st_size}:{st.st_mtime_ns}"
                else:
                    out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
            except OSError:
                out[rel] = "unreadable"
    return out


def run_case(case, root=None):
    with tempfile.TemporaryDirectory(prefix=f"hostile-{case.surface}-", dir=root) as tmp:
        d = Path(tmp)
        if case.setup:
            case.setup(d)
        before = _snapshot(d)
        argv = [a.replace("{d}", str(d)) for a in case.argv]
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "200", **case.env}
        env.pop("PACKETCLIP_DEBUG", None)
        peer = case.serve(d) if case.serve else None
        try:
            if peer is not None:
                peer.__enter__()
                argv = [a.replace("{peer}", peer.url) for a in argv]
            t0 = time.monotonic()
            code, err, timed_out, rss = _run_bounded([PY, "-m", "packetclip", *argv], d, env, case.timeout)
            seconds = time.monotonic() - t0
        finally:
            if peer is not None:
                peer.__exit__(None, None, None)
        after = _snapshot(d)
        left = sorted(k for k in set(after) | set(before) if after.get(k) != before.get(k)
                      and not any(k == a or k.startswith(a + "/") for a in case.allow_new))
        return Outcome(case, code, err.decode("utf-8", "replace"), seconds, rss, timed_out, left)


AS_LIMIT = 8 << 30   # address space per case: a runaway reader fails instead of taking the machine


def _limit_memory():
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (AS_LIMIT, AS_LIMIT))


def _run_bounded(cmd, cwd, env, timeout):
    """(exit status, stderr bytes, timed out, peak RSS in MB of that process tree) of one command."""
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True, preexec_fn=_limit_memory)
    err = bytearray()
    reader = threading.Thread(target=lambda: err.extend(proc.stderr.read()), daemon=True)
    reader.start()
    waited = {}
    waiter = threading.Thread(target=lambda: waited.update(r=os.wait4(proc.pid, 0)), daemon=True)
    waiter.start()
    waiter.join(timeout)
    timed_out = waiter.is_alive()
    if timed_out:
        os.killpg(proc.pid, signal.SIGKILL)
        waiter.join()
    else:
        try:   # grandchildren (an emulator) must not outlive the case
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    reader.join(5)
    proc.returncode = 0   # reaped by wait4; keep Popen from waiting again
    _, status, usage = waited["r"]
    code = os.waitstatus_to_exitcode(status)
    return code, bytes(err), timed_out, usage.ru_maxrss / 1024.0


def run_all(cases, jobs=2):
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(run_case, cases))


def main(argv=None):
    import argparse

    sys.path.insert(0, str(Path(__file__).parent))
    from cases import all_cases

    ap = argparse.ArgumentParser()
    ap.add_argument("--surface", default=None)
    ap.add_argument("--jobs", type=int, default=2)
    a = ap.parse_args(argv)
    cases = [c for c in all_cases() if a.surface in (None, c.surface)]
    outcomes = run_all(cases, a.jobs)
    summary = {}
    for o in outcomes:
        s = summary.setdefault(o.case.surface, {"cases": 0, "passed": 0, "failures": []})
        s["cases"] += 1
        if o.problems:
            s["failures"].append({"id": o.case.id, "problems": o.problems, "stderr": o.stderr[-300:]})
        else:
            s["passed"] += 1
    print(json.dumps({"cases": len(outcomes), "passed": sum(s["passed"] for s in summary.values()),
                      "surfaces": summary}, indent=2))
    return 0 if all(not o.problems for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
