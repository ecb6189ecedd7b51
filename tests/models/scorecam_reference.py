#!/usr/bin/python3
"""Score-CAM in plain PyTorch, written the way the official code does it: the reference the C++
core is checked against.

One masked forward pass per channel (no batching), a forward hook for the activations, and the
map accumulated from upsampled raw channels: deliberately the slow, obvious version.
"""
import torch
import torch.nn.functional as F

SCORE_MODES = ("probability", "logit-softmax", "cic", "centred")


def capture(model, layer, x, differentiable=False):
    """Logits and the output of `layer` (a submodule of `model`) for input x: a copy taken when the
    layer made it, or with differentiable=True the output itself, in the logits' autograd graph."""
    seen = {}
    keep = (lambda output: output) if differentiable else (lambda output: output.detach().clone())
    handle = layer.register_forward_hook(lambda module, inputs, output: seen.update(a=keep(output)))
    try:
        with torch.set_grad_enabled(differentiable):
            logits = model(x)
    finally:
        handle.remove()
    return logits, seen["a"]


def select_channels(activations, max_channels=0, selection="all"):
    """Indices of the non-constant channels, optionally the top max_channels by std or mean."""
    flat = activations.flatten(1)
    channels = [k for k in range(flat.shape[0]) if flat[k].max() > flat[k].min()]
    if selection in ("std", "mean") and 0 < max_channels < len(channels):
        rows = flat[channels]
        rank = rows.std(1, unbiased=False) if selection == "std" else rows.mean(1)
        channels = sorted(channels[i] for i in rank.topk(max_channels).indices.tolist())
    return channels


def channel_weights(scores, mode):
    """The weights of the scored channels' scores [k]: a softmax across them (logit-softmax), the
    scores minus their mean over them (centred), else the scores themselves."""
    if mode == "logit-softmax":
        return F.softmax(scores, 0)
    if mode == "centred":
        return scores - scores.mean()
    return scores


def score_cam(model, layer, x, target=None, mode="probability", max_channels=0, selection="all"):
    """Returns (target class, [H, W] map in [0, 1]) for one normalized input x of shape [1, C, H, W]."""
    assert mode in SCORE_MODES
    logits, activations = capture(model, layer, x)
    target = int(logits.argmax(1)) if target is None else target
    height, width = x.shape[2:]
    activations = activations[0].float()
    scores, upsampled = [], []
    with torch.no_grad():
        baseline = F.softmax(model(torch.zeros_like(x)), 1)[0, target] if mode == "cic" else 0.0
        for k in select_channels(activations, max_channels, selection):
            up = F.interpolate(activations[k][None, None], size=(height, width), mode="bilinear", align_corners=False)
            mask = (up - up.min()) / (up.max() - up.min())
            out = model(x * mask)
            score = out[0, target] if mode == "logit-softmax" else F.softmax(out, 1)[0, target] - baseline
            scores.append(score)
            upsampled.append(up[0, 0])
    if not scores:
        return target, torch.zeros(height, width)
    weights = channel_weights(torch.stack(scores), mode)
    saliency = F.relu((weights[:, None, None] * torch.stack(upsampled)).sum(0))
    low, high = saliency.min(), saliency.max()
    if high == low:
        return target, torch.zeros(height, width)
    return target, (saliency - low) / (high - low)
