"""The Keras-level LSTM autoencoder of the original specification."""

import keras

from ._validation import check_network_params
from .layers import AttentionLayer
from .network import build_autoencoder, decoder_of, encoder_of

__all__ = ["LSTMAutoencoder"]


class LSTMAutoencoder:
    """LSTM autoencoder with optional self-attention, driven like a Keras model.

    A thin object around the three Keras models of
    :func:`~sklearn_lstmae.network.build_autoencoder`. Use it when you want
    Keras's own ``compile`` / ``fit`` / ``predict``; use
    :class:`~sklearn_lstmae.LSTMAutoencoderTransformer` or
    :class:`~sklearn_lstmae.LSTMAnomalyDetector` to work with scikit-learn.

    Parameters
    ----------
    input_shape : tuple of int, default=(51, 2)
        ``(n_timesteps, n_channels)`` of one sequence.
    latent_dim : int, default=16
        Width of the latent vector.
    lstm_units : list of int, default=(64, 32)
        Units of each encoder LSTM layer; the decoder mirrors them.
    dropout_rate : float, default=0.2
        Rate of the ``Dropout`` layer after each LSTM layer.
    l2_reg : float, default=1e-4
        L2 penalty on the layer kernels; 0 adds none.
    use_attention : bool, default=False
        Whether to add self-attention in the encoder and the decoder.

    Attributes
    ----------
    autoencoder : keras.Model
        ``(batch, T, C)`` -> reconstruction ``(batch, T, C)``.
    encoder : keras.Model
        ``(batch, T, C)`` -> ``(batch, latent_dim)``; shares its weights with
        ``autoencoder``.
    decoder : keras.Model
        ``(batch, latent_dim)`` -> ``(batch, T, C)``; shares its weights with
        ``autoencoder``.

    Examples
    --------
    >>> from sklearn_lstmae import LSTMAutoencoder, make_gait_cycles
    >>> X, _, _ = make_gait_cycles(32, random_state=0)
    >>> ae = LSTMAutoencoder(input_shape=(51, 2), lstm_units=[8], latent_dim=4,
    ...                      use_attention=True)
    >>> ae.compile(optimizer="adam", loss="mse")
    >>> history = ae.fit(X, X, epochs=1, verbose=0)
    >>> ae.predict(X, verbose=0).shape, ae.latent_representation(X, verbose=0).shape
    ((32, 51, 2), (32, 4))

    Saved files load back with :meth:`load`, which knows the attention layer:

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "model_attention.keras")
    >>> ae.save(path)
    >>> LSTMAutoencoder.load(path).latent_representation(X, verbose=0).shape
    (32, 4)
    """

    def __init__(
        self,
        input_shape=(51, 2),
        latent_dim=16,
        lstm_units=(64, 32),
        dropout_rate=0.2,
        l2_reg=1e-4,
        use_attention=False,
    ):
        self.input_shape = input_shape
        self.latent_dim = latent_dim
        self.lstm_units = lstm_units
        self.dropout_rate = dropout_rate
        self.l2_reg = l2_reg
        self.use_attention = use_attention
        self.autoencoder, self.encoder = self.build_model()

    def build_model(self):
        """Build the network.

        Returns
        -------
        autoencoder : keras.Model
            The full autoencoder.
        encoder : keras.Model
            The encoder, sharing its weights with ``autoencoder``.
        """
        check_network_params(self, validate_ranges=True)
        if self.input_shape is None:
            raise ValueError(
                "input_shape must be a pair of positive integers "
                "(n_timesteps, n_channels); got None."
            )
        n_timesteps, n_channels = self.input_shape
        autoencoder, encoder, self.decoder = build_autoencoder(
            n_timesteps,
            n_channels,
            latent_dim=self.latent_dim,
            lstm_units=self.lstm_units,
            dropout_rate=self.dropout_rate,
            l2_reg=self.l2_reg,
            use_attention=self.use_attention,
        )
        return autoencoder, encoder

    def compile(self, optimizer="adam", loss="mse", **kwargs):
        """Configure training; arguments as in ``keras.Model.compile``."""
        self.autoencoder.compile(optimizer=optimizer, loss=loss, **kwargs)

    def fit(self, x, y=None, **kwargs):
        """Train the autoencoder; arguments as in ``keras.Model.fit``.

        ``y`` defaults to ``x``: an autoencoder learns to reproduce its input.

        Returns
        -------
        history : keras.callbacks.History
        """
        return self.autoencoder.fit(x, x if y is None else y, **kwargs)

    def predict(self, x, **kwargs):
        """Reconstruct sequences ``(batch, T, C)``; as ``keras.Model.predict``."""
        return self.autoencoder.predict(x, **kwargs)

    def latent_representation(self, x, **kwargs):
        """Encode sequences into latent vectors ``(batch, latent_dim)``."""
        return self.encoder.predict(x, **kwargs)

    def save(self, model_path="autoencoder_model.h5"):
        """Save the autoencoder to ``model_path``.

        The file format follows the extension: ``.keras`` (recommended) or
        ``.h5`` (legacy HDF5). Load it back with :meth:`load`.
        """
        self.autoencoder.save(model_path)

    @classmethod
    def load(cls, model_path):
        """Load an autoencoder saved by :meth:`save`.

        Parameters
        ----------
        model_path : str or path-like
            A ``.keras`` file (loaded in Keras's safe mode, compiled as saved)
            or a legacy ``.h5`` file (loaded uncompiled: call :meth:`compile`
            before training it further).

        Returns
        -------
        LSTMAutoencoder
            With the saved weights, its parameters read off the network.
        """
        # Keras 3 writes a string loss into .h5 files as 'keras.metrics.mse',
        # which its own loader then refuses; the weights load fine uncompiled.
        is_legacy_h5 = str(model_path).endswith((".h5", ".hdf5"))
        autoencoder = keras.models.load_model(
            model_path,
            custom_objects={"AttentionLayer": AttentionLayer},
            compile=not is_legacy_h5,
            safe_mode=True,
        )
        encoder = encoder_of(autoencoder)
        lstm_layers = [
            layer for layer in encoder.layers if isinstance(layer, keras.layers.LSTM)
        ]
        dropout = next(
            layer for layer in encoder.layers if isinstance(layer, keras.layers.Dropout)
        )
        regularizer = lstm_layers[0].kernel_regularizer
        self = cls.__new__(cls)
        self.input_shape = tuple(autoencoder.input_shape[1:])
        self.latent_dim = encoder.output_shape[-1]
        self.lstm_units = [layer.units for layer in lstm_layers]
        self.dropout_rate = dropout.rate
        self.l2_reg = float(regularizer.l2) if regularizer is not None else 0.0
        self.use_attention = any(
            isinstance(layer, AttentionLayer) for layer in encoder.layers
        )
        self.autoencoder = autoencoder
        self.encoder = encoder
        self.decoder = decoder_of(autoencoder)
        return self
