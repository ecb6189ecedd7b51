#!/usr/bin/python3
"""python/scorecam_training/class_leak.py makes and measures maps as the C++ core and
`scorecam-eval --discrimination` do: on four two-article scenes, its rows for the core's score modes
(probability, cic, centred) give scorecam-eval's figures, so that its other rows, which the core
does not have, are measured the same way.

  PYTHONPATH=python class_leak_test.py SCORECAM_EVAL
"""
import json
import os
import subprocess
import sys
import tempfile
import unittest

from scorecam_training import fashion_scenes

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODEL = os.path.join(ROOT, "models", "fashion_scenes.pt")
SCORE_MODES = ("probability", "cic", "centred")


class ClassLeakTest(unittest.TestCase):
    def test_the_core_score_modes_give_scorecam_evals_figures(self):
        with tempfile.TemporaryDirectory(prefix="class_leak_test_") as work:
            scenes = os.path.join(work, "scenes")
            fashion_scenes.write_folder(scenes, 4, seed=11, articles=2)
            boxes = os.path.join(scenes, "boxes.json")
            leak = os.path.join(work, "leak.json")
            subprocess.run([sys.executable, "-m", "scorecam_training.class_leak", scenes, "--model", MODEL,
                            "--json", leak], check=True, stdout=subprocess.DEVNULL)
            with open(leak) as f:
                rows = json.load(f)["weightings"]
            for mode in SCORE_MODES:
                out = os.path.join(work, f"{mode}.json")
                subprocess.run([EVAL, "--model", MODEL, "--discrimination", "--methods", "scorecam",
                                "--score-mode", mode, "--boxes", boxes, "--json", out, scenes],
                               check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                with open(out) as f:
                    expected = json.load(f)["discrimination"]["summary"]["scorecam"]
                (row,) = [r for name, r in rows.items() if name.startswith(f"`{mode}`:")]
                with self.subTest(mode=mode):
                    self.assertEqual(row["maps"], expected["maps"])
                    self.assertEqual(row["blank_maps"], expected["empty_maps"])
                    self.assertAlmostEqual(row["wins_percent"], expected["asked_wins_percent"], places=6)
                    for ours, theirs in (("asked", "energy_in_asked_box"), ("other", "energy_in_other_boxes")):
                        self.assertAlmostEqual(row[ours][0] / 100, expected[theirs]["mean"], delta=1e-4)
                        self.assertAlmostEqual(row[ours][1] / 100, expected[theirs]["std"], delta=1e-4)


if __name__ == "__main__":
    EVAL = sys.argv.pop(1)
    unittest.main()
