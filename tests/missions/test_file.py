"""The missions file and the `packetclip mission add | rm | list` verbs; bad input is one line, exit 2,
nothing half-written."""

import os
import subprocess
import sys

import pytest

from packetclip.errors import PacketclipError
from packetclip.missions import file as mf


def cli(*args, cwd):
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    return subprocess.run([sys.executable, "-m", "packetclip", "mission", *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=120)


def one_line_error(r):
    assert r.returncode == 2, (r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in r.stderr
    return lines[0]


def test_add_list_rm_round_trip(tmp_path):
    r = cli("add", "half-open", "Half-open TCP handshakes that fill a server's connection table", "--kg", "syn_flood",
            cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert cli("add", "guess", "Repeated SSH logins with passwords from a word list", cwd=tmp_path).returncode == 0
    ms = mf.load_missions(tmp_path / "missions.yaml")
    assert [(m.name, m.kg) for m in ms] == [("half-open", ["syn_flood"]), ("guess", [])]
    r = cli("list", "--json", cwd=tmp_path)
    assert r.returncode == 0 and '"half-open"' in r.stdout
    assert cli("rm", "half-open", cwd=tmp_path).returncode == 0
    assert [m.name for m in mf.load_missions(tmp_path / "missions.yaml")] == ["guess"]


@pytest.mark.parametrize("args,words", [
    (("add", "", "SYN packets with no reply"), "name is empty"),
    (("add", "a b", "SYN packets"), "is 'a b'; a name is 1-32"),
    (("add", "guess", "again"), "already has a mission named 'guess'"),
    (("add", "quiet", "   ...  "), "has no words the text encoder can embed"),
    (("add", "other", "floods", "--kg", "no_such_node"), "missions[1].kg[0]' is 'no_such_node'"),
    (("rm", "absent"), "has no mission named 'absent' (it has: guess)"),
])
def test_bad_input_is_one_line_and_leaves_the_file(tmp_path, args, words):
    assert cli("add", "guess", "Repeated SSH logins with passwords from a word list", cwd=tmp_path).returncode == 0
    before = (tmp_path / "missions.yaml").read_bytes()
    assert words in one_line_error(cli(*args, cwd=tmp_path))
    assert (tmp_path / "missions.yaml").read_bytes() == before


@pytest.mark.parametrize("text,words", [
    ("format: 2\nmissions: []\n", "field 'format' is 2"),
    ("format: 1\nmissions:\n  - name: a\n", "field 'missions[0].description' is missing"),
    ("format: 1\nmissions:\n  - {name: a, description: x}\n  - {name: a, description: y}\n",
     "'missions[1].name' is 'a', already the name of missions[0]"),
    ("format: 1\nmissions:\n  - {name: a, description: '', kg: []}\n", "no words the text encoder can embed"),
    ("format: 1\nmissions: [\n", "not valid YAML"),
])
def test_bad_files(tmp_path, text, words):
    p = tmp_path / "m.yaml"
    p.write_text(text)
    with pytest.raises(PacketclipError, match=None) as exc:
        mf.load_missions(p)
    assert words in str(exc.value) and str(p) in str(exc.value)
    assert words in one_line_error(cli("list", "--file", str(p), cwd=tmp_path))
