"""Why Score-CAM's map leaks onto the article that was not asked for, measured on two-article scenes
with labelled boxes (`fashion_scenes --write DIR --articles 2`; docs/evaluation.md, "Class
discrimination"; issue 24).

Each scene's masked inputs are made as the C++ core makes them (masked_inputs.py) and classified
once; their class probabilities serve every weighting below and both asked classes. The maps are
made as the core makes them, ReLU(sum_k w_k A_k) upsampled and min-max normalized, and measured as
`scorecam-eval --discrimination` measures them: the share of the map's sum in the asked article's
box and in the other's; a map wins when the asked box holds more, a blank map never does.

Three tables; energies are mean +- standard deviation over scenes (each scene's mean over its two
asked classes), wins and blank maps are counted over all maps:
  1. weightings: the core's score modes and candidates from the literature, from the same passes;
  2. baselines: the mean image (the core's), a black image and a blurred copy of the scene, their
     probability subtracted from each channel's (the paper's CIC), and the scene masked towards
     them (X_b + M_k (X - X_b), Group-CAM's way with its blurred baseline) instead of towards the
     mean colour;
  3. where the default map's energy comes from: its class-agnostic part, the mean weight times
     sum_k A_k (every weight is a positive probability, so every map holds it), and the channels
     grouped by the articles they respond to: a channel responds to an article when its mean
     activation in the article's box is at least RESPONDS times its mean over the scene.

  PYTHONPATH=python /usr/bin/python3 -m scorecam_training.class_leak /tmp/pairs200 [--limit N] [--json OUT]
"""
import argparse
import json
import os

import numpy as np
import torch
import torch.nn.functional as F

from .masked_inputs import channel_masks, model_input, target_activations
from .train_fashion_model import SceneNet

RESPONDS = 2.0    # a channel's mean activation in a box over its mean over the scene
BLUR_SIGMA = 6.0  # pixels at 96 x 96: the articles' detail gone, their colours kept
GROUPS = ("both articles", "the asked article only", "the other article only", "neither")


def load_model(path):
    """(the bundled architecture with the TorchScript file's weights, the sidecar): the forward
    hook that takes the target layer's activations needs the module, not the TorchScript file."""
    with open(os.path.splitext(path)[0] + ".json") as f:
        sidecar = json.load(f)
    model = SceneNet(len(sidecar["labels"]))
    model.load_state_dict(torch.jit.load(path, map_location="cpu").state_dict())
    return model.eval(), sidecar


def blurred(x, sigma):
    """x [1, C, H, W] under a separable Gaussian blur, edges replicated."""
    radius = int(3 * sigma)
    t = torch.arange(-radius, radius + 1, dtype=torch.float32)
    kernel = torch.exp(-t ** 2 / (2 * sigma ** 2))
    kernel = (kernel / kernel.sum()).repeat(x.shape[1], 1, 1, 1)  # [C, 1, 1, taps]
    x = F.conv2d(F.pad(x, (radius, radius, 0, 0), mode="replicate"), kernel, groups=x.shape[1])
    return F.conv2d(F.pad(x, (0, 0, radius, radius), mode="replicate"), kernel.transpose(2, 3), groups=x.shape[1])


def baselines(x, sidecar):
    """The images a masked-out pixel may take, normalized: the mean image (0 after normalization,
    the core's), a black image and the scene blurred."""
    mean = torch.tensor(sidecar["mean"]).view(1, -1, 1, 1)
    std = torch.tensor(sidecar["std"]).view(1, -1, 1, 1)
    return {"mean image": torch.zeros_like(x), "black image": ((0 - mean) / std).expand_as(x),
            "blurred scene": blurred(x, BLUR_SIGMA)}


def saliency(weights, activations, size):
    """(map, blank), as the core's weighted_map: ReLU(sum_k w_k A_k) upsampled, min-max normalized."""
    summed = torch.einsum("k,khw->hw", weights, activations)
    up = F.relu(F.interpolate(summed[None, None], size=size, mode="bilinear", align_corners=False)[0, 0])
    low, high = up.min(), up.max()
    if not high > low:
        return torch.zeros(size), True
    return (up - low) / (high - low), False


def box_mask(box, size):
    mask = torch.zeros(size, dtype=torch.bool)
    x0, y0, x1, y1 = box
    mask[y0:y1, x0:x1] = True
    return mask


def shares(values, asked_box, other_box):
    """The shares of values' sum in the asked box and in the other; 0, 0 for a blank map."""
    total = float(values.sum())
    if total <= 0:
        return 0.0, 0.0
    return float(values[asked_box].sum()) / total, float(values[other_box].sum()) / total


class Scene:
    """One scene's first pass and its masked passes, towards each baseline."""

    def __init__(self, model, layer, x, sidecar):
        with torch.no_grad():
            logits, activations = target_activations(model, layer, x)
            self.size = tuple(x.shape[2:])
            channels, masks = channel_masks(activations.float(), self.size)
            self.activations = activations.float()[channels]  # [k, h, w], the non-constant channels
            self.upsampled = F.interpolate(self.activations[None], size=self.size, mode="bilinear",
                                           align_corners=False)[0]
            self.probabilities = F.softmax(logits, 1)[0]
            self.baseline = {}  # name: (probabilities of the baseline, of the masked inputs, their logits)
            for name, image in baselines(x, sidecar).items():
                out = model(image + masks[:, None] * (x - image))
                self.baseline[name] = (F.softmax(model(image), 1)[0], F.softmax(out, 1), out)

    def weightings(self, asked):
        """The candidate weights [k] for class `asked`, from the passes towards the mean image."""
        base, probabilities, logits = self.baseline["mean image"]
        p = probabilities[:, asked]
        others = torch.cat([logits[:, :asked], logits[:, asked + 1:]], 1)
        runner_up = int(self.probabilities.masked_fill(torch.arange(len(self.probabilities)) == asked, -1).argmax())
        return {
            "`probability`: the default": p,
            "`cic`: minus the mean image's probability": p - base[asked],
            "`cic` clipped at 0 (the paper's CIC as its text describes it)": F.relu(p - base[asked]),
            "minus the mean over classes, 1/C (per-class normalization)": p - 1 / probabilities.shape[1],
            "minus 1/C, clipped at 0": F.relu(p - 1 / probabilities.shape[1]),
            "log-odds, logit minus log-sum-exp of the others, clipped at 0":
                F.relu(logits[:, asked] - torch.logsumexp(others, 1)),
            "minus the runner-up class's probability (contrastive)": p - probabilities[:, runner_up],
            "`centred`: minus the mean over the channels": p - p.mean(),
            "`centred` clipped at 0": F.relu(p - p.mean()),
        }

    def baseline_weightings(self, asked):
        """Per baseline: the passes towards the mean image minus the baseline's probability, plain
        and clipped at 0; for the others also the passes towards the baseline itself, plain and
        minus its probability."""
        towards_mean = self.baseline["mean image"][1][:, asked]
        rows = {}
        for name, (base, probabilities, _) in self.baseline.items():
            rows[(name, "subtracted")] = towards_mean - base[asked]
            rows[(name, "subtracted, clipped at 0")] = F.relu(towards_mean - base[asked])
            if name != "mean image":
                rows[(name, "masked towards it")] = probabilities[:, asked]
                rows[(name, "masked towards it and subtracted")] = probabilities[:, asked] - base[asked]
        return rows

    def groups(self, asked_box, other_box):
        """Each channel's group (an index into GROUPS) by the articles it responds to."""
        scene_mean = self.upsampled.flatten(1).mean(1).clamp_min(1e-12)
        asked = self.upsampled[:, asked_box].mean(1) / scene_mean >= RESPONDS
        other = self.upsampled[:, other_box].mean(1) / scene_mean >= RESPONDS
        return torch.where(asked & other, 0, torch.where(asked, 1, torch.where(other, 2, 3)))


class Tally:
    """Per row: each scene's mean over its asked classes, and the wins and blank maps."""

    def __init__(self):
        self.rows = {}

    def add(self, row, maps):
        """maps: [(asked share, other share, blank)] of one scene, one per asked class."""
        entry = self.rows.setdefault(row, {"asked": [], "other": [], "wins": 0, "maps": 0, "blank": 0})
        entry["asked"].append(float(np.mean([m[0] for m in maps])))
        entry["other"].append(float(np.mean([m[1] for m in maps])))
        entry["wins"] += sum(1 for a, o, blank in maps if not blank and a > o)
        entry["maps"] += len(maps)
        entry["blank"] += sum(1 for _, _, blank in maps if blank)

    def summary(self):
        return {row: {"wins_percent": 100 * e["wins"] / e["maps"], "maps": e["maps"], "blank_maps": e["blank"],
                      "asked": (100 * np.mean(e["asked"]), 100 * np.std(e["asked"])),
                      "other": (100 * np.mean(e["other"]), 100 * np.std(e["other"]))}
                for row, e in self.rows.items()}


def measure(scene, classes, boxes, weightings_of):
    """{row: [(asked share, other share, blank)] per asked class} for the weightings `weightings_of`
    gives each asked class."""
    maps = {}
    for i, asked in enumerate(classes):
        asked_box, other_box = boxes[i], boxes[1 - i]
        for row, weights in weightings_of(asked).items():
            saliency_map, blank = saliency(weights, scene.activations, scene.size)
            maps.setdefault(row, []).append((*shares(saliency_map, asked_box, other_box), blank))
    return maps


def decompose(scene, classes, boxes):
    """The default map's energy, split exactly into the class-agnostic part, the mean weight times
    sum_k A_k, and the rest, sum_k (w_k - mean) A_k; per box, the agnostic part over the whole
    (above 1 where the rest is negative). And per channel group its share of the channels, of the
    map and of the other box, and its mean weight over the mean weight. All weights are positive and
    the activations are not negative, so every channel adds a non-negative amount to the map."""
    rows = []
    for i, asked in enumerate(classes):
        asked_box, other_box = boxes[i], boxes[1 - i]
        weights = scene.baseline["mean image"][1][:, asked]
        parts = weights[:, None, None] * scene.upsampled  # each channel's part of the map, [k, H, W]
        total = parts.sum(0)
        agnostic = weights.mean() * scene.upsampled.sum(0)
        groups = scene.groups(asked_box, other_box)
        row = {"agnostic/asked box": float(agnostic[asked_box].sum() / total[asked_box].sum()),
               "agnostic/other box": float(agnostic[other_box].sum() / total[other_box].sum())}
        for g, name in enumerate(GROUPS):
            chosen = groups == g
            row[(name, "channels")] = float(chosen.float().mean())
            row[(name, "map")] = float(parts[chosen].sum() / total.sum())
            row[(name, "other box")] = float(parts[chosen][:, other_box].sum() / total[other_box].sum())
            row[(name, "weight")] = float(weights[chosen].mean() / weights.mean()) if chosen.any() else float("nan")
        rows.append(row)
    return rows


def print_table(title, summary):
    print(f"\n{title}\n")
    print("| weights | asked article wins % | energy in the asked box % | energy in the other box % | blank maps |")
    print("|---|---|---|---|---|")
    for row, s in summary.items():
        name = " / ".join(row) if isinstance(row, tuple) else row
        print(f"| {name} | {s['wins_percent']:.1f} | {s['asked'][0]:.1f} ± {s['asked'][1]:.1f} "
              f"| {s['other'][0]:.1f} ± {s['other'][1]:.1f} | {s['blank_maps']} |")


def print_decomposition(rows):
    def spread(key, scale=100, decimals=1):
        values = scale * np.array([r[key] for r in rows])
        values = values[~np.isnan(values)]
        return f"{values.mean():.{decimals}f} ± {values.std():.{decimals}f}"

    negative = 100 * np.mean([r["agnostic/other box"] > 1 for r in rows])
    print(f"\nThe default map's energy, {len(rows)} maps, mean ± standard deviation over maps\n")
    print("- its class-agnostic part (the mean weight times sum_k A_k) over the whole: "
          f"{spread('agnostic/asked box', 1, 2)} in the asked box, {spread('agnostic/other box', 1, 2)} in the other "
          f"box; the rest is negative over the other box in {negative:.1f}% of the maps\n")
    print(f"| channels that respond to (mean in the box >= {RESPONDS:g}x the scene's) | share of the channels % "
          "| share of the map % | share of the map's energy in the other box % | mean weight / all channels' mean |")
    print("|---|---|---|---|---|")
    for name in GROUPS:
        print(f"| {name} | {spread((name, 'channels'))} | {spread((name, 'map'))} | {spread((name, 'other box'))} "
              f"| {spread((name, 'weight'), 1, 2)} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", help="two-article scenes and their boxes.json (fashion_scenes --write --articles 2)")
    parser.add_argument("--model", default="models/fashion_scenes.pt", help="the bundled model or a retraining of it")
    parser.add_argument("--limit", type=int, help="the first N scenes only")
    parser.add_argument("--json", help="write the summaries here")
    args = parser.parse_args()

    model, sidecar = load_model(args.model)
    layer = model.get_submodule(sidecar["target_layer"])
    with open(os.path.join(args.folder, "boxes.json")) as f:
        labelled = json.load(f)
    names = sorted(labelled)[:args.limit]
    weightings, baseline_rows, decomposition = Tally(), Tally(), []
    for n, name in enumerate(names):
        if n % 25 == 0:
            print(f"[{n + 1}/{len(names)}] {name}", flush=True)
        x = model_input(os.path.join(args.folder, name), sidecar)
        scene = Scene(model, layer, x, sidecar)
        if len(labelled[name]) != 2:
            raise SystemExit(f"{name}: {len(labelled[name])} boxes; this analysis takes two-article scenes")
        classes = [sidecar["labels"].index(b["class"]) for b in labelled[name]]
        boxes = [box_mask(b["box"], scene.size) for b in labelled[name]]
        for row, maps in measure(scene, classes, boxes, scene.weightings).items():
            weightings.add(row, maps)
        for row, maps in measure(scene, classes, boxes, scene.baseline_weightings).items():
            baseline_rows.add(row, maps)
        decomposition += decompose(scene, classes, boxes)

    print(f"\n{len(names)} scenes of {args.folder}, {2 * len(names)} maps per row; model {args.model}, "
          f"target layer {sidecar['target_layer']}")
    print_table("Weightings (masked towards the mean image, as the core does)", weightings.summary())
    print_table(f"Baselines (blur sigma {BLUR_SIGMA:g} px)", baseline_rows.summary())
    print_decomposition(decomposition)
    if args.json:
        def keyed(summary):
            return {" / ".join(k) if isinstance(k, tuple) else k: v for k, v in summary.items()}
        with open(args.json, "w") as f:
            json.dump({"weightings": keyed(weightings.summary()), "baselines": keyed(baseline_rows.summary()),
                       "decomposition": [{" / ".join(k) if isinstance(k, tuple) else k: v for k, v in r.items()}
                                         for r in decomposition]}, f, indent=1)


if __name__ == "__main__":
    main()
