"""Does Score-CAM point at the object? Measured on Fashion-MNIST scenes with known boxes.

Builds scenes from the TEST split (articles the bundled model never saw), runs the `scorecam`
command-line tool on them in one call, and reports over all scenes:
  - energy-based pointing game: share of the map's mass inside the article's box (higher is better);
  - pointing game: share of scenes whose map maximum lies inside the box;
for Score-CAM and for two maps that know nothing of the image: a centred Gaussian and a uniform map.
With --check MARGIN it exits 1 unless Score-CAM's energy share beats both by at least MARGIN.

  PYTHONPATH=python /usr/bin/python3 -m scorecam_training.evaluate_localization \
      --scorecam build/apps/scorecam --scenes 300 [--model M.pt] [--check 0.1]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image

from . import fashion_scenes


def box_mask(box, height, width):
    x0, y0, x1, y1 = box
    mask = np.zeros((height, width), dtype=bool)
    mask[y0:y1, x0:x1] = True
    return mask


def energy_share(saliency, mask):
    total = saliency.sum()
    return float(saliency[mask].sum() / total) if total > 0 else 0.0


def centred_gaussian(height, width):
    ys, xs = np.mgrid[0:height, 0:width]
    sigma = min(height, width) / 4.0
    return np.exp(-(((ys - (height - 1) / 2) ** 2 + (xs - (width - 1) / 2) ** 2) / (2 * sigma ** 2)))


def run_scorecam(scorecam, model, images, workdir):
    paths = []
    for i, image in enumerate(images):
        paths.append(os.path.join(workdir, f"scene_{i:04d}.png"))
        Image.fromarray(image).save(paths[-1])
    command = [scorecam, "--json", "--out", os.path.join(workdir, "out")] + (["--model", model] if model else [])
    done = subprocess.run(command + paths, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"scorecam failed ({done.returncode}): {done.stderr.strip()}")
    return json.loads(done.stdout)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scorecam", default="build/apps/scorecam", help="the scorecam command-line tool")
    parser.add_argument("--model", help="TorchScript model (default: the bundled one)")
    parser.add_argument("--scenes", type=int, default=300)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--check", type=float, help="exit 1 unless Score-CAM beats both baselines by this margin")
    args = parser.parse_args()

    images, labels, boxes = fashion_scenes.make_dataset("test", args.scenes, seed=args.seed)
    with tempfile.TemporaryDirectory() as workdir:
        results = run_scorecam(args.scorecam, args.model, images, workdir)
        maps = [np.load(r["map"]) for r in results]
    height, width = images.shape[1:3]
    gaussian, uniform = centred_gaussian(height, width), np.ones((height, width))
    rows = {"Score-CAM": ([], []), "centred Gaussian": ([], []), "uniform": ([], [])}
    correct = 0
    for saliency, label, box, result in zip(maps, labels, boxes, results):
        mask = box_mask(box, height, width)
        correct += int(result["target_class"] == label)
        for name, candidate in (("Score-CAM", saliency), ("centred Gaussian", gaussian), ("uniform", uniform)):
            energy, hits = rows[name]
            energy.append(energy_share(candidate, mask))
            if name != "uniform":  # a flat map has no maximum to point with
                hits.append(bool(mask.flat[int(np.argmax(candidate))]))
    print(f"{args.scenes} test-split scenes ({height}x{width}), seed {args.seed}; "
          f"classification accuracy {100.0 * correct / args.scenes:.1f}%; "
          f"empty maps {sum(r['empty'] for r in results)}")
    print(f"{'map':<18}{'energy in box':>15}{'pointing game':>15}")
    for name, (energy, hits) in rows.items():
        pointing = f"{100.0 * np.mean(hits):.1f}%" if hits else "-"
        print(f"{name:<18}{100.0 * np.mean(energy):>14.1f}%{pointing:>15}")
    if args.check is not None:
        ours = np.mean(rows["Score-CAM"][0])
        best_baseline = max(np.mean(rows["centred Gaussian"][0]), np.mean(rows["uniform"][0]))
        if ours < best_baseline + args.check:
            sys.exit(f"FAIL: Score-CAM energy share {ours:.3f} does not beat the best baseline "
                     f"{best_baseline:.3f} by {args.check}")
        print(f"OK: Score-CAM energy share beats the best baseline by {ours - best_baseline:.3f} (>= {args.check})")


if __name__ == "__main__":
    main()
