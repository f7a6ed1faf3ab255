"""The one reader for files a user hands us: regular files only, bounded size, UTF-8 checked
with the byte offset of the first bad byte, and TOML/JSON/YAML parsed with bounded nesting.

Every failure is one PacketclipError line naming the file and the fix; nothing here blocks on
a FIFO or reads /dev/zero until memory runs out.
"""

import json
import stat
import sys
import tomllib
from pathlib import Path

from packetclip.errors import PacketclipError

CONFIG_MAX_BYTES = 16 << 20      # board files, rules, labels, KG, model.json, transform JSON
MAX_DEPTH = 64                   # nesting of tables/lists in any config file


def _human(n):
    return f"{n / (1 << 20):g} MiB" if n >= 1 << 20 else f"{n} bytes"


def regular_file(path, what="file"):
    """Path of an existing regular file, or one line saying what it is instead."""
    p = Path(path)
    try:
        st = p.stat()
    except FileNotFoundError:
        raise PacketclipError(f"{p}: {what} not found; check the path") from None
    except (PermissionError, OSError) as exc:
        raise PacketclipError(f"{p}: cannot read the {what} ({exc.strerror or exc}); check the path and its permissions") from None
    mode = st.st_mode
    if stat.S_ISREG(mode):
        return p
    kind = ("a folder" if stat.S_ISDIR(mode) else "a FIFO (named pipe)" if stat.S_ISFIFO(mode)
            else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "a socket" if stat.S_ISSOCK(mode)
            else "not a regular file")
    raise PacketclipError(f"{p}: is {kind}; give a regular {what}")


def read_bytes(path, what="file", max_bytes=CONFIG_MAX_BYTES):
    p = regular_file(path, what)
    try:
        size = p.stat().st_size
        if max_bytes is not None and size > max_bytes:
            raise PacketclipError(f"{p}: {_human(size)} is larger than a {what} can be ({_human(max_bytes)}); "
                                  "check that this is the right file")
        with open(p, "rb") as f:
            data = f.read(max_bytes + 1 if max_bytes is not None else -1)
    except PermissionError:
        raise PacketclipError(f"{p}: permission denied; make the {what} readable") from None
    except OSError as exc:
        raise PacketclipError(f"{p}: cannot read the {what} ({exc.strerror or exc})") from None
    if max_bytes is not None and len(data) > max_bytes:
        raise PacketclipError(f"{p}: larger than a {what} can be ({_human(max_bytes)}); check that this is the right file")
    return data


def decode_utf8(data, where):
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PacketclipError(f"{where}: not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
                              "save the file as UTF-8") from None


def read_text(path, what="file", max_bytes=CONFIG_MAX_BYTES):
    return decode_utf8(read_bytes(path, what, max_bytes), path)


def _depth_ok(doc, where):
    """Iterative walk: a document nested deeper than MAX_DEPTH is refused (no recursion here)."""
    stack, seen = [(doc, 1)], set()
    while stack:
        v, d = stack.pop()
        if isinstance(v, (dict, list)):
            if id(v) in seen:        # a YAML alias: shared, walked once (no billion laughs)
                continue
            seen.add(id(v))
        if d > MAX_DEPTH:
            raise PacketclipError(f"{where}: nested more than {MAX_DEPTH} levels deep; flatten the file")
        if isinstance(v, dict):
            stack.extend((x, d + 1) for x in v.values())
        elif isinstance(v, list):
            stack.extend((x, d + 1) for x in v)
    return doc


def _parsed(where, parse, text):
    limit = sys.getrecursionlimit()
    try:
        sys.setrecursionlimit(max(limit, 4 * MAX_DEPTH + 200))
        return _depth_ok(parse(text), where)
    except RecursionError:
        raise PacketclipError(f"{where}: nested more than {MAX_DEPTH} levels deep; flatten the file") from None
    finally:
        sys.setrecursionlimit(limit)


def parse_toml(text, where):
    try:
        return _parsed(where, tomllib.loads, text)
    except tomllib.TOMLDecodeError as exc:
        raise PacketclipError(f"{where}: not valid TOML ({exc}); fix the syntax") from None


def parse_json(text, where, fix="fix the syntax"):
    try:
        return _parsed(where, json.loads, text)
    except json.JSONDecodeError as exc:
        raise PacketclipError(f"{where}: not valid JSON at line {exc.lineno} column {exc.colno} ({exc.msg}); {fix}") from None


def parse_yaml(text, where):
    import yaml

    try:
        return _parsed(where, yaml.safe_load, text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise PacketclipError(f"{where}: not valid YAML{at} ({problem}); fix the syntax") from None


def load_toml(path, what="TOML file"):
    return parse_toml(read_text(path, what), path)


def load_json(path, what="JSON file", fix="fix the syntax"):
    return parse_json(read_text(path, what), path, fix)


def load_yaml(path, what="YAML file"):
    return parse_yaml(read_text(path, what), path)
