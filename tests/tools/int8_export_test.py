#!/usr/bin/python3
"""The int8 copies the Python helpers make, in the form the C++ core reads (see
python/scorecam_training/int8.py): the tiny test model through the package, a small torchvision
model through tools/export_torchvision.py --int8, its refusals, and the bundled model's shipped copy.

Needs SCORECAM_TEST_MODELS (the folder make_test_models.py writes) and PYTHONPATH=python.
"""
import contextlib
import io
import json
import os
import runpy
import shutil
import sys
import tempfile
import unittest
from unittest import mock

import torch
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "models"))
from make_test_models import TinyNet  # noqa: E402  (the test models' own definition)
from scorecam_training import int8  # noqa: E402
from scorecam_training.masked_inputs import model_input  # noqa: E402

EXPORT = os.path.join(ROOT, "tools", "export_torchvision.py")


def export(*argv):
    """(exit status, stdout, stderr) of tools/export_torchvision.py ARGV, run as __main__ in this
    process: torch and torchvision are imported once for every test instead of once a run."""
    out, err = io.StringIO(), io.StringIO()
    status = 0
    with mock.patch.object(sys, "argv", [EXPORT, *argv]), contextlib.redirect_stdout(out), \
            contextlib.redirect_stderr(err):
        try:
            runpy.run_path(EXPORT, run_name="__main__")
        except SystemExit as exit_:
            if isinstance(exit_.code, str):  # sys.exit(message): the interpreter would print it and exit 1
                print(exit_.code, file=sys.stderr)
            status = 1 if isinstance(exit_.code, str) else exit_.code or 0
    return status, out.getvalue(), err.getvalue()


def write_frames(folder, count):
    """Real pixels: crops of the sample photograph, one per frame."""
    os.makedirs(folder, exist_ok=True)
    photo = Image.open(os.path.join(ROOT, "samples", "astronaut.jpg")).convert("RGB")
    for i in range(count):
        photo.crop((40 * i, 20 * i, 40 * i + 300, 20 * i + 260)).save(os.path.join(folder, f"frame_{i}.png"))


class Int8Test(unittest.TestCase):
    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="int8_test_")
        self.frames = os.path.join(self.work, "frames")
        write_frames(self.frames, 3)

    def tearDown(self):
        shutil.rmtree(self.work)

    def assert_int8_copy(self, model_path, input_shape, classes):
        """NAME.int8.pt loads, classifies float inputs into float [N, classes], and is named in the sidecar."""
        with open(int8.sidecar_path(model_path)) as f:
            sidecar = json.load(f)
        self.assertEqual(sidecar["int8_model"], os.path.basename(model_path)[:-3] + ".int8.pt")
        self.assertIn(sidecar["quantized_engine"], torch.backends.quantized.supported_engines)
        torch.backends.quantized.engine = sidecar["quantized_engine"]
        quantized = torch.jit.load(os.path.join(os.path.dirname(model_path), sidecar["int8_model"]))
        for batch in (1, 5):
            out = quantized(torch.randn(batch, *input_shape))
            self.assertEqual(out.dtype, torch.float32)
            self.assertEqual(tuple(out.shape), (batch, classes))
        return sidecar

    def test_tiny_model_through_the_package(self):
        model_path = os.path.join(self.work, "tiny_rgb.pt")
        for suffix in (".pt", ".json"):
            shutil.copy(os.path.join(os.environ["SCORECAM_TEST_MODELS"], "tiny_rgb" + suffix), self.work)
        model, sidecar = int8.load(model_path)
        eager = TinyNet().eval()
        eager.load_state_dict(model.state_dict())
        frames = [model_input(os.path.join(self.frames, name), sidecar) for name in sorted(os.listdir(self.frames))]
        layer = eager.get_submodule(sidecar["target_layer"])
        engine = int8.choose_engine()
        int8.save(int8.quantize(eager, layer, frames[:2], engine), model_path, engine)
        written = self.assert_int8_copy(model_path, (3, 32, 40), 5)
        self.assertEqual({k: v for k, v in written.items() if k not in ("int8_model", "quantized_engine")}, sidecar)
        correlation, _, count = int8.probability_agreement(eager, layer, int8.load(int8.int8_path(model_path))[0],
                                                           frames[2])
        self.assertGreater(count, 1)
        self.assertGreater(correlation, 0.9)

    def test_export_torchvision_int8(self):
        model_path = os.path.join(self.work, "resnet18.pt")
        status, out, err = export("--arch", "resnet18", "--size", "64", "--out", model_path, "--int8",
                                  "--calibration", self.frames, "--calibration-frames", "1", "--calibration-channels", "4")
        self.assertEqual(status, 0, err)
        self.assertRegex(out, r"int8 check on the held-out frame_1\.png, .* over 4 masked inputs: "
                                        r"correlation [-0-9.]+")
        self.assert_int8_copy(model_path, (3, 64, 64), 1000)

    def test_export_without_int8_writes_no_copy(self):
        model_path = os.path.join(self.work, "resnet18.pt")
        status, _, err = export("--arch", "resnet18", "--size", "64", "--out", model_path)
        self.assertEqual(status, 0, err)
        with open(int8.sidecar_path(model_path)) as f:
            self.assertEqual(set(json.load(f)), {"input_size", "mean", "std", "color_order", "input_channels"})
        self.assertFalse(os.path.exists(int8.int8_path(model_path)))

    def test_export_refuses_without_calibration_frames(self):
        empty = os.path.join(self.work, "empty")
        os.makedirs(empty)
        model_path = os.path.join(self.work, "resnet18.pt")
        for folder, message in ((os.path.join(self.work, "missing"), "--calibration: no folder at "),
                                (empty, "has 0 image(s)")):
            status, _, err = export("--arch", "resnet18", "--out", model_path, "--int8", "--calibration", folder)
            self.assertNotEqual(status, 0)
            self.assertIn(message, err)
            self.assertFalse(os.path.exists(model_path), "nothing is written before the frames are checked")

    def test_bundled_model_ships_its_int8_copy(self):
        model_path = os.path.join(ROOT, "models", "fashion_scenes.pt")
        self.assert_int8_copy(model_path, (3, 96, 96), 10)


if __name__ == "__main__":
    unittest.main()
