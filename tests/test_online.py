import numpy as np
import pytest
from sklearn.ensemble import IsolationForest
from sklearn.exceptions import NotFittedError

from sklearn_lstmae import LSTMAnomalyDetector, SlidingWindowDetector
from sklearn_lstmae.datasets import make_sensor_stream

from .conftest import TINY

WINDOW = 16


@pytest.fixture(scope="module")
def streams():
    X_train, _, _ = make_sensor_stream(1200, n_channels=2, random_state=0)
    X_test, _, _ = make_sensor_stream(1200, n_channels=2, n_anomalies=2, random_state=1)
    return X_train, X_test


@pytest.fixture(scope="module")
def lstm_inside(streams):
    inner = LSTMAnomalyDetector(**TINY, random_state=0)
    return SlidingWindowDetector(inner, window_size=WINDOW, stride=5).fit(streams[0])


def _forest_inside(X, stride=1):
    forest = IsolationForest(n_estimators=20, random_state=0)
    return SlidingWindowDetector(forest, window_size=WINDOW, stride=stride).fit(X)


def _chunk_sizes(kind, n_points):
    if kind == "random":
        return np.random.default_rng(0).integers(1, 300, size=n_points)
    return np.full(n_points, kind)


def _scored_online(detector, X, chunk_sizes):
    """The results of one scorer fed X in chunks, and the most points it held."""
    scorer = detector.stream_scorer()
    results, most_held, start = [], 0, 0
    for size in chunk_sizes:
        if start >= len(X):
            break
        results.append(scorer.update(X[start : start + size]))
        most_held = max(most_held, scorer.n_points_held)
        start += size
    results.append(scorer.close())
    return results, most_held


def _joined(results, name):
    return np.concatenate([getattr(result, name) for result in results])


@pytest.mark.parametrize("stride", [1, 3, WINDOW])
@pytest.mark.parametrize("chunk", [1, 7, WINDOW, 1000, "random"])
def test_online_scores_equal_batch_scores_with_a_forest_inside(streams, stride, chunk):
    X_train, X_test = streams
    detector = _forest_inside(X_train, stride)
    # Lengths on and off the stride's grid, where the last window differs.
    for n_points in (1200, 1198):
        X = X_test[:n_points]
        results, _ = _scored_online(detector, X, _chunk_sizes(chunk, n_points))
        np.testing.assert_array_equal(_joined(results, "index"), np.arange(n_points))
        np.testing.assert_allclose(
            _joined(results, "scores"), detector.score_samples(X), rtol=1e-12
        )
        np.testing.assert_array_equal(_joined(results, "labels"), detector.predict(X))
        np.testing.assert_array_equal(
            _joined(results, "p_values"), detector.p_values(X)
        )
        assert all(result.errors is None for result in results)


@pytest.mark.all_backends
@pytest.mark.parametrize("chunk", [1, 7, WINDOW, 1000, "random"])
def test_online_scores_equal_batch_scores_with_an_lstm_inside(
    lstm_inside, streams, chunk
):
    # One point per call runs the network once per window: a shorter stream.
    n_points = 120 if chunk == 1 else 1198
    X = streams[1][:n_points]
    results, _ = _scored_online(lstm_inside, X, _chunk_sizes(chunk, n_points))
    np.testing.assert_allclose(
        _joined(results, "scores"), lstm_inside.score_samples(X), rtol=1e-5
    )
    np.testing.assert_allclose(
        _joined(results, "errors"),
        lstm_inside.reconstruction_error(X, reduce="channel"),
        rtol=1e-5,
    )
    # Ranks among the calibration points' scores: float32 round-off may move
    # a score past a calibration score that close to it, no further.
    n_calibration = len(lstm_inside.calibration_scores_)
    p_values = lstm_inside.p_values(X)
    np.testing.assert_allclose(
        _joined(results, "p_values"), p_values, atol=3 / (n_calibration + 1)
    )
    assert np.mean(_joined(results, "p_values") == p_values) > 0.95


def test_a_point_is_final_once_the_windows_after_it_arrived(streams):
    detector = _forest_inside(streams[0])
    scorer = detector.stream_scorer()
    assert len(scorer.update(streams[1][: WINDOW - 1])) == 0
    first = scorer.update(streams[1][WINDOW - 1 : WINDOW])
    np.testing.assert_array_equal(first.index, [0])
    rest = scorer.close()
    np.testing.assert_array_equal(rest.index, np.arange(1, WINDOW))


def test_state_stays_bounded_by_the_window_on_a_long_stream(streams):
    detector = _forest_inside(streams[0], stride=3)
    long_stream = np.tile(streams[1], (20, 1))
    for chunk in (1, 100, 5000):
        sizes = _chunk_sizes(chunk, len(long_stream))
        if chunk == 1:
            sizes = sizes[:2000]
        _, most_held = _scored_online(detector, long_stream, sizes)
        assert most_held <= 2 * WINDOW


@pytest.mark.parametrize(
    "chunk, match",
    [
        (np.zeros((5, 3)), "3 features, but SlidingWindowDetector is expecting 2"),
        (np.full((5, 2), np.nan), "NaN"),
        (np.zeros((0, 2)), "0 sample"),
    ],
)
def test_a_refused_chunk_leaves_the_scorer_as_it_was(streams, chunk, match):
    detector = _forest_inside(streams[0])
    X = streams[1][:200]
    scorer = detector.stream_scorer()
    first = scorer.update(X[:100])
    with pytest.raises(ValueError, match=match):
        scorer.update(chunk)
    assert scorer.n_points_received == 100
    scores = np.concatenate([first.scores, scorer.update(X[100:]).scores])
    scores = np.concatenate([scores, scorer.close().scores])
    np.testing.assert_allclose(scores, detector.score_samples(X), rtol=1e-12)


def test_a_closed_scorer_refuses_more_points(streams):
    scorer = _forest_inside(streams[0]).stream_scorer()
    scorer.update(streams[1][:100])
    scorer.close()
    with pytest.raises(ValueError, match="closed; get a new scorer"):
        scorer.update(streams[1][100:110])
    with pytest.raises(ValueError, match="closed"):
        scorer.close()


def test_a_stream_shorter_than_a_window_cannot_close(streams):
    scorer = _forest_inside(streams[0]).stream_scorer()
    scorer.update(streams[1][: WINDOW - 1])
    with pytest.raises(ValueError, match="fewer than one window"):
        scorer.close()


def test_streams_scored_side_by_side_do_not_mix(streams):
    detector = _forest_inside(streams[0])
    first, second = detector.stream_scorer(), detector.stream_scorer()
    X, Y = streams[1][:300], streams[0][:300]
    parts = {"X": [], "Y": []}
    for start in range(0, 300, 50):
        parts["X"].append(first.update(X[start : start + 50]).scores)
        parts["Y"].append(second.update(Y[start : start + 50]).scores)
    parts["X"].append(first.close().scores)
    parts["Y"].append(second.close().scores)
    np.testing.assert_allclose(np.concatenate(parts["X"]), detector.score_samples(X))
    np.testing.assert_allclose(np.concatenate(parts["Y"]), detector.score_samples(Y))


def test_an_unfitted_detector_has_no_scorer():
    with pytest.raises(NotFittedError):
        SlidingWindowDetector(window_size=WINDOW).stream_scorer()
