"""A normal (non-editable) install of the wheel works from an empty folder, as esptool's does:
the firmware sources, board files and default bundle travel inside the package."""

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    src = out / "src"
    # build from a copy: an in-tree build would leave build/ and *.egg-info in the checkout
    shutil.copytree(REPO, src, symlinks=True, ignore=shutil.ignore_patterns(".venv", ".git", "build", "runs", "*.egg-info",
                                                                          "__pycache__", ".pytest_cache", ".hypothesis"))
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                        "-q", "-w", str(out), str(src)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    (whl,) = out.glob("packetclip-*.whl")
    return whl


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory):
    """A fresh venv with the wheel installed normally; the checkout venv's packages are reused
    through a .pth line (no network), packetclip itself comes only from the wheel."""
    d = tmp_path_factory.mktemp("venv") / "v"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(d)], check=True)
    py = d / "bin" / "python"
    site = Path(subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    (site / "checkout_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    r = subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps", "--no-index",
                        "-q", str(wheel)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    return d


def test_wheel_carries_firmware_boards_and_default_bundle(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for must in ("packetclip/share/CMakeLists.txt", "packetclip/share/firmware/core/frame.c",
                 "packetclip/share/firmware/ports/mps2/port.cmake", "packetclip/share/boards/mps2-an386.toml",
                 "packetclip/share/models/cicids2017-mlp/model.tflite", "packetclip/share/models/cicids2017-mlp/model.json"):
        assert must in names, must
    assert not any("/.venv/" in n or n.startswith("tests/") for n in names)


def _run(venv, args, cwd):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{venv / 'bin'}:{env.get('PATH', '')}"
    return subprocess.run([str(venv / "bin" / "packetclip"), *args], cwd=cwd, env=env, capture_output=True, text=True)


def test_installed_package_is_the_wheel(venv, tmp_path):
    r = subprocess.run([str(venv / "bin" / "python"), "-c", "import packetclip; print(packetclip.__file__)"],
                       cwd=tmp_path, capture_output=True, text=True, check=True)
    assert str(venv) in r.stdout and str(REPO) not in r.stdout


def test_boards_from_an_empty_folder(venv, tmp_path):
    r = _run(venv, ["boards"], tmp_path)
    assert r.returncode == 0, r.stderr
    assert "mps2-an386" in r.stdout and "nucleo-f446re" in r.stdout


@pytest.mark.skipif(not all(shutil.which(t) for t in ("arm-none-eabi-gcc", "cmake", "ninja")),
                    reason="needs the Arm toolchain, cmake and ninja")
def test_build_default_bundle_from_an_empty_folder(venv, tmp_path):
    r = _run(venv, ["build", "--board", "mps2-an386", "--json"], tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    elf = tmp_path / "build" / "mps2-an386-aot" / "packetclip.elf"
    assert elf.is_file() and elf.stat().st_size > 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["build"]   # outputs under the current folder only
