"""Static checks of a .tflite before it becomes (or while it is) a bundle.

A file passes when the firmware engines can run it exactly like TFLM does:
- one subgraph, one input, one output, both INT8 with their quantization recorded;
- every tensor on the data path is INT8 or INT32 (no float activations or weights, no int16
  activations), every shape static (no dynamic dimensions);
- every operator is a builtin in the op registry `packetclip.bundle.ops.OPS`.
Failures are one-line PacketclipErrors naming the file, the op and the node index.
"""

import numpy as np

from packetclip.errors import PacketclipError

FULL_INT_HINT = (
    "convert with full-integer quantization: litert-torch PT2E static quantization (packetclip distill), "
    "or TFLiteConverter with optimizations=[tf.lite.Optimize.DEFAULT], a representative_dataset, "
    "target_spec.supported_ops=[tf.lite.OpsSet.TFLITE_BUILTINS_INT8] and inference_input_type = "
    "inference_output_type = tf.int8")


# operand ranks the kernels index by (input position -> rank); anything else is a crafted file
WEIGHT_RANKS = {"FULLY_CONNECTED": {1: 2}, "CONV_2D": {1: 4}, "DEPTHWISE_CONV_2D": {1: 4}}


def _shape_inputs(g):
    """Constant tensors used as shapes/permutations (second input of RESHAPE etc.), not parameters."""
    return {o.inputs[1] for o in g.operators if o.op in ("RESHAPE", "TRANSPOSE", "MEAN", "PAD") and len(o.inputs) > 1}


def _macs(g):
    T = g.tensors
    total = 0
    for o in g.operators:
        if o.op == "FULLY_CONNECTED" and len(o.inputs) >= 2:
            out_f, in_f = T[o.inputs[1]].shape[:2]
            total += T[o.inputs[0]].size // max(in_f, 1) * in_f * out_f
        elif o.op in ("CONV_2D", "DEPTHWISE_CONV_2D") and len(o.inputs) >= 2:
            w = T[o.inputs[1]].shape  # conv: [out, kh, kw, in]; depthwise: [1, kh, kw, out]
            total += T[o.outputs[0]].size * w[1] * w[2] * (w[3] if o.op == "CONV_2D" else 1)
    return int(total)


def check_tflite(data, where="model.tflite", supported_ops=None):
    """Run every check; return a summary (ops, io quantization, weight bytes, params, MACs)."""
    from packetclip.bundle.tflite import parse_tflite

    g = parse_tflite(data, where)
    T = g.tensors
    if len(g.inputs) != 1 or len(g.outputs) != 1:
        raise PacketclipError(f"{where}: has {len(g.inputs)} inputs and {len(g.outputs)} outputs; "
                              "a bundle needs exactly one int8 input and one int8 output (concatenate the heads)")
    tin, tout = T[g.inputs[0]], T[g.outputs[0]]
    consts = [t for t in T if t.is_const]
    if tin.dtype == "FLOAT32" and any(t.dtype == "INT8" for t in consts):
        raise PacketclipError(
            f"{where}: dynamic-range quantized (float32 input '{tin.name}', int8 weights): TFLM has no hybrid "
            f"kernels and only runs full-integer models; {FULL_INT_HINT}")
    producer = {i: o for o in g.operators for i in o.outputs}

    def at(t):
        users = g.consumers(t.index)
        node = producer.get(t.index) or (g.operators[users[0]] if users else None)
        return f"node {node.index} ({node.op})" if node else "the model input/output"
    for t in T:
        if t.dtype in ("INT8", "INT32"):
            continue
        if t.dtype == "INT16" and not t.is_const:
            raise PacketclipError(f"{where}: tensor {t.index} '{t.name}' at {at(t)} is an INT16 activation (16x8 "
                                  "quantization); the firmware engines run int8 activations only: convert with int8 "
                                  "activations (the default of litert-torch PT2E and of TFLITE_BUILTINS_INT8)")
        raise PacketclipError(f"{where}: tensor {t.index} '{t.name}' at {at(t)} is {t.dtype}; only INT8/INT32 "
                              f"tensors run on the firmware engines; {FULL_INT_HINT}")
    for t in T:
        # a -1 batch in the signature is how Keras marks batch 1; TFLM runs the stored shape
        if any(d < 0 for d in t.signature[1:]) or (not t.is_const and any(d <= 0 for d in t.shape)):
            raise PacketclipError(f"{where}: tensor {t.index} '{t.name}' at {at(t)} has a dynamic shape "
                                  f"{list(t.signature or t.shape)}; the firmware engines plan memory ahead of time: "
                                  "export with a fixed batch of 1 and fixed sizes (e.g. torch.export without dynamic_shapes)")
    for label, t in (("input", tin), ("output", tout)):
        if len(t.scale) != 1 or len(t.zero_point) != 1:
            raise PacketclipError(f"{where}: the {label} tensor '{t.name}' has no per-tensor quantization "
                                  "(scale, zero point); re-convert with int8 input and output")
    from packetclip.bundle.ops import SUPPORTED_OPS, unsupported

    supported = tuple(supported_ops) if supported_ops is not None else SUPPORTED_OPS
    for o in g.operators:
        if o.op not in supported:
            raise PacketclipError(unsupported(where, o.index, o.op, names=supported))
    if not g.operators:
        raise PacketclipError(f"{where}: has no operators; give a model that computes something")
    for o in g.operators:
        for pos, rank in WEIGHT_RANKS.get(o.op, {}).items():
            t = T[o.inputs[pos]] if len(o.inputs) > pos and o.inputs[pos] >= 0 else None
            if t is None or len(t.shape) != rank:
                raise PacketclipError(f"{where}: node {o.index} ({o.op}) needs a {rank}-D tensor as input {pos}, "
                                      f"got {'none' if t is None else list(t.shape)}; the file is damaged or crafted")
        if o.op == "FULLY_CONNECTED" and T[o.inputs[0]].size % T[o.inputs[1]].shape[1]:
            raise PacketclipError(f"{where}: node {o.index} (FULLY_CONNECTED) input of {T[o.inputs[0]].size} values is not a "
                                  f"multiple of its weights' {T[o.inputs[1]].shape[1]} inputs; the file is damaged or crafted")
    shapes = _shape_inputs(g)
    return {
        "ops": g.op_names(),
        "nodes": len(g.operators),
        "input": {"shape": list(tin.shape), "scale": float(tin.scale[0]), "zero_point": int(tin.zero_point[0])},
        "output": {"shape": list(tout.shape), "scale": float(tout.scale[0]), "zero_point": int(tout.zero_point[0])},
        "weight_bytes": int(sum(t.nbytes for t in consts)),
        "params": int(sum(t.size for t in consts if t.index not in shapes)),
        "macs": _macs(g),
    }


def check_bundle_meta(meta, summary, where="model.json"):
    """model.json must agree with the .tflite it describes."""
    for key in ("input", "output"):
        m, s = meta[key], summary[key]
        if list(m["shape"]) != list(s["shape"]) or m["zero_point"] != s["zero_point"] or not np.isclose(m["scale"], s["scale"], rtol=1e-6):
            raise PacketclipError(f"{where}: field '{key}' {m} does not match the .tflite ({s}); regenerate the bundle")
    if set(meta["ops"]) != set(summary["ops"]):
        raise PacketclipError(f"{where}: field 'ops' {meta['ops']} does not match the .tflite's ops {summary['ops']}")
    # heads, labels and window against the shapes: bundle.format.check_meta, when model.json is loaded
