"""The one builder of the LSTM autoencoder network.

Both estimators and :class:`~sklearn_lstmae.LSTMAutoencoder` call
:func:`build_autoencoder`; nothing else in the package creates layers.
"""

import keras

from .layers import AttentionLayer

__all__ = ["build_autoencoder"]


def build_autoencoder(
    n_timesteps,
    n_channels,
    *,
    latent_dim=16,
    lstm_units=(64, 32),
    dropout_rate=0.0,
    l2_reg=0.0,
    use_attention=False,
):
    """Build an LSTM autoencoder and its encoder and decoder.

    The three models share their layers, so training the autoencoder trains
    the encoder and the decoder.

    Encoder: ``Input(T, C)`` -> one ``LSTM`` per entry of ``lstm_units``, each
    followed by ``Dropout`` -> optional ``AttentionLayer`` -> ``Dense(latent_dim)``.

    Decoder: ``Input(latent_dim)`` -> ``RepeatVector(T)`` -> the LSTM sizes in
    reverse order, each followed by ``Dropout`` -> optional ``AttentionLayer``
    -> ``TimeDistributed(Dense(C))``.

    How a sequence becomes the latent vector: without attention the last
    encoder LSTM returns only its final hidden state, which the Dense layer
    maps to the latent vector. With attention every encoder LSTM returns its
    full sequence of hidden states, self-attention mixes each step with the
    steps it attends to, the attended sequence is averaged over time, and the
    Dense layer maps that average to the latent vector.

    Parameters
    ----------
    n_timesteps : int
        Length ``T`` of the sequences.
    n_channels : int
        Number ``C`` of channels per time step.
    latent_dim : int, default=16
        Width of the latent vector.
    lstm_units : sequence of int, default=(64, 32)
        Units of each encoder LSTM layer, outermost first.
    dropout_rate : float, default=0.0
        Rate of the ``Dropout`` layer after each LSTM layer.
    l2_reg : float, default=0.0
        L2 penalty on the kernels of the LSTM and Dense layers; 0 adds none.
    use_attention : bool, default=False
        Whether to add self-attention after the encoder and decoder LSTMs.

    Returns
    -------
    autoencoder : keras.Model
        Maps ``(batch, T, C)`` to its reconstruction ``(batch, T, C)``.
    encoder : keras.Model
        Maps ``(batch, T, C)`` to ``(batch, latent_dim)``.
    decoder : keras.Model
        Maps ``(batch, latent_dim)`` to ``(batch, T, C)``.

    Notes
    -----
    The LSTM layers keep the configuration that lets TensorFlow run the fused
    cuDNN kernel on a GPU (tanh and sigmoid activations, no recurrent dropout,
    no unrolling, biases on); dropout lives in separate ``Dropout`` layers.

    Examples
    --------
    >>> from sklearn_lstmae.network import build_autoencoder
    >>> autoencoder, encoder, decoder = build_autoencoder(51, 2, latent_dim=4)
    >>> encoder.output_shape, autoencoder.output_shape
    ((None, 4), (None, 51, 2))
    """
    regularizer = keras.regularizers.L2(l2_reg) if l2_reg > 0 else None
    lstm_units = [int(units) for units in lstm_units]
    encoder = _build_encoder(
        n_timesteps,
        n_channels,
        latent_dim,
        lstm_units,
        dropout_rate,
        regularizer,
        use_attention,
    )
    decoder = _build_decoder(
        n_timesteps,
        n_channels,
        latent_dim,
        lstm_units[::-1],
        dropout_rate,
        regularizer,
        use_attention,
    )
    sequences = keras.Input(shape=(n_timesteps, n_channels), name="sequences")
    autoencoder = keras.Model(
        sequences, decoder(encoder(sequences)), name="lstm_autoencoder"
    )
    return autoencoder, encoder, decoder


def _lstm_stack(x, lstm_units, dropout_rate, regularizer, last_returns_sequence):
    for depth, units in enumerate(lstm_units):
        returns_sequence = last_returns_sequence or depth < len(lstm_units) - 1
        x = keras.layers.LSTM(
            units, return_sequences=returns_sequence, kernel_regularizer=regularizer
        )(x)
        x = keras.layers.Dropout(dropout_rate)(x)
    return x


def _build_encoder(
    n_timesteps, n_channels, latent_dim, lstm_units, dropout_rate, regularizer, attend
):
    sequences = keras.Input(shape=(n_timesteps, n_channels), name="sequences")
    x = _lstm_stack(sequences, lstm_units, dropout_rate, regularizer, attend)
    if attend:
        x = AttentionLayer(name="encoder_attention")(x)
        x = keras.layers.GlobalAveragePooling1D()(x)
    latent = keras.layers.Dense(
        latent_dim, kernel_regularizer=regularizer, name="latent"
    )(x)
    return keras.Model(sequences, latent, name="encoder")


def _build_decoder(
    n_timesteps, n_channels, latent_dim, lstm_units, dropout_rate, regularizer, attend
):
    latent = keras.Input(shape=(latent_dim,), name="latent")
    x = keras.layers.RepeatVector(n_timesteps)(latent)
    x = _lstm_stack(x, lstm_units, dropout_rate, regularizer, True)
    if attend:
        x = AttentionLayer(name="decoder_attention")(x)
    dense = keras.layers.Dense(n_channels, kernel_regularizer=regularizer)
    reconstruction = keras.layers.TimeDistributed(dense, name="reconstruction")(x)
    return keras.Model(latent, reconstruction, name="decoder")
