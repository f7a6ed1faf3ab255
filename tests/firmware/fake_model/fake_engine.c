/* Deterministic fake engine for protocol tests: out[j] = clamp((sum_i in[i] * (i + j + 1)) >> 6).
 * tests/firmware/fwutil.py computes the same in numpy. An input whose first byte is
 * -128 and second 127 makes invoke fail, to test ERROR ENGINE. */
#include "packetclip/engine.h"
#include "pc_model_config.h"

static const pc_model_info_t info = {
    .engine = PC_ENGINE_AOT,
    .model_sha256 = {0xfa, 0xce},
    .arena_bytes = 64u,
    .input_bytes = PC_MODEL_INPUT_BYTES,
    .output_bytes = PC_MODEL_OUTPUT_BYTES,
    .input_scale = 0.5f,
    .output_scale = 0.25f,
    .input_zero_point = -3,
    .output_zero_point = 7,
    .input_rank = 2,
    .output_rank = 2,
    .input_dims = {1, PC_MODEL_INPUT_BYTES > 0xFFFFu ? 0xFFFFu : PC_MODEL_INPUT_BYTES, 0, 0},
    .output_dims = {1, PC_MODEL_OUTPUT_BYTES, 0, 0},
};
static int8_t input[PC_MODEL_INPUT_BYTES], output[PC_MODEL_OUTPUT_BYTES];

int pc_engine_init(void) { return 0; }
const pc_model_info_t *pc_engine_info(void) { return &info; }
int8_t *pc_engine_input(void) { return input; }
const int8_t *pc_engine_output(void) { return output; }

int pc_engine_invoke(void)
{
    unsigned i, j;
    if (input[0] == -128 && input[1] == 127)
        return 1;
    for (j = 0; j < PC_MODEL_OUTPUT_BYTES; j++) {
        long acc = 0;
        for (i = 0; i < PC_MODEL_INPUT_BYTES; i++)
            acc += (long)input[i] * (long)(i + j + 1);
        acc >>= 6;
        output[j] = (int8_t)(acc > 127 ? 127 : acc < -128 ? -128 : acc);
    }
    return 0;
}
