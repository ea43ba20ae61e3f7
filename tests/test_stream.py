import pickle

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.ensemble import IsolationForest
from sklearn.exceptions import NotFittedError

from sklearn_lstmae import LSTMAnomalyDetector, SlidingWindowDetector, stream, windows
from sklearn_lstmae._calibration import auto_offset, log_location
from sklearn_lstmae.datasets import make_sensor_stream
from sklearn_lstmae.windows import n_windows, sliding_windows

from .conftest import TINY

WINDOW = 16


class _RecordingForest(IsolationForest):
    """A real IsolationForest that keeps the windows it was fitted on."""

    def fit(self, X, y=None, sample_weight=None):
        self.training_windows_ = np.array(X)
        return super().fit(X, y, sample_weight)


@pytest.fixture(scope="module")
def streams():
    X_train, _, _ = make_sensor_stream(1200, n_channels=2, random_state=0)
    X_test, y_test, kinds = make_sensor_stream(
        1200, n_channels=2, n_anomalies=2, random_state=1
    )
    return X_train, X_test, y_test, kinds


@pytest.fixture(scope="module")
def tiny(streams):
    inner = LSTMAnomalyDetector(**TINY, random_state=0)
    return SlidingWindowDetector(inner, window_size=WINDOW).fit(streams[0])


def _forest():
    return IsolationForest(n_estimators=20, random_state=0)


@pytest.mark.all_backends
def test_one_output_per_point_with_scikit_learn_signs(tiny, streams):
    X_test = streams[1]
    scores = tiny.score_samples(X_test)
    assert scores.shape == (len(X_test),)
    assert np.isfinite(scores).all()
    np.testing.assert_allclose(tiny.decision_function(X_test), scores - tiny.offset_)
    np.testing.assert_array_equal(
        tiny.predict(X_test), np.where(scores < tiny.offset_, -1, 1)
    )
    by_channel = tiny.reconstruction_error(X_test, reduce="channel")
    assert by_channel.shape == X_test.shape
    np.testing.assert_allclose(
        by_channel.mean(axis=1), tiny.reconstruction_error(X_test)
    )
    # The spread check raises a point's errors, never lowers them (the
    # linear view, averaged with them, may).
    spread_only = clone(tiny).set_params(estimator__linear_view=False)
    spread_only.fit(streams[0])
    assert np.all(
        -spread_only.score_samples(X_test)
        >= spread_only.reconstruction_error(X_test) * (1 - 1e-6)
    )
    plain = clone(spread_only).set_params(estimator__check_spread=False)
    plain.fit(streams[0])
    np.testing.assert_allclose(
        plain.reconstruction_error(X_test), -plain.score_samples(X_test)
    )


def test_spread_check_flags_a_stream_that_went_calm(streams):
    """A flattened stretch reconstructs well; its spread gives it away."""
    X_train, X_test = streams[0], streams[1].copy()
    X_test[400:500] = X_test[400:500].mean(axis=0)
    inner = LSTMAnomalyDetector(**TINY, random_state=0)
    scores = {}
    for check_spread in (True, False):
        detector = SlidingWindowDetector(
            clone(inner).set_params(check_spread=check_spread), window_size=WINDOW
        ).fit(X_train)
        scores[check_spread] = detector.score_samples(X_test)
    # Ranked among the normal stretch of the same stream: with the check the
    # calm points are the most anomalous, without it not.
    calm, normal = scores[True][420:480], scores[True][600:]
    assert calm.max() < np.quantile(normal, 0.01)
    assert np.median(scores[False][420:480]) > np.quantile(scores[False][600:], 0.01)


def _brute_force_point_errors(detector, X, stride):
    """Each point's errors in every window covering it, averaged with loops."""
    starts = list(range(0, len(X) - WINDOW + 1, stride))
    if starts[-1] != len(X) - WINDOW:
        starts.append(len(X) - WINDOW)
    windows = np.stack([X[start : start + WINDOW] for start in starts])
    errors = detector.estimator_.reconstruction_error(windows, reduce=None)
    sums, counts = np.zeros(X.shape), np.zeros(len(X))
    for window_errors, start in zip(errors, starts, strict=True):
        for step in range(WINDOW):
            sums[start + step] += window_errors[step]
            counts[start + step] += 1
    return sums / counts[:, np.newaxis]


@pytest.mark.all_backends
@pytest.mark.parametrize("stride", [1, 5, WINDOW])
def test_point_errors_match_a_brute_force_loop(tiny, streams, stride):
    detector = clone(tiny).set_params(stride=stride).fit(streams[0])
    X_test = streams[1][:203]
    np.testing.assert_allclose(
        detector.reconstruction_error(X_test, reduce="channel"),
        _brute_force_point_errors(detector, X_test, stride),
        rtol=1e-5,
    )


@pytest.mark.all_backends
def test_chunked_scoring_equals_unchunked(tiny, streams, monkeypatch):
    X_test = streams[1]
    whole = tiny.score_samples(X_test)
    monkeypatch.setattr(windows, "CHUNK_WINDOWS", 7)
    np.testing.assert_allclose(tiny.score_samples(X_test), whole, rtol=1e-5)


def test_no_window_straddles_two_streams():
    first, second = np.arange(100.0), 1000.0 + np.arange(80.0)
    detector = SlidingWindowDetector(
        _RecordingForest(n_estimators=10, random_state=0),
        window_size=WINDOW,
        train_stride=1,
        contamination=0.1,
    ).fit([first, second])
    windows = detector.estimator_.training_windows_
    # Each stream's last 20 % is its calibration tail, which no window covers.
    assert len(windows) == n_windows(80, WINDOW) + n_windows(64, WINDOW)
    assert np.all((windows.max(axis=1) < 80) | (windows.min(axis=1) >= 1000))
    assert np.all(windows.max(axis=1) < 1064)
    np.testing.assert_array_equal(
        detector.score_samples([first, second]),
        np.concatenate([detector.score_samples(first), detector.score_samples(second)]),
    )


def test_auto_train_stride_bounds_the_training_windows(monkeypatch):
    monkeypatch.setattr(stream, "_MAX_TRAINING_WINDOWS", 100)
    X = make_sensor_stream(2000, n_channels=1, random_state=0)[0]
    detector = SlidingWindowDetector(
        _RecordingForest(n_estimators=10, random_state=0), window_size=WINDOW
    ).fit(X)
    # 1585 windows of the 1600-point training head, at most 100 of them.
    assert detector.train_stride_ == 16
    np.testing.assert_array_equal(
        detector.estimator_.training_windows_,
        sliding_windows(X[:1600], WINDOW, 16).reshape(-1, WINDOW),
    )


def test_isolation_forest_inside_works_end_to_end(streams):
    X_train, X_test, y_test, _ = streams
    detector = SlidingWindowDetector(_forest(), window_size=WINDOW)
    labels = detector.fit_predict(X_train)
    assert set(np.unique(labels)) <= {-1, 1}
    assert detector.point_score_ == "window"
    assert detector.offset_ == detector.estimator_.offset_
    assert not hasattr(detector, "reconstruction_error")
    scores = detector.score_samples(X_test)
    # The forest sees flattened windows and ranks the anomalous points lower.
    assert scores[y_test == -1].mean() < scores[y_test == 1].mean()


def test_step_scores_need_a_reconstruction_error(streams):
    detector = SlidingWindowDetector(_forest(), window_size=WINDOW, point_score="step")
    with pytest.raises(ValueError, match="has no reconstruction_error"):
        detector.fit(streams[0])


def test_anomaly_is_located_at_its_points():
    """The per-step default puts the highest point errors inside the span."""
    X_train, _, _ = make_sensor_stream(3000, n_channels=2, random_state=2)
    X_test, y_test, _ = make_sensor_stream(
        1500, n_channels=2, n_anomalies=1, anomaly_kinds="level_shift", random_state=3
    )
    inner = LSTMAnomalyDetector(lstm_units=(16,), latent_dim=4, random_state=0)
    detector = SlidingWindowDetector(inner, window_size=32).fit(X_train)
    span = np.flatnonzero(y_test == -1)
    worst = np.argsort(detector.score_samples(X_test))[:10]
    assert np.isin(worst, span).all(), (worst, span[[0, -1]])


@pytest.mark.all_backends
def test_threshold_comes_from_the_held_out_tail(streams):
    X_train = streams[0]
    inner = LSTMAnomalyDetector(**TINY, calibration_split=0, random_state=0)
    detector = SlidingWindowDetector(inner, window_size=WINDOW, calibration_split=0.25)
    detector.fit(X_train)
    tail_scores = detector.score_samples(X_train[900:])
    np.testing.assert_array_equal(detector.calibration_scores_, np.sort(tail_scores))
    # 'auto': the robust rule on the tail's own point scores, not its errors.
    assert detector.offset_ == pytest.approx(auto_offset(*log_location(-tail_scores)))
    tail_errors = detector.reconstruction_error(X_train[900:])
    assert detector.offset_ != pytest.approx(auto_offset(*log_location(tail_errors)))


def test_float_contamination_is_the_share_of_calibration_points_flagged(streams):
    detector = SlidingWindowDetector(_forest(), window_size=WINDOW, contamination=0.1)
    detector.fit(streams[0])
    flagged = detector.predict(streams[0][960:]) == -1
    assert flagged.mean() == pytest.approx(0.1, abs=1 / 240)
    p_values = detector.p_values(streams[0][960:])
    np.testing.assert_array_equal(flagged, p_values <= 0.1)


def test_calibration_tail_shorter_than_a_window_is_refused():
    detector = SlidingWindowDetector(_forest(), window_size=WINDOW)
    with pytest.raises(ValueError, match="leaves 40 to train on and 10 to calibrate"):
        detector.fit(np.arange(50.0))
    detector.set_params(calibration_split=0).fit(np.arange(50.0))
    assert len(detector.calibration_scores_) == 50


def test_dataframe_stream_keeps_its_column_names(streams):
    frame = pd.DataFrame(streams[0], columns=["hip", "knee"])
    detector = SlidingWindowDetector(_forest(), window_size=WINDOW).fit(frame)
    np.testing.assert_array_equal(detector.feature_names_in_, ["hip", "knee"])
    assert detector.n_features_in_ == 2
    with pytest.raises(ValueError, match="feature names"):
        detector.score_samples(frame.rename(columns={"knee": "ankle"}))


def test_fitted_detector_pickles_and_clones(tiny, streams):
    restored = pickle.loads(pickle.dumps(tiny))
    np.testing.assert_array_equal(
        restored.score_samples(streams[1]), tiny.score_samples(streams[1])
    )
    assert clone(tiny).get_params()["window_size"] == WINDOW
    assert not hasattr(clone(tiny), "estimator_")


@pytest.mark.parametrize(
    ("params", "X", "error", "match"),
    [
        ({}, np.zeros((10, 2)), ValueError, "fewer than one window"),
        ({"window_size": 1}, np.zeros((100, 2)), ValueError, "window_size"),
        ({"stride": WINDOW + 1}, np.zeros((100, 2)), ValueError, "at most window_size"),
        ({}, np.full((100, 2), np.nan), ValueError, "NaN"),
        ({}, np.zeros((100, 2, 2)), ValueError, "must be 1-D .* or 2-D"),
        ({}, sp.csr_matrix(np.zeros((100, 2))), TypeError, "sparse"),
    ],
)
def test_bad_input_is_refused_before_training(params, X, error, match):
    detector = SlidingWindowDetector(_forest(), window_size=WINDOW)
    with pytest.raises(error, match=match):
        detector.set_params(**params).fit(X)
    assert not hasattr(detector, "estimator_")


def test_scoring_checks_the_stream(streams):
    detector = SlidingWindowDetector(_forest(), window_size=WINDOW)
    with pytest.raises(NotFittedError):
        detector.score_samples(streams[1])
    detector.fit(streams[0])
    with pytest.raises(ValueError, match="3 features"):
        detector.score_samples(np.zeros((100, 3)))
    with pytest.raises(ValueError, match="fewer than one window"):
        detector.predict(streams[1][: WINDOW - 1])


def test_reduce_must_be_point_or_channel(tiny, streams):
    with pytest.raises(ValueError, match="reduce must be"):
        tiny.reconstruction_error(streams[1], reduce="sample")
