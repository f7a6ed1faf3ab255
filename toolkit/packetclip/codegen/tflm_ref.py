"""TFLM's reference arithmetic for one output element of FULLY_CONNECTED, CONV_2D and
DEPTHWISE_CONV_2D, in exact integers: the accumulator, then the output under each way TFLM's
builds compute the output multiplier. The mismatch debugger uses it to say *why* a device and
the golden model part on an element.

Verified here (docs/conformance.md): the TFLM Python runtime (PyPI tflite-micro) computes a
per-tensor FULLY_CONNECTED's multiplier from the double-precision product of the float32
input and filter scales; the aot engine, like TFLM built for the board (the measurements of
issue 11), from their float32 product. The two multipliers differ in their last bits, which
changes an output only when accumulator x multiplier lands on a rounding tie.
"""

import numpy as np

from packetclip.codegen import quant


def _conv_geometry(g, o):
    from packetclip.codegen.aot import _padding

    x, w, y = g.tensors[o.inputs[0]], g.tensors[o.inputs[1]], g.tensors[o.outputs[0]]
    opt = o.options
    kh, kw = w.shape[1], w.shape[2]
    sh, sw = opt.get("stride_h", 1), opt.get("stride_w", 1)
    dh, dw = opt.get("dilation_h_factor", 1), opt.get("dilation_w_factor", 1)
    _, ph = _padding(opt.get("padding", "SAME"), x.shape[1], kh, sh, dh)
    _, pw = _padding(opt.get("padding", "SAME"), x.shape[2], kw, sw, dw)
    return x, w, y, kh, kw, sh, sw, dh, dw, ph, pw


def accumulator(g, o, x, index):
    """The int32 accumulator (bias included) of output element `index` (flat) of op `o`,
    from the op's input values `x` (int8, the input tensor's shape)."""
    T = g.tensors
    w = T[o.inputs[1]]
    b = T[o.inputs[2]] if len(o.inputs) > 2 and o.inputs[2] >= 0 else None
    zp = int(T[o.inputs[0]].zero_point[0])
    y = T[o.outputs[0]]
    x = np.asarray(x, np.int64).reshape(T[o.inputs[0]].shape)
    if o.op == "FULLY_CONNECTED":
        W = w.data.reshape(w.shape[0], -1).astype(np.int64)
        out_n = W.shape[0]
        row = x.reshape(-1, W.shape[1])[index // out_n]
        ch = index % out_n
        acc = int(((row - zp) * W[ch]).sum())
    else:
        x_, w_, y_, kh, kw, sh, sw, dh, dw, ph, pw = _conv_geometry(g, o)
        nb, oh, ow, oc = y.shape
        bi, rem = divmod(index, oh * ow * oc)
        oy, rem = divmod(rem, ow * oc)
        ox, ch = divmod(rem, oc)
        acc = 0
        ic = x.shape[3]
        for ky in range(kh):
            for kx in range(kw):
                iy, ix = oy * sh - ph + ky * dh, ox * sw - pw + kx * dw
                if not (0 <= iy < x.shape[1] and 0 <= ix < x.shape[2]):
                    continue
                if o.op == "CONV_2D":
                    fic = w.shape[3]
                    grp = ch // (oc // (ic // fic))
                    px = x[bi, iy, ix, grp * fic:(grp + 1) * fic] - zp
                    acc += int((px * w.data[ch, ky, kx].astype(np.int64)).sum())
                else:
                    acc += int((x[bi, iy, ix, ch // (oc // ic)] - zp) * int(w.data[0, ky, kx, ch]))
    if b is not None:
        acc += int(b.data.reshape(-1)[ch])
    return acc, ch


def _mbqm(acc, mult, shift):
    left, right = max(shift, 0), max(-shift, 0)
    a = ((acc << left) + (1 << 31)) % (1 << 32) - (1 << 31)      # int32 wrap, as the C does
    hi = (a * mult + (1 << 30)) >> 31
    if right == 0:
        return hi
    mask = (1 << right) - 1
    return (hi >> right) + int((hi & mask) > (mask >> 1) + (hi < 0))


def multipliers(g, o, ch):
    """{name: (multiplier, shift)} of output channel `ch` under each scale-product rounding."""
    T = g.tensors
    si, so = np.float32(T[o.inputs[0]].scale[0]), np.float32(T[o.outputs[0]].scale[0])
    ws = np.asarray(T[o.inputs[1]].scale, np.float32)
    sw = ws[ch] if len(ws) > 1 else ws[0]
    return {"float32 scale product": quant.quantize_multiplier(float(si * sw) / float(so)),
            "double scale product": quant.quantize_multiplier(float(si) * float(sw) / float(so))}


def outputs(g, o, acc, ch):
    """{variant: int8 output} for accumulator `acc` of channel `ch`, TFLM's double rounding,
    zero point and fused activation, under each multiplier variant."""
    T = g.tensors
    y = T[o.outputs[0]]
    zp = int(y.zero_point[0])
    lo, hi = quant.activation_range(o.options.get("fused_activation_function", "NONE"), float(y.scale[0]), zp)
    return {name: int(np.clip(_mbqm(acc, m, s) + zp, lo, hi)) for name, (m, s) in multipliers(g, o, ch).items()}


def explain(g, o, x, index, device_value, tflm_value):
    """Why the device and the golden model part on output element `index` of op `o` (FC or
    conv), given the op's input `x` (equal on both sides: the debugger checks earlier tensors).
    Returns a dict with the accumulator, the exact real value, both multipliers and a cause."""
    acc, ch = accumulator(g, o, x, index)
    mults = multipliers(g, o, ch)
    outs = outputs(g, o, acc, ch)
    (mf, sf), (md, sd) = mults["float32 scale product"], mults["double scale product"]
    srdhm = {k: (acc * m + (1 << 30)) >> 31 for k, (m, _) in mults.items()}   # the first rounding
    info = {"accumulator": acc, "channel": ch,
            "multipliers": {k: {"multiplier": m, "shift": s} for k, (m, s) in mults.items()},
            "srdhm": srdhm, "outputs": outs,
            "scaled": {k: acc * m / 2.0 ** (31 - s) for k, (m, s) in mults.items()}}
    aot_semantics = "double scale product" if (o.op != "FULLY_CONNECTED" or len(g.tensors[o.inputs[1]].scale) > 1) \
        else "float32 scale product"
    wheel_semantics = "double scale product"
    if outs[aot_semantics] == device_value and outs[wheel_semantics] == tflm_value and device_value != tflm_value:
        info["cause"] = "scale_product_rounding"
        hf, hd = srdhm["float32 scale product"], srdhm["double scale product"]
        info["explanation"] = (
            f"accumulator {acc} lands next to a rounding boundary: the device's multiplier {mf} (shift {sf}, from the float32 "
            f"product of the scales, as TFLM built for the board computes it) gives SRDHM {hf} = {hf / 2 ** -sf:g} x 2^{-sf} "
            f"(output {outs[aot_semantics]}); the TFLM Python runtime's {md} (shift {sd}, from the double product) gives "
            f"{hd} = {hd / 2 ** -sd:g} x 2^{-sd} (output {outs[wheel_semantics]}); the device matches TFLM's kernel semantics")
    elif outs[aot_semantics] == tflm_value:
        info["cause"] = "aot_arithmetic"
        info["explanation"] = (f"TFLM's reference arithmetic gives {tflm_value} (accumulator {acc}) like the golden model; "
                               f"the aot kernel gave {device_value}: an aot engine bug")
    else:
        info["cause"] = "tflm_runtime"
        info["explanation"] = (f"TFLM's reference arithmetic gives {outs} for accumulator {acc}; the golden model gave "
                               f"{tflm_value}, the device {device_value}")
    return info
