"""Code generation: a bundle's int8 .tflite -> C sources for the firmware (never into git).

    from packetclip.codegen import generate
    report = generate("models/cicids2017-mlp", "build/gen-aot", engine="aot")   # or engine="tflm"

Files written into the output folder (CMake globs *.c / *.cc there and adds it to the include
path; PACKETCLIP_MODEL_DIR points at it):
  both     pc_model_config.h  PC_MODEL_INPUT_BYTES, PC_MODEL_OUTPUT_BYTES, PC_MODEL_INPUT/OUTPUT_
                              RANK/DIMS/SCALE/ZERO_POINT, PC_MODEL_SHA256 {..32 bytes..},
                              PC_MODEL_ARENA_BYTES, PC_MODEL_ENGINE_NAME/_ID
           codegen.json       report (files, ops, arena, MACs, planned buffers)
  aot      pc_model.c         implements pc_engine_init/info/invoke (engine.h) with the kernels
                              of firmware/engine/aot (include dir needed: firmware/engine/aot)
  tflm     pc_model_data.h    extern const unsigned char pc_model_tflite[]; pc_model_tflite_len
           pc_model_data.cc   the model array, alignas(16)
           tflm_ops.h         PC_TFLM_OP_COUNT; pc_tflm_add_ops(tflite::MicroMutableOpResolver<
                              PC_TFLM_OP_COUNT>&); PC_TFLM_ARENA_BYTES is in pc_model_config.h
"""

from packetclip.codegen.generate import generate, generate_tflite

__all__ = ["generate", "generate_tflite"]
