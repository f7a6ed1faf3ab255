"""The inference engines: the one list codegen, the firmware build, the CLI and the protocol
derive from (esptool's CHIP_DEFS is the shape).

    engine = get_engine("aot")
    engine.info_id      # the engine byte in INFO (firmware/include/packetclip/engine.h PC_ENGINE_*)
    engine.cmake        # -DPACKETCLIP_ENGINE=<value> of the top-level CMakeLists.txt
    engine.files(...)   # code generator: parsed .tflite -> {file name: text}, report facts
"""

import importlib
from dataclasses import dataclass

from packetclip.errors import PacketclipError


@dataclass(frozen=True)
class Engine:
    name: str
    info_id: int
    cmake: str
    generator: str         # "module:function" (imported when used, so this module stays light)
    summary: str
    needs_tflm_tree: bool  # Cortex-M builds need -DTFLM_ROOT (TFLM's sources are in no registry here)
    dsp_kernels: bool      # the build can select the Arm DSP kernel path

    def files(self, *args, **kw):
        module, func = self.generator.split(":")
        return getattr(importlib.import_module(module), func)(*args, **kw)


ENGINES = {e.name: e for e in (
    Engine("aot", 1, "aot", "packetclip.codegen.generate:aot_files",
           "C generated ahead of time from the int8 graph, calling the int8 kernels of firmware/engine/aot",
           needs_tflm_tree=False, dsp_kernels=True),
    Engine("tflm", 2, "tflm", "packetclip.codegen.generate:tflm_files",
           "TensorFlow Lite Micro's MicroInterpreter with an op resolver generated from the model",
           needs_tflm_tree=True, dsp_kernels=False),
)}
NAMES = tuple(ENGINES)
BY_INFO_ID = {e.info_id: e for e in ENGINES.values()}


def get_engine(name, where="--engine"):
    try:
        return ENGINES[name]
    except (KeyError, TypeError):
        raise PacketclipError(f"{where} {name}: unknown engine; use one of {', '.join(NAMES)}") from None
