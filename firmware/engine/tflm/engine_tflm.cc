// engine.h over TensorFlow Lite Micro's MicroInterpreter.
//
// The generated model folder (packetclip codegen --engine tflm) provides:
//   pc_model_config.h: sizes, shapes, quantization, sha256, PC_TFLM_ARENA_BYTES (probed on the host)
//   pc_model_data.h  : extern const unsigned char pc_model_tflite[]; extern const unsigned int pc_model_tflite_len;
//   tflm_ops.h       : PC_TFLM_OP_COUNT and pc_tflm_add_ops(tflite::MicroMutableOpResolver<PC_TFLM_OP_COUNT>&)
//                      generated from the op registry (never a hand-counted resolver)
//   pc_model_info.c  : pc_engine_info()
// No heap: the interpreter lives in static storage, built on first init. The core writes
// requests straight into TFLM's input tensor and sends replies from its output tensor.
#include <new>

#include "packetclip/engine.h"
#include "pc_model_config.h"
#include "pc_model_data.h"
#include "tensorflow/lite/micro/micro_interpreter.h"
#include "tensorflow/lite/micro/micro_mutable_op_resolver.h"
#include "tensorflow/lite/schema/schema_generated.h"
#include "tflm_ops.h"

#if !defined(PC_MODEL_ABI_VERSION) || PC_MODEL_ABI_VERSION != PC_ENGINE_ABI_VERSION
#error "the model folder was generated for another packetclip/engine.h ABI: regenerate it with `packetclip codegen --engine tflm`"
#endif

namespace {

using Resolver = tflite::MicroMutableOpResolver<PC_TFLM_OP_COUNT>;

alignas(16) uint8_t arena[PC_TFLM_ARENA_BYTES];
alignas(Resolver) uint8_t resolver_storage[sizeof(Resolver)];
alignas(tflite::MicroInterpreter) uint8_t interpreter_storage[sizeof(tflite::MicroInterpreter)];
tflite::MicroInterpreter *interpreter = nullptr;

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

extern "C" int8_t *pc_engine_input(void)
{
    return interpreter != nullptr ? interpreter->input(0)->data.int8 : nullptr;
}

extern "C" const int8_t *pc_engine_output(void)
{
    return interpreter != nullptr ? interpreter->output(0)->data.int8 : nullptr;
}

extern "C" int pc_engine_invoke(void)
{
    if (interpreter == nullptr)
        return 1;
    return interpreter->Invoke() == kTfLiteOk ? 0 : 2;
}
