"""The flows of a windowed bundle as a device with a host table receives them, and what that
device must compute for them (the host reference).

A deployed sensor sees flows one at a time as they end; the device keeps each host's recent
flows (firmware/core/hosts.c). The harness streams a flow file the same way: every flow, in
stream order (start time, ties in file order), one FLOW each. The reference is
`packetclip.data.prep.window_index` with the device's table capacity, so the golden model sees
exactly the windows the device builds, evictions and returning hosts included.
"""

from dataclasses import dataclass

import numpy as np

from packetclip.data import prep
from packetclip.errors import PacketclipError


@dataclass
class FlowStream:
    keys: np.ndarray          # uint32 host key per flow (file order)
    starts_us: np.ndarray     # int64 start time in microseconds (file order)
    rows: np.ndarray          # int8 [n, row bytes]: each flow quantized alone
    labels: np.ndarray        # canonical class per flow
    scored: np.ndarray        # bool per flow: counts for the metrics (streamed either way)
    where: str
    out_of_order: int         # rows of the file that start before the row above them
    addresses: int
    collisions: int           # addresses sharing a host key with another address

    def __len__(self):
        return len(self.keys)

    @property
    def order(self):
        """Row indices in the order the flows are sent."""
        return prep.stream_order(self.starts_us)

    def reference(self, bundle, capacity):
        """(int8 windows [n, input bytes] the device must build, history lengths [n], WindowStats)."""
        idx, stats = prep.window_index(self.keys, self.starts_us, bundle.window, capacity)
        pad = np.vstack([self.rows, np.full((1, self.rows.shape[1]), bundle.pad_int8, np.int8)])
        windows = pad[np.where(idx < 0, len(self.rows), idx)].reshape(len(self.rows), -1)
        stats.addresses, stats.collisions = self.addresses, self.collisions
        return windows, (idx[:, :-1] >= 0).sum(axis=1).astype(np.uint8), stats


def flow_stream(bundle, data=None, limit=None):
    """Every flow of FILE, all scored when it is another capture than the bundle's training data;
    of the bundle's own data only the test split is scored (every flow is streamed either way:
    the device's windows need each host's whole history)."""
    from packetclip.bundle.verify import feature_matrix
    from packetclip.data import split_indices
    from packetclip.device.conform import scored_rows

    table, where, split = scored_rows(bundle, data)
    if prep.context_kind(table.meta) == "none":
        raise PacketclipError(f"{where}: the device keeps each host's flows, which needs source addresses and timestamps "
                              "(Src IP and Timestamp columns); give --data with flows that have them")
    ts = np.asarray(table.meta["timestamp"], np.float64)
    starts = np.round(np.nan_to_num(ts, nan=0.0) * 1e6).astype(np.int64)
    keys, uniq = prep.host_keys(table.meta["src_ip"])
    n = len(starts)
    scored = np.ones(n, bool)
    if split is not None:
        scored[:] = False
        scored[split_indices(table, kind=split["kind"], test=split["test"], val=split.get("val", 0.0), seed=split["seed"])["test"]] = True
        where += " (every flow streamed for the device's context, the test split scored)"
    q = bundle.meta["input"]
    Z = bundle.transform(feature_matrix(table, bundle.meta["features"], where))
    rows = prep.quantize(Z, q["scale"], q["zero_point"])
    labels = np.asarray(table.labels).astype(str)
    if limit is not None and limit < n:   # a prefix of the stream keeps every window exact
        keep = np.sort(prep.stream_order(starts)[:limit])
        keys, starts, rows, labels, scored = keys[keep], starts[keep], rows[keep], labels[keep], scored[keep]
        where += f", the first {limit} flows of the stream"
    return FlowStream(keys=keys, starts_us=starts, rows=rows, labels=labels, scored=scored, where=where,
                      out_of_order=int((np.diff(starts) < 0).sum()), addresses=len(uniq),
                      collisions=int(len(uniq) - len(np.unique(prep.host_keys(uniq)[0]))))
