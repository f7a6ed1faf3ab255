"""Small helpers that print numbers and arrays as deterministic C source."""

import numpy as np

ALIGN_MACRO = """#if defined(__GNUC__) || defined(__clang__)
#define PC_ALIGNED(n) __attribute__((aligned(n)))
#else
#define PC_ALIGNED(n)
#endif
"""


def c_array(ctype, name, values, per_line=20, align=None, static=True, const=True):
    vals = [int(v) for v in np.asarray(values).reshape(-1)]
    if not vals:
        vals = [0]
    lines = []
    for i in range(0, len(vals), per_line):
        lines.append("    " + ", ".join(str(v) for v in vals[i:i + per_line]) + ",")
    attr = f" PC_ALIGNED({align})" if align else ""
    prefix = ("static " if static else "") + ("const " if const else "")
    return f"{prefix}{ctype} {name}[{len(vals)}]{attr} = {{\n" + "\n".join(lines) + "\n};\n"


def c_bytes(name, data, per_line=16, align=16, cxx=False):
    """A byte array for the model flatbuffer (alignas in C++, attribute in C)."""
    data = bytes(data)
    lines = []
    for i in range(0, len(data), per_line):
        lines.append("    " + ", ".join(f"0x{b:02x}" for b in data[i:i + per_line]) + ",")
    head = f"alignas({align}) const unsigned char {name}[{len(data)}] = {{" if cxx else \
        f"const unsigned char {name}[{len(data)}] PC_ALIGNED({align}) = {{"
    return head + "\n" + "\n".join(lines) + "\n};\n"


def c_float(x):
    """A float32 value as a C float literal that round-trips exactly."""
    v = float(np.float32(x))
    r = repr(v)
    if "inf" in r or "nan" in r:
        raise ValueError(f"non-finite scale {r}")
    if "e" not in r and "." not in r:
        r += ".0"
    return r + "f"


def c_double(x):
    r = repr(float(x))
    if "e" not in r and "." not in r:
        r += ".0"
    return r


def c_init(value):
    """A C initializer: ints and strings as they are, lists as {a, b, ...}."""
    if isinstance(value, (list, tuple)):
        return "{" + ", ".join(c_init(v) for v in value) + "}"
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    return str(value)


def c_struct(ctype, name, fields, static=True):
    """A const struct with C99 designated initializers, one field per line (order-proof)."""
    body = "".join(f"    .{k} = {c_init(v)},\n" for k, v in fields.items())
    return f"{'static ' if static else ''}const {ctype} {name} = {{\n{body}}};\n"
