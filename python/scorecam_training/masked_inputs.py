"""Score-CAM's masked inputs, made the way the C++ core makes them, for the Python side.

A frame becomes the model's input as the core's to_model_input() does it; the target layer's
activations come from a forward hook; each non-constant channel is upsampled bilinearly
(align_corners=False) to the input size, min-max normalized, and multiplies the input. The int8
calibration (int8.py) and the eager baseline of tools/compare_with_pytorch.py both use these, so
that they see exactly what the C++ masked passes classify.
"""
import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image


def model_input(image_path, sidecar):
    """[1, C, H, W] normalized input of an image file: RGB (or BGR) on [0, 1], bilinear resize
    (antialiased when shrinking), the sidecar's mean and std, as the C++ to_model_input()."""
    pixels = np.asarray(Image.open(image_path).convert("RGB"), dtype=np.float32) / 255.0
    if sidecar.get("color_order", "RGB") == "BGR":
        pixels = pixels[:, :, ::-1].copy()
    x = torch.from_numpy(pixels).permute(2, 0, 1)[None]
    height, width = sidecar["input_size"]
    if x.shape[2:] != (height, width):
        shrinking = x.shape[2] > height or x.shape[3] > width
        x = F.interpolate(x, size=(height, width), mode="bilinear", align_corners=False, antialias=shrinking)
    mean = torch.tensor(sidecar["mean"]).view(1, -1, 1, 1)
    std = torch.tensor(sidecar["std"]).view(1, -1, 1, 1)
    return (x - mean) / std


def default_target_layer(model, x):
    """The layer the C++ core explains when the sidecar names none (model_file.cpp's rule): of the
    modules' 4-D outputs in the order their calls complete (a module called twice counts at its
    last call), the last that is a spatial feature map [N, K, h, w] with h*w > 1."""
    finished = []
    handles = [module.register_forward_hook(
        lambda module, inputs, output, name=name: finished.append((name, getattr(output, "shape", ()))))
        for name, module in model.named_modules() if name]
    try:
        with torch.no_grad():
            model(x)
    finally:
        for handle in handles:
            handle.remove()
    seen = set()
    for name, shape in reversed([call for call in finished if len(call[1]) == 4]):
        if name not in seen and shape[2] * shape[3] > 1:
            return name
        seen.add(name)
    raise ValueError("the model has no layer whose output is a spatial feature map [N, K, h, w] with h*w > 1")


def target_activations(model, layer, x):
    """(logits [1, classes], activations [K, h, w] of `layer`) for one frame x [1, C, H, W]."""
    seen = {}
    handle = layer.register_forward_hook(lambda module, inputs, output: seen.update(a=output))
    try:
        logits = model(x)
    finally:
        handle.remove()
    return logits, seen["a"][0]


def channel_masks(activations, size, max_channels=0):
    """(channels, masks [k, H, W]): the non-constant channels of activations [K, h, w] (constant
    ones carry nothing, and the core skips them too), or the max_channels of them with the largest
    spatial standard deviation (Faster Score-CAM), in index order; each upsampled in one call for
    all and min-max normalized to [0, 1]."""
    flat = activations.flatten(1)
    channels = (flat.amax(1) > flat.amin(1)).nonzero().squeeze(1)
    if 0 < max_channels < channels.numel():
        rank = flat[channels].std(1, unbiased=False)
        channels = channels[rank.topk(max_channels).indices].sort().values
    masks = F.interpolate(activations[channels][None], size=size, mode="bilinear", align_corners=False)[0]
    low = masks.flatten(1).amin(1)[:, None, None]
    high = masks.flatten(1).amax(1)[:, None, None]
    return channels, masks.sub_(low).div_(high - low)


def masked_chunks(x, masks, batch_size):
    """Yields (start, X * M_k for channels start .. start + n) of frame x [1, C, H, W], each chunk
    written into one buffer made once: the whole [k, C, H, W] set would take hundreds of MB for a
    large layer, and fresh memory for every chunk costs page faults. A chunk is valid until the
    next one is made."""
    buffer = x.new_empty((min(batch_size, masks.shape[0]), *x.shape[1:]))
    for start in range(0, masks.shape[0], batch_size):
        chunk = buffer[:min(batch_size, masks.shape[0] - start)]
        torch.mul(x, masks[start:start + chunk.shape[0], None], out=chunk)
        yield start, chunk
