"""The one builder of the LSTM autoencoder network, and the names of its parts.

Both estimators and :class:`~sklearn_lstmae.LSTMAutoencoder` call
:func:`build_autoencoder`; nothing else in the package creates layers. The
parts of a built network are reached through :func:`encoder_of`,
:func:`decoder_of` and :func:`attention_inputs`, which know the layer names.
"""

import keras

from .layers import AttentionLayer, TimePositions, TimeResampling, bin_size

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
    max_timesteps=None,
    time_positions=False,
    linear_path=False,
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

    Long sequences (``max_timesteps``): the LSTMs run on at most
    ``max_timesteps`` steps. A longer sequence is averaged down in bins of
    ``ceil(T / max_timesteps)`` steps (``TimeResampling``) before the encoder's
    LSTMs, and the decoder's output interpolated back to ``T`` steps after its
    Dense layer, so the reconstruction has the input's shape and is scored at
    full resolution. ``time_positions=True`` appends five channels saying
    where each step lies (``TimePositions``) to the decoder's repeated latent
    vector. Both off is the original specification.

    A linear path (``linear_path=True``) runs beside the LSTMs: the latent
    vector is a linear map of the flattened sequence plus the LSTM encoder's
    output, and the reconstruction a linear map of the latent vector plus the
    LSTM decoder's output. The LSTM branches' last Dense layers start at zero
    and the linear maps are not trained, so that a network whose linear maps
    hold a PCA of the training data
    (:func:`~sklearn_lstmae._linear_path.fit_linear_path`) starts out as that
    PCA and the LSTMs learn what it leaves. Trained, the linear maps drift
    from PCA's and the network reconstructs new sequences worse
    (``benchmarks/README.md``, "Public streams and the transformer's
    reconstruction").

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
    max_timesteps : int or None, default=None
        Most time steps the LSTMs run on (see above); ``None``: all of them.
    time_positions : bool, default=False
        Whether the decoder's LSTMs see where each step lies (see above).
    linear_path : bool, default=False
        Whether linear maps run beside the LSTMs (see above).

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
    >>> _, encoder, _ = build_autoencoder(
    ...     300, 1, pooling="flatten", max_timesteps=64, time_positions=True
    ... )
    >>> encoder.get_layer("latent").input.shape  # bins of 5 steps: 60 x 32
    (None, 1920)
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
    n_steps = n_timesteps
    if max_timesteps is not None:
        n_steps = -(-n_timesteps // bin_size(n_timesteps, max_timesteps))
    layer_options = {
        "dropout_rate": dropout_rate,
        "regularizer": regularizer,
        "linear_path": linear_path,
    }
    encoder = _build_encoder(
        shape, n_steps, latent_dim, lstm_units, use_attention, pooling, **layer_options
    )
    decoder = _build_decoder(
        shape,
        n_steps,
        latent_dim,
        lstm_units[::-1],
        use_attention,
        time_positions,
        **layer_options,
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
    shape,
    n_steps,
    latent_dim,
    lstm_units,
    attend,
    pooling,
    *,
    dropout_rate,
    regularizer,
    linear_path,
):
    sequences = keras.Input(shape=shape, name="sequences")
    x = sequences
    if n_steps < shape[0]:
        x = TimeResampling(n_steps, name="bin_means")(x)
    # Without attention, "last" takes the LSTM's final state directly (the
    # specification's network, weight for weight).
    per_step = attend or pooling != "last"
    x = _lstm_stack(
        x,
        lstm_units,
        per_step,
        dropout_rate=dropout_rate,
        regularizer=regularizer,
    )
    if attend:
        x = _attend(x, "encoder_attention")
    if per_step:
        x = _pool_over_time(x, pooling, n_timesteps=n_steps)
    latent = keras.layers.Dense(
        latent_dim,
        kernel_regularizer=regularizer,
        kernel_initializer=_branch_initializer(linear_path),
        name="latent",
    )(x)
    if linear_path:
        flat = keras.layers.Flatten(name="flat_sequences")(sequences)
        linear = keras.layers.Dense(
            latent_dim, trainable=False, name="linear_encoding"
        )(flat)
        latent = keras.layers.Add(name="latent_sum")([linear, latent])
    return keras.Model(sequences, latent, name="encoder")


def _branch_initializer(linear_path):
    # Beside a linear path the LSTM branch starts at zero: the network starts
    # as the linear map, and the LSTMs add only what they learn.
    return "zeros" if linear_path else "glorot_uniform"


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


def _build_decoder(
    shape,
    n_steps,
    latent_dim,
    lstm_units,
    attend,
    time_positions,
    *,
    dropout_rate,
    regularizer,
    linear_path,
):
    n_timesteps, n_channels = shape
    latent = keras.Input(shape=(latent_dim,), name="latent")
    x = keras.layers.RepeatVector(n_steps)(latent)
    if time_positions:
        x = TimePositions(name="time_positions")(x)
    x = _lstm_stack(
        x, lstm_units, True, dropout_rate=dropout_rate, regularizer=regularizer
    )
    if attend:
        x = _attend(x, "decoder_attention")
    dense = keras.layers.Dense(
        n_channels,
        kernel_regularizer=regularizer,
        kernel_initializer=_branch_initializer(linear_path),
    )
    reconstruction = keras.layers.TimeDistributed(dense, name="reconstruction")(x)
    if n_steps < n_timesteps:
        reconstruction = TimeResampling(
            n_timesteps, source_timesteps=n_timesteps, name="interpolation"
        )(reconstruction)
    if linear_path:
        linear = keras.layers.Dense(
            n_timesteps * n_channels, trainable=False, name="linear_decoding"
        )(latent)
        linear = keras.layers.Reshape(shape, name="linear_sequences")(linear)
        reconstruction = keras.layers.Add(name="reconstruction_sum")(
            [linear, reconstruction]
        )
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
