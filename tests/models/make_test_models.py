#!/usr/bin/python3
"""Writes the small TorchScript models the tests run on, each with its JSON sidecar.

Random weights with a fixed seed, so the files are the same on every run and no download is needed.
  tiny_rgb.pt      3-channel, 32x40 input (non-square), target layer "features.4" (16 x 8 x 10)
  tiny_gray.pt     1-channel, 24x24 input
  tiny_scripted.pt tiny_rgb's architecture through torch.jit.script
  tiny_branchy.pt  scripted, its features called inside data-dependent control flow
  flat_output.pt   returns [N, classes, 1]: not a classifier output
  tiny_1x1.pt      its only feature map is 1x1
  dead_channels.pt every channel of its target layer is zero
  nan_output.pt    its class scores are NaN (a broken model), its features are not
and, for the parity tests, an input and the reference maps of scorecam_reference.py (beside this file):
  NAME_input.npy, NAME_MODE.npy (MODE: probability, logit-softmax, cic, centred, std4 = probability
  on the 4 channels of largest spatial standard deviation, centred-std4 = centred on those 4)
"""
import json
import os

import numpy as np
import torch
from torch import nn

from output_folder import output_folder
import scorecam_reference  # the test oracle, beside this script


class TinyNet(nn.Module):
    def __init__(self, in_channels=3, classes=5, width=16):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, width, 3, padding=1), nn.ReLU())
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Linear(width, classes)

    def forward(self, x):
        return self.head(torch.flatten(self.pool(self.features(x)), 1))


class Branchy(TinyNet):
    """Calls its features in both branches of an `if` that scripting keeps: the target layer's output
    has no single value in the inlined graph, so it cannot be returned from a frozen copy."""

    def forward(self, x):
        if bool(x.mean() > -1e4):
            features = self.features(x)
        else:
            features = self.features(x.flip(3))
        return self.head(torch.flatten(self.pool(features), 1))


class FlatOutput(TinyNet):
    def forward(self, x):
        return super().forward(x).unsqueeze(-1)


class OneByOne(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.AdaptiveAvgPool2d(1))
        self.head = nn.Linear(4, 3)

    def forward(self, x):
        return self.head(torch.flatten(self.features(x), 1))


def save(module, example, path, sidecar, script=False):
    module.eval()
    with torch.no_grad():
        exported = torch.jit.script(module) if script else torch.jit.trace(module, example)
    exported.save(path)
    with open(os.path.splitext(path)[0] + ".json", "w") as f:
        json.dump(sidecar, f, indent=1)


def write_golden(module, name, input_shape, out):
    """Reference maps of `module` for one fixed random input, for the C++ parity tests."""
    module.eval()
    x = torch.randn(*input_shape, generator=torch.Generator().manual_seed(1))
    np.save(f"{out}/{name}_input.npy", x.numpy().astype(np.float32))
    layer = module.features[4]
    for mode in scorecam_reference.SCORE_MODES:
        _, saliency = scorecam_reference.score_cam(module, layer, x, mode=mode)
        np.save(f"{out}/{name}_{mode}.npy", saliency.numpy().astype(np.float32))
    for mode, prefix in (("probability", ""), ("centred", "centred-")):
        _, saliency = scorecam_reference.score_cam(module, layer, x, mode=mode, max_channels=4, selection="std")
        np.save(f"{out}/{name}_{prefix}std4.npy", saliency.numpy().astype(np.float32))


def main():
    out = output_folder(__doc__)
    torch.manual_seed(0)
    labels = ["alpha", "beta", "gamma", "delta", "epsilon"]
    rgb = {"input_size": [32, 40], "mean": [0.5, 0.4, 0.3], "std": [0.25, 0.2, 0.3],
           "color_order": "RGB", "labels": labels, "target_layer": "features.4"}
    tiny = TinyNet()
    save(tiny, torch.randn(1, 3, 32, 40), f"{out}/tiny_rgb.pt", rgb)
    save(tiny, None, f"{out}/tiny_scripted.pt", rgb, script=True)
    write_golden(tiny, "tiny_rgb", (1, 3, 32, 40), out)
    branchy = Branchy()
    save(branchy, None, f"{out}/tiny_branchy.pt", rgb, script=True)
    write_golden(branchy, "tiny_branchy", (1, 3, 32, 40), out)

    gray = TinyNet(in_channels=1)
    save(gray, torch.randn(1, 1, 24, 24), f"{out}/tiny_gray.pt",
         {"input_size": [24, 24], "mean": [0.5], "std": [0.5], "labels": labels})
    write_golden(gray, "tiny_gray", (1, 1, 24, 24), out)

    save(FlatOutput(), torch.randn(1, 3, 32, 40), f"{out}/flat_output.pt", rgb)
    save(OneByOne(), torch.randn(1, 3, 32, 32), f"{out}/tiny_1x1.pt", {"input_size": [32, 32]})
    dead = TinyNet()
    with torch.no_grad():
        dead.features[3].bias.fill_(-1e4)  # ReLU turns every channel into a constant 0
    save(dead, torch.randn(1, 3, 32, 40), f"{out}/dead_channels.pt", rgb)
    broken = TinyNet()
    with torch.no_grad():
        broken.head.bias.fill_(float("nan"))
    save(broken, torch.randn(1, 3, 32, 40), f"{out}/nan_output.pt", rgb)


if __name__ == "__main__":
    main()
