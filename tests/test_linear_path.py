import numpy as np
import pytest
from sklearn.decomposition import PCA

from sklearn_lstmae import LSTMAutoencoderTransformer, make_gait_cycles


def _fitted_at_the_start(X, latent_dim, validation_split=0.0):
    # A rate of ~0 keeps the weights where fit_linear_path put them.
    return LSTMAutoencoderTransformer(
        lstm_units=(4,),
        latent_dim=latent_dim,
        epochs=1,
        linear_path=True,
        validation_split=validation_split,
        optimizer__learning_rate=1e-12,
        random_state=0,
    ).fit(X)


# Keras's split: with 0.2 the first 24 of 30 sequences train, the last 6
# validate and are not in the PCA.
@pytest.mark.parametrize("validation_split, n_training", [(0.0, 30), (0.2, 24)])
def test_a_linear_path_starts_as_the_pca_of_the_training_sequences(
    validation_split, n_training
):
    X, _, _ = make_gait_cycles(30, random_state=0)
    transformer = _fitted_at_the_start(X, 3, validation_split)
    network_units = transformer._to_network(X).reshape(len(X), -1)
    pca = PCA(3).fit(network_units[:n_training])
    expected = pca.inverse_transform(pca.transform(network_units))
    reconstruction = transformer._to_network(transformer.reconstruct(X))
    np.testing.assert_allclose(
        reconstruction.reshape(len(X), -1),
        expected,
        atol=1e-4 * np.abs(expected).max(),
    )
    # Whitened: the latent values have unit variance on the training data.
    latent = transformer.transform(X[:n_training])
    np.testing.assert_allclose(latent.std(axis=0, ddof=1), 1.0, rtol=1e-3)


def test_fewer_sequences_than_latent_values_leave_the_rest_at_zero():
    X, _, _ = make_gait_cycles(3, random_state=0)
    latent = _fitted_at_the_start(X, latent_dim=5).transform(X)
    assert np.isfinite(latent).all()
    np.testing.assert_allclose(latent[:, 3:], 0.0, atol=1e-5)


def test_training_leaves_the_linear_maps_at_the_pca():
    X, _, _ = make_gait_cycles(30, random_state=0)
    transformer = LSTMAutoencoderTransformer(
        lstm_units=(4,),
        latent_dim=3,
        epochs=2,
        linear_path=True,
        validation_split=0.0,
        random_state=0,
    ).fit(X)
    flat = transformer._to_network(X).reshape(len(X), -1)
    pca = PCA(3).fit(flat)
    model = transformer.model_
    encoding = model.get_layer("encoder").get_layer("linear_encoding")
    decoding = model.get_layer("decoder").get_layer("linear_decoding")
    (encoding_kernel, encoding_bias), (decoding_kernel, decoding_bias) = (
        layer.get_weights() for layer in (encoding, decoding)
    )
    latent = flat @ encoding_kernel + encoding_bias
    linear_reconstruction = latent @ decoding_kernel + decoding_bias
    expected = pca.inverse_transform(pca.transform(flat))
    np.testing.assert_allclose(
        linear_reconstruction, expected, atol=1e-4 * np.abs(expected).max()
    )
    # The LSTMs trained: the whole network is no longer the PCA.
    reconstruction = transformer._to_network(transformer.reconstruct(X))
    assert not np.allclose(reconstruction.reshape(len(X), -1), expected, atol=1e-3)
