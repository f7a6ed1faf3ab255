"""What the package carries besides Python, found with importlib.resources.

`share/` holds the firmware's CMake source tree (CMakeLists.txt + firmware/), the board files
and the default model bundle. In a checkout these are symlinks to the repository's top-level
folders; a wheel holds copies, so `pip install packetclip` works from any folder.
"""

from importlib import resources
from pathlib import Path

from packetclip.errors import PacketclipError

DEFAULT_BUNDLE = "cicids2017-mlp"


def share():
    """The package's data folder as a real directory (CMake and compilers need paths)."""
    p = Path(str(resources.files("packetclip") / "share"))
    if not (p / "CMakeLists.txt").is_file():
        raise PacketclipError(f"{p}: the package's firmware sources are missing; reinstall packetclip")
    return p


def source_tree():
    """CMake source folder of the firmware (holds CMakeLists.txt and firmware/)."""
    return share()


def firmware_dir():
    return share() / "firmware"


def boards_dir():
    return share() / "boards"


def default_bundle():
    """The released model bundle the package ships (models/cicids2017-mlp in the repository)."""
    return share() / "models" / DEFAULT_BUNDLE
