#!/usr/bin/python3
"""Exports a torchvision classifier to TorchScript with the JSON sidecar scorecam reads.

  tools/export_torchvision.py --arch resnet50 --out models/resnet50.pt [--weights DEFAULT] [--script]

--weights loads torchvision's pretrained weights (they must already be in the torch hub cache: this
tool downloads nothing when there is no network); without it the weights are random, which is
enough for benchmarks. The sidecar gets ImageNet's mean/std, the input size and the class names.
"""
import argparse
import json
import os

import torch
import torchvision


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--arch", required=True, help="a torchvision.models builder, e.g. resnet18")
    parser.add_argument("--out", required=True, help="where to write the .pt; the .json goes beside it")
    parser.add_argument("--weights", help="a weights enum name such as DEFAULT or IMAGENET1K_V1")
    parser.add_argument("--size", type=int, default=224, help="input height and width (default 224)")
    parser.add_argument("--layer", help="target layer to record in the sidecar (default: scorecam picks)")
    parser.add_argument("--script", action="store_true", help="torch.jit.script instead of torch.jit.trace")
    args = parser.parse_args()

    weights = torchvision.models.get_model_weights(args.arch)[args.weights] if args.weights else None
    model = torchvision.models.get_model(args.arch, weights=weights).eval()
    example = torch.randn(1, 3, args.size, args.size)
    with torch.no_grad():
        exported = torch.jit.script(model) if args.script else torch.jit.trace(model, example)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    exported.save(args.out)
    sidecar = {"input_size": [args.size, args.size], "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225],
               "color_order": "RGB", "input_channels": 3}
    if weights is not None:
        sidecar["labels"] = weights.meta["categories"]
    if args.layer:
        sidecar["target_layer"] = args.layer
    with open(os.path.splitext(args.out)[0] + ".json", "w") as f:
        json.dump(sidecar, f, indent=1)
    print(f"wrote {args.out} and its sidecar")


if __name__ == "__main__":
    main()
