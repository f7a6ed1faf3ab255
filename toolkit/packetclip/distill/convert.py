"""int8 quantization (PT2E, per-channel weights) and conversion to .tflite with litert-torch.

Post-training: export -> prepare_pt2e -> calibrate -> convert_pt2e(fold_quantize=False) ->
litert_torch.convert(quant_config=QuantConfig(pt2e_quantizer=q)): a fully int8 graph with
int8 input and output, no TensorFlow needed. Quantization-aware training uses the same
quantizer with is_qat=True and fake-quant modules trained in torch.
The conversion is deterministic: the same module and calibration data give the same bytes.
"""

import contextlib
import io
import logging
import os

import numpy as np


@contextlib.contextmanager
def _quiet_native_stderr():
    """Silence what TensorFlow/absl/torchao's native code writes to fd 2 while they load and
    convert (banners, not errors: real failures still raise). PACKETCLIP_VERBOSE=1 shows it."""
    if os.environ.get("PACKETCLIP_VERBOSE"):
        yield
        return
    import sys

    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def _imports():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    logging.getLogger("torchao").setLevel(logging.ERROR)  # "Failed to load" CUDA-only extensions
    import torch
    with _quiet_native_stderr():
        from litert_torch.quantize.pt2e_quantizer import PT2EQuantizer, get_symmetric_quantization_config
        from litert_torch.quantize.quant_config import QuantConfig
        from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e, prepare_qat_pt2e

    return torch, PT2EQuantizer, get_symmetric_quantization_config, QuantConfig, prepare_pt2e, prepare_qat_pt2e, convert_pt2e


def quantizer(qat=False):
    _, PT2EQuantizer, cfg, *_ = _imports()
    if qat:
        # litert-torch's QAT-only annotators match conv+batchnorm patterns, and building those
        # patterns fails under torch 2.13; the students have neither conv nor batchnorm.
        class _LinearQATQuantizer(PT2EQuantizer):
            STATIC_QAT_ONLY_OPS = []

        return _LinearQATQuantizer().set_global(cfg(is_per_channel=True, is_qat=True))
    return PT2EQuantizer().set_global(cfg(is_per_channel=True, is_qat=False))


def _export(module, sample, batch_dynamic):
    import torch

    kwargs = {}
    if batch_dynamic:
        kwargs["dynamic_shapes"] = ({0: torch.export.Dim("batch", min=1, max=4096)},)
    return torch.export.export(module, (sample,), **kwargs).module()


def prepare_ptq(module, sample):
    torch, _, _, _, prepare_pt2e, _, _ = _imports()
    q = quantizer(False)
    return prepare_pt2e(_export(module.eval(), sample, True), q), q


def prepare_qat(module, sample):
    torch, _, _, _, _, prepare_qat_pt2e, _ = _imports()
    q = quantizer(True)
    return prepare_qat_pt2e(_export(module.train(), sample, True), q), q


def calibrate(prepared, Z, batch=256):
    import torch

    with torch.no_grad():
        for i in range(0, len(Z), batch):
            prepared(torch.from_numpy(np.ascontiguousarray(Z[i:i + batch])))


def to_tflite(prepared, q, input_shape):
    """Quantized torch graph -> .tflite bytes (int8 in, int8 out)."""
    torch, _, _, QuantConfig, _, _, convert_pt2e = _imports()
    import litert_torch

    converted = convert_pt2e(prepared, fold_quantize=False)
    sample = torch.zeros(tuple(input_shape), dtype=torch.float32)
    logging.getLogger().setLevel(logging.ERROR)
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()), _quiet_native_stderr():
        model = litert_torch.convert(converted, (sample,), quant_config=QuantConfig(pt2e_quantizer=q))
        return bytes(model.model_content())


def tool_versions():
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("packetclip", "torch", "torchao", "litert-torch", "ai-edge-litert", "tflite-micro", "numpy"):
        with contextlib.suppress(PackageNotFoundError):
            out[name] = version(name)
    return out
