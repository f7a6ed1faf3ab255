"""Bad input: one clear line on stderr and exit status 2 (no traceback)."""

import subprocess
import sys

import pytest

from packetclip.data.schema import FEATURES

PY = sys.executable


def _csv(path, labels):
    rows = [",".join(FEATURES + ["Label"])]
    for i, lab in enumerate(labels):
        rows.append(",".join(str((i * 7 + j) % 13 + j) for j in range(len(FEATURES))) + f",{lab}")
    path.write_text("\n".join(rows) + "\n")
    return path


def _train(*args):
    return subprocess.run([PY, "-m", "packetclip", "train", *args], capture_output=True, text=True)


def _assert_one_line(p, *needles):
    assert p.returncode == 2, (p.returncode, p.stderr)
    lines = [l for l in p.stderr.splitlines() if l.strip()]
    assert len(lines) == 1, p.stderr
    assert "Traceback" not in p.stderr
    for n in needles:
        assert n in lines[0], lines[0]


@pytest.mark.parametrize("labels, needles", [
    (["BENIGN"] * 30, ["one class only", "label"]),
    (["BENIGN"] * 15 + ["NotAnAttackWeKnow"] * 15, ["knowledge graph", "unknown"]),
    (["BENIGN", "DoS"], ["row"]),
])
def test_bad_training_files(tmp_path, labels, needles):
    # in-process (the CLI turns a PacketclipError into one line + exit 2, checked below)
    from packetclip.errors import PacketclipError
    from packetclip.teacher import train

    f = _csv(tmp_path / "flows.csv", labels)
    with pytest.raises(PacketclipError) as exc:
        train(str(f), out=tmp_path / "run", preset="tiny", quiet=True)
    msg = str(exc.value)
    assert "\n" not in msg and msg.startswith(str(f)), msg
    for n in needles:
        assert n in msg, msg
    assert not (tmp_path / "run").exists()


def test_bad_file_on_the_command_line(tmp_path):
    f = _csv(tmp_path / "flows.csv", ["BENIGN"] * 30)
    _assert_one_line(_train(str(f), "--preset", "tiny", "--out", str(tmp_path / "run")), str(f), "one class only")


def test_unknown_text_encoder(tmp_path):
    _assert_one_line(_train("--text-encoder", "bert-huge", "--preset", "tiny", "--out", str(tmp_path / "r")),
                     "--text-encoder", "bert-huge", "small")
    assert not (tmp_path / "r").exists()
