// engine.h over TensorFlow Lite Micro's MicroInterpreter.
//
// The generated model folder (packetclip codegen --engine tflm) provides:
//   pc_model_config.h: sizes, shapes, quantization, sha256, PC_TFLM_ARENA_BYTES (probed on the host)
//   pc_model_data.h  : extern const unsigned char pc_model_tflite[]; extern const unsigned int pc_model_tflite_len;
//   tflm_ops.h       : PC_TFLM_OP_COUNT and pc_tflm_add_ops(tflite::MicroMutableOpResolver<PC_TFLM_OP_COUNT>&)
//                      generated from the model's op list (never a hand-counted resolver).
// No heap: the interpreter lives in static storage, built on first init.
#include <new>

#include "packetclip/engine.h"
#include "pc_model_config.h"
#include "pc_model_data.h"
#include "tensorflow/lite/micro/micro_interpreter.h"
#include "tensorflow/lite/micro/micro_mutable_op_resolver.h"
#include "tensorflow/lite/schema/schema_generated.h"
#include "tflm_ops.h"

namespace {

using Resolver = tflite::MicroMutableOpResolver<PC_TFLM_OP_COUNT>;

alignas(16) uint8_t arena[PC_TFLM_ARENA_BYTES];
alignas(Resolver) uint8_t resolver_storage[sizeof(Resolver)];
alignas(tflite::MicroInterpreter) uint8_t interpreter_storage[sizeof(tflite::MicroInterpreter)];
tflite::MicroInterpreter *interpreter = nullptr;

const pc_model_info_t info = {
    PC_ENGINE_TFLM, PC_MODEL_SHA256, PC_TFLM_ARENA_BYTES,
    PC_MODEL_INPUT_BYTES, PC_MODEL_OUTPUT_BYTES,
    PC_MODEL_INPUT_SCALE, PC_MODEL_OUTPUT_SCALE,
    PC_MODEL_INPUT_ZERO_POINT, PC_MODEL_OUTPUT_ZERO_POINT,
    PC_MODEL_INPUT_RANK, PC_MODEL_OUTPUT_RANK,
    PC_MODEL_INPUT_DIMS, PC_MODEL_OUTPUT_DIMS,
};

}  // namespace

extern "C" int pc_engine_init(void)
{
    if (interpreter != nullptr)
        return 0;
    const tflite::Model *model = tflite::GetModel(pc_model_tflite);
    if (model->version() != TFLITE_SCHEMA_VERSION)
        return 1;
    Resolver *resolver = new (resolver_storage) Resolver();
    if (pc_tflm_add_ops(*resolver) != kTfLiteOk)
        return 2;
    tflite::MicroInterpreter *it =
        new (interpreter_storage) tflite::MicroInterpreter(model, *resolver, arena, sizeof arena);
    if (it->AllocateTensors() != kTfLiteOk)
        return 3;
    TfLiteTensor *in = it->input(0), *out = it->output(0);
    if (in->type != kTfLiteInt8 || out->type != kTfLiteInt8 || in->bytes != PC_MODEL_INPUT_BYTES ||
        out->bytes != PC_MODEL_OUTPUT_BYTES)
        return 4;
    interpreter = it;
    return 0;
}

extern "C" const pc_model_info_t *pc_engine_info(void) { return &info; }

extern "C" int pc_engine_invoke(const int8_t *in, int8_t *out)
{
    if (interpreter == nullptr)
        return 1;
    int8_t *src = interpreter->input(0)->data.int8;
    for (unsigned i = 0; i < PC_MODEL_INPUT_BYTES; i++)
        src[i] = in[i];
    if (interpreter->Invoke() != kTfLiteOk)
        return 2;
    const int8_t *dst = interpreter->output(0)->data.int8;
    for (unsigned i = 0; i < PC_MODEL_OUTPUT_BYTES; i++)
        out[i] = dst[i];
    return 0;
}
