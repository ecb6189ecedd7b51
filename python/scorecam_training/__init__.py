"""How the bundled model and the sample clip were made, and how their maps are checked.

Fashion-MNIST scenes (fashion_scenes), the scene classifier and its training (train_fashion_model),
the sample clip (make_sample_video) and the localization check (evaluate_localization). Each
module runs with `python3 -m scorecam_training.NAME` from the `python/` folder or with
`PYTHONPATH=python` from the repository root; see their docstrings.
"""
