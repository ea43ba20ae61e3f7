import copy

import keras
import numpy as np
import pytest

from sklearn_lstmae import AttentionLayer
from sklearn_lstmae.layers import TimeResampling
from sklearn_lstmae.network import build_autoencoder


@pytest.mark.parametrize(
    "n_timesteps, n_channels, lstm_units, latent_dim, use_attention",
    [
        (51, 2, (8, 4), 3, False),
        (51, 2, (8, 4), 3, True),
        (20, 1, (5,), 2, False),
        (7, 6, (6, 5, 4), 1, True),
    ],
)
def test_shapes(n_timesteps, n_channels, lstm_units, latent_dim, use_attention):
    autoencoder, encoder, decoder = build_autoencoder(
        n_timesteps,
        n_channels,
        latent_dim=latent_dim,
        lstm_units=lstm_units,
        use_attention=use_attention,
    )
    x = np.zeros((3, n_timesteps, n_channels), dtype="float32")
    assert encoder.predict(x, verbose=0).shape == (3, latent_dim)
    latent = np.zeros((3, latent_dim), dtype="float32")
    assert decoder.predict(latent, verbose=0).shape == (3, n_timesteps, n_channels)
    assert autoencoder.predict(x, verbose=0).shape == (3, n_timesteps, n_channels)
    lstm_sizes = [
        layer.units
        for model in (encoder, decoder)
        for layer in model.layers
        if isinstance(layer, keras.layers.LSTM)
    ]
    assert lstm_sizes == [*lstm_units, *lstm_units[::-1]]
    n_attention = sum(
        isinstance(layer, AttentionLayer)
        for model in (encoder, decoder)
        for layer in model.layers
    )
    assert n_attention == (2 if use_attention else 0)


@pytest.mark.parametrize(
    "use_attention, pooling, pooled_width",
    [
        (False, None, 4),
        (False, "last", 4),
        (False, "mean", 4),
        (False, "flatten", 12 * 4),
        (True, None, 4),
        (True, "last", 4),
        (True, "flatten", 12 * 4),
    ],
)
def test_pooling_sets_what_the_latent_layer_sees(use_attention, pooling, pooled_width):
    autoencoder, encoder, _ = build_autoencoder(
        12,
        2,
        latent_dim=3,
        lstm_units=(5, 4),
        use_attention=use_attention,
        pooling=pooling,
    )
    assert encoder.get_layer("latent").input.shape == (None, pooled_width)
    x = np.random.default_rng(0).normal(size=(2, 12, 2)).astype("float32")
    assert autoencoder.predict(x, verbose=0).shape == x.shape


@pytest.mark.parametrize("use_attention, pooling", [(False, "last"), (True, "mean")])
def test_pooling_none_is_the_specification_network(use_attention, pooling):
    def encoder_layer_types(pooling):
        _, encoder, _ = build_autoencoder(
            12, 2, use_attention=use_attention, pooling=pooling
        )
        return [type(layer) for layer in encoder.layers]

    assert encoder_layer_types(None) == encoder_layer_types(pooling)
    # The specification's encoder reads the LSTM's final state: nothing to flatten.
    assert keras.layers.Flatten not in encoder_layer_types(None)


def test_unknown_pooling_is_refused():
    with pytest.raises(ValueError, match='pooling must be "last"'):
        build_autoencoder(12, 2, pooling="max")


def test_models_share_weights():
    autoencoder, encoder, decoder = build_autoencoder(
        10, 2, latent_dim=2, lstm_units=(4,)
    )
    x = np.random.default_rng(0).normal(size=(4, 10, 2)).astype("float32")
    chained = decoder.predict(encoder.predict(x, verbose=0), verbose=0)
    np.testing.assert_allclose(autoencoder.predict(x, verbose=0), chained, rtol=1e-5)
    assert {id(w) for w in encoder.weights} <= {id(w) for w in autoencoder.weights}


@pytest.mark.parametrize("use_attention", [False, True])
def test_lstm_layers_are_cudnn_eligible(use_attention):
    autoencoder, _, _ = build_autoencoder(
        10, 2, lstm_units=(4, 3), dropout_rate=0.3, use_attention=use_attention
    )
    lstms = [
        layer
        for model in autoencoder.layers
        if isinstance(model, keras.Model)
        for layer in model.layers
        if isinstance(layer, keras.layers.LSTM)
    ]
    assert len(lstms) == 4
    for lstm in lstms:
        config = lstm.get_config()
        assert config["activation"] == "tanh"
        assert config["recurrent_activation"] == "sigmoid"
        assert config["recurrent_dropout"] == 0
        assert config["unroll"] is False
        assert config["use_bias"] is True
    dropouts = [
        layer
        for model in autoencoder.layers
        if isinstance(model, keras.Model)
        for layer in model.layers
        if isinstance(layer, keras.layers.Dropout)
    ]
    assert [layer.rate for layer in dropouts] == [0.3] * 4


def test_l2_applies_to_kernels_only_when_positive():
    with_l2, _, _ = build_autoencoder(10, 2, lstm_units=(4,), l2_reg=0.01)
    without, _, _ = build_autoencoder(10, 2, lstm_units=(4,), l2_reg=0.0)
    assert len(with_l2.losses) == 4  # encoder LSTM, latent Dense, decoder LSTM, output
    assert len(without.losses) == 0


def test_model_config_round_trip():
    autoencoder, _, _ = build_autoencoder(12, 2, lstm_units=(4,), use_attention=True)
    config = autoencoder.get_config()
    clone = keras.Model.from_config(copy.deepcopy(config))
    assert clone.get_config() == config
    clone.set_weights(autoencoder.get_weights())
    x = np.random.default_rng(0).normal(size=(2, 12, 2)).astype("float32")
    np.testing.assert_allclose(
        clone.predict(x, verbose=0), autoencoder.predict(x, verbose=0)
    )


def test_long_sequences_run_the_lstms_on_at_most_max_timesteps():
    autoencoder, encoder, decoder = build_autoencoder(
        300, 2, latent_dim=3, lstm_units=(4,), max_timesteps=64, time_positions=True
    )
    lstm_steps = [
        layer.input.shape[1]
        for model in (encoder, decoder)
        for layer in model.layers
        if isinstance(layer, keras.layers.LSTM)
    ]
    assert lstm_steps == [60, 60]  # bins of 5 steps
    # The decoder's LSTM sees the latent vector and five position channels.
    assert decoder.get_layer("time_positions").output.shape == (None, 60, 3 + 5)
    x = np.random.default_rng(0).normal(size=(2, 300, 2)).astype("float32")
    assert autoencoder.predict(x, verbose=0).shape == x.shape


def test_short_sequences_are_not_resampled():
    _, encoder, decoder = build_autoencoder(50, 2, max_timesteps=64)
    layer_types = {
        type(layer) for model in (encoder, decoder) for layer in model.layers
    }
    assert TimeResampling not in layer_types


def test_a_linear_path_with_zero_lstm_branches_is_a_linear_map():
    autoencoder, _, _ = build_autoencoder(
        20, 2, latent_dim=3, lstm_units=(4,), linear_path=True
    )
    rng = np.random.default_rng(0)
    x, y = (rng.normal(size=(2, 20, 2)).astype("float32") for _ in range(2))
    # Linear in its input: the LSTM branches start at zero.
    at = autoencoder.predict(np.stack([x[0], y[0], x[0] + y[0]]), verbose=0)
    bias = autoencoder.predict(np.zeros((1, 20, 2), "float32"), verbose=0)[0]
    np.testing.assert_allclose(at[2] - bias, (at[0] - bias) + (at[1] - bias), atol=1e-4)
