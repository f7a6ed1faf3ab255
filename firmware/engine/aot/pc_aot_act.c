/* SOFTMAX and LOGISTIC, int8 -> int8, integer only.
 *
 * TFLM evaluates both in gemmlowp-style fixed point: a Qm.n value is an int32 with n = 31 - m
 * fractional bits; the product of two such values is the saturating rounding doubling high
 * multiply (srdhm), additions wrap. Reproducing the same steps in the same order, with the
 * same rounding at each, is what makes the result bit-exact. */
#include "pc_aot.h"

#define Q_MAX ((int32_t)0x7fffffff)
#define Q_MIN (-Q_MAX - 1)

PC_AOT_INLINE int32_t wrap_add(int32_t a, int32_t b) {   /* int32 add, two's complement wrap */
    return (int32_t)((uint32_t)a + (uint32_t)b);
}

PC_AOT_INLINE int32_t wrap_sub(int32_t a, int32_t b) {
    return (int32_t)((uint32_t)a - (uint32_t)b);
}

/* round(a * b / 2^31), ties away from zero; the one overflowing case saturates. */
PC_AOT_INLINE int32_t srdhm(int32_t a, int32_t b) {
    if (a == Q_MIN && b == Q_MIN) return Q_MAX;
    /* floor((ab + 2^30) / 2^31) equals gemmlowp's sign-dependent nudge + truncation */
    return (int32_t)(((int64_t)a * b + ((int64_t)1 << 30)) >> 31);
}

/* x / 2^e rounded to nearest, ties away from zero (0 <= e <= 31) */
PC_AOT_INLINE int32_t rdiv_pot(int32_t x, int e) {
    const int32_t mask = (int32_t)((1u << e) - 1u);
    const int32_t rem = x & mask;
    const int32_t thr = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> e) + (rem > thr ? 1 : 0);
}

/* x * 2^e saturated to int32 (1 <= e <= 30) */
PC_AOT_INLINE int32_t sat_shl(int32_t x, int e) {
    const int32_t lim = (int32_t)((1u << (31 - e)) - 1u);
    if (x > lim) return Q_MAX;
    if (x < -lim) return Q_MIN;
    return (int32_t)((uint32_t)x << e);
}

/* (a + b) / 2 rounded away from zero, without overflow */
PC_AOT_INLINE int32_t half_sum(int32_t a, int32_t b) {
    const int64_t s = (int64_t)a + b;
    return (int32_t)((s + (s >= 0 ? 1 : -1)) / 2);
}

static int clz32(uint32_t x) {
#if defined(__GNUC__) || defined(__clang__)
    return x ? __builtin_clz(x) : 32;
#else
    int n = 0;
    if (!x) return 32;
    while (!(x & 0x80000000u)) { x <<= 1; n++; }
    return n;
#endif
}

/* exp(a) for a in [-1/4, 0), a and result in Q0.31: Taylor series around -1/8. */
static int32_t exp_quarter(int32_t a) {
    const int32_t exp_m1_8 = 1895147668;        /* exp(-1/8) in Q0.31 */
    const int32_t third = 715827883;            /* 1/3 */
    const int32_t x = wrap_add(a, (int32_t)1 << 28);
    const int32_t x2 = srdhm(x, x);
    const int32_t x3 = srdhm(x2, x);
    const int32_t x4 = srdhm(x2, x2);
    const int32_t poly = rdiv_pot(wrap_add(srdhm(wrap_add(rdiv_pot(x4, 2), x3), third), x2), 1);
    return wrap_add(exp_m1_8, srdhm(exp_m1_8, wrap_add(x, poly)));
}

/* exp(a) for a <= 0 given in Q(ib).(31-ib), ib = 4 or 5; result in Q0.31. The fraction
 * below 1/4 goes through the series, each higher bit of |a| multiplies by exp(-2^k). */
static int32_t exp_neg(int32_t a, int ib) {
    static const int32_t exp_m_pow2[7] = {   /* exp(-2^k) in Q0.31, k = -2 .. 4 */
        1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242};
    const int fb = 31 - ib;
    const int32_t quarter = (int32_t)1 << (fb - 2);
    const int32_t low = wrap_sub(a & (quarter - 1), quarter);   /* in [-1/4, 0) */
    const int32_t rest = wrap_sub(low, a);
    int32_t r = exp_quarter(sat_shl(low, ib));
    int k;
    for (k = -2; k <= 4 && k < ib; k++)
        if (rest & ((int32_t)1 << (fb + k))) r = srdhm(r, exp_m_pow2[k + 2]);
    return a == 0 ? Q_MAX : r;
}

/* 1 / (1 + a) for a in [0, 1) in Q0.31: three Newton-Raphson steps in Q2.29. */
static int32_t one_over_one_plus(int32_t a) {
    const int32_t half_den = half_sum(a, Q_MAX);
    int32_t x = wrap_add(1515870810, srdhm(half_den, -1010580540));  /* 48/17 - 32/17 d */
    int i;
    for (i = 0; i < 3; i++) {
        const int32_t err = wrap_sub((int32_t)1 << 29, srdhm(half_den, x));
        x = wrap_add(x, sat_shl(srdhm(x, err), 2));
    }
    return sat_shl(x, 1);
}

void pc_aot_softmax(const pc_aot_softmax_t *p, const int8_t *in, int8_t *out, int32_t *scratch) {
    const uint32_t depth = p->depth;
    const int ls = p->left_shift;
    uint32_t i, c;
    for (i = 0; i < p->outer; i++, in += depth, out += depth) {
        int32_t mx = -128, sum = 0, scale;
        int bits_over_unit, exponent, lz;
        for (c = 0; c < depth; c++)
            if (in[c] > mx) mx = in[c];
        for (c = 0; c < depth; c++) {
            const int32_t diff = (int32_t)in[c] - mx;
            if (diff >= p->diff_min) {
                /* diff * 2^ls fits: |diff| <= diff_min's radius = 31 * 2^26 / 2^ls */
                const int32_t e = exp_neg(srdhm((int32_t)((uint32_t)diff << ls), p->mult), 5);
                scratch[c] = e;
                sum = wrap_add(sum, rdiv_pot(e, 12));   /* Q12.19 accumulator */
            } else {
                scratch[c] = -1;                      /* below diff_min: output the minimum */
            }
        }
        /* 1 / sum as a Q0.31 mantissa times 2^-bits_over_unit (the max term makes sum >= 1) */
        lz = clz32((uint32_t)sum);
        bits_over_unit = 12 - lz;
        scale = one_over_one_plus((int32_t)(((uint32_t)sum << lz) - 0x80000000u));
        exponent = bits_over_unit + 31 - 8;
        for (c = 0; c < depth; c++) {
            if (scratch[c] < 0) {
                out[c] = -128;
            } else {
                const int32_t v = rdiv_pot(srdhm(scale, scratch[c]), exponent) - 128;
                out[c] = pc_aot_clamp8(v, -128, 127);
            }
        }
    }
}

void pc_aot_logistic(const pc_aot_logistic_t *p, const int8_t *in, int8_t *out) {
    uint32_t i;
    for (i = 0; i < p->n; i++) {
        const int32_t x = (int32_t)in[i] - p->in_zp;
        if (x <= -p->radius) {
            out[i] = -128;
        } else if (x >= p->radius) {
            out[i] = 127;
        } else {
            const int32_t q4 = pc_aot_mbqm(x, p->mult, p->left_shift);   /* Q4.27 */
            int32_t r;
            if (q4 == 0) {
                r = (int32_t)1 << 30;                                   /* 1/2 */
            } else {
                const int32_t pos = one_over_one_plus(exp_neg(q4 > 0 ? -q4 : q4, 4));
                r = q4 > 0 ? pos : Q_MAX - pos;                         /* 1 - f(|x|) */
            }
            out[i] = pc_aot_clamp8(rdiv_pot(r, 23) - 128, -128, 127);
        }
    }
}
