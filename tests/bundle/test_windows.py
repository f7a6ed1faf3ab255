"""Windows of flows per source host, oldest first, padded with absent flows."""

import numpy as np

from packetclip.bundle.windows import build_windows, context_kind, window_rows


def test_windows_follow_each_host_in_time_order():
    meta = {"timestamp": np.array([5.0, 1.0, 2.0, 3.0, 4.0]), "src_ip": np.array(["a", "b", "a", "a", "b"])}
    idx = window_rows(meta, 5, 3)
    # host a: rows 2 (t=2), 3 (t=3), 0 (t=5); host b: rows 1 (t=1), 4 (t=4)
    assert idx.tolist() == [[2, 3, 0], [-1, -1, 1], [-1, -1, 2], [-1, 2, 3], [-1, 1, 4]]
    X = np.arange(10.0).reshape(5, 2)
    W = build_windows(X, idx)
    assert W.shape == (5, 6)
    assert W[3].tolist() == [0, 0, 4, 5, 6, 7]  # padding row, then row 2, then row 3


def test_without_time_or_host_there_is_no_context():
    meta = {"timestamp": None, "src_ip": None}
    assert context_kind(meta) == "none"
    idx = window_rows(meta, 4, 8)
    assert (idx[:, :-1] == -1).all() and idx[:, -1].tolist() == [0, 1, 2, 3]
