"""Reconstruction and one-class detection quality against PCA and IsolationForest.

Run from the repository root, in the benchmark's own environment (aeon, which
bundles the public UCR data sets used here, is never a dependency of the
package)::

    python3 -m venv .venv-bench && .venv-bench/bin/pip install ".[benchmark]"
    .venv-bench/bin/python benchmarks/quality.py            # ~90 min on 2 cores
    .venv-bench/bin/python benchmarks/quality.py --quick    # 1 seed, smoke run
    .venv-bench/bin/python benchmarks/quality.py --tasks gait   # gait only
    .venv-bench/bin/python benchmarks/quality.py --methods "LSTM defaults" \
        "LSTM flatten" --score-variants   # the detector's levers, ~60 min

Tasks: synthetic gait cycles (100 training cycles, 51 steps, 2 channels;
tested on the three default pathologies, and apart on low-gain recordings,
which are easier to reconstruct than normal cycles),
both classes of GunPoint (24-26 training sequences, 150 steps) and of
ItalyPowerDemand (33-34, 24 steps), and the first class of ArrowHead (12,
251 steps) and of BasicMotions (10, 100 steps, 6 channels).

Tasks are one-class: train on the training sequences of one class, score
every test sequence, and take that class as normal (ROC-AUC of the scores,
normal = positive, so higher is better for every method). Reconstruction RMSE
is measured on the held-out test sequences of the normal class, in the data's
own units. Every number is a mean +- standard deviation over seeds.

The gait cycles carry 1 degree of white noise, which no method can predict, so
their RMSE has a floor of about 1 degree. For them the table also gives the
RMSE against the noise-free curves of the same cycles (``clean RMSE``): how
close the reconstruction of a noisy cycle comes to the true curve.

Methods, all at the same latent size:

- ``LSTM defaults``: ``LSTMAnomalyDetector(latent_dim=8)``, nothing else set;
- ``LSTM flatten``: the defaults with ``pooling="flatten"``: the encoder's
  hidden states of all time steps, not only the last, feed the latent layer.
  This is the network and training of ``LSTMAutoencoderTransformer(latent_dim=8)``,
  whose default pooling it is;
- ``LSTM obvious``: the defaults' network trained the obvious way: 100 epochs,
  batch size 32, Adam defaults, no scaling;
- ``PCA``: ``PCA(n_components=8)`` on the flattened sequences, scored by its
  reconstruction error;
- ``IsolationForest``: on the flattened sequences (no reconstruction).

``--score-variants`` adds, for each LSTM detector, rows for other scores of
the same fitted network (``score_variants``): its normalised reconstruction
error without the spread check (``check_spread=False``), and the plain mean
squared error (``normalize_errors=False`` too).
"""

import argparse
import os
import platform
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402
from sklearn.ensemble import IsolationForest  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402

from sklearn_lstmae import LSTMAnomalyDetector, make_gait_cycles  # noqa: E402

LATENT_DIM = 8


class PCAReconstruction:
    """PCA scored by reconstruction error, on flattened sequences."""

    def __init__(self, seed):
        self.pca = PCA(n_components=LATENT_DIM, random_state=seed)

    def fit(self, X):
        self.pca.fit(X.reshape(len(X), -1))
        return self

    def reconstruct(self, X):
        flat = X.reshape(len(X), -1)
        return self.pca.inverse_transform(self.pca.transform(flat)).reshape(X.shape)

    def score_samples(self, X):
        return -np.mean((self.reconstruct(X) - X) ** 2, axis=(1, 2))


class FlatIsolationForest:
    def __init__(self, seed):
        self.forest = IsolationForest(random_state=seed)

    def fit(self, X):
        self.forest.fit(X.reshape(len(X), -1))
        return self

    def score_samples(self, X):
        return self.forest.score_samples(X.reshape(len(X), -1))


METHODS = {
    "LSTM defaults": lambda seed: LSTMAnomalyDetector(
        latent_dim=LATENT_DIM, random_state=seed
    ),
    "LSTM flatten": lambda seed: LSTMAnomalyDetector(
        latent_dim=LATENT_DIM, pooling="flatten", random_state=seed
    ),
    "LSTM obvious": lambda seed: LSTMAnomalyDetector(
        latent_dim=LATENT_DIM,
        epochs=100,
        batch_size=32,
        standardize=False,
        random_state=seed,
    ),
    "PCA": PCAReconstruction,
    "IsolationForest": FlatIsolationForest,
}


def gait_task(seed, anomaly_kinds=("stiff_knee", "crouch", "artefact")):
    """Training cycles, test cycles, which are normal, noise-free test cycles."""
    X_train, _, _ = make_gait_cycles(100, random_state=seed)
    test = dict(
        n_samples=300,
        anomaly_fraction=0.3,
        anomaly_kinds=anomaly_kinds,
        random_state=seed + 1000,
    )
    X_test, y_test, _ = make_gait_cycles(**test)
    # The same seed draws the same curves: only the noise is left out.
    X_test_clean, _, _ = make_gait_cycles(**test, noise=0.0)
    return X_train, X_test, y_test == 1, X_test_clean


def ucr_tasks(name, loader, n_classes=None):
    """One task per class (the first ``n_classes``) of a data set bundled with aeon."""
    X_train, y_train = loader(split="train")
    X_test, y_test = loader(split="test")
    # aeon is channels-first (n, C, T); this package is channels-last.
    X_train, X_test = X_train.transpose(0, 2, 1), X_test.transpose(0, 2, 1)
    return {
        f"{name} class {label}": (
            lambda seed, label=label: (
                X_train[y_train == label],
                X_test,
                y_test == label,
                None,
            )
        )
        for label in np.unique(y_train)[:n_classes]
    }


def all_tasks():
    from aeon.datasets import (
        load_arrow_head,
        load_basic_motions,
        load_gunpoint,
        load_italy_power_demand,
    )

    # ArrowHead (251 steps) and BasicMotions (6 channels) have 12 and 10
    # training sequences per class; one class each keeps the run's length.
    return {
        "gait (synthetic)": gait_task,
        "gait, low gain": lambda seed: gait_task(seed, ("low_gain",)),
        **ucr_tasks("GunPoint", load_gunpoint),
        **ucr_tasks("ItalyPowerDemand", load_italy_power_demand),
        **ucr_tasks("ArrowHead", load_arrow_head, n_classes=1),
        **ucr_tasks("BasicMotions", load_basic_motions, n_classes=1),
    }


def evaluate(method, X_train, X_test, is_normal, X_test_clean=None, variants=False):
    """Rows of RMSE, RMSE against the noise-free test data, ROC-AUC, fit seconds.

    The first row, named "", scores with ``score_samples``; ``variants=True``
    adds one row per score of ``score_variants`` for LSTM detectors.
    """
    start = time.perf_counter()
    method.fit(X_train)
    fit_seconds = time.perf_counter() - start
    rmse = clean_rmse = np.nan
    if hasattr(method, "reconstruct"):
        normal = X_test[is_normal]
        reconstruction = method.reconstruct(normal)
        rmse = _rmse(reconstruction, normal)
        if X_test_clean is not None:
            clean_rmse = _rmse(reconstruction, X_test_clean[is_normal])
    scores = {"": method.score_samples(X_test)}
    if variants and isinstance(method, LSTMAnomalyDetector):
        scores.update(score_variants(method, X_test))
    return {
        name: (rmse, clean_rmse, roc_auc_score(is_normal, score), fit_seconds)
        for name, score in scores.items()
    }


def score_variants(detector, X_test):
    """Other anomaly scores of one fitted detector, higher = more normal.

    ``error only``: minus the normalised reconstruction error, what the
    default scores without ``check_spread``; ``plain``: minus the mean squared
    error in the data's units, with ``normalize_errors=False`` as well.
    """
    normalised = detector.reconstruction_error(X_test, reduce=None)
    return {
        "error only": -normalised.mean(axis=(1, 2)),
        "plain": -(normalised * detector.error_scale_).mean(axis=(1, 2)),
    }


def _rmse(reconstruction, target):
    return float(np.sqrt(np.mean((reconstruction - target) ** 2)))


def run(seeds, task_filter, methods, variants):
    results = {}
    tasks = {name: task for name, task in all_tasks().items() if task_filter in name}
    for task, make_task in tasks.items():
        for seed in seeds:
            data = make_task(seed)
            for name in methods:
                rows = evaluate(METHODS[name](seed), *data, variants=variants)
                for score, row in rows.items():
                    label = f"{name} [{score}]" if score else name
                    results.setdefault((task, label), []).append(row)
                    print(f"  {task} / {label} / seed {seed}: {row}", flush=True)
    return results


def summarise(results):
    tasks = list(dict.fromkeys(task for task, _ in results))
    labels = list(dict.fromkeys(label for _, label in results))
    print(
        f"\n{'task':<30} {'method':<34} {'RMSE':>15} {'clean RMSE':>15} "
        f"{'ROC-AUC':>15} {'fit s':>7}"
    )
    ours = [label for label in labels if label.startswith("LSTM")]
    wins = {label: {"rmse": 0, "auc": 0, "aucs": []} for label in ours}
    for task in tasks:
        rows = {label: np.asarray(results[(task, label)]) for label in labels}
        for label, values in rows.items():
            means, spreads = values.mean(axis=0), values.std(axis=0)
            columns = map(_mean_and_spread, means[:3], spreads[:3])
            print(f"{task:<30} {label:<34} {' '.join(columns)} {means[3]:7.1f}")
        pca, forest = rows["PCA"].mean(axis=0), rows["IsolationForest"].mean(axis=0)
        for label in ours:
            mean = rows[label].mean(axis=0)
            wins[label]["rmse"] += mean[0] < pca[0]
            wins[label]["auc"] += mean[2] > max(pca[2], forest[2])
            wins[label]["aucs"].append(mean[2])
    print()
    for label in ["PCA", "IsolationForest"]:
        mean_auc = np.mean([results[(task, label)] for task in tasks], axis=(0, 1))[2]
        print(f"{label}: mean ROC-AUC over the {len(tasks)} tasks {mean_auc:.3f}")
    for label in ours:
        print(
            f"{label}: mean ROC-AUC {np.mean(wins[label]['aucs']):.3f}; "
            f"reconstructs better than PCA on {wins[label]['rmse']} of "
            f"{len(tasks)} tasks, detects better than both PCA and "
            f"IsolationForest on {wins[label]['auc']} of {len(tasks)}."
        )


def _mean_and_spread(mean, spread):
    return f"{'-':>15}" if np.isnan(mean) else f"{mean:.3f} +- {spread:.3f}".rjust(15)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one seed")
    parser.add_argument(
        "--tasks", default="", help="only the tasks whose name contains this text"
    )
    parser.add_argument(
        "--methods",
        nargs="+",
        choices=METHODS,
        default=list(METHODS),
        metavar="METHOD",
        help=f"the methods to run, of {list(METHODS)}; PCA and IsolationForest always",
    )
    parser.add_argument(
        "--score-variants",
        action="store_true",
        help="also score each LSTM detector as score_variants says",
    )
    args = parser.parse_args()
    methods = list(dict.fromkeys([*args.methods, "PCA", "IsolationForest"]))
    seeds = [0] if args.quick else [0, 1, 2]
    print(
        f"sklearn-lstmae quality, {time.strftime('%Y-%m-%d')}, {platform.machine()}, "
        f"{os.cpu_count()} CPUs, seeds {seeds}, latent size {LATENT_DIM}"
    )
    summarise(run(seeds, args.tasks, methods, args.score_variants))


if __name__ == "__main__":
    main()
