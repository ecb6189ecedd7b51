"""Two `scorecam-eval --json` runs over the same images, side by side, with their spread: whether a
change (a score mode, a method, a layer) moves the faithfulness figures by more than the images'
own variation.

For each run, every figure's mean over the images with its 95% bootstrap interval (resampled
images); then, image by image, the second run's figure minus the first's, its mean with the 95%
bootstrap interval of the paired difference, and on how many images it is lower, higher or equal.

  PYTHONPATH=python /usr/bin/python3 -m scorecam_training.compare_eval A.json B.json \
      [--method scorecam] [--method-b gradcam] [--names probability centred]
"""
import argparse
import json

import numpy as np

# (scorecam-eval's per-image key, the figure's name, scale to its unit, decimals)
FIGURES = (("drop", "Average Drop %", 100, 1), ("increase", "Increase in Confidence %", 100, 1),
           ("deletion", "Deletion AUC", 1, 4), ("insertion", "Insertion AUC", 1, 4),
           ("energy_in_box", "energy in box %", 100, 1))
RESAMPLES = 10000


def per_image(path, method):
    """{image: {figure key: value}} of one method in one scorecam-eval JSON file."""
    with open(path) as f:
        images = json.load(f)["images"]
    values = {}
    for image in images:
        figures = image["methods"][method]
        values[image["image"]] = {key: float(figures[key]["auc"] if isinstance(figures[key], dict) else figures[key])
                                  for key, *_ in FIGURES if figures.get(key) is not None}
    return values


def interval(values, rng):
    """The mean of values and the 95% bootstrap interval of the mean."""
    values = np.asarray(values, dtype=float)
    means = values[rng.integers(0, len(values), size=(RESAMPLES, len(values)))].mean(1)
    return values.mean(), np.percentile(means, 2.5), np.percentile(means, 97.5)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("first")
    parser.add_argument("second")
    parser.add_argument("--method", default="scorecam", help="the method of the first file (and of the second)")
    parser.add_argument("--method-b", help="the method of the second file, if another")
    parser.add_argument("--names", nargs=2, default=("first", "second"), help="the runs' names in the tables")
    args = parser.parse_args()

    a = per_image(args.first, args.method)
    b = per_image(args.second, args.method_b or args.method)
    if set(a) != set(b):
        raise SystemExit(f"the two files measure different images ({len(set(a) ^ set(b))} in one only)")
    names = sorted(a)
    rng = np.random.default_rng(0)
    print(f"{len(names)} images; mean (95% bootstrap interval over images, {RESAMPLES} resamples)\n")
    print(f"| figure | {args.names[0]} | {args.names[1]} | {args.names[1]} minus {args.names[0]}, paired "
          "| images lower / higher / equal |")
    print("|---|---|---|---|---|")
    for key, title, scale, decimals in FIGURES:
        if not all(key in a[n] and key in b[n] for n in names):
            continue
        first = scale * np.array([a[n][key] for n in names])
        second = scale * np.array([b[n][key] for n in names])
        difference = second - first
        cells = [f"{m:.{decimals}f} ({lo:.{decimals}f}–{hi:.{decimals}f})"
                 for m, lo, hi in (interval(v, rng) for v in (first, second, difference))]
        counts = f"{(difference < 0).sum()} / {(difference > 0).sum()} / {(difference == 0).sum()}"
        print(f"| {title} | {' | '.join(cells)} | {counts} |")


if __name__ == "__main__":
    main()
