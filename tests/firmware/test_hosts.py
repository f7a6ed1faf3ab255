"""The device's per-host flow table (firmware/core/hosts.c) against the host reference
(packetclip.data.prep.window_index): same windows, same padding, same evictions, on streams with
more hosts than the table holds, hosts that come back after eviction, and colliding keys."""

import ctypes
import subprocess

import numpy as np
import pytest
from fwutil import REPO

from packetclip.data.prep import host_key, window_index

W, F, ZP = 4, 5, -7


@pytest.fixture(scope="module", params=[1, 3, 8])
def hosts_lib(request, tmp_path_factory):
    n = request.param
    out = tmp_path_factory.mktemp("hosts") / f"libhosts{n}.so"
    subprocess.run(["cc", "-std=c99", "-O1", "-g", "-Wall", "-Wextra", "-Werror", "-shared", "-fPIC",
                    f"-DPC_MODEL_WINDOW={W}u", f"-DPC_MODEL_INPUT_BYTES={W * F}u", f"-DPC_MODEL_INPUT_ZERO_POINT=({ZP})",
                    f"-DPC_HOSTS={n}u", f"-I{REPO / 'firmware/include'}", f"-I{REPO / 'tests/firmware/fake_model'}",
                    str(REPO / "firmware/core/hosts.c"), "-o", str(out)], check=True)
    lib = ctypes.CDLL(str(out))
    lib.pc_hosts_flow.restype = ctypes.c_uint8
    lib.pc_hosts_flow.argtypes = [ctypes.c_uint32, ctypes.c_uint64, ctypes.c_void_p, ctypes.c_void_p]
    lib.pc_hosts_table_bytes.restype = ctypes.c_uint32
    return lib, n


class Stats(ctypes.Structure):
    _fields_ = [(k, ctypes.c_uint32) for k in ("flows", "hosts_seen", "evictions", "out_of_order", "in_table")]


def _device(lib, keys, times, rows):
    lib.pc_hosts_reset()
    out = np.zeros((len(keys), W * F), np.int8)
    hist = []
    for i in range(len(keys)):
        r = np.ascontiguousarray(rows[i])
        hist.append(lib.pc_hosts_flow(int(keys[i]), int(times[i]), r.ctypes.data, out[i].ctypes.data))
    lib.pc_hosts_stats.restype = ctypes.POINTER(Stats)
    return out, np.array(hist), lib.pc_hosts_stats().contents


def _reference(keys, times, rows, capacity):
    idx, stats = window_index(keys, times, W, capacity)
    pad = np.vstack([rows, np.full((1, F), ZP, np.int8)])
    return pad[np.where(idx < 0, len(rows), idx)].reshape(len(rows), -1), (idx[:, :-1] >= 0).sum(axis=1), stats


@pytest.mark.parametrize("seed", range(4))
def test_device_windows_match_the_reference(hosts_lib, seed):
    lib, n = hosts_lib
    rng = np.random.default_rng(seed)
    m = 400
    addrs = [f"10.0.{a // 256}.{a % 256}" for a in rng.integers(0, 3 * n + 2, m)]  # more hosts than the table
    keys = np.array([host_key(a) for a in addrs], np.uint32)
    times = np.cumsum(rng.integers(0, 3, m))   # ties too: arrival order decides
    rows = rng.integers(-128, 128, (m, F), dtype=np.int8)
    got, hist, st = _device(lib, keys, times, rows)
    want, want_hist, ref = _reference(keys, times, rows, n)
    assert np.array_equal(got, want)
    assert np.array_equal(hist, want_hist)
    assert (st.flows, st.evictions, st.out_of_order) == (m, ref.evictions, 0)
    assert st.hosts_seen == ref.evictions + min(n, len(set(keys.tolist())))
    assert ref.evictions > 0 and ref.returns > 0      # the stream exercises eviction and return
    assert lib.pc_hosts_table_bytes() >= n * (W - 1) * F


def test_colliding_keys_share_one_history(hosts_lib):
    lib, n = hosts_lib
    keys = np.array([7, 7, 9, 7], np.uint32)    # two addresses with one key are one host, as in the reference
    rows = np.arange(4 * F, dtype=np.int8).reshape(4, F)
    got, hist, _ = _device(lib, keys, np.arange(4), rows)
    want, want_hist, _ = _reference(keys, np.arange(4), rows, n)
    assert np.array_equal(got, want) and np.array_equal(hist, want_hist)


def test_out_of_order_flows_are_counted_and_taken_in_arrival_order(hosts_lib):
    lib, _ = hosts_lib
    keys = np.array([1, 1, 1], np.uint32)
    rows = np.arange(3 * F, dtype=np.int8).reshape(3, F)
    got, hist, st = _device(lib, keys, np.array([10, 5, 20]), rows)
    assert st.out_of_order == 1 and hist.tolist() == [0, 1, 2]
    assert np.array_equal(got[2].reshape(W, F)[1:], rows)   # arrival order, not time order
