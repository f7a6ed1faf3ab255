"""One exception type for every user-facing failure.

The CLI turns a PacketclipError into one line on stderr and exit status 2 (no traceback).
Messages say what is wrong, where (file, row, field) and how to fix it.
"""


class PacketclipError(Exception):
    """A failure the user can fix; its message is printed as one line."""

    exit_code = 2


def fail(where, what, fix=None):
    """Raise a PacketclipError formatted as `where: what (fix)`."""
    msg = f"{where}: {what}"
    if fix:
        msg += f"; {fix}"
    raise PacketclipError(msg)
