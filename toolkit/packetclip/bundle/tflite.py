"""Parse a .tflite flatbuffer into plain Python objects (tensors, operators, graph I/O).

Uses the flatbuffer schema module shipped in the `tflite-micro` package (its object API),
so there is no hand-written reader of the binary format here. No torch or tensorflow.

    g = parse_tflite(data)            # bytes of a .tflite
    g.tensors[i].shape / .dtype / .scale / .zero_point / .axis / .data (np array or None)
    g.operators[k].op ("FULLY_CONNECTED"), .inputs, .outputs (tensor indices, -1 = absent),
                   .options (dict, snake_case keys, enums as names: {"fused_activation_function": "RELU"})
    g.inputs, g.outputs               # tensor indices of the graph's inputs and outputs
"""

import re
from dataclasses import dataclass, field

import numpy as np

from packetclip.errors import PacketclipError

_NP_TYPES = {
    "FLOAT32": np.float32, "FLOAT16": np.float16, "FLOAT64": np.float64, "INT32": np.int32,
    "UINT8": np.uint8, "INT64": np.int64, "INT16": np.int16, "INT8": np.int8, "BOOL": np.bool_,
    "UINT32": np.uint32, "UINT16": np.uint16,
}


def schema():
    """The generated flatbuffer schema module (tflite_micro's copy)."""
    from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as S

    return S


def _enum_names(cls):
    return {v: k for k, v in vars(cls).items() if not k.startswith("_") and isinstance(v, int)}


@dataclass
class Tensor:
    index: int
    name: str
    shape: tuple
    dtype: str                      # "INT8", "INT32", "FLOAT32", ...
    scale: np.ndarray               # float32 scales as stored (empty if none)
    zero_point: np.ndarray          # int64 zero points (empty if none)
    axis: int                       # quantized dimension (per-channel)
    data: np.ndarray | None = None  # constant contents shaped like the tensor, or None for activations
    buffer: int = 0
    is_variable: bool = False
    signature: tuple = ()           # shape_signature as stored (-1 = a dynamic dimension), or ()

    @property
    def is_const(self):
        return self.data is not None

    @property
    def size(self):
        return int(np.prod(self.shape)) if len(self.shape) else 1

    @property
    def nbytes(self):
        return self.size * np.dtype(_NP_TYPES.get(self.dtype, np.int8)).itemsize

    @property
    def per_channel(self):
        return len(self.scale) > 1


@dataclass
class Operator:
    index: int
    op: str                         # builtin name, or "CUSTOM:<code>"
    inputs: list
    outputs: list
    options: dict = field(default_factory=dict)
    version: int = 1


@dataclass
class Graph:
    tensors: list
    operators: list
    inputs: list
    outputs: list
    version: int = 3
    description: str = ""

    def op_names(self):
        """Distinct op names in first-use order."""
        seen = []
        for o in self.operators:
            if o.op not in seen:
                seen.append(o.op)
        return seen

    def consumers(self, tensor_index):
        return [o.index for o in self.operators if tensor_index in o.inputs]


def _snake(name):
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _options_dict(opt, S):
    """Object-API options (e.g. FullyConnectedOptionsT) -> dict with snake_case keys and enum names."""
    if opt is None:
        return {}
    enums = {
        "fusedActivationFunction": _enum_names(S.ActivationFunctionType),
        "padding": _enum_names(S.Padding),
        "weightsFormat": _enum_names(S.FullyConnectedOptionsWeightsFormat),
    }
    out = {}
    for k, v in sorted(vars(opt).items()):
        if k in enums and isinstance(v, int):
            v = enums[k].get(v, v)
        elif isinstance(v, np.ndarray):
            v = v.tolist()
        elif isinstance(v, np.generic):
            v = v.item()
        out[_snake(k)] = v
    return out


def parse_tflite(data, where="model.tflite"):
    """.tflite bytes -> Graph (first subgraph). Raises a one-line PacketclipError on bad input."""
    S = schema()
    data = bytes(data)
    try:
        if len(data) < 8 or data[4:8] != b"TFL3":
            raise ValueError("no TFL3 identifier")
        model = S.ModelT.InitFromObj(S.Model.GetRootAs(data, 0))
    except Exception:  # noqa: BLE001 - any parse failure means "not a TFLite flatbuffer"
        raise PacketclipError(f"{where}: not a TensorFlow Lite flatbuffer; give a .tflite file") from None
    subgraphs = model.subgraphs or []
    if len(subgraphs) != 1:
        raise PacketclipError(f"{where}: has {len(subgraphs)} subgraphs; the firmware engines run single-subgraph models (no control flow)")
    g = subgraphs[0]
    ops_by_code = _enum_names(S.BuiltinOperator)
    types = _enum_names(S.TensorType)
    buffers = model.buffers or []

    _check_indices(g, model, where)
    tensors = []
    for i, t in enumerate(g.tensors or []):
        dtype = types.get(t.type)
        shape = tuple(int(d) for d in (t.shape if t.shape is not None else []))
        if dtype is None:
            raise PacketclipError(f"{where}: tensor {i} has unknown type code {t.type}; the file is damaged or from a newer TFLite")
        if any(d <= 0 for d in shape):
            raise PacketclipError(f"{where}: tensor {i} has shape {list(shape)}; every dimension must be positive (no empty or dynamic tensors)")
        signature = tuple(int(d) for d in (t.shapeSignature if t.shapeSignature is not None else []))
        q = t.quantization
        scale = np.asarray(q.scale if q is not None and q.scale is not None else [], np.float32)
        zp = np.asarray(q.zeroPoint if q is not None and q.zeroPoint is not None else [], np.int64)
        axis = int(q.quantizedDimension) if q is not None else 0
        arr = None
        if 0 < t.buffer < len(buffers):
            b = buffers[t.buffer]
            raw = None
            if b.data is not None and len(b.data):
                raw = np.asarray(b.data, np.uint8).tobytes()
            elif b.offset and b.offset > 1 and b.size:   # stored after the flatbuffer (models > 2 GB)
                raw = data[b.offset:b.offset + b.size]
            if raw is not None:
                npt = _NP_TYPES.get(dtype)
                if npt is None:
                    raise PacketclipError(f"{where}: tensor {i} '{t.name.decode() if isinstance(t.name, bytes) else t.name}' has unsupported type {dtype}")
                arr = np.frombuffer(raw, dtype=np.dtype(npt).newbyteorder("<")).astype(npt)
                if shape and arr.size == int(np.prod(shape)):
                    arr = arr.reshape(shape)
        name = t.name.decode("utf-8", "replace") if isinstance(t.name, bytes) else (t.name or "")
        tensors.append(Tensor(index=i, name=name, shape=shape, dtype=dtype, scale=scale, zero_point=zp,
                              axis=axis, data=arr, buffer=int(t.buffer), is_variable=bool(t.isVariable),
                              signature=signature))

    operators = []
    codes = model.operatorCodes or []
    for k, o in enumerate(g.operators or []):
        oc = codes[o.opcodeIndex]
        code = max(int(oc.builtinCode), int(oc.deprecatedBuiltinCode))
        name = ops_by_code.get(code, f"BUILTIN_{code}")
        if name == "CUSTOM":
            cc = oc.customCode.decode() if isinstance(oc.customCode, bytes) else oc.customCode
            name = f"CUSTOM:{cc}"
        operators.append(Operator(
            index=k, op=name,
            inputs=[int(x) for x in (o.inputs if o.inputs is not None else [])],
            outputs=[int(x) for x in (o.outputs if o.outputs is not None else [])],
            options=_options_dict(o.builtinOptions, S), version=int(oc.version)))
    desc = model.description.decode("utf-8", "replace") if isinstance(model.description, bytes) else (model.description or "")
    return Graph(tensors=tensors, operators=operators,
                 inputs=[int(x) for x in (g.inputs if g.inputs is not None else [])],
                 outputs=[int(x) for x in (g.outputs if g.outputs is not None else [])],
                 version=int(model.version), description=desc)


def _check_indices(g, model, where):
    """Every index the graph holds must point at something: a crafted file is refused here,
    before codegen, export or verify index into it."""
    n_t, n_b, n_c = len(g.tensors or []), len(model.buffers or []), len(model.operatorCodes or [])

    def bad(what, i, n, kind):
        raise PacketclipError(f"{where}: {what} refers to {kind} {i}, but the model has {n}; the file is damaged or crafted")

    for i, t in enumerate(g.tensors or []):
        if not 0 <= t.buffer < max(n_b, 1):
            bad(f"tensor {i}", t.buffer, n_b, "buffer")
    for name, idx in (("subgraph input", g.inputs), ("subgraph output", g.outputs)):
        for i in (idx if idx is not None else []):
            if not 0 <= i < n_t:
                bad(name, int(i), n_t, "tensor")
    for k, o in enumerate(g.operators or []):
        if not 0 <= o.opcodeIndex < n_c:
            bad(f"operator {k}", o.opcodeIndex, n_c, "opcode")
        for i in list(o.inputs if o.inputs is not None else []) + list(o.outputs if o.outputs is not None else []):
            if not -1 <= i < n_t:           # -1: an optional input left out
                bad(f"operator {k}", int(i), n_t, "tensor")
