"""Bad input and bad parameters: a clear error before TensorFlow sees anything."""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.exceptions import NotFittedError

from sklearn_lstmae import (
    LSTMAnomalyDetector,
    LSTMAutoencoder,
    LSTMAutoencoderTransformer,
    make_gait_cycles,
)

from .conftest import TINY

ESTIMATORS = [LSTMAutoencoderTransformer, LSTMAnomalyDetector]

X_GOOD = make_gait_cycles(12, random_state=0)[0]  # (12, 51, 2)


def _with(value, index=(0, 0, 0)):
    X = X_GOOD.copy()
    X[index] = value
    return X


def _ragged():
    return [X_GOOD[0].tolist(), X_GOOD[1][:50].tolist()]


# (case id, parameters, training data, exception, message pattern)
BAD_FIT = [
    ("nan", {}, _with(np.nan), ValueError, "Input X contains NaN"),
    ("inf", {}, _with(np.inf), ValueError, "Input X contains infinity"),
    ("strings", {}, np.full((4, 6), "a"), ValueError, "not compatible with arrays"),
    (
        "object",
        {},
        np.array([[{"a": 1}, 2.0], [3.0, 4.0]], dtype=object),
        TypeError,
        "must be a string or a (real )?number",
    ),
    ("complex", {}, X_GOOD + 1j, ValueError, "Complex data not supported"),
    ("empty", {}, np.empty((0, 51, 2)), ValueError, "0 sample"),
    ("one sample", {}, X_GOOD[:1], ValueError, "1 sample"),
    ("sparse", {}, sp.csr_matrix(np.ones((4, 6))), TypeError, "sparse input"),
    ("1-D", {}, np.ones(10), ValueError, "got a 1-D input"),
    ("4-D", {}, np.ones((4, 5, 2, 2)), ValueError, "got a 4-D input"),
    ("ragged", {}, _ragged(), ValueError, "X must be rectangular"),
    (
        "input_shape contradicts 3-D",
        {"input_shape": (50, 2)},
        X_GOOD,
        ValueError,
        r"input_shape=\(50, 2\) contradicts X.*\(51, 2\)",
    ),
    (
        "input_shape does not fold 2-D",
        {"input_shape": (50, 2)},
        X_GOOD.reshape(12, -1),
        ValueError,
        "folds 100 columns .* X has 102 columns",
    ),
    ("input_shape not a pair", {"input_shape": (51,)}, X_GOOD, ValueError, "pair"),
    ("latent_dim 0", {"latent_dim": 0}, X_GOOD, ValueError, "'latent_dim' param"),
    ("latent_dim -3", {"latent_dim": -3}, X_GOOD, ValueError, "'latent_dim' param"),
    ("lstm_units empty", {"lstm_units": ()}, X_GOOD, ValueError, "non-empty"),
    ("lstm_units float", {"lstm_units": (4.5,)}, X_GOOD, ValueError, "integers"),
    ("lstm_units int", {"lstm_units": 4}, X_GOOD, ValueError, "'lstm_units' param"),
    ("pooling unknown", {"pooling": "max"}, X_GOOD, ValueError, "'pooling' param"),
    ("dropout 1", {"dropout_rate": 1.0}, X_GOOD, ValueError, "'dropout_rate' param"),
    ("dropout < 0", {"dropout_rate": -0.1}, X_GOOD, ValueError, "'dropout_rate'"),
    ("l2 < 0", {"l2_reg": -1e-3}, X_GOOD, ValueError, "'l2_reg' parameter"),
    ("optimizer name", {"optimizer": "adamm"}, X_GOOD, ValueError, "Unknown optimizer"),
    ("loss name", {"loss": "msee"}, X_GOOD, ValueError, "Unknown loss 'msee'"),
    (
        "routed typo",
        {"optimizer_learning_rate": 0.1},
        X_GOOD,
        ValueError,
        r"Unknown parameter\(s\) \['optimizer_learning_rate'\]",
    ),
    ("epochs 0", {"epochs": 0}, X_GOOD, ValueError, "'epochs' parameter"),
    ("epochs word", {"epochs": "many"}, X_GOOD, ValueError, "'epochs' parameter"),
    (
        "validation_split leaves no training sample",
        {"validation_split": 0.95},
        X_GOOD,
        ValueError,
        # The detector first holds out its calibration_split: 9 are left.
        r"validation_split=0.95 of (12|9) samples leaves no sample to train on",
    ),
]


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize(
    "params, X, error, match",
    [case[1:] for case in BAD_FIT],
    ids=[case[0] for case in BAD_FIT],
)
def test_bad_fit_input_is_refused_before_keras(Estimator, params, X, error, match):
    estimator = Estimator(**{**TINY, **params})
    with pytest.raises(error, match=match):
        estimator.fit(X)
    assert not hasattr(estimator, "model_")


@pytest.mark.parametrize("contamination", [0.0, 0.7, -0.1, "high"])
def test_bad_contamination(contamination):
    detector = LSTMAnomalyDetector(**TINY, contamination=contamination)
    with pytest.raises(ValueError, match="'contamination' parameter"):
        detector.fit(X_GOOD)
    assert not hasattr(detector, "model_")


@pytest.fixture(scope="module", params=ESTIMATORS, ids=lambda cls: cls.__name__)
def fitted(request):
    return request.param(**TINY, random_state=0).fit(X_GOOD)


def _method(estimator):
    name = "transform" if hasattr(estimator, "transform") else "score_samples"
    return getattr(estimator, name)


BAD_AFTER_FIT = [
    ("nan", _with(np.nan), "Input X contains NaN"),
    ("inf", _with(-np.inf), "Input X contains infinity"),
    ("features", X_GOOD.reshape(12, -1)[:, :100], "X has 100 features, but"),
    ("time steps", X_GOOD[:, :50], "50 time steps and 2 channels, but .* 51 time"),
    ("channels", X_GOOD[:, :, :1], "51 time steps and 1 channels, but .* 2 channels"),
    ("1-D", X_GOOD[0, :, 0], "got a 1-D input"),
    ("empty", np.empty((0, 51, 2)), "0 sample"),
]


@pytest.mark.parametrize(
    "X, match", [case[1:] for case in BAD_AFTER_FIT], ids=[c[0] for c in BAD_AFTER_FIT]
)
def test_bad_input_after_fit(fitted, X, match):
    with pytest.raises(ValueError, match=match):
        _method(fitted)(X)


def test_dataframe_columns_must_match_fit():
    columns = [f"c{i}" for i in range(102)]
    frame = pd.DataFrame(X_GOOD.reshape(12, -1), columns=columns)
    transformer = LSTMAutoencoderTransformer(**TINY, input_shape=(51, 2)).fit(frame)
    renamed = frame.rename(columns={"c0": "hip"})
    with pytest.raises(ValueError, match="feature names should match"):
        transformer.transform(renamed)


@pytest.mark.parametrize(
    "Estimator, method",
    [
        (LSTMAutoencoderTransformer, "transform"),
        (LSTMAutoencoderTransformer, "inverse_transform"),
        (LSTMAutoencoderTransformer, "score"),
        (LSTMAnomalyDetector, "score_samples"),
        (LSTMAnomalyDetector, "predict"),
        (LSTMAnomalyDetector, "reconstruction_error"),
    ],
)
def test_methods_before_fit(Estimator, method):
    with pytest.raises(NotFittedError, match="not fitted yet"):
        getattr(Estimator(), method)(X_GOOD)


def test_inverse_transform_checks_latent_width():
    transformer = LSTMAutoencoderTransformer(**TINY).fit(X_GOOD)
    with pytest.raises(ValueError, match="X has 3 latent features.*latent_dim=2"):
        transformer.inverse_transform(np.zeros((4, 3)))


@pytest.mark.parametrize(
    "params, match",
    [
        ({"latent_dim": 0}, "'latent_dim' parameter"),
        ({"lstm_units": []}, "non-empty"),
        ({"lstm_units": [8, -1]}, "positive integers"),
        ({"input_shape": (51,)}, "pair of positive integers"),
        ({"input_shape": None}, "got None"),
        ({"dropout_rate": 1.5}, "'dropout_rate' parameter"),
        ({"l2_reg": -1.0}, "'l2_reg' parameter"),
    ],
)
def test_keras_level_autoencoder_checks_its_parameters(params, match):
    with pytest.raises(ValueError, match=match):
        LSTMAutoencoder(**params)


@pytest.mark.all_backends
def test_diverging_training_leaves_no_fitted_estimator():
    X = X_GOOD * 1e6
    detector = LSTMAnomalyDetector(
        **{**TINY, "epochs": 5},
        optimizer="sgd",
        optimizer__learning_rate=1e12,
        random_state=0,
    )
    with pytest.raises(
        ValueError, match="Training diverged: the loss became (nan|inf) at epoch"
    ):
        detector.fit(X)
    assert not [name for name in vars(detector) if name.endswith("_")]
    with pytest.raises(NotFittedError):
        detector.score_samples(X_GOOD)
