#!/usr/bin/python3
"""Exports a torchvision classifier to TorchScript with the JSON sidecar scorecam reads.

  tools/export_torchvision.py --arch resnet50 --out models/resnet50.pt [--weights DEFAULT] [--script]
  tools/export_torchvision.py --arch resnet18 --out models/resnet18.pt --int8 --calibration FRAMES_DIR

--weights loads torchvision's pretrained weights (they must already be in the torch hub cache: this
tool downloads nothing when there is no network); without it the weights are random, which is
enough for benchmarks. The sidecar gets ImageNet's mean/std, the input size and the class names.

--int8 also writes the int8 copy the C++ core uses for its masked passes (precision=int8):
NAME.int8.pt beside NAME.pt, named in the sidecar with its quantized engine (the convention is in
python/scorecam_training/int8.py). It is calibrated on Score-CAM's masked inputs of the first
--calibration-frames images (.jpg, .png) of --calibration, in name order; the next image is held
out, and the int8 and float target-class probabilities on its masked inputs are compared.
"""
import argparse
import json
import math
import os
import sys

import torch
import torchvision

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "python"))
from scorecam_training import int8  # noqa: E402  (the project's package, found through ROOT)
from scorecam_training.masked_inputs import default_target_layer, model_input  # noqa: E402

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--arch", required=True, help="a torchvision.models builder, e.g. resnet18")
    parser.add_argument("--out", required=True, help="where to write the .pt; the .json goes beside it")
    parser.add_argument("--weights", help="a weights enum name such as DEFAULT or IMAGENET1K_V1")
    parser.add_argument("--size", type=int, default=224, help="input height and width (default 224)")
    parser.add_argument("--layer", help="target layer to record in the sidecar (default: scorecam picks)")
    parser.add_argument("--script", action="store_true", help="torch.jit.script instead of torch.jit.trace")
    parser.add_argument("--int8", action="store_true", help="also write the int8 copy, NAME.int8.pt")
    parser.add_argument("--calibration", metavar="DIR", help="images of real frames for --int8 (.jpg, .png)")
    parser.add_argument("--calibration-frames", type=int, default=4, metavar="N",
                        help="images calibrated on (default 4); one more is held out for the check")
    parser.add_argument("--calibration-channels", type=int, default=0, metavar="N",
                        help="per frame, calibrate on the masked inputs of the N channels of largest spatial "
                             "std only, as max-channels=N explains (default 0: every channel)")
    args = parser.parse_args()
    if args.calibration and not args.int8:
        parser.error("--calibration is for --int8")
    if args.int8:
        if not args.calibration:
            parser.error("--int8 needs --calibration DIR, a folder of images of real frames")
        if args.calibration_frames < 1 or args.calibration_channels < 0:
            parser.error("--calibration-frames must be at least 1 and --calibration-channels 0 (all) or more")
        args.calibration_images = calibration_images(parser, args.calibration, args.calibration_frames)
    return args


def calibration_images(parser, folder, frames):
    """The images to calibrate on and the held-out one, checked before anything is written."""
    if not os.path.isdir(folder):
        parser.error(f"--calibration: no folder at {folder}")
    images = sorted(os.path.join(folder, name) for name in os.listdir(folder)
                    if name.lower().endswith(IMAGE_SUFFIXES))
    if len(images) < 2:
        parser.error(f"--calibration: {folder} has {len(images)} image(s) ({', '.join(IMAGE_SUFFIXES)}); "
                     "at least 2 are needed, one to calibrate on and one held out for the check")
    return images[:min(frames, len(images) - 1) + 1]


def write_int8(model, args, sidecar):
    frames = [model_input(path, sidecar) for path in args.calibration_images]
    calibrate, held_out = frames[:-1], frames[-1]
    try:
        layer_name = args.layer or default_target_layer(model, held_out)
        layer = model.get_submodule(layer_name)
        engine = int8.choose_engine()
        quantized = int8.quantize(model, layer, calibrate, engine, max_channels=args.calibration_channels)
    except (ValueError, RuntimeError, AttributeError) as error:
        sys.exit(f"export_torchvision: no int8 copy of {args.arch}: {error}")
    path = int8.save(quantized, args.out, engine)
    correlation, difference, count = int8.probability_agreement(model, layer, quantized, held_out,
                                                                 max_channels=args.calibration_channels)
    print(f"wrote {path} (engine {engine}, calibrated on the masked inputs of {layer_name} for "
          f"{len(calibrate)} image(s) of {args.calibration})")
    print(f"int8 check on the held-out {os.path.basename(args.calibration_images[-1])}, target-class probability "
          f"against float over {count} masked inputs: correlation {correlation:.5f}, largest difference "
          f"{difference:.5f}" + (" (a copy's probabilities are constant)" if math.isnan(correlation) else ""))

def main():
    args = parse_args()
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
    if args.int8:
        write_int8(model, args, sidecar)


if __name__ == "__main__":
    main()
