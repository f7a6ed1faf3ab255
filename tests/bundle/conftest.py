import os

import pytest


@pytest.fixture(scope="session")
def bad_models(tmp_path_factory):
    """Small .tflite files that a user might bring: float, dynamic-range, int8 with an extra op."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import litert_torch
    import torch
    from litert_torch.quantize.pt2e_quantizer import PT2EQuantizer, get_symmetric_quantization_config
    from litert_torch.quantize.quant_config import QuantConfig
    from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e

    class Reshaped(torch.nn.Module):  # int8 RESHAPE -> FULLY_CONNECTED -> RESHAPE
        def __init__(self):
            super().__init__()
            self.fc = torch.nn.Linear(4, 4)

        def forward(self, x):
            return self.fc(x.reshape(1, 2, 4)).reshape(1, 8)

    torch.manual_seed(0)
    x = torch.randn(1, 8)
    d = tmp_path_factory.mktemp("bad")

    def quantized(module, dynamic):
        q = PT2EQuantizer().set_global(get_symmetric_quantization_config(is_per_channel=True, is_dynamic=dynamic))
        p = prepare_pt2e(torch.export.export(module.eval(), (x,)).module(), q)
        for _ in range(8):
            p(torch.randn(1, 8))
        c = convert_pt2e(p, fold_quantize=False)
        return litert_torch.convert(c, (x,), quant_config=QuantConfig(pt2e_quantizer=q)).model_content()

    out = {
        "float": litert_torch.convert(torch.nn.Sequential(torch.nn.Linear(8, 4)).eval(), (x,)).model_content(),
        "dynamic": quantized(torch.nn.Sequential(torch.nn.Linear(8, 4)), True),
        "int8_reshape": quantized(Reshaped(), False),
    }
    paths = {}
    for name, data in out.items():
        paths[name] = d / f"{name}.tflite"
        paths[name].write_bytes(bytes(data))
    return paths
