"""The builtin TFLite ops the firmware engines run: the one list shared by distill checks,
`packetclip export/verify` and the code generator.

Both engines (aot and tflm) support every op here, int8 activations (INT32 biases); the aot
kernels are bit-exact with TFLM's reference kernels (tests/codegen).
"""

SUPPORTED_OPS = (
    "FULLY_CONNECTED",
    "RESHAPE",
    "QUANTIZE",
    "DEQUANTIZE",
    "CONV_2D",
    "DEPTHWISE_CONV_2D",
    "ADD",
    "MUL",
    "MEAN",
    "AVERAGE_POOL_2D",
    "MAX_POOL_2D",
    "TRANSPOSE",
    "CONCATENATION",
    "SOFTMAX",      # int8 -> int8 (output 1/256, -128); aot: fixed-point exp as TFLM
    "LOGISTIC",
)

# Ops that only reinterpret the shape: the aot engine emits no code for them (a copy at most).
SHAPE_ONLY_OPS = ("RESHAPE",)

# What to tell a user whose model uses something else.
UNSUPPORTED_HINT = (
    "the firmware engines support " + ", ".join(SUPPORTED_OPS)
    + "; replace that layer in the student (e.g. GELU -> ReLU, LSTM/GRU -> Conv1D or pooled windows) and re-export")


def is_supported(op_name):
    return op_name in SUPPORTED_OPS
