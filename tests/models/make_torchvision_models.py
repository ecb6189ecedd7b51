#!/usr/bin/python3
"""Exports torchvision classifiers (random weights, small input) traced and scripted, with what a
PyTorch forward hook sees at one layer, for the activation-capture tests.

For each ARCH: ARCH_traced.pt, ARCH_scripted.pt, ARCH.json (sidecar naming the layer),
ARCH_input.npy, ARCH_activation.npy (hook output), ARCH_logits.npy; and for the architectures of
METHOD_PARITY the reference maps ARCH_METHOD.npy of cam_methods_reference.py, with the settings
of METHOD_SETTINGS (which tests/core/cam_method_test.cpp uses too).
"""
import json

import numpy as np
import torch
import torchvision

import cam_methods_reference  # the test oracles, beside this script
from output_folder import output_folder
import scorecam_reference

SIZE = 64
# Architecture -> the layer to capture, given by its dotted module path.
LAYERS = {
    "resnet18": "layer4",
    "vgg11": "features.15",
    "mobilenet_v2": "features.18",
    "densenet121": "features.denseblock4",
    "squeezenet1_1": "features.12",
    "efficientnet_b0": "features.8",
}

# The methods' parity tests: few channels and samples, so that the unbatched reference stays quick;
# a batch of 4 so that SS-CAM's noise is drawn over more than one chunk.
METHOD_PARITY = ("resnet18", "vgg11", "mobilenet_v2")
METHOD_SETTINGS = {
    "sscam": dict(samples=2, sigma=2.0, seed=3, batch=4, max_channels=8, selection="std"),
    "iscam": dict(samples=3, max_channels=8, selection="std"),
    "gradcam": {},
    "gradcampp": {},
}
METHODS = {"sscam": cam_methods_reference.ss_cam, "iscam": cam_methods_reference.is_cam,
           "gradcam": cam_methods_reference.grad_cam, "gradcampp": cam_methods_reference.grad_cam_pp}


def write_method_maps(model, layer, x, arch, out):
    for method, settings in METHOD_SETTINGS.items():
        _, saliency = METHODS[method](model, layer, x, **settings)
        np.save(f"{out}/{arch}_{method}.npy", saliency.numpy().astype(np.float32))


def export(arch, layer_name, out):
    torch.manual_seed(0)
    model = getattr(torchvision.models, arch)(weights=None, num_classes=10).eval()
    if arch.startswith("vgg"):
        # VGG's 4096-wide head alone is 480 MB; the layers under test are all in `features`.
        model.classifier = torch.nn.Linear(512 * 7 * 7, 10)
    x = torch.randn(1, 3, SIZE, SIZE, generator=torch.Generator().manual_seed(2))
    layer = model.get_submodule(layer_name)
    logits, activation = scorecam_reference.capture(model, layer, x)
    with torch.no_grad():
        torch.jit.trace(model, x).save(f"{out}/{arch}_traced.pt")
        torch.jit.script(model).save(f"{out}/{arch}_scripted.pt")
    np.save(f"{out}/{arch}_input.npy", x.numpy())
    np.save(f"{out}/{arch}_activation.npy", activation.numpy())
    np.save(f"{out}/{arch}_logits.npy", logits.numpy())
    if arch in METHOD_PARITY:
        write_method_maps(model, layer, x, arch, out)
    with open(f"{out}/{arch}.json", "w") as f:
        json.dump({"input_size": [SIZE, SIZE], "target_layer": layer_name}, f)


def main():
    out = output_folder(__doc__)
    torch.set_num_threads(2)
    for arch, layer in LAYERS.items():
        export(arch, layer, out)


if __name__ == "__main__":
    main()
