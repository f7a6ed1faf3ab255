/* CONV_2D (grouped, dilated) and DEPTHWISE_CONV_2D, int8 NHWC, per-channel requantization,
 * with the results of TFLM's reference ConvPerChannel / DepthwiseConvPerChannel.
 *
 * Both paths read padding taps as the input zero point and start from the folded bias
 * (pc_aot.h), which is TFLM's sum over the taps inside the image. Output pixels are produced
 * in raster order, each after every input it needs has been read (the DSP conv reads two
 * pixels' taps, then writes both), which is what lets the generator overlap the output with
 * the input (firmware never writes an input byte that a later pixel still reads). */
#include "pc_aot.h"

static void dwconv_ref(const pc_aot_dwconv_t *p, const int8_t *in, int8_t *out);

PC_AOT_INLINE int8_t ref_out(int32_t acc, const pc_aot_rq_t *q, int32_t zp, int32_t lo, int32_t hi)
{
    return pc_aot_clamp8(pc_aot_mbqm(acc, q->mult, -q->e) + zp, lo, hi);
}

#if defined(PC_AOT_DSP) && PC_AOT_DSP
#include "pc_aot_acle.h"

PC_AOT_INLINE int8_t dsp_out(int32_t acc, const pc_aot_rq_t *q, uint32_t flags, int32_t zp, int32_t lo, int32_t hi)
{
    if (flags == (PC_AOT_FAST_RQ | PC_AOT_FULL_RANGE))
        return (int8_t)pc_ssat8(pc_rq_fast(acc, q->mult, q->e, q->k));
    if (flags & PC_AOT_FAST_RQ)
        return pc_aot_clamp8(pc_rq_fast(acc, q->mult, q->e, q->k), lo, hi);
    return ref_out(acc, q, zp, lo, hi);
}

/* One im2col row for output pixel `pix` and group g, expanded to int16 pairs at
 * dst[4 * chunk + 0..1] (the other column of the pair uses + 2..3). */
static void im2col(const pc_aot_conv_t *p, const int8_t *img, uint32_t pix, uint32_t g, uint32_t *dst,
                   int8_t *tmp)
{
    const int32_t oy = (int32_t)(pix / p->out_w), ox = (int32_t)(pix % p->out_w);
    const int32_t y0 = oy * p->stride_h - p->pad_h, x0 = ox * p->stride_w - p->pad_w;
    const uint32_t fic = p->filter_in_c, chunks = p->k_pad >> 2;
    const int8_t *base = img + g * fic;
    uint32_t c = 0;
    int32_t ky, kx;
    if ((fic & 3u) == 0) {
        const uint32_t zp4 = (uint32_t)(uint8_t)p->in_zp * 0x01010101u;
        const uint32_t ze = pc_sxtb16(zp4);
        for (ky = 0; ky < p->k_h; ky++) {
            const int32_t y = y0 + ky * p->dil_h;
            for (kx = 0; kx < p->k_w; kx++) {
                const int32_t x = x0 + kx * p->dil_w;
                uint32_t i;
                if (y < 0 || y >= p->in_h || x < 0 || x >= p->in_w) {
                    for (i = 0; i < fic; i += 4, c++) {
                        dst[4 * c] = ze;
                        dst[4 * c + 1] = ze;
                    }
                } else {
                    const int8_t *src = base + ((uint32_t)y * p->in_w + (uint32_t)x) * p->in_c;
                    for (i = 0; i < fic; i += 4, c++)
                        pc_expand4(pc_load32(src + i), dst + 4 * c);
                }
            }
        }
    } else {
        const int contiguous = fic == p->in_c && p->dil_w == 1;   /* a row of taps is one run */
        uint32_t k = 0;
        for (ky = 0; ky < p->k_h; ky++) {
            const int32_t y = y0 + ky * p->dil_h;
            if (contiguous) {   /* zero points left of the image, one run inside, zero points right */
                const int32_t lo = x0 < 0 ? -x0 : 0;
                const int32_t hi = x0 + p->k_w > p->in_w ? p->in_w - x0 : p->k_w;
                uint32_t i, n;
                if (y < 0 || y >= p->in_h || hi <= lo) {
                    for (n = (uint32_t)p->k_w * fic; n; n--) tmp[k++] = (int8_t)p->in_zp;
                    continue;
                }
                for (n = (uint32_t)lo * fic; n; n--) tmp[k++] = (int8_t)p->in_zp;
                {
                    const int8_t *src = base + ((uint32_t)y * p->in_w + (uint32_t)(x0 + lo)) * p->in_c;
                    n = (uint32_t)(hi - lo) * fic;
                    for (i = 0; i < n; i++) tmp[k++] = src[i];
                }
                for (n = (uint32_t)(p->k_w - hi) * fic; n; n--) tmp[k++] = (int8_t)p->in_zp;
                continue;
            }
            for (kx = 0; kx < p->k_w; kx++) {
                const int32_t x = x0 + kx * p->dil_w;
                uint32_t i;
                if (y < 0 || y >= p->in_h || x < 0 || x >= p->in_w) {
                    for (i = 0; i < fic; i++) tmp[k++] = (int8_t)p->in_zp;
                } else {
                    const int8_t *src = base + ((uint32_t)y * p->in_w + (uint32_t)x) * p->in_c;
                    for (i = 0; i < fic; i++) tmp[k++] = src[i];
                }
            }
        }
        while (k & 3u) tmp[k++] = 0;
        for (; c < k >> 2; c++)
            pc_expand4(pc_load32(tmp + 4 * c), dst + 4 * c);
    }
    for (; c < chunks; c++) {   /* k_pad > k: zero rows meet zero weights */
        dst[4 * c] = 0;
        dst[4 * c + 1] = 0;
    }
}

/* Requantize one group's accumulators of one pixel (n contiguous channels) into o. */
static void conv_store(const pc_aot_conv_t *p, const int32_t *acc, const pc_aot_rq_t *rq, uint32_t n, int8_t *o)
{
    const uint32_t flags = p->flags, step = p->rq_step;
    const int32_t zp = p->out_zp, lo = p->act_min, hi = p->act_max;
    uint32_t c;
    if (flags == (PC_AOT_FAST_RQ | PC_AOT_FULL_RANGE)) {
        pc_aot_rqfast(acc, rq, step, n, o);
        return;
    }
    for (c = 0; c < n; c++, rq += step)
        o[c] = dsp_out(acc[c], rq, flags, zp, lo, hi);
}

void pc_aot_conv(const pc_aot_conv_t *p, const int8_t *in, int8_t *out, void *scratch)
{
    uint32_t *const col = (uint32_t *)scratch;
    int8_t *const tmp = (int8_t *)scratch + 4u * p->k_pad;
    int32_t *const acc = (int32_t *)(void *)((int8_t *)scratch + 5u * p->k_pad);
    const uint32_t n_pix = (uint32_t)p->out_h * p->out_w, oc_n = p->out_c, per_group = p->per_group;
    const uint32_t pairs = (per_group + 1u) >> 1, group_bytes = pairs * 2u * p->k_pad, iters = p->k_pad >> 3;
    uint32_t b, q, g;
    for (b = 0; b < p->batches; b++) {
        const int8_t *img = in + (uint32_t)b * p->in_h * p->in_w * p->in_c;
        int8_t *o = out + (uint32_t)b * n_pix * oc_n;
        for (q = 0; q < n_pix; q += 2) {
            const uint32_t q1 = q + 1 < n_pix ? q + 1 : q;
            for (g = 0; g < p->groups; g++) {
                im2col(p, img, q, g, col, tmp);
                im2col(p, img, q1, g, col + 2, tmp);
                pc_aot_gemm2x2(col, p->w + g * group_bytes, iters, pairs, p->bias + g * 2u * pairs, acc);
                conv_store(p, acc, p->rq + g * per_group * p->rq_step, per_group, o + q * oc_n + g * per_group);
                if (q1 != q)
                    conv_store(p, acc + 2u * pairs, p->rq + g * per_group * p->rq_step, per_group,
                               o + q1 * oc_n + g * per_group);
            }
        }
    }
}

#define PC_DW_MAX_TAPS 64u

void pc_aot_dwconv(const pc_aot_dwconv_t *p, const int8_t *in, int8_t *out, void *scratch)
{
    const uint32_t taps = (uint32_t)p->k_h * p->k_w, C = p->out_c, pairs = p->tap_pairs;
    const int32_t zp = p->out_zp, lo = p->act_min, hi = p->act_max;
    const uint32_t flags = p->flags, step = p->rq_step;
    const pc_aot_rq_t *const rq = p->rq;
    int8_t *const zrow = (int8_t *)scratch;
    int32_t *const acc = (int32_t *)(void *)((int8_t *)scratch + ((C + 3u) & ~3u));
    const int8_t *tp[PC_DW_MAX_TAPS];
    int32_t b, oy, ox, ky, kx;
    uint32_t c, t;
    if (p->depth_mult != 1 || taps > PC_DW_MAX_TAPS || (C & 3u)) {
        dwconv_ref(p, in, out);
        return;
    }
    for (c = 0; c < C; c++) zrow[c] = (int8_t)p->in_zp;
    for (b = 0; b < p->batches; b++) {
        const int8_t *img = in + (uint32_t)b * p->in_h * p->in_w * C;
        for (oy = 0; oy < p->out_h; oy++) {
            const int32_t y0 = oy * p->stride_h - p->pad_h;
            for (ox = 0; ox < p->out_w; ox++) {
                const int32_t x0 = ox * p->stride_w - p->pad_w;
                t = 0;
                for (ky = 0; ky < p->k_h; ky++) {
                    const int32_t y = y0 + ky * p->dil_h;
                    for (kx = 0; kx < p->k_w; kx++) {
                        const int32_t x = x0 + kx * p->dil_w;
                        tp[t++] = (y < 0 || y >= p->in_h || x < 0 || x >= p->in_w) ? zrow
                                  : img + ((uint32_t)y * p->in_w + (uint32_t)x) * C;
                    }
                }
                pc_aot_dwquads(tp, p->w, pairs | (uint32_t)p->odd_tap << 16, C >> 2, p->bias, acc);
                if (flags == (PC_AOT_FAST_RQ | PC_AOT_FULL_RANGE)) {
                    pc_aot_rqfast(acc, rq, step, C, out);
                } else {
                    for (c = 0; c < C; c++)
                        out[c] = dsp_out(acc[c], rq + c * step, flags, zp, lo, hi);
                }
                out += C;
            }
        }
    }
}

#else /* reference C path: plain C99, any core */

/* The im2col row of pixel (oy, ox), group g, as int8 (zero points for padding taps, zeros up
 * to k_pad): every tap is read before any output of the pixel is written. */
static void gather(const pc_aot_conv_t *p, const int8_t *img, int32_t oy, int32_t ox, uint32_t g, int8_t *row)
{
    const int32_t y0 = oy * p->stride_h - p->pad_h, x0 = ox * p->stride_w - p->pad_w;
    const uint32_t fic = p->filter_in_c;
    int32_t ky, kx;
    uint32_t k = 0, c;
    for (ky = 0; ky < p->k_h; ky++) {
        const int32_t y = y0 + p->dil_h * ky;
        for (kx = 0; kx < p->k_w; kx++) {
            const int32_t x = x0 + p->dil_w * kx;
            if (y >= 0 && y < p->in_h && x >= 0 && x < p->in_w) {
                const int8_t *px = img + ((uint32_t)y * p->in_w + (uint32_t)x) * p->in_c + g * fic;
                for (c = 0; c < fic; c++) row[k++] = px[c];
            } else {
                for (c = 0; c < fic; c++) row[k++] = (int8_t)p->in_zp;
            }
        }
    }
    while (k < p->k_pad) row[k++] = 0;
}

void pc_aot_conv(const pc_aot_conv_t *p, const int8_t *in, int8_t *out, void *scratch)
{
    int8_t *const row = (int8_t *)scratch;
    const uint32_t pairs = (p->per_group + 1u) >> 1, pair_bytes = 2u * p->k_pad;
    int32_t b, oy, ox;
    uint32_t g, r, k;
    for (b = 0; b < p->batches; b++) {
        const int8_t *img = in + (uint32_t)b * p->in_h * p->in_w * p->in_c;
        for (oy = 0; oy < p->out_h; oy++) {
            for (ox = 0; ox < p->out_w; ox++) {
                for (g = 0; g < p->groups; g++) {
                    gather(p, img, oy, ox, g, row);
                    for (r = 0; r < p->per_group; r++) {
                        /* row r: 4 of its bytes per 8-byte chunk of the pair (pc_aot.h) */
                        const int8_t *w = p->w + (g * pairs + (r >> 1)) * pair_bytes + (r & 1u) * 4u;
                        const int8_t *x = row;
                        const uint32_t oc = g * p->per_group + r;
                        int32_t acc = p->bias[g * 2u * pairs + r];
                        for (k = 0; k < p->k_pad; k += 4u, w += 8, x += 4)
                            acc += w[0] * x[0] + w[1] * x[1] + w[2] * x[2] + w[3] * x[3];
                        out[oc] = ref_out(acc, p->rq + oc * p->rq_step, p->out_zp, p->act_min, p->act_max);
                    }
                }
                out += p->out_c;
            }
        }
    }
}

void pc_aot_dwconv(const pc_aot_dwconv_t *p, const int8_t *in, int8_t *out, void *scratch)
{
    (void)scratch;
    dwconv_ref(p, in, out);
}

#endif

static void dwconv_ref(const pc_aot_dwconv_t *p, const int8_t *in, int8_t *out)
{
    const uint32_t m_n = p->depth_mult, pairs = p->tap_pairs, quad_stride = 8u * pairs + 4u * p->odd_tap;
    int32_t b, oy, ox, ky, kx;
    uint32_t ic, m;
    for (b = 0; b < p->batches; b++) {
        const int8_t *img = in + (uint32_t)b * p->in_h * p->in_w * p->in_c;
        for (oy = 0; oy < p->out_h; oy++) {
            const int32_t y0 = oy * p->stride_h - p->pad_h;
            for (ox = 0; ox < p->out_w; ox++) {
                const int32_t x0 = ox * p->stride_w - p->pad_w;
                for (ic = 0; ic < p->in_c; ic++) {
                    for (m = 0; m < m_n; m++) {
                        const uint32_t oc = ic * m_n + m, i = oc & 3u;
                        /* tap 2j + h of this channel is wp[8j + h]; an odd last tap is apart (pc_aot.h) */
                        const int16_t *wp = p->w + (oc >> 2) * quad_stride + i * 2u;
                        const int16_t w_odd = p->odd_tap ? p->w[(oc >> 2) * quad_stride + 8u * pairs + (i & 1u) * 2u + (i >> 1)] : 0;
                        int32_t acc = p->bias[oc];
                        uint32_t t = 0;
                        for (ky = 0; ky < p->k_h; ky++) {
                            const int32_t y = y0 + p->dil_h * ky;
                            for (kx = 0; kx < p->k_w; kx++, t++) {
                                const int32_t x = x0 + p->dil_w * kx;
                                const int32_t v = (y >= 0 && y < p->in_h && x >= 0 && x < p->in_w)
                                                      ? img[((uint32_t)y * p->in_w + (uint32_t)x) * p->in_c + ic] : p->in_zp;
                                acc += v * (t < 2u * pairs ? wp[(t >> 1) * 8u + (t & 1u)] : w_odd);
                            }
                        }
                        *out++ = ref_out(acc, p->rq + oc * p->rq_step, p->out_zp, p->act_min, p->act_max);
                    }
                }
            }
        }
    }
}
