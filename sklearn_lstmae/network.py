"""The one builder of the LSTM autoencoder network, and the names of its parts.

Both estimators and :class:`~sklearn_lstmae.LSTMAutoencoder` call
:func:`build_autoencoder`; nothing else in the package creates layers. The
parts of a built network are reached through :func:`encoder_of`,
:func:`decoder_of` and :func:`attention_inputs`, which know the layer names.
"""

import keras

from .layers import AttentionLayer

__all__ = [
    "ATTENTION_LAYERS",
    "attention_inputs",
    "attention_scores",
    "build_autoencoder",
    "decoder_of",
    "encoder_of",
]

# The attention layers a network built with use_attention=True has, by name.
ATTENTION_LAYERS = ("encoder_attention", "decoder_attention")


def build_autoencoder(
    n_timesteps,
    n_channels,
    *,
    latent_dim=16,
    lstm_units=(64, 32),
    dropout_rate=0.0,
    l2_reg=0.0,
    use_attention=False,
    pooling=None,
):
    """Build an LSTM autoencoder and its encoder and decoder.

    The three models share their layers, so training the autoencoder trains
    the encoder and the decoder.

    Encoder: ``Input(T, C)`` -> one ``LSTM`` per entry of ``lstm_units``, each
    followed by ``Dropout`` -> optional attention -> pooling over time ->
    ``Dense(latent_dim)``.

    Decoder: ``Input(latent_dim)`` -> ``RepeatVector(T)`` -> the LSTM sizes in
    reverse order, each followed by ``Dropout`` -> optional attention ->
    ``TimeDistributed(Dense(C))``.

    The attention is an ``AttentionLayer`` whose output is added to its input
    (a residual connection, as in a Transformer): each step keeps its own
    state and gains what it attends to.

    How a sequence becomes the latent vector (``pooling``): the last encoder
    LSTM (or the attention after it) gives one hidden state per time step;
    ``"last"`` keeps the final one, ``"mean"`` their average over time and
    ``"flatten"`` all of them side by side, and the Dense layer maps that to
    the latent vector. ``None`` is the original specification: ``"last"``
    without attention, ``"mean"`` with it.

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
    pooling : {"last", "mean", "flatten"} or None, default=None
        How the encoder pools its hidden states over time (see above).

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
    >>> _, encoder, _ = build_autoencoder(51, 2, latent_dim=4, pooling="flatten")
    >>> encoder.get_layer("latent").input.shape  # 51 steps x 32 units
    (None, 1632)
    """
    regularizer = keras.regularizers.L2(l2_reg) if l2_reg > 0 else None
    lstm_units = [int(units) for units in lstm_units]
    if pooling is None:
        pooling = "mean" if use_attention else "last"
    if pooling not in ("last", "mean", "flatten"):
        raise ValueError(
            f'pooling must be "last", "mean", "flatten" or None; got {pooling!r}.'
        )
    shape = (n_timesteps, n_channels)
    layer_options = {"dropout_rate": dropout_rate, "regularizer": regularizer}
    encoder = _build_encoder(
        shape, latent_dim, lstm_units, use_attention, pooling, **layer_options
    )
    decoder = _build_decoder(
        shape, latent_dim, lstm_units[::-1], use_attention, **layer_options
    )
    sequences = keras.Input(shape=shape, name="sequences")
    autoencoder = keras.Model(
        sequences, decoder(encoder(sequences)), name="lstm_autoencoder"
    )
    return autoencoder, encoder, decoder


def _lstm_stack(x, lstm_units, last_returns_sequence, *, dropout_rate, regularizer):
    for depth, units in enumerate(lstm_units):
        returns_sequence = last_returns_sequence or depth < len(lstm_units) - 1
        x = keras.layers.LSTM(
            units, return_sequences=returns_sequence, kernel_regularizer=regularizer
        )(x)
        x = keras.layers.Dropout(dropout_rate)(x)
    return x


def _build_encoder(
    shape, latent_dim, lstm_units, attend, pooling, *, dropout_rate, regularizer
):
    sequences = keras.Input(shape=shape, name="sequences")
    # Without attention, "last" takes the LSTM's final state directly (the
    # specification's network, weight for weight).
    per_step = attend or pooling != "last"
    x = _lstm_stack(
        sequences,
        lstm_units,
        per_step,
        dropout_rate=dropout_rate,
        regularizer=regularizer,
    )
    if attend:
        x = _attend(x, "encoder_attention")
    if per_step:
        x = _pool_over_time(x, pooling, n_timesteps=shape[0])
    latent = keras.layers.Dense(
        latent_dim, kernel_regularizer=regularizer, name="latent"
    )(x)
    return keras.Model(sequences, latent, name="encoder")


def _attend(states, name):
    # The attention's output is added to its input. Without that path the
    # decoder's attention averages the states of all steps with near-uniform
    # weights at first, every step gets the same output, and the default
    # network learned no shape at all (benchmarks/README.md, "Attention").
    attended = AttentionLayer(name=name)(states)
    return keras.layers.Add(name=f"{name}_residual")([states, attended])


def _pool_over_time(states, pooling, n_timesteps):
    if pooling == "mean":
        return keras.layers.GlobalAveragePooling1D()(states)
    if pooling == "last":
        states = keras.layers.Cropping1D((n_timesteps - 1, 0))(states)
    return keras.layers.Flatten()(states)


def _build_decoder(shape, latent_dim, lstm_units, attend, *, dropout_rate, regularizer):
    n_timesteps, n_channels = shape
    latent = keras.Input(shape=(latent_dim,), name="latent")
    x = keras.layers.RepeatVector(n_timesteps)(latent)
    x = _lstm_stack(
        x, lstm_units, True, dropout_rate=dropout_rate, regularizer=regularizer
    )
    if attend:
        x = _attend(x, "decoder_attention")
    dense = keras.layers.Dense(n_channels, kernel_regularizer=regularizer)
    reconstruction = keras.layers.TimeDistributed(dense, name="reconstruction")(x)
    return keras.Model(latent, reconstruction, name="decoder")


def encoder_of(autoencoder):
    """The encoder of a network :func:`build_autoencoder` built."""
    return autoencoder.get_layer("encoder")


def decoder_of(autoencoder):
    """The decoder of a network :func:`build_autoencoder` built."""
    return autoencoder.get_layer("decoder")


def attention_inputs(autoencoder):
    """What feeds each attention layer of ``autoencoder``, and the layer.

    Returns
    -------
    inputs : dict of str to (keras.Model, AttentionLayer)
        For ``"encoder_attention"`` and ``"decoder_attention"``: a model that
        maps sequences to that layer's input (sharing the autoencoder's
        weights), and the layer. Empty for a network without attention.
    """
    encoder, decoder = encoder_of(autoencoder), decoder_of(autoencoder)
    if not any(isinstance(layer, AttentionLayer) for layer in encoder.layers):
        return {}
    encoder_name, decoder_name = ATTENTION_LAYERS
    sequences = keras.Input(shape=encoder.input_shape[1:])
    decoder_part = _layer_input_model(decoder, decoder_name)
    return {
        encoder_name: (
            _layer_input_model(encoder, encoder_name),
            encoder.get_layer(encoder_name),
        ),
        decoder_name: (
            keras.Model(sequences, decoder_part(encoder(sequences))),
            decoder.get_layer(decoder_name),
        ),
    }


def attention_scores(attention, attention_input):
    """The weights ``attention`` gives ``attention_input``, as NumPy."""
    _, scores = attention(attention_input, return_attention_scores=True)
    return keras.ops.convert_to_numpy(scores)


def _layer_input_model(network, layer_name):
    """The part of ``network`` that feeds its layer ``layer_name``."""
    return keras.Model(network.input, network.get_layer(layer_name).input)
