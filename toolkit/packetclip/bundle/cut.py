"""Cut a .tflite at a tensor: the same graph, ending at that tensor.

    cut_at(tflite_bytes, tensor_index) -> .tflite bytes whose only output is that tensor

The operators that the tensor does not depend on are dropped, so the TFLM runtime (the golden
model) computes exactly the values it computes for that tensor inside the whole model. The
mismatch debugger runs TFLM on such cuts to see every intermediate tensor (TFLM's Python
runtime exposes only graph outputs). Flatbuffer object API of the tflite-micro package.
"""

import flatbuffers

from packetclip.bundle.tflite import schema


def producers(ops):
    """tensor index -> index of the operator that writes it."""
    return {t: k for k, o in enumerate(ops) for t in (o.outputs if o.outputs is not None else [])}


def cut_at(data, tensor):
    S = schema()
    model = S.ModelT.InitFromObj(S.Model.GetRootAs(bytes(data), 0))
    g = model.subgraphs[0]
    prod = producers(g.operators)
    if tensor not in prod:
        raise ValueError(f"tensor {tensor} is not computed by any operator")
    need, todo = set(), [prod[tensor]]
    while todo:
        k = todo.pop()
        if k in need:
            continue
        need.add(k)
        todo += [prod[t] for t in g.operators[k].inputs if t >= 0 and t in prod]
    g.operators = [o for k, o in enumerate(g.operators) if k in need]
    g.outputs = [int(tensor)]
    fb = flatbuffers.Builder(len(data) + 1024)
    fb.Finish(model.Pack(fb), file_identifier=b"TFL3")
    return bytes(fb.Output())
