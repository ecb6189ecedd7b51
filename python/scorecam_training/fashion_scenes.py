"""Cluttered "scenes" built from Fashion-MNIST, for training and testing a saliency demo model.

A scene is one Fashion-MNIST article, tinted with a random colour, placed at a random position,
scale and aspect ratio on an RGB canvas covered with synthetic clutter (gradients, stripes,
blobs, strokes, noise). The clutter contains no article pixels at all, so the only evidence of
the class is the article itself, and a saliency map of a correct classifier should point at it.
Two-article scenes put two articles of different classes side by side, one in each half, for
measuring whether a map follows the class it is asked for (scorecam-eval --discrimination).

Everything is drawn from a numpy Generator, so a seed fixes every scene exactly.

  PYTHONPATH=python /usr/bin/python3 -m scorecam_training.fashion_scenes --selftest        # determinism, boxes
  PYTHONPATH=python /usr/bin/python3 -m scorecam_training.fashion_scenes --preview out.png # 4x4 test scenes
  PYTHONPATH=python /usr/bin/python3 -m scorecam_training.fashion_scenes --write DIR --count 300  # for scorecam-eval
  ... --write DIR --count 200 --articles 2   # two articles of different classes: scorecam-eval --discrimination
"""
import argparse
import colorsys
import gzip
import json
import os
import sys

import numpy as np
from PIL import Image, ImageDraw

DATA_DIR = "/usr/share/datasets/fashion-mnist"  # Debian package dataset-fashion-mnist
LABELS = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
          "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
SCENE_SIZE = 96
ARTICLE_SIZE_RANGE = (28, 56)   # article height in pixels on a 96x96 scene
# Width/height stretch, kept slight: proportions tell T-shirt, shirt, pullover, coat and dress
# apart, so a strong stretch turns one look-alike into another; make_sample_video.py pre-widens
# its articles for the 4:3 squash instead.
ASPECT_RANGE = (0.9, 1.1)
# Article height on a two-article scene: each lies within its half, 48 pixels wide, stretch included.
PAIR_ARTICLE_SIZE_RANGE = (28, 43)
BACKGROUND_VALUES = (0.0, 0.6)  # HSV value of the background gradient's colours
TINT_VALUES = (0.6, 1.0)        # HSV value of article tints
TINT_SATURATIONS = (0.0, 1.0)   # HSV saturation of article tints
BLOB_COUNTS = (2, 7)            # per 96x96 scene, [low, high)
STROKE_COUNTS = (3, 10)


def _read_idx(path, header_bytes):
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=header_bytes)


def load_fashion_mnist(split, data_dir=DATA_DIR):
    """Returns (images [N, 28, 28] uint8, labels [N] uint8) of split "train" or "test"."""
    prefix = {"train": "train", "test": "t10k"}[split]
    images = _read_idx(os.path.join(data_dir, f"{prefix}-images-idx3-ubyte.gz"), 16)
    labels = _read_idx(os.path.join(data_dir, f"{prefix}-labels-idx1-ubyte.gz"), 8)
    return images.reshape(-1, 28, 28), labels


# ---- clutter: every helper works on a float32 HxWx3 canvas in [0, 1], at any size ----

def random_colour(rng, value_range=(0.0, 1.0), saturation_range=(0.0, 1.0)):
    hue = rng.uniform()
    return np.array(colorsys.hsv_to_rgb(hue, rng.uniform(*saturation_range), rng.uniform(*value_range)),
                    dtype=np.float32)


def _grid(height, width):
    """Row and column coordinates as a column and a row, which broadcast to height x width."""
    return (np.arange(height, dtype=np.float32)[:, None], np.arange(width, dtype=np.float32)[None, :])


def gradient(rng, height, width):
    """A linear blend between two random colours in a random direction.

    The colours are darker than article tints (value <= 0.6 against >= 0.6): with an article
    that may be darker or lighter than its background, the small model did not get past chance
    in a 2-core CPU training budget. Blobs and strokes still take any colour, bright ones
    included, so finding the article is not a matter of finding the brightest region."""
    angle = rng.uniform(0, 2 * np.pi)
    ys, xs = _grid(height, width)
    t = xs / width * np.cos(angle) + ys / height * np.sin(angle)
    t = (t - t.min()) / max(float(t.max() - t.min()), 1e-6)
    start, end = (random_colour(rng, value_range=BACKGROUND_VALUES) for _ in range(2))
    return start + t[..., None] * (end - start)


def add_stripes(rng, canvas, amplitude_max=0.15):
    """Faint sinusoidal stripes: a periodic texture with edges everywhere, unlike any article."""
    height, width, _ = canvas.shape
    angle = rng.uniform(0, np.pi)
    period = rng.uniform(4, 24)
    ys, xs = _grid(height, width)
    wave = np.sin((xs * np.cos(angle) + ys * np.sin(angle)) * 2 * np.pi / period + rng.uniform(0, 2 * np.pi))
    canvas += rng.uniform(0, amplitude_max) * wave[..., None] * random_colour(rng)[None, None, :]


def _rgba8(colour, opacity):
    return tuple(int(c * 255) for c in colour) + (int(opacity * 255),)


def add_blobs(rng, draw, width, height, count):
    """Semi-transparent ellipses: solid regions the size of an article, with no article shape."""
    scale = min(height, width)
    for _ in range(count):
        cx, cy = rng.uniform(0, width), rng.uniform(0, height)
        rx, ry = rng.uniform(0.05, 0.3, size=2) * scale
        draw.ellipse([cx - rx, cy - ry, cx + rx, cy + ry], fill=_rgba8(random_colour(rng), rng.uniform(0.3, 0.9)))


def add_strokes(rng, draw, width, height, count):
    """Random polylines: thin, high-contrast edges that compete with the article's outline."""
    scale = min(height, width)
    for _ in range(count):
        vertices = int(rng.integers(2, 5))
        points = [(float(x), float(y)) for x, y in
                  zip(rng.uniform(0, width, size=vertices), rng.uniform(0, height, size=vertices))]
        line_width = max(1, int(rng.uniform(0.01, 0.04) * scale))
        draw.line(points, fill=_rgba8(random_colour(rng), rng.uniform(0.5, 1.0)), width=line_width)


def add_noise(rng, canvas, sigma_max=0.06):
    canvas += rng.uniform(0, sigma_max) * rng.standard_normal(size=canvas.shape, dtype=np.float32)


def make_clutter(rng, height, width, reference_area=SCENE_SIZE ** 2):
    """A background of gradient, stripes, blobs and strokes.

    Shape counts are those of a training scene per reference_area pixels: a video frame that the
    model sees resized to 96 x 96 should pass its own area, so that it looks as busy as a scene.
    """
    canvas = gradient(rng, height, width)
    add_stripes(rng, canvas)
    # PIL draws the shapes: an "RGBA" Draw on an RGB image alpha-blends each one as it goes.
    image = Image.fromarray(to_uint8(canvas))
    draw = ImageDraw.Draw(image, "RGBA")
    count_factor = height * width / reference_area
    add_blobs(rng, draw, width, height, int(rng.integers(*BLOB_COUNTS) * count_factor))
    add_strokes(rng, draw, width, height, int(rng.integers(*STROKE_COUNTS) * count_factor))
    return np.asarray(image, dtype=np.float32) / 255.0


# ---- articles ----

def pick_tint(rng, background_patch, candidates=4):
    """A random colour, the most distant of a few from the patch's mean colour, so that the
    article is usually visible, though not always by a wide margin."""
    mean = background_patch.reshape(-1, 3).mean(axis=0)
    options = [random_colour(rng, value_range=TINT_VALUES, saturation_range=TINT_SATURATIONS)
               for _ in range(candidates)]
    return max(options, key=lambda c: float(np.abs(c - mean).sum()))


def place_article(canvas, image28, x, y, width, height, tint):
    """Draws the article resized to width x height with its top-left corner at (x, y), in place.

    The article is opaque wherever it has ink, with only its anti-aliased rim blending into the
    background; its intensity drives its shading, so its inner texture survives tinting. (Dark
    article pixels that let the clutter through would make the clutter part of the article.)
    Returns the tight box (x0, y0, x1, y1), exclusive end, of the article's nonzero pixels after
    resizing.
    """
    resized = np.asarray(Image.fromarray(image28).resize((width, height), Image.BILINEAR))
    intensity = resized.astype(np.float32)[..., None] / 255.0
    alpha = np.clip(intensity * 20.0, 0.0, 1.0)
    colour = tint[None, None, :] * (0.25 + 0.75 * intensity)
    region = canvas[y:y + height, x:x + width]
    region *= 1 - alpha
    region += alpha * colour
    rows = np.flatnonzero(resized.any(axis=1))
    cols = np.flatnonzero(resized.any(axis=0))
    return (x + int(cols[0]), y + int(rows[0]), x + int(cols[-1]) + 1, y + int(rows[-1]) + 1)


def to_uint8(canvas):
    return (np.clip(canvas, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def make_scene(rng, image28, size=SCENE_SIZE, size_range=ARTICLE_SIZE_RANGE, aspect_range=ASPECT_RANGE):
    """One scene: returns (image [size, size, 3] uint8 RGB, box (x0, y0, x1, y1) of the article)."""
    canvas = make_clutter(rng, size, size)
    height = int(rng.integers(size_range[0], size_range[1] + 1))
    width = min(size, int(round(height * rng.uniform(*aspect_range))))
    x = int(rng.integers(0, size - width + 1))
    y = int(rng.integers(0, size - height + 1))
    tint = pick_tint(rng, canvas[y:y + height, x:x + width])
    box = place_article(canvas, image28, x, y, width, height, tint)
    add_noise(rng, canvas)
    return to_uint8(canvas), box


def make_pair_scene(rng, pair28, size=SCENE_SIZE, size_range=PAIR_ARTICLE_SIZE_RANGE, aspect_range=ASPECT_RANGE):
    """Two articles side by side on one cluttered scene, each placed at random within its own half
    (left, then right), so that their boxes never overlap: returns (image [size, size, 3] uint8
    RGB, [box of the left article, box of the right one])."""
    canvas = make_clutter(rng, size, size)
    half = size // 2
    boxes = []
    for side, image28 in enumerate(pair28):
        height = int(rng.integers(size_range[0], size_range[1] + 1))
        width = min(half, int(round(height * rng.uniform(*aspect_range))))
        x = side * half + int(rng.integers(0, half - width + 1))
        y = int(rng.integers(0, size - height + 1))
        tint = pick_tint(rng, canvas[y:y + height, x:x + width])
        boxes.append(place_article(canvas, image28, x, y, width, height, tint))
    add_noise(rng, canvas)
    return to_uint8(canvas), boxes


def make_pair_dataset(split, n, seed, size=SCENE_SIZE):
    """n two-article scenes from the articles of split, the two of each scene of different classes;
    returns (images [n, size, size, 3] uint8, labels [n, 2] int64, boxes [n, 2, 4] int64), left
    article first. The left articles are drawn without replacement while they last."""
    rng = np.random.default_rng(seed)
    articles, article_labels = load_fashion_mnist(split)
    firsts = rng.choice(len(articles), size=n, replace=n > len(articles))
    images = np.empty((n, size, size, 3), dtype=np.uint8)
    labels = np.empty((n, 2), dtype=np.int64)
    boxes = np.empty((n, 2, 4), dtype=np.int64)
    for i, first in enumerate(firsts):
        second = rng.choice(np.flatnonzero(article_labels != article_labels[first]))
        images[i], boxes[i] = make_pair_scene(rng, (articles[first], articles[second]), size=size)
        labels[i] = (article_labels[first], article_labels[second])
    return images, labels, boxes


def make_dataset(split, n, seed, size=SCENE_SIZE, size_range=ARTICLE_SIZE_RANGE):
    """n scenes from the articles of split; returns (images [n, size, size, 3] uint8,
    labels [n] int64, boxes [n, 4] int64). Articles are drawn without replacement while they last."""
    rng = np.random.default_rng(seed)
    articles, article_labels = load_fashion_mnist(split)
    picks = rng.choice(len(articles), size=n, replace=n > len(articles))
    images = np.empty((n, size, size, 3), dtype=np.uint8)
    boxes = np.empty((n, 4), dtype=np.int64)
    for i, index in enumerate(picks):
        images[i], boxes[i] = make_scene(rng, articles[index], size=size, size_range=size_range)
    return images, article_labels[picks].astype(np.int64), boxes


# ---- command line ----

def selftest():
    first = make_dataset("test", 32, seed=7)
    again = make_dataset("test", 32, seed=7)
    other = make_dataset("test", 32, seed=8)
    assert all(np.array_equal(a, b) for a, b in zip(first, again)), "same seed gave different scenes"
    assert not np.array_equal(first[0], other[0]), "different seeds gave the same scenes"

    images, labels, boxes = first
    assert images.shape == (32, SCENE_SIZE, SCENE_SIZE, 3) and images.dtype == np.uint8
    assert labels.min() >= 0 and labels.max() < len(LABELS)
    assert (boxes[:, :2] >= 0).all() and (boxes[:, 2:] <= SCENE_SIZE).all()
    assert (boxes[:, 2:] > boxes[:, :2]).all()

    # On a black canvas with a white tint, the lit pixels are exactly the article: every one must
    # lie inside the box, and each side of the box must touch one.
    rng = np.random.default_rng(0)
    articles, _ = load_fashion_mnist("test")
    for article in articles[:50]:
        height = int(rng.integers(*ARTICLE_SIZE_RANGE))
        width = int(height * rng.uniform(*ASPECT_RANGE))
        x, y = int(rng.integers(0, SCENE_SIZE - width)), int(rng.integers(0, SCENE_SIZE - height))
        canvas = np.zeros((SCENE_SIZE, SCENE_SIZE, 3), dtype=np.float32)
        x0, y0, x1, y1 = place_article(canvas, article, x, y, width, height, np.ones(3, np.float32))
        lit = canvas.any(axis=2)
        assert not lit[:y0].any() and not lit[y1:].any(), "article pixels above or below the box"
        assert not lit[:, :x0].any() and not lit[:, x1:].any(), "article pixels left or right of the box"
        assert lit[y0].any() and lit[y1 - 1].any() and lit[:, x0].any() and lit[:, x1 - 1].any(), \
            "box is not tight"

    # Two-article scenes: the same seed, the same scenes; two classes; each box within its half.
    pairs = make_pair_dataset("test", 32, seed=7)
    assert all(np.array_equal(a, b) for a, b in zip(pairs, make_pair_dataset("test", 32, seed=7))), \
        "same seed gave different two-article scenes"
    images, labels, boxes = pairs
    assert images.shape == (32, SCENE_SIZE, SCENE_SIZE, 3) and labels.shape == (32, 2) and boxes.shape == (32, 2, 4)
    assert (labels[:, 0] != labels[:, 1]).all(), "a two-article scene with one class"
    half = SCENE_SIZE // 2
    assert (boxes[:, :, 2:] > boxes[:, :, :2]).all() and (boxes >= 0).all() and (boxes <= SCENE_SIZE).all()
    assert (boxes[:, 0, 2] <= half).all() and (boxes[:, 1, 0] >= half).all(), "an article outside its half"
    print("fashion_scenes selftest: ok")


def preview(path, seed=0):
    images, labels, boxes = make_dataset("test", 16, seed)
    grid = Image.new("RGB", (4 * SCENE_SIZE, 4 * SCENE_SIZE))
    for i, (image, box) in enumerate(zip(images, boxes)):
        tile = Image.fromarray(image)
        ImageDraw.Draw(tile).rectangle([box[0], box[1], box[2] - 1, box[3] - 1], outline=(255, 0, 0))
        grid.paste(tile, ((i % 4) * SCENE_SIZE, (i // 4) * SCENE_SIZE))
    grid.save(path)
    print(path, [LABELS[label] for label in labels])


def write_folder(folder, count, seed, split="test", articles=1):
    """count scenes as scene_NNNN.png, their boxes as boxes.json and the articles' true labels as
    labels.json, in the formats scorecam-eval reads. One article per scene: {"scene_0000.png":
    [x0, y0, x1, y1]} and {"scene_0000.png": "Sneaker"}. Two (scorecam-eval --discrimination):
    {"scene_0000.png": [{"box": [x0, y0, x1, y1], "class": "Sneaker"}, {...}]} and
    {"scene_0000.png": ["Sneaker", "Bag"]}, left article first."""
    if articles == 1:
        images, labels, boxes = make_dataset(split, count, seed)
    else:
        images, labels, boxes = make_pair_dataset(split, count, seed)
    os.makedirs(folder, exist_ok=True)
    names = [f"scene_{i:04d}.png" for i in range(count)]
    for name, image in zip(names, images):
        Image.fromarray(image).save(os.path.join(folder, name))
    if articles == 1:
        box_entries = {name: [int(v) for v in box] for name, box in zip(names, boxes)}
        label_entries = {name: LABELS[label] for name, label in zip(names, labels)}
    else:
        box_entries = {name: [{"box": [int(v) for v in box], "class": LABELS[label]} for box, label in zip(bs, ls)]
                       for name, bs, ls in zip(names, boxes, labels)}
        label_entries = {name: [LABELS[label] for label in ls] for name, ls in zip(names, labels)}
    with open(os.path.join(folder, "boxes.json"), "w") as f:
        json.dump(box_entries, f, indent=0)
    with open(os.path.join(folder, "labels.json"), "w") as f:
        json.dump(label_entries, f, indent=0)
    print(f"{count} {split}-split scenes of {articles} article(s) (seed {seed}) in {folder}, "
          "with boxes.json and labels.json")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--selftest", action="store_true", help="check determinism and boxes")
    parser.add_argument("--preview", metavar="PNG", help="write a grid of 16 test scenes with their boxes")
    parser.add_argument("--write", metavar="DIR", help="write --count test-split scenes and their boxes to DIR")
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--articles", type=int, choices=(1, 2), default=1,
                        help="articles per --write scene: 2 puts two of different classes side by side")
    args = parser.parse_args()
    if not (args.selftest or args.preview or args.write):
        parser.error("nothing to do: give --selftest, --preview or --write")
    if args.selftest:
        selftest()
    if args.preview:
        preview(args.preview)
    if args.write:
        write_folder(args.write, args.count, args.seed, articles=args.articles)
    return 0


if __name__ == "__main__":
    sys.exit(main())
