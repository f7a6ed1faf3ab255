/* Deterministic fake engine for protocol tests: out[j] = clamp((sum_i in[i] * (i + j + 1)) >> 6).
 * tests/firmware/fake_model.py computes the same in numpy. An input whose first byte is
 * -128 and second 127 makes invoke fail, to test ERROR ENGINE. */
#include "packetclip/engine.h"
#include "pc_model_config.h"

static const pc_model_info_t info = {
    PC_ENGINE_AOT,
    {0xfa, 0xce},
    64u,
    PC_MODEL_INPUT_BYTES, PC_MODEL_OUTPUT_BYTES,
    0.5f, 0.25f,
    -3, 7,
    2, 2,
    {1, PC_MODEL_INPUT_BYTES, 0, 0}, {1, PC_MODEL_OUTPUT_BYTES, 0, 0},
};

int pc_engine_init(void) { return 0; }
const pc_model_info_t *pc_engine_info(void) { return &info; }

int pc_engine_invoke(const int8_t *in, int8_t *out)
{
    unsigned i, j;
    if (in[0] == -128 && in[1] == 127)
        return 1;
    for (j = 0; j < PC_MODEL_OUTPUT_BYTES; j++) {
        long acc = 0;
        for (i = 0; i < PC_MODEL_INPUT_BYTES; i++)
            acc += (long)in[i] * (long)(i + j + 1);
        acc >>= 6;
        out[j] = (int8_t)(acc > 127 ? 127 : acc < -128 ? -128 : acc);
    }
    return 0;
}
