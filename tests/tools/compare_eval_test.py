#!/usr/bin/python3
"""python/scorecam_training/compare_eval.py on two hand-made scorecam-eval JSON files with known
answers: the means, the paired differences and the image-by-image counts.

  PYTHONPATH=python compare_eval_test.py
"""
import contextlib
import io
import json
import os
import sys
import tempfile
import unittest
from unittest import mock

from scorecam_training import compare_eval


def eval_json(path, drops, increases, energies):
    images = [{"image": f"scene_{i}.png", "methods": {"scorecam": {
        "drop": d, "increase": up, "deletion": {"auc": 0.1, "probabilities": []},
        "insertion": {"auc": 0.8, "probabilities": []}, "energy_in_box": e}}}
        for i, (d, up, e) in enumerate(zip(drops, increases, energies))]
    with open(path, "w") as f:
        json.dump({"images": images}, f)


def run(*argv):
    out = io.StringIO()
    with mock.patch.object(sys, "argv", ["compare_eval", *argv]), contextlib.redirect_stdout(out):
        compare_eval.main()
    return out.getvalue()


class CompareEvalTest(unittest.TestCase):
    def setUp(self):
        self.work = tempfile.TemporaryDirectory(prefix="compare_eval_test_")
        self.a, self.b = (os.path.join(self.work.name, name) for name in ("a.json", "b.json"))

    def tearDown(self):
        self.work.cleanup()

    def rows(self, text):
        return {line.split(" | ")[0].strip("| "): line.split(" | ")[1:] for line in text.splitlines()
                if line.startswith("| ") and not line.startswith("| figure")}

    def test_means_paired_differences_and_counts(self):
        eval_json(self.a, [0.1, 0.2, 0.3, 0.4], [True, False, False, True], [0.5, 0.5, 0.5, 0.5])
        eval_json(self.b, [0.1, 0.1, 0.5, 0.4], [True, True, False, True], [0.6, 0.6, 0.6, 0.6])
        rows = self.rows(run(self.a, self.b, "--names", "probability", "centred"))
        drop = rows["Average Drop %"]
        self.assertTrue(drop[0].startswith("25.0 ("), drop)   # (10 + 20 + 30 + 40) / 4
        self.assertTrue(drop[1].startswith("27.5 ("), drop)   # (10 + 10 + 50 + 40) / 4
        self.assertTrue(drop[2].startswith("2.5 ("), drop)    # (0 - 10 + 20 + 0) / 4
        self.assertEqual(drop[3].strip(" |"), "1 / 1 / 2")
        self.assertEqual(rows["Increase in Confidence %"][3].strip(" |"), "0 / 1 / 3")
        self.assertEqual(rows["energy in box %"][2], "10.0 (10.0–10.0)")  # the same difference on every image

    def test_files_of_different_images_are_refused(self):
        eval_json(self.a, [0.1, 0.2], [True, False], [0.5, 0.5])
        eval_json(self.b, [0.1], [True], [0.5])
        with self.assertRaises(SystemExit) as refused:
            run(self.a, self.b)
        self.assertIn("different images", str(refused.exception))


if __name__ == "__main__":
    unittest.main()
