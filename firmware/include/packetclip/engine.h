/* The inference engine interface: one model, int8 in, int8 out.
 * Implemented by the generated ahead-of-time code (engine/aot) or by engine/tflm.
 * The firmware core knows nothing else about the model. */
#ifndef PACKETCLIP_ENGINE_H
#define PACKETCLIP_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PC_ENGINE_AOT 1
#define PC_ENGINE_TFLM 2
#define PC_MAX_RANK 4

typedef struct {
    uint8_t engine;              /* PC_ENGINE_AOT or PC_ENGINE_TFLM */
    uint8_t model_sha256[32];    /* sha256 of the bundle's model.tflite */
    uint32_t arena_bytes;        /* activation buffer (aot) or tensor arena (tflm) */
    uint16_t input_bytes, output_bytes;
    float input_scale, output_scale;
    int32_t input_zero_point, output_zero_point;
    uint8_t input_rank, output_rank;
    uint16_t input_dims[PC_MAX_RANK], output_dims[PC_MAX_RANK];
} pc_model_info_t;

/* Prepare the engine; 0 on success. Called once at boot. */
int pc_engine_init(void);

/* Static description of the model compiled into this firmware. */
const pc_model_info_t *pc_engine_info(void);

/* Run one inference: `in` holds input_bytes int8 values, `out` receives output_bytes.
 * Returns 0 on success. */
int pc_engine_invoke(const int8_t *in, int8_t *out);

#ifdef __cplusplus
}
#endif

#endif
