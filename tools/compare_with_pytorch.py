#!/usr/bin/python3
"""Side by side, in one run: scorecam's C++ Score-CAM against an eager PyTorch Score-CAM that batches
the masked inputs as the best of pytorch-grad-cam and torch-cam do, on the same model, image, batch
size, channels and thread count. Prints ms per frame for each, the speedups, and the correlation of
the maps; the C++ side at each --precision (fp32, and bf16 and int8 where this scorecam-bench has them).

  tools/compare_with_pytorch.py                 # the bundled model
  tools/compare_with_pytorch.py --model build/bench/resnet18.pt --arch resnet18
  tools/compare_with_pytorch.py --model build/bench/resnet50.pt --arch resnet50 --max-channels 256
(the bundled model's nn.Module is SceneNet of the project's package python/scorecam_training).

The PyTorch side is what a user of those libraries runs, at their fastest: the torchvision (or
bundled) nn.Module in eval mode with the weights of the TorchScript file, under inference mode, a
forward hook for the activations, every channel upsampled and min-max normalized in one call, each
chunk of --batch-size masked inputs built in one buffer reused for every chunk (torch-cam's way since
its PR #425) and classified, the target scores gathered without a host round trip per sample, then
softmaxed across channels (--score-mode logit-softmax, the libraries' choice) or the target
probability taken (probability, the official code). Like the official code and the C++, it skips
constant channels, so both do the same number of forward passes. It stays in fp32, as the libraries
do; --eager-bf16 adds a bf16 copy of the module beside it. The rounds alternate the sides so that
they share the machine's drift; the C++ side is build/apps/scorecam-bench --no-limit.
"""
import argparse
import copy
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

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "python"))
# The masked inputs come from the code the int8 calibration uses: one definition of what the C++
# masked passes classify.
from scorecam_training.masked_inputs import channel_masks, masked_chunks, model_input, target_activations  # noqa: E402
from scorecam_training.train_fashion_model import SceneNet  # noqa: E402  (the bundled model's definition)

PRECISIONS = ("fp32", "bf16", "int8")


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
    parser.add_argument("--precisions", default=",".join(PRECISIONS),
                        help="the C++ side's precisions, comma-separated, fp32 (the reference) among them "
                             "(default: %(default)s)")
    parser.add_argument("--eager-bf16", action="store_true", help="also time a bf16 copy of the eager module")
    parser.add_argument("--frames", type=int, default=3, help="timed frames per side and round")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--bench", default=os.path.join(ROOT, "build", "apps", "scorecam-bench"))
    args = parser.parse_args()
    for name in ("batch_size", "threads", "frames", "rounds"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1, got {getattr(args, name)}")
    if args.max_channels < 0:
        parser.error("--max-channels must be 0 (all) or positive")
    args.precisions = list(dict.fromkeys(args.precisions.split(",")))
    if "fp32" not in args.precisions or not set(args.precisions) <= set(PRECISIONS):
        parser.error(f"--precisions: some of {', '.join(PRECISIONS)}, fp32 among them; got {','.join(args.precisions)}")
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
        model = SceneNet()
    else:
        classes = next(v.shape[0] for k, v in reversed(list(state.items())) if k.endswith("weight"))
        model = torchvision.models.get_model(arch, weights=None, num_classes=classes)
    model.load_state_dict(state)
    return model.eval()


def score_cam(model, layer, x, batch_size, max_channels, score_mode):
    """Batched eager Score-CAM of the predicted class: [H, W] map in [0, 1], scores and map in
    fp32 whatever the dtype of model and x. Call under torch.inference_mode()."""
    logits, activations = target_activations(model, layer, x)
    target = int(logits.argmax(1))
    channels, masks = channel_masks(activations, x.shape[2:], max_channels)
    scores = torch.empty(channels.numel())
    for start, chunk in masked_chunks(x, masks, batch_size):
        out = model(chunk).float()
        scores[start:start + chunk.shape[0]] = out[:, target] if score_mode == "logit-softmax" \
            else F.softmax(out, 1)[:, target]
    weights = F.softmax(scores, 0) if score_mode == "logit-softmax" else scores
    cam = torch.einsum("k,khw->hw", weights, activations[channels].float())[None, None]
    saliency = F.interpolate(cam, size=x.shape[2:], mode="bilinear", align_corners=False)[0, 0].relu()
    low, high = saliency.min(), saliency.max()
    return (saliency - low) / (high - low) if high > low else torch.zeros_like(saliency)


class Unavailable(Exception):
    """scorecam-bench refused a precision: this build, or this machine, does not have it."""


def run_cpp(args, precision, map_path):
    command = [args.bench, "--model", args.model, "--image", args.image, "--batch-size", str(args.batch_size),
               "--max-channels", str(args.max_channels), "--score-mode", args.score_mode, "--precision", precision,
               "--frames", str(args.frames), "--no-limit", "--save-map", map_path]
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        output = (result.stdout + result.stderr).strip()
        if precision != "fp32" and "precision" in output:
            raise Unavailable(output.splitlines()[-1])
        sys.exit(f"compare_with_pytorch: scorecam-bench --precision {precision} failed:\n{output}")
    layer = re.search(r"layer (\S+) \[", result.stdout).group(1)
    median = float(re.search(r"ms per frame: median ([0-9.]+)", result.stdout).group(1))
    channels = int(re.search(r"scorecam: (\d+) masked forward passes per frame", result.stdout).group(1))
    return layer, median, channels


def time_eager(args, model, layer, x):
    """(median ms per frame over --frames frames, the last map)."""
    times = []
    for _ in range(args.frames):
        start = time.perf_counter()
        saliency = score_cam(model, layer, x, args.batch_size, args.max_channels, args.score_mode)
        times.append((time.perf_counter() - start) * 1000.0)
    return statistics.median(times), saliency


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
    eager = {"eager PyTorch fp32": (model, x)}
    if args.eager_bf16:
        eager["eager PyTorch bf16"] = (copy.deepcopy(model).to(torch.bfloat16), x.to(torch.bfloat16))
    times = {f"C++ {p}": [] for p in args.precisions}
    times.update({name: [] for name in eager})
    maps = {}
    with tempfile.TemporaryDirectory() as work, torch.inference_mode():
        for round_number in range(1, args.rounds + 1):
            for precision in list(args.precisions):
                path = os.path.join(work, f"{precision}.npy")
                try:
                    layer_name, ms, channels = run_cpp(args, precision, path)
                except Unavailable as refusal:
                    print(f"C++ {precision}: this scorecam-bench cannot run --precision {precision} here "
                          f"(it says: {refusal}); left out")
                    args.precisions.remove(precision)
                    del times[f"C++ {precision}"]
                    continue
                times[f"C++ {precision}"].append(ms)
                maps[f"C++ {precision}"] = path
            if round_number == 1:
                for module, inputs in eager.values():  # warm-up
                    score_cam(module, module.get_submodule(layer_name), inputs, args.batch_size,
                              args.max_channels, args.score_mode)
                print(f"model {args.model} ({args.arch}), layer {layer_name}, input {x.shape[2]}x{x.shape[3]}, "
                      f"image {args.image}, batch {args.batch_size}, threads {args.threads}, "
                      f"score mode {args.score_mode}, {channels} channels per frame")
            for name, (module, inputs) in eager.items():
                ms, maps[name] = time_eager(args, module, module.get_submodule(layer_name), inputs)
                times[name].append(ms)
            print(f"round {round_number}, ms per frame (medians of {args.frames} frames): "
                  + ", ".join(f"{name} {values[-1]:.1f}" for name, values in times.items()), flush=True)
        maps = {name: np.load(m) if isinstance(m, str) else m.numpy() for name, m in maps.items()}
    reference = times["eager PyTorch fp32"]
    for name, values in times.items():
        print(f"{name}: median {statistics.median(values):.1f} ms per frame "
              f"(rounds {min(values):.1f} .. {max(values):.1f})")
    for name, values in times.items():
        if name != "eager PyTorch fp32":
            ratios = sorted(r / v for r, v in zip(reference, values))
            print(f"speedup of {name} over eager PyTorch fp32: {statistics.median(ratios):.2f}x "
                  f"(rounds {ratios[0]:.2f}x .. {ratios[-1]:.2f}x)")
    reference_map = maps["eager PyTorch fp32"].ravel()
    for name, saliency in maps.items():
        if name != "eager PyTorch fp32":
            correlation = float(np.corrcoef(reference_map, saliency.ravel())[0, 1])
            print(f"map correlation of {name} with eager PyTorch fp32 (Pearson, "
                  f"{saliency.shape[0]}x{saliency.shape[1]}): {correlation:.5f}")


if __name__ == "__main__":
    main()
