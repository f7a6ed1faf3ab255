/* The inner loops of the DSP paths (see pc_aot_acle.h). On Thumb-2 cores with the DSP
 * extension they are hand-scheduled assembly: every register is used, and LDM moves 2 to 4
 * words in one instruction, so the loops cost 0.94 (dot2x2) and 1.19 (dot4x1) instructions
 * per MAC whatever the compiler does. Elsewhere plain C computes the same sums (int32,
 * wrapping, order-independent), which is what the host tests check. */
#include "pc_aot.h"

#if defined(PC_AOT_DSP) && PC_AOT_DSP
#include "pc_aot_acle.h"

#if defined(PC_AOT_ARM_DSP) && defined(__thumb2__)

/* r0 = x (2 words per 4 inputs), r1 = w (16 bytes per 4 inputs), r2 = iters, r3 = acc[4] */
__attribute__((naked)) void pc_aot_dot4x1(const uint32_t *x, const int8_t *w, uint32_t iters, int32_t *acc)
{
    __asm__ volatile(
        "push {r3-r11, lr}\n\t"
        "ldm r3, {r8-r11}\n"
        "1:\n\t"
        ".rept 2\n\t"
        "ldm r0!, {r3, r4}\n\t"
        "ldm r1!, {r5, r6, r7, r12}\n\t"
        "sxtb16 lr, r5\n\t"
        "sxtb16 r5, r5, ror #8\n\t"
        "smlad r8, lr, r3, r8\n\t"
        "smlad r8, r5, r4, r8\n\t"
        "sxtb16 lr, r6\n\t"
        "sxtb16 r6, r6, ror #8\n\t"
        "smlad r9, lr, r3, r9\n\t"
        "smlad r9, r6, r4, r9\n\t"
        "sxtb16 lr, r7\n\t"
        "sxtb16 r7, r7, ror #8\n\t"
        "smlad r10, lr, r3, r10\n\t"
        "smlad r10, r7, r4, r10\n\t"
        "sxtb16 lr, r12\n\t"
        "sxtb16 r12, r12, ror #8\n\t"
        "smlad r11, lr, r3, r11\n\t"
        "smlad r11, r12, r4, r11\n\t"
        ".endr\n\t"
        "subs r2, r2, #1\n\t"
        "bne 1b\n\t"
        "pop {r3}\n\t"
        "stm r3, {r8-r11}\n\t"
        "pop {r4-r11, pc}\n\t");
}

/* r0 = x (4 words per 4 rows of k: column 0's two, then column 1's), r1 = w (8 bytes per
 * 4 rows of k: 4 of channel row 0, 4 of row 1), r2 = iters, r3 = acc[4] */
__attribute__((naked)) void pc_aot_dot2x2(const uint32_t *x, const int8_t *w, uint32_t iters, int32_t *acc)
{
    __asm__ volatile(
        "push {r3-r11, lr}\n\t"
        "ldm r3, {r8-r11}\n"
        "1:\n\t"
        ".rept 2\n\t"
        "ldm r0!, {r3, r4, r5, r6}\n\t"
        "ldm r1!, {r7, r12}\n\t"
        "sxtb16 lr, r7\n\t"
        "sxtb16 r7, r7, ror #8\n\t"
        "smlad r8, lr, r3, r8\n\t"
        "smlad r8, r7, r4, r8\n\t"
        "smlad r9, lr, r5, r9\n\t"
        "smlad r9, r7, r6, r9\n\t"
        "sxtb16 lr, r12\n\t"
        "sxtb16 r12, r12, ror #8\n\t"
        "smlad r10, lr, r3, r10\n\t"
        "smlad r10, r12, r4, r10\n\t"
        "smlad r11, lr, r5, r11\n\t"
        "smlad r11, r12, r6, r11\n\t"
        ".endr\n\t"
        "subs r2, r2, #1\n\t"
        "bne 1b\n\t"
        "pop {r3}\n\t"
        "stm r3, {r8-r11}\n\t"
        "pop {r4-r11, pc}\n\t");
}

#else /* the same sums in C (host tests of the DSP path) */

void pc_aot_dot4x1(const uint32_t *x, const int8_t *w, uint32_t iters, int32_t *acc)
{
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    uint32_t n = iters * 2u;
    while (n--) {
        const uint32_t x0 = x[0], x1 = x[1];
        const uint32_t w0 = pc_load32(w), w1 = pc_load32(w + 4), w2 = pc_load32(w + 8), w3 = pc_load32(w + 12);
        a0 = pc_smlad(pc_sxtb16_ror8(w0), x1, pc_smlad(pc_sxtb16(w0), x0, a0));
        a1 = pc_smlad(pc_sxtb16_ror8(w1), x1, pc_smlad(pc_sxtb16(w1), x0, a1));
        a2 = pc_smlad(pc_sxtb16_ror8(w2), x1, pc_smlad(pc_sxtb16(w2), x0, a2));
        a3 = pc_smlad(pc_sxtb16_ror8(w3), x1, pc_smlad(pc_sxtb16(w3), x0, a3));
        x += 2;
        w += 16;
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}

void pc_aot_dot2x2(const uint32_t *x, const int8_t *w, uint32_t iters, int32_t *acc)
{
    int32_t a00 = acc[0], a01 = acc[1], a10 = acc[2], a11 = acc[3];
    uint32_t n = iters * 2u;
    while (n--) {
        const uint32_t w0 = pc_load32(w), w1 = pc_load32(w + 4);
        const uint32_t r0e = pc_sxtb16(w0), r0o = pc_sxtb16_ror8(w0);
        const uint32_t r1e = pc_sxtb16(w1), r1o = pc_sxtb16_ror8(w1);
        a00 = pc_smlad(r0o, x[1], pc_smlad(r0e, x[0], a00));
        a01 = pc_smlad(r0o, x[3], pc_smlad(r0e, x[2], a01));
        a10 = pc_smlad(r1o, x[1], pc_smlad(r1e, x[0], a10));
        a11 = pc_smlad(r1o, x[3], pc_smlad(r1e, x[2], a11));
        x += 4;
        w += 8;
    }
    acc[0] = a00;
    acc[1] = a01;
    acc[2] = a10;
    acc[3] = a11;
}

#endif
#else
typedef int pc_aot_dot_unused; /* the reference build has no micro-kernels */
#endif
