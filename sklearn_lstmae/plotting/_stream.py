"""A long stream, its per-point anomaly score and the spans flagged as anomalous."""

import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from ..windows import as_columns
from ._common import _axes_column, _channel_names, _pyplot

_ERROR_LABEL = "anomaly score (higher = more anomalous)"


def _unpack_stream(stream, time, channel_names):
    """Values ``(n_points, n_channels)``; time and names from a pandas index."""
    if hasattr(stream, "index"):  # pandas Series or DataFrame
        time = stream.index.to_numpy() if time is None else time
        if channel_names is None and hasattr(stream, "columns"):
            channel_names = [str(column) for column in stream.columns]
        elif channel_names is None and getattr(stream, "name", None) is not None:
            channel_names = [str(stream.name)]
    return as_columns(np.asarray(stream, dtype=float)), time, channel_names


def _per_point(values, n_points, name):
    """``values`` as a float array of one value per point, without NaN."""
    values = np.asarray(values, dtype=float)
    if values.shape != (n_points,):
        raise ValueError(
            f"{name} must hold one value per point of the stream, shape "
            f"({n_points},); got shape {values.shape}."
        )
    missing = np.flatnonzero(np.isnan(values))
    if len(missing):
        raise ValueError(
            f"{name} has {len(missing)} NaN values (the first at point "
            f"{missing[0]}); every point needs a score."
        )
    return values


def _stream_time(time, n_points):
    if time is None:
        return np.arange(n_points)
    time = np.asarray(time)
    if time.shape != (n_points,):
        raise ValueError(
            f"time must hold one value per point ({n_points}); got shape {time.shape}."
        )
    return time


def _point_edges(time):
    """``n_points + 1`` edges, half-way between neighbouring points."""
    if len(time) == 1:
        return time[[0, 0]]
    middles = time[:-1] + (time[1:] - time[:-1]) / 2
    first = time[0] - (time[1] - time[0]) / 2
    last = time[-1] + (time[-1] - time[-2]) / 2
    return np.concatenate([[first], middles, [last]])


def _flagged_runs(flagged):
    """``(start, stop)`` point indices of each run of True, ``stop`` exclusive."""
    padded = np.concatenate([[False], flagged, [False]])
    return np.flatnonzero(padded[1:] != padded[:-1]).reshape(-1, 2)


class StreamDisplay:
    """A long stream with its anomaly score and the flagged spans.

    The channels are drawn one panel each, the per-point score in a panel
    underneath on the same time axis, the threshold as a horizontal line, and
    every run of consecutive points whose score is past the threshold is
    shaded in all panels.

    Parameters
    ----------
    stream : array-like of shape (n_points,) or (n_points, n_channels)
        The stream; rows are time. A DataFrame's index is the time axis and
        its columns the channel names (a Series's index and name likewise).
    errors : array-like of shape (n_points,)
        What is drawn under the channels, higher = more anomalous; for a
        detector, minus its ``score_samples``.
    threshold : float, default=None
        Points with ``errors > threshold`` are flagged; ``None`` draws no
        threshold and flags nothing. For a detector, ``-offset_``.
    time : array-like of shape (n_points,), default=None
        The x values of the points (numbers or datetimes); ``None`` takes a
        DataFrame's index, else 0, 1, ...
    channel_names : list of str, default=None
        Panel titles; ``None`` takes a DataFrame's columns, else "channel 0",
        "channel 1", ...

    Attributes
    ----------
    axes_ : ndarray of matplotlib Axes
        One per channel, then the scores' axes.
    ax_ : matplotlib Axes
        The scores' axes, ``axes_[-1]``.
    figure_ : matplotlib Figure
        The figure of the axes.
    lines_ : ndarray of matplotlib Line2D
        The line of each channel.
    error_line_ : matplotlib Line2D
        The line of the errors.
    threshold_line_ : matplotlib Line2D or None
        The threshold line.
    runs_ : ndarray of shape (n_runs, 2)
        First and one-past-last point index of each flagged run.
    spans_ : ndarray of shape (n_channels + 1, n_runs) of matplotlib patches
        The shading of each run in each axes; a run covers its points up to
        half-way to their neighbours.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_lstmae.plotting import StreamDisplay
    >>> t = np.arange(300)
    >>> stream = np.column_stack([np.sin(t / 8), np.cos(t / 8)])
    >>> scores = np.zeros(300)  # score_samples: higher = more normal
    >>> scores[120:135] = -5.0
    >>> display = StreamDisplay.from_scores(stream, scores, threshold=-1.0)
    >>> len(display.axes_), display.runs_.tolist()
    (3, [[120, 135]])
    """

    def __init__(
        self, stream, errors, *, threshold=None, time=None, channel_names=None
    ):
        self.stream, self.time, self.channel_names = _unpack_stream(
            stream, time, channel_names
        )
        self.errors = np.asarray(errors)
        self.threshold = threshold

    def plot(self, ax=None, *, xlabel="time", ylabel="value", error_label=_ERROR_LABEL):
        """Draw the channels, the errors, the threshold and the flagged spans.

        Parameters
        ----------
        ax : array-like of matplotlib Axes, default=None
            ``n_channels + 1`` Axes: one per channel, then one for the
            errors; ``None`` creates a figure with them stacked, sharing x.
        xlabel, ylabel : str, default="time", "value"
            Label of the time axis and of the channels' values.
        error_label : str, default="anomaly score (higher = more anomalous)"
            Title of the errors' panel.

        Returns
        -------
        StreamDisplay
            The display, its matplotlib objects in ``axes_``, ``ax_`` and
            ``figure_``.
        """
        n_points, n_channels = self.stream.shape
        errors = _per_point(self.errors, n_points, "errors")
        time = _stream_time(self.time, n_points)
        names = _channel_names(self.channel_names, n_channels)
        self.axes_ = _axes_column(
            "StreamDisplay.plot",
            ax,
            n_channels + 1,
            what="one Axes per channel and one for the scores",
            figsize=(9.6, 0.8 + 1.6 * (n_channels + 1)),
        )
        self.ax_, self.figure_ = self.axes_[-1], self.axes_[-1].figure
        lines = []
        for c, axis in enumerate(self.axes_[:-1]):
            lines.append(axis.plot(time, self.stream[:, c], "k", lw=0.8)[0])
            axis.set(title=names[c], ylabel=ylabel)
        self.lines_ = np.asarray(lines, dtype=object)
        (self.error_line_,) = self.ax_.plot(time, errors, "C0", lw=0.8)
        self.ax_.set(title=error_label, xlabel=xlabel)
        self._draw_threshold(errors, time)
        return self

    def _draw_threshold(self, errors, time):
        self.threshold_line_, self.runs_ = None, np.empty((0, 2), dtype=int)
        if self.threshold is not None:
            threshold = float(self.threshold)
            self.threshold_line_ = self.ax_.axhline(
                threshold,
                color="k",
                ls="--",
                lw=1,
                label=f"threshold ({threshold:.3g})",
            )
            self.runs_ = _flagged_runs(errors > threshold)
        self.spans_ = self._shade(_point_edges(time))
        if self.threshold is not None:
            self.ax_.legend(fontsize="small", loc="upper right")

    def _shade(self, edges):
        spans = np.empty((len(self.axes_), len(self.runs_)), dtype=object)
        for a, axis in enumerate(self.axes_):
            for r, (start, stop) in enumerate(self.runs_):
                label = "flagged" if axis is self.ax_ and r == 0 else None
                spans[a, r] = axis.axvspan(
                    edges[start], edges[stop], color="C3", alpha=0.25, lw=0, label=label
                )
        return spans

    @classmethod
    def from_estimator(
        cls, estimator, X, *, time=None, channel_names=None, ax=None, **plot_kwargs
    ):
        """Score every point of ``X`` and plot the stream with the flagged spans.

        Parameters
        ----------
        estimator : fitted estimator
            A fitted :class:`~sklearn_lstmae.stream.SlidingWindowDetector`
            (anything with per-point ``score_samples`` and ``offset_``), or a
            Pipeline ending in one. The errors are ``-score_samples(X)`` and
            the threshold is ``-offset_``, so the flagged points are those
            ``predict`` calls outliers.
        X : array-like of shape (n_points,) or (n_points, n_channels)
            One stream, drawn as given (before a pipeline's scaling).
        time : array-like of shape (n_points,), default=None
            The x values of the points; ``None`` takes a DataFrame's index.
        channel_names : list of str, default=None
            Panel titles; ``None`` takes a DataFrame's columns.
        ax : array-like of matplotlib Axes, default=None
            ``n_channels + 1`` Axes.
        **plot_kwargs : dict
            Passed to :meth:`plot` (``xlabel``, ``ylabel``, ``error_label``).

        Returns
        -------
        StreamDisplay
            The display, its matplotlib objects in ``axes_``, ``ax_`` and
            ``figure_``.
        """
        _pyplot(f"{cls.__name__}.from_estimator")
        final = estimator[-1] if isinstance(estimator, Pipeline) else estimator
        if not hasattr(type(final), "score_samples"):
            raise TypeError(
                f"{cls.__name__}.from_estimator needs a fitted outlier detector "
                "with per-point score_samples, such as SlidingWindowDetector; got "
                f"{type(final).__name__}."
            )
        check_is_fitted(final, "offset_")
        return cls.from_scores(
            X,
            estimator.score_samples(X),
            threshold=final.offset_,
            time=time,
            channel_names=channel_names,
            ax=ax,
            **plot_kwargs,
        )

    @classmethod
    def from_scores(
        cls,
        stream,
        scores,
        *,
        threshold=None,
        time=None,
        channel_names=None,
        ax=None,
        **plot_kwargs,
    ):
        """Plot a stream with per-point scores computed elsewhere.

        The scores follow scikit-learn's ``score_samples`` convention, as in
        :meth:`ScoreHistogramDisplay.from_predictions`: higher = more normal.
        The display draws minus the scores, so anomalies point up.

        Parameters
        ----------
        stream : array-like of shape (n_points,) or (n_points, n_channels)
            The stream; a DataFrame gives the time axis and channel names.
        scores : array-like of shape (n_points,)
            One score per point, higher = more normal, without NaN.
        threshold : float, default=None
            In the units of ``scores``, e.g. a detector's ``offset_``: points
            with ``scores < threshold`` are flagged. ``None`` flags nothing.
        time : array-like of shape (n_points,), default=None
            The x values of the points.
        channel_names : list of str, default=None
            Panel titles.
        ax : array-like of matplotlib Axes, default=None
            ``n_channels + 1`` Axes.
        **plot_kwargs : dict
            Passed to :meth:`plot` (``xlabel``, ``ylabel``, ``error_label``).

        Returns
        -------
        StreamDisplay
            The display, its matplotlib objects in ``axes_``, ``ax_`` and
            ``figure_``.
        """
        _pyplot(f"{cls.__name__}.from_scores")
        scores = _per_point(scores, len(stream), "scores")
        display = cls(
            stream,
            -scores,
            threshold=None if threshold is None else -float(threshold),
            time=time,
            channel_names=channel_names,
        )
        return display.plot(ax=ax, **plot_kwargs)
