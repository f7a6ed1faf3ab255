"""The package and its CLI: cheap to import, every verb listed, user errors as one line."""

import subprocess
import sys

from click.testing import CliRunner

from packetclip.cli import VERBS, main

PY = sys.executable


def test_import_and_help_do_not_load_torch_or_tensorflow():
    code = (
        "import sys, packetclip, packetclip.cli\n"
        "from click.testing import CliRunner\n"
        "r = CliRunner().invoke(packetclip.cli.main, ['--help'])\n"
        "assert r.exit_code == 0, r.output\n"
        "heavy = [m for m in sys.modules if m.split('.')[0] in ('torch', 'tensorflow', 'litert_torch')]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([PY, "-c", code], check=True)


def test_help_lists_every_verb():
    out = CliRunner().invoke(main, ["--help"]).output
    for verb in VERBS:
        assert verb in out


def test_every_verb_has_help():
    # Each verb's module imports and its --help works without heavy imports failing.
    for verb in VERBS:
        r = CliRunner().invoke(main, [verb, "--help"])
        assert r.exit_code == 0, (verb, r.output)


def test_user_error_is_one_line_and_exit_2(tmp_path):
    p = subprocess.run([PY, "-m", "packetclip", "boards", "--help"], capture_output=True, text=True)
    assert p.returncode == 0
    p = subprocess.run([PY, "-m", "packetclip", "swap", "--board", "no-such-board"],
                       capture_output=True, text=True)
    assert p.returncode == 2
    assert "Traceback" not in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1
    assert "no-such-board" in p.stderr
