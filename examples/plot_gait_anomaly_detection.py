"""
Detecting and explaining abnormal gait cycles
=============================================

An :class:`~sklearn_lstmae.LSTMAnomalyDetector` learns normal hip and knee
flexion curves and flags the gait cycles it reconstructs badly. Its
reconstruction error, broken down per time step and joint, then tells *where*
a flagged cycle is abnormal: in which phase of the gait cycle (stance or
swing) and at which joint.

The data come from :func:`~sklearn_lstmae.make_gait_cycles`: normal cycles
for training, and a test set where 30 % of the cycles have a stiff knee (too
little knee flexion in swing), a crouch gait (a flexed knee through stance) or
a sensor artefact (a spike or a dropout).
"""

import os

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_lstmae import LSTMAnomalyDetector, make_gait_cycles
from sklearn_lstmae.datasets import CHANNELS, STANCE, SWING
from sklearn_lstmae.plotting import (
    AttentionDisplay,
    ErrorHeatmapDisplay,
    ReconstructionDisplay,
    ScoreHistogramDisplay,
)

# Set LSTMAE_EXAMPLE_EPOCHS=2 for a quick run; LSTMAE_FIGURES_DIR to save figures.
EPOCHS = int(os.environ.get("LSTMAE_EXAMPLE_EPOCHS", "40"))
FIGURES_DIR = os.environ.get("LSTMAE_FIGURES_DIR")


def save_figure(figure, name):
    """Write ``figure`` to ``$LSTMAE_FIGURES_DIR/<name>.png`` when it is set."""
    if FIGURES_DIR:
        os.makedirs(FIGURES_DIR, exist_ok=True)
        figure.savefig(os.path.join(FIGURES_DIR, f"{name}.png"), dpi=120)


# %%
# Data
# ----
# Each cycle is 51 samples (0 to 100 % of the cycle) of two joint angles in
# degrees. The estimators take 3-D ``(n, 51, 2)`` arrays or, as here, the 2-D
# time-major ``X.reshape(n, -1)``, which lets a ``StandardScaler`` standardise
# every time step of every joint before the network sees it.
X_train, _, _ = make_gait_cycles(300, random_state=0)
X_test, y_test, kinds_test = make_gait_cycles(150, anomaly_fraction=0.3, random_state=1)
X_train_2d, X_test_2d = X_train.reshape(300, -1), X_test.reshape(150, -1)
percent = np.linspace(0, 100, 51)

# %%
# Training on normal cycles
# -------------------------
# The detector trains on four fifths of the cycles and calibrates its
# threshold on the fifth it held out (``calibration_split=0.2``, the
# default): their errors are those of new normal cycles, which the training
# errors understate. ``contamination="auto"`` needs no guess of the anomaly
# rate (see the user guide).
detector = make_pipeline(
    StandardScaler(),
    LSTMAnomalyDetector(
        input_shape=(51, 2),
        lstm_units=(32,),
        latent_dim=6,
        epochs=EPOCHS,
        random_state=0,
    ),
)
detector.fit(X_train_2d)

# %%
# How well it separates
# ---------------------
# ``predict`` returns +1 for normal cycles and -1 for anomalies, the
# scikit-learn convention. ``decision_function`` is high for normal cycles, so
# ROC AUC takes the labels with 1 = normal.
predicted = detector.predict(X_test_2d)
auc = roc_auc_score(y_test, detector.decision_function(X_test_2d))
print(f"ROC AUC: {auc:.3f}")
print(pd.crosstab(kinds_test, predicted, rownames=["kind"], colnames=["predicted"]))

# %%
# A few normal cycles may be flagged too: the threshold is estimated from the
# 60 held-out training cycles only. A float ``contamination`` is a false-alarm
# rate instead: ``predict`` then flags the cycles whose p-value (the share of
# calibration cycles at least as anomalous) is at most it.
scaler, lstm = detector[:-1], detector[-1]
p_values = lstm.p_values(scaler.transform(X_test_2d))
normal = kinds_test == "normal"
print(f"normal cycles with a p-value <= 0.05: {np.mean(p_values[normal] <= 0.05):.1%}")
print(f"anomalies with a p-value <= 0.05: {np.mean(p_values[~normal] <= 0.05):.1%}")

# %%
#
# The histogram of the reconstruction errors, stacked by kind, shows the
# threshold between the normal cycles and the anomalies. A logarithmic axis
# suits errors, which are positive and right-skewed.
display = ScoreHistogramDisplay.from_estimator(
    detector,
    X_test_2d,
    kinds_test,
    response_method="reconstruction_error",
    log_scale=True,
)
display.ax_.set_title("Reconstruction error of the test cycles")
save_figure(display.figure_, "score_histogram")

# %%
# Explaining the anomalies
# ------------------------
# ``reconstruction_error(X, reduce=None)`` keeps one squared error per time
# step and joint, divided by its typical size at that step and joint on the
# training cycles: an error of 1 is as large as usual there. Its mean over
# each phase and over each joint says where a cycle is abnormal.
errors = lstm.reconstruction_error(scaler.transform(X_test_2d), reduce=None)
in_stance = (percent >= STANCE[0]) & (percent < STANCE[1])


def explain(cycle_errors):
    """Worst phase and joint of one cycle's (51, 2) squared errors."""
    by_phase = {
        f"stance {STANCE[0]:.0f}-{STANCE[1]:.0f} %": cycle_errors[in_stance].mean(),
        f"swing {SWING[0]:.0f}-{SWING[1]:.0f} %": cycle_errors[~in_stance].mean(),
    }
    peak_step, peak_joint = np.unravel_index(cycle_errors.argmax(), cycle_errors.shape)
    return {
        "phase": max(by_phase, key=by_phase.get),
        "joint": CHANNELS[int(cycle_errors.mean(axis=0).argmax())],
        "peak at": f"{percent[peak_step]:.0f} % ({CHANNELS[peak_joint]})",
    }


# The worst-reconstructed cycle of each anomaly kind, and where it goes wrong.
cycle_errors = errors.mean(axis=(1, 2))
worst = {}
for kind in ("stiff_knee", "crouch", "artefact"):
    of_kind = np.flatnonzero(kinds_test == kind)
    worst[kind] = int(of_kind[cycle_errors[of_kind].argmax()])
print(pd.DataFrame({kind: explain(errors[i]) for kind, i in worst.items()}).T)

# %%
# The same as heatmaps: time along the cycle, one row per joint. The dashed
# line is toe off, where stance ends and swing begins.
figure, axes = plt.subplots(3, 1, figsize=(6.4, 6), sharex=True, layout="constrained")
for axis, (kind, i) in zip(axes, worst.items(), strict=True):
    ErrorHeatmapDisplay.from_estimator(
        detector,
        X_test_2d[[i]],
        time=percent,
        channel_names=CHANNELS,
        ax=axis,
        xlabel="gait cycle (%)" if axis is axes[-1] else "",
    )
    axis.axvline(STANCE[1], color="w", ls="--")
    axis.set_title(f"{kind} (cycle {i})")
save_figure(figure, "error_heatmaps")

# %%
# The stiff-knee cycle against its reconstruction, in degrees (the pipeline
# maps the reconstruction back through the scaler). The band is the range of
# normal training cycles: the knee stays far below it in swing, while the
# reconstruction, which only knows normal gait, follows the band.
display = ReconstructionDisplay.from_estimator(
    detector,
    X_test_2d,
    index=worst["stiff_knee"],
    X_normal=X_train_2d,
    time=percent,
    channel_names=CHANNELS,
    xlabel="gait cycle (%)",
    ylabel="flexion (deg)",
)
for axis in display.axes_:
    axis.axvline(STANCE[1], color="0.5", ls=":")
save_figure(display.figure_, "stiff_knee_reconstruction")

# %%
# With self-attention
# -------------------
# ``use_attention=True`` adds a self-attention layer after the encoder and the
# decoder LSTMs: each time step keeps its own state and adds what it draws
# from the steps it attends to, and the encoder averages the result over
# time. Trained the same way (for half the epochs, to keep this example
# short), how does it compare?
attentive = clone(detector).set_params(
    lstmanomalydetector__use_attention=True,
    lstmanomalydetector__epochs=max(EPOCHS // 2, 1),
)
attentive.fit(X_train_2d)
auc = roc_auc_score(y_test, attentive.decision_function(X_test_2d))
print(f"with attention, ROC AUC: {auc:.3f}")

# %%
# The mean attention map over the normal test cycles shows which parts of
# the cycle each step draws on. Read the colour bar before the colours:
# weights close to the uniform 1/51 mean the encoder averages over the whole
# cycle.
display = AttentionDisplay.from_estimator(
    attentive,
    X_test_2d[y_test == 1],
    time=percent,
    xlabel="attended point of the cycle (%)",
    ylabel="attending point of the cycle (%)",
)
save_figure(display.figure_, "encoder_attention")

plt.show()
