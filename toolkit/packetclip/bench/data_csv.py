"""CSV load rate and peak memory on a generated 1,000,000-row ACI-IoT-2023-dialect file.

Targets (issue 2): >= 100,000 rows/s and peak RSS <= 2x the CSV's size. The loader runs in a
fresh subprocess so its peak RSS is its own (interpreter and numpy included).
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from packetclip.data.dialects import COLUMNS
from packetclip.data.schema import FEATURES

ROWS = 1_000_000
LABELS = ["Benign", "DNS Flood", "Dictionary Attack", "ICMP Flood", "OS Scan", "Ping Sweep", "Port Scan",
          "SYN Flood", "Slowloris", "UDP Flood", "Vulnerability Scan", "ARP Spoofing"]

_CHILD = """
import json, sys, time
from packetclip.data.flows import load_flows
def hwm():  # VmHWM resets at exec, unlike ru_maxrss which inherits the parent's peak
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
rss0 = hwm()
t0, c0 = time.perf_counter(), time.process_time()
t = load_flows(sys.argv[1])
dt, cpu = time.perf_counter() - t0, time.process_time() - c0
print(json.dumps({"seconds": dt, "cpu_seconds": cpu, "rows_read": t.report.rows_read, "rows_kept": t.report.rows_kept,
                  "peak_rss_kb": hwm(), "rss_before_kb": rss0,
                  "dropped": t.report.dropped}))
"""


def _pool_rows():
    """Feature cells of the real CIC-IDS2017 sample, verbatim, in canonical order.

    Real values keep the row length and number formatting honest (about 330 bytes of
    features per row, like the original CICFlowMeter output)."""
    import gzip

    from packetclip.data.flows import sample_path
    from packetclip.data.schema import norm_name

    with gzip.open(str(sample_path()), "rt", encoding="utf-8") as f:
        header = [h.strip() for h in f.readline().rstrip("\n").split(",")]
        where = {norm_name(h): i for i, h in enumerate(header)}
        cols = [where[norm_name(COLUMNS["cicids2017"][f])] for f in FEATURES]
        rows = []
        for line in f:
            cells = line.rstrip("\n").split(",")
            rows.append(",".join(cells[c] for c in cols))
    return rows


def generate(path, rows=ROWS, seed=0):
    rng = np.random.default_rng(seed)
    pool = _pool_rows()
    names = ["Flow ID", "Src IP", "Src Port", "Dst IP", "Dst Port", "Protocol", "Timestamp"] + \
        [COLUMNS["aciiot"][f] for f in FEATURES] + ["Label", "Connection Type"]
    pick = rng.integers(0, len(pool), rows)
    sport = rng.integers(1024, 65535, rows)
    host = rng.integers(2, 250, rows)
    dport = rng.choice([22, 53, 80, 443, 1883, 8080], rows)
    lab = rng.integers(0, len(LABELS), rows)
    with open(path, "w", encoding="utf-8") as f:
        f.write(",".join(names) + "\n")
        for s in range(0, rows, 50_000):
            out = []
            for i in range(s, min(rows, s + 50_000)):
                sec = i // 12  # about 12 flows per second
                ts = f"{1 + sec // 86400 % 28:02d}/11/2023 {(sec // 3600) % 12 + 1:02d}:{(sec // 60) % 60:02d}:{sec % 60:02d} {'AM' if sec // 43200 % 2 == 0 else 'PM'}"
                src, dst = f"192.168.1.{host[i]}", "192.168.1.1"
                out.append(f"{src}-{dst}-{sport[i]}-{dport[i]}-6,{src},{sport[i]},{dst},{dport[i]},6,{ts},"
                           f"{pool[pick[i]]},{LABELS[lab[i]]},wireless")
            f.write("\n".join(out) + "\n")


def run(out_dir: Path, rows: int = ROWS) -> dict:
    with tempfile.TemporaryDirectory(prefix="pc-bench-csv-") as tmp:  # deleted after
        path = Path(tmp) / "aciiot-1m.csv"
        t0 = time.perf_counter()
        generate(path, rows)
        gen_s = time.perf_counter() - t0
        size = path.stat().st_size
        env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
        res = subprocess.run([sys.executable, "-c", _CHILD, str(path)], capture_output=True, text=True, env=env, check=True)
        child = json.loads(res.stdout.strip().splitlines()[-1])
    peak = child["peak_rss_kb"] * 1024
    rate = child["rows_read"] / child["seconds"]
    return {
        "rows": child["rows_read"], "rows_kept": child["rows_kept"], "dropped": child["dropped"],
        "csv_bytes": size, "generate_s": round(gen_s, 2), "load_s": round(child["seconds"], 2),
        "rows_per_s": int(rate), "cpu_s": round(child["cpu_seconds"], 2),
        "rows_per_cpu_s": int(child["rows_read"] / child["cpu_seconds"]),
        "load_average_1min": round(os.getloadavg()[0], 2), "peak_rss_bytes": peak, "rss_before_load_bytes": child["rss_before_kb"] * 1024,
        "peak_rss_over_csv": round(peak / size, 3), "parser": "numpy.loadtxt (structured dtype, 4 MiB blocks)",
        "target_rows_per_s": 100_000, "target_peak_over_csv": 2.0,
        "meets_targets": bool(rate >= 100_000 and peak <= 2 * size),
    }


if __name__ == "__main__":
    print(json.dumps(run(Path("."), int(sys.argv[1]) if len(sys.argv) > 1 else ROWS), indent=2))
