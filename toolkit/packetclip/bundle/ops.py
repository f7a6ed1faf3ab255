"""The one registry of the builtin TFLite ops the firmware engines run.

Every list and check about ops is derived from `OPS`: the bundle checks (distill, export,
verify), the aot code generator (which lowering lowers an op and which C kernel it calls),
the tflm op resolver (which MicroMutableOpResolver method registers it) and the error a
user sees for anything else. Adding an op = one entry here + its lowering + its kernel.

All ops take int8 activations (INT32 biases); the aot kernels are bit-exact with TFLM's
reference kernels (tests/codegen). No heavy imports: every stage may read this.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Op:
    name: str                  # TFLite builtin operator name
    tflm: str                  # tflite::MicroMutableOpResolver method that registers it
    lowering: str              # function of packetclip.codegen.aot that lowers it
    kernel: str | None         # aot C kernel(s) in firmware/engine/aot (None: no code emitted)
    engines: tuple = ("aot", "tflm")
    note: str = ""

    def lower(self):
        """The aot lowering function (imported on demand: codegen is a later stage)."""
        from packetclip.codegen import aot

        return getattr(aot, self.lowering)


OPS = {op.name: op for op in (
    Op("FULLY_CONNECTED", "AddFullyConnected", "lower_fully_connected", "pc_aot_fc"),
    Op("CONV_2D", "AddConv2D", "lower_conv_2d", "pc_aot_conv"),
    Op("DEPTHWISE_CONV_2D", "AddDepthwiseConv2D", "lower_depthwise_conv_2d", "pc_aot_dwconv"),
    Op("ADD", "AddAdd", "lower_add", "pc_aot_add"),
    Op("MUL", "AddMul", "lower_mul", "pc_aot_mul"),
    Op("MEAN", "AddMean", "lower_mean", "pc_aot_mean"),
    Op("AVERAGE_POOL_2D", "AddAveragePool2D", "lower_average_pool_2d", "pc_aot_avgpool"),
    Op("MAX_POOL_2D", "AddMaxPool2D", "lower_max_pool_2d", "pc_aot_maxpool"),
    Op("RESHAPE", "AddReshape", "lower_reshape", None, note="storage alias: no code"),
    Op("QUANTIZE", "AddQuantize", "lower_quantize", "pc_aot_requant", note="int8 -> int8 only"),
    Op("DEQUANTIZE", "AddDequantize", "lower_dequantize", "pc_aot_dequant", note="int8 -> float32"),
    Op("TRANSPOSE", "AddTranspose", "lower_transpose", "pc_aot_transpose"),
    Op("PAD", "AddPad", "lower_pad", "pc_aot_pad", note="int8, pads with the zero point; folded into a following conv"),
    Op("CONCATENATION", "AddConcatenation", "lower_concatenation", "pc_aot_concat"),
    Op("SOFTMAX", "AddSoftmax", "lower_softmax", "pc_aot_softmax", note="output 1/256, -128"),
    Op("LOGISTIC", "AddLogistic", "lower_logistic", "pc_aot_logistic", note="output 1/256, -128"),
)}


def engine_ops(engine):
    """Names of the ops `engine` runs, in registry order."""
    return tuple(name for name, op in OPS.items() if engine in op.engines)


# ops some engine runs: what a bundle may contain
SUPPORTED_OPS = tuple(OPS)


def unsupported(where, node, op_name, engine=None, names=None):
    """The one-line error for an op the engines (or `engine`) lack: which op, node, what to do."""
    names = names or (engine_ops(engine) if engine else SUPPORTED_OPS)
    who = f"the {engine} engine" if engine else "the firmware engines"
    from packetclip.engines import NAMES

    other = [e for e in NAMES if e != engine and op_name in engine_ops(e)] if engine else []
    fix = (f"build with --engine {other[0]}" if other else
           "replace that layer in the model (e.g. GELU -> ReLU, LSTM/GRU -> Conv1D or pooled windows) and re-export")
    return f"{where}: node {node} uses op {op_name}, which {who} does not support (supported: {', '.join(names)}); {fix}"
