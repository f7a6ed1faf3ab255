"""Random one-op int8 models (flatbuffers built directly) for the kernel property tests."""

import numpy as np

from packetclip.codegen.synth import ModelBuilder


def _scale(rng, lo=0.005, hi=0.2):
    return float(np.exp(rng.uniform(np.log(lo), np.log(hi))))


def _zp(rng):
    return int(rng.integers(-128, 128))


def _act(rng):
    return str(rng.choice(["NONE", "RELU", "RELU6", "NONE"]))


def _weights(b, rng, shape, axis, per_channel, s_in):
    n = shape[axis]
    ws = [_scale(rng, 0.001, 0.05) for _ in range(n)] if per_channel else [_scale(rng, 0.001, 0.05)]
    W = rng.integers(-127, 128, shape)
    w = b.tensor(shape, scale=ws, zero_point=[0] * len(ws), axis=axis, data=W)
    return w, ws


def _bias(b, rng, n, s_in, ws, present=True):
    if not present:
        return -1
    return b.tensor([n], dtype="INT32", scale=[float(np.float32(s_in) * np.float32(s)) for s in ws],
                    zero_point=[0] * len(ws), data=rng.integers(-20000, 20000, n))


def fully_connected(rng):
    b = ModelBuilder()
    n_in, n_out, batch = int(rng.integers(1, 80)), int(rng.integers(1, 40)), int(rng.integers(1, 4))
    s_in = _scale(rng)
    x = b.tensor([batch, n_in], scale=s_in, zero_point=_zp(rng))
    w, ws = _weights(b, rng, [n_out, n_in], 0, bool(rng.integers(0, 2)), s_in)
    bias = _bias(b, rng, n_out, s_in, ws, present=bool(rng.integers(0, 4)))
    y = b.tensor([batch, n_out], scale=_scale(rng, 0.02, 1.0), zero_point=_zp(rng))
    b.op("FULLY_CONNECTED", [x, w, bias], [y], fused_activation_function=_act(rng))
    return b.build([x], [y])


def conv2d(rng, depthwise=False):
    b = ModelBuilder()
    nb, h, w_ = 1, int(rng.integers(1, 9)), int(rng.integers(1, 9))
    ic = int(rng.choice([1, 2, 3, 5, 4, 8, 12]))   # multiples of 4 take the DSP paths' word loads
    kh, kw = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    sh, sw = int(rng.integers(1, 3)), int(rng.integers(1, 3))
    dh, dw = int(rng.integers(1, 3)), int(rng.integers(1, 3))
    pad = str(rng.choice(["SAME", "VALID"]))
    if pad == "VALID":  # keep at least one output
        h, w_ = max(h, (kh - 1) * dh + 1), max(w_, (kw - 1) * dw + 1)
    eff_h, eff_w = (kh - 1) * dh + 1, (kw - 1) * dw + 1
    oh = (h + sh - 1) // sh if pad == "SAME" else (h + sh - eff_h) // sh
    ow = (w_ + sw - 1) // sw if pad == "SAME" else (w_ + sw - eff_w) // sw
    s_in = _scale(rng)
    x = b.tensor([nb, h, w_, ic], scale=s_in, zero_point=_zp(rng))
    per_channel = bool(rng.integers(0, 3))
    if depthwise:
        dm = 1 if rng.random() < 0.7 else 2            # the DSP path runs depth multiplier 1
        oc = ic * dm
        wt, ws = _weights(b, rng, [1, kh, kw, oc], 3, per_channel, s_in)
    else:
        oc = int(rng.integers(1, 7))
        wt, ws = _weights(b, rng, [oc, kh, kw, ic], 0, per_channel, s_in)
    bias = _bias(b, rng, oc, s_in, ws)
    y = b.tensor([nb, oh, ow, oc], scale=_scale(rng, 0.02, 1.0), zero_point=_zp(rng))
    opts = dict(padding=pad, stride_h=sh, stride_w=sw, dilation_h_factor=dh, dilation_w_factor=dw,
                fused_activation_function=_act(rng))
    if depthwise:
        b.op("DEPTHWISE_CONV_2D", [x, wt, bias], [y], depth_multiplier=oc // ic, **opts)
    else:
        b.op("CONV_2D", [x, wt, bias], [y], **opts)
    return b.build([x], [y])


def _shapes_broadcast(rng):
    rank = int(rng.integers(1, 5))
    out = [int(rng.integers(1, 6)) for _ in range(rank)]
    kind = int(rng.integers(0, 3))
    if kind == 0:
        return out, list(out), out
    a = [d if rng.random() < 0.6 else 1 for d in out]
    c = [d if rng.random() < 0.6 else 1 for d in out]
    out = [max(p, q) for p, q in zip(a, c, strict=True)]
    return a, c, out


def binary(rng, op):
    b = ModelBuilder()
    sa, sb, so = _shapes_broadcast(rng)
    x1 = b.tensor(sa, scale=_scale(rng), zero_point=_zp(rng))
    const_b = rng.random() < 0.3
    if const_b:
        x2 = b.tensor(sb, scale=_scale(rng), zero_point=_zp(rng), data=rng.integers(-128, 128, sb))
    else:
        x2 = b.tensor(sb, scale=_scale(rng), zero_point=_zp(rng))
    y = b.tensor(so, scale=_scale(rng, 0.005, 0.5) * (3 if op == "MUL" else 1), zero_point=_zp(rng))
    b.op(op, [x1, x2], [y], fused_activation_function=_act(rng))
    if const_b:
        return b.build([x1], [y])
    # two graph inputs are not what the engines take: feed x2 from x1 through a second op
    return _two_input(rng, op, sa, so)


def _two_input(rng, op, shape, so):
    """x -> (x, QUANTIZE(x)) -> op: both operands come from the single graph input."""
    b = ModelBuilder()
    x = b.tensor(shape, scale=_scale(rng), zero_point=_zp(rng))
    x2 = b.tensor(shape, scale=_scale(rng), zero_point=_zp(rng))
    b.op("QUANTIZE", [x], [x2])
    y = b.tensor(shape, scale=_scale(rng, 0.005, 0.5) * (3 if op == "MUL" else 1), zero_point=_zp(rng))
    if rng.random() < 0.5:
        b.op(op, [x, x2], [y], fused_activation_function=_act(rng))
    else:
        b.op(op, [x2, x], [y], fused_activation_function=_act(rng))
    return b.build([x], [y])


def pool(rng, op):
    b = ModelBuilder()
    h, w_, c = int(rng.integers(1, 9)), int(rng.integers(1, 9)), int(rng.choice([1, 2, 3, 4, 8]))
    kh, kw = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    sh, sw = int(rng.integers(1, 3)), int(rng.integers(1, 3))
    pad = str(rng.choice(["SAME", "VALID"]))
    if pad == "VALID":
        h, w_ = max(h, kh), max(w_, kw)
    oh = (h + sh - 1) // sh if pad == "SAME" else (h + sh - kh) // sh
    ow = (w_ + sw - 1) // sw if pad == "SAME" else (w_ + sw - kw) // sw
    s, z = _scale(rng), _zp(rng)
    x = b.tensor([1, h, w_, c], scale=s, zero_point=z)
    y = b.tensor([1, oh, ow, c], scale=s, zero_point=z)
    b.op(op, [x], [y], padding=pad, stride_h=sh, stride_w=sw, filter_height=kh, filter_width=kw,
         fused_activation_function=_act(rng))
    return b.build([x], [y])


def mean(rng):
    b = ModelBuilder()
    rank = int(rng.integers(2, 5))
    shape = [int(rng.integers(1, 7)) for _ in range(rank)]
    axes = sorted(rng.choice(rank, size=int(rng.integers(1, rank)), replace=False).tolist())
    keep = bool(rng.integers(0, 2))
    oshape = [1 if i in axes else d for i, d in enumerate(shape)] if keep else [d for i, d in enumerate(shape) if i not in axes]
    x = b.tensor(shape, scale=_scale(rng), zero_point=_zp(rng))
    ax = b.tensor([len(axes)], dtype="INT32", data=axes)
    y = b.tensor(oshape, scale=_scale(rng), zero_point=_zp(rng))
    b.op("MEAN", [x, ax], [y], keep_dims=keep)
    return b.build([x], [y])


def quantize(rng):
    b = ModelBuilder()
    shape = [1, int(rng.integers(1, 50))]
    x = b.tensor(shape, scale=_scale(rng), zero_point=_zp(rng))
    y = b.tensor(shape, scale=_scale(rng), zero_point=_zp(rng))
    b.op("QUANTIZE", [x], [y])
    return b.build([x], [y])


def transpose(rng):
    b = ModelBuilder()
    rank = int(rng.integers(2, 5))
    shape = [int(rng.integers(1, 6)) for _ in range(rank)]
    perm = rng.permutation(rank).tolist()
    s, z = _scale(rng), _zp(rng)
    x = b.tensor(shape, scale=s, zero_point=z)
    p = b.tensor([rank], dtype="INT32", data=perm)
    y = b.tensor([shape[i] for i in perm], scale=s, zero_point=z)
    b.op("TRANSPOSE", [x, p], [y])
    return b.build([x], [y])


def concat(rng):
    b = ModelBuilder()
    rank = int(rng.integers(1, 4))
    shape = [int(rng.integers(1, 5)) for _ in range(rank)]
    axis = int(rng.integers(0, rank))
    s, z = _scale(rng), _zp(rng)
    x = b.tensor(shape, scale=s, zero_point=z)
    other = list(shape)
    other[axis] = int(rng.integers(1, 4))
    c = b.tensor(other, scale=s, zero_point=z, data=rng.integers(-128, 128, other))
    oshape = list(shape)
    oshape[axis] += other[axis]
    y = b.tensor(oshape, scale=s, zero_point=z)
    ins = [x, c, x] if rng.random() < 0.5 else [c, x]
    if len(ins) == 3:
        oshape[axis] += shape[axis]
        y = b.tensor(oshape, scale=s, zero_point=z)
    b.op("CONCATENATION", ins, [y], axis=axis - rank if rng.random() < 0.3 else axis)
    return b.build([x], [y])


def reshape_fc(rng):
    """RESHAPE -> FULLY_CONNECTED -> RESHAPE: reshapes alias, input/output in place."""
    b = ModelBuilder()
    n_in, n_out = int(rng.integers(2, 30)), int(rng.integers(1, 20))
    s_in = _scale(rng)
    zp = _zp(rng)
    x = b.tensor([1, 1, n_in], scale=s_in, zero_point=zp)
    x2 = b.tensor([1, n_in], scale=s_in, zero_point=zp)
    shp = b.tensor([2], dtype="INT32", data=[1, n_in])
    b.op("RESHAPE", [x, shp], [x2], new_shape=[1, n_in])
    w, ws = _weights(b, rng, [n_out, n_in], 0, True, s_in)
    bias = _bias(b, rng, n_out, s_in, ws)
    so, zo = _scale(rng, 0.02, 1.0), _zp(rng)
    y = b.tensor([1, n_out], scale=so, zero_point=zo)
    b.op("FULLY_CONNECTED", [x2, w, bias], [y], fused_activation_function="RELU")
    y2 = b.tensor([1, 1, n_out], scale=so, zero_point=zo)
    shp2 = b.tensor([3], dtype="INT32", data=[1, 1, n_out])
    b.op("RESHAPE", [y, shp2], [y2], new_shape=[1, 1, n_out])
    return b.build([x], [y2])


def _act_shape(rng):
    """[N], [1, N], [B, N] or [1, H, W, C]: softmax runs over the last axis."""
    kind = int(rng.integers(0, 4))
    n = int(rng.integers(1, 33))
    if kind == 0:
        return [n]
    if kind == 1:
        return [1, n]
    if kind == 2:
        return [int(rng.integers(2, 5)), n]
    return [1, int(rng.integers(1, 4)), int(rng.integers(1, 4)), int(rng.integers(1, 9))]


def softmax(rng, scale=None, beta=None, shape=None):
    """SOFTMAX int8 -> int8; TFLM needs output scale exactly 1/256, zero point -128, and
    beta * input scale * 2^26 > 1 (else its Prepare aborts). Scales up to 40 reach the capped
    multiplier (beta * scale >= 32: only the row maximum survives)."""
    b = ModelBuilder()
    shape = shape or _act_shape(rng)
    s_in = scale if scale is not None else _scale(rng, 0.003, 1.5 if rng.random() < 0.8 else 40.0)
    beta = beta if beta is not None else float(rng.choice([1.0, 1.0, 0.25, 0.5, 2.0, 3.7]))
    x = b.tensor(shape, scale=s_in, zero_point=_zp(rng))
    y = b.tensor(shape, scale=1.0 / 256, zero_point=-128)
    b.op("SOFTMAX", [x], [y], beta=beta)
    return b.build([x], [y])


def logistic(rng, scale=None, shape=None, zero_point=None):
    """LOGISTIC int8 -> int8 (output 1/256, -128). Scales span tiny (no saturation) to >= 8
    (TFLM's input radius is 0: every input saturates)."""
    b = ModelBuilder()
    shape = shape or _act_shape(rng)
    s_in = scale if scale is not None else _scale(rng, 0.002, 2.0 if rng.random() < 0.85 else 12.0)
    zp = zero_point if zero_point is not None else _zp(rng)
    x = b.tensor(shape, scale=s_in, zero_point=zp)
    y = b.tensor(shape, scale=1.0 / 256, zero_point=-128)
    b.op("LOGISTIC", [x], [y])
    return b.build([x], [y])


def mlp(rng, sizes=(40, 64, 32, 12)):
    """A small FC chain with ReLU (for planner and determinism tests)."""
    b = ModelBuilder()
    s_in = _scale(rng)
    x = b.tensor([1, sizes[0]], scale=s_in, zero_point=_zp(rng))
    first = x
    for i, (a, c) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        w, ws = _weights(b, rng, [c, a], 0, True, s_in)
        bias = _bias(b, rng, c, s_in, ws)
        s_in = _scale(rng, 0.02, 0.5)
        y = b.tensor([1, c], scale=s_in, zero_point=-128 if i < len(sizes) - 2 else _zp(rng))
        b.op("FULLY_CONNECTED", [x, w, bias], [y], fused_activation_function="RELU" if i < len(sizes) - 2 else "NONE")
        x = y
    return b.build([first], [x])


def conv_chain(rng):
    """CONV_2D 3x3/s2 (3 -> 8, generic im2col) -> DEPTHWISE 3x3 (odd taps, RELU6, padding) ->
    CONV_2D 1x1 (8 -> 7: an odd channel, huge biases: generic requantization) -> DEPTHWISE
    2x2 VALID with depth multiplier 2 (the reference loop) -> AVERAGE_POOL_2D: every conv path
    the DSP build has, in one model."""
    b = ModelBuilder()
    s = _scale(rng)
    x = b.tensor([1, 11, 9, 3], scale=s, zero_point=_zp(rng))
    first = x

    def conv(x, s_in, shape_in, oc, k, stride, pad, act, depthwise=False, dm=1, big=False):
        nonlocal b
        h, w_, ic = shape_in
        oh = (h + stride - 1) // stride if pad == "SAME" else (h - k) // stride + 1
        ow = (w_ + stride - 1) // stride if pad == "SAME" else (w_ - k) // stride + 1
        if depthwise:
            oc = ic * dm
            wt, ws = _weights(b, rng, [1, k, k, oc], 3, True, s_in)
        else:
            wt, ws = _weights(b, rng, [oc, k, k, ic], 0, True, s_in)
        bias = b.tensor([oc], dtype="INT32", scale=[float(np.float32(s_in) * np.float32(q)) for q in ws],
                        zero_point=[0] * oc, data=rng.integers(-(1 << 29) if big else -3000, (1 << 29) if big else 3000, oc))
        s_out = _scale(rng, 0.02, 0.5) * (1e4 if big else 1)
        y = b.tensor([1, oh, ow, oc], scale=s_out, zero_point=-128 if act != "NONE" else _zp(rng))
        opts = dict(padding=pad, stride_h=stride, stride_w=stride, fused_activation_function=act)
        if depthwise:
            b.op("DEPTHWISE_CONV_2D", [x, wt, bias], [y], depth_multiplier=dm, **opts)
        else:
            b.op("CONV_2D", [x, wt, bias], [y], **opts)
        return y, s_out, (oh, ow, oc)
    x, s, shp = conv(x, s, (11, 9, 3), 8, 3, 2, "SAME", "RELU")
    x, s, shp = conv(x, s, shp, 8, 3, 1, "SAME", "RELU6", depthwise=True)
    x, s, shp = conv(x, s, shp, 7, 1, 1, "SAME", "NONE", big=True)
    x, s, shp = conv(x, s, shp, 0, 2, 1, "VALID", "RELU", depthwise=True, dm=2)
    y = b.tensor([1, 1, 1, shp[2]], scale=s, zero_point=-128)
    b.op("AVERAGE_POOL_2D", [x], [y], padding="VALID", stride_h=1, stride_w=1, filter_height=shp[0],
         filter_width=shp[1], fused_activation_function="NONE")
    return b.build([first], [y])


def pad(rng, then_conv=False):
    """PAD (int8, pads with the zero point) alone (the kernel), or followed by a convolution
    (then folded into the conv's padding, as litert-torch emits stride-2 convolutions)."""
    b = ModelBuilder()
    rank = 4 if then_conv else int(rng.integers(1, 5))
    shape = [1] + [int(rng.integers(1, 6)) for _ in range(rank - 1)]
    if then_conv:
        shape[-1] = int(rng.choice([1, 3, 4, 8]))
    P = [[0, 0]] + [[int(rng.integers(0, 3)), int(rng.integers(0, 3))] for _ in range(rank - 1)]
    if then_conv:
        P[-1] = [0, 0]
    s, z = _scale(rng), _zp(rng)
    x = b.tensor(shape, scale=s, zero_point=z)
    pads = b.tensor([rank, 2], dtype="INT32", data=P)
    oshape = [d + a + c for d, (a, c) in zip(shape, P, strict=True)]
    y = b.tensor(oshape, scale=s, zero_point=z)
    b.op("PAD", [x, pads], [y])
    if not then_conv:
        return b.build([x], [y])
    ic = shape[-1]
    k = int(rng.integers(1, 4))
    k = min(k, oshape[1], oshape[2])
    stride = int(rng.integers(1, 3))
    oh, ow = (oshape[1] - k) // stride + 1, (oshape[2] - k) // stride + 1
    depthwise = rng.random() < 0.4
    oc = ic if depthwise else int(rng.integers(1, 7))
    if depthwise:
        wt, ws = _weights(b, rng, [1, k, k, oc], 3, True, s)
    else:
        wt, ws = _weights(b, rng, [oc, k, k, ic], 0, True, s)
    bias = _bias(b, rng, oc, s, ws)
    o = b.tensor([1, oh, ow, oc], scale=_scale(rng, 0.02, 1.0), zero_point=_zp(rng))
    opts = dict(padding="VALID", stride_h=stride, stride_w=stride, fused_activation_function=_act(rng))
    if depthwise:
        b.op("DEPTHWISE_CONV_2D", [y, wt, bias], [o], depth_multiplier=1, **opts)
    else:
        b.op("CONV_2D", [y, wt, bias], [o], **opts)
    return b.build([x], [o])
