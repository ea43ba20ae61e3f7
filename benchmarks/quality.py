"""Reconstruction and one-class detection quality against PCA and IsolationForest.

Run from the repository root, in the benchmark's own environment (aeon, which
bundles the public UCR data sets used here, is never a dependency of the
package)::

    python3 -m venv .venv-bench && .venv-bench/bin/pip install ".[benchmark]"
    .venv-bench/bin/python benchmarks/quality.py            # ~100 min on 2 cores
    .venv-bench/bin/python benchmarks/quality.py --quick    # 1 seed, smoke run
    .venv-bench/bin/python benchmarks/quality.py --tasks gait   # gait only

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
# The estimators' defaults: the detector's, and the transformer's network.
OURS = ("LSTM defaults", "LSTM flatten")


def gait_task(seed):
    """Training cycles, test cycles, which are normal, noise-free test cycles."""
    X_train, _, _ = make_gait_cycles(100, random_state=seed)
    test = dict(n_samples=300, anomaly_fraction=0.3, random_state=seed + 1000)
    X_test, y_test, _ = make_gait_cycles(**test)
    # The same seed draws the same curves: only the noise is left out.
    X_test_clean, _, _ = make_gait_cycles(**test, noise=0.0)
    return X_train, X_test, y_test == 1, X_test_clean


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
                None,
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


def evaluate(method, X_train, X_test, is_normal, X_test_clean=None):
    """RMSE, RMSE against the noise-free test data, ROC-AUC and fit seconds."""
    start = time.perf_counter()
    method.fit(X_train)
    fit_seconds = time.perf_counter() - start
    auc = roc_auc_score(is_normal, method.score_samples(X_test))
    rmse = clean_rmse = np.nan
    if hasattr(method, "reconstruct"):
        normal = X_test[is_normal]
        reconstruction = method.reconstruct(normal)
        rmse = _rmse(reconstruction, normal)
        if X_test_clean is not None:
            clean_rmse = _rmse(reconstruction, X_test_clean[is_normal])
    return rmse, clean_rmse, auc, fit_seconds


def _rmse(reconstruction, target):
    return float(np.sqrt(np.mean((reconstruction - target) ** 2)))


def run(seeds, task_filter):
    results = {}
    tasks = {name: task for name, task in all_tasks().items() if task_filter in name}
    for task, make_task in tasks.items():
        for seed in seeds:
            data = make_task(seed)
            for name, make_method in METHODS.items():
                row = evaluate(make_method(seed), *data)
                results.setdefault((task, name), []).append(row)
                print(f"  {task} / {name} / seed {seed}: {row}", flush=True)
    return results


def summarise(results):
    tasks = list(dict.fromkeys(task for task, _ in results))
    print(
        f"\n{'task':<24} {'method':<16} {'RMSE':>15} {'clean RMSE':>15} "
        f"{'ROC-AUC':>15} {'fit s':>7}"
    )
    wins = {name: {"rmse": 0, "auc": 0} for name in OURS}
    for task in tasks:
        rows = {
            name: np.asarray(results[(task, name)], dtype=float) for name in METHODS
        }
        for name, values in rows.items():
            means, spreads = values.mean(axis=0), values.std(axis=0)
            columns = map(_mean_and_spread, means[:3], spreads[:3])
            print(f"{task:<24} {name:<16} {' '.join(columns)} {means[3]:7.1f}")
        pca, forest = rows["PCA"].mean(axis=0), rows["IsolationForest"].mean(axis=0)
        for name in OURS:
            ours = rows[name].mean(axis=0)
            wins[name]["rmse"] += ours[0] < pca[0]
            wins[name]["auc"] += ours[2] > max(pca[2], forest[2])
    print()
    for name in OURS:
        print(
            f"{name} reconstruct better than PCA on {wins[name]['rmse']} of "
            f"{len(tasks)} tasks and detect better than both PCA and "
            f"IsolationForest on {wins[name]['auc']} of {len(tasks)}."
        )


def _mean_and_spread(mean, spread):
    return f"{'-':>15}" if np.isnan(mean) else f"{mean:.3f} +- {spread:.3f}".rjust(15)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one seed")
    parser.add_argument(
        "--tasks", default="", help="only the tasks whose name contains this text"
    )
    args = parser.parse_args()
    seeds = [0] if args.quick else [0, 1, 2]
    print(
        f"sklearn-lstmae quality, {time.strftime('%Y-%m-%d')}, {platform.machine()}, "
        f"{os.cpu_count()} CPUs, seeds {seeds}, latent size {LATENT_DIM}"
    )
    summarise(run(seeds, args.tasks))


if __name__ == "__main__":
    main()
