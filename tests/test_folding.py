"""Property-based tests of the 2-D <-> 3-D layouts and of output shapes."""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sklearn_lstmae import LSTMAutoencoderTransformer

shapes = st.tuples(
    st.integers(2, 6), st.integers(1, 12), st.integers(1, 4)
)  # (n_samples, n_timesteps, n_channels)


def _data(shape, seed):
    return np.random.default_rng(seed).normal(size=shape)


@settings(max_examples=60, deadline=None)
@given(shape=shapes, seed=st.integers(0, 2**16))
def test_2d_input_folds_time_major(shape, seed):
    X3 = _data(shape, seed)
    n_samples, n_timesteps, n_channels = shape
    flat = X3.reshape(n_samples, -1)
    estimator = LSTMAutoencoderTransformer(input_shape=(n_timesteps, n_channels))
    folded = estimator._validate_data(flat, reset=True)
    np.testing.assert_array_equal(folded, X3)
    # Column t * n_channels + c holds channel c at step t.
    t, c = n_timesteps - 1, n_channels - 1
    assert flat[0, t * n_channels + c] == X3[0, t, c]
    assert estimator.n_features_in_ == n_timesteps * n_channels


@settings(max_examples=60, deadline=None)
@given(shape=shapes, seed=st.integers(0, 2**16))
def test_3d_input_keeps_its_shape_and_checks_later_calls(shape, seed):
    X3 = _data(shape, seed)
    estimator = LSTMAutoencoderTransformer()
    folded = estimator._validate_data(X3, reset=True)
    assert folded.shape == shape
    assert (estimator.n_timesteps_, estimator.n_channels_) == shape[1:]
    refolded = estimator._validate_data(X3.reshape(shape[0], -1), reset=False)
    np.testing.assert_array_equal(refolded, folded)


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(shape=shapes, latent_dim=st.integers(1, 3), layout=st.sampled_from([2, 3]))
def test_transform_and_inverse_transform_shapes(shape, latent_dim, layout):
    X3 = _data(shape, 0)
    X = X3 if layout == 3 else X3.reshape(shape[0], -1)
    transformer = LSTMAutoencoderTransformer(
        input_shape=shape[1:], lstm_units=(3,), latent_dim=latent_dim, epochs=1
    ).fit(X)
    latent = transformer.transform(X)
    assert latent.shape == (shape[0], latent_dim)
    assert transformer.inverse_transform(latent).shape == X.shape
    assert transformer.reconstruct(X3).shape == shape
