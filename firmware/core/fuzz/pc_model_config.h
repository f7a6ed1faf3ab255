/* Model sizes for the fuzz build; override with -DPC_MODEL_INPUT_BYTES=... */
#ifndef PC_MODEL_CONFIG_H
#define PC_MODEL_CONFIG_H
#include "packetclip/engine.h"
#define PC_MODEL_ABI_VERSION PC_ENGINE_ABI_VERSION
#ifndef PC_MODEL_INPUT_BYTES
#define PC_MODEL_INPUT_BYTES 40u
#endif
#ifndef PC_MODEL_OUTPUT_BYTES
#define PC_MODEL_OUTPUT_BYTES 12u
#endif
#endif
