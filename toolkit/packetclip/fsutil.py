"""Atomic writes: a file appears whole or not at all."""

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

from packetclip.errors import PacketclipError


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def make_parent(path):
    """Create the folder an output goes into; one line when it cannot exist."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise PacketclipError(f"{path}: cannot create it, a file stands where a folder of its path should be; "
                              "give an output path under a folder") from None
    except OSError as exc:
        raise PacketclipError(f"{path}: cannot create its folder ({exc.strerror or exc}); give a writable output path") from None


@contextlib.contextmanager
def atomic_path(path, suffix=""):
    """Yield a temp path beside `path`; rename it onto `path` only if the block succeeds."""
    path = Path(path)
    make_parent(path)
    if path.is_dir():
        raise PacketclipError(f"{path}: is a folder; give a file path for this output")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix or ".tmp", dir=path.parent)
    except OSError as exc:
        raise PacketclipError(f"{path}: cannot write there ({exc.strerror or exc}); give a writable output path") from None
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual file mode
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_bytes(path, data):
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_text(path, text):
    write_bytes(path, text.encode("utf-8"))


@contextlib.contextmanager
def atomic_dir(path, marker, what="output folder"):
    """Yield a temp folder beside `path`; it replaces `path` only if the block succeeds.

    `marker` is the file every such output holds: an existing non-empty folder without it is
    the user's, and is refused rather than replaced (check_out_dir)."""
    path = Path(path)
    check_out_dir(path, marker, what)
    make_parent(path)
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    except OSError as exc:
        raise PacketclipError(f"{path}: cannot write there ({exc.strerror or exc}); give a writable output path") from None
    try:
        yield tmp
        os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes 0700
        if path.exists():
            old = path.with_name(f".{path.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(path, old)
            os.replace(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def check_out_dir(path, marker, what):
    """Refuse an output folder we must not replace: an existing file, or a non-empty folder
    that is not one of ours (it lacks `marker`, the file every such output holds)."""
    path = Path(path)
    if path.is_symlink() or (path.exists() and not path.is_dir()):
        raise PacketclipError(f"{path}: exists and is not a folder; give a folder path for the {what}")
    if path.is_dir() and any(path.iterdir()) and not (path / marker).exists():
        raise PacketclipError(f"{path}: is a folder with other files in it (no {marker}); packetclip replaces only "
                              f"a {what} it wrote: give an empty or new folder")
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise PacketclipError(f"{path}: cannot create it, {parent} is not a folder; give a path under a folder")
