"""Static checks of a .tflite before it becomes (or while it is) a bundle.

A file passes when the firmware engines can run it exactly like TFLM does:
- one subgraph, one input, one output, both INT8 with their quantization recorded;
- every tensor on the data path is INT8 or INT32 (no float activations or weights);
- every operator is a builtin listed in `packetclip.bundle.ops.SUPPORTED_OPS`.
Failures are one-line PacketclipErrors naming the file, the op and the node index.
"""

import numpy as np

from packetclip.errors import PacketclipError

FULL_INT_HINT = (
    "convert with full-integer quantization: litert-torch PT2E static quantization (packetclip distill), "
    "or TFLiteConverter with optimizations=[tf.lite.Optimize.DEFAULT], a representative_dataset, "
    "target_spec.supported_ops=[tf.lite.OpsSet.TFLITE_BUILTINS_INT8] and inference_input_type = "
    "inference_output_type = tf.int8")


def _schema():
    from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as S

    return S


def _supported_ops():
    try:
        from packetclip.bundle.ops import SUPPORTED_OPS
    except ImportError:  # TEMPORARY until the codegen helper's ops.py lands
        SUPPORTED_OPS = ("FULLY_CONNECTED", "RESHAPE")

    return tuple(SUPPORTED_OPS)


def read_graph(data, where="model.tflite"):
    """Parse .tflite bytes into plain dicts: tensors, nodes (op name, inputs, outputs), io."""
    S = _schema()
    try:
        if len(data) < 8 or data[4:8] != b"TFL3":
            raise ValueError("no TFL3 identifier")
        model = S.Model.GetRootAs(data, 0)
        n_sub = model.SubgraphsLength()
    except Exception:  # noqa: BLE001 - any parse failure means "not a TFLite flatbuffer"
        raise PacketclipError(f"{where}: not a TensorFlow Lite flatbuffer; give a .tflite file") from None
    if n_sub != 1:
        raise PacketclipError(f"{where}: has {n_sub} subgraphs; the firmware engines run single-subgraph models (no control flow)")
    ops = {v: k for k, v in vars(S.BuiltinOperator).items() if not k.startswith("_")}
    types = {v: k for k, v in vars(S.TensorType).items() if not k.startswith("_")}
    g = model.Subgraphs(0)
    tensors = []
    for i in range(g.TensorsLength()):
        t = g.Tensors(i)
        buf = model.Buffers(t.Buffer()) if t.Buffer() < model.BuffersLength() else None
        nbytes = buf.DataLength() if buf is not None else 0
        if buf is not None and nbytes == 0 and buf.Size() > 0:
            nbytes = int(buf.Size())  # data stored outside the flatbuffer (large models)
        q = t.Quantization()
        scale = q.ScaleAsNumpy().tolist() if q is not None and q.ScaleLength() else []
        zp = q.ZeroPointAsNumpy().tolist() if q is not None and q.ZeroPointLength() else []
        tensors.append({"index": i, "name": (t.Name() or b"").decode("utf-8", "replace"),
                        "type": types.get(t.Type(), str(t.Type())),
                        "shape": t.ShapeAsNumpy().tolist() if t.ShapeLength() else [],
                        "const": nbytes > 0, "bytes": nbytes, "scale": scale, "zero_point": zp})
    nodes = []
    for i in range(g.OperatorsLength()):
        op = g.Operators(i)
        code = model.OperatorCodes(op.OpcodeIndex())
        builtin = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
        name = ops.get(builtin, str(builtin))
        if name == "CUSTOM":
            name = "CUSTOM:" + (code.CustomCode() or b"?").decode("utf-8", "replace")
        nodes.append({"index": i, "op": name,
                      "inputs": [int(j) for j in (op.InputsAsNumpy() if op.InputsLength() else []) if j >= 0],
                      "outputs": [int(j) for j in (op.OutputsAsNumpy() if op.OutputsLength() else [])]})
    return {"tensors": tensors, "nodes": nodes,
            "inputs": g.InputsAsNumpy().tolist() if g.InputsLength() else [],
            "outputs": g.OutputsAsNumpy().tolist() if g.OutputsLength() else []}


def _macs(graph):
    T = graph["tensors"]
    total = 0
    for n in graph["nodes"]:
        if n["op"] == "FULLY_CONNECTED" and len(n["inputs"]) >= 2:
            out_f, in_f = T[n["inputs"][1]]["shape"][:2]
            rows = int(np.prod(T[n["inputs"][0]]["shape"])) // max(in_f, 1)
            total += rows * in_f * out_f
        elif n["op"] in ("CONV_2D", "DEPTHWISE_CONV_2D") and len(n["inputs"]) >= 2:
            w = T[n["inputs"][1]]["shape"]  # conv: [out, kh, kw, in]; depthwise: [1, kh, kw, out]
            out_elems = int(np.prod(T[n["outputs"][0]]["shape"]))
            total += out_elems * w[1] * w[2] * (w[3] if n["op"] == "CONV_2D" else 1)
    return int(total)


def check_tflite(data, where="model.tflite", supported_ops=None):
    """Run every check; return a summary (ops, io quantization, weight bytes, MACs)."""
    graph = read_graph(data, where)
    T = graph["tensors"]
    if len(graph["inputs"]) != 1 or len(graph["outputs"]) != 1:
        raise PacketclipError(f"{where}: has {len(graph['inputs'])} inputs and {len(graph['outputs'])} outputs; "
                              "a bundle needs exactly one int8 input and one int8 output (concatenate the heads)")
    tin, tout = T[graph["inputs"][0]], T[graph["outputs"][0]]
    weights = [t for t in T if t["const"]]
    if tin["type"] == "FLOAT32" and any(t["type"] == "INT8" for t in weights):
        raise PacketclipError(
            f"{where}: dynamic-range quantized (float32 input '{tin['name']}', int8 weights): TFLM has no hybrid "
            f"kernels and only runs full-integer models; {FULL_INT_HINT}")
    producer = {o: n for n in graph["nodes"] for o in n["outputs"]}
    consumer = {}
    for n in graph["nodes"]:
        for i in n["inputs"]:
            consumer.setdefault(i, n)
    for t in T:
        if t["type"] in ("INT8", "INT32"):
            continue
        node = producer.get(t["index"]) or consumer.get(t["index"])
        at = f"node {node['index']} ({node['op']})" if node else "the model input/output"
        raise PacketclipError(f"{where}: tensor {t['index']} '{t['name']}' at {at} is {t['type']}; only INT8/INT32 "
                              f"tensors run on the firmware engines; {FULL_INT_HINT}")
    for label, t in (("input", tin), ("output", tout)):
        if len(t["scale"]) != 1 or len(t["zero_point"]) != 1:
            raise PacketclipError(f"{where}: the {label} tensor '{t['name']}' has no per-tensor quantization "
                                  "(scale, zero point); re-convert with int8 input and output")
    supported = tuple(supported_ops) if supported_ops is not None else _supported_ops()
    for n in graph["nodes"]:
        if n["op"] not in supported:
            raise PacketclipError(f"{where}: node {n['index']} uses op {n['op']}, which the firmware engines do not "
                                  f"support (supported: {', '.join(supported)}); change the model to avoid it")
    used = []
    for n in graph["nodes"]:
        if n["op"] not in used:
            used.append(n["op"])
    return {
        "ops": used,
        "nodes": len(graph["nodes"]),
        "input": {"shape": tin["shape"], "scale": float(tin["scale"][0]), "zero_point": int(tin["zero_point"][0])},
        "output": {"shape": tout["shape"], "scale": float(tout["scale"][0]), "zero_point": int(tout["zero_point"][0])},
        "weight_bytes": int(sum(t["bytes"] for t in weights)),
        "params": int(sum(np.prod(t["shape"]) for t in weights if t["index"] not in _shape_inputs(graph))),
        "macs": _macs(graph),
    }


def _shape_inputs(graph):
    """Constant tensors used as shapes/permutations (second input of RESHAPE etc.), not parameters."""
    return {n["inputs"][1] for n in graph["nodes"] if n["op"] in ("RESHAPE", "TRANSPOSE", "MEAN", "PAD") and len(n["inputs"]) > 1}


def check_bundle_meta(meta, summary, where="model.json"):
    """model.json must agree with the .tflite it describes."""
    for key in ("input", "output"):
        m, s = meta[key], summary[key]
        if list(m["shape"]) != list(s["shape"]) or m["zero_point"] != s["zero_point"] or not np.isclose(m["scale"], s["scale"], rtol=1e-6):
            raise PacketclipError(f"{where}: field '{key}' {m} does not match the .tflite ({s}); regenerate the bundle")
    n_out = int(np.prod(summary["output"]["shape"][1:]))
    for name, span in meta["heads"].items():
        if span is not None and not (0 <= span[0] < span[1] <= n_out):
            raise PacketclipError(f"{where}: field 'heads.{name}' {span} is outside the output (size {n_out})")
    c = meta["heads"]["classes"]
    if c[1] - c[0] != len(meta["labels"]):
        raise PacketclipError(f"{where}: field 'heads.classes' spans {c[1] - c[0]} outputs but 'labels' has {len(meta['labels'])}")
    n_in = int(np.prod(summary["input"]["shape"][1:]))
    if n_in != meta["window"] * len(meta["features"]):
        raise PacketclipError(f"{where}: input has {n_in} values but window {meta['window']} x {len(meta['features'])} features = "
                              f"{meta['window'] * len(meta['features'])}; fix 'features' or 'window'")
    if set(meta["ops"]) != set(summary["ops"]):
        raise PacketclipError(f"{where}: field 'ops' {meta['ops']} does not match the .tflite's ops {summary['ops']}")
