"""Sliding windows over a stream, and per-window values mapped back to points.

:func:`sliding_windows` cuts the windows; :class:`PointMeans` adds values of
windows, chunk by chunk, into one mean per point, which is what
:func:`windows_to_points` and the stream detector's scoring return.
"""

from numbers import Integral

import numpy as np
from sklearn.utils._param_validation import Interval, validate_params

__all__ = [
    "PointMeans",
    "as_columns",
    "n_windows",
    "sliding_windows",
    "windows_to_points",
]

_POSITIVE_INT = [Interval(Integral, 1, None, closed="left")]


def n_windows(n_points, window_size, stride=1):
    """Number of windows of ``window_size`` points, ``stride`` apart, in a stream.

    Parameters
    ----------
    n_points : int
        Length of the stream, at least ``window_size``.
    window_size : int
        Points per window.
    stride : int, default=1
        Points between the starts of consecutive windows.

    Returns
    -------
    n_windows : int
        ``(n_points - window_size) // stride + 1``.

    Examples
    --------
    >>> from sklearn_lstmae.windows import n_windows
    >>> n_windows(10, 4, stride=3)
    3
    """
    if n_points < window_size:
        raise ValueError(
            f"A stream of {n_points} points is shorter than one window of "
            f"window_size={window_size} points."
        )
    return (n_points - window_size) // stride + 1


@validate_params(
    {
        "X": ["array-like"],
        "window_size": _POSITIVE_INT,
        "stride": _POSITIVE_INT,
    },
    prefer_skip_nested_validation=True,
)
def sliding_windows(X, window_size, stride=1):
    """Windows of a stream as a read-only view, without copying it.

    Parameters
    ----------
    X : array-like of shape (n_points,) or (n_points, n_channels)
        One stream; rows are time.
    window_size : int
        Points per window.
    stride : int, default=1
        Points between the starts of consecutive windows. With ``stride > 1``
        the last ``(n_points - window_size) % stride`` points are in no
        window; with ``stride > window_size`` windows leave gaps.

    Returns
    -------
    windows : ndarray of shape (n_windows, window_size, n_channels)
        Window ``i`` is ``X[i * stride : i * stride + window_size]``; a 1-D
        stream has one channel. A read-only view of ``X`` when ``X`` is a
        NumPy array: it holds no copy of the data.

    See Also
    --------
    windows_to_points : Map per-window values back to the points.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_lstmae.windows import sliding_windows
    >>> windows = sliding_windows(np.arange(6.0), window_size=3, stride=2)
    >>> windows.shape
    (2, 3, 1)
    >>> windows[:, :, 0]
    array([[0., 1., 2.],
           [2., 3., 4.]])
    """
    stream = as_columns(np.asarray(X))
    n_windows(len(stream), window_size, stride)
    # (n_points - window_size + 1, n_channels, window_size), channels before time.
    every_window = np.lib.stride_tricks.sliding_window_view(stream, window_size, axis=0)
    return every_window[::stride].transpose(0, 2, 1)


@validate_params(
    {
        "values": ["array-like"],
        "n_points": _POSITIVE_INT,
        "window_size": _POSITIVE_INT,
        "stride": _POSITIVE_INT,
    },
    prefer_skip_nested_validation=True,
)
def windows_to_points(values, n_points, window_size, stride=1):
    """Average per-window values over the windows that cover each point.

    Parameters
    ----------
    values : array-like of shape (n_windows,), (n_windows, window_size) or \
            (n_windows, window_size, n_channels)
        One value per window, which counts for each of its points; or one
        value per step of each window (e.g. a per-step reconstruction
        error), which counts for that step's point only; optionally per
        channel. Windows as :func:`sliding_windows` cuts them.
    n_points : int
        Length of the stream the windows came from.
    window_size : int
        Points per window.
    stride : int, default=1
        Points between the starts of consecutive windows.

    Returns
    -------
    point_values : ndarray of shape (n_points,) or (n_points, n_channels)
        The mean of the values that cover each point. Points near the ends
        are covered by fewer windows and average fewer values. A point in
        no window gets NaN: with ``stride > 1`` the points after the last
        window, with ``stride > window_size`` also those between windows.

    See Also
    --------
    sliding_windows : Cut the windows.

    Examples
    --------
    >>> from sklearn_lstmae.windows import windows_to_points
    >>> windows_to_points([1.0, 3.0], n_points=4, window_size=3)
    array([1., 2., 2., 3.])
    """
    values = np.asarray(values, dtype=np.float64)
    expected = n_windows(n_points, window_size, stride)
    per_window = values.ndim == 1
    if len(values) != expected or (
        not per_window and (values.ndim > 3 or values.shape[1] != window_size)
    ):
        raise ValueError(
            f"values must have shape ({expected},), ({expected}, {window_size}) or "
            f"({expected}, {window_size}, n_channels): {expected} windows of "
            f"{window_size} points, {stride} apart, in {n_points} points; got "
            f"shape {values.shape}."
        )
    if per_window:
        values = np.broadcast_to(values[:, np.newaxis], (expected, window_size))
    point_means = PointMeans(n_points, stride)
    point_means.add(values, first_point=0)
    return point_means.means()


def as_columns(stream):
    """A NumPy or dask stream as ``(n_points, n_channels)``: 1-D is one channel.

    Parameters
    ----------
    stream : ndarray or dask array of shape (n_points,) or (n_points, n_channels)
        One stream; rows are time.

    Returns
    -------
    stream : ndarray or dask array of shape (n_points, n_channels)
        A view of ``stream``; anything else than 1-D or 2-D is a ``ValueError``.
    """
    if stream.ndim == 1:
        return stream[:, np.newaxis]
    if stream.ndim != 2:
        raise ValueError(
            "A stream must be 1-D (n_points,) or 2-D (n_points, n_channels); "
            f"got an array of shape {stream.shape}."
        )
    return stream


# Windows scored per call of the inner estimator: memory grows with this, not
# with the stream (4096 windows of 64 x 3 float32 values are 3 MB).
CHUNK_WINDOWS = 4096


def window_chunks(windows, first_point, stride):
    """``windows`` in chunks of ``CHUNK_WINDOWS``, each with the point it starts at."""
    return [
        (first_point + start * stride, windows[start : start + CHUNK_WINDOWS])
        for start in range(0, len(windows), CHUNK_WINDOWS)
    ]


class PointMeans:
    """Per-point means of per-step window values, added chunk by chunk.

    Memory is one running sum and one count per point, whatever the number
    of windows added, so that a long stream's windows can be scored a chunk
    at a time.

    Parameters
    ----------
    n_points : int
        Length of the stream.
    stride : int
        Points between the starts of consecutive windows within a chunk.
    value_shape : tuple of int or None, default=None
        The shape of one value per point (``(n_channels,)`` for errors per
        channel); ``None`` takes it from the first :meth:`add`.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_lstmae.windows import PointMeans
    >>> point_means = PointMeans(4, stride=1)
    >>> point_means.add(np.full((1, 3), 1.0), first_point=0)
    >>> point_means.add(np.full((1, 3), 3.0), first_point=1)
    >>> point_means.means()
    array([1., 2., 2., 3.])
    """

    def __init__(self, n_points, stride, value_shape=None):
        self.n_points = n_points
        self.stride = stride
        # The stream position of the first point held: pop() moves it on.
        self.first_point = 0
        self._sums = None if value_shape is None else np.zeros((n_points, *value_shape))
        self._counts = np.zeros(n_points)

    def add(self, values, *, first_point):
        """Add the values of consecutive windows.

        Parameters
        ----------
        values : ndarray of shape (n_windows, window_size, ...)
            One value per step of each window (optionally per channel); the
            windows lie ``stride`` apart.
        first_point : int
            The point at which the first of them starts.
        """
        if self._sums is None:
            self._sums = np.zeros((self.n_points, *values.shape[2:]))
        n_chunk_windows, window_size = values.shape[:2]
        span = self.stride * (n_chunk_windows - 1) + 1
        first_point -= self.first_point
        for step in range(window_size):
            # Step `step` of window i is point first_point + step + i * stride:
            # within one step no two windows share a point, so += is safe.
            points = slice(first_point + step, first_point + step + span, self.stride)
            self._sums[points] += values[:, step]
            self._counts[points] += 1

    def means(self):
        """The mean per point of what was added; NaN where no window was.

        Returns
        -------
        point_values : ndarray of shape (n_points, ...)
            Computed in place of the running sums: call it once, at the end.
        """
        return _divided(self._sums, self._counts, out=self._sums)

    def extend(self, n_points):
        """Hold ``n_points`` more points, after the last one, with nothing added."""
        self.n_points += n_points
        self._counts = np.concatenate([self._counts, np.zeros(n_points)])
        if self._sums is not None:
            grown = np.zeros((n_points, *self._sums.shape[1:]))
            self._sums = np.concatenate([self._sums, grown])

    def pop(self, n_points):
        """The means of the first ``n_points`` points held, which are let go.

        With :meth:`extend`, this slides along a stream that is still
        arriving: memory is what lies between the two ends, not the stream.
        Needs ``value_shape`` or an :meth:`add` first.

        Returns
        -------
        point_values : ndarray of shape (n_points, ...)
            As :meth:`means` gives them.
        """
        counts, self._counts = np.split(self._counts, [n_points])
        self.n_points -= n_points
        self.first_point += n_points
        sums, self._sums = np.split(self._sums, [n_points])
        return _divided(sums, counts)


def _divided(sums, counts, out=None):
    """``sums / counts`` per point; NaN where the count is 0."""
    counts = counts.reshape(-1, *([1] * (sums.ndim - 1)))
    with np.errstate(invalid="ignore"):
        return np.divide(sums, counts, out=out)
