/* QUANTIZE (int8 requantize), DEQUANTIZE, TRANSPOSE, PAD and CONCATENATION. */
#include "pc_aot.h"

void pc_aot_requant(const pc_aot_requant_t *p, const int8_t *in, int8_t *out) {
    uint32_t i;
    for (i = 0; i < p->n; i++)
        out[i] = pc_aot_clamp8(pc_aot_mbqm((int32_t)in[i] - p->in_zp, p->mult, p->shift) + p->out_zp, -128, 127);
}

void pc_aot_dequant(uint32_t n, const int8_t *in, float *out, double scale, int32_t zp) {
    uint32_t i;
    for (i = 0; i < n; i++) out[i] = (float)(scale * (double)((int32_t)in[i] - zp));
}

void pc_aot_transpose(const pc_aot_transpose_t *p, const int8_t *in, int8_t *out) {
    uint32_t i0, i1, i2, i3;
    for (i0 = 0; i0 < p->dims[0]; i0++)
        for (i1 = 0; i1 < p->dims[1]; i1++)
            for (i2 = 0; i2 < p->dims[2]; i2++) {
                const int8_t *src = in + i0 * p->strides[0] + i1 * p->strides[1] + i2 * p->strides[2];
                for (i3 = 0; i3 < p->dims[3]; i3++) *out++ = src[i3 * p->strides[3]];
            }
}

void pc_aot_concat(uint32_t outer, uint32_t n_inputs, const int8_t *const *inputs,
                   const uint32_t *inner, int8_t *out) {
    uint32_t o, k, i;
    for (o = 0; o < outer; o++)
        for (k = 0; k < n_inputs; k++) {
            const int8_t *src = inputs[k] + o * inner[k];
            for (i = 0; i < inner[k]; i++) *out++ = src[i];
        }
}


void pc_aot_pad(const pc_aot_pad_t *p, const int8_t *in, int8_t *out)
{
    const uint32_t n = (uint32_t)p->out_dims[0] * p->out_dims[1] * p->out_dims[2] * p->out_dims[3];
    uint32_t i, i0, i1, i2;
    for (i = 0; i < n; i++) out[i] = p->value;
    for (i0 = 0; i0 < p->in_dims[0]; i0++)
        for (i1 = 0; i1 < p->in_dims[1]; i1++)
            for (i2 = 0; i2 < p->in_dims[2]; i2++) {
                int8_t *dst = out + (((uint32_t)(i0 + p->before[0]) * p->out_dims[1] + i1 + p->before[1]) * p->out_dims[2]
                                     + i2 + p->before[2]) * p->out_dims[3] + p->before[3];
                for (i = 0; i < p->in_dims[3]; i++) dst[i] = *in++;
            }
}
