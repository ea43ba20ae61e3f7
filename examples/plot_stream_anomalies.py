"""
Anomalies in a long sensor stream, point by point
=================================================

A :class:`~sklearn_lstmae.SlidingWindowDetector` scores every time point of a
long multichannel stream. It cuts the stream into windows, trains an
:class:`~sklearn_lstmae.LSTMAnomalyDetector` on them and gives each point the
mean of its own reconstruction errors in the windows that cover it, so that
an anomaly is flagged where it is, not over the whole window around it.

The data come from :func:`~sklearn_lstmae.datasets.make_sensor_stream`: three
channels of one machine running in a rhythm of about 50 points per cycle. We
train on a clean run and score another run with three kinds of anomaly: a
spike (1 to 3 points of one channel), a level shift (one channel offset for 1
to 3 cycles) and a changed rhythm (every channel runs faster for a while).
"""

import os

import numpy as np
import pandas as pd
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score

from sklearn_lstmae import LSTMAnomalyDetector, SlidingWindowDetector
from sklearn_lstmae.datasets import STREAM_ANOMALY_KINDS, make_sensor_stream
from sklearn_lstmae.plotting import StreamDisplay

# Set LSTMAE_EXAMPLE_EPOCHS=2 for a quick run; LSTMAE_FIGURES_DIR to save figures.
EPOCHS = os.environ.get("LSTMAE_EXAMPLE_EPOCHS", "auto")
FIGURES_DIR = os.environ.get("LSTMAE_FIGURES_DIR")


def save_figure(figure, name):
    """Write ``figure`` to ``$LSTMAE_FIGURES_DIR/<name>.png`` when it is set."""
    if FIGURES_DIR:
        os.makedirs(FIGURES_DIR, exist_ok=True)
        figure.savefig(os.path.join(FIGURES_DIR, f"{name}.png"), dpi=120)


# %%
# Data
# ----
# Streams are ``(n_points, n_channels)`` with rows as time; a DataFrame with a
# time index works, and the display below takes its index as the time axis.
# Here: 50 points per second.
def as_frame(X):
    seconds = pd.Index(np.arange(len(X)) / 50.0, name="seconds")
    return pd.DataFrame(X, index=seconds, columns=["x", "y", "z"])


X_train, _, _ = make_sensor_stream(6000, random_state=0)
X_test, y_test, kinds = make_sensor_stream(4000, n_anomalies=6, random_state=1)
train, test = as_frame(X_train), as_frame(X_test)
print(f"{(y_test == -1).sum()} of {len(y_test)} test points are anomalous")

# %%
# The detector
# ------------
# Windows of 64 points hold a little more than one cycle. No training window
# covers the last 20 % of the training stream (``calibration_split=0.2``):
# the threshold is calibrated on the point scores of that tail, which the
# network has not trained on, so the windows' detector need not hold out
# windows of its own.
inner = LSTMAnomalyDetector(
    epochs=EPOCHS if EPOCHS == "auto" else int(EPOCHS),
    calibration_split=0,
    random_state=0,
)
detector = SlidingWindowDetector(inner, window_size=64).fit(train)
scores = detector.score_samples(test)
flagged = detector.predict(test) == -1
print(f"trained on {len(train)} points with train_stride={detector.train_stride_}")
print(f"ROC-AUC per point: {roc_auc_score(y_test, scores):.3f}")
print(
    f"flagged: {flagged[y_test == 1].mean():.1%} of normal points, "
    f"{flagged[y_test == -1].mean():.1%} of anomalous ones"
)

# %%
# Every scikit-learn outlier detector can score the windows instead; each
# point then gets the mean score of the windows that cover it, which spreads
# a short spike over ``window_size`` points on either side.
forest = SlidingWindowDetector(IsolationForest(random_state=0), window_size=64)
forest_scores = forest.fit(train).score_samples(test)
for kind in STREAM_ANOMALY_KINDS:
    keep = (kinds == kind) | (y_test == 1)
    print(
        f"{kind:<12} ROC-AUC: LSTM {roc_auc_score(y_test[keep], scores[keep]):.3f}, "
        f"IsolationForest {roc_auc_score(y_test[keep], forest_scores[keep]):.3f}"
    )

# %%
# The stream, its score and the flagged spans
# -------------------------------------------
# The score panel shows minus ``score_samples``, each point's mean normalised
# reconstruction error, with the threshold ``-offset_``; the shaded spans are
# the points ``predict`` calls outliers.
display = StreamDisplay.from_estimator(detector, test)
save_figure(display.figure_, "stream_anomalies")

# %%
# Which channel went wrong
# ------------------------
# ``reconstruction_error(X, reduce="channel")`` keeps one error per point and
# channel. A level shift moves one channel: its error stands out there.
errors = pd.DataFrame(
    detector.reconstruction_error(test, reduce="channel"),
    index=test.index,
    columns=test.columns,
)
edges = np.flatnonzero(np.diff(np.r_[0, kinds == "level_shift", 0]))
for start, stop in edges.reshape(-1, 2):
    span = errors.iloc[start:stop].mean()
    print(
        f"level shift at {test.index[start]:.1f}-{test.index[stop - 1]:.1f} s: "
        f"mean error per channel {span.round(1).to_dict()}"
    )
