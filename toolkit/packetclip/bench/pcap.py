"""pcap -> flows rate on a generated capture (target: >= 50,000 packets/s)."""

import tempfile
import time
from pathlib import Path

N_PACKETS = 300_000
N_FLOWS = 5_000


def run(out_dir: Path) -> dict:
    from packetclip.data.pcap import flows_csv_text, read_flows
    from packetclip.data.pcap_synth import synthetic_traffic, write_frames

    with tempfile.TemporaryDirectory() as tmp:
        cap = Path(tmp) / "bench.pcap"
        write_frames(cap, synthetic_traffic(N_PACKETS, n_flows=N_FLOWS, seed=0))
        size = cap.stat().st_size
        t0 = time.perf_counter()
        cols, stats = read_flows(cap)
        t1 = time.perf_counter()
        text = flows_csv_text(cols)
        t2 = time.perf_counter()
    return {
        "packets": stats.packets,
        "flows": stats.flows,
        "capture_bytes": size,
        "csv_bytes": len(text),
        "read_s": round(t1 - t0, 3),
        "csv_s": round(t2 - t1, 3),
        "packets_per_s": round(stats.packets / (t1 - t0)),
        "packets_per_s_with_csv": round(stats.packets / (t2 - t0)),
        "target_packets_per_s": 50_000,
        "meets_target": stats.packets / (t2 - t0) >= 50_000,
    }
