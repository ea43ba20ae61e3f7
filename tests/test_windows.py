"""Sliding windows and the way back to points, against brute-force loops."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_lstmae.windows import n_windows, sliding_windows, windows_to_points


@st.composite
def streams(draw):
    """(n_points, window_size, stride, n_channels or None for a 1-D stream)."""
    window_size = draw(st.integers(1, 9))
    n_points = draw(st.integers(window_size, 40))
    stride = draw(st.integers(1, 6))
    n_channels = draw(st.one_of(st.none(), st.integers(1, 3)))
    return n_points, window_size, stride, n_channels


def _stream(n_points, n_channels, seed=0):
    shape = (n_points,) if n_channels is None else (n_points, n_channels)
    return np.random.default_rng(seed).normal(size=shape)


def _brute_force_windows(X, window_size, stride):
    X = X.reshape(len(X), -1)
    starts = range(0, len(X) - window_size + 1, stride)
    return np.stack([X[start : start + window_size] for start in starts])


def _brute_force_points(values, n_points, window_size, stride):
    """Mean of the values covering each point, NaN where none does."""
    covering = [[] for _ in range(n_points)]
    for window, start in enumerate(range(0, n_points - window_size + 1, stride)):
        for step in range(window_size):
            value = values[window] if values.ndim == 1 else values[window, step]
            covering[start + step].append(value)
    channels = values.shape[2:]
    return np.stack(
        [
            np.mean(point, axis=0) if point else np.full(channels, np.nan)
            for point in covering
        ]
    )


@settings(max_examples=80, deadline=None)
@given(stream=streams())
def test_sliding_windows_match_a_loop_and_copy_nothing(stream):
    n_points, window_size, stride, n_channels = stream
    X = _stream(n_points, n_channels)
    windows = sliding_windows(X, window_size, stride=stride)
    expected = _brute_force_windows(X, window_size, stride)
    np.testing.assert_array_equal(windows, expected)
    assert windows.shape == (
        n_windows(n_points, window_size, stride),
        window_size,
        n_channels or 1,
    )
    assert np.shares_memory(windows, X)
    assert not windows.flags.writeable


@settings(max_examples=80, deadline=None)
@given(stream=streams(), per_step=st.booleans(), seed=st.integers(0, 2**16))
def test_windows_to_points_matches_a_loop(stream, per_step, seed):
    n_points, window_size, stride, n_channels = stream
    count = n_windows(n_points, window_size, stride)
    shape = (count,)
    if per_step:
        shape = (count, window_size) + (() if n_channels is None else (n_channels,))
    values = np.random.default_rng(seed).normal(size=shape)
    points = windows_to_points(values, n_points, window_size, stride=stride)
    expected = _brute_force_points(values, n_points, window_size, stride)
    np.testing.assert_allclose(points, expected)
    covered = stride * (count - 1) + window_size
    if stride <= window_size:  # no gaps between windows
        assert not np.isnan(points[:covered]).any()  # the edges get a value too
    assert np.isnan(points[covered:]).all()


def test_windows_of_a_stream_map_back_to_the_stream():
    X = _stream(50, 3)
    windows = sliding_windows(X, 7)
    np.testing.assert_allclose(windows_to_points(windows, 50, 7), X)


def test_a_dataframe_with_a_time_index_is_a_stream():
    index = pd.date_range("2026-01-01", periods=20, freq="s")
    frame = pd.DataFrame({"x": np.arange(20.0), "y": -np.arange(20.0)}, index=index)
    windows = sliding_windows(frame, 5, stride=5)
    np.testing.assert_array_equal(windows[1], frame.to_numpy()[5:10])


def test_a_stream_shorter_than_a_window_is_refused():
    with pytest.raises(ValueError, match="10 points is shorter than one window"):
        sliding_windows(np.zeros(10), 11)


def test_a_stream_must_be_1d_or_2d():
    with pytest.raises(ValueError, match=r"got an array of shape \(4, 5, 2\)"):
        sliding_windows(np.zeros((4, 5, 2)), 3)


@pytest.mark.parametrize("window_size, stride", [(0, 1), (3, 0), (2.5, 1)])
def test_window_size_and_stride_are_positive_ints(window_size, stride):
    with pytest.raises(InvalidParameterError):
        sliding_windows(np.zeros(10), window_size, stride=stride)


@pytest.mark.parametrize("shape", [(5,), (4, 3), (4, 4, 1, 1)])
def test_values_must_fit_the_windows(shape):
    # 10 points in windows of 4 at stride 2: 4 windows.
    with pytest.raises(ValueError, match=r"must have shape \(4,\), \(4, 4\)"):
        windows_to_points(np.zeros(shape), 10, 4, stride=2)
