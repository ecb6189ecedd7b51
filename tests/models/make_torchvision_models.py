#!/usr/bin/python3
"""Exports torchvision classifiers (random weights, small input) traced and scripted, with what a
PyTorch forward hook sees at one layer, for the activation-capture tests.

For each ARCH: ARCH_traced.pt, ARCH_scripted.pt, ARCH.json (sidecar naming the layer),
ARCH_input.npy, ARCH_activation.npy (hook output), ARCH_logits.npy.
"""
import argparse
import json
import os

import numpy as np
import torch
import torchvision

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


def export(arch, layer_name, out):
    torch.manual_seed(0)
    model = getattr(torchvision.models, arch)(weights=None, num_classes=10).eval()
    if arch.startswith("vgg"):
        # VGG's 4096-wide head alone is 480 MB; the layers under test are all in `features`.
        model.classifier = torch.nn.Linear(512 * 7 * 7, 10)
    x = torch.randn(1, 3, SIZE, SIZE, generator=torch.Generator().manual_seed(2))
    seen = {}
    layer = model.get_submodule(layer_name)
    handle = layer.register_forward_hook(lambda m, i, o: seen.update(a=o.detach().clone()))
    with torch.no_grad():
        logits = model(x)
    handle.remove()
    with torch.no_grad():
        torch.jit.trace(model, x).save(f"{out}/{arch}_traced.pt")
        torch.jit.script(model).save(f"{out}/{arch}_scripted.pt")
    np.save(f"{out}/{arch}_input.npy", x.numpy())
    np.save(f"{out}/{arch}_activation.npy", seen["a"].numpy())
    np.save(f"{out}/{arch}_logits.npy", logits.numpy())
    with open(f"{out}/{arch}.json", "w") as f:
        json.dump({"input_size": [SIZE, SIZE], "target_layer": layer_name}, f)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", required=True)
    out = parser.parse_args().out
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(2)
    for arch, layer in LAYERS.items():
        export(arch, layer, out)


if __name__ == "__main__":
    main()
