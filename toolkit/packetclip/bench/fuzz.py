"""The long pass of the differential fuzzer (codegen/fuzz.py): random int8 models made by
litert-torch PT2E (and synthesized int8 residual blocks), each run by the aot engine's host
build (reference C and DSP stand-ins) and by the TFLM runtime on random inputs; differences
counted by cause. `make test` runs a short pass (tests/codegen/test_fuzz.py)."""

import os
from pathlib import Path

MODELS = int(os.environ.get("PACKETCLIP_BENCH_FUZZ_MODELS", 60))
INPUTS = 200
SEED = 2026


def run(out_dir: Path) -> dict:
    from packetclip.codegen.fuzz import fuzz

    s = fuzz(models=MODELS, inputs=INPUTS, seed=SEED, work=Path(out_dir) / "fuzz-work", isolate=True,
             log=lambda m: print("  " + m, flush=True))
    s["records"] = [{k: v for k, v in r.items() if k != "reports"} | {"reports": r.get("reports", [])[:1]} for r in s["records"]]
    return s
