"""Keras layers used by the LSTM autoencoder."""

import math

import keras
from keras import ops

__all__ = ["AttentionLayer"]


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
