"""Build small int8 .tflite models directly with the flatbuffer object API (no converter).

Used by the kernel property tests (one-op models with random quantization) and by anyone who
needs a tiny fixture model:

    b = ModelBuilder()
    x = b.tensor([1, 8], scale=0.05, zero_point=-3)
    w = b.tensor([4, 8], scale=[0.01] * 4, zero_point=[0] * 4, axis=0, data=W)   # per-channel
    bias = b.tensor([4], dtype="INT32", scale=..., zero_point=[0] * 4, data=B)
    y = b.tensor([1, 4], scale=0.1, zero_point=2)
    b.op("FULLY_CONNECTED", [x, w, bias], [y], fused_activation_function="RELU")
    data = b.build(inputs=[x], outputs=[y])
"""

import flatbuffers
import numpy as np

from packetclip.bundle.tflite import schema

# builtin op -> its options table (None: the op has no options table we set)
_OPTIONS = {
    "FULLY_CONNECTED": "FullyConnectedOptions", "CONV_2D": "Conv2DOptions",
    "DEPTHWISE_CONV_2D": "DepthwiseConv2DOptions", "ADD": "AddOptions", "MUL": "MulOptions",
    "MEAN": "ReducerOptions", "AVERAGE_POOL_2D": "Pool2DOptions", "MAX_POOL_2D": "Pool2DOptions",
    "RESHAPE": "ReshapeOptions", "TRANSPOSE": "TransposeOptions",
    "CONCATENATION": "ConcatenationOptions", "SOFTMAX": "SoftmaxOptions",
    "QUANTIZE": "QuantizeOptions", "DEQUANTIZE": "DequantizeOptions", "LOGISTIC": None, "PAD": "PadOptions",
    "SQUEEZE": "SqueezeOptions", "EXPAND_DIMS": "ExpandDimsOptions", "GELU": "GeluOptions",
}
_ENUM_FIELDS = {"fusedActivationFunction": "ActivationFunctionType", "padding": "Padding"}


def _camel(name):
    head, *rest = name.split("_")
    return head + "".join(w.capitalize() for w in rest)


class ModelBuilder:
    def __init__(self):
        self.S = schema()
        self.tensors, self.buffers, self.operators, self.codes = [], [self.S.BufferT()], [], []

    def tensor(self, shape, dtype="INT8", scale=None, zero_point=None, axis=0, data=None, name=None, signature=None):
        """Add a tensor; `data` makes it a constant; `signature` is the shape signature (-1 =
        dynamic). Returns its index."""
        S = self.S
        t = S.TensorT()
        t.shape = list(int(d) for d in shape)
        if signature is not None:
            t.shapeSignature = list(int(d) for d in signature)
        t.type = getattr(S.TensorType, dtype)
        t.name = name or f"t{len(self.tensors)}"
        if scale is not None:
            q = S.QuantizationParametersT()
            q.scale = [float(s) for s in np.atleast_1d(scale)]
            zp = zero_point if zero_point is not None else [0] * len(q.scale)
            q.zeroPoint = [int(z) for z in np.atleast_1d(zp)]
            q.quantizedDimension = int(axis)
            t.quantization = q
        buf = S.BufferT()
        if data is not None:
            npt = {"INT8": np.int8, "INT32": np.int32, "INT16": np.int16, "FLOAT32": np.float32,
                   "INT64": np.int64, "UINT8": np.uint8}[dtype]
            arr = np.ascontiguousarray(np.asarray(data).astype(npt).reshape(-1))
            buf.data = np.frombuffer(arr.astype(arr.dtype.newbyteorder("<")).tobytes(), np.uint8)
        t.buffer = len(self.buffers)
        self.buffers.append(buf)
        self.tensors.append(t)
        return len(self.tensors) - 1

    def op(self, name, inputs, outputs, **options):
        """Add an operator; options are snake_case fields of its options table (enums by name)."""
        S = self.S
        code = getattr(S.BuiltinOperator, name)
        if code not in self.codes:
            self.codes.append(code)
        o = S.OperatorT()
        o.opcodeIndex = self.codes.index(code)
        o.inputs, o.outputs = [int(i) for i in inputs], [int(i) for i in outputs]
        table = _OPTIONS.get(name)
        if table is not None:
            opt = getattr(S, table + "T")()
            for k, v in options.items():
                field = _camel(k)
                if not hasattr(opt, field):
                    raise TypeError(f"{table} has no field {field}")
                if field in _ENUM_FIELDS and isinstance(v, str):
                    v = getattr(getattr(S, _ENUM_FIELDS[field]), v)
                setattr(opt, field, v)
            o.builtinOptionsType = getattr(S.BuiltinOptions, table)
            o.builtinOptions = opt
        elif options:
            raise TypeError(f"{name} takes no options")
        self.operators.append(o)
        return len(self.operators) - 1

    def build(self, inputs, outputs):
        S = self.S
        m = S.ModelT()
        m.version = 3
        m.description = "packetclip synth"
        codes = []
        for c in self.codes:
            oc = S.OperatorCodeT()
            oc.builtinCode = c
            oc.deprecatedBuiltinCode = min(c, 127)
            oc.version = 1
            codes.append(oc)
        m.operatorCodes = codes
        g = S.SubGraphT()
        g.tensors, g.operators = self.tensors, self.operators
        g.inputs, g.outputs = [int(i) for i in inputs], [int(i) for i in outputs]
        g.name = "main"
        m.subgraphs = [g]
        m.buffers = self.buffers
        fb = flatbuffers.Builder(1024)
        fb.Finish(m.Pack(fb), file_identifier=b"TFL3")
        return bytes(fb.Output())
