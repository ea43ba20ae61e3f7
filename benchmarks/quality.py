"""Reconstruction and one-class detection quality against PCA and IsolationForest.

Run from the repository root, in the benchmark's own environment (aeon, which
bundles the public UCR data sets used here, is never a dependency of the
package)::

    python3 -m venv .venv-bench && .venv-bench/bin/pip install ".[benchmark]"
    .venv-bench/bin/python benchmarks/quality.py            # ~1 hour on 2 cores
    .venv-bench/bin/python benchmarks/quality.py --quick    # 1 seed, smoke run

Tasks are one-class: train on the training sequences of one class, score
every test sequence, and take that class as normal (ROC-AUC of the scores,
normal = positive, so higher is better for every method). Reconstruction RMSE
is measured on the held-out test sequences of the normal class, in the data's
own units. Every number is a mean +- standard deviation over seeds.

Methods, all at the same latent size:

- ``LSTM defaults``: ``LSTMAnomalyDetector(latent_dim=8)``, nothing else set;
- ``LSTM flatten``: the defaults with ``pooling="flatten"``: the encoder's
  hidden states of all time steps, not only the last, feed the latent layer;
- ``LSTM obvious``: the defaults' network trained the obvious way: 100 epochs,
  batch size 32, Adam defaults, no scaling;
- ``PCA``: ``PCA(n_components=8)`` on the flattened sequences, scored by its
  reconstruction error;
- ``IsolationForest``: on the flattened sequences (no reconstruction).
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


def gait_task(seed):
    X_train, _, _ = make_gait_cycles(100, random_state=seed)
    X_test, y_test, _ = make_gait_cycles(
        300, anomaly_fraction=0.3, random_state=seed + 1000
    )
    return X_train, X_test, y_test == 1


def ucr_tasks(name, loader):
    """One task per class of a UCR data set bundled with aeon."""
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
            )
        )
        for label in np.unique(y_train)
    }


def all_tasks():
    from aeon.datasets import load_gunpoint, load_italy_power_demand

    return {
        "gait (synthetic)": gait_task,
        **ucr_tasks("GunPoint", load_gunpoint),
        **ucr_tasks("ItalyPowerDemand", load_italy_power_demand),
    }


def evaluate(method, X_train, X_test, is_normal):
    start = time.perf_counter()
    method.fit(X_train)
    fit_seconds = time.perf_counter() - start
    auc = roc_auc_score(is_normal, method.score_samples(X_test))
    rmse = np.nan
    if hasattr(method, "reconstruct"):
        normal = X_test[is_normal]
        rmse = float(np.sqrt(np.mean((method.reconstruct(normal) - normal) ** 2)))
    return rmse, auc, fit_seconds


def run(seeds):
    results = {}
    for task, make_task in all_tasks().items():
        for seed in seeds:
            X_train, X_test, is_normal = make_task(seed)
            for name, make_method in METHODS.items():
                row = evaluate(make_method(seed), X_train, X_test, is_normal)
                results.setdefault((task, name), []).append(row)
                print(f"  {task} / {name} / seed {seed}: {row}", flush=True)
    return results


def summarise(results):
    tasks = list(dict.fromkeys(task for task, _ in results))
    print(f"\n{'task':<24} {'method':<16} {'RMSE':>15} {'ROC-AUC':>15} {'fit s':>7}")
    wins = {"rmse vs PCA": 0, "auc vs PCA and IF": 0}
    for task in tasks:
        rows = {
            name: np.asarray(results[(task, name)], dtype=float) for name in METHODS
        }
        for name, values in rows.items():
            rmse, auc, seconds = values.mean(axis=0)
            rmse_sd, auc_sd, _ = values.std(axis=0)
            rmse_text = "-" if np.isnan(rmse) else f"{rmse:.3f} +- {rmse_sd:.3f}"
            print(
                f"{task:<24} {name:<16} {rmse_text:>15} "
                f"{auc:.3f} +- {auc_sd:.3f} {seconds:7.1f}"
            )
        ours = rows["LSTM defaults"].mean(axis=0)
        pca, forest = rows["PCA"].mean(axis=0), rows["IsolationForest"].mean(axis=0)
        wins["rmse vs PCA"] += ours[0] < pca[0]
        wins["auc vs PCA and IF"] += ours[1] > max(pca[1], forest[1])
    print(
        f"\nLSTM defaults reconstruct better than PCA on {wins['rmse vs PCA']} of "
        f"{len(tasks)} tasks and detect better than both PCA and IsolationForest "
        f"on {wins['auc vs PCA and IF']} of {len(tasks)}."
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one seed")
    args = parser.parse_args()
    seeds = [0] if args.quick else [0, 1, 2]
    print(
        f"sklearn-lstmae quality, {time.strftime('%Y-%m-%d')}, {platform.machine()}, "
        f"{os.cpu_count()} CPUs, seeds {seeds}, latent size {LATENT_DIM}"
    )
    summarise(run(seeds))


if __name__ == "__main__":
    main()
