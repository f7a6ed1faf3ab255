"""Differential fuzzer: random multi-layer int8 models, made the way the real converters make
them, run by the aot engine (host build, reference C and DSP paths) and by the TFLM runtime
on random inputs; every difference traced to its first tensor and classified by cause.

    summary = fuzz(models=20, inputs=100, seed=0)

Models come from two makers:
- `litert`: a random torch module (MLP, Conv2D stack with depthwise/pointwise/strided/dilated
  convolutions and pools, Conv1D stack; random depths and widths, fused ReLU/ReLU6/hardtanh or
  none) quantized with litert-torch PT2E, per-tensor or per-channel at random, calibrated on
  inputs whose range is drawn at random so that zero points land across the whole int8 range.
  This litert-torch leaves residual ADDs (and MULs) in float, so no skip connection comes out
  of it fully int8.
- `synth`: the int8 residual blocks TF's converter emits (FULLY_CONNECTED or CONV_2D branches
  joined by ADD with its own scale and zero point and a fused activation, MUL gates,
  CONCATENATION), written directly as flatbuffers. TF's converter itself runs only when
  tensorflow is installed (the optional `keras` extra); it is not here.
A model the bundle checks reject (float left in the graph, an op the engines lack) is counted
as rejected with the reason, not run. Needs torch and litert-torch (the `train` extra).
"""

import numpy as np

from packetclip.errors import PacketclipError

CAUSES = ("scale_product_rounding", "aot_arithmetic", "tflm_runtime", "dsp_vs_reference", "unexplained")
DEBUG_PER_MODEL = 3      # full reports kept per model
TRACE_PER_MODEL = 25     # differing inputs traced (classified) per model


# ---- litert-torch models --------------------------------------------------------------

def _act(torch, rng):
    return [None, torch.nn.ReLU(), torch.nn.ReLU6(), torch.nn.Hardtanh()][int(rng.integers(0, 4))]


def _torch_model(rng):
    """(module, input shape (NCHW / NC / NCL), description)."""
    import torch

    kind = str(rng.choice(["mlp", "conv2d", "conv1d"], p=[0.35, 0.45, 0.2]))
    layers, desc = [], []

    def add(m, what):
        layers.append(m)
        desc.append(what)
        a = _act(torch, rng)
        if a is not None and rng.random() < 0.75:
            layers.append(a)
            desc.append(type(a).__name__)
    if kind == "mlp":
        n = int(rng.integers(1, 97))
        shape = (1, n)
        for _ in range(int(rng.integers(1, 5))):
            m = int(rng.integers(1, 97))
            add(torch.nn.Linear(n, m, bias=bool(rng.random() < 0.9)), f"fc{n}x{m}")
            n = m
    else:
        c = int(rng.choice([1, 2, 3, 4, 8, 12, 16]))
        h = int(rng.integers(4, 17))
        w = int(rng.integers(4, 17)) if kind == "conv2d" else None
        shape = (1, c, h, w) if kind == "conv2d" else (1, c, h)
        conv = torch.nn.Conv2d if kind == "conv2d" else torch.nn.Conv1d
        for _ in range(int(rng.integers(1, 5))):
            k = int(rng.choice([1, 3, 3, 5])) if h >= 5 else 1
            stride = int(rng.choice([1, 1, 2])) if h >= 6 else 1
            dil = 2 if (k == 3 and stride == 1 and h >= 8 and rng.random() < 0.15) else 1
            pad = int(rng.choice([0, (k // 2) * dil]))
            style = str(rng.choice(["full", "depthwise", "pointwise"], p=[0.5, 0.3, 0.2]))
            if style == "depthwise":
                oc, groups = c * int(rng.choice([1, 1, 2])), c
            elif style == "pointwise":
                k, pad, dil, oc, groups = 1, 0, 1, int(rng.integers(1, 25)), 1
            else:
                oc, groups = int(rng.integers(1, 25)), 1
            add(conv(c, oc, k, stride=stride, padding=pad, dilation=dil, groups=groups), f"{style}{k}s{stride}d{dil}p{pad}:{c}->{oc}")
            c = oc
            h = (h + 2 * pad - dil * (k - 1) - 1) // stride + 1
            if kind == "conv2d":
                w = (w + 2 * pad - dil * (k - 1) - 1) // stride + 1
            if h < 1 or (w is not None and w < 1):
                raise ValueError("empty feature map")
            if kind == "conv2d" and h >= 4 and w >= 4 and rng.random() < 0.25:
                pool = torch.nn.AvgPool2d(2) if rng.random() < 0.5 else torch.nn.MaxPool2d(2)
                layers.append(pool)
                desc.append(type(pool).__name__)
                h, w = h // 2, w // 2
        if kind == "conv2d" and rng.random() < 0.5:
            layers += [torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(c, int(rng.integers(2, 12)))]
            desc.append("gap+fc")
    return torch.nn.Sequential(*layers).eval(), shape, f"{kind}: " + ", ".join(desc)


def _litert_model(rng):
    from packetclip.distill import convert as C

    torch, PT2EQuantizer, cfg, _, prepare_pt2e, _, _ = C._imports()
    torch.manual_seed(int(rng.integers(0, 1 << 31)))
    module, shape, desc = _torch_model(rng)
    with torch.no_grad():   # shift biases so activations (and zero points) move off centre
        for m in module.modules():
            if getattr(m, "bias", None) is not None:
                m.bias += float(rng.normal(0, 0.5))
    per_channel = bool(rng.random() < 0.5)
    q = PT2EQuantizer().set_global(cfg(is_per_channel=per_channel))
    lo = float(rng.uniform(-4, 3))
    hi = lo + float(rng.uniform(0.05, 6))
    sample = torch.zeros(shape)
    prepared = prepare_pt2e(torch.export.export(module, (sample,)).module(), q)
    with torch.no_grad():
        for _ in range(16):
            prepared(torch.rand(shape) * (hi - lo) + lo)
    tfl = C.to_tflite(prepared, q, shape)
    return tfl, f"litert {'per-channel' if per_channel else 'per-tensor'}, inputs in [{lo:.2f}, {hi:.2f}]: {desc}"


# ---- int8 residual blocks as TF's converter writes them ----------------------------------

def _synth_model(rng):
    from packetclip.codegen.synth import ModelBuilder

    b = ModelBuilder()

    def scale(a=0.005, z=0.3):
        return float(np.exp(rng.uniform(np.log(a), np.log(z))))

    def zp():
        return int(rng.integers(-128, 128))

    def act():
        return str(rng.choice(["NONE", "RELU", "RELU6", "NONE"]))
    conv = rng.random() < 0.5
    per_channel = bool(rng.random() < 0.5)
    if conv:
        shape = [1, int(rng.integers(2, 9)), int(rng.integers(2, 9)), int(rng.choice([1, 4, 8]))]
    else:
        shape = [1, int(rng.integers(1, 65))]
    n = shape[-1]
    s_x, z_x = scale(), zp()
    x = b.tensor(shape, scale=s_x, zero_point=z_x)
    first, desc = x, []

    def layer(x, s_in, a):
        ws = [scale(0.001, 0.05) for _ in range(n)] if per_channel else [scale(0.001, 0.05)]
        if conv:
            w = b.tensor([n, 3, 3, n], scale=ws, zero_point=[0] * len(ws), data=rng.integers(-127, 128, (n, 3, 3, n)))
        else:
            w = b.tensor([n, n], scale=ws, zero_point=[0] * len(ws), data=rng.integers(-127, 128, (n, n)))
        bias = b.tensor([n], dtype="INT32", scale=[float(np.float32(s_in) * np.float32(s)) for s in ws],
                        zero_point=[0] * len(ws), data=rng.integers(-20000, 20000, n))
        s_out, z_out = scale(0.02, 1.0), (-128 if a != "NONE" and rng.random() < 0.7 else zp())
        y = b.tensor(shape, scale=s_out, zero_point=z_out)
        if conv:
            b.op("CONV_2D", [x, w, bias], [y], padding="SAME", stride_h=1, stride_w=1, fused_activation_function=a)
        else:
            b.op("FULLY_CONNECTED", [x, w, bias], [y], fused_activation_function=a)
        return y, s_out
    s = s_x
    for _ in range(int(rng.integers(1, 4))):
        h, s_h = layer(x, s, act())
        h, s_h = layer(h, s_h, "NONE")
        kind = str(rng.choice(["ADD", "ADD", "MUL", "CONCATENATION"]))
        if kind == "CONCATENATION":   # same quantization on both sides, as TFLM requires
            h2 = b.tensor(shape, scale=s, zero_point=int(b.tensors[x].quantization.zeroPoint[0]))
            b.op("QUANTIZE", [h], [h2])
            out_shape = shape[:-1] + [2 * n]
            y = b.tensor(out_shape, scale=s, zero_point=int(b.tensors[x].quantization.zeroPoint[0]))
            b.op("CONCATENATION", [x, h2], [y], axis=len(shape) - 1)
            w = b.tensor([n, 2 * n] if not conv else [n, 1, 1, 2 * n], scale=[scale(0.001, 0.05)], zero_point=[0],
                         data=rng.integers(-127, 128, (n, 2 * n) if not conv else (n, 1, 1, 2 * n)))
            s_o = scale(0.02, 1.0)
            o = b.tensor(shape, scale=s_o, zero_point=zp())
            if conv:
                b.op("CONV_2D", [y, w, -1], [o], padding="VALID", stride_h=1, stride_w=1, fused_activation_function="NONE")
            else:
                b.op("FULLY_CONNECTED", [y, w, -1], [o], fused_activation_function="NONE")
            x, s = o, s_o
        else:
            s_o = scale(0.02, 1.0) * (3 if kind == "MUL" else 1)
            y = b.tensor(shape, scale=s_o, zero_point=zp())
            b.op(kind, [x, h] if rng.random() < 0.5 else [h, x], [y], fused_activation_function=act())
            x, s = y, s_o
        desc.append(kind)
    return b.build([first], [x]), (f"synth {'conv' if conv else 'fc'} {'per-channel' if per_channel else 'per-tensor'} "
                                   f"{shape}: residual blocks joined by " + ", ".join(desc))


# ---- the comparison ---------------------------------------------------------------------------

def check_model(tflite, inputs, seed, work):
    """One model: aot (reference C and DSP stand-ins, host) vs TFLM on `inputs` random inputs.
    Returns a record (differences by cause; the debugger's reports of the first few)."""
    from packetclip.bundle.checks import check_tflite
    from packetclip.bundle.golden import run_tflm
    from packetclip.codegen.debug import HostTrace, first_difference
    from packetclip.codegen.generate import generate_tflite
    from packetclip.codegen.hostrun import build_host

    try:
        s = check_tflite(tflite, "fuzz.tflite")
        generate_tflite(tflite, work / "gen", engine="aot")
    except PacketclipError as exc:
        return {"rejected": str(exc).split(": ", 1)[-1][:200]}
    n_in = int(np.prod(s["input"]["shape"]))
    X = np.random.default_rng(seed).integers(-128, 128, (inputs, n_in), dtype=np.int8)
    X[0], X[min(1, inputs - 1)] = -128, 127
    want = run_tflm(tflite, X).reshape(inputs, -1)
    ref = build_host(work / "gen", dsp=False, work_dir=work).run(X)
    dsp = build_host(work / "gen", dsp=True, work_dir=work).run(X)
    rec = {"ops": s["ops"], "macs": s["macs"], "inputs": inputs, "causes": {}, "reports": []}
    bad_dsp = np.flatnonzero((dsp != ref).any(axis=1))
    if len(bad_dsp):
        rec["causes"]["dsp_vs_reference"] = int(len(bad_dsp))
    bad = np.flatnonzero((ref != want).any(axis=1))
    host = HostTrace(tflite, work / "trace") if len(bad) else None
    for j, i in enumerate(bad[:TRACE_PER_MODEL]):
        rep = first_difference(tflite, X[i], host=host) or {"cause": "unexplained"}
        if j < DEBUG_PER_MODEL:
            rec["reports"].append({"input": int(i), **{k: v for k, v in rep.items() if k != "arithmetic"}})
        cause = rep.get("cause", "unexplained")
        rec["causes"][cause] = rec["causes"].get(cause, 0) + 1
    if len(bad) > TRACE_PER_MODEL:
        rec["causes"]["not traced"] = int(len(bad) - TRACE_PER_MODEL)
    return rec


def one_model(m, mseed, inputs, work, synth_share=0.3):
    """Make model m from its seed and check it; returns its record."""
    import shutil

    mrng = np.random.default_rng(mseed)
    maker = "synth" if mrng.random() < synth_share else "litert"
    rec = {"model": m, "maker": maker, "seed": mseed}
    try:
        tfl, rec["description"] = _synth_model(mrng) if maker == "synth" else _litert_model(mrng)
    except (ValueError, RuntimeError) as exc:   # an empty feature map, a conversion the tools refuse
        return {**rec, "rejected": f"not converted ({str(exc).splitlines()[0][:120]})"}
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    try:
        rec.update(check_model(tfl, inputs, mseed, work))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return rec


def _isolated(m, mseed, inputs, work, synth_share):
    """one_model in a child process: a crash (of TFLM or of the aot host build) is a finding,
    not the end of the run, and the converters' memory goes back with the process."""
    import json
    import subprocess
    import sys

    cmd = [sys.executable, "-m", "packetclip.codegen.fuzz", str(m), str(mseed), str(inputs), str(work), str(synth_share)]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    lines = [ln for ln in r.stdout.splitlines() if ln.startswith("{")]
    if r.returncode != 0 or not lines:
        return {"model": m, "seed": mseed, "crashed": f"exit {r.returncode}: {(r.stderr.strip().splitlines() or [''])[-1][:200]}"}
    return json.loads(lines[-1])


def fuzz(models=10, inputs=100, seed=0, work=None, log=print, synth_share=0.3, isolate=False):
    """Generate `models` models, check each on `inputs` inputs; returns the summary dict.
    isolate=True checks each model in its own process (the long pass)."""
    import tempfile
    from pathlib import Path

    rng = np.random.default_rng(seed)
    root = Path(work or tempfile.mkdtemp(prefix="pc_fuzz_"))
    summary = {"seed": seed, "models": 0, "run": 0, "inputs": 0, "rejected": {}, "crashed": 0,
               "differences": dict.fromkeys(CAUSES, 0), "models_with_differences": 0, "records": [],
               "tf_converter": _tf_available()}
    for m in range(models):
        mseed = int(rng.integers(0, 1 << 31))
        run = _isolated if isolate else one_model
        rec = run(m, mseed, inputs, root / f"m{m}", synth_share)
        summary["models"] += 1
        desc = rec.get("description", f"{rec.get('maker', '?')} seed {mseed}")
        if "crashed" in rec:
            summary["crashed"] += 1
            log(f"model {m} (seed {mseed}): CRASHED {rec['crashed']}")
        elif "rejected" in rec:
            reason = _reason(rec["rejected"])
            summary["rejected"][reason] = summary["rejected"].get(reason, 0) + 1
            log(f"model {m} ({desc}): rejected: {rec['rejected']}")
        else:
            summary["run"] += 1
            summary["inputs"] += inputs
            for k, v in rec["causes"].items():
                summary["differences"][k] = summary["differences"].get(k, 0) + v
            summary["models_with_differences"] += bool(rec["causes"])
            log(f"model {m} ({desc}; {', '.join(rec['ops'])}): "
                + (", ".join(f"{k} {v}" for k, v in rec["causes"].items()) if rec["causes"] else f"{inputs}/{inputs} bit-exact"))
        summary["records"].append(rec)
    return summary


def _reason(msg):
    for key, name in (("FLOAT32", "float tensors left by the converter"), ("uses op", "an op the engines lack"),
                      ("dynamic", "dynamic shape"), ("not converted", "not converted")):
        if key in msg:
            return name
    return "other check"


def _tf_available():
    import importlib.util

    return importlib.util.find_spec("tensorflow") is not None


if __name__ == "__main__":   # one model in a child process (fuzz(isolate=True))
    import json
    import sys
    from pathlib import Path

    m, mseed, n, work, share = sys.argv[1:6]
    print(json.dumps(one_model(int(m), int(mseed), int(n), Path(work), float(share)), default=str))
