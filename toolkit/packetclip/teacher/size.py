"""Parameters and FLOPs per inference of the teacher (the parts that run on one flow)."""

import numpy as np


def teacher_size(teacher):
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    m = teacher.model
    parts = [m.flow, m.flow_proj, m.gnn] + ([m.temporal] if m.temporal is not None else [])
    params = sum(p.numel() for part in parts for p in part.parameters())
    params += m.node_cache.numel()  # frozen KG node embeddings are constants of the model
    x = np.zeros((1, len(teacher.features)))
    inputs = teacher.tensors(teacher.prepare(x))
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        z = m.embed_flows(*inputs)
        m.classify(z)
    return {"params": int(params), "flops": int(counter.get_total_flops()),
            "note": f"{teacher.config['flow_encoder']} flow encoder + hierarchical GNN; FLOPs of matmuls (torch flop counter), window {teacher.window}"}
