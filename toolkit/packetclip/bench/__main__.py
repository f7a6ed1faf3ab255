"""Run every benchmark module and write one JSON per module plus a summary.

    python -m packetclip.bench --out build/bench [--only data_csv,pcap]
"""

import argparse
import importlib
import json
import pkgutil
import sys
import time
import traceback
from pathlib import Path

import packetclip.bench as pkg
from packetclip.fsutil import write_text

# Flow order, so that the distill benchmark finds the teacher the teacher benchmark trained.
FLOW_ORDER = ["data_csv", "pcap", "text", "teacher", "distill", "codegen", "firmware", "harness"]


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m packetclip.bench")
    ap.add_argument("--out", default="build/bench")
    ap.add_argument("--only", default="", help="comma-separated module names")
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    only = {s for s in args.only.split(",") if s}
    found = {m.name for m in pkgutil.iter_modules(pkg.__path__) if not m.name.startswith("_")}
    names = [n for n in FLOW_ORDER if n in found] + sorted(found - set(FLOW_ORDER))
    summary, failed = {}, []
    for name in names:
        if only and name not in only:
            continue
        print(f"bench {name} ...", flush=True)
        t0 = time.monotonic()
        try:
            result = importlib.import_module(f"packetclip.bench.{name}").run(out)
        except Exception:  # a failing benchmark is reported, the others still run
            traceback.print_exc()
            failed.append(name)
            continue
        result = {"wall_s": round(time.monotonic() - t0, 2), **result}
        write_text(out / f"{name}.json", json.dumps(result, indent=2, sort_keys=True) + "\n")
        summary[name] = result
        print(f"bench {name}: {json.dumps(result, sort_keys=True)[:400]}", flush=True)
    write_text(out / "summary.json", json.dumps(summary, indent=2, sort_keys=True) + "\n")
    print(f"wrote {out}/summary.json")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
