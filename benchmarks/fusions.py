"""Fusions of the detector's views, tried on the views that quality.py saved.

Run from ``benchmarks/``, in the benchmark's environment::

    ../.venv-bench/bin/python quality.py --methods "LSTM defaults" \\
        --save-views views.npz
    ../.venv-bench/bin/python fusions.py views.npz

Only the network's error z-score and the linear view's weight
(``linear_weight_``) need the fitted network, and the run saved them. The
linear and spread views depend on nothing but the data and the detector's
split (``calibration_indices``), so they are computed here again: as the
defaults compute them (the linear one checked against the saved ones) and in
the variants of ``linear_views`` and ``spread_views`` (the saved spread is one
of those). Every fusion of ``quality.FUSIONS`` (``views averaged``: the
default before the weight) and of ``WEIGHTED`` (the default's, the views
weighted by root mean squared errors, the spread joined to the network's
error alone, no spread) is scored with each variant; PCA and IsolationForest
are rescored on the same tasks, and quality.py's summary lines printed, then
the share of normal test sequences that each fusion's 'auto' (a fused z-score
above 3.5) flags.
"""

import argparse

import numpy as np
from quality import FUSIONS, METHODS, all_tasks, evaluate, fused_z, summarise
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import KFold

from sklearn_lstmae import LSTMAnomalyDetector
from sklearn_lstmae._calibration import AUTO_ROBUST_Z, fused_errors, log_location
from sklearn_lstmae._linear_view import LinearView
from sklearn_lstmae._spread import log_spreads, spread_statistics, spread_z

LATENT_DIM = 8


def weighted_by_rmse(error, linear, spread, linear_weight):
    """The default with the views weighted by root mean squared errors.

    The saved weight is ``r / (1 + r)`` for ``r`` the network's calibration
    error over the linear view's; this one is ``sqrt(r) / (1 + sqrt(r))``,
    written without ``r`` so that a weight of 1 stays finite.
    """
    root, other = np.sqrt(linear_weight), np.sqrt(1 - linear_weight)
    return fused_z(error, linear, spread, root / (root + other))


def spread_with_the_network(error, linear, spread, linear_weight):
    """The spread joined to the network's error alone, then the views weighted.

    The default joins it after the weighted average, so that it counts in
    full; here it counts with the network's weight.
    """
    network = np.log(fused_errors(np.exp(error), 0.0, 1.0, spread_z=spread))
    return (1 - linear_weight) * network + linear_weight * linear


WEIGHTED = {
    "default": fused_z,
    "weighted by RMSE": weighted_by_rmse,
    "spread with the network": spread_with_the_network,
    "no spread": lambda error, linear, spread, linear_weight: fused_z(
        error, linear, None, linear_weight
    ),
}


VIEWS_ALONE = {
    f"{view} alone": lambda view=view, **views: views[view]
    for view in ("error", "linear", "spread")
}


def linear_views(X_train, X_test, fit_indices, calibration_indices):
    """The linear view's z-scores of ``X_test``: the default's and variants'.

    ``all sequences``: the subspace of every training sequence, its log
    residuals located on each sequence's out-of-fold residual (5 folds), so
    that no location comes from sequences the subspace fitted.
    """
    training, calibration = X_train[fit_indices], X_train[calibration_indices]
    default = LinearView.fit(training, LATENT_DIM, True)
    default.calibrate(default.errors(calibration), default.errors(training))
    views = {"": default.z(X_test)}
    out_of_fold = np.empty(len(X_train))
    n_folds = min(5, len(X_train))
    for fit, held_out in KFold(n_folds, shuffle=True, random_state=0).split(X_train):
        fold_view = LinearView.fit(X_train[fit], LATENT_DIM, True)
        out_of_fold[held_out] = fold_view.errors(X_train[held_out])
    view = LinearView.fit(X_train, LATENT_DIM, True)
    view.log_center, scale = log_location(out_of_fold)
    view.log_scale = max(scale, 0.01)
    views["all sequences"] = view.z(X_test)
    return views


def spread_views(training, X_test):
    """The spread view's z-scores of ``X_test``: the default's and the one before.

    ``largest channel``: a sequence's spread z-score was its channels' largest
    absolute z-score (the default until 2026-12-06; the views saved before
    hold it), less its median over ``training``.
    """
    center, scale, typical = spread_statistics(training)

    def largest_z(sequences):
        return np.max(np.abs(log_spreads(sequences) - center) / scale, axis=1)

    largest = np.maximum(largest_z(X_test) - np.median(largest_z(training)), 0.0)
    return {"": spread_z(X_test, center, scale, typical), "largest channel": largest}


def rescore(saved, task, seed, make_task):
    """ROC-AUC rows of every fusion and linear view for one task and seed."""
    X_train, X_test, is_normal = make_task(seed)[:3]
    prefix = f"{task}|LSTM defaults|{seed}|"
    if not np.array_equal(saved[prefix + "is_normal"], is_normal):
        raise ValueError(f"{task}, seed {seed}: the saved labels differ")
    calibration = LSTMAnomalyDetector(random_state=seed).calibration_indices(
        len(X_train)
    )
    fit_indices = np.setdiff1d(np.arange(len(X_train)), calibration)
    spreads = spread_views(X_train[fit_indices], X_test)
    if not any(
        np.allclose(spread, saved[prefix + "spread"], rtol=1e-6)
        for spread in spreads.values()
    ):
        raise ValueError(f"{task}, seed {seed}: the saved spread z-scores differ")
    linear = linear_views(X_train, X_test, fit_indices, calibration)
    np.testing.assert_allclose(linear[""], saved[prefix + "linear"], rtol=1e-5)
    linear_weight = float(saved[prefix + "linear_weight"])
    print(f"{task}, seed {seed}: linear weight {linear_weight:.3f}")
    fusions = dict(WEIGHTED)
    fusions |= {
        name: lambda fuse=fuse, linear_weight=None, **views: fuse(**views)
        for name, fuse in {**FUSIONS, **VIEWS_ALONE}.items()
    }
    rows, flagged = {}, {}
    # Each linear view with the default spread, then each other spread view.
    variants = [(view, "") for view in linear] + [
        ("", view) for view in spreads if view
    ]
    for linear_name, spread_name in variants:
        for name, fuse in fusions.items():
            z = fuse(
                error=saved[prefix + "error"],
                linear=linear[linear_name],
                spread=spreads[spread_name],
                linear_weight=linear_weight,
            )
            label = f"LSTM {name}" + "".join(
                f", {kind} {view}"
                for kind, view in (("linear", linear_name), ("spread", spread_name))
                if view
            )
            rows[label] = (np.nan, np.nan, roc_auc_score(is_normal, -z), 0.0)
            flagged[label] = len(X_train), np.mean(z[is_normal] > AUTO_ROBUST_Z)
    for name in ("PCA", "IsolationForest"):
        rows[name] = evaluate(METHODS[name](seed), X_train, X_test, is_normal)[""]
    return rows, flagged


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("views", help="the .npz of quality.py --save-views")
    saved = np.load(parser.parse_args().views)
    runs = dict.fromkeys(tuple(key.split("|")[::2][:2]) for key in saved)
    tasks = all_tasks()
    results, flagged = {}, {}
    for task, seed in runs:
        rows, flags = rescore(saved, task, int(seed), tasks[task])
        for label, row in rows.items():
            results.setdefault((task, label), []).append(row)
        for label, (n_train, share) in flags.items():
            flagged.setdefault(label, {}).setdefault((task, n_train), []).append(share)
    summarise(results)
    print("\n'auto' on normal test sequences: mean over tasks, worst with >= 30")
    for label, shares in flagged.items():
        means = {key: np.mean(values) for key, values in shares.items()}
        large = [share for (_, n_train), share in means.items() if n_train >= 30]
        print(
            f"{label}: {100 * np.mean(list(means.values())):.1f} %, "
            f"worst {100 * max(large, default=np.nan):.1f} %"
        )


if __name__ == "__main__":
    main()
