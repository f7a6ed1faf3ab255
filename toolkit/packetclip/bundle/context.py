"""The on-device temporal context of a windowed bundle: how many bytes a host table takes and
how many hosts a build gets by default. One place for these facts: distill sizes the model
with the table counted in RAM, build passes -DPACKETCLIP_HOSTS, swap and conform report it.

A table entry is firmware/core/hosts.c's host_t: u32 key, u32 last-seen stamp, u8 length,
u8 ring head, then (W-1) rows of the flow's int8 features, padded to 4 bytes.
"""

MAX_HOSTS = 256          # a linear scan of more keys per flow stops paying off on a microcontroller
TABLE_SHARE = 8          # by default the table may take 1/8 of the board's RAM


def entry_bytes(window, row_bytes):
    return (10 + (window - 1) * row_bytes + 3) // 4 * 4


def table_bytes(hosts, window, row_bytes):
    return 0 if window <= 1 or hosts <= 0 else hosts * entry_bytes(window, row_bytes)


def hosts_for(ram_bytes, window, row_bytes):
    """Hosts that fit `ram_bytes` of table (at least 1, at most MAX_HOSTS)."""
    return max(1, min(MAX_HOSTS, ram_bytes // entry_bytes(window, row_bytes)))


def build_hosts(meta, board, hosts=None):
    """Hosts of the table a build of this bundle gets: `hosts` (the user's --hosts), else what
    distill chose (model.json "context"), else what 1/8 of the board's RAM holds; 0 for a
    per-flow model."""
    window = int(meta.get("window", 1) or 1)
    if window <= 1:
        return 0
    if hosts is not None:
        return int(hosts)
    chosen = (meta.get("context") or {}).get("hosts")
    if chosen:
        return int(chosen)
    return hosts_for(board.ram_bytes // TABLE_SHARE, window, row_bytes(meta))


def row_bytes(meta):
    """int8 bytes of one flow in a windowed bundle's input."""
    n = 1
    for d in meta["input"]["shape"][1:]:
        n *= int(d)
    return n // int(meta.get("window", 1) or 1)
