"""Calibration: from scores of data the network did not fit to thresholds and p-values.

Every threshold of the detectors is set here, from the scores of their
calibration data (``score_samples``: higher is more normal):

- the views of a sequence (its reconstruction error, the residual of a
  linear model, its spread) are robust z-scores on the log scale: the two
  reconstruction views averaged (weighted by how tightly each fits the
  calibration data), the spread joined by a soft maximum, the
  result expressed as the error of that z-score (:func:`fused_errors`);
- ``contamination='auto'`` flags a log error more than 3.5 robust standard
  deviations above the calibration median (:func:`auto_offset`);
- a float ``contamination=alpha`` is the conformal threshold: a new sequence
  is flagged exactly when its p-value is at most ``alpha``
  (:func:`conformal_offset`, :func:`p_values`);
- :func:`select_fdr` flags a batch by its p-values with a false-discovery
  rate of at most ``q`` (Benjamini-Hochberg).

The guarantee assumes that the calibration data and new normal data are
exchangeable (drawn alike, in any order) and that the network did not fit the
calibration data: :func:`split_calibration` holds them out.
"""

import math
import warnings

import numpy as np
from sklearn.exceptions import NotFittedError
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

__all__ = [
    "AUTO_ROBUST_Z",
    "auto_offset",
    "calibrated_offset",
    "calibration_scores",
    "conformal_offset",
    "fused_errors",
    "log_location",
    "p_values",
    "robust_location",
    "select_fdr",
    "split_calibration",
    "warn_if_coarse",
]

# A modified z-score above this on the log reconstruction error is an outlier
# under contamination="auto": Iglewicz and Hoaglin's cut-off.
AUTO_ROBUST_Z = 3.5
# Scales the median absolute deviation to a standard deviation for normal data.
MAD_TO_STD = 1.4826
# Keeps the error a z-score stands for finite (float64's largest is about
# e**709).
_MAX_LOG_ERROR = 700.0
# Below this many calibration sequences a fit warns that p-values and the
# threshold are coarse: the smallest p-value, 1/(n+1), is then above 0.05.
_FEW_CALIBRATION = 19


def robust_location(values):
    """Median and normal-consistent median absolute deviation along axis 0."""
    median = np.median(values, axis=0)
    return median, MAD_TO_STD * np.median(np.abs(values - median), axis=0)


def log_location(errors):
    """Median and robust standard deviation of the logs of positive ``errors``."""
    median, scale = robust_location(np.log(np.maximum(errors, np.finfo(float).tiny)))
    return float(median), float(scale)


def fused_errors(
    errors, log_center, log_scale, *, spread_z=None, linear_z=None, linear_weight=0.5
):
    """``errors`` fused with other views' robust z-scores, in the units of the error.

    Each view is a robust z-score on the log scale; the error's is
    ``(log(errors) - log_center) / log_scale``. The linear view is a second
    estimate of how well a model of normal data reconstructs the sequence:
    the two are averaged, the linear one with weight ``linear_weight``
    (:func:`~sklearn_lstmae._linear_view.linear_weight`). The spread view
    (0 for a typical spread, large for a damped, calm or wild sequence)
    flags what no reconstruction sees:
    it is joined by a soft maximum, ``log(exp(z) + exp(spread_z) - 1)``,
    which is ``z`` itself for a typical spread and close to ``spread_z``
    when that is the more unusual, so that sequences stay ranked by their
    reconstruction rather than tied at one spread level. The fused z-score
    comes back as the error whose z-score it is. Without other views the
    errors come back unchanged.
    """
    if spread_z is None and linear_z is None:
        return errors
    scale = max(log_scale, np.finfo(float).tiny)
    z = (np.log(np.maximum(errors, np.finfo(float).tiny)) - log_center) / scale
    if linear_z is not None:
        z = (1 - linear_weight) * z + linear_weight * linear_z
    if spread_z is not None:
        # log(expm1(0)) is -inf: a typical spread adds nothing.
        with np.errstate(divide="ignore"):
            spread_term = np.log(np.expm1(np.minimum(spread_z, _MAX_LOG_ERROR)))
        z = np.logaddexp(z, spread_term)
    return np.exp(_log_error(z, log_center, scale))


def _log_error(z, log_center, log_scale):
    return np.minimum(log_center + log_scale * z, _MAX_LOG_ERROR)


def auto_offset(log_center, log_scale):
    """The 'auto' offset of errors with this median and robust spread of logs."""
    return -float(np.exp(log_center + AUTO_ROBUST_Z * log_scale))


def conformal_offset(calibration_scores, alpha):
    """The offset below which a score's conformal p-value is at most ``alpha``.

    With ``n`` calibration scores, the ``k``-th lowest for ``k`` the largest
    integer with ``k / (n + 1) <= alpha``: a new score below it has at most
    ``k - 1`` calibration scores at or below it. ``-inf`` (nothing is
    flagged) when ``alpha < 1 / (n + 1)``.
    """
    n_calibration = len(calibration_scores)
    rank = _largest_rank(alpha, n_calibration)
    if rank == 0:
        return -math.inf
    return float(np.sort(calibration_scores)[rank - 1])


def _largest_rank(alpha, n_calibration):
    """The largest ``k`` with ``k / (n + 1) <= alpha``, as p-values compute it."""
    rank = math.floor(alpha * (n_calibration + 1))
    # Round-off in alpha * (n + 1): settle on the same float comparison that
    # p_values(...) <= alpha makes.
    while (rank + 1) / (n_calibration + 1) <= alpha:
        rank += 1
    while rank > 0 and rank / (n_calibration + 1) > alpha:
        rank -= 1
    return min(rank, n_calibration)


def calibrated_offset(calibration_scores, contamination, auto=None):
    """``offset_`` from the calibration scores and ``contamination``.

    A float is the conformal threshold (:func:`conformal_offset`). ``'auto'``
    is ``auto`` where the estimator has its own rule (the detector's, on its
    errors; an inner estimator's ``offset_``), else the robust rule on the
    logs of minus the scores.
    """
    if contamination != "auto":
        return conformal_offset(calibration_scores, contamination)
    if auto is not None:
        return float(auto)
    return auto_offset(*log_location(-np.asarray(calibration_scores)))


def calibration_scores(estimator):
    """The fitted ``calibration_scores_``, or a clear error for an old archive."""
    check_is_fitted(estimator)
    if not hasattr(estimator, "calibration_scores_"):
        raise NotFittedError(
            f"This {type(estimator).__name__} was saved before detectors kept "
            "their calibration scores, so it has no p-values. Fit it again."
        )
    return estimator.calibration_scores_


def p_values(calibration_scores, scores):
    """Conformal p-values of ``scores`` against sorted ``calibration_scores``.

    ``(1 + #{calibration scores at or below the score}) / (n + 1)``: lower
    ``score_samples`` is more anomalous, so a low p-value says that few
    calibration scores are as anomalous.
    """
    at_or_below = np.searchsorted(calibration_scores, scores, side="right")
    return (1.0 + at_or_below) / (len(calibration_scores) + 1.0)


def select_fdr(p_values, q=0.1):
    """Flag the p-values that Benjamini-Hochberg selects at false-discovery rate ``q``.

    Of the flagged samples, the expected share of normal ones is at most
    ``q`` when the normal samples' p-values are independent and uniform (or
    conservative) -- which conformal p-values of exchangeable sequences are,
    up to the positive dependence that a shared calibration set gives, for
    which Benjamini-Hochberg still holds (Bates et al., 2023).

    Parameters
    ----------
    p_values : array-like of shape (n_samples,)
        p-values in [0, 1], e.g. from
        :meth:`~sklearn_lstmae.LSTMAnomalyDetector.p_values`.
    q : float in (0, 1), default=0.1
        Largest expected share of false alarms among the flagged samples.

    Returns
    -------
    flagged : ndarray of bool, shape (n_samples,)
        True for the samples selected as anomalies.

    References
    ----------
    Y. Benjamini and Y. Hochberg, "Controlling the false discovery rate",
    J. R. Stat. Soc. B 57 (1995). S. Bates, E. Candes, L. Lei, Y. Romano
    and M. Sesia, "Testing for outliers with conformal p-values", Ann.
    Statist. 51 (2023).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_lstmae import select_fdr
    >>> select_fdr(np.array([0.001, 0.2, 0.004, 0.9]), q=0.05)
    array([ True, False,  True, False])
    """
    p_values = np.asarray(p_values, dtype=float)
    if p_values.ndim != 1:
        raise ValueError(
            f"select_fdr expects a 1-D array of p-values; got shape {p_values.shape}."
        )
    if not np.all((p_values >= 0) & (p_values <= 1)):
        raise ValueError(
            "select_fdr expects p-values in [0, 1]; got values outside it (or NaN)."
        )
    if not 0 < q < 1:
        raise ValueError(f"q is a false-discovery rate in (0, 1); got {q!r}.")
    n_samples = len(p_values)
    order = np.argsort(p_values, kind="stable")
    passes = p_values[order] <= q * np.arange(1, n_samples + 1) / max(n_samples, 1)
    n_selected = np.flatnonzero(passes)[-1] + 1 if passes.any() else 0
    flagged = np.zeros(n_samples, dtype=bool)
    flagged[order[:n_selected]] = True
    return flagged


def split_calibration(n_samples, calibration_split, random_state):
    """Indices to fit on and indices to calibrate on, each sorted.

    A random ``calibration_split`` share is held out (at least one sample, as
    Keras's ``validation_split`` rounds); 0 holds out nothing. A split that
    leaves nothing on one side is a ``ValueError``.
    """
    indices = np.arange(n_samples)
    if calibration_split == 0:
        return indices, indices[:0]
    n_fit = math.floor(n_samples * (1.0 - calibration_split))
    if n_fit in (0, n_samples):
        raise ValueError(
            f"calibration_split={calibration_split} of {n_samples} samples leaves "
            "no sample to train on or none to calibrate on. Pass more samples or "
            "another calibration_split (0 calibrates on the training data)."
        )
    held_out = check_random_state(random_state).permutation(n_samples)[n_fit:]
    return np.setdiff1d(indices, held_out), np.sort(held_out)


def warn_if_coarse(estimator, n_calibration, *, in_sample, what, stacklevel):
    """Say plainly when a threshold cannot be what ``estimator`` was asked for.

    A float ``contamination`` below ``1 / (n + 1)`` flags nothing; fewer than
    19 held-out calibration samples give coarse p-values and thresholds.
    ``stacklevel`` counts the caller's frames up to the user's ``fit`` call.
    """
    name = type(estimator).__name__
    smallest = 1 / (n_calibration + 1)
    if estimator.contamination != "auto" and estimator.contamination < smallest:
        message = (
            f"contamination={estimator.contamination} is below the smallest "
            f"p-value that {n_calibration} calibration {what} allow, 1/(n+1) = "
            f"{smallest:.3g}: {name} will flag nothing. Pass more training data, "
            "a larger calibration_split or a larger contamination."
        )
    elif n_calibration < _FEW_CALIBRATION and not in_sample:
        message = (
            f"{name} calibrated on {n_calibration} {what} it did not train on: "
            f"its p-values cannot go below 1/(n+1) = {smallest:.3g}, and a "
            "threshold from so few is coarse. Pass more training data or a "
            "larger calibration_split."
        )
    else:
        return
    warnings.warn(message, UserWarning, stacklevel=stacklevel + 1)
