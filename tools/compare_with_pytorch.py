#!/usr/bin/python3
"""Side by side, in one run: scorecam's C++ Score-CAM against an eager PyTorch Score-CAM that batches
the masked inputs the way pytorch-grad-cam and torch-cam do, on the same model, image, batch size,
channels and thread count. Prints ms per frame for both, the speedup, and the correlation of the maps.

  PYTHONPATH=python tools/compare_with_pytorch.py                 # the bundled model
  tools/compare_with_pytorch.py --model build/bench/resnet18.pt --arch resnet18
  tools/compare_with_pytorch.py --model build/bench/resnet50.pt --arch resnet50 --max-channels 256
(the bundled model's nn.Module is SceneNet of the project's package python/scorecam_training).

The PyTorch side is what a user of those libraries runs: the torchvision (or bundled) nn.Module in
eval mode with the weights of the TorchScript file, a forward hook for the activations, every
channel upsampled and min-max normalized in one call, all masked inputs built in one tensor and
classified in chunks of --batch-size, the target logits softmaxed across channels
(--score-mode logit-softmax, the libraries' choice) or the target probability taken (probability,
the official code). Like the official code and the C++, it skips constant channels, so both do the
same number of forward passes. The rounds alternate the two sides so that they share the
machine's drift; the C++ side is build/apps/scorecam-bench --no-limit.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch
import torch.nn.functional as F
import torchvision
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=os.path.join(ROOT, "models", "fashion_scenes.pt"),
                        help="TorchScript file with its JSON sidecar (default: the bundled model)")
    parser.add_argument("--arch", default="bundled",
                        help="the eager architecture the file was exported from: a torchvision.models "
                             "builder such as resnet18, or 'bundled' (SceneNet of scorecam_training.train_fashion_model)")
    parser.add_argument("--image", default=os.path.join(ROOT, "samples", "astronaut.jpg"))
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--max-channels", type=int, default=0,
                        help="evaluate only this many channels, those of largest spatial std (0: all)")
    parser.add_argument("--score-mode", choices=("logit-softmax", "probability"), default="logit-softmax")
    parser.add_argument("--frames", type=int, default=3, help="timed frames per side and round")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--bench", default=os.path.join(ROOT, "build", "apps", "scorecam-bench"))
    args = parser.parse_args()
    for name in ("batch_size", "threads", "frames", "rounds"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1, got {getattr(args, name)}")
    if args.max_channels < 0:
        parser.error("--max-channels must be 0 (all) or positive")
    for path, what in ((args.model, "model"), (args.image, "image"), (args.bench, "scorecam-bench")):
        if not os.path.isfile(path):
            parser.error(f"no {what} at {path}")
    return args


def load_sidecar(model_path):
    path = os.path.splitext(model_path)[0] + ".json"
    sidecar = {"input_size": [224, 224], "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225],
               "color_order": "RGB"}
    if os.path.exists(path):
        with open(path) as f:
            sidecar.update(json.load(f))
    return sidecar


def eager_model(arch, model_path):
    """The nn.Module the TorchScript file was made from, with the file's weights."""
    state = torch.jit.load(model_path, map_location="cpu").state_dict()
    if arch == "bundled":
        try:
            from scorecam_training.train_fashion_model import SceneNet  # the training's own definition
        except ImportError:
            sys.exit("compare_with_pytorch: the bundled model's architecture is in the project's Python package; "
                     "run with PYTHONPATH=python from the repository root")
        model = SceneNet()
    else:
        classes = next(v.shape[0] for k, v in reversed(list(state.items())) if k.endswith("weight"))
        model = torchvision.models.get_model(arch, weights=None, num_classes=classes)
    model.load_state_dict(state)
    return model.eval()


def model_input(image_path, sidecar):
    """The C++ to_model_input(): RGB (or BGR) on [0, 1], bilinear resize (antialiased when
    shrinking), normalized with the sidecar's mean and std."""
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


def score_cam(model, layer, x, batch_size, max_channels, score_mode):
    """Batched eager Score-CAM of the predicted class: [H, W] map in [0, 1]."""
    seen = {}
    handle = layer.register_forward_hook(lambda module, inputs, output: seen.update(a=output))
    try:
        logits = model(x)
    finally:
        handle.remove()
    target = int(logits.argmax(1))
    activations = seen["a"][0]                                        # [K, h, w]
    flat = activations.flatten(1)
    channels = (flat.amax(1) > flat.amin(1)).nonzero().squeeze(1)     # constant channels carry nothing
    if 0 < max_channels < channels.numel():
        rank = flat[channels].std(1, unbiased=False)
        channels = channels[rank.topk(max_channels).indices].sort().values
    upsampled = F.interpolate(activations[channels][None], size=x.shape[2:], mode="bilinear", align_corners=False)[0]
    low = upsampled.flatten(1).amin(1)[:, None, None]
    high = upsampled.flatten(1).amax(1)[:, None, None]
    masks = (upsampled - low) / (high - low)
    masked = x * masks[:, None]                                       # [k, C, H, W], all at once
    scores = []
    for start in range(0, masked.shape[0], batch_size):
        out = model(masked[start:start + batch_size])
        scores.append(out[:, target] if score_mode == "logit-softmax" else F.softmax(out, 1)[:, target])
    scores = torch.cat(scores) if scores else torch.zeros(0)
    weights = F.softmax(scores, 0) if score_mode == "logit-softmax" else scores
    cam = torch.einsum("k,khw->hw", weights, activations[channels])[None, None]
    saliency = F.interpolate(cam, size=x.shape[2:], mode="bilinear", align_corners=False)[0, 0].relu()
    low, high = saliency.min(), saliency.max()
    return (saliency - low) / (high - low) if high > low else torch.zeros_like(saliency)


def run_cpp(args, map_path):
    command = [args.bench, "--model", args.model, "--image", args.image, "--batch-size", str(args.batch_size),
               "--max-channels", str(args.max_channels), "--score-mode", args.score_mode,
               "--frames", str(args.frames), "--no-limit", "--save-map", map_path]
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        sys.exit(f"compare_with_pytorch: scorecam-bench failed:\n{result.stdout}{result.stderr}")
    layer = re.search(r"layer (\S+) \[", result.stdout).group(1)
    median = float(re.search(r"ms per frame: median ([0-9.]+)", result.stdout).group(1))
    channels = int(re.search(r"scorecam: (\d+) masked forward passes per frame", result.stdout).group(1))
    return layer, median, channels


def main():
    args = parse_args()
    torch.set_num_threads(args.threads)
    sidecar = load_sidecar(args.model)
    try:
        model = eager_model(args.arch, args.model)
    except (ValueError, RuntimeError, KeyError) as error:
        sys.exit(f"compare_with_pytorch: cannot rebuild '{args.arch}' with the weights of {args.model}: "
                 f"{str(error).splitlines()[0]} (is --arch the architecture the file was exported from?)")
    x = model_input(args.image, sidecar)
    cpp_ms, python_ms = [], []
    with tempfile.TemporaryDirectory() as work, torch.no_grad():
        map_path = os.path.join(work, "cpp_map.npy")
        for round_number in range(1, args.rounds + 1):
            layer_name, cpp, channels = run_cpp(args, map_path)
            layer = model.get_submodule(layer_name)
            if round_number == 1:
                python_map = score_cam(model, layer, x, args.batch_size, args.max_channels, args.score_mode)  # warm-up
                print(f"model {args.model} ({args.arch}), layer {layer_name}, input {x.shape[2]}x{x.shape[3]}, "
                      f"image {args.image}, batch {args.batch_size}, threads {args.threads}, "
                      f"score mode {args.score_mode}, {channels} channels per frame")
            times = []
            for _ in range(args.frames):
                start = time.perf_counter()
                python_map = score_cam(model, layer, x, args.batch_size, args.max_channels, args.score_mode)
                times.append((time.perf_counter() - start) * 1000.0)
            python = statistics.median(times)
            cpp_ms.append(cpp)
            python_ms.append(python)
            print(f"round {round_number}: C++ {cpp:.1f} ms/frame, eager PyTorch {python:.1f} ms/frame "
                  f"(medians of {args.frames} frames): {python / cpp:.2f}x", flush=True)
        cpp_map = np.load(map_path)
    ratios = sorted(p / c for p, c in zip(python_ms, cpp_ms))
    correlation = float(np.corrcoef(cpp_map.ravel(), python_map.numpy().ravel())[0, 1])
    print(f"C++ (scorecam-bench): median {statistics.median(cpp_ms):.1f} ms per frame "
          f"(rounds {min(cpp_ms):.1f} .. {max(cpp_ms):.1f})")
    print(f"eager PyTorch:        median {statistics.median(python_ms):.1f} ms per frame "
          f"(rounds {min(python_ms):.1f} .. {max(python_ms):.1f})")
    print(f"speedup of the C++: {statistics.median(ratios):.2f}x (rounds {ratios[0]:.2f}x .. {ratios[-1]:.2f}x)")
    print(f"map correlation (Pearson, {cpp_map.shape[0]}x{cpp_map.shape[1]}): {correlation:.5f}")


if __name__ == "__main__":
    main()
