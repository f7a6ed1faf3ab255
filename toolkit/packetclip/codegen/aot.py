"""Ahead-of-time C for an int8 TFLite graph: one kernel call per op, constants in flash,
activations in one static arena planned on the host.

lower(graph) checks every op, computes TFLM's Prepare-time numbers (quant.py) and returns the
C source of `pc_model.c` plus a summary. Reshapes cost nothing: their output shares the
input's storage. The graph input is read in place from the caller's buffer and the last op
writes straight into the caller's output buffer.
"""

from dataclasses import dataclass, field

import numpy as np

from packetclip.bundle.ops import SUPPORTED_OPS, UNSUPPORTED_HINT
from packetclip.codegen import quant
from packetclip.codegen.cwrite import ALIGN_MACRO, c_array, c_double, c_float
from packetclip.codegen.plan import Buf, plan
from packetclip.errors import PacketclipError

AOT_OPS = ("FULLY_CONNECTED", "RESHAPE", "QUANTIZE", "DEQUANTIZE", "CONV_2D", "DEPTHWISE_CONV_2D",
           "ADD", "MUL", "MEAN", "AVERAGE_POOL_2D", "MAX_POOL_2D", "TRANSPOSE", "CONCATENATION",
           "SOFTMAX", "LOGISTIC")
_ELEM = {"INT8": 1, "INT32": 4, "FLOAT32": 4, "INT16": 2}


@dataclass
class Step:
    op_index: int
    op: str
    inputs: list                  # value ids (or ("const", cname))
    outputs: list
    emit: object                  # fn(ptr: dict value->expr, scratch expr) -> C statement
    scratch: int = 0
    macs: int = 0


@dataclass
class Lowered:
    source: str
    arena_bytes: int
    ops: list
    macs: int
    weight_bytes: int
    buffers: list = field(default_factory=list)
    sum_bytes: int = 0


class _Ctx:
    def __init__(self, g, where):
        self.g, self.where = g, where
        self.decls = []          # C text of constants and params
        self.weight_bytes = 0
        self.uid = 0

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


def _pad4(shape):
    shape = list(shape)
    if len(shape) > 4:
        raise ValueError("rank > 4")
    return [1] * (4 - len(shape)) + shape


def _u8(ctx, k, op, v, what):
    if not 0 <= v <= 255:
        ctx.fail(k, op, f"{what} {v} is out of range for the aot engine (0..255)")
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


def _mults(ctx, pairs):
    m = ctx.const("int32_t", "pc_mult", [p[0] for p in pairs])
    s = ctx.const("int8_t", "pc_shift", [p[1] for p in pairs])
    return m, s


# ---- per-op lowering: each returns a Step -------------------------------------------------

def _fully_connected(ctx, k, o):
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
    pairs = quant.fc_multipliers(s_in, w.scale, s_out, out_n)
    lo, hi = _act(ctx, k, o.op, y.index)
    in_pad = (in_n + 7) // 8 * 8
    out_pad = out_n + (out_n & 1)
    P = np.zeros((out_pad, in_pad), np.int64)
    P[:out_n, :in_n] = W
    # pairs of rows, chunks of 4 inputs: [4 bytes of row 2j][4 bytes of row 2j+1] (pc_aot.h)
    packed = P.reshape(out_pad // 2, 2, in_pad // 4, 4).transpose(0, 2, 1, 3).reshape(-1)
    wn = ctx.const("int8_t", "pc_w", packed, align=16)
    if out_pad != out_n:  # the DSP loop reads an even number of channels
        folded = np.append(folded, 0)
        pairs = list(pairs) + [(0, -1)]  # never stored; -1 keeps the fast-path check honest
    bn = ctx.const("int32_t", "pc_b", folded)
    mn, sn = _mults(ctx, pairs)
    # Fast requantization is exact when no shift is a left shift and |acc| < 2^30 for any input.
    acc_bound = int(np.abs(W).sum(axis=1).max() * 128 + np.abs(folded).max()) if out_n else 0
    flags = int(all(sh < 0 for _, sh in pairs) and acc_bound < (1 << 30))
    flags |= 2 if (lo, hi) == (-128, 127) else 0
    pn = ctx.name("pc_fc")
    ctx.decls.append(
        f"static const pc_aot_fc_t {pn} = {{{wn}, {bn}, {mn}, {sn}, {in_n}, {in_pad}, {out_n}, {batches}, "
        f"{zp_out}, {lo}, {hi}, {flags}}};\n")
    return Step(k, o.op, [o.inputs[0]], [o.outputs[0]], scratch=in_pad * 2 + out_pad * 4, macs=batches * in_n * out_n,
                emit=lambda p, s: f"pc_aot_fc(&{pn}, {p[0]}, {p['o0']}, (int16_t *)(void *)({s}));")


def _conv(ctx, k, o, depthwise):
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
    s_in, zp_in = ctx.q(x.index, k, o.op, "input")
    s_out, zp_out = ctx.q(y.index, k, o.op, "output")
    pairs = quant.conv_multipliers(s_in, w.scale, s_out, oc)
    lo, hi = _act(ctx, k, o.op, y.index)
    wn = ctx.const("int8_t", "pc_w", w.data.reshape(-1), align=4)
    bn = ctx.const("int32_t", "pc_b", b.data.reshape(-1)) if b is not None else "NULL"
    mn, sn = _mults(ctx, pairs)
    pn = ctx.name("pc_conv")
    for v, what in ((sh, "stride"), (sw, "stride"), (dh, "dilation"), (dw, "dilation"), (ph, "padding"), (pw, "padding")):
        _u8(ctx, k, o.op, v, what)
    ctx.decls.append(
        f"static const pc_aot_conv_t {pn} = {{{wn}, {bn}, {mn}, {sn}, {nb}, {ih}, {iw}, {ic}, {oh}, {ow}, {oc}, "
        f"{kh}, {kw}, {sh}, {sw}, {dh}, {dw}, {ph}, {pw}, {fic}, {-zp_in}, {zp_out}, {lo}, {hi}}};\n")
    fn = "pc_aot_dwconv" if depthwise else "pc_aot_conv"
    macs = nb * oh * ow * oc * kh * kw * (1 if depthwise else fic)
    return Step(k, o.op, [o.inputs[0]], [o.outputs[0]], macs=macs,
                emit=lambda p, s: f"{fn}(&{pn}, {p[0]}, {p['o0']});")


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
    if is_add:
        ap = quant.add_params(s1, s2, so)
        m1, sh1 = ap["in1"]
        m2, sh2 = ap["in2"]
        mo, sho = ap["out"]
        ls = ap["left_shift"]
    else:
        m1 = sh1 = m2 = sh2 = ls = 0
        mo, sho = quant.mul_params(s1, s2, so)
    pn = ctx.name("pc_elt")
    arr = lambda v: "{" + ", ".join(str(int(x)) for x in v) + "}"  # noqa: E731
    ctx.decls.append(
        f"static const pc_aot_eltwise_t {pn} = {{{arr(dims)}, {arr(st1)}, {arr(st2)}, {-z1}, {-z2}, {zo}, {lo}, {hi}, "
        f"{m1}, {m2}, {mo}, {sh1}, {sh2}, {sho}, {ls}}};\n")
    fn = "pc_aot_add" if is_add else "pc_aot_mul"
    return Step(k, o.op, [o.inputs[0], o.inputs[1]], [o.outputs[0]],
                emit=lambda p, s: f"{fn}(&{pn}, {p[0]}, {p[1]}, {p['o0']});")


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
    pn = ctx.name("pc_pool")
    ctx.decls.append(f"static const pc_aot_pool_t {pn} = {{{nb}, {ih}, {iw}, {c}, {eh}, {ew}, {kh}, {kw}, "
                     f"{sh}, {sw}, {ph}, {pw}, {lo}, {hi}}};\n")
    fn = "pc_aot_maxpool" if is_max else "pc_aot_avgpool"
    return Step(k, o.op, [o.inputs[0]], [o.outputs[0]], emit=lambda p, s: f"{fn}(&{pn}, {p[0]}, {p['o0']});")


def _mean(ctx, k, o):
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
    pn = ctx.name("pc_mean")
    ctx.decls.append(f"static const pc_aot_mean_t {pn} = {{{{{', '.join(map(str, dims))}}}, {mask}, {count}, "
                     f"{zi}, {zo}, {m}, {s}}};\n")
    return Step(k, o.op, [o.inputs[0]], [o.outputs[0]], scratch=4 * y.size,
                emit=lambda p, s_: f"pc_aot_mean(&{pn}, {p[0]}, {p['o0']}, (int32_t *)(void *)({s_}));")


def _quantize(ctx, k, o):
    g = ctx.g
    x, y = g.tensors[o.inputs[0]], g.tensors[o.outputs[0]]
    if x.dtype != "INT8" or y.dtype != "INT8":
        ctx.fail(k, o.op, f"{x.dtype} -> {y.dtype} is not supported (int8 -> int8 only)",
                 "give the model an int8 input (full-integer quantization with int8 I/O)")
    si, zi = ctx.q(x.index, k, o.op, "input")
    so, zo = ctx.q(y.index, k, o.op, "output")
    m, s = quant.requant_params(si, so)
    pn = ctx.name("pc_rq")
    ctx.decls.append(f"static const pc_aot_requant_t {pn} = {{{y.size}, {zi}, {zo}, {m}, {s}}};\n")
    return Step(k, o.op, [o.inputs[0]], [o.outputs[0]], emit=lambda p, s_: f"pc_aot_requant(&{pn}, {p[0]}, {p['o0']});")


def _dequantize(ctx, k, o):
    g = ctx.g
    x, y = g.tensors[o.inputs[0]], g.tensors[o.outputs[0]]
    if x.dtype != "INT8" or y.dtype != "FLOAT32":
        ctx.fail(k, o.op, f"{x.dtype} -> {y.dtype} is not supported (int8 -> float32 only)")
    si, zi = ctx.q(x.index, k, o.op, "input")
    sc = c_double(float(np.float32(si)))
    return Step(k, o.op, [o.inputs[0]], [o.outputs[0]],
                emit=lambda p, s_: f"pc_aot_dequant({x.size}u, {p[0]}, (float *)(void *){p['o0']}, {sc}, {zi});")


def _transpose(ctx, k, o):
    g = ctx.g
    x, pm, y = g.tensors[o.inputs[0]], g.tensors[o.inputs[1]], g.tensors[o.outputs[0]]
    if pm.data is None or len(x.shape) > 4:
        ctx.fail(k, o.op, "needs a constant permutation and rank <= 4")
    r = len(x.shape)
    pad = 4 - r
    perm = list(range(pad)) + [int(p) + pad for p in pm.data.reshape(-1)]
    dims = _pad4(x.shape)
    st = [0] * 4
    acc = 1
    for i in range(3, -1, -1):
        st[i] = acc
        acc *= dims[i]
    odims = [dims[p] for p in perm]
    ost = [st[p] for p in perm]
    pn = ctx.name("pc_tr")
    ctx.decls.append(f"static const pc_aot_transpose_t {pn} = {{{{{', '.join(map(str, odims))}}}, "
                     f"{{{', '.join(str(v) + 'u' for v in ost)}}}}};\n")
    return Step(k, o.op, [o.inputs[0]], [o.outputs[0]], emit=lambda p, s_: f"pc_aot_transpose(&{pn}, {p[0]}, {p['o0']});")


def _concat(ctx, k, o):
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


def _softmax(ctx, k, o):
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
    pn = ctx.name("pc_softmax")
    ctx.decls.append(f"static const pc_aot_softmax_t {pn} = {{{x.size // depth}u, {depth}u, {mult}, {diff_min}, {shift}}};\n")
    return Step(k, o.op, [o.inputs[0]], [o.outputs[0]], scratch=4 * depth,
                emit=lambda p, s_: f"pc_aot_softmax(&{pn}, {p[0]}, {p['o0']}, (int32_t *)(void *)({s_}));")


def _logistic(ctx, k, o):
    x, si, zi = _act_io(ctx, k, o)
    try:
        mult, shift, radius = quant.logistic_params(si)
    except ValueError as e:
        ctx.fail(k, o.op, str(e))
    if radius == 0:
        shift = 0  # never used: every input saturates; keeps the int8 field in range
    pn = ctx.name("pc_logistic")
    ctx.decls.append(f"static const pc_aot_logistic_t {pn} = {{{x.size}u, {zi}, {mult}, {radius}, {shift}}};\n")
    return Step(k, o.op, [o.inputs[0]], [o.outputs[0]],
                emit=lambda p, s_: f"pc_aot_logistic(&{pn}, {p[0]}, {p['o0']});")


_LOWER = {
    "FULLY_CONNECTED": _fully_connected,
    "CONV_2D": lambda c, k, o: _conv(c, k, o, False),
    "DEPTHWISE_CONV_2D": lambda c, k, o: _conv(c, k, o, True),
    "ADD": lambda c, k, o: _binary(c, k, o, True),
    "MUL": lambda c, k, o: _binary(c, k, o, False),
    "AVERAGE_POOL_2D": lambda c, k, o: _pool(c, k, o, False),
    "MAX_POOL_2D": lambda c, k, o: _pool(c, k, o, True),
    "MEAN": _mean,
    "QUANTIZE": _quantize,
    "DEQUANTIZE": _dequantize,
    "TRANSPOSE": _transpose,
    "CONCATENATION": _concat,
    "SOFTMAX": _softmax,
    "LOGISTIC": _logistic,
}


def check_ops(g, where, engine_ops=AOT_OPS, engine="aot"):
    """Stop at the first op the engine lacks, naming it, its node index and what to do."""
    for o in g.operators:
        if o.op not in engine_ops or o.op not in SUPPORTED_OPS:
            raise PacketclipError(f"{where}: node {o.index} uses op {o.op}, which the {engine} engine does not support; {UNSUPPORTED_HINT}")


def lower(g, where="model.tflite"):
    """Graph -> Lowered (C source of pc_model.c without the info block)."""
    check_ops(g, where)
    if len(g.inputs) != 1 or len(g.outputs) != 1:
        raise PacketclipError(f"{where}: the aot engine needs exactly one input and one output tensor (has {len(g.inputs)} and {len(g.outputs)})")
    ctx = _Ctx(g, where)

    # Storage groups: a RESHAPE output shares its input's storage.
    parent = {}

    def root(t):
        while parent.get(t, t) != t:
            t = parent[t]
        return t
    steps = []
    for o in g.operators:
        if o.op == "RESHAPE":
            parent[root(o.outputs[0])] = root(o.inputs[0])
            continue
        steps.append(_LOWER[o.op](ctx, o.index, o))

    gin, gout = root(g.inputs[0]), root(g.outputs[0])
    # Constant data operands (e.g. ADD with a constant) become const arrays.
    const_names = {}
    for st in steps:
        for ti in st.inputs:
            t = g.tensors[ti]
            if t.data is not None and ti not in const_names:
                ctype = {"INT8": "int8_t", "INT32": "int32_t"}.get(t.dtype)
                if ctype is None:
                    ctx.fail(st.op_index, st.op, f"constant input of type {t.dtype} is not supported")
                const_names[ti] = ctx.const(ctype, "pc_c", t.data.reshape(-1), align=4)

    # Lifetimes of activation groups (op positions in `steps`).
    first, last, size = {}, {}, {}
    for i, st in enumerate(steps):
        for ti in st.outputs:
            r = root(ti)
            first.setdefault(r, i)
            size[r] = max(size.get(r, 0), g.tensors[ti].size * _ELEM.get(g.tensors[ti].dtype, 1))
        for ti in st.inputs:
            if ti in const_names:
                continue
            r = root(ti)
            last[r] = max(last.get(r, -1), i)
            size[r] = max(size.get(r, 0), g.tensors[ti].size * _ELEM.get(g.tensors[ti].dtype, 1))
    bufs = []
    for r in sorted(size):
        if r in (gin, gout):
            continue
        bufs.append(Buf(f"t{r}", size[r], first.get(r, -1), last.get(r, first.get(r, -1))))
    for i, st in enumerate(steps):
        if st.scratch:
            bufs.append(Buf(f"scratch{i}", st.scratch, i, i))
    arena = plan(bufs, align=4)
    where_of = {b.name: b.offset for b in bufs}

    def ptr(ti, out=False):
        if ti in const_names:
            return const_names[ti]
        r = root(ti)
        if r == gin:
            return "in"
        if r == gout:
            return "out"
        return f"(pc_arena_bytes + {where_of[f't{r}']})"

    body = []
    for i, st in enumerate(steps):
        p = {j: ptr(ti) for j, ti in enumerate(st.inputs)}
        p["o0"] = ptr(st.outputs[0], out=True)
        s = f"(pc_arena_bytes + {where_of[f'scratch{i}']})" if st.scratch else "NULL"
        body.append(f"    {st.emit(p, s)}  /* node {st.op_index}: {st.op} */")
    if gin == gout:  # a graph of reshapes only
        n = g.tensors[g.outputs[0]].size
        body.append(f"    {{ uint32_t i; for (i = 0; i < {n}u; i++) out[i] = in[i]; }}")
    elif not any(root(ti) == gout for st in steps for ti in st.outputs):
        raise PacketclipError(f"{where}: the graph output is not computed by any op")

    arena_words = max(1, (arena + 3) // 4)
    src = []
    src.append(ALIGN_MACRO)
    src.append("".join(ctx.decls))
    src.append(f"static uint32_t pc_arena[{arena_words}];  /* activations + scratch, planned on the host: {arena} bytes */\n")
    src.append("#define pc_arena_bytes ((int8_t *)(void *)pc_arena)\n\n")
    src.append("int pc_engine_invoke(const int8_t *in, int8_t *out) {\n" + "\n".join(body) + "\n    return 0;\n}\n")
    macs = sum(st.macs for st in steps)
    return Lowered(source="\n".join(src), arena_bytes=arena, ops=[o.op for o in g.operators], macs=macs,
                   weight_bytes=ctx.weight_bytes,
                   buffers=[{"name": b.name, "size": b.size, "offset": b.offset, "first": b.first, "last": b.last} for b in bufs],
                   sum_bytes=sum(b.size for b in bufs))
