"""`packetclip lab` where it cannot or must not run, and when it is interrupted: one line, exit 2
(130 for Ctrl-C/SIGTERM), no traceback, no output, and nothing left running or configured."""

import os
import signal
import subprocess
import sys
import time

import pytest

from ctrl_c import restore_sigint

ROOT = os.geteuid() == 0


def _lab(*args, prefix=(), **kw):
    return subprocess.run([*prefix, sys.executable, "-m", "packetclip", "lab", *map(str, args)],
                          capture_output=True, text=True, timeout=120, **kw)


def _one_line(r, code, *needles):
    err = r.stderr.strip()
    assert r.returncode == code, r.stdout + r.stderr
    assert "Traceback" not in r.stderr and len(err.splitlines()) == 1, r.stderr
    for n in needles:
        assert n in err, err


def _stat(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None


def _start_time(pid):
    st = _stat(pid)
    return st[19] if st else None


def _cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return "?"


def _lab_namespaces():
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    return {line.split()[0] for line in out.splitlines() if line.startswith("pclab")}


def test_refuses_without_root(tmp_path):
    out = tmp_path / "lab"
    # a real unprivileged user: nobody, keeping only the right to read the interpreter's files
    prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=+dac_read_search",
              "--ambient-caps=+dac_read_search"] if ROOT else []
    before = _lab_namespaces() if ROOT else set()
    r = _lab("--out", out, "--scale", "ci", prefix=prefix, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    _one_line(r, 2, "needs root", "uid")
    assert not out.exists() and list(tmp_path.iterdir()) == []
    if ROOT:
        assert _lab_namespaces() == before


@pytest.mark.skipif(not ROOT, reason="dropping capabilities needs root")
def test_refuses_without_namespace_support(tmp_path):
    out = tmp_path / "lab"
    before = _lab_namespaces()
    # root without capabilities cannot make namespaces, as in an unprivileged container
    r = _lab("--out", out, "--scale", "ci", prefix=["setpriv", "--inh-caps=-all", "--bounding-set=-all"])
    _one_line(r, 2, "cannot create a network namespace", "CONFIG_NET_NS")
    assert not out.exists() and _lab_namespaces() == before


@pytest.mark.parametrize("args, needle", [
    (["--order", "port_scan,tea_party"], "unknown phase 'tea_party'"),
    (["--order", "port_scan,port_scan"], "name each phase once"),
    (["--scale", "huge"], "'huge' is not one of 'ci', 'full'"),
])
def test_bad_options_fail_before_anything_is_made(tmp_path, args, needle):
    out = tmp_path / "lab"
    before = _lab_namespaces()
    r = _lab("--out", out, *args)
    assert r.returncode == 2 and needle in r.stderr and "Traceback" not in r.stderr
    assert not out.exists() and _lab_namespaces() == before


def test_out_that_is_a_file_or_a_users_folder_is_refused(tmp_path):
    f = tmp_path / "notes.txt"
    f.write_text("mine")
    _one_line(_lab("--out", f, "--scale", "ci"), 2, "notes.txt", "not a folder")
    d = tmp_path / "work"
    d.mkdir()
    (d / "thesis.tex").write_text("mine")
    _one_line(_lab("--out", d, "--scale", "ci"), 2, "other files in it", "ground-truth.json")
    assert f.read_text() == "mine" and (d / "thesis.tex").read_text() == "mine"


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_run_removes_everything(tmp_path, sig, lab_unavailable):
    if lab_unavailable:
        pytest.skip(lab_unavailable)
    out = tmp_path / "lab"
    p = subprocess.Popen([sys.executable, "-m", "packetclip", "lab", "--out", str(out), "--scale", "ci",
                          "--order", "slowloris,port_scan"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         preexec_fn=restore_sigint)
    tag = f"pclab{p.pid}-"
    try:
        first = p.stdout.readline()
        assert first.startswith("lab ci seed 1"), first + p.stderr.read()
        deadline = time.monotonic() + 30
        while not any(n.startswith(tag) for n in _lab_namespaces()) and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(6)  # services, capture and benign clients are up; slowloris is under way
        mine = sorted(n for n in _lab_namespaces() if n.startswith(tag))
        assert len(mine) > 10
        pids = {int(x): _start_time(int(x)) for ns in mine
                for x in subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True).stdout.split()}
        assert pids  # servers, tcpdump, clients, the attack
        p.send_signal(sig)
        _, err = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
    assert p.returncode == 130, err
    assert "Traceback" not in err and err.strip().splitlines()[-1] in ("aborted", "interrupted")
    assert not any(n.startswith(tag) for n in _lab_namespaces())
    for pid, started in pids.items():  # gone, or a zombie for init to reap, or the pid reused by another process
        st = _stat(pid)
        assert st is None or st[0] == "Z" or st[19] != started, f"pid {pid} still running: {_cmdline(pid)}"
    assert not out.exists() and [x.name for x in tmp_path.iterdir()] == []
