/* The inner loops of the DSP paths (see pc_aot_acle.h). On Thumb-2 cores with the DSP
 * extension they are hand-scheduled assembly: every register is used, and LDM moves 2 to 4
 * words in one instruction, so the loops cost 0.94 (gemm2x2), 1.19 (fc4) and 2.4
 * (dwquads) instructions per MAC whatever the compiler does, and loop over whole pixels so
 * that calls cost little. Elsewhere plain C computes the same sums (int32,
 * wrapping, order-independent), which is what the host tests check. */
#include "pc_aot.h"

#if defined(PC_AOT_DSP) && PC_AOT_DSP
#include "pc_aot_acle.h"

#if defined(PC_AOT_ARM_DSP) && defined(__thumb2__)

/* Every quad of FC rows against one expanded input.
 * r0 = x (2 words per 4 inputs), r1 = w (16 bytes per 4 inputs, quad after quad), r2 = iters,
 * r3 = quads, [sp] = bias (four per quad), [sp + 4] = acc (four per quad). Locals: [sp] x,
 * [sp + 4] iters, [sp + 8] quads left, [sp + 12] bias, [sp + 16] acc. */
__attribute__((naked)) void pc_aot_fc4(const uint32_t *x, const int8_t *w, uint32_t iters, uint32_t quads,
                                       const int32_t *bias, int32_t *acc)
{
    __asm__ volatile(
        "push {r4-r11, lr}\n\t"
        "sub sp, sp, #20\n\t"
        "str r0, [sp]\n\t"
        "str r2, [sp, #4]\n\t"
        "str r3, [sp, #8]\n\t"
        "ldr r4, [sp, #56]\n\t"
        "str r4, [sp, #12]\n\t"
        "ldr r4, [sp, #60]\n\t"
        "str r4, [sp, #16]\n"
        "2:\n\t"
        "ldr r0, [sp]\n\t"
        "ldr r2, [sp, #4]\n\t"
        "ldr r3, [sp, #12]\n\t"
        "ldm r3!, {r8-r11}\n\t"
        "str r3, [sp, #12]\n"
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
        "ldr r3, [sp, #16]\n\t"
        "stm r3!, {r8-r11}\n\t"
        "str r3, [sp, #16]\n\t"
        "ldr r3, [sp, #8]\n\t"
        "subs r3, r3, #1\n\t"
        "str r3, [sp, #8]\n\t"
        "bne 2b\n\t"
        "add sp, sp, #20\n\t"
        "pop {r4-r11, pc}\n\t");
}

/* Every pair of channel rows against two interleaved im2col columns.
 * r0 = col (4 words per 4 rows of k: column 0's two, then column 1's), r1 = w (8 bytes per
 * 4 rows of k: 4 of channel row 0, 4 of row 1, pair after pair), r2 = iters, r3 = pairs,
 * [sp] = bias (two per pair), [sp + 4] = acc (2 * pairs for column 0, then 2 * pairs for
 * column 1). Locals: [sp] col, [sp + 4] iters, [sp + 8] pairs left, [sp + 12] bias,
 * [sp + 16] acc cursor, [sp + 20] 8 * pairs (bytes from column 0's to column 1's). */
__attribute__((naked)) void pc_aot_gemm2x2(const uint32_t *col, const int8_t *w, uint32_t iters, uint32_t pairs,
                                           const int32_t *bias, int32_t *acc)
{
    __asm__ volatile(
        "push {r4-r11, lr}\n\t"
        "sub sp, sp, #24\n\t"
        "str r0, [sp]\n\t"
        "str r2, [sp, #4]\n\t"
        "str r3, [sp, #8]\n\t"
        "lsl r3, r3, #3\n\t"
        "str r3, [sp, #20]\n\t"
        "ldr r4, [sp, #60]\n\t"
        "str r4, [sp, #12]\n\t"
        "ldr r4, [sp, #64]\n\t"
        "str r4, [sp, #16]\n"
        "2:\n\t"
        "ldr r0, [sp]\n\t"
        "ldr r2, [sp, #4]\n\t"
        "ldr r3, [sp, #12]\n\t"
        "ldm r3!, {r8, r10}\n\t"
        "str r3, [sp, #12]\n\t"
        "mov r9, r8\n\t"
        "mov r11, r10\n"
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
        "ldr r3, [sp, #16]\n\t"
        "ldr r4, [sp, #20]\n\t"
        "add r4, r4, r3\n\t"
        "strd r9, r11, [r4]\n\t"
        "strd r8, r10, [r3], #8\n\t"
        "str r3, [sp, #16]\n\t"
        "ldr r3, [sp, #8]\n\t"
        "subs r3, r3, #1\n\t"
        "str r3, [sp, #8]\n\t"
        "bne 2b\n\t"
        "add sp, sp, #24\n\t"
        "pop {r4-r11, pc}\n\t");
}

/* Every quad of channels of one depthwise output pixel.
 * r0 = tap pointers (two per pair, then the odd tap's), r1 = w (per quad: 16 bytes per pair,
 * then 8 for an odd tap), r2 = pairs | odd << 16, r3 = quads, [sp] = bias (four per quad),
 * [sp + 4] = acc (four per quad). Locals: [sp] tp, [sp + 4] pairs | odd << 16, [sp + 8]
 * quads left, [sp + 12] bias, [sp + 16] acc; r1 becomes the channel offset, r2 the weights. */
__attribute__((naked)) void pc_aot_dwquads(const int8_t *const *tp, const int16_t *w, uint32_t taps, uint32_t quads,
                                           const int32_t *bias, int32_t *acc)
{
    __asm__ volatile(
        "push {r4-r11, lr}\n\t"
        "sub sp, sp, #20\n\t"
        "str r0, [sp]\n\t"
        "str r2, [sp, #4]\n\t"
        "str r3, [sp, #8]\n\t"
        "ldr r4, [sp, #56]\n\t"
        "str r4, [sp, #12]\n\t"
        "ldr r4, [sp, #60]\n\t"
        "str r4, [sp, #16]\n\t"
        "mov r2, r1\n\t"
        "movs r1, #0\n"
        "2:\n\t"
        "ldr r0, [sp]\n\t"
        "ldr r3, [sp, #12]\n\t"
        "ldm r3!, {r8-r11}\n\t"
        "str r3, [sp, #12]\n\t"
        "ldrh r3, [sp, #4]\n\t"
        "cbz r3, 3f\n"
        "1:\n\t"
        "ldm r0!, {r4, r5}\n\t"
        "ldr r4, [r4, r1]\n\t"
        "ldr r5, [r5, r1]\n\t"
        "sxtb16 r6, r4\n\t"
        "sxtb16 r4, r4, ror #8\n\t"
        "sxtb16 r7, r5\n\t"
        "sxtb16 r5, r5, ror #8\n\t"
        "pkhbt r12, r6, r7, lsl #16\n\t"
        "pkhtb r6, r7, r6, asr #16\n\t"
        "pkhbt r7, r4, r5, lsl #16\n\t"
        "pkhtb r4, r5, r4, asr #16\n\t"
        "ldm r2!, {r5, lr}\n\t"
        "smlad r8, r12, r5, r8\n\t"
        "smlad r9, r7, lr, r9\n\t"
        "ldm r2!, {r5, lr}\n\t"
        "smlad r10, r6, r5, r10\n\t"
        "smlad r11, r4, lr, r11\n\t"
        "subs r3, r3, #1\n\t"
        "bne 1b\n"
        "3:\n\t"
        "ldrh r3, [sp, #6]\n\t"
        "cbz r3, 4f\n\t"
        "ldr r4, [r0]\n\t"
        "ldr r4, [r4, r1]\n\t"
        "sxtb16 r6, r4\n\t"
        "sxtb16 r4, r4, ror #8\n\t"
        "ldm r2!, {r5, lr}\n\t"
        "smlabb r8, r6, r5, r8\n\t"
        "smlatt r10, r6, r5, r10\n\t"
        "smlabb r9, r4, lr, r9\n\t"
        "smlatt r11, r4, lr, r11\n"
        "4:\n\t"
        "ldr r3, [sp, #16]\n\t"
        "stm r3!, {r8-r11}\n\t"
        "str r3, [sp, #16]\n\t"
        "adds r1, r1, #4\n\t"
        "ldr r3, [sp, #8]\n\t"
        "subs r3, r3, #1\n\t"
        "str r3, [sp, #8]\n\t"
        "bne 2b\n\t"
        "add sp, sp, #20\n\t"
        "pop {r4-r11, pc}\n\t");
}

/* Requantize n accumulators (PC_AOT_FAST_RQ | PC_AOT_FULL_RANGE) to int8 outputs in a row.
 * r0 = acc, r1 = rq (12 bytes each, or one when r2 = step is 0), r3 = n >= 1, [sp] = out */
__attribute__((naked)) void pc_aot_rqfast(const int32_t *acc, const pc_aot_rq_t *rq, uint32_t step, uint32_t n, int8_t *out)
{
    __asm__ volatile(
        "ldr r12, [sp]\n\t"
        "push {r4-r8, lr}\n\t"
        "cbz r2, 2f\n"
        "1:\n\t"
        "ldm r1!, {r4, r5, r6}\n\t"
        "ldr r7, [r0], #4\n\t"
        "lsl r7, r7, #1\n\t"
        "smmulr r7, r7, r4\n\t"
        "add r8, r6, r7, asr #31\n\t"
        "add r7, r7, r8\n\t"
        "asr r7, r7, r5\n\t"
        "ssat r7, #8, r7\n\t"
        "strb r7, [r12], #1\n\t"
        "subs r3, r3, #1\n\t"
        "bne 1b\n\t"
        "pop {r4-r8, pc}\n"
        "2:\n\t"
        "ldm r1, {r4, r5, r6}\n"
        "3:\n\t"
        "ldr r7, [r0], #4\n\t"
        "lsl r7, r7, #1\n\t"
        "smmulr r7, r7, r4\n\t"
        "add r8, r6, r7, asr #31\n\t"
        "add r7, r7, r8\n\t"
        "asr r7, r7, r5\n\t"
        "ssat r7, #8, r7\n\t"
        "strb r7, [r12], #1\n\t"
        "subs r3, r3, #1\n\t"
        "bne 3b\n\t"
        "pop {r4-r8, pc}\n\t");
}

/* 16 input bytes at a time -> 8 words of int16 pairs (pc_expand4 order).
 * r0 = in (4-byte aligned), r1 = blocks of 16 bytes (>= 1), r2 = dst */
__attribute__((naked)) void pc_aot_expand16(const int8_t *in, uint32_t blocks, uint32_t *dst)
{
    __asm__ volatile(
        "push {r4-r11}\n"
        "1:\n\t"
        "ldm r0!, {r3, r4, r5, r6}\n\t"
        "sxtb16 r7, r3\n\t"
        "sxtb16 r8, r3, ror #8\n\t"
        "sxtb16 r9, r4\n\t"
        "sxtb16 r10, r4, ror #8\n\t"
        "sxtb16 r11, r5\n\t"
        "sxtb16 r12, r5, ror #8\n\t"
        "sxtb16 r3, r6\n\t"
        "sxtb16 r4, r6, ror #8\n\t"
        "stm r2!, {r7-r12}\n\t"
        "stm r2!, {r3, r4}\n\t"
        "subs r1, r1, #1\n\t"
        "bne 1b\n\t"
        "pop {r4-r11}\n\t"
        "bx lr\n\t");
}

#else /* the same sums in C (host tests of the DSP path) */

void pc_aot_fc4(const uint32_t *x, const int8_t *w, uint32_t iters, uint32_t quads,
                const int32_t *bias, int32_t *acc)
{
    while (quads--) {
        int32_t a0 = bias[0], a1 = bias[1], a2 = bias[2], a3 = bias[3];
        const uint32_t *xp = x;
        uint32_t n = iters * 2u;
        while (n--) {
            const uint32_t x0 = xp[0], x1 = xp[1];
            const uint32_t w0 = pc_load32(w), w1 = pc_load32(w + 4), w2 = pc_load32(w + 8), w3 = pc_load32(w + 12);
            a0 = pc_smlad(pc_sxtb16_ror8(w0), x1, pc_smlad(pc_sxtb16(w0), x0, a0));
            a1 = pc_smlad(pc_sxtb16_ror8(w1), x1, pc_smlad(pc_sxtb16(w1), x0, a1));
            a2 = pc_smlad(pc_sxtb16_ror8(w2), x1, pc_smlad(pc_sxtb16(w2), x0, a2));
            a3 = pc_smlad(pc_sxtb16_ror8(w3), x1, pc_smlad(pc_sxtb16(w3), x0, a3));
            xp += 2;
            w += 16;
        }
        acc[0] = a0;
        acc[1] = a1;
        acc[2] = a2;
        acc[3] = a3;
        acc += 4;
        bias += 4;
    }
}

void pc_aot_gemm2x2(const uint32_t *col, const int8_t *w, uint32_t iters, uint32_t pairs,
                    const int32_t *bias, int32_t *acc)
{
    const uint32_t total = pairs;
    while (pairs--) {
        int32_t a00 = bias[0], a01 = bias[0], a10 = bias[1], a11 = bias[1];
        const uint32_t *x = col;
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
        acc[1] = a10;
        acc[2 * total] = a01;
        acc[2 * total + 1] = a11;
        acc += 2;
        bias += 2;
    }
}

void pc_aot_dwquads(const int8_t *const *tp, const int16_t *w, uint32_t taps, uint32_t quads,
                    const int32_t *bias, int32_t *acc)
{
    const uint32_t pairs = taps & 0xffffu, odd = taps >> 16;
    uint32_t c;
    for (c = 0; c < 4u * quads; c += 4u, bias += 4, acc += 4) {
        int32_t a0 = bias[0], a1 = bias[1], a2 = bias[2], a3 = bias[3];
        const int8_t *const *t = tp;
        uint32_t n = pairs;
        while (n--) {
            const uint32_t x0 = pc_load32(t[0] + c), x1 = pc_load32(t[1] + c);
            const uint32_t e0 = pc_sxtb16(x0), o0 = pc_sxtb16_ror8(x0);
            const uint32_t e1 = pc_sxtb16(x1), o1 = pc_sxtb16_ror8(x1);
            a0 = pc_smlad(pc_pkhbt(e0, e1), pc_load32(w), a0);
            a1 = pc_smlad(pc_pkhbt(o0, o1), pc_load32(w + 2), a1);
            a2 = pc_smlad(pc_pkhtb(e0, e1), pc_load32(w + 4), a2);
            a3 = pc_smlad(pc_pkhtb(o0, o1), pc_load32(w + 6), a3);
            t += 2;
            w += 8;
        }
        if (odd) {
            const uint32_t x = pc_load32(t[0] + c), e = pc_sxtb16(x), o = pc_sxtb16_ror8(x);
            a0 = pc_smlabb(e, pc_load32(w), a0);
            a2 = pc_smlatt(e, pc_load32(w), a2);
            a1 = pc_smlabb(o, pc_load32(w + 2), a1);
            a3 = pc_smlatt(o, pc_load32(w + 2), a3);
            w += 4;
        }
        acc[0] = a0;
        acc[1] = a1;
        acc[2] = a2;
        acc[3] = a3;
    }
}

void pc_aot_rqfast(const int32_t *acc, const pc_aot_rq_t *rq, uint32_t step, uint32_t n, int8_t *out)
{
    uint32_t i;
    for (i = 0; i < n; i++, rq += step)
        out[i] = (int8_t)pc_ssat8(pc_rq_fast(acc[i], rq->mult, rq->e, rq->k));
}

void pc_aot_expand16(const int8_t *in, uint32_t blocks, uint32_t *dst)
{
    uint32_t i;
    for (i = 0; i < 4u * blocks; i++, dst += 2)
        pc_expand4(pc_load32(in + 4u * i), dst);
}

#endif
#else
typedef int pc_aot_dot_unused; /* the reference build has no micro-kernels */
#endif
