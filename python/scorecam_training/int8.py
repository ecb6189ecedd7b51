"""int8 copies of a float classifier, for the C++ core's masked passes (precision=int8).

The convention the core reads: the int8 copy of NAME.pt is NAME.int8.pt beside it, and the sidecar
NAME.json gets "int8_model": "NAME.int8.pt" (a file name relative to the sidecar's folder) and
"quantized_engine": the engine it was quantized for. The copy is a frozen TorchScript module
(FX static quantization, traced, frozen) that takes the float normalized input [N, C, H, W] and
returns float logits [N, classes]: it quantizes its input and dequantizes its output itself. The
core's first pass, which needs the target layer's activations, stays on the float model.

Calibration runs on what the copy will classify: Score-CAM's masked inputs of real frames
(masked_inputs.py), not plain frames, whose activation ranges differ.
"""
import copy
import json
import os

import torch
import torch.nn.functional as F
from torch.ao.quantization import get_default_qconfig_mapping
from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx

from .masked_inputs import channel_masks, masked_chunks, target_activations

# In order of preference: onednn has the AVX-512 VNNI and AMX int8 kernels, fbgemm the AVX2 ones,
# qnnpack is written for ARM.
ENGINES = ("onednn", "fbgemm", "qnnpack")
SUFFIX = ".int8.pt"


def choose_engine():
    supported = torch.backends.quantized.supported_engines
    for engine in ENGINES:
        if engine in supported:
            return engine
    raise RuntimeError(f"this PyTorch has no quantized engine among {', '.join(ENGINES)} "
                       f"(it has: {', '.join(supported)})")


def int8_path(model_path):
    """NAME.pt -> NAME.int8.pt, beside it."""
    return os.path.splitext(model_path)[0] + SUFFIX


def sidecar_path(model_path):
    """The sidecar of NAME.pt, and of its int8 copy NAME.int8.pt: NAME.json."""
    stem = model_path[:-len(SUFFIX)] if model_path.endswith(SUFFIX) else os.path.splitext(model_path)[0]
    return stem + ".json"


def quantize(model, layer, frames, engine, batch_size=32, max_channels=0):
    """The int8 copy of the eager float `model`, calibrated on the masked inputs of `layer`'s
    channels (max_channels: only those of largest spatial std, 0: all) of each frame [1, C, H, W]."""
    torch.backends.quantized.engine = engine
    frames = list(frames)
    try:
        prepared = prepare_fx(copy.deepcopy(model).eval(), get_default_qconfig_mapping(engine), (frames[0],))
    except Exception as error:  # torch.fx raises whatever the model's Python code raises while traced
        raise ValueError(f"torch.fx cannot trace the model for quantization: {str(error).splitlines()[0]}") from error
    # no_grad, not inference_mode: the observers update their own (normal) tensors in place.
    with torch.no_grad():
        for x in frames:
            _, activations = target_activations(model, layer, x)
            _, masks = channel_masks(activations, x.shape[2:], max_channels)
            for _, chunk in masked_chunks(x, masks, batch_size):
                prepared(chunk)
        quantized = convert_fx(prepared)
        # No check_trace: the converted graph has no data-dependent control flow, and the check
        # would trace it again.
        return torch.jit.freeze(torch.jit.trace(quantized, frames[0], check_trace=False).eval())


def probability_agreement(model, layer, quantized, x, batch_size=32, max_channels=0):
    """(Pearson correlation, largest absolute difference, count) of the float and int8
    target-class probabilities on the masked inputs of frame x: what the C++ masked passes
    compute with each copy. The correlation is NaN where one copy's probabilities are constant."""
    with torch.inference_mode():
        logits, activations = target_activations(model, layer, x)
        target = int(logits.argmax(1))
        _, masks = channel_masks(activations, x.shape[2:], max_channels)
        scores = torch.empty(2, masks.shape[0])
        for start, chunk in masked_chunks(x, masks, batch_size):
            for row, copy_ in enumerate((model, quantized)):
                scores[row, start:start + chunk.shape[0]] = F.softmax(copy_(chunk), 1)[:, target]
    return float(torch.corrcoef(scores)[0, 1]), float((scores[0] - scores[1]).abs().max()), masks.shape[0]


def save(quantized, model_path, engine):
    """Writes NAME.int8.pt beside NAME.pt and records it in NAME.json (keeping its other keys)."""
    path = int8_path(model_path)
    quantized.save(path)
    sidecar_file = sidecar_path(model_path)
    with open(sidecar_file) as f:
        sidecar = json.load(f)
    sidecar.update(int8_model=os.path.basename(path), quantized_engine=engine)
    with open(sidecar_file, "w") as f:
        json.dump(sidecar, f, indent=1)
        f.write("\n")
    return path


def load(path):
    """(module, sidecar) of a TorchScript file or its int8 copy; for an int8 copy the quantized
    engine it was made for is set first (its packed weights are that engine's)."""
    with open(sidecar_path(path)) as f:
        sidecar = json.load(f)
    if os.path.basename(path) == sidecar.get("int8_model"):
        engine = sidecar.get("quantized_engine")
        if engine not in torch.backends.quantized.supported_engines:
            raise RuntimeError(f"{path} was quantized for the '{engine}' engine, which this PyTorch lacks "
                               f"(it has: {', '.join(torch.backends.quantized.supported_engines)})")
        torch.backends.quantized.engine = engine
    return torch.jit.load(path), sidecar
