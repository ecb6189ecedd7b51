"""Renders the sample clip: test-split Fashion-MNIST articles moving over slowly panning clutter.

Deterministic frames (fixed seed, fixed articles), encoded to H.264 in MP4 by gst-launch-1.0,
with one JSON line of ground truth per frame:
  {"frame": i, "pts_ns": t, "objects": [{"label": id, "name": "...", "box": [x0, y0, x1, y1]}]}
Boxes are tight around the article's nonzero pixels, in frame pixels, end exclusive.

The main article is about 0.4 of the frame height, so that in a frame resized to 96 x 96 it is
38 px tall, mid-way in the 28..56 px range the model was trained on. It is drawn 4/3 times wider
than its square source so that the 4:3 -> 1:1 squash gives it back its own proportions, which
the model was trained on (within 10%). After writing, the script decodes the MP4 back and
checks frames and content.

  PYTHONPATH=python /usr/bin/python3 -m scorecam_training.make_sample_video --out samples/fashion_walk.mp4
  PYTHONPATH=python /usr/bin/python3 -m scorecam_training.make_sample_video --out samples/fashion_walk.mp4 \
      --check-model models/fashion_scenes.pt
"""
import argparse
import json
import os
import subprocess
import sys

import numpy as np
from PIL import Image

from . import fashion_scenes

WIDTH, HEIGHT, FPS, SECONDS = 320, 240, 30, 4
PAN = (80, 40)            # background travel over the clip, pixels (x, y): slow drift, ~0.7 px/frame
WIDTH_STRETCH = 4 / 3     # see the module docstring


class Walker:
    """An article moving on a straight line, with a gentle vertical bob, fully inside the frame."""

    def __init__(self, image28, label, height, start, end, bob, tint):
        self.image28, self.label, self.tint = image28, int(label), tint
        self.height = height
        self.width = int(round(height * WIDTH_STRETCH))
        self.start, self.end, self.bob = np.array(start, float), np.array(end, float), bob

    def position(self, t):
        """Top-left corner at t in [0, 1]."""
        x, y = self.start + t * (self.end - self.start)
        y += self.bob * np.sin(2 * np.pi * t)
        return int(round(x)), int(round(y))


def make_walkers(rng, articles, labels, indices, background):
    """The main article crosses left to right through the lower middle; the second, smaller one
    (25 px tall at 96 x 96, below the training range, so a distractor more than a rival class)
    crosses right to left above it, so the two never overlap."""
    tint = lambda: fashion_scenes.pick_tint(rng, background)  # noqa: E731
    main, second = indices
    main_height, second_height = 96, 64
    main_width = int(round(main_height * WIDTH_STRETCH))
    second_width = int(round(second_height * WIDTH_STRETCH))
    return [
        Walker(articles[main], labels[main], main_height, start=(8, 120), end=(WIDTH - 8 - main_width, 120),
               bob=12, tint=tint()),
        Walker(articles[second], labels[second], second_height, start=(WIDTH - 8 - second_width, 12),
               end=(8, 12), bob=0, tint=tint()),
    ]


def render(seed, indices):
    """Yields (frame uint8 HxWx3 RGB, objects) for every frame of the clip."""
    rng = np.random.default_rng(seed)
    articles, labels = fashion_scenes.load_fashion_mnist("test")
    # One clutter canvas larger than the frame; each frame is a window on it that moves slowly.
    canvas = fashion_scenes.make_clutter(rng, HEIGHT + PAN[1], WIDTH + PAN[0], reference_area=WIDTH * HEIGHT)
    fashion_scenes.add_noise(rng, canvas, sigma_max=0.03)
    walkers = make_walkers(rng, articles, labels, indices, canvas)
    frames = FPS * SECONDS
    for i in range(frames):
        t = i / (frames - 1)
        ox, oy = int(round(t * PAN[0])), int(round(t * PAN[1]))
        frame = canvas[oy:oy + HEIGHT, ox:ox + WIDTH].copy()
        objects = []
        for walker in walkers:
            x, y = walker.position(t)
            box = fashion_scenes.place_article(frame, walker.image28, x, y, walker.width, walker.height, walker.tint)
            objects.append({"label": walker.label, "name": fashion_scenes.LABELS[walker.label], "box": list(box)})
        yield fashion_scenes.to_uint8(frame), objects


def pts_ns(frame_index):
    # rawvideoparse stamps frame i with gst_util_uint64_scale(i, GST_SECOND, fps): rounded down.
    return frame_index * 1_000_000_000 // FPS


def encode_pipeline(path):
    # I420 for x264enc: from RGB it would otherwise pick 4:4:4, which many players cannot decode.
    return ["gst-launch-1.0", "-q", "fdsrc", "fd=0", "!",
            "rawvideoparse", f"width={WIDTH}", f"height={HEIGHT}", "format=rgb", f"framerate={FPS}/1", "!",
            "videoconvert", "!", "video/x-raw,format=I420", "!",
            "x264enc", "bitrate=1000", "speed-preset=medium", f"key-int-max={FPS}", "threads=1", "!",
            "h264parse", "!", "mp4mux", "!", "filesink", f"location={path}"]


def decode(path):
    """All frames of the file as uint8 [N, H, W, 3] RGB, through decodebin."""
    command = ["gst-launch-1.0", "-q", "filesrc", f"location={path}", "!", "decodebin", "!",
               "videoconvert", "!", "video/x-raw,format=RGB", "!", "fdsink", "fd=1"]
    raw = subprocess.run(command, check=True, stdout=subprocess.PIPE).stdout
    frame_bytes = WIDTH * HEIGHT * 3
    if len(raw) % frame_bytes:
        raise RuntimeError(f"decoded {len(raw)} bytes, not a whole number of {WIDTH}x{HEIGHT} RGB frames")
    return np.frombuffer(raw, np.uint8).reshape(-1, HEIGHT, WIDTH, 3)


def write_clip(video_path, boxes_path, seed, indices):
    """Renders, encodes and writes the ground truth; returns the rendered frames."""
    encoder = subprocess.Popen(encode_pipeline(video_path), stdin=subprocess.PIPE)
    rendered = []
    with open(boxes_path, "w") as boxes:
        for i, (frame, objects) in enumerate(render(seed, indices)):
            encoder.stdin.write(frame.tobytes())
            rendered.append(frame)
            boxes.write(json.dumps({"frame": i, "pts_ns": pts_ns(i), "objects": objects}) + "\n")
    encoder.stdin.close()
    if encoder.wait() != 0:
        raise RuntimeError(f"gst-launch-1.0 failed with status {encoder.returncode}")
    return np.stack(rendered)


def check_decoded(video_path, rendered):
    decoded = decode(video_path)
    if len(decoded) != len(rendered):
        raise RuntimeError(f"{video_path}: decoded {len(decoded)} frames, rendered {len(rendered)}")
    error = np.abs(decoded.astype(np.int16) - rendered.astype(np.int16)).mean()
    print(f"{video_path}: {os.path.getsize(video_path)} bytes, {len(decoded)} frames decode, "
          f"mean absolute error {error:.2f} / 255 against the rendered frames")


def check_model(model_path, video_path, boxes_path):
    """Top-1 of the model on each decoded frame resized to its input size (PIL bilinear), against
    the main article's label: how well the clip suits a single-label demo."""
    import torch  # only this check needs it

    with open(os.path.splitext(model_path)[0] + ".json") as f:
        sidecar = json.load(f)
    with open(boxes_path) as f:
        main_labels = [json.loads(line)["objects"][0]["label"] for line in f]
    height, width = sidecar["input_size"]
    frames = np.stack([np.asarray(Image.fromarray(frame).resize((width, height), Image.BILINEAR))
                       for frame in decode(video_path)])
    x = torch.from_numpy(frames).permute(0, 3, 1, 2).float() / 255.0
    x = (x - torch.tensor(sidecar["mean"]).view(1, 3, 1, 1)) / torch.tensor(sidecar["std"]).view(1, 3, 1, 1)
    with torch.no_grad():
        predicted = torch.jit.load(model_path)(x).argmax(1).numpy()
    hits = predicted == np.array(main_labels)
    counts = np.bincount(predicted, minlength=len(sidecar["labels"]))
    print(f"{model_path}: top-1 is the main article ({sidecar['labels'][main_labels[0]]}) in "
          f"{hits.sum()} of {len(hits)} frames; predictions per class {counts.tolist()}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, help="MP4 to write; the boxes go to <name>_boxes.jsonl beside it")
    parser.add_argument("--seed", type=int, default=0, help="seeds the background and the tints")
    parser.add_argument("--articles", type=int, nargs=2, default=[0, 1], metavar=("MAIN", "SECOND"),
                        help="test-split indices of the two articles (default 0 1: an ankle boot, a pullover)")
    parser.add_argument("--check-model", metavar="PT", help="also report a model's top-1 on the decoded frames")
    args = parser.parse_args()

    boxes_path = os.path.splitext(args.out)[0] + "_boxes.jsonl"
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    rendered = write_clip(args.out, boxes_path, args.seed, args.articles)
    print(f"wrote {args.out} and {boxes_path}")
    check_decoded(args.out, rendered)
    if args.check_model:
        check_model(args.check_model, args.out, boxes_path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
