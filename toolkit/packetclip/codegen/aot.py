"""Ahead-of-time C for an int8 TFLite graph: one kernel call per op, constants in flash,
activations (the graph's input and output included) in one static arena planned on the host.

lower(graph) checks every op, computes TFLM's Prepare-time numbers (quant.py) and returns the
C source of `pc_model.c` plus a summary. Which function lowers an op and which kernel it calls
come from the op registry (packetclip.bundle.ops). Reshapes cost nothing: their output shares
the input's storage. Ops whose kernels allow it write over their input (plan.py): elementwise
ops exactly in place, convolutions with the output a few rows ahead of the input.
"""

from dataclasses import dataclass, field

import numpy as np

from packetclip.bundle.ops import OPS, unsupported
from packetclip.codegen import quant
from packetclip.codegen.cwrite import ALIGN_MACRO, c_array, c_double, c_struct
from packetclip.codegen.plan import Buf, plan
from packetclip.errors import PacketclipError

# The pc_aot.h ABI this generator emits (PC_AOT_ABI_VERSION); the generated file checks it.
AOT_ABI_VERSION = 2
ALIGN = 4
FC_BLOCK = 64        # PC_AOT_FC_BLOCK: rows a DSP FULLY_CONNECTED accumulates at a time
_ELEM = {"INT8": 1, "INT32": 4, "FLOAT32": 4, "INT16": 2}
_FAST_RQ, _FULL_RANGE = 1, 2


@dataclass
class Step:
    op_index: int
    op: str
    inputs: list                  # tensor indices
    outputs: list
    emit: object                  # fn(ptr: dict position/'o0' -> C expr, scratch expr) -> C statement
    scratch: int = 0
    macs: int = 0
    inplace: list = field(default_factory=list)   # [(input position, largest output - input offset)]


@dataclass
class Lowered:
    source: str
    arena_bytes: int
    ops: list
    macs: int
    weight_bytes: int
    buffers: list = field(default_factory=list)
    sum_bytes: int = 0
    io: dict = field(default_factory=dict)          # input/output offsets in the arena


class _Ctx:
    def __init__(self, g, where):
        self.g, self.where = g, where
        self.decls = []          # C text of constants and params
        self.weight_bytes = 0
        self.uid = 0
        self.fused_pads = fusable_pads(g)                                # PAD node -> (input, top, left)
        self.pad_of = {g.operators[k].outputs[0]: v for k, v in self.fused_pads.items()}   # padded tensor -> same

    def name(self, base):
        self.uid += 1
        return f"{base}{self.uid}"

    def fail(self, k, op, what, fix=None):
        msg = f"{self.where}: node {k} ({op}): {what}"
        if fix:
            msg += f"; {fix}"
        raise PacketclipError(msg)

    def q(self, ti, k, op, role):
        t = self.g.tensors[ti]
        if len(t.scale) == 0:
            self.fail(k, op, f"{role} tensor '{t.name}' has no quantization", "export a fully int8-quantized model")
        return float(t.scale[0]), int(t.zero_point[0]) if len(t.zero_point) else 0

    def const(self, ctype, base, values, align=None, weight=True):
        name = self.name(base)
        self.decls.append(c_array(ctype, name, values, align=align))
        if weight:
            self.weight_bytes += int(np.asarray(values).size) * {"int8_t": 1, "int16_t": 2, "int32_t": 4, "uint32_t": 4}.get(ctype, 1)
        return name

    def struct(self, ctype, base, fields):
        name = self.name(base)
        self.decls.append(c_struct(ctype, name, fields))
        return name

    def rq(self, pairs, zp_out, n_pad, acc_bound):
        """pc_aot_rq_t[n_pad] (one entry when every channel has the same) from TFLM's (multiplier,
        shift) pairs; returns (name, FAST_RQ flag, rq_step)."""
        es = [-s for _, s in pairs]
        ks = [(1 << (e - 1)) + (zp_out << e) if e >= 1 else 0 for e in es]
        fast = bool(pairs) and all(e >= 1 for e in es) and acc_bound < (1 << 30) and all(abs(k) < (1 << 30) for k in ks)
        rows = [(m, e, k) for (m, _), e, k in zip(pairs, es, ks, strict=True)]
        per_tensor = len(set(rows)) == 1
        if per_tensor:
            rows = rows[:1]                                 # one entry, read with rq_step 0
        else:
            rows += [(0, 1, 0)] * (n_pad - len(rows))       # padding channels: computed, never stored
        name = self.name("pc_rq")
        body = ",\n".join(f"    {{{m}, {e}, {k}}}" for m, e, k in rows)
        self.decls.append(f"static const pc_aot_rq_t {name}[{len(rows)}] = {{\n{body},\n}};\n")
        self.weight_bytes += 12 * len(rows)
        return name, _FAST_RQ if fast else 0, 0 if per_tensor else 1


def _pad4(shape):
    shape = list(shape)
    if len(shape) > 4:
        raise ValueError("rank > 4")
    return [1] * (4 - len(shape)) + shape


def _up(n, a):
    return (n + a - 1) // a * a


def _u8(ctx, k, op, v, what):
    if not 0 <= v <= 255:
        ctx.fail(k, op, f"{what} {v} is out of range for the aot engine (0..255)")
    return v


def _u16(ctx, k, op, v, what):
    if not 0 <= v <= 65535:
        ctx.fail(k, op, f"{what} {v} is out of range for the aot engine (0..65535)")
    return v


def _padding(kind, in_size, k, stride, dil):
    eff = (k - 1) * dil + 1
    out = (in_size + stride - 1) // stride if kind == "SAME" else (in_size + stride - eff) // stride
    total = max((out - 1) * stride + eff - in_size, 0)
    return out, total // 2


def _act(ctx, k, op, t_out):
    s, zp = ctx.q(t_out, k, op, "output")
    act = ctx.g.operators[k].options.get("fused_activation_function", "NONE")
    if act not in ("NONE", "RELU", "RELU6", "RELU_N1_TO_1"):
        ctx.fail(k, op, f"fused activation {act} is not supported", "use ReLU, ReLU6 or none")
    return quant.activation_range(act, s, zp)


def _flags(fast, lo, hi):
    return fast | (_FULL_RANGE if (lo, hi) == (-128, 127) else 0)


def _lag(out_h, out_w, out_c, in_w, in_c, sh, sw, ph, pw):
    """Largest (output offset - input offset) at which a raster-order NHWC kernel never writes
    an input byte that it reads later: pixel q's bytes all lie below the first input byte
    that pixel q (and so every later pixel) reads. Vectorised over the output pixels."""
    q = np.arange(out_h * out_w, dtype=np.int64)
    oy, ox = q // out_w, q % out_w
    first = (np.maximum(0, oy * sh - ph) * in_w + np.maximum(0, ox * sw - pw)) * in_c
    bound = int((first - (q + 1) * out_c).min())
    return bound // ALIGN * ALIGN


# ---- per-op lowering (named in packetclip.bundle.ops.OPS): each returns a Step ----------------

def lower_fully_connected(ctx, k, o):
    g = ctx.g
    x, w = g.tensors[o.inputs[0]], g.tensors[o.inputs[1]]
    b = g.tensors[o.inputs[2]] if len(o.inputs) > 2 and o.inputs[2] >= 0 else None
    y = g.tensors[o.outputs[0]]
    if w.data is None or w.dtype != "INT8":
        ctx.fail(k, o.op, "weights must be constant int8", "export with full-integer quantization")
    if np.any(w.zero_point != 0):
        ctx.fail(k, o.op, "weights have a non-zero zero point", "quantize weights symmetrically (TFLM requires it)")
    W = w.data.reshape(w.shape[0], -1).astype(np.int64)
    out_n, in_n = W.shape
    if y.size % out_n or x.size % in_n:
        ctx.fail(k, o.op, f"shapes {x.shape} x {w.shape} -> {y.shape} do not match")
    batches = y.size // out_n
    s_in, zp_in = ctx.q(x.index, k, o.op, "input")
    s_out, zp_out = ctx.q(y.index, k, o.op, "output")
    bias = np.zeros(out_n, np.int64) if b is None else b.data.reshape(-1).astype(np.int64)
    folded = bias - zp_in * W.sum(axis=1)          # exact: sum w*(x - zp) + b
    if folded.min() < -(1 << 31) or folded.max() >= (1 << 31):
        ctx.fail(k, o.op, "folded bias overflows int32")
    lo, hi = _act(ctx, k, o.op, y.index)
    in_pad, out_pad = _up(in_n, 8), _up(out_n, 4)
    P = np.zeros((out_pad, in_pad), np.int64)
    P[:out_n, :in_n] = W
    # quads of rows, chunks of 4 inputs: [4 bytes of row 4j][4j+1][4j+2][4j+3] (pc_aot.h)
    packed = P.reshape(out_pad // 4, 4, in_pad // 4, 4).transpose(0, 2, 1, 3).reshape(-1)
    acc_bound = int(np.abs(W).sum(axis=1).max() * 128 + np.abs(folded).max()) if out_n else 0
    rq, fast, step = ctx.rq(quant.fc_multipliers(s_in, w.scale, s_out, out_n), zp_out, out_pad, acc_bound)
    pn = ctx.struct("pc_aot_fc_t", "pc_fc", {
        "w": ctx.const("int8_t", "pc_w", packed, align=16),
        "bias": ctx.const("int32_t", "pc_b", np.append(folded, np.zeros(out_pad - out_n, np.int64))),
        "rq": rq, "rq_step": step, "in_n": _u16(ctx, k, o.op, in_n, "input size"), "in_pad": _u16(ctx, k, o.op, in_pad, "input size"),
        "out_n": out_n, "out_pad": out_pad, "batches": batches, "out_zp": zp_out, "act_min": lo, "act_max": hi,
        "flags": _flags(fast, lo, hi)})
    return Step(k, o.op, [o.inputs[0]], [o.outputs[0]], scratch=in_pad * 2 + min(out_pad, FC_BLOCK) * 4, macs=batches * in_n * out_n,
                emit=lambda p, s: f"pc_aot_fc(&{pn}, {p[0]}, {p['o0']}, {s});")


def _conv_common(ctx, k, o, depthwise):
    g = ctx.g
    x, w = g.tensors[o.inputs[0]], g.tensors[o.inputs[1]]
    b = g.tensors[o.inputs[2]] if len(o.inputs) > 2 and o.inputs[2] >= 0 else None
    y = g.tensors[o.outputs[0]]
    opt = o.options
    if w.data is None or w.dtype != "INT8":
        ctx.fail(k, o.op, "filter must be constant int8", "export with full-integer quantization")
    if np.any(w.zero_point != 0):
        ctx.fail(k, o.op, "filter has a non-zero zero point", "quantize weights symmetrically")
    if len(x.shape) != 4 or len(w.shape) != 4 or len(y.shape) != 4:
        ctx.fail(k, o.op, "expects 4-D NHWC tensors")
    nb, ih, iw, ic = x.shape
    _, oh, ow, oc = y.shape
    if depthwise:
        _, kh, kw, foc = w.shape
        if foc != oc or oc % ic:
            ctx.fail(k, o.op, f"filter {w.shape} does not match input {x.shape} / output {y.shape}")
        fic = oc // ic
    else:
        foc, kh, kw, fic = w.shape
        if foc != oc or ic % fic or oc % (ic // fic):
            ctx.fail(k, o.op, f"filter {w.shape} does not match input {x.shape} / output {y.shape}")
    sh, sw = opt.get("stride_h", 1), opt.get("stride_w", 1)
    dh, dw = opt.get("dilation_h_factor", 1), opt.get("dilation_w_factor", 1)
    pad = opt.get("padding", "SAME")
    eh, ph = _padding(pad, ih, kh, sh, dh)
    ew, pw = _padding(pad, iw, kw, sw, dw)
    if (eh, ew) != (oh, ow):
        ctx.fail(k, o.op, f"output {y.shape} does not match padding {pad} (expected {oh}x{ow} -> {eh}x{ew})")
    for v, what in ((sh, "stride"), (sw, "stride"), (dh, "dilation"), (dw, "dilation"), (ph, "padding"), (pw, "padding")):
        _u8(ctx, k, o.op, v, what)
    for v in (nb, ih, iw, ic, oh, ow, oc, kh, kw):
        _u16(ctx, k, o.op, v, "dimension")
    src = x.index
    if x.index in ctx.pad_of:     # read the PAD's input: its padding becomes the conv's
        src, top, left = ctx.pad_of[x.index]
        ih, iw = g.tensors[src].shape[1:3]
        ph, pw = ph + top, pw + left
        _u8(ctx, k, o.op, ph, "padding")
        _u8(ctx, k, o.op, pw, "padding")
    s_in, zp_in = ctx.q(x.index, k, o.op, "input")
    s_out, zp_out = ctx.q(y.index, k, o.op, "output")
    lo, hi = _act(ctx, k, o.op, y.index)
    bias = np.zeros(oc, np.int64) if b is None else b.data.reshape(-1).astype(np.int64)
    geo = {"batches": nb, "in_h": ih, "in_w": iw, "in_c": ic, "out_h": oh, "out_w": ow, "out_c": oc, "k_h": kh,
           "k_w": kw, "stride_h": sh, "stride_w": sw, "dil_h": dh, "dil_w": dw, "pad_h": ph, "pad_w": pw}
    lag = _lag(oh, ow, oc, iw, ic, sh, sw, ph, pw) if nb == 1 else None
    pairs = quant.conv_multipliers(s_in, w.scale, s_out, oc)
    return src, w, y, geo, (zp_in, zp_out, lo, hi), bias, pairs, fic, lag


def lower_conv_2d(ctx, k, o):
    src, w, y, geo, (zp_in, zp_out, lo, hi), bias, pairs, fic, lag = _conv_common(ctx, k, o, False)
    oc, groups = geo["out_c"], geo["in_c"] // fic
    per_group = oc // groups
    kk = geo["k_h"] * geo["k_w"] * fic
    k_pad = _up(kk, 8)
    W = w.data.reshape(oc, kk).astype(np.int64)        # row oc in im2col order ((ky * k_w) + kx) * fic + c
    folded = bias - zp_in * W.sum(axis=1)                # padding taps read the zero point: they add 0
    if folded.min() < -(1 << 31) or folded.max() >= (1 << 31):
        ctx.fail(k, o.op, "folded bias overflows int32")
    pgp = per_group + (per_group & 1)
    bias_rows = np.zeros((groups, pgp), np.int64)
    bias_rows[:, :per_group] = folded.reshape(groups, per_group)
    blocks = []
    for gi in range(groups):
        P = np.zeros((pgp, k_pad), np.int64)
        P[:per_group, :kk] = W[gi * per_group:(gi + 1) * per_group]
        # pairs of channels, chunks of 4 rows of k: [4 bytes of channel 2j][4 of 2j+1] (pc_aot.h)
        blocks.append(P.reshape(pgp // 2, 2, k_pad // 4, 4).transpose(0, 2, 1, 3).reshape(-1))
    acc_bound = int(np.abs(W).sum(axis=1).max() * 128 + np.abs(folded).max())
    rq, fast, step = ctx.rq(pairs, zp_out, oc, acc_bound)
    pn = ctx.struct("pc_aot_conv_t", "pc_conv", {
        "w": ctx.const("int8_t", "pc_w", np.concatenate(blocks), align=16),
        "bias": ctx.const("int32_t", "pc_b", bias_rows.reshape(-1)), "rq": rq, "rq_step": step, **geo,
        "filter_in_c": fic, "groups": groups, "per_group": per_group, "k": _u16(ctx, k, o.op, kk, "filter size"),
        "k_pad": _u16(ctx, k, o.op, k_pad, "filter size"), "in_zp": zp_in, "out_zp": zp_out, "act_min": lo, "act_max": hi,
        "flags": _flags(fast, lo, hi)})
    macs = geo["batches"] * geo["out_h"] * geo["out_w"] * oc * kk
    inplace = [(0, lag)] if lag is not None and groups == 1 else []
    return Step(k, o.op, [src], [o.outputs[0]], scratch=5 * k_pad + 8 * pgp, macs=macs, inplace=inplace,
                emit=lambda p, s: f"pc_aot_conv(&{pn}, {p[0]}, {p['o0']}, {s});")


def lower_depthwise_conv_2d(ctx, k, o):
    src, w, y, geo, (zp_in, zp_out, lo, hi), bias, pairs, mult, lag = _conv_common(ctx, k, o, True)
    oc, taps = geo["out_c"], geo["k_h"] * geo["k_w"]
    W = w.data.reshape(taps, oc).astype(np.int64)
    folded = bias - zp_in * W.sum(axis=0)
    if folded.min() < -(1 << 31) or folded.max() >= (1 << 31):
        ctx.fail(k, o.op, "folded bias overflows int32")
    acc_bound = int(np.abs(W).sum(axis=0).max() * 128 + np.abs(folded).max())
    rq, fast, step = ctx.rq(pairs, zp_out, oc, acc_bound)
    tap_pairs, odd, oc_pad = taps // 2, taps & 1, _up(oc, 4)
    P = np.zeros((taps, oc_pad), np.int64)
    P[:, :oc] = W
    # per quad of channels: pairs of taps (w[2j][c], w[2j+1][c]) for its 4 channels, then an odd
    # last tap as (c0, c2), (c1, c3) (pc_aot.h)
    pairs_part = P[:2 * tap_pairs].reshape(tap_pairs, 2, oc_pad // 4, 4).transpose(2, 0, 3, 1).reshape(oc_pad // 4, -1)
    odd_part = P[2 * tap_pairs:].reshape(odd, oc_pad // 4, 2, 2).transpose(1, 0, 3, 2).reshape(oc_pad // 4, -1)
    packed = np.concatenate([pairs_part, odd_part], axis=1).reshape(-1)
    pn = ctx.struct("pc_aot_dwconv_t", "pc_dw", {
        "w": ctx.const("int16_t", "pc_w", packed, align=16),
        "bias": ctx.const("int32_t", "pc_b", folded), "rq": rq, "rq_step": step, **geo,
        "depth_mult": mult, "tap_pairs": tap_pairs, "odd_tap": odd, "in_zp": zp_in, "out_zp": zp_out, "act_min": lo, "act_max": hi,
        "flags": _flags(fast, lo, hi)})
    macs = geo["batches"] * geo["out_h"] * geo["out_w"] * oc * taps
    return Step(k, o.op, [src], [o.outputs[0]], scratch=_up(geo["in_c"], ALIGN) + 4 * oc, macs=macs,
                inplace=[(0, lag)] if lag is not None else [],
                emit=lambda p, s: f"pc_aot_dwconv(&{pn}, {p[0]}, {p['o0']}, {s});")


def _bcast(ctx, k, o, a, b, y):
    try:
        sa, sb, so = _pad4(a.shape), _pad4(b.shape), _pad4(y.shape)
    except ValueError:
        ctx.fail(k, o.op, "tensors of rank > 4 are not supported")
    if list(a.shape) == list(b.shape) == list(y.shape):
        n = y.size
        return [1, 1, 1, n], [0, 0, 0, 1], [0, 0, 0, 1]

    def strides(s):
        st, acc = [0] * 4, 1
        for i in range(3, -1, -1):
            st[i] = acc if s[i] > 1 else 0
            acc *= s[i]
        return st
    for i in range(4):
        if not (sa[i] in (1, so[i]) and sb[i] in (1, so[i])):
            ctx.fail(k, o.op, f"cannot broadcast {a.shape} and {b.shape} to {y.shape}")
    return so, strides(sa), strides(sb)


def _binary(ctx, k, o, is_add):
    g = ctx.g
    a, b, y = g.tensors[o.inputs[0]], g.tensors[o.inputs[1]], g.tensors[o.outputs[0]]
    if not (a.dtype == b.dtype == y.dtype == "INT8"):
        ctx.fail(k, o.op, "only int8 inputs and output are supported")
    s1, z1 = ctx.q(a.index, k, o.op, "input 1")
    s2, z2 = ctx.q(b.index, k, o.op, "input 2")
    so, zo = ctx.q(y.index, k, o.op, "output")
    lo, hi = _act(ctx, k, o.op, y.index)
    dims, st1, st2 = _bcast(ctx, k, o, a, b, y)
    for d in dims + st1 + st2:
        if d > 65535:
            ctx.fail(k, o.op, "tensor too large for the aot engine")
    fields = {"dims": dims, "s1": st1, "s2": st2, "in1_offset": -z1, "in2_offset": -z2, "out_zp": zo,
              "act_min": lo, "act_max": hi}
    if is_add:
        ap = quant.add_params(s1, s2, so)
        (m1, sh1), (m2, sh2), (mo, sho) = ap["in1"], ap["in2"], ap["out"]
        fields.update(in1_mult=m1, in2_mult=m2, out_mult=mo, in1_shift=sh1, in2_shift=sh2, out_shift=sho,
                      left_shift=ap["left_shift"])
    else:
        mo, sho = quant.mul_params(s1, s2, so)
        fields.update(out_mult=mo, out_shift=sho)
    pn = ctx.struct("pc_aot_eltwise_t", "pc_elt", fields)
    fn = "pc_aot_add" if is_add else "pc_aot_mul"
    # an input of the output's shape is read at each element's own position: in place is safe
    inplace = [(j, 0) for j, t in enumerate((a, b)) if list(t.shape) == list(y.shape) and t.data is None]
    return Step(k, o.op, [o.inputs[0], o.inputs[1]], [o.outputs[0]], inplace=inplace,
                emit=lambda p, s: f"{fn}(&{pn}, {p[0]}, {p[1]}, {p['o0']});")


def lower_add(ctx, k, o):
    return _binary(ctx, k, o, True)


def lower_mul(ctx, k, o):
    return _binary(ctx, k, o, False)


def _pool(ctx, k, o, is_max):
    g = ctx.g
    x, y = g.tensors[o.inputs[0]], g.tensors[o.outputs[0]]
    if len(x.shape) != 4 or len(y.shape) != 4:
        ctx.fail(k, o.op, "expects 4-D NHWC tensors")
    opt = o.options
    nb, ih, iw, c = x.shape
    kh, kw = opt.get("filter_height", 1), opt.get("filter_width", 1)
    sh, sw = opt.get("stride_h", 1), opt.get("stride_w", 1)
    eh, ph = _padding(opt.get("padding", "VALID"), ih, kh, sh, 1)
    ew, pw = _padding(opt.get("padding", "VALID"), iw, kw, sw, 1)
    if (eh, ew) != tuple(y.shape[1:3]):
        ctx.fail(k, o.op, f"output {y.shape} does not match the padding")
    lo, hi = _act(ctx, k, o.op, y.index)
    for v, what in ((sh, "stride"), (sw, "stride"), (ph, "padding"), (pw, "padding")):
        _u8(ctx, k, o.op, v, what)
    pn = ctx.struct("pc_aot_pool_t", "pc_pool", {
        "batches": nb, "in_h": ih, "in_w": iw, "ch": c, "out_h": eh, "out_w": ew, "k_h": kh, "k_w": kw,
        "stride_h": sh, "stride_w": sw, "pad_h": ph, "pad_w": pw, "act_min": lo, "act_max": hi})
    fn = "pc_aot_maxpool" if is_max else "pc_aot_avgpool"
    return Step(k, o.op, [o.inputs[0]], [o.outputs[0]], emit=lambda p, s: f"{fn}(&{pn}, {p[0]}, {p['o0']});")


def lower_average_pool_2d(ctx, k, o):
    return _pool(ctx, k, o, False)


def lower_max_pool_2d(ctx, k, o):
    return _pool(ctx, k, o, True)


def lower_mean(ctx, k, o):
    g = ctx.g
    x, ax, y = g.tensors[o.inputs[0]], g.tensors[o.inputs[1]], g.tensors[o.outputs[0]]
    if ax.data is None:
        ctx.fail(k, o.op, "axis must be a constant")
    if len(x.shape) > 4:
        ctx.fail(k, o.op, "input rank > 4 is not supported")
    r = len(x.shape)
    pad = 4 - r
    mask = 0
    for a in ax.data.reshape(-1).tolist():
        a = a + r if a < 0 else a
        mask |= 1 << (a + pad)
    dims = _pad4(x.shape)
    count = int(np.prod([dims[i] for i in range(4) if mask >> i & 1])) if mask else 1
    si, zi = ctx.q(x.index, k, o.op, "input")
    so, zo = ctx.q(y.index, k, o.op, "output")
    m, s = quant.mean_params(si, so, count)
    pn = ctx.struct("pc_aot_mean_t", "pc_mean", {"dims": dims, "reduce_mask": mask, "count": count, "in_zp": zi,
                                                 "out_zp": zo, "mult": m, "shift": s})
    return Step(k, o.op, [o.inputs[0]], [o.outputs[0]], scratch=4 * y.size,
                emit=lambda p, s_: f"pc_aot_mean(&{pn}, {p[0]}, {p['o0']}, (int32_t *)(void *)({s_}));")


def lower_reshape(ctx, k, o):
    return None          # the output shares the input's storage (lower() aliases them)


def lower_quantize(ctx, k, o):
    g = ctx.g
    x, y = g.tensors[o.inputs[0]], g.tensors[o.outputs[0]]
    if x.dtype != "INT8" or y.dtype != "INT8":
        ctx.fail(k, o.op, f"{x.dtype} -> {y.dtype} is not supported (int8 -> int8 only)",
                 "give the model an int8 input (full-integer quantization with int8 I/O)")
    si, zi = ctx.q(x.index, k, o.op, "input")
    so, zo = ctx.q(y.index, k, o.op, "output")
    m, s = quant.requant_params(si, so)
    pn = ctx.struct("pc_aot_requant_t", "pc_rq", {"n": y.size, "in_zp": zi, "out_zp": zo, "mult": m, "shift": s})
    return Step(k, o.op, [o.inputs[0]], [o.outputs[0]], inplace=[(0, 0)],
                emit=lambda p, s_: f"pc_aot_requant(&{pn}, {p[0]}, {p['o0']});")


def lower_dequantize(ctx, k, o):
    g = ctx.g
    x, y = g.tensors[o.inputs[0]], g.tensors[o.outputs[0]]
    if x.dtype != "INT8" or y.dtype != "FLOAT32":
        ctx.fail(k, o.op, f"{x.dtype} -> {y.dtype} is not supported (int8 -> float32 only)")
    si, zi = ctx.q(x.index, k, o.op, "input")
    sc = c_double(float(np.float32(si)))
    return Step(k, o.op, [o.inputs[0]], [o.outputs[0]],
                emit=lambda p, s_: f"pc_aot_dequant({x.size}u, {p[0]}, (float *)(void *){p['o0']}, {sc}, {zi});")


def lower_transpose(ctx, k, o):
    g = ctx.g
    x, pm = g.tensors[o.inputs[0]], g.tensors[o.inputs[1]]
    if pm.data is None or len(x.shape) > 4:
        ctx.fail(k, o.op, "needs a constant permutation and rank <= 4")
    pad = 4 - len(x.shape)
    perm = list(range(pad)) + [int(p) + pad for p in pm.data.reshape(-1)]
    dims = _pad4(x.shape)
    st, acc = [0] * 4, 1
    for i in range(3, -1, -1):
        st[i] = acc
        acc *= dims[i]
    pn = ctx.struct("pc_aot_transpose_t", "pc_tr", {"dims": [dims[p] for p in perm],
                                                    "strides": [f"{st[p]}u" for p in perm]})
    return Step(k, o.op, [o.inputs[0]], [o.outputs[0]], emit=lambda p, s_: f"pc_aot_transpose(&{pn}, {p[0]}, {p['o0']});")


def lower_pad(ctx, k, o):
    g = ctx.g
    x, pads, y = g.tensors[o.inputs[0]], g.tensors[o.inputs[1]], g.tensors[o.outputs[0]]
    if k in ctx.fused_pads:
        return None      # folded into the convolution that reads it (lower() aliases nothing here)
    if pads.data is None or len(x.shape) > 4 or x.dtype != "INT8":
        ctx.fail(k, o.op, "needs int8 data of rank <= 4 and constant paddings")
    if len(o.inputs) > 2:
        ctx.fail(k, o.op, "an explicit pad value is not supported", "pad with the zero point (PAD without a constant)")
    si, zi = ctx.q(x.index, k, o.op, "input")
    so, zo = ctx.q(y.index, k, o.op, "output")
    if np.float32(si) != np.float32(so) or zi != zo:
        ctx.fail(k, o.op, "input and output must share scale and zero point (TFLM's int8 restriction)")
    P = pads.data.reshape(-1, 2).astype(int)
    if (P < 0).any():
        ctx.fail(k, o.op, "negative paddings are not supported")
    before = [0] * (4 - len(x.shape)) + P[:, 0].tolist()
    pn = ctx.struct("pc_aot_pad_t", "pc_pad", {"in_dims": _pad4(x.shape), "out_dims": _pad4(y.shape), "before": before,
                                               "value": zo})
    return Step(k, o.op, [o.inputs[0]], [o.outputs[0]], emit=lambda p, s_: f"pc_aot_pad(&{pn}, {p[0]}, {p['o0']});")


def fusable_pads(g):
    """{PAD node: (its input tensor, top, left)} for PADs of H and W only whose every reader is
    a CONV_2D or DEPTHWISE_CONV_2D: those convs read the unpadded input with a larger padding
    (padding taps read the zero point, exactly what PAD wrote)."""
    out = {}
    for o in g.operators:
        if o.op != "PAD" or len(o.inputs) != 2:
            continue
        x, pads, y = (g.tensors[i] for i in (o.inputs[0], o.inputs[1], o.outputs[0]))
        if pads.data is None or len(x.shape) != 4 or x.dtype != "INT8" or o.outputs[0] in g.outputs:
            continue
        P = pads.data.reshape(-1, 2).astype(int)
        readers = [g.operators[i] for i in g.consumers(o.outputs[0])]
        same_q = len(x.scale) == len(y.scale) == 1 and np.float32(x.scale[0]) == np.float32(y.scale[0]) \
            and int(x.zero_point[0]) == int(y.zero_point[0])
        if readers and same_q and (P >= 0).all() and not P[0].any() and not P[3].any() \
                and all(r.op in ("CONV_2D", "DEPTHWISE_CONV_2D") and r.inputs[0] == o.outputs[0] for r in readers):
            out[o.index] = (o.inputs[0], int(P[1, 0]), int(P[2, 0]))
    return out


def lower_concatenation(ctx, k, o):
    g = ctx.g
    y = g.tensors[o.outputs[0]]
    axis = o.options.get("axis", 0)
    axis = axis + len(y.shape) if axis < 0 else axis
    so, zo = ctx.q(y.index, k, o.op, "output")
    inner = []
    for i in o.inputs:
        t = g.tensors[i]
        si, zi = ctx.q(i, k, o.op, "input")
        if np.float32(si) != np.float32(so) or zi != zo:
            ctx.fail(k, o.op, "inputs and output must share scale and zero point (TFLM's int8 restriction)")
        inner.append(int(np.prod(t.shape[axis:])))
    outer = int(np.prod(y.shape[:axis]))
    n = len(o.inputs)
    inn = ctx.const("uint32_t", "pc_cat", inner, weight=False)

    def emit(p, s_):
        ptrs = ", ".join(p[j] for j in range(n))
        return f"{{ const int8_t *const ins[{n}] = {{{ptrs}}}; pc_aot_concat({outer}u, {n}u, ins, {inn}, {p['o0']}); }}"
    return Step(k, o.op, list(o.inputs), [o.outputs[0]], emit=emit)


def _act_io(ctx, k, o):
    """SOFTMAX / LOGISTIC: int8 in, int8 out quantized as TFLM requires (1/256, -128)."""
    g = ctx.g
    x, y = g.tensors[o.inputs[0]], g.tensors[o.outputs[0]]
    if x.dtype != "INT8" or y.dtype != "INT8":
        ctx.fail(k, o.op, f"{x.dtype} -> {y.dtype} is not supported (int8 -> int8 only)",
                 "export with full-integer quantization and int8 activations")
    if x.size != y.size:
        ctx.fail(k, o.op, f"input {x.shape} and output {y.shape} differ in size")
    si, zi = ctx.q(x.index, k, o.op, "input")
    so, zo = ctx.q(y.index, k, o.op, "output")
    if np.float32(so) != np.float32(1.0 / 256) or zo != -128:
        ctx.fail(k, o.op, f"output scale {so:.9g} / zero point {zo} must be 1/256 and -128 for int8",
                 "re-export with the converter's default int8 output quantization")
    return x, si, zi


def lower_softmax(ctx, k, o):
    x, si, _ = _act_io(ctx, k, o)
    if len(x.shape) < 1:
        ctx.fail(k, o.op, "input must have at least one dimension")
    depth = int(x.shape[-1])
    if not 0 < depth <= 511:
        # TFLM's sum of exps can reach depth; from 512 on its output exponent check aborts
        ctx.fail(k, o.op, f"last dimension {depth} is outside 1..511 (TFLM aborts on rows whose exps sum to 512 or more)",
                 "apply softmax on the host or split the classes")
    beta = float(np.float32(o.options.get("beta", 0.0)))
    try:
        mult, shift, diff_min = quant.softmax_params(si, beta)
    except ValueError as e:
        ctx.fail(k, o.op, f"beta {beta:g} with input scale {si:.9g}: {e}")
    pn = ctx.struct("pc_aot_softmax_t", "pc_softmax", {"outer": f"{x.size // depth}u", "depth": f"{depth}u", "mult": mult,
                                                       "diff_min": diff_min, "left_shift": shift})
    return Step(k, o.op, [o.inputs[0]], [o.outputs[0]], scratch=4 * depth, inplace=[(0, 0)],
                emit=lambda p, s_: f"pc_aot_softmax(&{pn}, {p[0]}, {p['o0']}, (int32_t *)(void *)({s_}));")


def lower_logistic(ctx, k, o):
    x, si, zi = _act_io(ctx, k, o)
    try:
        mult, shift, radius = quant.logistic_params(si)
    except ValueError as e:
        ctx.fail(k, o.op, str(e))
    if radius == 0:
        shift = 0  # never used: every input saturates; keeps the int8 field in range
    pn = ctx.struct("pc_aot_logistic_t", "pc_logistic", {"n": f"{x.size}u", "in_zp": zi, "mult": mult,
                                                         "radius": radius, "left_shift": shift})
    return Step(k, o.op, [o.inputs[0]], [o.outputs[0]], inplace=[(0, 0)],
                emit=lambda p, s_: f"pc_aot_logistic(&{pn}, {p[0]}, {p['o0']});")


# ---- the graph -------------------------------------------------------------------------------

def check_ops(g, where, engine="aot"):
    """Stop at the first op the engine lacks, naming it, its node index and what to do."""
    for o in g.operators:
        if o.op not in OPS or engine not in OPS[o.op].engines:
            raise PacketclipError(unsupported(where, o.index, o.op, engine))


_TRACE = """#ifdef PC_AOT_TRACE
pc_aot_trace_fn pc_aot_trace;  /* set by a host debugger: called after every op */
#define PC_TRACE(node, tensor, data, bytes) \\
    do { if (pc_aot_trace) pc_aot_trace((node), (tensor), (const int8_t *)(data), (bytes)); } while (0)
#else
#define PC_TRACE(node, tensor, data, bytes) ((void)0)
#endif
"""


def lower(g, where="model.tflite"):
    """Graph -> Lowered (C source of pc_model.c without the info block)."""
    check_ops(g, where)
    if len(g.inputs) != 1 or len(g.outputs) != 1:
        raise PacketclipError(f"{where}: the aot engine needs exactly one input and one output tensor (has {len(g.inputs)} and {len(g.outputs)})")
    ctx = _Ctx(g, where)
    T = g.tensors

    # Storage groups: a RESHAPE output shares its input's storage.
    parent = {}

    def root(t):
        while parent.get(t, t) != t:
            t = parent[t]
        return t
    steps = []
    for o in g.operators:
        st = OPS[o.op].lower()(ctx, o.index, o)
        if st is not None:
            steps.append(st)
        elif o.index not in ctx.fused_pads:      # a reshape: same storage
            parent[root(o.outputs[0])] = root(o.inputs[0])

    gin, gout = root(g.inputs[0]), root(g.outputs[0])
    # Constant data operands (e.g. ADD with a constant) become const arrays.
    const_names = {}
    for st in steps:
        for ti in st.inputs:
            t = T[ti]
            if t.data is not None and ti not in const_names:
                ctype = {"INT8": "int8_t", "INT32": "int32_t"}.get(t.dtype)
                if ctype is None:
                    ctx.fail(st.op_index, st.op, f"constant input of type {t.dtype} is not supported")
                const_names[ti] = ctx.const(ctype, "pc_c", t.data.reshape(-1), align=4)

    # Lifetimes of activation groups (op positions in `steps`): the graph input is written
    # before the first op, the output read after the last.
    first, last, size = {gin: -1}, {gout: len(steps)}, {}
    for i, st in enumerate(steps):
        for ti in st.outputs:
            r = root(ti)
            first.setdefault(r, i)
            size[r] = max(size.get(r, 0), T[ti].size * _ELEM.get(T[ti].dtype, 1))
        for ti in st.inputs:
            if ti in const_names:
                continue
            r = root(ti)
            last[r] = max(last.get(r, -1), i)
            size[r] = max(size.get(r, 0), T[ti].size * _ELEM.get(T[ti].dtype, 1))
    size.setdefault(gin, T[g.inputs[0]].size)
    bufs = {r: Buf(f"t{r}", size[r], first.get(r, -1), last.get(r, first.get(r, -1))) for r in sorted(size)}
    # In place: an op that is the last reader of an input may write its output over it. Each
    # such overlap is kept when it does not raise the peak (anchoring a whole chain of layers
    # would fix all their offsets relative to each other and can cost more than it saves).
    cands = []
    for i, st in enumerate(steps):
        out = bufs[root(st.outputs[0])]
        for pos, rel in st.inplace:
            ti = st.inputs[pos]
            if ti in const_names or last[root(ti)] != i or root(ti) == root(st.outputs[0]) or rel <= -out.size:
                continue
            src = bufs[root(ti)]
            # any offset up to `rel` is safe; inside the input's bytes costs the least
            cands.append((out, src, min(rel, max(0, src.size - out.size)) // ALIGN * ALIGN))
            break
    scratch = [Buf(f"scratch{i}", _up(st.scratch, ALIGN), i, i) for i, st in enumerate(steps) if st.scratch]
    all_bufs = list(bufs.values()) + scratch
    arena = plan(all_bufs, align=ALIGN)
    for out, src, rel in cands:
        if any(b.anchor == src.name for b in bufs.values()):
            continue
        out.anchor, out.rel = src.name, rel
        trial = plan(all_bufs, align=ALIGN)
        if trial <= arena:
            arena = trial
        else:
            out.anchor, out.rel = None, 0
    arena = plan(all_bufs, align=ALIGN)
    where_of = {b.name: b.offset for b in all_bufs}

    def ptr(ti):
        if ti in const_names:
            return const_names[ti]
        return f"(pc_arena_bytes + {where_of[f't{root(ti)}']})"

    body = []
    for i, st in enumerate(steps):
        p = {j: ptr(ti) for j, ti in enumerate(st.inputs)}
        p["o0"] = ptr(st.outputs[0])
        s = f"(pc_arena_bytes + {where_of[f'scratch{i}']})" if st.scratch else "NULL"
        t_out = T[st.outputs[0]]
        body.append(f"    {st.emit(p, s)}  /* node {st.op_index}: {st.op} */")
        body.append(f"    PC_TRACE({st.op_index}, {t_out.index}, {p['o0']}, {t_out.size * _ELEM.get(t_out.dtype, 1)}u);")
    if gin != gout and not any(root(ti) == gout for st in steps for ti in st.outputs):
        raise PacketclipError(f"{where}: the graph output is not computed by any op")

    arena_words = max(1, (arena + 3) // 4)
    io = {"input_offset": where_of[f"t{gin}"], "output_offset": where_of[f"t{gout}"]}
    src = [ALIGN_MACRO, _TRACE, "".join(ctx.decls),
           f"static uint32_t pc_arena[{arena_words}];  /* activations (input and output included) + scratch, "
           f"planned on the host: {arena} bytes */\n",
           "#define pc_arena_bytes ((int8_t *)(void *)pc_arena)\n\n",
           f"int8_t *pc_engine_input(void) {{ return pc_arena_bytes + {io['input_offset']}; }}\n\n",
           f"const int8_t *pc_engine_output(void) {{ return pc_arena_bytes + {io['output_offset']}; }}\n\n",
           "int pc_engine_invoke(void) {\n" + "\n".join(body) + "\n    return 0;\n}\n"]
    macs = sum(st.macs for st in steps)
    return Lowered(source="\n".join(src), arena_bytes=arena, ops=[o.op for o in g.operators], macs=macs,
                   weight_bytes=ctx.weight_bytes,
                   buffers=[{"name": b.name, "size": b.size, "offset": b.offset, "first": b.first, "last": b.last,
                             **({"over": b.anchor} if b.anchor else {})} for b in all_bufs],
                   sum_bytes=sum(b.size for b in all_bufs), io=io)
