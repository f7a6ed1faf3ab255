/* The few Arm ACLE DSP intrinsics the aot kernels use. On an Arm core with the DSP extension
 * they come from the compiler's arm_acle.h; elsewhere (host tests) plain C with the same
 * semantics, so the DSP kernels can be checked bit for bit on the host too. */
#ifndef PC_AOT_ACLE_H
#define PC_AOT_ACLE_H

#include <stdint.h>
#include <string.h>

#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
#include <arm_acle.h>
#define pc_sxtb16(x) __sxtb16(x)
/* GCC does not fold a rotate into SXTB16's operand, so spell that form out */
static inline uint32_t pc_sxtb16_ror8(uint32_t x) {
    uint32_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
    return r;
}
#define pc_smlad(a, b, acc) __smlad((a), (b), (acc))
#define pc_ssat8(x) __ssat((x), 8)
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
#endif

/* 32-bit load from a possibly unaligned address (one LDR on cores that allow it) */
static inline uint32_t pc_load32(const void *p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

#endif
