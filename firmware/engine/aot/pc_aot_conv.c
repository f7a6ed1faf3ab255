/* CONV_2D (grouped, dilated) and DEPTHWISE_CONV_2D, int8 NHWC, per-channel requantization,
 * in the same arithmetic as TFLM's reference ConvPerChannel / DepthwiseConvPerChannel. */
#include "pc_aot.h"

void pc_aot_conv(const pc_aot_conv_t *p, const int8_t *in, int8_t *out) {
    const int32_t fic = p->filter_in_c;
    const int32_t per_group = p->out_c / (p->in_c / fic);
    int32_t b, oy, ox, oc, ky, kx, ic;
    for (b = 0; b < p->batches; b++) {
        const int8_t *img = in + (uint32_t)b * p->in_h * p->in_w * p->in_c;
        for (oy = 0; oy < p->out_h; oy++) {
            const int32_t y0 = oy * p->stride_h - p->pad_h;
            for (ox = 0; ox < p->out_w; ox++) {
                const int32_t x0 = ox * p->stride_w - p->pad_w;
                for (oc = 0; oc < p->out_c; oc++) {
                    const int32_t g = oc / per_group;
                    const int8_t *w = p->w + (uint32_t)oc * p->k_h * p->k_w * fic;
                    int32_t acc = 0;
                    for (ky = 0; ky < p->k_h; ky++) {
                        const int32_t y = y0 + p->dil_h * ky;
                        if (y < 0 || y >= p->in_h) continue;
                        for (kx = 0; kx < p->k_w; kx++) {
                            const int32_t x = x0 + p->dil_w * kx;
                            const int8_t *px, *wk;
                            if (x < 0 || x >= p->in_w) continue;
                            px = img + ((uint32_t)y * p->in_w + x) * p->in_c + g * fic;
                            wk = w + ((uint32_t)ky * p->k_w + kx) * fic;
                            for (ic = 0; ic < fic; ic++)
                                acc += (int32_t)wk[ic] * ((int32_t)px[ic] + p->in_offset);
                        }
                    }
                    if (p->bias) acc += p->bias[oc];
                    *out++ = pc_aot_clamp8(pc_aot_mbqm(acc, p->mult[oc], p->shift[oc]) + p->out_zp,
                                           p->act_min, p->act_max);
                }
            }
        }
    }
}

void pc_aot_dwconv(const pc_aot_conv_t *p, const int8_t *in, int8_t *out) {
    const int32_t mult_depth = p->filter_in_c;
    int32_t b, oy, ox, ic, m, ky, kx;
    for (b = 0; b < p->batches; b++) {
        const int8_t *img = in + (uint32_t)b * p->in_h * p->in_w * p->in_c;
        for (oy = 0; oy < p->out_h; oy++) {
            const int32_t y0 = oy * p->stride_h - p->pad_h;
            for (ox = 0; ox < p->out_w; ox++) {
                const int32_t x0 = ox * p->stride_w - p->pad_w;
                for (ic = 0; ic < p->in_c; ic++) {
                    for (m = 0; m < mult_depth; m++) {
                        const int32_t oc = ic * mult_depth + m;
                        int32_t acc = 0;
                        for (ky = 0; ky < p->k_h; ky++) {
                            const int32_t y = y0 + p->dil_h * ky;
                            if (y < 0 || y >= p->in_h) continue;
                            for (kx = 0; kx < p->k_w; kx++) {
                                const int32_t x = x0 + p->dil_w * kx;
                                if (x < 0 || x >= p->in_w) continue;
                                acc += (int32_t)p->w[((uint32_t)ky * p->k_w + kx) * p->out_c + oc] *
                                       ((int32_t)img[((uint32_t)y * p->in_w + x) * p->in_c + ic] + p->in_offset);
                            }
                        }
                        if (p->bias) acc += p->bias[oc];
                        *out++ = pc_aot_clamp8(pc_aot_mbqm(acc, p->mult[oc], p->shift[oc]) + p->out_zp,
                                               p->act_min, p->act_max);
                    }
                }
            }
        }
    }
}
