"""Trains the small Fashion-MNIST scene classifier used by the scorecam demos, on CPU.

Training scenes come from the train split of Fashion-MNIST, test scenes from the test split
(articles the model never saw), both built by fashion_scenes.py with fixed seeds. The model is
exported with torch.jit.trace beside a JSON sidecar that tells the C++ core its input convention
and the layer Score-CAM explains.

  PYTHONPATH=python /usr/bin/python3 -m scorecam_training.train_fashion_model --out models/fashion_scenes.pt
  PYTHONPATH=python /usr/bin/python3 -m scorecam_training.train_fashion_model --out models/fashion_scenes.pt --eval-only
  PYTHONPATH=python /usr/bin/python3 -m scorecam_training.train_fashion_model --out models/fashion_scenes.int8.pt --eval-only
(the int8 copy is made by quantize_bundled.)
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
from torch import nn

from . import fashion_scenes, int8
from .int8 import sidecar_path

TARGET_LAYER = "features.3"
INPUT_SIZE = (fashion_scenes.SCENE_SIZE, fashion_scenes.SCENE_SIZE)  # (height, width)
LEARNING_RATE = 0.05  # peak of each one-cycle schedule
SMALL_SIZE = 48       # scene size of the first training phase


def conv_block(in_channels, out_channels, stride=1):
    # No conv bias: BatchNorm's shift does the same job.
    return nn.Sequential(nn.Conv2d(in_channels, out_channels, 3, stride, 1, bias=False),
                         nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True))


class SceneNet(nn.Module):
    """Four conv stages down to a 64 x 12 x 12 map at 96 x 96 input, global average pool, linear.

    features.3 is the last spatial stage, the Score-CAM target. Its inner convolution is 128 wide,
    where a 12 x 12 map makes width cheap, while its output stays at 64 channels to keep
    Score-CAM's one-forward-pass-per-channel cost low. The stem halves the resolution by pixel
    unshuffle (each 2 x 2 block of pixels becomes 12 channels), which keeps every pixel for the
    look-alike classes (shirt, T-shirt, pullover), where a stride-2 convolution would already drop
    detail. Being fully convolutional with a global pool, the network also runs on the smaller
    scenes of the first training phase.
    """

    def __init__(self, classes=len(fashion_scenes.LABELS)):
        super().__init__()
        self.features = nn.Sequential(
            nn.Sequential(nn.PixelUnshuffle(2), conv_block(12, 32)),       # 48 x 48
            conv_block(32, 64, stride=2),                                  # 24 x 24
            nn.Sequential(conv_block(64, 64), nn.MaxPool2d(2)),            # 12 x 12
            nn.Sequential(conv_block(64, 128), conv_block(128, 128),
                          conv_block(128, 64)))                            # 12 x 12, target
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(64, classes)

    def forward(self, x):
        return self.classifier(torch.flatten(self.pool(self.features(x)), 1))


class Normalizer:
    """uint8 NHWC scenes -> normalized float NCHW, the convention written in the sidecar."""

    def __init__(self, mean, std):
        self.mean = torch.tensor(mean, dtype=torch.float32).view(1, 3, 1, 1)
        self.std = torch.tensor(std, dtype=torch.float32).view(1, 3, 1, 1)

    def __call__(self, images_uint8):
        x = images_uint8.permute(0, 3, 1, 2).float().div_(255.0)
        return (x - self.mean) / self.std


def channel_stats(images, chunk=1000):
    """Per-channel mean and std of pixels on [0, 1]. Sums in float64, a chunk of scenes at a
    time: the whole set in float64 would take several GB."""
    total, total_squares = np.zeros(3), np.zeros(3)
    for start in range(0, len(images), chunk):
        pixels = images[start:start + chunk].reshape(-1, 3).astype(np.float64) / 255.0
        total += pixels.sum(axis=0)
        total_squares += (pixels ** 2).sum(axis=0)
    count = images.shape[0] * images.shape[1] * images.shape[2]
    mean = total / count
    return mean.tolist(), np.sqrt(total_squares / count - mean ** 2).tolist()


def augment(batch, generator):
    """Random horizontal flips (every class is mirror-symmetric) and channel permutations
    (article and clutter colours are random anyway): more variety without building more scenes."""
    flip = torch.rand(batch.shape[0], generator=generator) < 0.5
    batch[flip] = batch[flip].flip(3)
    permutation = torch.randperm(3, generator=generator)
    return batch[:, permutation]


def train(model, images, labels, normalize, epochs, batch_size, generator):
    """One one-cycle schedule of SGD over epochs passes on the scenes."""
    # channels_last nearly doubles the speed of CPU convolutions here (oneDNN's native layout).
    model.to(memory_format=torch.channels_last)
    optimizer = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE, momentum=0.9, nesterov=True,
                                weight_decay=5e-4)
    steps_per_epoch = (len(images) + batch_size - 1) // batch_size
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=LEARNING_RATE, epochs=epochs,
                                                   steps_per_epoch=steps_per_epoch, pct_start=0.15)
    for epoch in range(epochs):
        model.train()
        started = time.time()
        order = torch.randperm(len(images), generator=generator)
        total_loss, correct = 0.0, 0
        for start in range(0, len(images), batch_size):
            index = order[start:start + batch_size]
            x = augment(normalize(images[index]), generator).contiguous(memory_format=torch.channels_last)
            y = labels[index]
            logits = model(x)
            loss = nn.functional.cross_entropy(logits, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            total_loss += loss.item() * len(index)
            correct += (logits.argmax(1) == y).sum().item()
        print(f"  epoch {epoch + 1}/{epochs}: loss {total_loss / len(images):.4f}, "
              f"train accuracy {correct / len(images):.4f}, {time.time() - started:.0f} s", flush=True)
    model.to(memory_format=torch.contiguous_format)  # export the plain layout the C++ side expects


@torch.no_grad()
def evaluate(model, images, labels, normalize, batch_size=256):
    """Returns (accuracy, per-class accuracy list)."""
    model.eval()
    predictions = torch.cat([model(normalize(images[i:i + batch_size])).argmax(1)
                             for i in range(0, len(images), batch_size)])
    hits = predictions == labels
    per_class = [hits[labels == c].float().mean().item() for c in range(len(fashion_scenes.LABELS))]
    return hits.float().mean().item(), per_class


def export(model, path, mean, std):
    model.eval()
    example = torch.zeros(1, 3, *INPUT_SIZE)
    with torch.no_grad():
        traced = torch.jit.trace(model, example)
    traced.save(path)
    sidecar = {"input_size": list(INPUT_SIZE), "mean": mean, "std": std, "color_order": "RGB",
               "labels": fashion_scenes.LABELS, "target_layer": TARGET_LAYER, "input_channels": 3}
    with open(sidecar_path(path), "w") as f:
        json.dump(sidecar, f, indent=1)
        f.write("\n")


def target_layer_shape(model):
    """[K, h, w] of the target layer at the sidecar's input size, found by a forward hook."""
    shapes = []
    layer = model.get_submodule(TARGET_LAYER)
    handle = layer.register_forward_hook(lambda module, inputs, output: shapes.append(list(output.shape[1:])))
    with torch.no_grad():
        model.eval()(torch.zeros(1, 3, *INPUT_SIZE))
    handle.remove()
    return shapes[0]


def positive_int(text):
    """argparse type for counts: below 1 they would fail only after minutes of building scenes."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, help="TorchScript file to write (or read with --eval-only)")
    parser.add_argument("--epochs", type=positive_int, default=3, help="passes over the 96x96 scenes (phase 2)")
    parser.add_argument("--small-epochs", type=positive_int, default=6, help="passes over the small scenes (phase 1)")
    parser.add_argument("--small-scenes", type=positive_int, default=60000)
    parser.add_argument("--seed", type=int, default=0, help="seeds the training scenes and the weights")
    parser.add_argument("--train-scenes", type=positive_int, default=40000, help="96x96 scenes of phase 2")
    parser.add_argument("--test-scenes", type=positive_int, default=10000,
                        help="10000 (the default) is one scene per test-split article, each once")
    parser.add_argument("--test-seed", type=int, default=1000, help="seeds the test-split scenes")
    parser.add_argument("--batch-size", type=positive_int, default=64)
    parser.add_argument("--threads", type=positive_int, default=2)
    parser.add_argument("--eval-only", action="store_true",
                        help="measure an exported model (and its sidecar), or its int8 copy, on the test scenes; "
                             "no training")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    started = time.time()

    test_images, test_labels, _ = fashion_scenes.make_dataset("test", args.test_scenes, args.test_seed)
    test_images, test_labels = torch.from_numpy(test_images), torch.from_numpy(test_labels)

    if args.eval_only:
        model, sidecar = int8.load(args.out)
        normalize = Normalizer(sidecar["mean"], sidecar["std"])
    else:
        torch.manual_seed(args.seed)
        generator = torch.Generator().manual_seed(args.seed)
        model = SceneNet()
        # Phase 1, a curriculum that is also cheap: articles nearly fill small 48 x 48 scenes with
        # a quarter of the clutter, at a quarter of the cost per scene. Here the network learns
        # the articles' shapes; on full scenes from the start it spent its first epochs near chance.
        small, small_labels, _ = fashion_scenes.make_dataset(
            "train", args.small_scenes, args.seed + 1, size=SMALL_SIZE,
            size_range=(fashion_scenes.ARTICLE_SIZE_RANGE[0], SMALL_SIZE))
        images, labels, _ = fashion_scenes.make_dataset("train", args.train_scenes, args.seed)
        mean, std = channel_stats(images)
        print(f"{args.small_scenes} {SMALL_SIZE}x{SMALL_SIZE} and {args.train_scenes} {fashion_scenes.SCENE_SIZE}x"
              f"{fashion_scenes.SCENE_SIZE} training scenes (and the {args.test_scenes} test scenes) "
              f"built in {time.time() - started:.0f} s; mean {np.round(mean, 4).tolist()}, "
              f"std {np.round(std, 4).tolist()}", flush=True)
        normalize = Normalizer(mean, std)
        print(f"phase 1: {SMALL_SIZE}x{SMALL_SIZE} scenes", flush=True)
        train(model, torch.from_numpy(small), torch.from_numpy(small_labels), normalize,
              args.small_epochs, args.batch_size, generator)
        del small, small_labels
        # Phase 2: the real task, full clutter, articles a third to a half of the scene.
        print(f"phase 2: {fashion_scenes.SCENE_SIZE}x{fashion_scenes.SCENE_SIZE} scenes", flush=True)
        train(model, torch.from_numpy(images), torch.from_numpy(labels), normalize,
              args.epochs, args.batch_size, generator)
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        export(model, args.out, mean, std)
        print(f"wrote {args.out} and {sidecar_path(args.out)}; target layer {TARGET_LAYER} "
              f"{target_layer_shape(model)}")
        model = torch.jit.load(args.out)  # measure what was exported, not the eager module

    accuracy, per_class = evaluate(model, test_images, test_labels, normalize)
    print("per class: " + ", ".join(f"{name} {a:.3f}" for name, a in zip(fashion_scenes.LABELS, per_class)))
    print(f"test-split scene accuracy: {accuracy:.4f} on {args.test_scenes} scenes (seed {args.test_seed})")
    print(f"wall time {time.time() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
