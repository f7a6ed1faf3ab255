"""Build firmware for a board: generate the model's C code, configure CMake, build, size.

    from packetclip.firmware import build_firmware
    report = build_firmware("mps2-an386", "models/cicids2017-mlp", engine="aot")
    report["elf"], report["memory"]["flash_bytes"]
"""

from packetclip.firmware.build import build_firmware, configure_and_build
from packetclip.firmware.folder import build_dir

__all__ = ["build_dir", "build_firmware", "configure_and_build"]
