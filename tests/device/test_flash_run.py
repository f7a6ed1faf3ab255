"""`packetclip flash` on emulated boards: starts the device, prints its URL, stops on Ctrl-C."""

import os
import signal
import subprocess
import sys
import time

import pytest

from ctrl_c import restore_sigint
from packetclip.device.session import Session
from packetclip.errors import PacketclipError


def _flash(board, build):
    proc = subprocess.Popen([sys.executable, "-m", "packetclip", "flash", "--board", board, "--firmware", str(build)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            preexec_fn=restore_sigint)
    first = proc.stdout.readline()
    url = proc.stdout.readline().strip()
    assert url.startswith("socket://127.0.0.1:"), (first, url, proc.stderr.read() if proc.poll() is not None else "")
    return proc, url


def _stop(proc):
    proc.send_signal(signal.SIGINT)
    try:
        rc = proc.wait(60)   # generous: a loaded CI machine
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)   # the emulator too: no orphaned QEMU
    err = proc.stderr.read()
    proc.stdout.close()
    proc.stderr.close()
    return rc, err


@pytest.mark.parametrize("board", ["host", pytest.param("mps2-an386", marks=pytest.mark.qemu)])
def test_flash_emulated_board(board, builds, bundle_dir):
    build = builds.folder(board, bundle_dir)
    proc, url = _flash(board, build)
    try:
        with Session.open(url, timeout=2.0) as s:
            s.wait_boot(0.5)
            info = s.hello()
            assert info.board == board
            assert s.stats()["rx_frames"] >= 1
    finally:
        rc, err = _stop(proc)
    assert rc == 0 and f"stopped {board}" in err
    time.sleep(0.1)
    with pytest.raises(PacketclipError, match="cannot open"):
        Session.open(url).close()   # nothing listens any more: the emulator was stopped


def test_flash_missing_firmware_one_line(tmp_path):
    r = subprocess.run([sys.executable, "-m", "packetclip", "flash", "--board", "mps2-an386", "--firmware", str(tmp_path)],
                       capture_output=True, text=True)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "packetclip build --board mps2-an386" in r.stderr
