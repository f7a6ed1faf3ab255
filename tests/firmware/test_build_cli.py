"""`packetclip build` and the memory summary: things that do not need the code generator."""

import pytest
from fwutil import FAKE_MODEL

from packetclip.errors import PacketclipError
from packetclip.firmware.build import need_tool
from packetclip.firmware.memory import COMPONENTS


def test_missing_toolchain_names_the_apt_command(monkeypatch):
    monkeypatch.setattr("shutil.which", lambda name: None)
    with pytest.raises(PacketclipError, match="sudo apt-get install gcc-arm-none-eabi"):
        need_tool("arm-none-eabi-gcc")


def test_memory_split_adds_up(builds):
    _, mem = builds.fake("mps2-an386")
    assert sum(mem["flash"].values()) == mem["flash_bytes"]
    assert sum(mem["ram"].values()) == mem["ram_bytes"]
    assert set(mem["flash"]) == set(COMPONENTS)
    assert mem["flash"]["core"] > 500 and mem["flash"]["port"] > 100 and mem["stack_bytes"] == 2048
    assert mem["flash_bytes"] < 4096 and mem["ram_bytes"] < 512  # core + port + fake engine


def test_cmake_without_model_dir_fails_clearly(tmp_path):
    import subprocess

    from fwutil import REPO

    r = subprocess.run(["cmake", "-G", "Ninja", "-S", str(REPO), "-B", str(tmp_path / "b"),
                        "-DPACKETCLIP_BOARD=mps2-an386", f"-DPACKETCLIP_MODEL_DIR={tmp_path}"],
                       capture_output=True, text=True)
    assert r.returncode != 0 and "packetclip codegen" in r.stderr


def test_tflm_without_root_fails_clearly(tmp_path):
    import subprocess

    from fwutil import REPO

    r = subprocess.run(["cmake", "-G", "Ninja", "-S", str(REPO), "-B", str(tmp_path / "b"),
                        "-DPACKETCLIP_BOARD=host", f"-DPACKETCLIP_MODEL_DIR={FAKE_MODEL}",
                        "-DPACKETCLIP_ENGINE=tflm"], capture_output=True, text=True)
    assert r.returncode != 0 and "TFLM_ROOT" in r.stderr and "create_tflm_tree.py" in r.stderr
