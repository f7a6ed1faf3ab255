"""The tflm engine as far as it can be checked here (TFLM's C++ sources are in no registry this
machine reaches and are never vendored): the CMake configuration over a stub TFLM tree passes
the flags TFLM's own Cortex-M build uses, the generated folder carries the op resolver and the
arena probed for the model, and the memory summary counts TFLM's kernels as engine, not libc."""

import json
import shutil
import subprocess
import sys

import pytest

from packetclip.codegen import generate_tflite
from packetclip.firmware.memory import parse_map
from packetclip.resources import source_tree

MAP = """Archive member included to satisfy reference by file (symbol)

Linker script and memory map

.text           0x00000000     0x5000
 *(.vectors)
 .vectors       0x00000000       0x40 CMakeFiles/packetclip.dir/firmware/ports/cortex-m/startup.c.obj
 .text.pc_core_feed
                0x00000040      0x200 CMakeFiles/packetclip.dir/firmware/core/frame.c.obj
 .text._ZN6tflite16MicroInterpreter6InvokeEv
                0x00000240     0x1000 libpc_tflm.a(micro_interpreter.cc.obj)
 .text._ZN6tflite23EvalQuantizedPerChannelE
                0x00001240     0x3000 libpc_tflm.a(fully_connected.cc.obj)
 .text          0x00004240      0x134 /usr/lib/gcc/arm-none-eabi/12.2.1/../../../arm-none-eabi/lib/thumb/v7e-m+fp/hard/libc_nano.a(lib_a-memcpy.o)
 .text          0x00004374       0x60 /usr/lib/gcc/arm-none-eabi/12.2.1/thumb/v7e-m+fp/hard/libgcc.a(_udivsi3.o)
 .text.pc_engine_invoke
                0x000043d4       0x2c CMakeFiles/packetclip.dir/firmware/engine/tflm/engine_tflm.cc.obj
 *fill*         0x00004400      0xc00
.rodata         0x00005000     0x1000
 .rodata.pc_model_tflite
                0x00005000     0x1000 CMakeFiles/packetclip.dir/model/pc_model_data.cc.obj
.bss            0x20000000     0x2000
 .bss._ZN12_GLOBAL__N_15arenaE
                0x20000000     0x2000 CMakeFiles/packetclip.dir/firmware/engine/tflm/engine_tflm.cc.obj
"""


def test_memory_summary_counts_tflm_kernels_as_engine(tmp_path):
    (tmp_path / "m.map").write_text(MAP)
    m = parse_map(tmp_path / "m.map")
    assert m["flash"]["engine"] == 0x1000 + 0x3000 + 0x2c
    assert m["flash"]["libc"] == 0x134 + 0x60
    assert m["flash"]["weights"] == 0x1000 and m["ram"]["engine"] == 0x2000
    assert sum(m["flash"].values()) == m["flash_bytes"]


@pytest.fixture(scope="module")
def stub_tree(tmp_path_factory):
    """The layout create_tflm_tree.py makes, with one placeholder source per place we compile."""
    root = tmp_path_factory.mktemp("tflm-tree")
    for rel in ("tensorflow/lite/micro/micro_interpreter.h", "tensorflow/lite/micro/kernels/fully_connected.cc",
                "third_party/flatbuffers/include/flatbuffers/flatbuffers.h", "third_party/gemmlowp/fixedpoint/fixedpoint.h"):
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("// placeholder of the TFLM tree layout (tests only)\n")
    return root


def test_tflm_configure_passes_tflm_flags(tmp_path, stub_tree):
    if not all(shutil.which(t) for t in ("cmake", "ninja", "arm-none-eabi-g++")):
        pytest.skip("needs cmake, ninja and arm-none-eabi-g++")
    from tests_mlperf import MLPERF_DIR

    src = MLPERF_DIR / "kws_ref_model.tflite"
    if not src.exists():
        pytest.skip("MLPerf Tiny models not found")
    rep = generate_tflite(src.read_bytes(), tmp_path / "model", engine="tflm")
    ops_h = (tmp_path / "model" / "tflm_ops.h").read_text()
    assert rep["arena_probed_bytes"] == 24272 and f"#define PC_TFLM_ARENA_BYTES {rep['arena_bytes']}" in \
        (tmp_path / "model" / "pc_model_config.h").read_text()
    assert "r.AddConv2D()" in ops_h and "r.AddSoftmax()" in ops_h and "#define PC_TFLM_OP_COUNT 6" in ops_h
    r = subprocess.run(["cmake", "-G", "Ninja", "-S", str(source_tree()), "-B", str(tmp_path / "b"),
                        "-DPACKETCLIP_BOARD=mps2-an386", f"-DPACKETCLIP_MODEL_DIR={tmp_path / 'model'}",
                        "-DPACKETCLIP_ENGINE=tflm", f"-DTFLM_ROOT={stub_tree}", f"-DPC_PYTHON={sys.executable}",
                        "-DCMAKE_EXPORT_COMPILE_COMMANDS=ON"], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    cmds = {c["file"].rsplit("/", 1)[-1]: c["command"] for c in json.loads((tmp_path / "b" / "compile_commands.json").read_text())}
    for f in ("fully_connected.cc", "engine_tflm.cc"):
        for flag in ("-DNDEBUG", "-DTF_LITE_MCU_DEBUG_LOG", "-DTF_LITE_STATIC_MEMORY", "-mcpu=cortex-m4"):
            assert flag in cmds[f], (f, flag)
    assert "-fno-exceptions" in cmds["fully_connected.cc"] and "pc_model_info.c" in cmds


def test_tflm_engine_without_a_tree_says_how(tmp_path):
    from packetclip.errors import PacketclipError
    from packetclip.firmware import build_firmware
    from packetclip.resources import default_bundle

    with pytest.raises(PacketclipError) as e:
        build_firmware("mps2-an386", default_bundle(), engine="tflm", out=tmp_path / "t", log=lambda *a: None)
    assert "create_tflm_tree.py" in str(e.value) and "\n" not in str(e.value)
