"""How unusual a sequence's spread is, beside how badly it is reconstructed.

An autoencoder reconstructs a damped, flattened or calmer sequence as closely
as a normal one, often more closely: a reconstruction error cannot flag it. Its
spread can. Each channel's standard deviation over time is compared, on a log
scale, with the median of the calibration sequences, in robust standard
deviations; a sequence's spread z-score is the largest over its channels, in
either direction. ``benchmarks/README.md`` ("The spread check") has the
evidence.
"""

import numpy as np

__all__ = ["log_location", "spread_statistics", "spread_z"]

# Scales the median absolute deviation to a standard deviation for normal data.
_MAD_TO_STD = 1.4826
# The robust scale of the log standard deviations is taken as at least this.
# On data normalised sequence by sequence it is zero, and float round-off
# would become a huge z-score; with it, a standard deviation within 3.5 % of
# the usual one never passes the 'auto' cut-off of 3.5.
_MIN_LOG_SPREAD_SCALE = 0.01


def _robust_location(values):
    """Median and normal-consistent median absolute deviation along axis 0."""
    median = np.median(values, axis=0)
    return median, _MAD_TO_STD * np.median(np.abs(values - median), axis=0)


def log_location(errors):
    """Median and robust standard deviation of the logs of positive ``errors``."""
    median, scale = _robust_location(np.log(np.maximum(errors, np.finfo(float).tiny)))
    return float(median), float(scale)


def log_spreads(sequences):
    """Log standard deviation over time of each channel, ``(n_samples, n_channels)``."""
    spreads = sequences.std(axis=1, dtype=np.float64)
    return np.log(np.maximum(spreads, np.finfo(float).tiny))


def spread_statistics(sequences):
    """Median and robust scale, per channel, of the calibration log spreads."""
    center, scale = _robust_location(log_spreads(sequences))
    return center, np.maximum(scale, _MIN_LOG_SPREAD_SCALE)


def spread_z(sequences, center, scale):
    """The largest absolute robust z-score of a channel's log spread, per sequence."""
    return np.max(np.abs(log_spreads(sequences) - center) / scale, axis=1)
