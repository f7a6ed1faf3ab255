"""Same seed -> same metrics and the same weights' outputs; Ctrl-C keeps the last checkpoint."""


import numpy as np
import pytest

from ctrl_c import restore_sigint
from packetclip.teacher import load_teacher, train

SMALL = dict(preset="tiny", epochs=3, pretrain_epochs=1, max_rows=400, quiet=True)


def test_same_seed_same_metrics(tmp_path):
    a = train(None, out=tmp_path / "a", seed=3, **SMALL)
    b = train(None, out=tmp_path / "b", seed=3, **SMALL)
    assert a["metrics"] == b["metrics"]
    assert (tmp_path / "a" / "train_metrics.json").read_bytes() == (tmp_path / "b" / "train_metrics.json").read_bytes()
    assert (tmp_path / "a" / "config.json").read_bytes() == (tmp_path / "b" / "config.json").read_bytes()
    X = np.random.default_rng(0).gamma(1.0, 100.0, size=(16, len(a["config"]["features"])))
    pa, pb = load_teacher(tmp_path / "a").predict(X), load_teacher(tmp_path / "b").predict(X)
    for k in pa:
        assert np.array_equal(pa[k], pb[k]), k


def test_interrupt_keeps_last_complete_checkpoint(tmp_path):
    import torch

    def stop(epoch, info):
        if epoch == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(None, out=tmp_path / "run", seed=0, callback=stop, **SMALL)
    ckpt = torch.load(tmp_path / "run" / "checkpoint.pt", weights_only=False)
    assert ckpt["epoch"] == 2 and "model" in ckpt and "optimizer" in ckpt
    assert not (tmp_path / "run" / "model.pt").exists()  # no half-finished model
    assert not [p for p in (tmp_path / "run").iterdir() if p.name.startswith(".")]  # no temp leftovers
    from packetclip.errors import PacketclipError

    with pytest.raises(PacketclipError, match="interrupted"):
        load_teacher(tmp_path / "run")


def test_sigint_in_a_subprocess_keeps_a_loadable_checkpoint(tmp_path):
    """A real Ctrl-C (SIGINT) mid-training: the process stops, the checkpoint on disk is whole."""
    import signal
    import subprocess
    import sys
    import time

    import torch

    run = tmp_path / "run"
    code = ("from packetclip.teacher import train\n"
            f"train(None, out={str(run)!r}, preset='tiny', epochs=500, quiet=True)\n")
    p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         preexec_fn=restore_sigint)
    deadline = time.monotonic() + 240   # generous: a loaded CI machine
    while not (run / "checkpoint.pt").exists() and time.monotonic() < deadline and p.poll() is None:
        time.sleep(0.05)
    time.sleep(0.3)  # land somewhere inside a later epoch (or its checkpoint write)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=240)
    assert p.returncode != 0 and b"KeyboardInterrupt" in err
    ckpt = torch.load(run / "checkpoint.pt", weights_only=False)
    assert ckpt["epoch"] >= 1
    assert not (run / "model.pt").exists()
    assert not [x for x in run.iterdir() if x.name.startswith(".")]
