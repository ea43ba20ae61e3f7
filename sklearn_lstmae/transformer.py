"""LSTM autoencoder as a scikit-learn transformer: sequences to latent vectors."""

import numpy as np
from sklearn.base import ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils.validation import check_array, check_is_fitted

from ._base import BaseLSTMAutoencoder
from .network import decoder_of, encoder_of

__all__ = ["LSTMAutoencoderTransformer"]


class LSTMAutoencoderTransformer(
    ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseLSTMAutoencoder
):
    """Encode fixed-length sequences into latent vectors with an LSTM autoencoder.

    The autoencoder learns to reconstruct its input through a bottleneck of
    ``latent_dim`` units; :meth:`transform` returns that bottleneck, a compact
    feature vector per sequence for any downstream estimator.

    Parameters
    ----------
    input_shape : tuple (n_timesteps, n_channels) or None, default=None
        How to fold a 2-D input of ``n_timesteps * n_channels`` time-major
        columns into sequences. ``None``: a 2-D input is univariate and a
        3-D input gives its own shape.
    latent_dim : int, default=8
        Width of the latent vector, the number of output features.
    lstm_units : tuple of int, default=(64, 32)
        Units of each encoder LSTM layer; the decoder mirrors them.
    dropout_rate : float in [0, 1), default=0.0
        Rate of the ``Dropout`` layer after each LSTM layer.
    l2_reg : float >= 0, default=0.0
        L2 penalty on the layer kernels.
    use_attention : bool, default=False
        Add self-attention after the encoder and decoder LSTMs.
    pooling : {"last", "mean", "flatten"} or None, default="flatten"
        How the encoder turns its hidden states, one per time step, into the
        input of the latent layer: ``"last"`` keeps the final one, ``"mean"``
        their average over time, ``"flatten"`` all of them side by side.
        ``None`` is the original specification's network: ``"last"``, or
        ``"mean"`` with attention. ``"flatten"`` reconstructed better in the
        benchmarks; as latent features it was better on some data sets and
        worse on others (user guide).
    max_timesteps : int >= 2 or None, default=64
        Most time steps the LSTMs run on. A longer sequence is averaged down
        in bins of ``ceil(n_timesteps / max_timesteps)`` steps before the
        encoder's LSTMs, and the decoder's output interpolated back to every
        step, so that reconstructions and errors keep the input's shape.
        ``None`` runs the LSTMs on every step, as the specification does.
        Attention weights are then over the bins.
    time_positions : bool, default=True
        Give the decoder's LSTMs five channels saying where each step lies
        (``t / T`` and sines and cosines of one and two periods over the
        sequence) beside the repeated latent vector.
    linear_path : bool, default=True
        Add linear maps beside the LSTMs, from the flattened sequence to the
        latent vector and back, set to a whitened PCA of the training data
        before training and kept there; the LSTM branches start at zero and
        learn what PCA leaves. The latent vector is then the whitened
        principal-component scores plus the LSTM encoder's correction.
        With these three defaults and the validation split the held-out
        reconstruction came within 1.2 times PCA's on 18 of 20 benchmark
        tasks (user guide, "Training defaults").
    standardize : bool, default=True
        Standardise each channel with its training mean and standard
        deviation before the network sees it; reconstructions and errors
        come back in the units of ``X``.
    optimizer : str or keras.optimizers.Optimizer, default="adam"
        Set its arguments with routed parameters, e.g.
        ``optimizer__learning_rate=1e-3``.
    loss : str or keras.losses.Loss, default="mse"
        Training loss.
    metrics : list or None, default=None
        Keras metrics recorded in ``history_``.
    epochs : int or "auto", default="auto"
        An int is the number of passes over the training data, at the
        optimizer's learning rate. ``"auto"`` trains for at most 1,200
        optimizer steps whatever the data size (the detector for 800: its
        detection gains nothing from more, a reconstruction does), in epochs
        of at least 50 steps (a small training set is repeated within each
        epoch; ``history_`` has one entry per such epoch). The learning rate
        starts at three times the optimizer's and decays along a cosine;
        training stops early when the loss (``val_loss`` with a
        ``validation_split``) has not improved by 1 % for 4 epochs, and the
        weights of the best epoch are kept. See the user guide, "Training
        defaults".
    batch_size : int, default=32
        Sequences per gradient step.
    validation_split : float in [0, 1), default=0.2
        Fraction of the training data, taken from its end as Keras does,
        held out to report ``val_loss`` in ``history_``; ``epochs="auto"``
        keeps the epoch of least ``val_loss``, before the LSTMs fit the
        training sequences' noise; ``0`` trains on every sequence.
    callbacks : list of keras.callbacks.Callback or None, default=None
        Callbacks for training.
    verbose : int, default=0
        Keras's verbosity during training.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, dropout and shuffling. On the CPU the
        same seed gives bit-identical results.
    warm_start : bool, default=False
        If True, :meth:`fit` continues training the fitted network instead of
        starting anew.
    **routed_params : dict
        SciKeras-routed parameters: ``optimizer__*``, ``loss__*``,
        ``metrics__*``, ``compile__*``, ``fit__*`` (e.g. ``fit__shuffle``),
        ``predict__*``.

    Attributes
    ----------
    model_ : keras.Model
        The fitted autoencoder; ``model_.get_layer("encoder")`` and
        ``model_.get_layer("decoder")`` share its weights.
    history_ : dict of list
        Loss per epoch (``"loss"``; ``"val_loss"`` with a validation split).
    n_features_in_ : int
        Width of the flattened input, ``n_timesteps_ * n_channels_``.
    feature_names_in_ : ndarray of str
        Column names seen in :meth:`fit`, for DataFrame input.
    n_timesteps_ : int
        Time steps per sequence.
    n_channels_ : int
        Channels per time step.
    channel_mean_ : ndarray of shape (n_channels,)
        Per-channel training mean subtracted before the network (0 with
        ``standardize=False``).
    channel_scale_ : ndarray of shape (n_channels,)
        Per-channel training standard deviation divided out before the
        network (1 with ``standardize=False`` or for a constant channel).

    See Also
    --------
    LSTMAnomalyDetector : The same network as an outlier detector.
    sklearn.decomposition.PCA : The linear counterpart.

    Examples
    --------
    >>> from sklearn_lstmae import LSTMAutoencoderTransformer, make_gait_cycles
    >>> X, y, _ = make_gait_cycles(40, random_state=0)
    >>> X.shape
    (40, 51, 2)
    >>> encoder = LSTMAutoencoderTransformer(
    ...     latent_dim=3, lstm_units=(8,), epochs=2, random_state=0)
    >>> encoder.fit_transform(X).shape
    (40, 3)
    >>> encoder.inverse_transform(encoder.transform(X[:2])).shape
    (2, 51, 2)
    """

    # Reconstruction kept improving after the detector's 800 steps: at 1,200
    # the test RMSE was back at that of the old 2,000-step training
    # (benchmarks/README.md, "The transformer's budget").
    _auto_steps = 1200

    def transform(self, X):
        """Encode sequences into latent vectors.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps * n_channels) or \
                (n_samples, n_timesteps, n_channels)
            Sequences, in either layout.

        Returns
        -------
        X_latent : ndarray of shape (n_samples, latent_dim), float32
            The latent vectors.
        """
        sequences = self._check_and_fold(X)
        return self._predict_chunks(encoder_of(self.model_), sequences)

    def inverse_transform(self, X):
        """Decode latent vectors back into sequences.

        Parameters
        ----------
        X : array-like of shape (n_samples, latent_dim)
            Latent vectors, e.g. from :meth:`transform`.

        Returns
        -------
        X_reconstructed : ndarray
            Sequences in the layout seen in :meth:`fit`: ``(n_samples,
            n_timesteps * n_channels)`` for 2-D input, ``(n_samples,
            n_timesteps, n_channels)`` for 3-D input.
        """
        check_is_fitted(self, "model_")
        latent = check_array(X, dtype=np.float32)
        if latent.shape[1] != self._n_features_out:
            raise ValueError(
                f"X has {latent.shape[1]} latent features, but this "
                f"{type(self).__name__} was fitted with "
                f"latent_dim={self._n_features_out}."
            )
        decoder = decoder_of(self.model_)
        sequences = self._predict_chunks(
            decoder, latent, self._to_user_units, sequences_in=False
        )
        return self._as_input_layout(sequences, self._input_ndim)

    @property
    def _n_features_out(self):
        return encoder_of(self.model_).output_shape[-1]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # Keras computes in float32 whatever the input dtype.
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags
