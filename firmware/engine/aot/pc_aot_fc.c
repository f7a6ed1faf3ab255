/* FULLY_CONNECTED, int8, per-channel requantization (per-tensor models get the same
 * multiplier repeated). Weight packing: see pc_aot.h. */
#include "pc_aot.h"

#if defined(PC_AOT_DSP) && PC_AOT_DSP
#include "pc_aot_acle.h"

/* Input bytes -> int16 pairs in the order SXTB16 splits a weight word: for inputs x0..x3,
 * word 0 = (x0, x2) and word 1 = (x1, x3). Padding inputs are zero. */
static void expand_input(const int8_t *in, uint32_t n, uint32_t n_pad, uint32_t *dst) {
    uint32_t k = 0;
    for (; k + 4 <= n; k += 4) {
        uint32_t x = pc_load32(in + k);
        dst[0] = pc_sxtb16(x);
        dst[1] = pc_sxtb16_ror8(x);
        dst += 2;
    }
    for (; k < n_pad; k += 4) {
        uint32_t x = 0, j;
        for (j = 0; j < 4; j++)
            if (k + j < n) x |= (uint32_t)(uint8_t)in[k + j] << (8 * j);
        dst[0] = pc_sxtb16(x);
        dst[1] = pc_sxtb16_ror8(x);
        dst += 2;
    }
}

/* Two dot products (rows 2j and 2j+1) over `iters` x 8 inputs; each step loads 4 input pairs
 * and 8 weight bytes (4 of each row), SXTB16 splits the weights, SMLAD does 2 MACs. */
#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP && defined(__thumb2__)
/* LDM with fixed registers keeps the loop at 22 instructions per 16 MACs whatever the
 * optimization level; the C below is the same computation. */
#define PC_DOT2(xp, wp, iters, acc0, acc1)                                                  \
    do {                                                                                    \
        uint32_t t_, n_ = (iters);                                                          \
        __asm__ volatile(                                                                   \
            "1:\n\t"                                                                        \
            "ldmia %[x]!, {r4, r5}\n\t"                                                     \
            "ldmia %[w]!, {r6, r8}\n\t"                                                     \
            "sxtb16 %[t], r6\n\t"                                                           \
            "smlad %[a0], %[t], r4, %[a0]\n\t"                                              \
            "sxtb16 %[t], r6, ror #8\n\t"                                                   \
            "smlad %[a0], %[t], r5, %[a0]\n\t"                                              \
            "sxtb16 %[t], r8\n\t"                                                           \
            "smlad %[a1], %[t], r4, %[a1]\n\t"                                              \
            "sxtb16 %[t], r8, ror #8\n\t"                                                   \
            "smlad %[a1], %[t], r5, %[a1]\n\t"                                              \
            "ldmia %[x]!, {r4, r5}\n\t"                                                     \
            "ldmia %[w]!, {r6, r8}\n\t"                                                     \
            "sxtb16 %[t], r6\n\t"                                                           \
            "smlad %[a0], %[t], r4, %[a0]\n\t"                                              \
            "sxtb16 %[t], r6, ror #8\n\t"                                                   \
            "smlad %[a0], %[t], r5, %[a0]\n\t"                                              \
            "sxtb16 %[t], r8\n\t"                                                           \
            "smlad %[a1], %[t], r4, %[a1]\n\t"                                              \
            "sxtb16 %[t], r8, ror #8\n\t"                                                   \
            "smlad %[a1], %[t], r5, %[a1]\n\t"                                              \
            "subs %[n], %[n], #1\n\t"                                                       \
            "bne 1b\n\t"                                                                    \
            : [x] "+r"(xp), [w] "+r"(wp), [n] "+r"(n_), [a0] "+r"(acc0), [a1] "+r"(acc1),   \
              [t] "=&r"(t_)                                                                 \
            :                                                                               \
            : "r4", "r5", "r6", "r8", "cc", "memory");                                      \
    } while (0)
#else
#define PC_DOT2(xp, wp, iters, acc0, acc1)                                                  \
    do {                                                                                    \
        uint32_t n_ = (iters) * 2u;                                                         \
        do {                                                                                \
            uint32_t x0 = xp[0], x1 = xp[1], w0 = wp[0], w1 = wp[1];                        \
            xp += 2;                                                                        \
            wp += 2;                                                                        \
            acc0 = pc_smlad(pc_sxtb16(w0), x0, acc0);                                       \
            acc0 = pc_smlad(pc_sxtb16_ror8(w0), x1, acc0);                                  \
            acc1 = pc_smlad(pc_sxtb16(w1), x0, acc1);                                       \
            acc1 = pc_smlad(pc_sxtb16_ror8(w1), x1, acc1);                                  \
        } while (--n_);                                                                     \
    } while (0)
#endif

/* TFLM's requantization when the generator proved that every shift is a right shift
 * (e >= 1) and |acc| < 2^30: then RoundingDivideByPOT(h, e) == (h + 2^(e-1) - (h < 0)) >> e
 * without overflow. */
PC_AOT_INLINE int32_t requant_fast(int32_t acc, int32_t mult, int32_t shift) {
    int32_t h = (int32_t)(((int64_t)acc * mult + ((int64_t)1 << 30)) >> 31);
    int32_t e = -shift;
    return (h + (int32_t)(1u << (e - 1)) - (int32_t)((uint32_t)h >> 31)) >> e;
}

void pc_aot_fc(const pc_aot_fc_t *p, const int8_t *in, int8_t *out, int16_t *scratch) {
    const uint32_t iters = p->in_pad >> 3, out_n = p->out_n;
    uint32_t *const xs = (uint32_t *)(void *)scratch;
    int32_t *const accs = (int32_t *)(void *)(scratch + p->in_pad);
    uint32_t b;
    for (b = 0; b < p->batches; b++) {
        /* 1: accumulators, two channels per pass over the expanded input */
        {
            const uint32_t *wp = (const uint32_t *)(const void *)p->w;
            const int32_t *bias = p->bias;
            int32_t *a = accs;
            int32_t *const a_end = accs + out_n;
            expand_input(in, p->in_n, p->in_pad, xs);
            do {
                const uint32_t *xp = xs;
                int32_t acc0 = bias[0];
                int32_t acc1 = bias[1];  /* the generator pads bias/mult/shift to an even count */
                PC_DOT2(xp, wp, iters, acc0, acc1);
                a[0] = acc0;
                a[1] = acc1;
                a += 2;
                bias += 2;
            } while (a < a_end);
        }
        /* 2: requantize, away from the MAC loop's registers */
        {
            const int32_t *a = accs, *mult = p->mult;
            const int8_t *shift = p->shift;
            const int32_t zp = p->out_zp, lo = p->act_min, hi = p->act_max;
            int8_t *o = out;
            int8_t *const o_end = out + out_n;
            if (p->flags == (PC_AOT_FC_FAST_RQ | PC_AOT_FC_FULL_RANGE)) {
                do {
                    *o++ = (int8_t)pc_ssat8(requant_fast(*a++, *mult++, *shift++) + zp);
                } while (o < o_end);
            } else if (p->flags & PC_AOT_FC_FAST_RQ) {
                do {
                    *o++ = pc_aot_clamp8(requant_fast(*a++, *mult++, *shift++) + zp, lo, hi);
                } while (o < o_end);
            } else {
                do {
                    *o++ = pc_aot_clamp8(pc_aot_mbqm(*a++, *mult++, *shift++) + zp, lo, hi);
                } while (o < o_end);
            }
        }
        in += p->in_n;
        out += out_n;
    }
}

#else /* reference C path: plain C99, any core */

void pc_aot_fc(const pc_aot_fc_t *p, const int8_t *in, int8_t *out, int16_t *scratch) {
    const uint32_t stride = (uint32_t)p->in_pad * 2u;   /* bytes per row pair */
    const uint32_t n4 = p->in_n & ~3u;
    uint32_t b, r, k;
    (void)scratch;
    for (b = 0; b < p->batches; b++) {
        for (r = 0; r < p->out_n; r++) {
            const int8_t *w = p->w + (r >> 1) * stride + (r & 1u) * 4u;
            const int8_t *x = in;
            int32_t acc = p->bias[r];
            for (k = 0; k < n4; k += 4, w += 8, x += 4)
                acc += w[0] * x[0] + w[1] * x[1] + w[2] * x[2] + w[3] * x[3];
            for (k = n4; k < p->in_n; k++)
                acc += w[k - n4] * in[k];
            out[r] = pc_aot_clamp8(pc_aot_mbqm(acc, p->mult[r], p->shift[r]) + p->out_zp,
                                   p->act_min, p->act_max);
        }
        in += p->in_n;
        out += p->out_n;
    }
}

#endif
