"""Keras layers used by the LSTM autoencoder."""

import math

import keras
import numpy as np
from keras import ops

__all__ = ["AttentionLayer", "TimePositions", "TimeResampling"]


@keras.saving.register_keras_serializable(package="sklearn_lstmae")
class AttentionLayer(keras.layers.Layer):
    """Scaled dot-product self-attention over the time steps of a sequence.

    Each time step attends to every time step of the same sequence::

        Q, K, V = X W_q, X W_k, X W_v
        A = softmax(Q K^T / sqrt(d_k))      # (batch, T, T), rows sum to 1
        output = A V                        # (batch, T, d)

    The value projection keeps the feature width ``d`` of the input, so the
    layer can sit between two recurrent layers without changing shapes.

    Parameters
    ----------
    key_dim : int or None, default=None
        Width ``d_k`` of the query and key projections. ``None`` uses the
        input's feature width.
    **kwargs : dict
        Standard Keras layer arguments (``name``, ``dtype``, ...).

    Notes
    -----
    A Keras mask on the input (from ``Masking`` or ``Embedding(mask_zero=True)``)
    hides the masked time steps as keys: no step attends to them. The mask is
    passed on unchanged.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_lstmae import AttentionLayer
    >>> layer = AttentionLayer()
    >>> x = np.random.default_rng(0).normal(size=(4, 10, 3)).astype("float32")
    >>> output, weights = layer(x, return_attention_scores=True)
    >>> tuple(output.shape), tuple(weights.shape)
    ((4, 10, 3), (4, 10, 10))
    """

    def __init__(self, key_dim=None, **kwargs):
        super().__init__(**kwargs)
        self.key_dim = key_dim
        self.supports_masking = True

    def build(self, input_shape):
        n_features = input_shape[-1]
        key_dim = self.key_dim or n_features
        self.query_kernel = self._projection("query_kernel", (n_features, key_dim))
        self.key_kernel = self._projection("key_kernel", (n_features, key_dim))
        self.value_kernel = self._projection("value_kernel", (n_features, n_features))

    def _projection(self, name, shape):
        return self.add_weight(name=name, shape=shape, initializer="glorot_uniform")

    def call(self, inputs, mask=None, return_attention_scores=False):
        query = ops.matmul(inputs, self.query_kernel)
        key = ops.matmul(inputs, self.key_kernel)
        value = ops.matmul(inputs, self.value_kernel)
        scale = 1.0 / math.sqrt(self.query_kernel.shape[-1])
        scores = ops.matmul(query, ops.transpose(key, (0, 2, 1))) * scale
        if mask is not None:
            # Masked steps must get zero weight as keys; -1e9 underflows to 0
            # after softmax without the NaN that -inf gives on fully masked rows.
            key_mask = ops.expand_dims(ops.cast(mask, "bool"), axis=1)
            scores = ops.where(key_mask, scores, ops.cast(-1e9, scores.dtype))
        weights = ops.softmax(scores, axis=-1)
        output = ops.matmul(weights, value)
        if return_attention_scores:
            return output, weights
        return output

    def compute_mask(self, inputs, mask=None):
        return mask

    def compute_output_shape(self, input_shape):
        return input_shape

    def compute_output_spec(self, inputs, mask=None, return_attention_scores=False):
        output = keras.KerasTensor(
            self.compute_output_shape(inputs.shape), dtype=self.compute_dtype
        )
        if not return_attention_scores:
            return output
        batch_size, n_timesteps = inputs.shape[0], inputs.shape[1]
        weights_shape = (batch_size, n_timesteps, n_timesteps)
        return output, keras.KerasTensor(weights_shape, dtype=self.compute_dtype)

    def get_config(self):
        return {**super().get_config(), "key_dim": self.key_dim}


@keras.saving.register_keras_serializable(package="sklearn_lstmae")
class TimeResampling(keras.layers.Layer):
    """A fixed linear map from one number of time steps to another.

    Shortening (``n_timesteps`` below the input's) averages consecutive
    steps in bins of ``ceil(T / n_timesteps)`` (the last bin may hold
    fewer); lengthening interpolates linearly between the bins' centres, so
    a sequence shortened and lengthened again is its piecewise-linear
    outline. The map has no trainable weights.

    Parameters
    ----------
    n_timesteps : int
        Number of time steps of the output.
    source_timesteps : int or None, default=None
        When lengthening: the length whose bins the input's steps are (the
        full length a shortened sequence came from). ``None`` when
        shortening.
    **kwargs : dict
        Standard Keras layer arguments (``name``, ``dtype``, ...).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_lstmae.layers import TimeResampling
    >>> x = np.arange(6, dtype="float32").reshape(1, 6, 1)
    >>> short = TimeResampling(3)(x)
    >>> np.asarray(short)[0, :, 0]
    array([0.5, 2.5, 4.5], dtype=float32)
    >>> long = TimeResampling(6, source_timesteps=6)(short)
    >>> np.asarray(long)[0, :, 0]
    array([0.5, 1. , 2. , 3. , 4. , 4.5], dtype=float32)
    """

    def __init__(self, n_timesteps, source_timesteps=None, **kwargs):
        super().__init__(**kwargs)
        self.n_timesteps = n_timesteps
        self.source_timesteps = source_timesteps

    def build(self, input_shape):
        n_input = input_shape[1]
        if self.source_timesteps is None:
            matrix = bin_means(n_input, self.n_timesteps)
        else:
            matrix = bin_interpolation(self.source_timesteps, n_input)
        self.matrix = self.add_weight(
            name="matrix",
            shape=matrix.shape,
            initializer=keras.initializers.Constant(matrix),
            trainable=False,
        )

    def call(self, inputs):
        return ops.einsum("st,btc->bsc", ops.cast(self.matrix, inputs.dtype), inputs)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n_timesteps, input_shape[2])

    def get_config(self):
        return {
            **super().get_config(),
            "n_timesteps": self.n_timesteps,
            "source_timesteps": self.source_timesteps,
        }


def bin_size(n_timesteps, max_timesteps):
    """Steps per bin that bring ``n_timesteps`` down to ``max_timesteps`` at most."""
    return -(-n_timesteps // max_timesteps)


def bin_means(n_timesteps, n_bins):
    """The ``(n_bins, n_timesteps)`` matrix that averages steps in bins."""
    size = bin_size(n_timesteps, n_bins)
    owner = np.arange(n_timesteps) // size
    matrix = (owner == np.arange(n_bins)[:, None]).astype("float32")
    return matrix / matrix.sum(axis=1, keepdims=True)


def bin_interpolation(n_timesteps, n_bins):
    """The ``(n_timesteps, n_bins)`` matrix that interpolates bins back to steps.

    Each bin stands at the mean of the steps it averages; a step between two
    centres gets their linear interpolation, a step outside them the nearer bin.
    """
    if n_bins == 1:
        return np.ones((n_timesteps, 1), dtype="float32")
    steps = np.arange(n_timesteps)
    centres = bin_means(n_timesteps, n_bins) @ steps
    right = np.clip(np.searchsorted(centres, steps), 1, n_bins - 1)
    left = right - 1
    share = (steps - centres[left]) / (centres[right] - centres[left])
    share = np.clip(share, 0.0, 1.0)
    matrix = np.zeros((n_timesteps, n_bins), dtype="float32")
    matrix[steps, left] += 1.0 - share
    matrix[steps, right] += share
    return matrix


@keras.saving.register_keras_serializable(package="sklearn_lstmae")
class TimePositions(keras.layers.Layer):
    """Append where each step lies in the sequence as five channels.

    For step ``t`` of ``T``: ``t / T``, ``sin(2 pi t / T)``, ``cos(2 pi t / T)``,
    ``sin(4 pi t / T)`` and ``cos(4 pi t / T)``. A decoder fed a repeated
    latent vector sees the same input at every step and must count steps in
    its state to draw a shape; over a few hundred steps the gradient of that
    count vanishes and the reconstruction stalls at the mean curve. With
    these channels each step knows its place.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_lstmae.layers import TimePositions
    >>> tuple(TimePositions()(np.zeros((2, 10, 3), dtype="float32")).shape)
    (2, 10, 8)
    """

    n_positions = 5

    def call(self, inputs):
        n_timesteps = inputs.shape[1]
        phase = 2.0 * math.pi * np.arange(n_timesteps) / n_timesteps
        positions = np.stack(
            [
                np.arange(n_timesteps) / n_timesteps,
                np.sin(phase),
                np.cos(phase),
                np.sin(2.0 * phase),
                np.cos(2.0 * phase),
            ],
            axis=-1,
        )[None]
        batch_shape = (ops.shape(inputs)[0], n_timesteps, self.n_positions)
        positions = ops.convert_to_tensor(positions, dtype=inputs.dtype)
        positions = ops.broadcast_to(positions, batch_shape)
        return ops.concatenate([inputs, positions], axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:2], input_shape[2] + self.n_positions)
