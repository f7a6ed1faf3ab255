"""The ESP-IDF project that `packetclip build` writes for ESP32 boards (not compiled here:
ESP-IDF is not installable on this machine)."""

import json

import pytest
from fwutil import REPO

BUNDLE = REPO / "models" / "cicids2017-mlp"


@pytest.mark.parametrize("board,engine,target", [("esp32-s3-devkitc", "tflm", "esp32s3"),
                                                 ("esp32-c3-devkitm", "aot", "esp32c3")])
def test_idf_project(tmp_path, board, engine, target):
    if not (BUNDLE / "model.json").exists() or not (REPO / f"boards/{board}.toml").exists():
        pytest.skip("bundle or board file missing")
    from packetclip.firmware import build_firmware

    rep = build_firmware(board, BUNDLE, engine=engine, out=tmp_path / "b", log=lambda *a: None)
    proj = tmp_path / "b" / "idf"
    assert rep["built"] is False and json.loads((tmp_path / "b/build.json").read_text())["target"] == target
    comp = (proj / "main/idf_component.yml").read_text()
    assert ('espressif/esp-tflite-micro: "==' in comp) == (engine == "tflm")
    assert f'CONFIG_IDF_TARGET="{target}"' in (proj / "sdkconfig.defaults").read_text()
    main_cmake = (proj / "main/CMakeLists.txt").read_text()
    assert f'PC_BOARD_NAME="{board}"' in main_cmake and "idf_component_register" in main_cmake
    for rel in ("core/frame.c", "port/hal_esp32.c", "include/packetclip/engine.h", "model/pc_model_config.h"):
        assert (proj / "main" / rel).exists(), rel
    assert (proj / "main/engine" / ("engine_tflm.cc" if engine == "tflm" else "pc_aot_fc.c")).exists()
    # self-contained and reproducible: no absolute paths of this machine in the project
    for f in proj.rglob("*"):
        if f.is_file() and f.suffix in (".txt", ".yml", ".c", ".cc", ".h", ".defaults", ".md", ".json"):
            assert str(REPO) not in f.read_text(errors="replace"), f
