"""The generated C guards its contract: C99 designated initializers only, and an ABI version
check in every generated file that stops an old folder from compiling against new headers.
The op registry is the one list every other list of ops comes from."""

import re
import shutil
import subprocess

import numpy as np
import pytest

from packetclip.bundle import ops
from packetclip.codegen import aot, generate_tflite
from packetclip.codegen.generate import ENGINE_ABI_VERSION
from packetclip.resources import firmware_dir

from . import oneop

FW = firmware_dir()


def _define(header, name):
    return int(re.search(rf"#define {name} (\d+)", header.read_text()).group(1))


def test_generator_versions_match_the_headers():
    assert _define(FW / "include/packetclip/engine.h", "PC_ENGINE_ABI_VERSION") == ENGINE_ABI_VERSION
    assert _define(FW / "engine/aot/pc_aot.h", "PC_AOT_ABI_VERSION") == aot.AOT_ABI_VERSION


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """One aot and one tflm folder of a model that uses every struct kind."""
    d = tmp_path_factory.mktemp("abi")
    tfl = oneop.conv_chain(np.random.default_rng(1))
    generate_tflite(tfl, d / "aot", engine="aot")
    generate_tflite(tfl, d / "tflm", engine="tflm", arena_probe=4096)
    return d


def test_struct_initializers_are_designated(folders):
    for f in list((folders / "aot").glob("*.c")) + list((folders / "tflm").glob("*.c")):
        src = f.read_text()
        # every struct object initializer: `const pc_..._t name = {` then `.field = ` lines
        for m in re.finditer(r"const (pc_\w+_t) (\w+) = \{\n(.*?)\n\};", src, re.S):
            body = m.group(3)
            assert all(line.strip().startswith(".") for line in body.splitlines()), (f.name, m.group(2))
        assert "pc_model_info_t pc_info = {\n    .engine = " in src or "pc_model_info_t" not in src


def test_every_generated_file_checks_the_abi(folders):
    for f in sorted(p for p in (folders / "aot").iterdir()) + sorted((folders / "tflm").iterdir()):
        if f.suffix in (".c", ".h"):
            assert "PC_ENGINE_ABI_VERSION != 2" in f.read_text() and "regenerate" in f.read_text(), f.name
    assert "PC_AOT_ABI_VERSION != 2" in (folders / "aot" / "pc_model.c").read_text()
    assert "PC_ENGINE_ABI_VERSION != 2" in (folders / "tflm" / "tflm_ops.h").read_text()


def _compile(src, includes):
    cc = shutil.which("cc")
    if cc is None:
        pytest.skip("no C compiler")
    r = subprocess.run([cc, "-std=c99", "-c", str(src), "-o", "/dev/null", *(f"-I{i}" for i in includes)],
                       capture_output=True, text=True)
    return r.returncode, r.stderr


@pytest.mark.parametrize("header,macro", [("engine/aot/pc_aot.h", "PC_AOT_ABI_VERSION"),
                                          ("include/packetclip/engine.h", "PC_ENGINE_ABI_VERSION")])
def test_old_folder_fails_after_an_abi_bump(tmp_path, folders, header, macro):
    """Copy the headers, bump one ABI version as a future packetclip would: the folder generated
    before no longer compiles, and the error says to regenerate it."""
    inc = tmp_path / "fw"
    shutil.copytree(FW / "include", inc / "include")
    shutil.copytree(FW / "engine" / "aot", inc / "engine" / "aot")
    includes = [inc / "include", inc / "engine" / "aot", folders / "aot"]
    rc, err = _compile(folders / "aot" / "pc_model.c", includes)
    assert rc == 0, err
    h = inc / header
    h.write_text(re.sub(rf"#define {macro} (\d+)", lambda m: f"#define {macro} {int(m.group(1)) + 1}", h.read_text()))
    rc, err = _compile(folders / "aot" / "pc_model.c", includes)
    assert rc != 0 and "regenerate the model folder with `packetclip codegen`" in err
    if macro == "PC_ENGINE_ABI_VERSION":   # the core refuses the old folder too (its config names its ABI)
        rc, err = _compile(FW / "core" / "frame.c", [inc / "include", folders / "aot"])
        assert rc != 0 and "regenerate" in err


def test_core_refuses_a_folder_from_before_the_guard(tmp_path):
    """A pc_model_config.h without PC_MODEL_ABI_VERSION (packetclip before ABI guards)."""
    (tmp_path / "pc_model_config.h").write_text("#define PC_MODEL_INPUT_BYTES 40\n#define PC_MODEL_OUTPUT_BYTES 12\n")
    rc, err = _compile(FW / "core" / "frame.c", [FW / "include", tmp_path])
    assert rc != 0 and "regenerate the model folder with `packetclip codegen`" in err


def test_registry_is_the_one_list(folders):
    names = set(ops.OPS)
    assert set(ops.SUPPORTED_OPS) == names == set(ops.engine_ops("aot")) == set(ops.engine_ops("tflm"))
    header = (FW / "engine/aot/pc_aot.h").read_text()
    for op in ops.OPS.values():
        assert callable(op.lower()), op.name                                  # the lowering exists
        assert op.kernel is None or re.search(rf"\b{op.kernel}\(", header), op.name   # the kernel is declared
        assert re.fullmatch(r"Add[A-Z]\w+", op.tflm), op.name
    # the tflm resolver is generated from the registry
    ops_h = (folders / "tflm" / "tflm_ops.h").read_text()
    assert "r.AddConv2D()" in ops_h and "r.AddDepthwiseConv2D()" in ops_h and "r.AveragePool2D" not in ops_h
    assert "#define PC_TFLM_OP_COUNT 3" in ops_h
    # a lowering registered for an op the kernels do not have would be caught here
    assert not [o for o in ops.OPS.values() if o.kernel and not hasattr(aot, o.lowering)]
