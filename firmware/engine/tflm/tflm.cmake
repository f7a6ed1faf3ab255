# The tflm engine: TensorFlow Lite Micro's MicroInterpreter behind engine.h.
#
# TFLM_ROOT is a self-contained TFLM tree as made by TFLM's own exporter:
#   git clone https://github.com/tensorflow/tflite-micro && cd tflite-micro
#   python3 tensorflow/lite/micro/tools/project_generation/create_tflm_tree.py /opt/tflm-tree
#   (add --makefile_options="OPTIMIZED_KERNEL_DIR=cmsis_nn TARGET=cortex_m_generic TARGET_ARCH=cortex-m4"
#    for CMSIS-NN kernels)
# giving /opt/tflm-tree/{tensorflow,third_party/{flatbuffers,gemmlowp,ruy,kissfft}}.
# TFLM is never vendored here, and no registry reachable from CI has it: CI does not build this.
if(NOT TFLM_ROOT OR NOT EXISTS "${TFLM_ROOT}/tensorflow/lite/micro/micro_interpreter.h")
  message(FATAL_ERROR
    "PACKETCLIP_ENGINE=tflm needs -DTFLM_ROOT=<TFLM tree> containing tensorflow/lite/micro/micro_interpreter.h "
    "(TFLM_ROOT='${TFLM_ROOT}'). Make one with tflite-micro's "
    "tensorflow/lite/micro/tools/project_generation/create_tflm_tree.py, or use --engine aot.")
endif()
if(NOT EXISTS "${PACKETCLIP_MODEL_DIR}/tflm_ops.h")
  message(FATAL_ERROR "${PACKETCLIP_MODEL_DIR} has no tflm_ops.h: generate it with `packetclip codegen --engine tflm`")
endif()

file(GLOB_RECURSE _tflm_sources CONFIGURE_DEPENDS
  "${TFLM_ROOT}/tensorflow/*.cc" "${TFLM_ROOT}/tensorflow/*.c"
  "${TFLM_ROOT}/third_party/*.c" "${TFLM_ROOT}/third_party/*.cc" "${TFLM_ROOT}/signal/*.cc")
# our no-op DebugLog replaces TFLM's (which would pull printf into the image)
list(FILTER _tflm_sources EXCLUDE REGEX "(_test|test_helpers?|/testing/|/debug_log\\.cc|/examples/|/benchmarks/|/tools/)")
add_library(pc_tflm STATIC ${_tflm_sources})
file(GLOB _tp_includes LIST_DIRECTORIES true "${TFLM_ROOT}/third_party/*")
set(_inc "${TFLM_ROOT}" "${TFLM_ROOT}/third_party/flatbuffers/include" "${TFLM_ROOT}/third_party/gemmlowp"
         "${TFLM_ROOT}/third_party/ruy" "${TFLM_ROOT}/third_party/kissfft")
if(EXISTS "${TFLM_ROOT}/third_party/cmsis_nn")
  list(APPEND _inc "${TFLM_ROOT}/third_party/cmsis_nn" "${TFLM_ROOT}/third_party/cmsis_nn/Include"
       "${TFLM_ROOT}/third_party/cmsis/CMSIS/Core/Include")
  target_compile_definitions(pc_tflm PUBLIC CMSIS_NN)
endif()
target_include_directories(pc_tflm PUBLIC ${_inc})
# NDEBUG and TF_LITE_MCU_DEBUG_LOG as TFLM's own cortex_m_generic build defines them: without them
# TFLITE_DCHECK's abort() and flatbuffers' assert pull newlib's fprintf and malloc (and _sbrk,
# which a bare-metal image has no `end` for) into the link. PUBLIC: engine_tflm.cc compiles
# TFLM's inline headers with the same macros.
target_compile_definitions(pc_tflm PUBLIC TF_LITE_STATIC_MEMORY TF_LITE_DISABLE_X86_NEON TF_LITE_STRIP_ERROR_STRINGS
  NDEBUG TF_LITE_MCU_DEBUG_LOG)
target_compile_options(pc_tflm PRIVATE ${PC_BOARD_CFLAGS} -Os -ffunction-sections -fdata-sections -w
  $<$<COMPILE_LANGUAGE:CXX>:-std=c++17 -fno-exceptions -fno-rtti -fno-threadsafe-statics -fno-unwind-tables>)

target_sources(${PC_TARGET} PRIVATE "${CMAKE_CURRENT_LIST_DIR}/engine_tflm.cc" "${CMAKE_CURRENT_LIST_DIR}/debug_log.cc")
target_link_libraries(${PC_TARGET} PRIVATE pc_tflm)
set(PC_DSP_ENABLED OFF)
