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
 * dot4x1: four rows of quad-packed FC weights times one expanded input, `iters` x 8 inputs.
 * dot2x2: two rows of pair-packed conv weights times two interleaved im2col columns,
 *         `iters` x 8 rows of k. acc holds the starting values and receives the sums:
 *         dot4x1 {r0, r1, r2, r3}; dot2x2 {(row0, col0), (row0, col1), (row1, col0), (row1, col1)}. */
void pc_aot_dot4x1(const uint32_t *x, const int8_t *w, uint32_t iters, int32_t *acc);
void pc_aot_dot2x2(const uint32_t *x, const int8_t *w, uint32_t iters, int32_t *acc);

/* 4 bytes -> 2 int16 pairs in the order SXTB16 splits a weight word: for x0..x3, word 0 =
 * (x0, x2) and word 1 = (x1, x3). */
static inline void pc_expand4(uint32_t x, uint32_t *dst) {
    dst[0] = pc_sxtb16(x);
    dst[1] = pc_sxtb16_ror8(x);
}

#endif
