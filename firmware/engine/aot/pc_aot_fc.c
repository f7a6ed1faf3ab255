/* FULLY_CONNECTED, int8, per-channel requantization (per-tensor models get the same
 * multiplier repeated). Weight packing: see pc_aot.h. */
#include "pc_aot.h"

#if defined(PC_AOT_DSP) && PC_AOT_DSP
#include "pc_aot_acle.h"

/* Input bytes -> int16 pairs (pc_expand4 order), zero beyond in_n up to in_pad. */
static void expand_input(const int8_t *in, uint32_t n, uint32_t n_pad, uint32_t *dst)
{
    uint32_t k = 0;
    if (((uintptr_t)in & 3u) == 0 && n >= 16u) {   /* the arena keeps tensors 4-byte aligned */
        k = n & ~15u;
        pc_aot_expand16(in, k >> 4, dst);
        dst += k >> 1;
    }
    for (; k + 4 <= n; k += 4, dst += 2)
        pc_expand4(pc_load32(in + k), dst);
    for (; k < n_pad; k += 4, dst += 2) {
        uint32_t x = 0, j;
        for (j = 0; j < 4; j++)
            if (k + j < n) x |= (uint32_t)(uint8_t)in[k + j] << (8 * j);
        pc_expand4(x, dst);
    }
}

void pc_aot_fc(const pc_aot_fc_t *p, const int8_t *in, int8_t *out, void *scratch)
{
    uint32_t *const xs = (uint32_t *)scratch;
    int32_t *const acc = (int32_t *)scratch + (p->in_pad >> 1);
    const uint32_t out_n = p->out_n, step = p->rq_step, iters = p->in_pad >> 3;
    const int32_t zp = p->out_zp, lo = p->act_min, hi = p->act_max;
    uint32_t b, j, i;
    for (b = 0; b < p->batches; b++, in += p->in_n, out += out_n) {
        expand_input(in, p->in_n, p->in_pad, xs);
        for (j = 0; j < out_n; j += PC_AOT_FC_BLOCK) {   /* blocks of rows: a small accumulator scratch */
            const uint32_t n = out_n - j < PC_AOT_FC_BLOCK ? out_n - j : PC_AOT_FC_BLOCK;
            const pc_aot_rq_t *rq = p->rq + j * step;
            int8_t *o = out + j;
            pc_aot_fc4(xs, p->w + j * p->in_pad, iters, (n + 3u) >> 2, p->bias + j, acc);
            if (p->flags == (PC_AOT_FAST_RQ | PC_AOT_FULL_RANGE)) {
                pc_aot_rqfast(acc, rq, step, n, o);
            } else if (p->flags & PC_AOT_FAST_RQ) {
                for (i = 0; i < n; i++, rq += step)
                    o[i] = pc_aot_clamp8(pc_rq_fast(acc[i], rq->mult, rq->e, rq->k), lo, hi);
            } else {
                for (i = 0; i < n; i++, rq += step)
                    o[i] = pc_aot_clamp8(pc_aot_mbqm(acc[i], rq->mult, -rq->e) + zp, lo, hi);
            }
        }
    }
}

#else /* reference C path: plain C99, any core */

void pc_aot_fc(const pc_aot_fc_t *p, const int8_t *in, int8_t *out, void *scratch)
{
    const uint32_t quad_bytes = (uint32_t)p->in_pad * 4u;
    uint32_t b, r, k;
    (void)scratch;
    for (b = 0; b < p->batches; b++) {
        for (r = 0; r < p->out_n; r++) {
            const int8_t *w = p->w + (r >> 2) * quad_bytes + (r & 3u) * 4u;
            const int8_t *x = in;
            int32_t acc = p->bias[r];
            for (k = 0; k + 4u <= p->in_n; k += 4u, w += 16, x += 4)   /* 4 inputs per chunk */
                acc += w[0] * x[0] + w[1] * x[1] + w[2] * x[2] + w[3] * x[3];
            for (; k < p->in_n; k++)
                acc += w[k & 3u] * in[k];
            out[r] = pc_aot_clamp8(pc_aot_mbqm(acc, p->rq[r * p->rq_step].mult, -p->rq[r * p->rq_step].e) + p->out_zp,
                                   p->act_min, p->act_max);
        }
        in += p->in_n;
        out += p->out_n;
    }
}

#endif
