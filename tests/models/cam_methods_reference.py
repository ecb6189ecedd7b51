#!/usr/bin/python3
"""SS-CAM, IS-CAM, Grad-CAM and Grad-CAM++ in plain PyTorch: the references the C++ methods are
checked against, beside scorecam_reference.py (Score-CAM), whose helpers they share.

Deliberately plain: one forward pass per masked input, a forward hook for the activations, and
every map made the same way as Score-CAM's: ReLU of the weighted sum of the target layer's channels
upsampled bilinearly (align_corners=False) to the input size, min-max normalized (all zeros when
constant).

- SS-CAM: each mask's score averaged over `samples` copies with Gaussian noise of std `sigma`
  added to the [0, 1] mask. The noise comes from torch.Generator().manual_seed(seed), drawn as one
  randn(len(chunk), H, W) per sample for each chunk of `batch` consecutive selected channels, so
  that the C++ (which batches that way) draws the same numbers.
- IS-CAM: each mask's score averaged over the inputs (i / samples) * X * M_k, i = 1..samples: the
  straight path from 0 (the mean image, after normalization) to X * M_k.
- Grad-CAM: channel weights = spatial mean of d logit_c / d A_k.
- Grad-CAM++: the closed form pytorch-grad-cam uses, on the gradients of the logit:
  a = g^2 / (2 g^2 + sum_ij(A_k) g^3 + 1e-6) where g != 0 (else 0), weight_k = sum_ij a * relu(g).
"""
import torch
import torch.nn.functional as F

from scorecam_reference import capture, channel_weights, select_channels


def _score(out, target, mode, baseline):
    if mode == "logit-softmax":
        return out[0, target]
    return F.softmax(out, 1)[0, target] - baseline


def _saliency(weights, activations, size):
    """ReLU(sum_k w_k A_k), upsampled to `size`, min-max normalized."""
    summed = (weights[:, None, None] * activations).sum(0)
    up = F.interpolate(summed[None, None], size=size, mode="bilinear", align_corners=False)[0, 0]
    saliency = F.relu(up)
    low, high = saliency.min(), saliency.max()
    return torch.zeros(size) if high == low else (saliency - low) / (high - low)


def _masks(activations, channels, size):
    """The [0, 1] masks M_k of the selected channels, upsampled to `size`."""
    masks = []
    for k in channels:
        up = F.interpolate(activations[k][None, None], size=size, mode="bilinear", align_corners=False)[0, 0]
        masks.append((up - up.min()) / (up.max() - up.min()))
    return masks


def _averaged_scores(model, x, target, mode, masked_inputs_of, channels, samples):
    """Per selected channel, the score averaged over the `samples` inputs masked_inputs_of yields."""
    with torch.no_grad():
        baseline = F.softmax(model(torch.zeros_like(x)), 1)[0, target] if mode == "cic" else 0.0
        totals = torch.zeros(len(channels))
        for j, masked in masked_inputs_of():
            totals[j] += _score(model(masked), target, mode, baseline)
    return totals / samples


def _score_family(model, layer, x, target, mode, max_channels, selection, samples, masked_inputs_of):
    logits, activations = capture(model, layer, x)
    target = int(logits.argmax(1)) if target is None else target
    activations = activations[0].float()
    size = tuple(x.shape[2:])
    channels = select_channels(activations, max_channels, selection)
    if not channels:
        return target, torch.zeros(size)
    masks = _masks(activations, channels, size)
    scores = _averaged_scores(model, x, target, mode, lambda: masked_inputs_of(masks, size), channels, samples)
    weights = torch.zeros(activations.shape[0])
    weights[channels] = channel_weights(scores, mode)
    return target, _saliency(weights, activations, size)


def ss_cam(model, layer, x, target=None, samples=35, sigma=2.0, seed=0, batch=32, mode="probability",
           max_channels=0, selection="all"):
    def noisy(masks, size):
        generator = torch.Generator().manual_seed(seed)
        for start in range(0, len(masks), batch):
            chunk = range(start, min(start + batch, len(masks)))
            for _ in range(samples):
                noise = torch.randn(len(chunk), *size, generator=generator) * sigma
                for row, j in enumerate(chunk):
                    yield j, x * (masks[j] + noise[row])

    return _score_family(model, layer, x, target, mode, max_channels, selection, samples, noisy)


def is_cam(model, layer, x, target=None, samples=10, mode="probability", max_channels=0, selection="all"):
    def along_path(masks, size):
        for j, mask in enumerate(masks):
            for i in range(1, samples + 1):
                yield j, (i / samples) * x * mask

    return _score_family(model, layer, x, target, mode, max_channels, selection, samples, along_path)


def _gradients(model, layer, x, target):
    """The target, the layer's activations [K, h, w] and d logit_target / d activations."""
    logits, activations = capture(model, layer, x, differentiable=True)
    target = int(logits.argmax(1)) if target is None else target
    (gradients,) = torch.autograd.grad(logits[0, target], activations)
    return target, activations[0].detach().float(), gradients[0].float()


def grad_cam(model, layer, x, target=None):
    target, activations, gradients = _gradients(model, layer, x, target)
    return target, _saliency(gradients.mean((1, 2)), activations, tuple(x.shape[2:]))


def grad_cam_pp(model, layer, x, target=None):
    target, activations, g = _gradients(model, layer, x, target)
    alpha = g ** 2 / (2 * g ** 2 + activations.sum((1, 2))[:, None, None] * g ** 3 + 1e-6)
    alpha = torch.where(g != 0, alpha, torch.zeros_like(alpha))
    weights = (alpha * F.relu(g)).sum((1, 2))
    return target, _saliency(weights, activations, tuple(x.shape[2:]))
