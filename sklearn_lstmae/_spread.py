"""How unusual a sequence's spread is, beside how badly it is reconstructed.

An autoencoder reconstructs a damped, flattened or calmer sequence as closely
as a normal one, often more closely: a reconstruction error cannot flag it. Its
spread can. Each channel's standard deviation over time is compared, on a log
scale, with the median of the sequences the network trained on, in robust
standard deviations; a sequence's spread z-score is the root mean square over its
channels of those z-scores, in either direction. The largest channel's, used
before, grows with the number of channels for normal sequences, and on speech
frames (12 channels whose spreads vary from frame to frame) it ranked normal
frames among the anomalies; ``benchmarks/README.md`` ("The spread check" and
"The spread over many channels") has the evidence.
"""

import numpy as np

from ._calibration import robust_location

__all__ = ["spread_statistics", "spread_z"]

# The robust scale of the log standard deviations is taken as at least this.
# On data normalised sequence by sequence it is zero, and float round-off
# would become a huge z-score; with it, a standard deviation within 3.5 % of
# the usual one never passes the 'auto' cut-off of 3.5.
_MIN_LOG_SPREAD_SCALE = 0.01


def log_spreads(sequences):
    """Log standard deviation over time of each channel, ``(n_samples, n_channels)``."""
    spreads = sequences.std(axis=1, dtype=np.float64)
    return np.log(np.maximum(spreads, np.finfo(float).tiny))


def spread_statistics(sequences):
    """Per-channel median and robust scale of the log spreads, and the typical z.

    The typical z is the median over ``sequences`` of their spread
    z-scores (about 0.7 for one channel, about 1 for many): only what lies
    beyond it is unusual.
    """
    logs = log_spreads(sequences)
    center, scale = robust_location(logs)
    scale = np.maximum(scale, _MIN_LOG_SPREAD_SCALE)
    typical = float(np.median(_root_mean_square_z(logs, center, scale)))
    return center, scale, typical


def spread_z(sequences, center, scale, typical=0.0):
    """How far beyond the typical a sequence's spread z-score lies, at least 0.

    A sequence's spread z-score is the root mean square over its channels
    of their log spreads' robust z-scores; with one channel, its absolute
    z-score.
    """
    z = _root_mean_square_z(log_spreads(sequences), center, scale)
    return np.maximum(z - typical, 0.0)


def _root_mean_square_z(logs, center, scale):
    """Root mean square over channels of ``(n_samples, n_channels)`` log spreads' z."""
    return np.sqrt(np.mean(np.square((logs - center) / scale), axis=1))
