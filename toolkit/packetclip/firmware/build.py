"""`packetclip build`: codegen -> CMake (Ninja) -> ELF -> memory summary -> build.json.

A build happens in a temporary folder beside the output and replaces it only when it
succeeded; a failed build leaves nothing but its log, at the path the error names.
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

from packetclip import resources
from packetclip.boards import load_board
from packetclip.engines import get_engine
from packetclip.errors import PacketclipError
from packetclip.firmware.folder import build_dir
from packetclip.firmware.memory import format_summary, parse_map
from packetclip.fsutil import atomic_dir, check_out_dir, write_text

# Debian packages that provide each tool (the same list the Makefile installs)
APT = {
    "arm-none-eabi-gcc": "gcc-arm-none-eabi libnewlib-arm-none-eabi libstdc++-arm-none-eabi-newlib",
    "riscv64-unknown-elf-gcc": "gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf",
    "cmake": "cmake", "ninja": "ninja-build", "cc": "build-essential",
}


class BuildFailed(PacketclipError):
    """A configure or compile step failed; the message ends with the tail of its log."""

    def __init__(self, what, log_path, tail):
        super().__init__(f"{what} failed (full log: {log_path}):\n{tail}")
        self.what, self.tail = what, tail


def need_tool(name):
    if shutil.which(name) is None:
        raise PacketclipError(f"{name} not found; install it with: sudo apt-get install {APT.get(name, name)}")


def _run(cmd, log_path, what):
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    log_path.write_text(proc.stdout)
    if proc.returncode != 0:
        tail = "\n".join(proc.stdout.strip().splitlines()[-15:])
        raise BuildFailed(what, log_path, tail)
    return proc.stdout


def configure_and_build(board, model_dir, out, engine="aot", dsp=None, tflm_root=None, jobs=2, hosts=0):
    """Configure the firmware's CMakeLists.txt for `board` over a generated model folder and build
    in `out` (used as given: callers that want atomic output pass a temporary folder).

    Returns (elf path, memory dict). `dsp` None follows the board file, False forces the
    reference C kernels. `hosts`: the host table of a windowed model (0: none)."""
    board = board if hasattr(board, "section") else load_board(board)
    eng = get_engine(engine)
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    for tool in ("cmake", "ninja", board.section("toolchain").get("compiler", "cc")):
        need_tool(tool)
    cmd = ["cmake", "-G", "Ninja", "-S", str(resources.source_tree()), "-B", str(out),
           f"-DPACKETCLIP_BOARD={board.path}", f"-DPACKETCLIP_MODEL_DIR={Path(model_dir).resolve()}",
           f"-DPACKETCLIP_ENGINE={eng.cmake}", f"-DPC_PYTHON={sys.executable}",
           f"-DPACKETCLIP_DSP={'AUTO' if dsp is None else ('ON' if dsp else 'OFF')}", f"-DPACKETCLIP_HOSTS={int(hosts)}"]
    if tflm_root:
        cmd.append(f"-DTFLM_ROOT={Path(tflm_root).resolve()}")
    _run(cmd, out / "configure.log", f"cmake configure for {board.name}")
    _run(["ninja", "-C", str(out), f"-j{jobs}"], out / "build.log", f"firmware build for {board.name}")
    mem = parse_map(out / "packetclip.map", model_dir_names=(Path(model_dir).name,))
    return out / "packetclip.elf", mem


def build_firmware(board, model=None, engine="aot", out=None, dsp=None, tflm_root=None, jobs=2, hosts=None,
                   log=print, missions=None, max_missions=None):
    """Generate code for the bundle `model` (default: the packaged bundle), build it for `board`;
    writes OUT/build.json. `missions`: a prototypes file (`packetclip mission compile`) compiled
    in; `max_missions`: room for pushed prototypes (default 16) on a bundle with an embedding head.

    Returns the report dict (also in build.json): board, engine, dsp, elf, memory split,
    codegen report, temporal context. `hosts`: host-table size of a windowed bundle (default:
    what distill chose, else what 1/8 of the board's RAM holds; 0 = the host sends whole
    windows). ESP32 boards get an ESP-IDF project instead (not compiled here)."""
    board = board if hasattr(board, "section") else load_board(board)
    eng = get_engine(engine)
    model = Path(model) if model else resources.default_bundle()
    if not (model / "model.json").is_file():
        raise PacketclipError(f"{model}: no model.json; give a bundle folder (e.g. models/{resources.DEFAULT_BUNDLE})")
    out = Path(out) if out else build_dir(board.name, eng.name, dsp)
    check_out_dir(out, "build.json", "firmware build folder")
    if board.port == "esp32":
        from packetclip.firmware.esp32 import write_idf_project

        return write_idf_project(board, model, out, engine=eng.name, log=log)
    if eng.needs_tflm_tree and not tflm_root:
        raise PacketclipError(f"--engine {eng.name} needs --tflm-root DIR, a TFLM tree made by tflite-micro's "
                              "create_tflm_tree.py; TFLM is not in any registry reachable here")
    from packetclip.bundle.context import build_hosts, row_bytes
    from packetclip.bundle.format import load_bundle
    from packetclip.codegen import generate

    bundle = load_bundle(model)
    meta = bundle.meta
    if hosts is not None and hosts < 0:
        raise PacketclipError(f"--hosts {hosts}: give 0 (no host table) or a positive number of hosts")
    n_hosts = build_hosts(meta, board, hosts)
    protos = None
    if missions is not None:
        from packetclip.missions.prototypes import load_prototypes

        protos = load_prototypes(missions, bundle)
    failed_log = out.with_name(out.name + "-failed.log")
    with atomic_dir(out, "build.json", "firmware build folder") as tmp:
        codegen_report = generate(bundle, tmp / "model", eng.name, prototypes=protos, missions_capacity=max_missions)
        codegen_report["out_dir"] = str(out / "model")
        log(f"generated {eng.name} code for {model} in {out / 'model'}")
        try:
            _, mem = configure_and_build(board, tmp / "model", tmp, engine=eng.name, dsp=dsp,
                                         tflm_root=tflm_root, jobs=jobs, hosts=n_hosts)
        except BuildFailed as exc:
            logs = [p for p in (tmp / "configure.log", tmp / "build.log") if p.exists()]
            write_text(failed_log, "".join(p.read_text() for p in logs))
            raise BuildFailed(exc.what, failed_log, exc.tail) from None
        # CMake build trees are not relocatable: what this build needs later is its ELF, map and report
        elf = out / "packetclip.elf"
        dsp_used = bool(board.data.get("dsp")) if dsp is None else bool(dsp)
        report = {
            "board": board.name, "engine": eng.name, "dsp": dsp_used and eng.dsp_kernels,
            "model": str(model), "elf": str(elf), "memory": mem,
            "budget": {"flash_bytes": board.flash_bytes, "ram_bytes": board.ram_bytes},
            "codegen": codegen_report,
            "context": ({"where": "device", "window": int(meta["window"]), "hosts": n_hosts,
                         "row_bytes": row_bytes(meta), "table_bytes": mem["ram"]["hosts"]}
                        if n_hosts else {"where": "none" if int(meta.get("window", 1) or 1) <= 1 else "host"}),
        }
        write_text(tmp / "build.json", json.dumps(report, indent=2, sort_keys=True, default=str) + "\n")
    failed_log.unlink(missing_ok=True)
    log(f"built {elf}")
    log(format_summary(mem, board))
    return report
