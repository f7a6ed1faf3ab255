"""The differential fuzzer, short pass (the long one is `make bench`: bench/fuzz.py): random
int8 models from litert-torch PT2E and synthesized residual blocks, aot (reference C and DSP
stand-ins) against the TFLM runtime. And its classifier on a model built to hit the one known
golden-runtime difference, so a misclassification cannot pass unnoticed."""

import numpy as np
import pytest

from packetclip.codegen import quant
from packetclip.codegen.fuzz import check_model, fuzz
from packetclip.codegen.synth import ModelBuilder


@pytest.mark.slow
def test_fuzz_short_pass(tmp_path):
    s = fuzz(models=4, inputs=40, seed=7, work=tmp_path, log=lambda m: None)
    assert s["models"] == 4 and s["run"] >= 2, s["rejected"]
    bad = {k: v for k, v in s["differences"].items() if k not in ("scale_product_rounding",) and v}
    assert not bad, [r for r in s["records"] if r.get("causes")]


def _tie_model():
    """A per-tensor FULLY_CONNECTED whose biases put accumulators exactly where the float32 and
    double scale products give different multipliers (found by search, as in docs/conformance.md)."""
    rng = np.random.default_rng(1)

    def rq(a, m, s):
        hi = (a * m + (1 << 30)) >> 31
        return (hi + (1 << (-s - 1)) - (hi < 0)) >> -s
    a = np.arange(-(1 << 20), 1 << 20, dtype=np.int64)
    while True:
        si, sw, so = (np.float32(np.exp(rng.uniform(np.log(lo), np.log(hi)))) for lo, hi in ((0.005, 0.2), (0.001, 0.05), (0.02, 1.0)))
        mf, s = quant.quantize_multiplier(float(si * sw) / float(so))
        md, s2 = quant.quantize_multiplier(float(si) * float(sw) / float(so))
        if mf == md or s != s2 or s >= 0:
            continue
        accs = a[(rq(a, mf, s) != rq(a, md, s)) & (np.abs(rq(a, mf, s)) < 100)][:4]
        if len(accs):
            break
    b = ModelBuilder()
    x = b.tensor([1, 1], scale=float(si), zero_point=0)
    w = b.tensor([len(accs) + 2, 1], scale=[float(sw)], zero_point=[0], data=np.ones((len(accs) + 2, 1)))
    # check_model's first input is all -128: with weight 1 the accumulator is bias - 128
    bias = b.tensor([len(accs) + 2], dtype="INT32", scale=[float(si * sw)], zero_point=[0],
                    data=[int(v) + 128 for v in accs] + [0, 1000])
    y = b.tensor([1, len(accs) + 2], scale=float(so), zero_point=0)
    b.op("FULLY_CONNECTED", [x, w, bias], [y], fused_activation_function="NONE")
    return b.build([x], [y])


def test_classifier_names_the_scale_product_tie(tmp_path):
    rec = check_model(_tie_model(), 8, 0, tmp_path)
    assert rec["causes"].get("scale_product_rounding", 0) >= 1 and set(rec["causes"]) == {"scale_product_rounding"}
    rep = rec["reports"][0]
    assert rep["op"] == "FULLY_CONNECTED" and abs(rep["elements"][0]["delta"]) == 1
