/* ADD and MUL, int8, with broadcasting by strides; arithmetic as TFLM's AddFunc / MulElementwise. */
#include "pc_aot.h"

static inline int8_t add1(const pc_aot_eltwise_t *p, int32_t x, int32_t y) {
    const int32_t a = (int32_t)((uint32_t)(x + p->in1_offset) << p->left_shift);
    const int32_t b = (int32_t)((uint32_t)(y + p->in2_offset) << p->left_shift);
    const int32_t sum = pc_aot_mbqm(a, p->in1_mult, p->in1_shift) + pc_aot_mbqm(b, p->in2_mult, p->in2_shift);
    return pc_aot_clamp8(pc_aot_mbqm(sum, p->out_mult, p->out_shift) + p->out_zp, p->act_min, p->act_max);
}

static inline int8_t mul1(const pc_aot_eltwise_t *p, int32_t x, int32_t y) {
    const int32_t prod = (x + p->in1_offset) * (y + p->in2_offset);
    return pc_aot_clamp8(pc_aot_mbqm(prod, p->out_mult, p->out_shift) + p->out_zp, p->act_min, p->act_max);
}

#define PC_ELTWISE_LOOP(FN)                                                             \
    uint32_t i0, i1, i2, i3;                                                            \
    for (i0 = 0; i0 < p->dims[0]; i0++)                                                 \
        for (i1 = 0; i1 < p->dims[1]; i1++)                                             \
            for (i2 = 0; i2 < p->dims[2]; i2++) {                                       \
                const int8_t *pa = a + i0 * p->s1[0] + i1 * p->s1[1] + i2 * p->s1[2];   \
                const int8_t *pb = b + i0 * p->s2[0] + i1 * p->s2[1] + i2 * p->s2[2];   \
                for (i3 = 0; i3 < p->dims[3]; i3++)                                     \
                    *out++ = FN(p, pa[i3 * p->s1[3]], pb[i3 * p->s2[3]]);               \
            }

void pc_aot_add(const pc_aot_eltwise_t *p, const int8_t *a, const int8_t *b, int8_t *out) {
    PC_ELTWISE_LOOP(add1)
}

void pc_aot_mul(const pc_aot_eltwise_t *p, const int8_t *a, const int8_t *b, int8_t *out) {
    PC_ELTWISE_LOOP(mul1)
}
