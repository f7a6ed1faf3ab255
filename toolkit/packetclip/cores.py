"""The CPU cores a board file may name: the one list board checks and SWaP estimates use.

cycles_per_mac: rough int8 cycles per multiply-accumulate of the aot kernels, for SWaP
estimates of boards with no measurement (reference C ~3-4, Arm DSP SMLAD ~1.5).
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Core:
    name: str
    arch: str
    dsp: bool              # has DSP/SIMD instructions (Arm: the DSP extension the aot DSP kernels use)
    cycles_per_mac: float


CORES = {c.name: c for c in (
    Core("cortex-m0plus", "armv6-m", False, 4.0),
    Core("cortex-m3", "armv7-m", False, 3.0),
    Core("cortex-m4", "armv7e-m", True, 1.6),
    Core("cortex-m7", "armv7e-m", True, 1.2),
    Core("cortex-m33", "armv8-m.main", True, 1.6),
    Core("cortex-m55", "armv8.1-m.main", True, 1.0),
    Core("rv32imc", "rv32imc", False, 3.5),
    Core("xtensa-lx6", "xtensa", False, 3.0),
    Core("xtensa-lx7", "xtensa", True, 2.0),
    Core("host", "host", False, 1.0),
)}
