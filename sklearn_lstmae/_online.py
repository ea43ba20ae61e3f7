"""Online scoring: the points of a running stream scored as they arrive."""

from dataclasses import dataclass

import numpy as np

from .windows import PointMeans, sliding_windows, window_chunks

__all__ = ["StreamScorer", "StreamScores"]


@dataclass(frozen=True)
class StreamScores:
    """The points of a stream whose scores became final in one call.

    Attributes
    ----------
    index : ndarray of shape (n_final,)
        Position of each point in the stream, counted from 0 across calls.
    scores : ndarray of shape (n_final,)
        What ``score_samples`` of the whole stream gives these points:
        higher is more normal.
    labels : ndarray of shape (n_final,)
        +1 (inlier) or -1 (outlier), as ``predict`` gives them.
    p_values : ndarray of shape (n_final,)
        As ``p_values`` gives them: against the calibration points' scores.
    errors : ndarray of shape (n_final, n_channels) or None
        Each point's own error per channel, as
        ``reconstruction_error(reduce="channel")`` gives them; ``None`` when
        the detector scores whole windows (``point_score_="window"``).
    """

    index: np.ndarray
    scores: np.ndarray
    labels: np.ndarray
    p_values: np.ndarray
    errors: np.ndarray | None

    def __len__(self):
        return len(self.index)


class StreamScorer:
    """Score a stream that is still arriving, chunk by chunk.

    Made by :meth:`SlidingWindowDetector.stream_scorer`; one per stream.
    Each :meth:`update` takes the next points and returns the points whose
    every covering window has now arrived; :meth:`close` ends the stream and
    returns the rest. Together they give exactly the scores
    ``score_samples`` gives the whole stream (to float32 round-off of the
    network), whatever the chunk sizes.

    A point is final once the ``window_size`` points after it have arrived
    (``window_size - 1`` with ``stride=1``): its alarm comes that many points
    after it. The scorer holds those points and their running sums, never
    more, however long the stream runs.

    Parameters
    ----------
    detector : SlidingWindowDetector
        A fitted detector; it is read, never changed.

    Attributes
    ----------
    n_points_received : int
        Points passed to :meth:`update` so far.
    n_points_scored : int
        Points returned so far.
    closed : bool
        Whether :meth:`close` was called.
    """

    def __init__(self, detector):
        self.detector = detector
        self.n_points_received = 0
        self.n_points_scored = 0
        self.closed = False
        # The raw points from _buffer_start on, which windows still to come
        # (and the last window at close) need.
        self._buffer = np.empty((0, detector.n_features_in_))
        self._buffer_start = 0
        self._next_window = 0
        # One value per point of what _window_values(with_channels=True)
        # gives: with step scores the channels' errors and the score's error.
        step = detector.point_score_ == "step"
        value_shape = (detector.n_features_in_ + 1,) if step else ()
        self._point_means = PointMeans(0, detector.stride, value_shape)

    @property
    def n_points_held(self):
        """Points held: raw points and running sums, at most two windows' worth."""
        return len(self._buffer) + self._point_means.n_points

    def update(self, chunk):
        """Take the next points of the stream; return those now final.

        Parameters
        ----------
        chunk : array-like of shape (n_points,) or (n_points, n_channels)
            The next points, any number of them; rows are time. A chunk that
            is refused (wrong channels, NaN) leaves the scorer as it was.

        Returns
        -------
        scores : StreamScores
            The points that became final, in stream order; may be empty.
        """
        self._check_open()
        chunk = self.detector._validate_chunk(chunk)
        self._buffer = np.concatenate([self._buffer, chunk])
        self.n_points_received += len(chunk)
        self._point_means.extend(len(chunk))
        self._add_windows(self._regular_windows())
        return self._pop(self._n_final() - self.n_points_scored)

    def close(self):
        """End the stream: score its last window and return every point left.

        Returns
        -------
        scores : StreamScores
            The last points of the stream.
        """
        self._check_open()
        window_size = self.detector.window_size
        if self.n_points_received < window_size:
            raise ValueError(
                f"The stream ended after {self.n_points_received} point(s), fewer "
                f"than one window of window_size={window_size}: no point can be "
                "scored."
            )
        self.closed = True
        last_start = self.n_points_received - window_size
        if last_start % self.detector.stride:
            # As in score_samples, a last window ends at the last point.
            self._add_windows([(last_start, self._buffer[np.newaxis, -window_size:])])
        return self._pop(self.n_points_received - self.n_points_scored)

    def _check_open(self):
        if self.closed:
            raise ValueError(
                "This stream was closed; get a new scorer from "
                "SlidingWindowDetector.stream_scorer() for another stream."
            )

    def _regular_windows(self):
        """The windows at multiples of the stride that arrived with the last chunk."""
        window_size, stride = self.detector.window_size, self.detector.stride
        if self.n_points_received < self._next_window + window_size:
            return []
        windows = sliding_windows(
            self._buffer[self._next_window - self._buffer_start :], window_size, stride
        )
        first_window = self._next_window
        self._next_window += stride * len(windows)
        return window_chunks(windows, first_window, stride)

    def _add_windows(self, chunks):
        window_values = self.detector._window_values(with_channels=True)
        for first_point, windows in chunks:
            values = window_values(self.detector._inner_input(windows))
            self._point_means.add(values, first_point=first_point)

    def _n_final(self):
        """How many points no window still to come covers."""
        window_size, stride = self.detector.window_size, self.detector.stride
        # The stream's last window starts window_size points before its end,
        # off the stride's grid unless the stream ends where a window does.
        last_window = self.n_points_received - window_size
        if stride > 1 and last_window >= 0 and last_window % stride:
            n_final = last_window
        else:
            n_final = last_window + 1
        return max(min(n_final, self._next_window), self.n_points_scored)

    def _pop(self, n_points):
        values = self._point_means.pop(n_points)
        index = np.arange(self.n_points_scored, self.n_points_scored + n_points)
        self.n_points_scored += n_points
        keep_from = min(
            self._next_window, self.n_points_received - self.detector.window_size
        )
        keep_from = max(keep_from, self._buffer_start)
        self._buffer = self._buffer[keep_from - self._buffer_start :]
        self._buffer_start = keep_from
        return self.detector._stream_scores(index, values)
