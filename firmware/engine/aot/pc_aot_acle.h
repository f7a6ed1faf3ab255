/* The few Arm ACLE DSP intrinsics the aot kernels use. On an Arm core with the DSP extension
 * they come from the compiler's arm_acle.h (or one instruction of inline asm); elsewhere
 * (host tests) plain C with the same semantics, so the DSP kernels are checked bit for bit
 * on the host too. */
#ifndef PC_AOT_ACLE_H
#define PC_AOT_ACLE_H

#include <stdint.h>
#include <string.h>

#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
#include <arm_acle.h>
#define PC_AOT_ARM_DSP 1
#define pc_sxtb16(x) __sxtb16(x)
/* GCC does not fold a rotate into SXTB16's operand, so spell that form out */
static inline uint32_t pc_sxtb16_ror8(uint32_t x) {
    uint32_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
    return r;
}
#define pc_smlad(a, b, acc) __smlad((a), (b), (acc))
#define pc_smlabb(a, b, acc) __smlabb((a), (b), (acc))
#define pc_smlatt(a, b, acc) __smlatt((a), (b), (acc))
#define pc_ssat8(x) __ssat((x), 8)
/* acc + the sign-extended bytes 0 and 2 (sxtab16) or 1 and 3 (ror8) of x, per halfword */
static inline uint32_t pc_sxtab16(uint32_t acc, uint32_t x) { return __sxtab16(acc, x); }
static inline uint32_t pc_sxtab16_ror8(uint32_t acc, uint32_t x) {
    uint32_t r;
    __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(acc), "r"(x));
    return r;
}
/* (lo half of a, lo half of b) and (hi half of a, hi half of b) */
static inline uint32_t pc_pkhbt(uint32_t a, uint32_t b) {
    uint32_t r;
    __asm__("pkhbt %0, %1, %2, lsl #16" : "=r"(r) : "r"(a), "r"(b));
    return r;
}
static inline uint32_t pc_pkhtb(uint32_t a, uint32_t b) {
    uint32_t r;
    __asm__("pkhtb %0, %2, %1, asr #16" : "=r"(r) : "r"(a), "r"(b));
    return r;
}
/* (a * b + 2^31) >> 32, the rounded high word of the signed product */
static inline int32_t pc_smmulr(int32_t a, int32_t b) {
    int32_t r;
    __asm__("smmulr %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
    return r;
}
#else
static inline int32_t pc_ssat8(int32_t x) { return x < -128 ? -128 : (x > 127 ? 127 : x); }
static inline uint32_t pc_sxtb16(uint32_t x) {
    uint32_t lo = (uint32_t)(uint16_t)(int16_t)(int8_t)(x & 0xffu);
    uint32_t hi = (uint32_t)(uint16_t)(int16_t)(int8_t)((x >> 16) & 0xffu);
    return lo | (hi << 16);
}
static inline uint32_t pc_sxtb16_ror8(uint32_t x) { return pc_sxtb16((x >> 8) | (x << 24)); }
static inline int32_t pc_smlad(uint32_t a, uint32_t b, int32_t acc) {
    int32_t p0 = (int32_t)(int16_t)(a & 0xffffu) * (int32_t)(int16_t)(b & 0xffffu);
    int32_t p1 = (int32_t)(int16_t)(a >> 16) * (int32_t)(int16_t)(b >> 16);
    return (int32_t)((uint32_t)acc + (uint32_t)p0 + (uint32_t)p1);
}
static inline int32_t pc_smlabb(uint32_t a, uint32_t b, int32_t acc) {
    return (int32_t)((uint32_t)acc + (uint32_t)((int32_t)(int16_t)(a & 0xffffu) * (int32_t)(int16_t)(b & 0xffffu)));
}
static inline int32_t pc_smlatt(uint32_t a, uint32_t b, int32_t acc) {
    return (int32_t)((uint32_t)acc + (uint32_t)((int32_t)(int16_t)(a >> 16) * (int32_t)(int16_t)(b >> 16)));
}
static inline int32_t pc_smmulr(int32_t a, int32_t b) {
    return (int32_t)(((int64_t)a * b + ((int64_t)1 << 31)) >> 32);
}
static inline uint32_t pc_pkhbt(uint32_t a, uint32_t b) { return (a & 0xffffu) | (b << 16); }
static inline uint32_t pc_sxtab16(uint32_t acc, uint32_t x) {
    const uint32_t e = pc_sxtb16(x);
    return ((acc + e) & 0xffffu) | (((acc >> 16) + (e >> 16)) << 16);
}
static inline uint32_t pc_sxtab16_ror8(uint32_t acc, uint32_t x) { return pc_sxtab16(acc, (x >> 8) | (x << 24)); }
static inline uint32_t pc_pkhtb(uint32_t a, uint32_t b) { return (a >> 16) | (b & 0xffff0000u); }
#endif

/* 32-bit load from a possibly unaligned address (one LDR on cores that allow it) */
static inline uint32_t pc_load32(const void *p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* The DSP paths' requantization where the generator proved PC_AOT_FAST_RQ: SRDHM as one
 * SMMULR of the doubled accumulator (|acc| < 2^30), then RoundingDivideByPOT with the output
 * zero point folded into k (see pc_aot_rq_t). Exactly TFLM's double rounding. */
static inline int32_t pc_rq_fast(int32_t acc, int32_t mult, int32_t e, int32_t k) {
    int32_t h = pc_smmulr((int32_t)((uint32_t)acc << 1), mult);
    return (h + k + (h >> 31)) >> e;
}

/* The micro-kernels (pc_aot_dot.c): Arm assembly with the DSP extension, C elsewhere.
 * fc4:     `quads` quads of quad-packed FC weight rows times one expanded input (`iters` x 8
 *          inputs each); quad g starts from bias[4g..4g+3] and writes acc[4g..4g+3].
 * gemm2x2: `pairs` pairs of pair-packed conv weight rows times two interleaved im2col columns
 *          (`iters` x 8 rows of k each); pair j starts from bias[2j], bias[2j + 1] and writes
 *          column 0's sums to acc[2j], acc[2j + 1] and column 1's to acc[2 pairs + 2j], ... + 1.
 * dwquads: the depthwise tap sums of `quads` quads of channels of one pixel: taps = pairs |
 *          odd << 16, tp[2j], tp[2j + 1] pointing at the tap pixels of pair j (then the odd
 *          tap's), w the packed int16 weights (pc_aot.h); quad g starts from bias[4g..4g+3]
 *          and writes acc[4g..4g+3]. */
void pc_aot_fc4(const uint32_t *x, const int8_t *w, uint32_t iters, uint32_t quads,
                const int32_t *bias, int32_t *acc);
void pc_aot_gemm2x2(const uint32_t *col, const int8_t *w, uint32_t iters, uint32_t pairs,
                    const int32_t *bias, int32_t *acc);
void pc_aot_dwquads(const int8_t *const *tp, const int16_t *w, uint32_t taps, uint32_t quads,
                    const int32_t *bias, int32_t *acc);
/* rqfast:  n accumulators -> n int8 outputs in a row, for layers flagged PC_AOT_FAST_RQ |
 *          PC_AOT_FULL_RANGE (rq one entry per output, or one for all when step is 0). */
void pc_aot_rqfast(const int32_t *acc, const pc_aot_rq_t *rq, uint32_t step, uint32_t n, int8_t *out);
/* expand16: blocks x 16 bytes (4-byte aligned) -> int16 pairs, as pc_expand4 four at a time. */
void pc_aot_expand16(const int8_t *in, uint32_t blocks, uint32_t *dst);

/* 4 bytes -> 2 int16 pairs in the order SXTB16 splits a weight word: for x0..x3, word 0 =
 * (x0, x2) and word 1 = (x1, x3). */
static inline void pc_expand4(uint32_t x, uint32_t *dst) {
    dst[0] = pc_sxtb16(x);
    dst[1] = pc_sxtb16_ror8(x);
}

#endif
