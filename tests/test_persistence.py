import json
import pickle
import zipfile

import joblib
import keras
import numpy as np
import pytest
from sklearn.ensemble import IsolationForest
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_lstmae import (
    LSTMAnomalyDetector,
    LSTMAutoencoder,
    LSTMAutoencoderTransformer,
    SlidingWindowDetector,
    make_gait_cycles,
)
from sklearn_lstmae.dask import ParallelPostFit
from sklearn_lstmae.datasets import make_sensor_stream
from sklearn_lstmae.persistence import load_estimator, save_estimator

from .conftest import TINY

pytestmark = pytest.mark.all_backends

X, _, _ = make_gait_cycles(40, random_state=0)
X_FLAT = X.reshape(len(X), -1)


def _outputs(estimator, data):
    if hasattr(estimator, "score_samples"):
        return estimator.score_samples(data)
    return estimator.transform(data)


@pytest.fixture(scope="module")
def fitted_objects():
    detector = LSTMAnomalyDetector(
        **TINY, use_attention=True, contamination=0.1, random_state=0
    ).fit(X)
    pipeline = make_pipeline(
        StandardScaler(), LSTMAnomalyDetector(**TINY, input_shape=(51, 2))
    ).fit(X_FLAT)
    search = GridSearchCV(
        LSTMAutoencoderTransformer(**TINY), {"latent_dim": [1, 2]}, cv=2
    ).fit(X)
    return {
        "detector": (detector, X),
        "pipeline": (pipeline, X_FLAT),
        "grid search": (search, X),
    }


@pytest.mark.parametrize("name", ["detector", "pipeline", "grid search"])
@pytest.mark.parametrize("library", ["pickle", "joblib"])
def test_pickle_and_joblib_round_trips(fitted_objects, tmp_path, name, library):
    estimator, data = fitted_objects[name]
    if library == "pickle":
        restored = pickle.loads(pickle.dumps(estimator))
    else:
        joblib.dump(estimator, tmp_path / "estimator.joblib")
        restored = joblib.load(tmp_path / "estimator.joblib")
    np.testing.assert_array_equal(_outputs(restored, data), _outputs(estimator, data))


@pytest.mark.parametrize("Estimator", [LSTMAutoencoderTransformer, LSTMAnomalyDetector])
@pytest.mark.parametrize("layout", ["2-D", "3-D"])
def test_safe_save_and_load(tmp_path, Estimator, layout):
    data = X_FLAT if layout == "2-D" else X
    params = {"input_shape": (51, 2), "optimizer__learning_rate": 0.01}
    estimator = Estimator(**TINY, **params, validation_split=0.25, random_state=1)
    estimator.fit(data)
    save_estimator(estimator, tmp_path / "estimator.zip")
    restored = load_estimator(tmp_path / "estimator.zip")
    assert type(restored) is Estimator
    assert restored.get_params() == estimator.get_params()
    np.testing.assert_array_equal(_outputs(restored, data), _outputs(estimator, data))
    assert restored.history_ == estimator.history_
    if hasattr(estimator, "inverse_transform"):
        latent = estimator.transform(data)
        assert restored.inverse_transform(latent).shape == data.shape
    else:
        assert restored.offset_ == estimator.offset_
        np.testing.assert_array_equal(restored.error_scale_, estimator.error_scale_)
        np.testing.assert_array_equal(restored.predict(data), estimator.predict(data))


def test_safe_load_keeps_training(tmp_path):
    estimator = LSTMAutoencoderTransformer(**TINY, random_state=0).fit(X)
    save_estimator(estimator, tmp_path / "estimator.zip")
    restored = load_estimator(tmp_path / "estimator.zip")
    restored.partial_fit(X)
    assert len(restored.history_["loss"]) == 2


def test_safe_save_refuses_unfitted_and_objects(tmp_path):
    with pytest.raises(ValueError, match="not fitted yet"):
        save_estimator(LSTMAutoencoderTransformer(), tmp_path / "a.zip")
    estimator = LSTMAutoencoderTransformer(**TINY, optimizer=keras.optimizers.SGD())
    estimator.fit(X)
    with pytest.raises(TypeError, match="parameter 'optimizer' holds a SGD"):
        save_estimator(estimator, tmp_path / "a.zip")
    with pytest.raises(TypeError, match="saves"):
        save_estimator(StandardScaler().fit(X_FLAT), tmp_path / "a.zip")


def test_safe_load_only_builds_package_classes(tmp_path):
    estimator = LSTMAutoencoderTransformer(**TINY).fit(X)
    path = tmp_path / "estimator.zip"
    save_estimator(estimator, path)
    with zipfile.ZipFile(path) as archive:
        model, state = (
            archive.read("model.keras"),
            json.loads(archive.read("estimator.json")),
        )
    state["class"] = "os.system"
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(tampered, "w") as archive:
        archive.writestr("model.keras", model)
        archive.writestr("estimator.json", json.dumps(state))
    with pytest.raises(ValueError, match="only .* are loaded"):
        load_estimator(tampered)


def _lambda_model_file(path):
    inputs = keras.Input(shape=(51, 2))
    outputs = keras.layers.Lambda(lambda x: x * 2)(inputs)
    keras.Model(inputs, outputs).save(path)


def test_keras_files_load_in_safe_mode(tmp_path):
    # A Lambda layer carries Python bytecode; safe mode must refuse it.
    _lambda_model_file(tmp_path / "model.keras")
    with pytest.raises(ValueError, match="safe_mode"):
        LSTMAutoencoder.load(tmp_path / "model.keras")
    estimator = LSTMAutoencoderTransformer(**TINY).fit(X)
    save_estimator(estimator, tmp_path / "estimator.zip")
    with zipfile.ZipFile(tmp_path / "estimator.zip") as archive:
        state = archive.read("estimator.json")
    with zipfile.ZipFile(tmp_path / "evil.zip", "w") as archive:
        archive.write(tmp_path / "model.keras", "model.keras")
        archive.writestr("estimator.json", state)
    with pytest.raises(ValueError, match="safe_mode"):
        load_estimator(tmp_path / "evil.zip")


def test_seeded_models_match_across_fits_and_save_load(tmp_path):
    params = {**TINY, "dropout_rate": 0.2, "random_state": 7}
    first = LSTMAnomalyDetector(**params).fit(X)
    second = LSTMAnomalyDetector(**params).fit(X)
    other = LSTMAnomalyDetector(**{**params, "random_state": 8}).fit(X)
    np.testing.assert_array_equal(first.score_samples(X), second.score_samples(X))
    assert not np.array_equal(first.score_samples(X), other.score_samples(X))
    save_estimator(first, tmp_path / "first.zip")
    first.model_.save(tmp_path / "first.keras")
    restored = load_estimator(tmp_path / "first.zip")
    np.testing.assert_array_equal(restored.score_samples(X), second.score_samples(X))
    reloaded = keras.saving.load_model(tmp_path / "first.keras")
    np.testing.assert_array_equal(
        reloaded.predict_on_batch(X.astype("float32")),
        first.model_.predict_on_batch(X.astype("float32")),
    )


def _tampered_archive(path, tmp_path, change_state):
    """A copy of the archive at ``path`` whose estimator.json was changed."""
    with zipfile.ZipFile(path) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    state = json.loads(entries.pop("estimator.json"))
    change_state(state)
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(tampered, "w") as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
        archive.writestr("estimator.json", json.dumps(state))
    return tampered


_DROP = object()


@pytest.fixture(scope="module")
def saved_detector(tmp_path_factory):
    detector = LSTMAnomalyDetector(**TINY, random_state=0).fit(X)
    path = tmp_path_factory.mktemp("saved") / "detector.zip"
    save_estimator(detector, path)
    return path, detector


@pytest.mark.parametrize(
    "section, name, value, match",
    [
        ("fitted", "score_samples", 1, r"unknown \['score_samples'\]"),
        ("fitted", "threshold_", 1.0, r"unknown \['threshold_'\]"),
        ("fitted", "offset_", _DROP, r"missing \['offset_'\]"),
        ("fitted", "offset_", "low", "'offset_' must be a finite number or -inf"),
        (
            "fitted",
            "calibration_scores_",
            {"__ndarray__": [-1.0, -2.0], "dtype": "<f8"},
            "'calibration_scores_' must be a non-empty 1-D float64 array of finite, "
            "ascending",
        ),
        (
            "fitted",
            "calibration_scores_",
            {"__ndarray__": [], "dtype": "<f8"},
            "'calibration_scores_' must be a non-empty",
        ),
        ("fitted", "n_channels_", True, "'n_channels_' must be a positive int"),
        ("fitted", "channel_mean_", [0.0, 0.0], "'channel_mean_' must be a 1-D"),
        ("fitted", "n_channels_", 3, "'n_features_in_' has size 102"),
        (
            "fitted",
            "error_scale_",
            {"__ndarray__": [[1.0, -1.0]] * 51, "dtype": "<f8"},
            "'error_scale_' must be a 2-D float64 array of finite positive",
        ),
        (
            "fitted",
            "error_scale_",
            {"__ndarray__": [[1.0, 1.0]] * 50, "dtype": "<f8"},
            r"'error_scale_' has size \(50, 2\)",
        ),
        (
            "fitted",
            "spread_scale_",
            {"__ndarray__": [0.1, 0.0], "dtype": "<f8"},
            "'spread_scale_' must be a 1-D float64 array of finite positive",
        ),
        (
            "fitted",
            "spread_center_",
            {"__ndarray__": [0.0, 0.0, 0.0], "dtype": "<f8"},
            "'spread_center_' has size 3",
        ),
        (
            "fitted",
            "feature_names_in_",
            {"__ndarray__": [1], "dtype": "<i8"},
            "'feature_names_in_' must be a 1-D array of str",
        ),
        (
            "fitted",
            "channel_mean_",
            {"__ndarray__": [0], "dtype": "<m8"},
            "dtype timedelta64 are not read",
        ),
        ("params", "score_samples", 1, r"parameter\(s\) \['score_samples'\]"),
        ("params", "threshold_", 1, r"parameter\(s\) \['threshold_'\]"),
        ("params", "routed_params", 1, r"parameter\(s\) \['routed_params'\]"),
        ("params", "self", 1, r"parameter\(s\) \['self'\]"),
        (
            "params",
            "estimator",
            {"__estimator__": "os.system", "params": {}},
            "only .* are loaded",
        ),
        ("params", "latent_dim", "eight", "'latent_dim' parameter"),
        ("params", "lstm_units", [0], "lstm_units must be"),
        ("params", "optimizer", "nonsense", "Unknown optimizer"),
        ("params", "input_shape", {"__tuple__": [50, 2]}, "input_shape"),
        ("params", "compile__jit_compile", True, None),
        (None, "class", "object", "only .* are loaded"),
        (None, "format_version", _DROP, "Unsupported archive format"),
        (None, "params", [], "'params' must be an object"),
    ],
)
def test_safe_load_accepts_only_the_class_state(
    saved_detector, tmp_path, section, name, value, match
):
    path, detector = saved_detector

    def change_state(state):
        where = state if section is None else state[section]
        if value is _DROP:
            del where[name]
        else:
            where[name] = value

    tampered = _tampered_archive(path, tmp_path, change_state)
    if match is None:
        # A routed parameter is a parameter the class has.
        restored = load_estimator(tampered)
        np.testing.assert_array_equal(
            restored.score_samples(X), detector.score_samples(X)
        )
        return
    with pytest.raises(ValueError, match=match):
        load_estimator(tampered)


def test_safe_load_refuses_a_network_of_another_shape(tmp_path):
    short = LSTMAnomalyDetector(**TINY).fit(X[:, :40])
    save_estimator(short, tmp_path / "short.zip")
    save_estimator(LSTMAnomalyDetector(**TINY).fit(X), tmp_path / "full.zip")
    with zipfile.ZipFile(tmp_path / "short.zip") as archive:
        model = archive.read("model.keras")
    with zipfile.ZipFile(tmp_path / "full.zip") as archive:
        state = archive.read("estimator.json")
    with zipfile.ZipFile(tmp_path / "mixed.zip", "w") as archive:
        archive.writestr("model.keras", model)
        archive.writestr("estimator.json", state)
    with pytest.raises(ValueError, match=r"network has input shape \(None, 40, 2\)"):
        load_estimator(tmp_path / "mixed.zip")


@pytest.fixture(scope="module")
def stream_detector():
    X_stream, _, _ = make_sensor_stream(600, n_channels=2, random_state=0)
    inner = LSTMAnomalyDetector(**TINY, random_state=0)
    return SlidingWindowDetector(inner, window_size=16, stride=4).fit(X_stream)


def test_a_stream_detector_round_trips_and_scores_online(stream_detector, tmp_path):
    X_test, _, _ = make_sensor_stream(300, n_channels=2, n_anomalies=1, random_state=1)
    save_estimator(stream_detector, tmp_path / "stream.zip")
    restored = load_estimator(tmp_path / "stream.zip")
    assert restored.get_params()["estimator"].get_params() == (
        stream_detector.get_params()["estimator"].get_params()
    )
    expected = stream_detector.score_samples(X_test)
    np.testing.assert_array_equal(restored.score_samples(X_test), expected)
    scorer = restored.stream_scorer()
    online = np.concatenate([scorer.update(X_test).scores, scorer.close().scores])
    np.testing.assert_allclose(online, expected, rtol=1e-6)


def test_dask_wrappers_nest_two_deep_and_no_deeper(tmp_path):
    X_stream, _, _ = make_sensor_stream(300, n_channels=2, random_state=0)
    inner = LSTMAnomalyDetector(**TINY, random_state=0)
    wrapped = ParallelPostFit(SlidingWindowDetector(inner, window_size=16))
    wrapped.fit(X_stream)
    save_estimator(wrapped, tmp_path / "two.zip")
    restored = load_estimator(tmp_path / "two.zip")
    assert isinstance(restored.estimator_.estimator_, LSTMAnomalyDetector)
    np.testing.assert_array_equal(
        restored.score_samples(X_stream), wrapped.score_samples(X_stream)
    )
    too_deep = ParallelPostFit(ParallelPostFit(wrapped.estimator)).fit(X_stream)
    with pytest.raises(ValueError, match="at most 2 deep"):
        save_estimator(too_deep, tmp_path / "three.zip")


def test_a_forest_inside_cannot_be_saved_safely(tmp_path):
    X_stream, _, _ = make_sensor_stream(300, random_state=0)
    forest = IsolationForest(n_estimators=5, random_state=0)
    detector = SlidingWindowDetector(forest, window_size=16).fit(X_stream)
    with pytest.raises(TypeError, match="is a IsolationForest. Use joblib"):
        save_estimator(detector, tmp_path / "forest.zip")
    with pytest.raises(ValueError, match="not fitted yet"):
        save_estimator(SlidingWindowDetector(window_size=16), tmp_path / "a.zip")


def _replaced_inner(path, tmp_path, inner_path):
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(path) as archive, zipfile.ZipFile(tampered, "w") as out:
        out.writestr("estimator.json", archive.read("estimator.json"))
        out.write(inner_path, "estimator_.zip")
    return tampered


def test_a_stream_archive_with_a_foreign_inner_network_is_refused(
    stream_detector, saved_detector, tmp_path
):
    path = tmp_path / "stream.zip"
    save_estimator(stream_detector, path)
    # The gait detector's network takes 51 x 2 windows, not 16 x 2.
    with pytest.raises(ValueError, match="takes windows of \\(51, 2\\)"):
        load_estimator(_replaced_inner(path, tmp_path, saved_detector[0]))
    with (
        zipfile.ZipFile(path) as archive,
        zipfile.ZipFile(tmp_path / "no_inner.zip", "w") as out,
    ):
        out.writestr("estimator.json", archive.read("estimator.json"))
    with pytest.raises(ValueError, match="missing \\['estimator_'\\]"):
        load_estimator(tmp_path / "no_inner.zip")


def test_archives_from_before_the_long_sequence_parameters_load(
    saved_detector, tmp_path
):
    path, detector = saved_detector

    def drop_new_parameters(state):
        for name in ("max_timesteps", "time_positions"):
            del state["params"][name]

    restored = load_estimator(_tampered_archive(path, tmp_path, drop_new_parameters))
    assert restored.max_timesteps is None and restored.time_positions is False
    np.testing.assert_array_equal(restored.score_samples(X), detector.score_samples(X))


def test_archives_from_before_the_linear_view_score_without_it(
    saved_detector, tmp_path
):
    path, _ = saved_detector

    def drop_linear_view(state):
        del state["params"]["linear_view"]
        for name in list(state["fitted"]):
            if "linear_" in name:
                del state["fitted"][name]

    restored = load_estimator(_tampered_archive(path, tmp_path, drop_linear_view))
    assert restored.linear_view is False
    assert not hasattr(restored, "linear_components_")
    without_view = load_estimator(path).set_params(linear_view=False)
    np.testing.assert_array_equal(
        restored.score_samples(X), without_view.score_samples(X)
    )


def test_archives_from_before_calibration_load_and_say_they_lack_p_values(
    saved_detector, stream_detector, tmp_path
):
    path, detector = saved_detector

    def drop_calibration(state):
        del state["params"]["calibration_split"]
        del state["fitted"]["calibration_scores_"]

    restored = load_estimator(_tampered_archive(path, tmp_path, drop_calibration))
    # They were calibrated on the data they trained on: calibration_split=0.
    assert restored.calibration_split == 0.0
    np.testing.assert_array_equal(restored.predict(X), detector.predict(X))
    with pytest.raises(NotFittedError, match="saved before .* no p-values"):
        restored.p_values(X)
    stream_path = tmp_path / "stream.zip"
    save_estimator(stream_detector, stream_path)
    restored = load_estimator(
        _tampered_archive(stream_path, tmp_path, drop_calibration)
    )
    assert restored.calibration_split == 0.0
    with pytest.raises(NotFittedError, match="no p-values"):
        restored.stream_scorer().update(np.zeros((40, 2)))


def test_a_threshold_that_flags_nothing_round_trips(tmp_path):
    with pytest.warns(UserWarning, match="will flag nothing"):
        detector = LSTMAnomalyDetector(**TINY, contamination=0.01, random_state=0).fit(
            X
        )
    assert detector.offset_ == -np.inf
    save_estimator(detector, tmp_path / "nothing.zip")
    restored = load_estimator(tmp_path / "nothing.zip")
    assert restored.offset_ == -np.inf
    assert (restored.predict(X) == 1).all()
