"""`packetclip build`: codegen -> CMake (Ninja) -> ELF -> memory summary -> build.json."""

import json
import shutil
import subprocess
from pathlib import Path

from packetclip.boards import REPO_ROOT, load_board
from packetclip.build.memory import format_summary, parse_map
from packetclip.errors import PacketclipError
from packetclip.fsutil import write_text

ENGINES = ("aot", "tflm")
APT = {
    "arm-none-eabi-gcc": "gcc-arm-none-eabi libnewlib-arm-none-eabi",
    "riscv64-unknown-elf-gcc": "gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf",
    "cmake": "cmake", "ninja": "ninja-build", "cc": "build-essential",
}


def default_out_dir(board_name, engine, dsp=None):
    suffix = "-nodsp" if dsp is False else ""
    return Path("build") / f"{board_name}-{engine}{suffix}"


def need_tool(name):
    if shutil.which(name) is None:
        raise PacketclipError(f"{name} not found; install it with: sudo apt-get install {APT.get(name, name)}")


def _run(cmd, log_path, what):
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    log_path.write_text(proc.stdout)
    if proc.returncode != 0:
        tail = "\n".join(proc.stdout.strip().splitlines()[-15:])
        raise PacketclipError(f"{what} failed (full log: {log_path}):\n{tail}")
    return proc.stdout


def configure_and_build(board, model_dir, out, engine="aot", dsp=None, tflm_root=None, jobs=2, log=print):
    """Configure the top-level CMakeLists.txt for `board` over a generated model folder and build.

    Returns (elf path, memory dict). `dsp` None follows the board file, False forces the
    reference C kernels."""
    board = board if hasattr(board, "section") else load_board(board)
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    need_tool("cmake")
    need_tool("ninja")
    compiler = board.section("toolchain").get("compiler", "cc")
    need_tool(compiler)
    import sys

    cmd = ["cmake", "-G", "Ninja", "-S", str(REPO_ROOT), "-B", str(out),
           f"-DPACKETCLIP_BOARD={board.path}", f"-DPACKETCLIP_MODEL_DIR={Path(model_dir).resolve()}",
           f"-DPACKETCLIP_ENGINE={engine}", f"-DPC_PYTHON={sys.executable}",
           f"-DPACKETCLIP_DSP={'AUTO' if dsp is None else ('ON' if dsp else 'OFF')}"]
    if tflm_root:
        cmd.append(f"-DTFLM_ROOT={Path(tflm_root).resolve()}")
    _run(cmd, out / "configure.log", f"cmake configure for {board.name}")
    _run(["ninja", "-C", str(out), f"-j{jobs}"], out / "build.log", f"firmware build for {board.name}")
    elf = out / "packetclip.elf"
    mem = parse_map(out / "packetclip.map", model_dir_names=(Path(model_dir).name,))
    return elf, mem


def _generate(bundle_dir, out_dir, engine):
    try:
        from packetclip.codegen import generate
    except ImportError as exc:
        raise PacketclipError(f"packetclip.codegen is not available ({exc}); the code generator is needed to build") from None
    from packetclip.bundle.format import load_bundle

    return generate(load_bundle(bundle_dir), out_dir, engine)


def build_firmware(board, model, engine="aot", out=None, dsp=None, tflm_root=None, jobs=2, log=print):
    """Generate code for the bundle `model`, build it for `board`; writes OUT/build.json.

    Returns the report dict (also in build.json): board, engine, dsp, elf, memory split,
    codegen report. ESP32 boards get an ESP-IDF project instead (not compiled here)."""
    board = board if hasattr(board, "section") else load_board(board)
    if engine not in ENGINES:
        raise PacketclipError(f"--engine '{engine}': use one of {', '.join(ENGINES)}")
    model = Path(model)
    if not (model / "model.json").exists():
        raise PacketclipError(f"{model}: no model.json; give a bundle folder (e.g. models/cicids2017-mlp)")
    out = Path(out) if out else default_out_dir(board.name, engine, dsp)
    out.mkdir(parents=True, exist_ok=True)
    if board.port == "esp32":
        from packetclip.build.esp32 import write_idf_project

        return write_idf_project(board, model, out, engine=engine, log=log)
    if engine == "tflm" and not tflm_root:
        raise PacketclipError("--engine tflm needs --tflm-root DIR, a TFLM tree made by tflite-micro's create_tflm_tree.py; "
                              "TFLM is not in any registry reachable here")
    model_dir = out / "model"
    codegen_report = _generate(model, model_dir, engine)
    log(f"generated {engine} code for {model} in {model_dir}")
    elf, mem = configure_and_build(board, model_dir, out, engine=engine, dsp=dsp, tflm_root=tflm_root,
                                   jobs=jobs, log=log)
    dsp_used = bool(board.data.get("dsp")) if dsp is None else bool(dsp)
    report = {
        "board": board.name, "engine": engine, "dsp": dsp_used and engine == "aot",
        "model": str(model), "elf": str(elf), "memory": mem,
        "budget": {"flash_bytes": board.flash_bytes, "ram_bytes": board.ram_bytes},
        "codegen": codegen_report if isinstance(codegen_report, dict) else None,
    }
    write_text(out / "build.json", json.dumps(report, indent=2, sort_keys=True, default=str) + "\n")
    log(f"built {elf}")
    log(format_summary(mem, board))
    return report
