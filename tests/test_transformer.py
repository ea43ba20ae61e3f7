import pickle

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import get_tags

from sklearn_lstmae import LSTMAutoencoderTransformer, make_gait_cycles

from .conftest import TINY


@pytest.fixture(scope="module")
def labelled_cycles():
    X, y, _ = make_gait_cycles(120, anomaly_fraction=0.5, random_state=5)
    return X.reshape(len(X), -1), y


@pytest.fixture(scope="module")
def fitted(gait):
    X_train = gait[0]
    return LSTMAutoencoderTransformer(**TINY, random_state=0).fit(X_train)


def test_tags_declare_a_transformer_on_3d_input():
    tags = get_tags(LSTMAutoencoderTransformer())
    assert tags.transformer_tags is not None
    assert tags.input_tags.three_d_array
    assert not tags.input_tags.sparse


@pytest.mark.all_backends
def test_fit_transform_inverse_transform_shapes(fitted, gait):
    X_test = gait[1]
    latent = fitted.transform(X_test)
    assert latent.shape == (len(X_test), 2)
    assert fitted.inverse_transform(latent).shape == X_test.shape
    assert fitted.n_features_in_ == 102
    assert (fitted.n_timesteps_, fitted.n_channels_) == (51, 2)
    # The default validation split adds the held-out fifth's loss.
    assert list(fitted.history_) == ["loss", "val_loss"]


@pytest.mark.all_backends
def test_2d_and_3d_layouts_agree(fitted, gait):
    X_test = gait[1]
    flat = X_test.reshape(len(X_test), -1)
    np.testing.assert_array_equal(fitted.transform(flat), fitted.transform(X_test))
    assert fitted.reconstruct(flat).shape == flat.shape
    assert fitted.reconstruct(X_test).shape == X_test.shape


def test_2d_fit_folds_with_input_shape_and_inverts_to_2d(gait):
    flat = gait[0].reshape(len(gait[0]), -1)
    transformer = LSTMAutoencoderTransformer(**TINY, input_shape=(51, 2)).fit(flat)
    assert (transformer.n_timesteps_, transformer.n_channels_) == (51, 2)
    latent = transformer.transform(flat)
    assert transformer.inverse_transform(latent).shape == flat.shape


def test_2d_fit_without_input_shape_is_univariate(gait):
    flat = gait[0][:20, :, 0]
    transformer = LSTMAutoencoderTransformer(**TINY).fit(flat)
    assert (transformer.n_timesteps_, transformer.n_channels_) == (51, 1)


@pytest.mark.all_backends
def test_score_is_minus_mean_reconstruction_error(fitted, gait):
    X_test = gait[1]
    error = np.mean((fitted.reconstruct(X_test) - X_test.astype("float32")) ** 2)
    assert fitted.score(X_test) == pytest.approx(-error, rel=1e-5)
    np.testing.assert_allclose(
        fitted.reconstruction_error(X_test),
        np.mean((fitted.reconstruct(X_test) - X_test) ** 2, axis=(1, 2)),
        rtol=1e-5,
    )


@pytest.mark.all_backends
def test_pandas_in_and_out(gait):
    X = gait[0][:40]
    columns = [f"{joint}_{t}" for t in range(51) for joint in ("hip", "knee")]
    frame = pd.DataFrame(X.reshape(40, -1), columns=columns)
    transformer = LSTMAutoencoderTransformer(**TINY, input_shape=(51, 2))
    transformer.set_output(transform="pandas")
    latent = transformer.fit(frame).transform(frame)
    assert isinstance(latent, pd.DataFrame)
    assert list(latent.columns) == list(transformer.get_feature_names_out())
    assert list(transformer.feature_names_in_) == columns
    with pytest.raises(ValueError, match="feature names"):
        transformer.transform(frame.rename(columns={"hip_0": "ankle_0"}))


def test_history_reports_validation_loss_on_the_held_out_tail(gait):
    X = gait[0]  # 120 cycles: the last 30 are held out
    transformer = LSTMAutoencoderTransformer(**{**TINY, "epochs": 2}, standardize=False)
    transformer.set_params(validation_split=0.25).fit(X)
    assert len(transformer.history_["loss"]) == 2
    assert len(transformer.history_["val_loss"]) == 2
    # Without standardisation the network's loss is in the data's units.
    val_loss = transformer.history_["val_loss"][-1]
    assert val_loss == pytest.approx(-transformer.score(X[90:]), rel=1e-4)
    assert val_loss != pytest.approx(-transformer.score(X[:90]), rel=1e-4)


def test_pipeline_with_scaler_and_classifier(labelled_cycles):
    X, y = labelled_cycles
    pipeline = make_pipeline(
        StandardScaler(),
        LSTMAutoencoderTransformer(**TINY, input_shape=(51, 2), random_state=0),
        LogisticRegression(),
    )
    predictions = pipeline.fit(X, y).predict(X)
    assert predictions.shape == y.shape
    assert set(np.unique(predictions)) <= {-1, 1}


@pytest.mark.all_backends
def test_grid_search_without_scorer_picks_the_best_reconstruction(gait):
    X = gait[0][:60]
    search = GridSearchCV(
        LSTMAutoencoderTransformer(
            **TINY, random_state=0, optimizer__learning_rate=0.01
        ),
        {"epochs": [1, 30]},
        cv=2,
    ).fit(X)
    # Thirty epochs reconstruct far better than one: the sign must pick them.
    assert search.best_params_ == {"epochs": 30}
    scores = search.cv_results_["mean_test_score"]
    assert scores[1] > scores[0]
    assert np.all(scores < 0)


def test_grid_search_over_network_parameters(gait):
    X = gait[0][:40]
    grid = [
        {"latent_dim": [2, 3], "lstm_units": [(4,), (5, 3)]},
        {"use_attention": [True], "dropout_rate": [0.0, 0.2]},
    ]
    search = GridSearchCV(LSTMAutoencoderTransformer(**TINY), grid, cv=2).fit(X)
    assert len(search.cv_results_["params"]) == 6
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    best = search.best_estimator_
    assert best.transform(X).shape == (40, best.latent_dim)


def test_cross_val_score(gait):
    scores = cross_val_score(LSTMAutoencoderTransformer(**TINY), gait[0][:40], cv=2)
    assert scores.shape == (2,)
    assert np.all(scores < 0)


@pytest.mark.all_backends
def test_clone_keeps_routed_parameters():
    transformer = LSTMAutoencoderTransformer(
        latent_dim=5, optimizer__learning_rate=0.01, fit__shuffle=False
    )
    cloned = clone(transformer)
    assert cloned.get_params() == transformer.get_params()
    assert cloned.get_params()["optimizer__learning_rate"] == 0.01
    cloned.set_params(optimizer__learning_rate=0.1, latent_dim=2)
    assert cloned.optimizer__learning_rate == 0.1
    assert transformer.optimizer__learning_rate == 0.01


def test_routed_learning_rate_reaches_the_optimizer(gait):
    transformer = LSTMAutoencoderTransformer(**TINY, optimizer__learning_rate=0.123)
    transformer.fit(gait[0][:20])
    learning_rate = transformer.model_.optimizer.learning_rate
    assert float(np.asarray(learning_rate)) == pytest.approx(0.123)


@pytest.mark.all_backends
@pytest.mark.parametrize(
    "dumps, loads",
    [(pickle.dumps, pickle.loads), (None, None)],
    ids=["pickle", "joblib"],
)
def test_persistence_round_trips(fitted, labelled_cycles, gait, tmp_path, dumps, loads):
    X, y = labelled_cycles
    pipeline = make_pipeline(
        StandardScaler(), LSTMAutoencoderTransformer(**TINY, input_shape=(51, 2))
    ).fit(X)
    for estimator, data in [(fitted, gait[1]), (pipeline, X)]:
        if dumps is None:
            path = tmp_path / "estimator.joblib"
            joblib.dump(estimator, path)
            restored = joblib.load(path)
        else:
            restored = loads(dumps(estimator))
        np.testing.assert_array_equal(
            restored.transform(data), estimator.transform(data)
        )


@pytest.mark.all_backends
def test_same_random_state_gives_identical_models(gait):
    X = gait[0][:40]
    first = LSTMAutoencoderTransformer(**TINY, dropout_rate=0.2, random_state=3).fit(X)
    second = LSTMAutoencoderTransformer(**TINY, dropout_rate=0.2, random_state=3).fit(X)
    other = LSTMAutoencoderTransformer(**TINY, dropout_rate=0.2, random_state=4).fit(X)
    np.testing.assert_array_equal(first.transform(X), second.transform(X))
    assert not np.array_equal(first.transform(X), other.transform(X))


@pytest.mark.all_backends
def test_unseeded_fit_after_a_seeded_one(gait):
    X = gait[0][:20]
    LSTMAutoencoderTransformer(**TINY, random_state=0).fit(X)
    first = LSTMAutoencoderTransformer(**TINY).fit(X).transform(X)
    second = LSTMAutoencoderTransformer(**TINY).fit(X).transform(X)
    assert not np.array_equal(first, second)


@pytest.mark.all_backends
def test_warm_start_continues_training(gait):
    X = gait[0][:40]
    # The LSTMs alone: the default linear path starts at PCA's loss, which
    # two epochs at this rate do not lower.
    params = {
        **TINY,
        "linear_path": False,
        "epochs": 2,
        "random_state": 0,
        "optimizer__learning_rate": 0.01,
    }
    warm = LSTMAutoencoderTransformer(**params, warm_start=True).fit(X)
    weights = [w.copy() for w in warm.model_.get_weights()]
    first_losses = list(warm.history_["loss"])
    warm.fit(X)
    assert len(warm.history_["loss"]) == 4
    assert warm.history_["loss"][2] < first_losses[0]
    cold = LSTMAutoencoderTransformer(**params).fit(X)
    cold.fit(X)
    assert len(cold.history_["loss"]) == 2
    assert cold.history_["loss"][0] == pytest.approx(first_losses[0])
    assert any(
        not np.array_equal(a, b)
        for a, b in zip(weights, warm.model_.get_weights(), strict=True)
    )


def test_latent_features_separate_pathological_cycles():
    X, y, _ = make_gait_cycles(240, anomaly_fraction=0.5, random_state=7)
    mean, std = X.mean(axis=(0, 1)), X.std(axis=(0, 1))
    scaled = (X - mean) / std
    transformer = LSTMAutoencoderTransformer(
        lstm_units=(32,), latent_dim=6, epochs=30, batch_size=16, random_state=0
    )
    latent = transformer.fit_transform(scaled)
    accuracy = cross_val_score(
        make_pipeline(StandardScaler(), LogisticRegression()), latent, y, cv=4
    ).mean()
    chance = max(np.mean(y == 1), np.mean(y == -1))
    # Measured 0.875 against a chance rate of 0.50.
    assert accuracy > chance + 0.3


def test_standardize_works_in_the_users_units(gait):
    X = gait[0][:40]
    transformer = LSTMAutoencoderTransformer(**TINY, random_state=0).fit(X)
    np.testing.assert_allclose(transformer.channel_mean_, X.mean(axis=(0, 1)))
    np.testing.assert_allclose(transformer.channel_scale_, X.std(axis=(0, 1)))
    reconstruction = transformer.reconstruct(X)
    # Degrees in, degrees out: the reconstruction sits on the data's scale.
    assert np.abs(reconstruction.mean(axis=(0, 1)) - X.mean(axis=(0, 1))).max() < 10
    np.testing.assert_allclose(
        transformer.reconstruction_error(X),
        np.mean((reconstruction - X) ** 2, axis=(1, 2)),
        rtol=1e-6,
    )
    plain = LSTMAutoencoderTransformer(**TINY, standardize=False).fit(X)
    np.testing.assert_array_equal(plain.channel_mean_, [0.0, 0.0])
    np.testing.assert_array_equal(plain.channel_scale_, [1.0, 1.0])


def test_defaults_reconstruct_new_cycles_almost_as_closely_as_pca():
    # 30 gait cycles at latent size 8, 200 new ones. Measured test RMSE:
    # 1.109 deg, PCA(8) 1.077 deg; 1.398 deg for the network the defaults were
    # before (every step, no time positions, linear path or validation split).
    X_train, _, _ = make_gait_cycles(30, random_state=0)
    X_test, _, _ = make_gait_cycles(200, random_state=1)
    transformer = LSTMAutoencoderTransformer(latent_dim=8, random_state=0)
    reconstruction = transformer.fit(X_train).reconstruct(X_test)
    pca = PCA(n_components=8).fit(X_train.reshape(len(X_train), -1))
    flat_test = X_test.reshape(len(X_test), -1)
    pca_reconstruction = pca.inverse_transform(pca.transform(flat_test))

    def rmse(reconstruction):
        return np.sqrt(np.mean((reconstruction.reshape(X_test.shape) - X_test) ** 2))

    assert rmse(reconstruction) < 1.1 * rmse(pca_reconstruction)
