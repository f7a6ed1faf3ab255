/* packetclip aot engine: int8 kernels called by the code that `packetclip codegen` generates.
 *
 * Every kernel is bit-exact with TensorFlow Lite Micro's reference kernels: the requantization
 * is TFLM's double rounding (saturating rounding doubling high multiply, then rounding divide
 * by a power of two), with multipliers and shifts computed at generation time exactly as TFLM
 * computes them in Prepare. Parameters live in const structs (flash) that the generator fills
 * with designated initializers; it folds what it can (input zero points into biases,
 * activation clamps, padding). Build with PC_AOT_DSP=1 on Arm cores with the DSP extension
 * for the SIMD paths (same data, same results). C99. */
#ifndef PC_AOT_H
#define PC_AOT_H

#include <stdint.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped whenever a struct, a layout or a kernel signature below changes; the generated
 * pc_model.c stops the build when it was generated for another version. */
#define PC_AOT_ABI_VERSION 2

#if defined(__GNUC__) || defined(__clang__)
#define PC_AOT_INLINE static inline __attribute__((always_inline))
#else
#define PC_AOT_INLINE static inline
#endif

/* TFLM's MultiplyByQuantizedMultiplier (double rounding). shift > 0 shifts left first. */
PC_AOT_INLINE int32_t pc_aot_mbqm(int32_t x, int32_t mult, int32_t shift) {
    int32_t left = shift > 0 ? shift : 0;
    int32_t right = shift > 0 ? 0 : -shift;
    int32_t a = (int32_t)((uint32_t)x << left);
    /* SaturatingRoundingDoublingHighMul: mult >= 0 so the only saturating case never occurs;
     * gemmlowp's sign-dependent nudge plus truncating division equals this floor shift. */
    int32_t hi = (int32_t)(((int64_t)a * mult + ((int64_t)1 << 30)) >> 31);
    if (right == 0) return hi;
    {   /* RoundingDivideByPOT: round half away from zero */
        int32_t mask = (int32_t)((1u << right) - 1u);
        int32_t rem = hi & mask;
        int32_t thr = (mask >> 1) + (hi < 0 ? 1 : 0);
        return (hi >> right) + (rem > thr ? 1 : 0);
    }
}

PC_AOT_INLINE int8_t pc_aot_clamp8(int32_t v, int32_t lo, int32_t hi) {
    return (int8_t)(v < lo ? lo : (v > hi ? hi : v));
}

/* Requantization of FULLY_CONNECTED, CONV_2D and DEPTHWISE_CONV_2D: three int32 per channel
 * (rq_step 1), or one entry for a per-tensor layer (rq_step 0), {multiplier, e, k}: TFLM's shift is -e; when the layer has the FAST_RQ flag,
 * every e >= 1 and k = 2^(e-1) + (output zero point << e), so that
 * out = ((h + k - (h < 0)) >> e) with h = SRDHM(acc, multiplier), zero point included. */
typedef struct {
    int32_t mult, e, k;
} pc_aot_rq_t;

#define PC_AOT_FAST_RQ 1u       /* every e >= 1, |acc| < 2^30 for any input, k fits (proven) */
#define PC_AOT_FULL_RANGE 2u    /* act_min == -128 and act_max == 127 */

/* FULLY_CONNECTED. Weights packed by the generator in quads of rows (a short last quad is
 * padded with zero rows): for each chunk of 4 inputs, 4 bytes of row 4j, then 4j+1, 4j+2,
 * 4j+3; inputs padded with zero weights to in_pad (a multiple of 8). bias (out_pad values)
 * already holds bias - input_zero_point * sum(row), so the kernel never sees the input
 * zero point. rq has out_pad entries. */
typedef struct {
    const int8_t *w;
    const int32_t *bias;
    const pc_aot_rq_t *rq;
    uint8_t rq_step;              /* 1 per-channel, 0 per-tensor (one rq entry) */
    uint16_t in_n, in_pad, out_n, out_pad, batches;
    int16_t out_zp;
    int8_t act_min, act_max;
    uint8_t flags;                /* PC_AOT_FAST_RQ | PC_AOT_FULL_RANGE */
} pc_aot_fc_t;
/* scratch (DSP path): in_pad int16 (the expanded input) then min(out_pad, PC_AOT_FC_BLOCK)
 * int32 accumulators, 4-byte aligned */
#define PC_AOT_FC_BLOCK 64u
void pc_aot_fc(const pc_aot_fc_t *p, const int8_t *in, int8_t *out, void *scratch);

/* CONV_2D, NHWC, as a matrix product over im2col rows: for output pixel (y, x) and group g,
 * row k = ((ky * k_w) + kx) * filter_in_c + c holds the input at that tap, or the input zero
 * point where the tap is padding. Weights packed per group in pairs of output channels (an
 * odd last channel of a group is paired with a zero row): for each chunk of 4 of the k_pad
 * rows (k zero-padded to a multiple of 8), 4 bytes of channel 2j then 4 of 2j+1. bias, laid
 * out like the rows (per group, per_group rounded up to even), holds bias - input_zero_point
 * * sum(filter of that channel), so padding taps carrying the zero point contribute nothing,
 * as in TFLM. */
typedef struct {
    const int8_t *w;
    const int32_t *bias;
    const pc_aot_rq_t *rq;        /* out_c entries, or one when rq_step is 0 */
    uint8_t rq_step;
    uint16_t batches, in_h, in_w, in_c, out_h, out_w, out_c, k_h, k_w;
    uint8_t stride_h, stride_w, dil_h, dil_w, pad_h, pad_w;
    uint16_t filter_in_c;         /* input channels per group */
    uint16_t groups, per_group;   /* per_group = out_c / groups output channels */
    uint16_t k, k_pad;            /* k = k_h * k_w * filter_in_c */
    int16_t in_zp, out_zp;
    int8_t act_min, act_max;
    uint8_t flags;
} pc_aot_conv_t;
/* scratch (DSP path): two interleaved im2col rows (4 * k_pad bytes), k_pad bytes, then
 * 4 * (per_group + 1) int32 accumulators, 4-byte aligned */
void pc_aot_conv(const pc_aot_conv_t *p, const int8_t *in, int8_t *out, void *scratch);

/* DEPTHWISE_CONV_2D, NHWC; output channel oc = ic * depth_mult + m. Weights as int16, packed
 * for SMLAD over pairs of taps: output channels in quads (zero-padded to a multiple of 4); for
 * quad g, first each pair j of taps as four words (w[2j][4g + i], w[2j + 1][4g + i]) for
 * i = 0..3 (low half first), then, for an odd tap count, the last tap as two words
 * (w[t][4g], w[t][4g + 2]), (w[t][4g + 1], w[t][4g + 3]). bias as for CONV_2D but one per
 * channel (folded with the input zero point, so padding taps read the zero point and add
 * nothing). */
typedef struct {
    const int16_t *w;
    const int32_t *bias;
    const pc_aot_rq_t *rq;        /* out_c entries, or one when rq_step is 0 */
    uint8_t rq_step;
    uint16_t batches, in_h, in_w, in_c, out_h, out_w, out_c, k_h, k_w;
    uint8_t stride_h, stride_w, dil_h, dil_w, pad_h, pad_w;
    uint16_t depth_mult;
    uint16_t tap_pairs;           /* (k_h * k_w) / 2 */
    uint8_t odd_tap;              /* (k_h * k_w) & 1 */
    int16_t in_zp, out_zp;
    int8_t act_min, act_max;
    uint8_t flags;
} pc_aot_dwconv_t;
/* scratch (DSP path): in_c bytes (a row of zero points) rounded up to 4, then out_c int32 */
void pc_aot_dwconv(const pc_aot_dwconv_t *p, const int8_t *in, int8_t *out, void *scratch);

/* ADD and MUL with broadcasting: the generator gives the output shape (4-D, padded with 1s)
 * and each input's element strides (0 along broadcast dims). Elements are produced in order,
 * each from inputs at the same or an earlier position, so the output may be one of the
 * inputs when that input is not broadcast. */
typedef struct {
    uint16_t dims[4];
    uint16_t s1[4], s2[4];
    int16_t in1_offset, in2_offset, out_zp;
    int8_t act_min, act_max;
    int32_t in1_mult, in2_mult, out_mult;     /* ADD only */
    int8_t in1_shift, in2_shift, out_shift;   /* out_* also used by MUL */
    uint8_t left_shift;                       /* ADD: 20 */
} pc_aot_eltwise_t;
void pc_aot_add(const pc_aot_eltwise_t *p, const int8_t *a, const int8_t *b, int8_t *out);
void pc_aot_mul(const pc_aot_eltwise_t *p, const int8_t *a, const int8_t *b, int8_t *out);

/* AVERAGE_POOL_2D and MAX_POOL_2D, NHWC (input and output share their quantization). */
typedef struct {
    uint16_t batches, in_h, in_w, ch, out_h, out_w, k_h, k_w;
    uint8_t stride_h, stride_w, pad_h, pad_w;
    int8_t act_min, act_max;
} pc_aot_pool_t;
void pc_aot_avgpool(const pc_aot_pool_t *p, const int8_t *in, int8_t *out);
void pc_aot_maxpool(const pc_aot_pool_t *p, const int8_t *in, int8_t *out);

/* MEAN over axes: the generator gives the 4-D input dims and a mask of reduced axes. */
typedef struct {
    uint16_t dims[4];
    uint8_t reduce_mask;          /* bit i set: axis i is reduced */
    int32_t count;                /* elements per output */
    int32_t in_zp, out_zp;
    int32_t mult;                 /* already divided by count as TFLM does */
    int8_t shift;
} pc_aot_mean_t;
void pc_aot_mean(const pc_aot_mean_t *p, const int8_t *in, int8_t *out, int32_t *scratch);

/* QUANTIZE int8 -> int8 (requantize), element by element (in place is fine). */
typedef struct {
    uint32_t n;
    int32_t in_zp, out_zp, mult;
    int8_t shift;
} pc_aot_requant_t;
void pc_aot_requant(const pc_aot_requant_t *p, const int8_t *in, int8_t *out);

/* DEQUANTIZE int8 -> float32 */
void pc_aot_dequant(uint32_t n, const int8_t *in, float *out, double scale, int32_t zp);

/* TRANSPOSE (up to 4-D): out[i0][i1][i2][i3] = in at sum(i_k * in_stride[k]) */
typedef struct {
    uint16_t dims[4];             /* output dims */
    uint32_t strides[4];          /* input element stride for each output axis */
} pc_aot_transpose_t;
void pc_aot_transpose(const pc_aot_transpose_t *p, const int8_t *in, int8_t *out);

/* PAD (int8, up to 4-D): the output filled with the zero point, the input copied inside at
 * `before` (TFLM's PAD pads int8 with the output zero point). */
typedef struct {
    uint16_t in_dims[4], out_dims[4], before[4];
    int8_t value;
} pc_aot_pad_t;
void pc_aot_pad(const pc_aot_pad_t *p, const int8_t *in, int8_t *out);

/* CONCATENATION (same quantization on all inputs): copy `inner` bytes of each input per
 * outer step. */
void pc_aot_concat(uint32_t outer, uint32_t n_inputs, const int8_t *const *inputs,
                   const uint32_t *inner, int8_t *out);

/* SOFTMAX over the last axis and LOGISTIC, int8 in, int8 out at scale 1/256 and zero point
 * -128 (TFLM's int8 requirement). Both evaluate gemmlowp-style fixed-point exp and 1/(1+x)
 * exactly as TFLM's reference kernels do; the generator gives TFLM's Prepare-time numbers.
 * Softmax reads a whole row before writing it and logistic works element by element, so
 * both may run in place. */
typedef struct {
    uint32_t outer, depth;        /* depth = last dimension, 1..511 (TFLM's exponent check) */
    int32_t mult;                 /* input_multiplier (beta * input scale in Q5.26) */
    int32_t diff_min;             /* differences below this give exp() = 0 */
    int8_t left_shift;            /* input_left_shift, 0..31 */
} pc_aot_softmax_t;
/* scratch: depth int32 values (each row's exps, computed once), 4-byte aligned */
void pc_aot_softmax(const pc_aot_softmax_t *p, const int8_t *in, int8_t *out, int32_t *scratch);

typedef struct {
    uint32_t n;
    int32_t in_zp;
    int32_t mult;                 /* input scale * 2^27 as Q31 mantissa ... */
    int32_t radius;               /* |x - zp| >= radius saturates */
    int8_t left_shift;            /* ... and exponent (only used when radius > 0, then <= 30) */
} pc_aot_logistic_t;
void pc_aot_logistic(const pc_aot_logistic_t *p, const int8_t *in, int8_t *out);

/* Debugging (packetclip's mismatch debugger, host builds only): with PC_AOT_TRACE defined,
 * the generated invoke calls this hook, if set, after every op with the op's output. */
typedef void (*pc_aot_trace_fn)(int32_t node, int32_t tensor, const int8_t *data, uint32_t bytes);

#ifdef __cplusplus
}
#endif

#endif
