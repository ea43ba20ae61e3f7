"""
Detecting abnormal gait cycles, against PCA and IsolationForest
===============================================================

The main job of the package in one run: an :class:`~sklearn_lstmae.LSTMAnomalyDetector`
with its default network and training learns normal hip and knee flexion
curves from :func:`~sklearn_lstmae.make_gait_cycles`, then scores new cycles,
30 % of which have a stiff knee, a crouch gait, a sensor artefact or a sensor
with a low gain (which PCA barely sees: the shrunken cycle lies close to the
normal ones' linear span). Beside it,
trained on the same cycles in the same run, the two baselines a sceptical user
runs first: PCA's reconstruction error (8 components, the detector's latent
size) and an IsolationForest. It prints the ROC-AUC per pathology, the share of
each kind flagged under ``contamination="auto"`` and at a 5 % false-alarm rate
(p-values at most 0.05), and the fit times, and writes
three figures (a reconstruction, an error heatmap, the score histogram) to
``$LSTMAE_FIGURES_DIR`` (default ``figures/``).

Run it with ``MPLBACKEND=Agg python examples/demo_gait_detection.py``.
"""

import os
import time

import numpy as np
from sklearn.decomposition import PCA
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_lstmae import LSTMAnomalyDetector, make_gait_cycles
from sklearn_lstmae.datasets import ANOMALY_KINDS, CHANNELS
from sklearn_lstmae.plotting import (
    ErrorHeatmapDisplay,
    ReconstructionDisplay,
    ScoreHistogramDisplay,
)

FIGURES_DIR = os.environ.get("LSTMAE_FIGURES_DIR", "figures")

X_train, _, _ = make_gait_cycles(300, random_state=0)
X_test, y_test, kinds = make_gait_cycles(
    300, anomaly_fraction=0.3, anomaly_kinds=ANOMALY_KINDS, random_state=1
)
percent = np.linspace(0, 100, X_test.shape[1])


def pca_score_samples(pca_pipeline, X):
    """Minus PCA's mean squared reconstruction error, in standardised units."""
    scaler, pca = pca_pipeline[0], pca_pipeline[1]
    standardised = scaler.transform(X)
    reconstructed = pca.inverse_transform(pca.transform(standardised))
    return -np.mean((standardised - reconstructed) ** 2, axis=1)


def timed_fit(estimator, X):
    start = time.perf_counter()
    estimator.fit(X)
    return estimator, time.perf_counter() - start


# The detector's defaults: it holds out a fifth of the training cycles
# (calibration_split=0.2) and calibrates its threshold and p-values on their
# errors, which are those of new normal cycles; the training errors are lower.
detector, detector_seconds = timed_fit(LSTMAnomalyDetector(random_state=0), X_train)
flat_train, flat_test = (
    X_train.reshape(len(X_train), -1),
    X_test.reshape(len(X_test), -1),
)
pca, pca_seconds = timed_fit(make_pipeline(StandardScaler(), PCA(8)), flat_train)
forest, forest_seconds = timed_fit(IsolationForest(random_state=0), flat_train)

# Every score is higher for more normal cycles, so ROC-AUC takes +1 = normal.
scores = {
    "LSTMAnomalyDetector": detector.score_samples(X_test),
    "PCA(8) error": pca_score_samples(pca, flat_test),
    "IsolationForest": forest.score_samples(flat_test),
}
fit_seconds = {
    "LSTMAnomalyDetector": detector_seconds,
    "PCA(8) error": pca_seconds,
    "IsolationForest": forest_seconds,
}
normal = kinds == "normal"
print(f"ROC-AUC, normal test cycles ({normal.sum()}) against each pathology:")
print(
    f"{'':<21}" + "".join(f"{kind:>12}" for kind in ANOMALY_KINDS) + f"{'fit (s)':>10}"
)
for name, score in scores.items():
    aucs = []
    for kind in ANOMALY_KINDS:
        pair = normal | (kinds == kind)
        aucs.append(roc_auc_score(y_test[pair], score[pair]))
    row = "".join(f"{auc:12.3f}" for auc in aucs)
    print(f"{name:<21}{row}{fit_seconds[name]:10.1f}")

flagged = detector.predict(X_test) == -1
# With contamination=0.05 predict would flag exactly these.
at_five_percent = detector.p_values(X_test) <= 0.05
print("\nShare flagged by the detector:")
print(f"  {'':<11} {'auto':>6} {'0.05':>6}")
for kind in ("normal", *ANOMALY_KINDS):
    of_kind = kinds == kind
    print(
        f"  {kind:<11} {flagged[of_kind].mean():6.1%} "
        f"{at_five_percent[of_kind].mean():6.1%}"
    )

# Figures: a crouch cycle against its reconstruction and the normal band,
# where the stiff-knee cycles' error lies (time step x joint), and the scores
# of all test cycles with the threshold.
os.makedirs(FIGURES_DIR, exist_ok=True)
crouch = int(np.flatnonzero(kinds == "crouch")[0])
figures = {
    "detection_reconstruction": ReconstructionDisplay.from_estimator(
        detector,
        X_test,
        index=crouch,
        X_normal=X_train,
        time=percent,
        channel_names=list(CHANNELS),
    ),
    "detection_error_heatmap": ErrorHeatmapDisplay.from_estimator(
        detector,
        X_test[kinds == "stiff_knee"],
        time=percent,
        channel_names=list(CHANNELS),
    ),
    "detection_score_histogram": ScoreHistogramDisplay.from_estimator(
        detector, X_test, kinds
    ),
}
for axis in figures["detection_reconstruction"].axes_:
    axis.set_ylabel("angle (deg)")
figures["detection_reconstruction"].axes_[-1].set_xlabel("gait cycle (%)")
figures["detection_error_heatmap"].ax_.set_xlabel("gait cycle (%)")
for name, display in figures.items():
    display.figure_.savefig(os.path.join(FIGURES_DIR, f"{name}.png"), dpi=120)
print(f"\nfigures written to {FIGURES_DIR}/: " + ", ".join(f"{n}.png" for n in figures))
