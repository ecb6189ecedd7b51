"""Makes the int8 copy of the bundled model, models/fashion_scenes.int8.pt, and records it in
models/fashion_scenes.json (see int8.py for the convention the C++ core reads).

The weights of the TorchScript file go into SceneNet (FX quantizes an nn.Module), which is
calibrated on Score-CAM's masked inputs of train-split scenes; the target-class probabilities of
the int8 and float copies are then compared on the masked inputs of train-split scenes that the
calibration did not use.

  PYTHONPATH=python /usr/bin/python3 -m scorecam_training.quantize_bundled
  PYTHONPATH=python /usr/bin/python3 -m scorecam_training.train_fashion_model --out models/fashion_scenes.int8.pt --eval-only
"""
import argparse
import os
import statistics
import sys
import time

import torch

from . import fashion_scenes, int8
from .train_fashion_model import SceneNet, Normalizer, positive_int

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=os.path.join(ROOT, "models", "fashion_scenes.pt"),
                        help="the bundled model's TorchScript file, with its sidecar (default: %(default)s)")
    parser.add_argument("--scenes", type=positive_int, default=4, help="train-split scenes to calibrate on")
    parser.add_argument("--check-scenes", type=positive_int, default=16,
                        help="further train-split scenes, not calibrated on, for the probability check")
    parser.add_argument("--seed", type=int, default=500, help="seeds the scenes")
    parser.add_argument("--threads", type=positive_int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    started = time.time()

    model = SceneNet()
    loaded, sidecar = int8.load(args.model)
    model.load_state_dict(loaded.state_dict())
    model.eval()
    layer = model.get_submodule(sidecar["target_layer"])
    normalize = Normalizer(sidecar["mean"], sidecar["std"])
    images, _, _ = fashion_scenes.make_dataset("train", args.scenes + args.check_scenes, args.seed)
    frames = list(normalize(torch.from_numpy(images)).split(1))

    engine = int8.choose_engine()
    quantized = int8.quantize(model, layer, frames[:args.scenes], engine)
    path = int8.save(quantized, args.model, engine)
    agreement = [int8.probability_agreement(model, layer, quantized, x)[:2] for x in frames[args.scenes:]]
    correlations, differences = zip(*agreement)
    print(f"wrote {path} ({os.path.getsize(path) / 1e6:.2f} MB, engine {engine}, calibrated on the masked inputs "
          f"of {args.scenes} train-split scenes, seed {args.seed}) and its keys in {int8.sidecar_path(args.model)}")
    print(f"target-class probability, int8 against float, on the masked inputs of {len(agreement)} other "
          f"train-split scenes: correlation median {statistics.median(correlations):.5f}, "
          f"worst {min(correlations):.5f}; largest difference {max(differences):.5f}")
    print(f"wall time {time.time() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
