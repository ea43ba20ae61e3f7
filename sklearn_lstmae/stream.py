"""Long streams: one anomaly score per time point from a detector of windows."""

import functools
import math
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import (
    BaseEstimator,
    MetaEstimatorMixin,
    OutlierMixin,
    _fit_context,
    clone,
)
from sklearn.utils import get_tags
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, validate_data

from ._calibration import (
    calibrated_offset,
    calibration_scores,
    p_values,
    warn_if_coarse,
)
from ._fitted_state import Choice, Count, Fitted, Names, Number, SortedScores
from ._metaestimators import inner_has
from ._online import StreamScorer, StreamScores
from .anomaly import LSTMAnomalyDetector
from .windows import (
    PointMeans,
    as_columns,
    n_windows,
    sliding_windows,
    window_chunks,
)

__all__ = ["SlidingWindowDetector", "StreamScorer", "StreamScores"]

# train_stride="auto" keeps at most about this many training windows
# (benchmarks/README.md, "Streams"): more overlapping windows add near-copies
# that the detector's 800-step budget cannot even visit once.
_MAX_TRAINING_WINDOWS = 4096
# The threshold is calibrated on the point scores of at most this many of the
# last calibration points: scoring a whole day's training stream again would
# cost more than training.
_MAX_CALIBRATION_POINTS = 50_000


class SlidingWindowDetector(OutlierMixin, MetaEstimatorMixin, BaseEstimator):
    """Flag the time points of a long stream where windows of it look anomalous.

    The samples of this outlier detector are **time points**. :meth:`fit` cuts
    the stream into overlapping windows of ``window_size`` points and fits a
    detector of sequences on them; scoring slides a window over the stream
    and gives each point the mean of what the windows covering it say about
    it. With an inner estimator that has ``reconstruction_error`` (the
    default :class:`LSTMAnomalyDetector`), that is the point's **own**
    reconstruction error in each window, so that an anomaly is located at the
    points where it is rather than spread over every window that contains it.
    Any other scikit-learn outlier detector scores the windows, flattened to
    ``(n_windows, window_size * n_channels)``, and each point gets the mean
    score of its windows. Signs are scikit-learn's, per point: higher
    :meth:`score_samples` is more normal, :meth:`predict` is +1 or -1.

    Parameters
    ----------
    estimator : estimator or None, default=None
        The detector of windows, cloned in :meth:`fit`; it needs ``fit`` and
        ``score_samples``. ``None`` means
        ``LSTMAnomalyDetector(calibration_split=0)``: the stream detector
        holds out its own calibration points (``calibration_split``).
    window_size : int >= 2
        Points per window.
    stride : int in [1, window_size], default=1
        Points between the starts of the windows that are scored. 1 gives
        every point ``window_size`` values to average; a larger stride costs
        ``stride`` times less. A last window always ends at the last point.
    train_stride : int >= 1 or "auto", default="auto"
        Points between the starts of the training windows. ``"auto"``: the
        smallest stride that gives at most 4096 training windows, so that a
        stream of a million points does not train on a million near-copies
        (see Notes).
    point_score : {"auto", "step", "window"}, default="auto"
        ``"step"``: a point's score is minus the mean of its own errors in
        the windows covering it (needs an inner ``reconstruction_error``);
        ``"window"``: the mean of those windows' ``score_samples``.
        ``"auto"`` is ``"step"`` when the inner estimator can, else
        ``"window"``.
    contamination : 'auto' or float in (0, 0.5], default='auto'
        A float ``alpha``: flag the points whose :meth:`p_values` are at most
        ``alpha``, about a share ``alpha`` of the normal points of a stream
        like the calibration stream (see Notes). ``'auto'``: the robust rule
        of :class:`LSTMAnomalyDetector` (a log error more than 3.5 robust
        standard deviations above the median) applied to the calibration
        points' scores, read as errors (minus ``score_samples``), with
        ``point_score="step"``; else the inner estimator's own ``offset_``
        (e.g. -0.5 for ``IsolationForest``).
    calibration_split : float in [0, 1), default=0.2
        Share of each training stream, at its end, that no training window
        covers: the threshold and the p-values come from its points' scores.
        ``0`` calibrates on the training stream itself, which the network has
        fitted.

    Attributes
    ----------
    estimator_ : estimator
        The fitted detector of windows.
    offset_ : float
        ``decision_function = score_samples - offset_``, per point; ``-inf``
        when a float ``contamination`` is below every p-value.
    calibration_scores_ : ndarray of shape (n_calibration,)
        :meth:`score_samples` of the calibration points, ascending.
    point_score_ : {"step", "window"}
        How point scores are made.
    train_stride_ : int
        Points between the starts of the training windows.
    n_features_in_ : int
        Channels of the stream.
    feature_names_in_ : ndarray of str
        Column names of a DataFrame stream seen in :meth:`fit`.

    See Also
    --------
    LSTMAnomalyDetector : The default detector of windows.
    sklearn_lstmae.windows.sliding_windows : The windows, as a view.

    Notes
    -----
    **Calibration.** The last ``calibration_split`` of each training stream
    is held out: the training windows end before it, and the threshold and
    the p-values come from the point scores of its last 50,000 points. With
    ``calibration_split=0`` they come from the training stream itself, which
    the network has fitted and which gives a threshold on the low side.

    **What the p-values guarantee.** The points of one stream are not
    exchangeable: neighbours share windows and a stream drifts. A point's
    p-value is its score's rank among the calibration points' scores, so on
    a stretch of new normal stream that behaves like the calibration tail,
    the share of points with a p-value at most ``alpha`` is about ``alpha``;
    it is not the finite-sample guarantee of
    :meth:`LSTMAnomalyDetector.p_values`. On sensor streams (3 seeds) 5.4 %
    of new normal points had a p-value at most 0.05, mostly one point at a
    time (``benchmarks/README.md``, "Calibration").

    **The spread check.** With an inner :class:`LSTMAnomalyDetector` and its
    ``check_spread``, each step's error in a window is raised to the error
    that the window's spread is as unusual as, before the points' means are
    taken: a stretch that went calm is flagged, though it reconstructs well.
    :meth:`reconstruction_error` stays the plain error.

    **Memory.** Scoring never holds all windows: they are scored 4096 at a
    time and added into one running sum per point, so that a stream of
    ``n_points`` costs 16 bytes per point and one chunk, not
    ``O(n_points * window_size)``.

    **Training stride.** Consecutive windows at stride 1 differ by one
    point. ``train_stride="auto"`` keeps at most 4096 of them: on sensor
    streams of 50,000 points it detected as well as training on all 49,937
    windows, in 68 instead of 77 seconds and with 9 MB of windows instead of
    115 MB (``benchmarks/README.md``, "Streams").

    Examples
    --------
    >>> from sklearn.ensemble import IsolationForest
    >>> from sklearn_lstmae import SlidingWindowDetector
    >>> from sklearn_lstmae.datasets import make_sensor_stream
    >>> X, y, _ = make_sensor_stream(2000, n_anomalies=2, random_state=0)
    >>> detector = SlidingWindowDetector(
    ...     IsolationForest(random_state=0), window_size=32).fit(X)
    >>> detector.score_samples(X).shape
    (2000,)
    >>> sorted(set(detector.predict(X).tolist()))
    [-1, 1]
    """

    _parameter_constraints = {
        "estimator": [HasMethods(["fit", "score_samples"]), None],
        "window_size": [Interval(Integral, 2, None, closed="left")],
        "stride": [Interval(Integral, 1, None, closed="left")],
        "train_stride": [
            Interval(Integral, 1, None, closed="left"),
            StrOptions({"auto"}),
        ],
        "point_score": [StrOptions({"auto", "step", "window"})],
        "contamination": [
            StrOptions({"auto"}),
            Interval(Real, 0, 0.5, closed="right"),
        ],
        "calibration_split": [Interval(Real, 0, 1, closed="left")],
    }

    # What save_estimator writes and load_estimator accepts (_fitted_state.py).
    _fitted_state = {
        "estimator_": Fitted(),
        "offset_": Number(minus_infinity=True),
        # Archives written before p-values existed lack it.
        "calibration_scores_": SortedScores(required=False),
        "point_score_": Choice("step", "window"),
        "train_stride_": Count(),
        "n_features_in_": Count(),
        "feature_names_in_": Names("n_features_in_", required=False),
    }

    def __init__(
        self,
        estimator=None,
        *,
        window_size,
        stride=1,
        train_stride="auto",
        point_score="auto",
        contamination="auto",
        calibration_split=0.2,
    ):
        self.estimator = estimator
        self.window_size = window_size
        self.stride = stride
        self.train_stride = train_stride
        self.point_score = point_score
        self.contamination = contamination
        self.calibration_split = calibration_split

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        tags.input_tags.allow_nan = False
        return tags

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None):
        """Fit the inner estimator on windows of one stream or several.

        Parameters
        ----------
        X : array-like of shape (n_points,) or (n_points, n_channels), or \
                list of such arrays
            One stream, rows are time (a DataFrame's index is not used); or a
            list of NumPy arrays or DataFrames, separate recordings with the
            same channels, of which no window straddles two.
        y : None
            Ignored.

        Returns
        -------
        self : SlidingWindowDetector
            The fitted detector.
        """
        if self.stride > self.window_size:
            raise ValueError(
                f"stride={self.stride} is larger than window_size="
                f"{self.window_size}: the points between windows would get no "
                "score. Pass a stride of at most window_size."
            )
        streams = self._validate_streams(X, reset=True)
        training, calibration = self._split_streams(streams)
        self.estimator_ = clone(
            LSTMAnomalyDetector(calibration_split=0.0)
            if self.estimator is None
            else self.estimator
        )
        self.point_score_ = self._resolve_point_score()
        self.train_stride_ = self._training_stride(training)
        windows = [
            sliding_windows(stream, self.window_size, self.train_stride_)
            for stream in training
        ]
        self.estimator_.fit(self._inner_input(np.concatenate(windows)))
        self._calibrate(
            _last_points(calibration, _MAX_CALIBRATION_POINTS, self.window_size)
        )
        return self

    def _split_streams(self, streams):
        """Each stream's head to train on and its tail to calibrate on."""
        if self.calibration_split == 0:
            return streams, streams
        heads, tails = [], []
        for stream in streams:
            n_head = math.floor(len(stream) * (1.0 - self.calibration_split))
            if min(n_head, len(stream) - n_head) < self.window_size:
                raise ValueError(
                    f"calibration_split={self.calibration_split} of a stream of "
                    f"{len(stream)} points leaves {n_head} to train on and "
                    f"{len(stream) - n_head} to calibrate on; each needs at least "
                    f"one window of window_size={self.window_size}. Pass a longer "
                    "stream, another calibration_split, or 0 to calibrate on the "
                    "training stream."
                )
            heads.append(stream[:n_head])
            tails.append(stream[n_head:])
        return heads, tails

    def _resolve_point_score(self):
        can_step = hasattr(self.estimator_, "reconstruction_error")
        if self.point_score == "step" and not can_step:
            raise ValueError(
                "point_score='step' scores each point by its own reconstruction "
                f"error, and {type(self.estimator_).__name__} has no "
                "reconstruction_error. Pass point_score='window' or 'auto'."
            )
        if self.point_score == "auto":
            return "step" if can_step else "window"
        return self.point_score

    def _training_stride(self, streams):
        if self.train_stride != "auto":
            return self.train_stride
        n_all = sum(n_windows(len(stream), self.window_size) for stream in streams)
        return max(1, math.ceil(n_all / _MAX_TRAINING_WINDOWS))

    def _calibrate(self, streams):
        """The calibration points' scores and the threshold they give."""
        scores = np.concatenate([self._score_stream(s) for s in streams])
        # With step scores, 'auto' is the robust rule on the points' own
        # scores (calibrated_offset's default): a point's error is fused with
        # its windows' views at the windows' location, not the points'. On
        # the points' plain errors 'auto' flagged 16.8 % of the anomalous
        # points of a sensor stream, on their scores 98.7 % (and 0.04 % of a
        # normal stream's; benchmarks/README.md, "Calibration").
        auto = None
        if self.point_score_ == "window":
            auto = getattr(self.estimator_, "offset_", None)
            if self.contamination == "auto" and auto is None:
                raise ValueError(
                    f"contamination='auto' takes the threshold of "
                    f"{type(self.estimator_).__name__}'s offset_, which it does "
                    "not have. Pass a float contamination."
                )
        self.calibration_scores_ = np.sort(scores)
        self.offset_ = calibrated_offset(scores, self.contamination, auto=auto)
        # Frames: this method, fit, _fit_context, its wrapper.
        warn_if_coarse(
            self,
            len(scores),
            in_sample=self.calibration_split == 0,
            what="points",
            stacklevel=4,
        )

    # -- scoring -----------------------------------------------------------------

    def _validate_streams(self, X, *, reset):
        many = isinstance(X, list) and X and all(hasattr(s, "shape") for s in X)
        streams = X if many else [X]
        return [
            self._validate_stream(stream, reset=reset and i == 0)
            for i, stream in enumerate(streams)
        ]

    def _validate_stream(self, stream, *, reset):
        stream = self._validate_points(stream, reset=reset)
        if len(stream) < self.window_size:
            raise ValueError(
                f"The stream has {len(stream)} sample(s) (time points), fewer than "
                f"one window of window_size={self.window_size}. Pass a longer "
                "stream or a smaller window_size."
            )
        return stream

    def _validate_chunk(self, chunk):
        """A chunk of a live stream, checked as a stream is, of any length."""
        check_is_fitted(self)
        return self._validate_points(chunk, reset=False)

    def _validate_points(self, stream, *, reset):
        if sp.issparse(stream):
            raise TypeError(
                f"SlidingWindowDetector does not accept sparse input; got a "
                f"{type(stream).__name__}. Pass a dense array, e.g. X.toarray()."
            )
        if not hasattr(stream, "columns"):  # a DataFrame keeps its column names
            stream = as_columns(np.asarray(stream))
        return validate_data(self, stream, reset=reset, dtype=[np.float64, np.float32])

    def _inner_input(self, windows):
        """Windows as the inner estimator takes them: 3-D, or flattened time-major."""
        if get_tags(self.estimator_).input_tags.three_d_array:
            return windows
        return windows.reshape(len(windows), -1)

    def _score_stream(self, stream):
        values = self._to_points(stream, self._window_values())
        if self.point_score_ == "step":
            return np.negative(values, out=values)
        return values

    def p_values(self, X):
        """Each point's p-value against the calibration points' scores.

        Parameters
        ----------
        X : array-like of shape (n_points,) or (n_points, n_channels), or \
                list of such arrays
            One stream or several; outputs of several are concatenated.

        Returns
        -------
        p_values : ndarray of shape (n_points,)
            ``(1 + k) / (n + 1)`` where ``k`` of the ``n`` calibration points
            score at or below the point: low where few calibration points
            were as anomalous (see Notes for what this guarantees).
        """
        return p_values(calibration_scores(self), self.score_samples(X))

    def _window_values(self, with_channels=False):
        """What a chunk of windows says about each of their steps."""
        if self.point_score_ == "window":
            return self._window_scores
        return functools.partial(self._step_values, with_channels=with_channels)

    def _stream_scores(self, index, point_values):
        """The online scorer's result from the per-point means of _window_values."""
        errors = None
        scores = point_values
        if self.point_score_ == "step":
            errors = point_values[:, :-1]
            scores = -point_values[:, -1]
        return StreamScores(
            index=index,
            scores=scores,
            labels=np.where(scores - self.offset_ < 0, -1, 1),
            p_values=p_values(calibration_scores(self), scores),
            errors=errors,
        )

    def _step_values(self, windows, with_channels=False):
        """Each step's error raised by its window's spread (and its channels' errors).

        ``(n_windows, window_size)``; with ``with_channels``, the channels'
        plain errors come first, ``(n_windows, window_size, n_channels + 1)``.
        """
        errors = self._step_errors(windows, per_channel=True)
        step_errors = errors.mean(axis=2)
        with_views = getattr(self.estimator_, "_with_views", None)
        if with_views is not None:
            step_errors = with_views(step_errors, windows)
        if not with_channels:
            return step_errors
        return np.concatenate([errors, step_errors[..., np.newaxis]], axis=2)

    def _step_errors(self, windows, per_channel=False):
        errors = self.estimator_.reconstruction_error(windows, reduce=None)
        errors = errors.reshape(len(windows), self.window_size, -1)
        # Averaged over channels before they are added up, the running sums
        # hold one value per point rather than one per point and channel.
        return errors if per_channel else errors.mean(axis=2)

    def _window_scores(self, windows):
        scores = self.estimator_.score_samples(windows)
        return np.broadcast_to(scores[:, np.newaxis], (len(windows), self.window_size))

    def _to_points(self, stream, window_values):
        """Mean per point of ``window_values`` over the windows covering it.

        ``window_values`` maps a chunk of windows, as the inner estimator
        takes them, to ``(n_chunk_windows, window_size, ...)`` values; chunks
        are added into per-point sums one by one.
        """
        windows = sliding_windows(stream, self.window_size, self.stride)
        chunks = window_chunks(windows, 0, self.stride)
        last_start = len(stream) - self.window_size
        if last_start % self.stride:
            chunks.append((last_start, stream[np.newaxis, last_start:]))
        point_means = PointMeans(len(stream), self.stride)
        for first_point, chunk in chunks:
            values = window_values(self._inner_input(chunk))
            point_means.add(values, first_point=first_point)
        return point_means.means()

    def _per_point(self, X, score_stream):
        check_is_fitted(self)
        streams = self._validate_streams(X, reset=False)
        return np.concatenate([score_stream(stream) for stream in streams])

    def stream_scorer(self):
        """A scorer for one live stream, fed chunk by chunk as points arrive.

        Returns
        -------
        scorer : StreamScorer
            ``scorer.update(chunk)`` returns the points whose scores became
            final, ``scorer.close()`` the rest; together they equal
            :meth:`score_samples` of the whole stream. One scorer per stream;
            the detector itself is not changed.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.ensemble import IsolationForest
        >>> from sklearn_lstmae import SlidingWindowDetector
        >>> from sklearn_lstmae.datasets import make_sensor_stream
        >>> X, _, _ = make_sensor_stream(1000, n_anomalies=1, random_state=0)
        >>> detector = SlidingWindowDetector(
        ...     IsolationForest(random_state=0), window_size=32).fit(X)
        >>> scorer = detector.stream_scorer()
        >>> first = scorer.update(X[:100])  # the first 69 points are final
        >>> first.index[[0, -1]]
        array([ 0, 68])
        >>> rest = [scorer.update(X[start:start + 7]) for start in range(100, 1000, 7)]
        >>> online = np.concatenate([first.scores, *[r.scores for r in rest],
        ...                          scorer.close().scores])
        >>> np.allclose(online, detector.score_samples(X))
        True
        """
        check_is_fitted(self)
        return StreamScorer(self)

    @available_if(inner_has("reconstruction_error", default=LSTMAnomalyDetector))
    def reconstruction_error(self, X, reduce="point"):
        """Each point's own error, averaged over the windows that cover it.

        Parameters
        ----------
        X : array-like of shape (n_points,) or (n_points, n_channels), or \
                list of such arrays
            One stream or several; outputs of several are concatenated.
        reduce : {"point", "channel"}, default="point"
            ``"point"``: mean over channels, shape ``(n_points,)``;
            ``"channel"``: one error per channel, shape
            ``(n_points, n_channels)``, which channel went wrong when.

        Returns
        -------
        errors : ndarray
            The inner estimator's ``reconstruction_error(reduce=None)`` of
            each point in each window covering it, averaged.
        """
        if reduce not in ("point", "channel"):
            raise ValueError(f"reduce must be 'point' or 'channel'; got {reduce!r}.")

        def step_errors(windows):
            return self._step_errors(windows, per_channel=reduce == "channel")

        return self._per_point(X, lambda stream: self._to_points(stream, step_errors))

    def score_samples(self, X):
        """Score of each point: higher is more normal.

        Parameters
        ----------
        X : array-like of shape (n_points,) or (n_points, n_channels), or \
                list of such arrays
            One stream or several; outputs of several are concatenated.

        Returns
        -------
        scores : ndarray of shape (n_points,)
            Minus the point's mean error with ``point_score_="step"``, the
            mean ``score_samples`` of its windows with ``"window"``.
        """
        return self._per_point(X, self._score_stream)

    def decision_function(self, X):
        """Score shifted by the threshold: negative for outlying points.

        Parameters
        ----------
        X : array-like of shape (n_points,) or (n_points, n_channels), or \
                list of such arrays
            One stream or several; outputs of several are concatenated.

        Returns
        -------
        decision : ndarray of shape (n_points,)
            ``score_samples(X) - offset_``.
        """
        return self.score_samples(X) - self.offset_

    def predict(self, X):
        """Label each point +1 (inlier) or -1 (outlier).

        Parameters
        ----------
        X : array-like of shape (n_points,) or (n_points, n_channels), or \
                list of such arrays
            One stream or several; outputs of several are concatenated.

        Returns
        -------
        labels : ndarray of shape (n_points,)
            +1 where ``decision_function(X) >= 0``, else -1.
        """
        return np.where(self.decision_function(X) < 0, -1, 1)


def _last_points(streams, n_points, window_size):
    """The last ``n_points`` points (or a few more) of ``streams``, as streams."""
    kept = []
    for stream in reversed(streams):
        if n_points <= 0:
            break
        kept.append(stream[-max(n_points, window_size) :])
        n_points -= len(kept[-1])
    return kept[::-1]
