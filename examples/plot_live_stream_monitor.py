"""
A live monitor: alarms as the points of a stream arrive
=======================================================

:meth:`SlidingWindowDetector.score_samples
<sklearn_lstmae.SlidingWindowDetector.score_samples>` scores a stream that is
already recorded. A machine that is still running sends its points a few at a
time; :meth:`~sklearn_lstmae.SlidingWindowDetector.stream_scorer` hands out a
scorer for such a stream. Each ``update(chunk)`` returns the points whose
score is now final (every window covering them has arrived), with their
labels and their place in the stream; ``close()`` returns the last ones. The
scores are those ``score_samples`` gives the whole stream, whatever the
chunk sizes, and the scorer holds a window's worth of points, not the stream.

Here a detector trained on a clean run of
:func:`~sklearn_lstmae.datasets.make_sensor_stream` watches another run,
which arrives in chunks of 25 points (half a second at 50 points per second),
and prints each alarm as it is raised, with its delay.
"""

import os

import numpy as np

from sklearn_lstmae import LSTMAnomalyDetector, SlidingWindowDetector
from sklearn_lstmae.datasets import make_sensor_stream
from sklearn_lstmae.plotting import StreamDisplay

# Set LSTMAE_EXAMPLE_EPOCHS=2 for a quick run; LSTMAE_FIGURES_DIR to save figures.
EPOCHS = os.environ.get("LSTMAE_EXAMPLE_EPOCHS", "auto")
FIGURES_DIR = os.environ.get("LSTMAE_FIGURES_DIR")
POINTS_PER_SECOND = 50
CHUNK = 25
# Flagged points closer than this to the last flagged one continue its alarm.
HOLD = POINTS_PER_SECOND

# %%
# The detector, fitted on a clean run
# -----------------------------------
# The threshold and the p-values are calibrated on the last 20 % of the
# training stream, which no training window covers (``calibration_split``);
# the windows' detector need not hold out windows of its own.
X_train, _, _ = make_sensor_stream(6000, random_state=0)
inner = LSTMAnomalyDetector(
    epochs=EPOCHS if EPOCHS == "auto" else int(EPOCHS),
    calibration_split=0,
    random_state=0,
)
detector = SlidingWindowDetector(inner, window_size=64).fit(X_train)

# %%
# The monitor
# -----------
# An alarm starts at a flagged point with no other flagged point in the
# second before it. It is raised when that point's score becomes final,
# ``window_size - 1`` points after the point itself arrived, plus the wait
# for the rest of its chunk.
X_live, y_live, kinds = make_sensor_stream(3000, n_anomalies=4, random_state=3)
scorer = detector.stream_scorer()
scores, most_held, last_flagged = [], 0, -HOLD


def report(result, n_received):
    """Print the alarms that start among the points of ``result``."""
    global last_flagged
    for point in result.index[result.labels == -1]:
        if point - last_flagged >= HOLD:
            delay = (n_received - 1 - point) / POINTS_PER_SECOND
            kind = kinds[point] if y_live[point] == -1 else "none (false alarm)"
            print(
                f"alarm at {point / POINTS_PER_SECOND:6.2f} s, raised {delay:.2f} s "
                f"later; the true anomaly there: {kind}"
            )
        last_flagged = point


for start in range(0, len(X_live), CHUNK):
    result = scorer.update(X_live[start : start + CHUNK])
    report(result, scorer.n_points_received)
    scores.append(result.scores)
    most_held = max(most_held, scorer.n_points_held)
result = scorer.close()
report(result, scorer.n_points_received)
scores = np.concatenate([*scores, result.scores])
print(f"points held at most: {most_held} (the stream: {len(X_live)})")

# %%
# The same scores as scoring the whole recording afterwards:
print(
    "largest difference to score_samples:",
    float(np.abs(scores - detector.score_samples(X_live)).max()),
)

# %%
# The stream and its alarms
# -------------------------
# The score panel shows minus the scores the monitor emitted, with the
# threshold; the shaded spans are the points it raised alarms on.
display = StreamDisplay.from_scores(
    X_live,
    scores,
    threshold=detector.offset_,
    time=np.arange(len(X_live)) / POINTS_PER_SECOND,
    channel_names=["x", "y", "z"],
    xlabel="seconds",
)
if FIGURES_DIR:
    os.makedirs(FIGURES_DIR, exist_ok=True)
    display.figure_.savefig(os.path.join(FIGURES_DIR, "live_stream.png"), dpi=120)
