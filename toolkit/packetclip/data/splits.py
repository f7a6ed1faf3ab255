"""Train/validation/test splits of a FlowTable: stratified, by time, or by source host.

Random (stratified) splits of flows cut from one capture leak: neighbouring flows of the same
attack run are near-copies, so test scores come out optimistic. Where the data has
timestamps or addresses, prefer kind="time" or kind="host".
"""

import numpy as np

from packetclip.errors import PacketclipError

KINDS = ("stratified", "time", "host")


def _check_fractions(test, val):
    if not (0 < test < 1) or not (0 <= val < 1) or test + val >= 1:
        raise PacketclipError(f"split fractions test={test} val={val}: need 0 < test, 0 <= val and test + val < 1")


def _result(n, parts):
    out = {k: np.sort(np.asarray(v, dtype=np.int64)) for k, v in parts.items()}
    assert sum(len(v) for v in out.values()) == n
    return out


def split_indices(t, kind="stratified", test=0.3, val=0.0, seed=0):
    """{"train": idx, "val": idx, "test": idx} (sorted int64 row indices, disjoint, covering all rows)."""
    _check_fractions(test, val)
    n = len(t.labels)
    if kind == "stratified":
        return _stratified(t, n, test, val, seed)
    if kind == "time":
        return _by_time(t, n, test, val)
    if kind == "host":
        return _by_host(t, n, test, val, seed)
    raise PacketclipError(f"split kind '{kind}': unknown; use one of {', '.join(KINDS)}")


def _stratified(t, n, test, val, seed):
    rng = np.random.default_rng(seed)
    need = 2 + (val > 0)
    parts = {"train": [], "val": [], "test": []}
    classes, inv = np.unique(t.labels, return_inverse=True)
    for c, cls in enumerate(classes):
        idx = np.flatnonzero(inv == c)
        if len(idx) < need:
            raise PacketclipError(
                f"{t.source}: class '{cls}' has {len(idx)} row(s); a stratified {'train/val/test' if val else 'train/test'} "
                f"split needs at least {need} per class; add rows, map the class away with --labels, or use --split time|host")
        idx = rng.permutation(idx)
        n_test = max(1, int(round(test * len(idx))))
        n_val = max(1, int(round(val * len(idx)))) if val > 0 else 0
        if len(idx) - n_test - n_val < 1:
            n_test -= 1 if n_test > 1 else 0
            n_val -= 1 if len(idx) - n_test - n_val < 1 and n_val > 1 else 0
        parts["test"].append(idx[:n_test])
        parts["val"].append(idx[n_test:n_test + n_val])
        parts["train"].append(idx[n_test + n_val:])
    return _result(n, {k: np.concatenate(v) if v else [] for k, v in parts.items()})


def _by_time(t, n, test, val):
    ts = t.meta.get("timestamp")
    if ts is None or np.all(np.isnan(ts)):
        raise PacketclipError(
            f"{t.source}: --split time needs a Timestamp column and this file ({t.dialect}) has none; "
            "use --split stratified, or --split host if it has source addresses")
    order = np.argsort(np.nan_to_num(ts, nan=-np.inf), kind="stable")
    n_test, n_val = int(round(test * n)), int(round(val * n))
    n_train = n - n_test - n_val
    if n_train < 1 or n_test < 1:
        raise PacketclipError(f"{t.source}: {n} rows are too few for a time split with test={test}")
    return _result(n, {"train": order[:n_train], "val": order[n_train:n_train + n_val], "test": order[n_train + n_val:]})


def _by_host(t, n, test, val, seed):
    hosts = t.meta.get("src_ip")
    if hosts is None:
        raise PacketclipError(
            f"{t.source}: --split host needs source addresses (a 'Src IP'/'Source IP' column) and this file ({t.dialect}) has none; "
            "use --split stratified, or --split time if it has timestamps")
    uniq, inv = np.unique(hosts, return_inverse=True)
    want = {"test": test, "val": val, "train": 1 - test - val}
    names = [k for k in ("test", "val", "train") if want[k] > 0]
    if len(uniq) < len(names):
        raise PacketclipError(f"{t.source}: {len(uniq)} distinct source address(es); a host split into "
                              f"{'/'.join(names)} needs at least {len(names)}; use --split time or stratified")
    sizes = np.bincount(inv, minlength=len(uniq))
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(uniq))
    order = order[np.argsort(-sizes[order], kind="stable")]  # big hosts first, ties in seeded order
    have = {k: 0 for k in names}
    assign = np.empty(len(uniq), dtype=np.int8)
    for rank, g in enumerate(order):
        empty = [k for k in names if have[k] == 0]
        left = len(order) - rank
        if empty and left <= len(empty):  # every split gets at least one host
            k = empty[0]
        else:
            k = min(names, key=lambda s: (have[s] + sizes[g]) / n - want[s])
        assign[g] = names.index(k)
        have[k] += sizes[g]
    row_split = assign[inv]
    parts = {k: np.flatnonzero(row_split == names.index(k)) if k in names else np.empty(0, np.int64)
             for k in ("train", "val", "test")}
    return _result(n, parts)
