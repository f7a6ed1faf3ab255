/* packetclip aot engine: int8 kernels called by the code that `packetclip codegen` generates.
 *
 * Every kernel is bit-exact with TensorFlow Lite Micro's reference kernels: the requantization
 * is TFLM's double rounding (saturating rounding doubling high multiply, then rounding divide
 * by a power of two), with multipliers and shifts computed at generation time exactly as TFLM
 * computes them in Prepare. Parameters live in const structs (flash); the generator folds
 * what it can (input zero points into biases, activation clamps, padding).
 * Build with PC_AOT_DSP=1 on Arm cores with the DSP extension for the SIMD paths. C99. */
#ifndef PC_AOT_H
#define PC_AOT_H

#include <stdint.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

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

/* FULLY_CONNECTED. Weights are packed by the generator: rows in pairs (an odd last row is
 * paired with a zero row), each pair stored as chunks of 8 bytes = 4 weights of the even row
 * then 4 of the odd row, inputs padded with zero weights to a multiple of 8. The bias already
 * holds bias - input_zero_point * sum(row), so the kernel never sees the input zero point. */
typedef struct {
    const int8_t *w;
    const int32_t *bias;
    const int32_t *mult;
    const int8_t *shift;
    uint16_t in_n, in_pad, out_n, batches;
    int16_t out_zp;
    int8_t act_min, act_max;
    uint8_t flags;                /* PC_AOT_FC_* below, set by the generator */
} pc_aot_fc_t;
#define PC_AOT_FC_FAST_RQ 1u      /* every shift < 0 and |acc| < 2^30 for any input (proven) */
#define PC_AOT_FC_FULL_RANGE 2u   /* act_min == -128 and act_max == 127 */
/* scratch: in_pad int16 values then out_n + 1 int32, 4-byte aligned (DSP path only) */
void pc_aot_fc(const pc_aot_fc_t *p, const int8_t *in, int8_t *out, int16_t *scratch);

/* CONV_2D and DEPTHWISE_CONV_2D, NHWC. Weights in TFLite layout (conv [oc][kh][kw][ic/groups],
 * depthwise [1][kh][kw][oc]). Zero padding omits outside taps, so the input offset stays here. */
typedef struct {
    const int8_t *w;
    const int32_t *bias;          /* may be NULL */
    const int32_t *mult;
    const int8_t *shift;
    uint16_t batches, in_h, in_w, in_c, out_h, out_w, out_c, k_h, k_w;
    uint8_t stride_h, stride_w, dil_h, dil_w, pad_h, pad_w;
    uint16_t filter_in_c;         /* conv: ic per group; depthwise: depth multiplier */
    int16_t in_offset, out_zp;    /* in_offset = -input zero point */
    int8_t act_min, act_max;
} pc_aot_conv_t;
void pc_aot_conv(const pc_aot_conv_t *p, const int8_t *in, int8_t *out);
void pc_aot_dwconv(const pc_aot_conv_t *p, const int8_t *in, int8_t *out);

/* ADD and MUL with broadcasting: the generator gives the output shape (4-D, padded with 1s)
 * and each input's element strides (0 along broadcast dims). */
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

/* MEAN over axes: the input viewed as [outer][reduced][inner] blocks is not general enough,
 * so the generator gives the 4-D input dims and a mask of reduced axes. */
typedef struct {
    uint16_t dims[4];
    uint8_t reduce_mask;          /* bit i set: axis i is reduced */
    int32_t count;                /* elements per output */
    int32_t in_zp, out_zp;
    int32_t mult;                 /* already divided by count as TFLM does */
    int8_t shift;
} pc_aot_mean_t;
void pc_aot_mean(const pc_aot_mean_t *p, const int8_t *in, int8_t *out, int32_t *scratch);

/* QUANTIZE int8 -> int8 (requantize). */
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

/* CONCATENATION (same quantization on all inputs): copy `inner` bytes of each input per
 * outer step. */
void pc_aot_concat(uint32_t outer, uint32_t n_inputs, const int8_t *const *inputs,
                   const uint32_t *inner, int8_t *out);

/* SOFTMAX over the last axis and LOGISTIC, int8 in, int8 out at scale 1/256 and zero point
 * -128 (TFLM's int8 requirement). Both evaluate gemmlowp-style fixed-point exp and 1/(1+x)
 * exactly as TFLM's reference kernels do; the generator gives TFLM's Prepare-time numbers. */
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

#ifdef __cplusplus
}
#endif

#endif
