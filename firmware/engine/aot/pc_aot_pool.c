/* AVERAGE_POOL_2D, MAX_POOL_2D and MEAN, int8, as TFLM's reference kernels compute them. */
#include "pc_aot.h"

static void pool(const pc_aot_pool_t *p, const int8_t *in, int8_t *out, int is_max) {
    int32_t b, oy, ox, c, ky, kx;
    for (b = 0; b < p->batches; b++) {
        const int8_t *img = in + (uint32_t)b * p->in_h * p->in_w * p->ch;
        for (oy = 0; oy < p->out_h; oy++) {
            const int32_t y0 = oy * p->stride_h - p->pad_h;
            const int32_t ky0 = y0 < 0 ? -y0 : 0;
            const int32_t ky1 = (p->in_h - y0) < p->k_h ? (p->in_h - y0) : p->k_h;
            for (ox = 0; ox < p->out_w; ox++) {
                const int32_t x0 = ox * p->stride_w - p->pad_w;
                const int32_t kx0 = x0 < 0 ? -x0 : 0;
                const int32_t kx1 = (p->in_w - x0) < p->k_w ? (p->in_w - x0) : p->k_w;
                for (c = 0; c < p->ch; c++) {
                    int32_t acc = is_max ? -128 : 0, count = 0;
                    for (ky = ky0; ky < ky1; ky++)
                        for (kx = kx0; kx < kx1; kx++) {
                            int32_t v = img[((uint32_t)(y0 + ky) * p->in_w + (x0 + kx)) * p->ch + c];
                            if (is_max) acc = v > acc ? v : acc;
                            else acc += v;
                            count++;
                        }
                    if (!is_max && count > 0)
                        acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
                    *out++ = pc_aot_clamp8(acc, p->act_min, p->act_max);
                }
            }
        }
    }
}

#if defined(PC_AOT_DSP) && PC_AOT_DSP
#include "pc_aot_acle.h"

/* Sum four channels at once in int16 lanes (SXTAB16): exact while a window holds at most 256
 * values (256 * 128 fits an int16), then TFLM's rounding division per channel. */
static void avgpool_dsp(const pc_aot_pool_t *p, const int8_t *in, int8_t *out)
{
    int32_t b, oy, ox, ky, kx;
    uint32_t c;
    for (b = 0; b < p->batches; b++) {
        const int8_t *img = in + (uint32_t)b * p->in_h * p->in_w * p->ch;
        for (oy = 0; oy < p->out_h; oy++) {
            const int32_t y0 = oy * p->stride_h - p->pad_h;
            const int32_t ky0 = y0 < 0 ? -y0 : 0;
            const int32_t ky1 = (p->in_h - y0) < p->k_h ? (p->in_h - y0) : p->k_h;
            for (ox = 0; ox < p->out_w; ox++) {
                const int32_t x0 = ox * p->stride_w - p->pad_w;
                const int32_t kx0 = x0 < 0 ? -x0 : 0;
                const int32_t kx1 = (p->in_w - x0) < p->k_w ? (p->in_w - x0) : p->k_w;
                const int32_t count = (ky1 - ky0) * (kx1 - kx0);
                for (c = 0; c < p->ch; c += 4u) {
                    uint32_t se = 0, so = 0;
                    int32_t sum[4], i;
                    for (ky = ky0; ky < ky1; ky++) {
                        const int8_t *px = img + ((uint32_t)(y0 + ky) * p->in_w + (uint32_t)(x0 + kx0)) * p->ch + c;
                        for (kx = kx0; kx < kx1; kx++, px += p->ch) {
                            const uint32_t x = pc_load32(px);
                            se = pc_sxtab16(se, x);
                            so = pc_sxtab16_ror8(so, x);
                        }
                    }
                    sum[0] = (int16_t)(se & 0xffffu);
                    sum[1] = (int16_t)(so & 0xffffu);
                    sum[2] = (int16_t)(se >> 16);
                    sum[3] = (int16_t)(so >> 16);
                    for (i = 0; i < 4; i++) {
                        int32_t a = sum[i];
                        if (count > 0)
                            a = a > 0 ? (a + count / 2) / count : (a - count / 2) / count;
                        *out++ = pc_aot_clamp8(a, p->act_min, p->act_max);
                    }
                }
            }
        }
    }
}
#endif

void pc_aot_avgpool(const pc_aot_pool_t *p, const int8_t *in, int8_t *out)
{
#if defined(PC_AOT_DSP) && PC_AOT_DSP
    if ((p->ch & 3u) == 0 && (uint32_t)p->k_h * p->k_w <= 256u) {
        avgpool_dsp(p, in, out);
        return;
    }
#endif
    pool(p, in, out, 0);
}
void pc_aot_maxpool(const pc_aot_pool_t *p, const int8_t *in, int8_t *out) { pool(p, in, out, 1); }

void pc_aot_mean(const pc_aot_mean_t *p, const int8_t *in, int8_t *out, int32_t *sums) {
    uint32_t od[4], n_out = 1, i0, i1, i2, i3, k;
    for (k = 0; k < 4; k++) {
        od[k] = (p->reduce_mask >> k) & 1u ? 1u : p->dims[k];
        n_out *= od[k];
    }
    for (k = 0; k < n_out; k++) sums[k] = 0;
    for (i0 = 0; i0 < p->dims[0]; i0++)
        for (i1 = 0; i1 < p->dims[1]; i1++)
            for (i2 = 0; i2 < p->dims[2]; i2++)
                for (i3 = 0; i3 < p->dims[3]; i3++) {
                    uint32_t o0 = od[0] == 1 ? 0 : i0, o1 = od[1] == 1 ? 0 : i1;
                    uint32_t o2 = od[2] == 1 ? 0 : i2, o3 = od[3] == 1 ? 0 : i3;
                    sums[((o0 * od[1] + o1) * od[2] + o2) * od[3] + o3] += *in++;
                }
    for (k = 0; k < n_out; k++) {
        int32_t v = pc_aot_mbqm(sums[k] - p->in_zp * p->count, p->mult, p->shift) + p->out_zp;
        out[k] = pc_aot_clamp8(v, -128, 127);
    }
}
