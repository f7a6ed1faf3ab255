"""TFLM's Prepare-time arithmetic, reproduced in Python so the generated C holds the very
multipliers, shifts and clamps TFLM computes (tflite-micro kernels/internal/quantization_util.cc,
kernels/kernel_util.cc and the micro kernels' Prepare functions).

Scales come from the flatbuffer as float32; TFLM sometimes multiplies them in float before
widening to double (per-tensor FULLY_CONNECTED) and sometimes in double: both are kept.
"""

import math

import numpy as np

INT8_MIN, INT8_MAX = -128, 127


def _round_half_away(x):
    """std::round for doubles (exact here: |x| < 2^53)."""
    return math.floor(x + 0.5) if x >= 0 else -math.floor(-x + 0.5)


def quantize_multiplier(real):
    """QuantizeMultiplier (double rounding build): real -> (int32 multiplier, shift)."""
    real = float(real)
    if real == 0.0:
        return 0, 0
    q, shift = math.frexp(real)
    q_fixed = _round_half_away(q * (1 << 31))
    assert q_fixed <= (1 << 31)
    if q_fixed == (1 << 31):
        q_fixed //= 2
        shift += 1
    if shift < -31:
        shift, q_fixed = 0, 0
    return int(q_fixed), int(shift)


def f32(x):
    return np.float32(x)


def quantize_value(scale, zero_point, f):
    """kernel_util's Quantize(): zero_point + round(f / scale) with float32 division."""
    tmp = float(f32(f) / f32(scale))
    return int(zero_point) + int(_round_half_away(tmp))


def activation_range(act, scale, zero_point, qmin=INT8_MIN, qmax=INT8_MAX):
    """CalculateActivationRangeQuantized for a fused activation name."""
    act = act or "NONE"
    if act == "NONE":
        return qmin, qmax
    if act == "RELU":
        return max(qmin, quantize_value(scale, zero_point, 0.0)), qmax
    if act == "RELU6":
        return (max(qmin, quantize_value(scale, zero_point, 0.0)),
                min(qmax, quantize_value(scale, zero_point, 6.0)))
    if act == "RELU_N1_TO_1":
        return (max(qmin, quantize_value(scale, zero_point, -1.0)),
                min(qmax, quantize_value(scale, zero_point, 1.0)))
    raise ValueError(act)


def conv_multipliers(in_scale, filter_scales, out_scale, channels):
    """PopulateConvolutionQuantizationParams (CONV_2D, DEPTHWISE_CONV_2D; per-tensor is broadcast)."""
    fs = np.asarray(filter_scales, np.float32).reshape(-1)
    out = []
    for i in range(channels):
        s = fs[i] if len(fs) > 1 else fs[0]
        real = float(f32(in_scale)) * float(s) / float(f32(out_scale))
        out.append(quantize_multiplier(real))
    return out


def fc_multipliers(in_scale, filter_scales, out_scale, channels):
    """FULLY_CONNECTED Prepare: per-channel like conv; per-tensor multiplies the float scales first."""
    fs = np.asarray(filter_scales, np.float32).reshape(-1)
    if len(fs) > 1:
        return conv_multipliers(in_scale, fs, out_scale, channels)
    prod = float(f32(in_scale) * f32(fs[0]))          # float product, then double
    real = prod / float(f32(out_scale))
    return [quantize_multiplier(real)] * channels


def add_params(s1, s2, so):
    """CalculateOpDataAdd for int8: left_shift 20 and three multipliers."""
    s1, s2, so = f32(s1), f32(s2), f32(so)
    twice_max = 2 * float(max(s1, s2))
    r1 = float(s1) / twice_max
    r2 = float(s2) / twice_max
    ro = twice_max / ((1 << 20) * float(so))
    return {"left_shift": 20, "in1": quantize_multiplier(r1), "in2": quantize_multiplier(r2),
            "out": quantize_multiplier(ro)}


def mul_params(s1, s2, so):
    return quantize_multiplier(float(f32(s1)) * float(f32(s2)) / float(f32(so)))


def requant_params(si, so):
    return quantize_multiplier(float(f32(si)) / float(f32(so)))


def mean_params(si, so, count):
    """PrepareMeanOrSumHelper + QuantizedMeanOrSum's division of the multiplier by the count."""
    mult, shift = quantize_multiplier(float(f32(si)) / float(f32(so)))
    s = int(count).bit_length() - 1          # 63 - CountLeadingZeros(count)
    s = min(s, 32)
    s = min(s, 31 + shift)
    mult = int((mult << s) // int(count))
    return mult, shift - s


# ---- SOFTMAX and LOGISTIC (int8 in, int8 out at scale 1/256, zero point -128) -------------
# Both run gemmlowp fixed point on the device; only these scalars come from Prepare.

SOFTMAX_DIFF_INT_BITS = 5        # exp() input is Q5.26 (kScaledDiffIntegerBits)
LOGISTIC_INPUT_INT_BITS = 4      # logistic() input is Q4.27


def input_radius(int_bits, left_shift, total_bits=31):
    """CalculateInputRadius: floor((2^int_bits - 1) * 2^(total - int_bits) / 2^left_shift).
    Every factor is a power of two or a small integer, so the double result is exact."""
    if left_shift < 0:
        raise ValueError("negative left shift")
    return (((1 << int_bits) - 1) << (total_bits - int_bits)) >> left_shift


def softmax_params(in_scale, beta):
    """PreprocessSoftmaxScaling (double-rounding build) + diff_min.

    Returns (input_multiplier, input_left_shift, diff_min). Raises ValueError where TFLM's
    QuantizeMultiplierGreaterThanOne check would abort (beta * scale * 2^26 <= 1)."""
    real = float(f32(beta)) * float(f32(in_scale)) * float(1 << (31 - SOFTMAX_DIFF_INT_BITS))
    real = min(real, float((1 << 31) - 1))
    if not real > 1.0:
        raise ValueError(f"beta * input scale = {real / (1 << 26):.3g} is too small (TFLM needs > 2^-26)")
    mult, shift = quantize_multiplier(real)
    if shift < 0 or shift > 31:
        raise ValueError(f"input left shift {shift} out of range")
    diff_min = -input_radius(SOFTMAX_DIFF_INT_BITS, shift)
    return mult, shift, diff_min


def logistic_params(in_scale):
    """CalculateArithmeticOpDataLogistic for int8: frexp of scale * 2^27, the mantissa rounded
    to Q31 without QuantizeMultiplier's 2^31 fix-up. Returns (multiplier, left_shift, radius)."""
    real = float(f32(in_scale)) * float(1 << (31 - LOGISTIC_INPUT_INT_BITS))
    q, shift = math.frexp(real)
    mult = _round_half_away(q * (1 << 31))
    if not 0 < mult < (1 << 31):
        raise ValueError(f"input scale {in_scale} gives multiplier {mult} outside int32")
    if not 0 <= shift <= 62:
        raise ValueError(f"input scale {in_scale} gives left shift {shift} (TFLM needs 0..62)")
    return int(mult), int(shift), input_radius(LOGISTIC_INPUT_INT_BITS, shift)
