"""The linear view: how far a sequence lies from the training data's principal axes.

An LSTM autoencoder may reconstruct normal curves less tightly than a linear
model does (long smooth outlines, spectra, speech frames) and then ranks
anomalies worse than PCA's reconstruction error. The detector therefore also
scores each sequence by the residual of a PCA with ``latent_dim`` components,
fitted to the sequences the network trained on (each channel standardised),
as a robust z-score of its logarithm against the calibration sequences.
``benchmarks/README.md`` ("A score of calibrated views") has the evidence.
"""

import numpy as np

from ._calibration import log_location

__all__ = ["LinearView", "linear_weight"]

# The robust scale of the log residuals is taken as at least this: on data
# that PCA fits exactly the residuals are round-off, and their spread is no
# scale at all.
_MIN_LOG_SCALE = 0.01


class LinearView:
    """The principal subspace of the training sequences, and its residuals' location.

    Plain fitted state (``mean``, ``scale``, ``components``, ``log_center``,
    ``log_scale``), which the detector stores as its ``linear_*_`` attributes.
    """

    def __init__(self, mean, scale, components, log_center=0.0, log_scale=1.0):
        self.mean = mean
        self.scale = scale
        self.components = components
        self.log_center = log_center
        self.log_scale = log_scale

    @classmethod
    def fit(cls, sequences, n_components, standardize):
        """The first ``n_components`` principal axes of ``(n, T, C)`` sequences.

        Each channel is divided by its standard deviation over the training
        sequences first (with ``standardize``), so that a channel in larger
        units does not decide the subspace alone.
        """
        sequences = np.asarray(sequences, dtype=np.float64)
        scale = np.ones(sequences.shape[2])
        if standardize:
            spread = sequences.std(axis=(0, 1))
            scale = np.where(spread > 0, spread, 1.0)
        mean = sequences.mean(axis=0)
        flat = ((sequences - mean) / scale).reshape(len(sequences), -1)
        components = np.linalg.svd(flat, full_matrices=False)[2][:n_components]
        return cls(mean, scale, components.reshape(-1, *sequences.shape[1:]))

    def errors(self, sequences):
        """Mean squared residual of each sequence off the subspace, ``(n,)``."""
        flat = ((np.asarray(sequences, np.float64) - self.mean) / self.scale).reshape(
            len(sequences), -1
        )
        components = self.components.reshape(len(self.components), -1)
        residual = flat - (flat @ components.T) @ components
        return np.mean(np.square(residual), axis=1)

    def calibrate(self, calibration_errors, training_errors):
        """Locate the log residuals: the calibration sequences' median, robust spread.

        Both arguments are :meth:`errors` of those sequences. The spread is at
        least the training sequences' (as for the network's errors, a handful
        of held-out sequences can agree by chance) and at least
        ``_MIN_LOG_SCALE``.
        """
        self.log_center, log_scale = log_location(calibration_errors)
        training_scale = log_location(training_errors)[1]
        self.log_scale = max(log_scale, training_scale, _MIN_LOG_SCALE)
        return self

    def z(self, sequences):
        """Robust z-score of each sequence's log residual, ``(n,)``."""
        log_errors = np.log(np.maximum(self.errors(sequences), np.finfo(float).tiny))
        return (log_errors - self.log_center) / self.log_scale


def linear_weight(network_errors, linear_errors):
    """The linear view's weight beside the network's: ``r / (1 + r)``.

    ``r`` is the network's median error of the calibration sequences over
    the linear view's, in the same units: each view counts in inverse
    proportion to its error on normal sequences it did not fit, so that the
    network's error, where it fits unseen normal curves less tightly than
    PCA does (long outlines, spectra), moves the score less. Two views that
    fit alike are averaged.
    """
    network, linear = np.median(network_errors), np.median(linear_errors)
    if network + linear <= 0:
        return 0.5
    return float(network / (network + linear))
