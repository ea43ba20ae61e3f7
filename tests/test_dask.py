"""sklearn_lstmae.dask on a real two-process dask.distributed cluster."""

import importlib
import pickle
import sys

import joblib
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.ensemble import IsolationForest
from sklearn.model_selection import GridSearchCV

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

from sklearn_lstmae import (  # noqa: E402
    LSTMAnomalyDetector,
    LSTMAutoencoderTransformer,
    SlidingWindowDetector,
)
from sklearn_lstmae.dask import ParallelPostFit, fit_incremental  # noqa: E402
from sklearn_lstmae.datasets import make_sensor_stream  # noqa: E402

from .conftest import TINY  # noqa: E402

METHODS = [
    "transform",
    "score_samples",
    "decision_function",
    "predict",
    "reconstruction_error",
]


@pytest.fixture(scope="module")
def client():
    # Processes, not threads: every task's estimator and data are pickled to
    # another interpreter, as on a real cluster.
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            env={"TF_CPP_MIN_LOG_LEVEL": "2", "OMP_NUM_THREADS": "1"},
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


@pytest.fixture(scope="module")
def sequences(gait):
    X = gait[0][:60]
    return (X - X.mean(axis=(0, 1))) / X.std(axis=(0, 1))


@pytest.fixture(scope="module", params=["transformer", "detector"])
def fitted(request, sequences):
    estimator = {
        "transformer": LSTMAutoencoderTransformer,
        "detector": LSTMAnomalyDetector,
    }[request.param](**TINY, random_state=0)
    return ParallelPostFit(estimator).fit(sequences)


@pytest.mark.parametrize("layout", ["3-D", "2-D"])
def test_lazy_outputs_equal_in_process_outputs(client, fitted, sequences, layout):
    X = sequences if layout == "3-D" else sequences.reshape(len(sequences), -1)
    if layout == "2-D":
        fitted = ParallelPostFit(
            clone(fitted.estimator).set_params(input_shape=(51, 2))
        )
        fitted.fit(X)
    lazy_X = da.from_array(X, chunks=(25, *X.shape[1:]))
    for method in METHODS:
        if not hasattr(fitted, method):
            continue
        lazy = getattr(fitted, method)(lazy_X)
        expected = getattr(fitted.estimator_, method)(X)
        assert isinstance(lazy, da.Array), method
        assert lazy.chunks[0] == (25, 25, 10), method
        assert lazy.shape == expected.shape and lazy.dtype == expected.dtype, method
        assert type(lazy._meta) is np.ndarray
        np.testing.assert_allclose(lazy.compute(), expected, rtol=1e-5, atol=1e-6)
    if hasattr(fitted, "inverse_transform"):
        latent = fitted.transform(lazy_X)
        np.testing.assert_allclose(
            fitted.inverse_transform(latent).compute(),
            fitted.estimator_.inverse_transform(latent.compute()),
            rtol=1e-5,
            atol=1e-6,
        )


def test_numpy_in_numpy_out(fitted, sequences):
    for method in METHODS:
        if hasattr(fitted, method):
            output = getattr(fitted, method)(sequences)
            assert isinstance(output, np.ndarray), method
            expected = getattr(fitted.estimator_, method)(sequences)
            np.testing.assert_array_equal(output, expected)


def test_the_estimator_is_in_the_graph_once(fitted, sequences):
    lazy = fitted.reconstruction_error(da.from_array(sequences, chunks=(6, 51, 2)))
    assert lazy.numblocks[0] == 10
    estimator_bytes = len(pickle.dumps(fitted.estimator_))
    # The scheduler ships tasks one by one: count the graph's entries that
    # would carry the estimator. Passing it to map_blocks as a plain argument
    # gives 10, one per block.
    carriers = [
        key
        for key, task in dict(lazy.__dask_graph__()).items()
        if len(pickle.dumps(task)) > estimator_bytes / 2
    ]
    assert len(carriers) == 1


def test_sequences_chunked_along_time_are_rechunked(client, fitted, sequences):
    lazy = fitted.reconstruction_error(da.from_array(sequences, chunks=(30, 20, 1)))
    assert lazy.chunks[0] == (30, 30)
    np.testing.assert_allclose(
        lazy.compute(), fitted.estimator_.reconstruction_error(sequences), rtol=1e-5
    )


@pytest.mark.parametrize(
    ("inner", "stride"),
    [
        (IsolationForest(n_estimators=10, random_state=0), 1),
        (LSTMAnomalyDetector(**TINY, random_state=0), 3),
    ],
    ids=["forest", "lstm-stride-3"],
)
def test_stream_blocks_overlap_to_equal_one_piece(client, inner, stride):
    X, _, _ = make_sensor_stream(700, n_channels=2, n_anomalies=1, random_state=0)
    detector = SlidingWindowDetector(inner, window_size=16, stride=stride)
    model = ParallelPostFit(detector).fit(X)
    lazy_X = da.from_array(X, chunks=(100, 1))
    for method in ["score_samples", "predict"]:
        lazy = getattr(model, method)(lazy_X)
        assert lazy.shape == (700,)
        np.testing.assert_allclose(
            lazy.compute(), getattr(model.estimator_, method)(X), rtol=1e-5
        )


def test_grid_search_runs_on_the_workers(client, sequences):
    search = GridSearchCV(
        LSTMAutoencoderTransformer(**TINY, random_state=0),
        {"latent_dim": [2, 3]},
        cv=2,
        n_jobs=-1,
    )
    with (
        distributed.get_task_stream(client) as tasks,
        joblib.parallel_config(backend="dask"),
    ):
        search.fit(sequences)
    assert len(search.cv_results_["params"]) == 2
    workers = {task["worker"] for task in tasks.data}
    assert len(tasks.data) >= 4 and len(workers) >= 1


def test_incremental_training_lowers_the_loss(client, sequences):
    lazy_X = da.from_array(sequences, chunks=(20, 51, 2))
    detector = LSTMAnomalyDetector(**TINY, random_state=0)
    trained = fit_incremental(detector, lazy_X, epochs=3)
    losses = trained.history_["loss"]
    assert len(losses) == 9
    assert np.mean(losses[-3:]) < np.mean(losses[:3])
    # Each block of 20 holds out 4 to calibrate on: 16, one batch of 16.
    assert int(trained.model_.optimizer.iterations) == 9 * 1


def test_optimizer_state_survives_a_pickle_between_blocks(client, sequences):
    first = fit_incremental(
        LSTMAnomalyDetector(**TINY, random_state=0),
        da.from_array(sequences[:40], chunks=(20, 51, 2)),
    )
    restored = pickle.loads(pickle.dumps(first))
    for before, after in zip(
        first.model_.optimizer.variables,
        restored.model_.optimizer.variables,
        strict=True,
    ):
        np.testing.assert_array_equal(np.asarray(before), np.asarray(after))
    steps = int(restored.model_.optimizer.iterations)
    assert steps > 0
    again = fit_incremental(restored, da.from_array(sequences[40:], chunks=(20, 51, 2)))
    assert int(again.model_.optimizer.iterations) > steps


def test_fit_incremental_wants_a_dask_array(sequences):
    with pytest.raises(TypeError, match="dask array"):
        fit_incremental(LSTMAnomalyDetector(**TINY), sequences)


def test_import_error_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "dask", None)
    monkeypatch.delitem(sys.modules, "sklearn_lstmae.dask")
    with pytest.raises(ImportError, match=r"sklearn-lstmae\[dask\]"):
        importlib.import_module("sklearn_lstmae.dask")
