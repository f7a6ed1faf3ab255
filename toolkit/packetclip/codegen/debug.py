"""The mismatch debugger: where, on one input, does the aot engine part from the golden model?

    rep = first_difference(tflite_bytes, x, device_output=None)

Runs the generated aot code on the host with an op-by-op trace and the TFLM Python runtime on
the model cut at every op's output (bundle/cut.py), in graph order, and reports the first
tensor whose values differ: node, op, tensor, elements and by how much. For FULLY_CONNECTED and
convolutions it then recomputes the first differing element in TFLM's reference arithmetic
(codegen/tflm_ref.py) to name the cause. With the device's output it first checks that the
device computed what the same code computes on the host (else the port or compiler is at
fault, not the arithmetic).

`explain_mismatches(...)` runs it over the mismatching inputs of a conformance run and writes
nothing; conform writes the session file.
"""

import tempfile
from pathlib import Path

import numpy as np

from packetclip.bundle.tflite import parse_tflite

ARITHMETIC_OPS = ("FULLY_CONNECTED", "CONV_2D", "DEPTHWISE_CONV_2D")
CAUSES = {
    "scale_product_rounding": "a rounding tie where the golden runtime and TFLM for the board compute the output "
                              "multiplier from differently rounded scale products (the device matches TFLM's kernel semantics)",
    "aot_arithmetic": "the aot kernel differs from TFLM's reference arithmetic",
    "tflm_runtime": "the golden runtime differs from TFLM's reference arithmetic",
    "device_vs_host": "the device's output differs from the same generated code run on the host (port, compiler or DSP path)",
    "unexplained": "first differing tensor found; no arithmetic model for this op",
}


class HostTrace:
    """The aot code for one model compiled for this host with the trace hook (built once)."""

    def __init__(self, tflite, work=None, dsp=False):
        from packetclip.codegen.generate import generate_tflite
        from packetclip.codegen.hostrun import build_host

        self.work = Path(work or tempfile.mkdtemp(prefix="pc_debug_"))
        generate_tflite(tflite, self.work / "gen", engine="aot")
        self.model = build_host(self.work / "gen", dsp=dsp, work_dir=self.work, trace=True)

    def run(self, x):
        return self.model.trace(x)

    def output(self, x):
        return self.model.run(np.asarray(x).reshape(1, -1))[0]


def _coords(shape, index):
    return [int(c) for c in np.unravel_index(index, shape)] if shape else []


def first_difference(tflite, x, device_output=None, host=None, max_elements=8):
    """One input -> a report dict (None when device, host and golden model all agree)."""
    from packetclip.bundle.cut import cut_at
    from packetclip.bundle.golden import run_tflm
    from packetclip.codegen import tflm_ref

    tflite = bytes(tflite)
    g = parse_tflite(tflite)
    host = host or HostTrace(tflite)
    x = np.asarray(x, np.int8).reshape(-1)
    trace = host.run(x)
    golden_out = run_tflm(tflite, x[None])[0]
    host_out = host.output(x)
    rep = {"golden_output_differs": bool((golden_out != host_out).any())}
    if device_output is not None:
        dev = np.asarray(device_output, np.int8).reshape(-1)
        diff = np.flatnonzero(dev != host_out)
        if len(diff):
            rep.update(cause="device_vs_host", explanation=CAUSES["device_vs_host"],
                       elements=[{"index": int(i), "device": int(dev[i]), "host": int(host_out[i])} for i in diff[:max_elements]],
                       count=int(len(diff)))
            return rep
        if not (dev != golden_out).any():
            return None
    elif not rep["golden_output_differs"]:
        return None
    T = g.tensors
    values = {g.inputs[0]: x}
    for o in g.operators:
        t = o.outputs[0]
        want = run_tflm(cut_at(tflite, t), x[None])[0].reshape(-1)
        values[t] = want
        if t not in trace:       # a reshape (shared storage) or a PAD folded into its conv
            continue
        got = trace[t].reshape(-1)
        diff = np.flatnonzero(want != got)
        if not len(diff):
            continue
        tensor = T[t]
        els = [{"index": int(i), "coords": _coords(tensor.shape, int(i)), "tflm": int(want[i]), "device": int(got[i]),
                "delta": int(got[i]) - int(want[i])} for i in diff[:max_elements]]
        rep.update(node=o.index, op=o.op, tensor=int(t), name=tensor.name, shape=list(tensor.shape), count=int(len(diff)),
                   max_abs_delta=int(np.abs(got[diff].astype(int) - want[diff].astype(int)).max()), elements=els)
        if o.op in ARITHMETIC_OPS:
            src = values[o.inputs[0]]
            why = tflm_ref.explain(g, o, src, els[0]["index"], els[0]["device"], els[0]["tflm"])
            rep.update(cause=why.pop("cause"), explanation=why.pop("explanation"), arithmetic=why)
            # every differing element of the tensor, classified the same way?
            causes = {tflm_ref.explain(g, o, src, e["index"], e["device"], e["tflm"])["cause"] for e in els}
            rep["causes_of_listed_elements"] = sorted(causes)
        else:
            rep.update(cause="unexplained", explanation=CAUSES["unexplained"])
        return rep
    rep.update(cause="unexplained", explanation="no intermediate tensor differs, yet the outputs do")
    return rep


def summary_line(rep, input_index):
    """The one line conform prints for a mismatch report."""
    if rep is None:
        return f"input {input_index}: no difference"
    if rep.get("cause") == "device_vs_host":
        return f"input {input_index}: the device's output differs from the host build of the same code in {rep['count']} element(s)"
    e = rep["elements"][0]
    head = (f"input {input_index}: first difference at node {rep['node']} ({rep['op']}) tensor {rep['tensor']} "
            f"'{rep['name']}' element {e['index']} {tuple(e['coords'])}: device {e['device']}, TFLM {e['tflm']} "
            f"({rep['count']} element(s), at most {rep['max_abs_delta']} LSB)")
    return head + f"; {rep['explanation']}"
