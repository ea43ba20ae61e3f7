"""Running a fitted network: reconstructions, errors and attention weights.

Inputs are scored chunk by chunk (memory grows with the chunk, not with the
input), in the network's standardised units (:func:`channel_statistics`),
and handed back in the user's.
:class:`InferenceMixin` gives both estimators these outputs; it needs
``model_``, ``channel_mean_``, ``channel_scale_`` and ``_check_and_fold``
from the estimator.
"""

import numpy as np

from . import _backend
from ._validation import input_ndim
from .network import attention_inputs, attention_scores

__all__ = ["REDUCE_AXES", "InferenceMixin", "channel_statistics"]

# Inference runs in chunks of this many sequences: large enough to keep the
# per-call overhead negligible, small enough to bound memory on huge inputs.
_CHUNK_SIZE = 4096

# The axes that reconstruction_error's ``reduce`` averages over.
REDUCE_AXES = {"sample": (1, 2), "timestep": (2,), "channel": (1,), None: ()}


class InferenceMixin:
    """Reconstructions, their errors and attention weights of a fitted network."""

    def _to_network(self, sequences):
        """User units to the standardised float32 units the network works in."""
        scaled = (sequences - self.channel_mean_) / self.channel_scale_
        return scaled.astype(np.float32, copy=False)

    def _to_user_units(self, _, network_sequences):
        """A chunk reducer mapping network output back to the user's units."""
        return network_sequences * self.channel_scale_ + self.channel_mean_

    def _predict_chunks(self, model, inputs, reduce_chunk=None, *, sequences_in=True):
        """Run ``model`` chunk by chunk, reducing each chunk as it comes.

        ``reduce_chunk(chunk, outputs)`` sees the chunk in the caller's units;
        ``sequences_in=False`` feeds latent vectors, which are not scaled.
        """
        reduce_chunk = reduce_chunk or (lambda _, outputs: outputs)
        prepare = self._to_network if sequences_in else _as_float32
        results = [
            reduce_chunk(chunk, _backend.predict_on_batch(model, prepare(chunk)))
            for chunk in _chunks(inputs, _CHUNK_SIZE)
        ]
        return np.concatenate(results)

    def reconstruct(self, X):
        """Reconstruct sequences through the autoencoder.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps * n_channels) or \
                (n_samples, n_timesteps, n_channels)
            Sequences, in either layout.

        Returns
        -------
        X_reconstructed : ndarray of the same shape as ``X``
            The reconstruction, in ``X``'s own layout and units.
        """
        sequences = self._check_and_fold(X)
        reconstruction = self._predict_chunks(
            self.model_, sequences, self._to_user_units
        )
        return self._as_input_layout(reconstruction, input_ndim(X))

    def reconstruction_error(self, X, reduce="sample"):
        """Squared reconstruction error, averaged as ``reduce`` says.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps * n_channels) or \
                (n_samples, n_timesteps, n_channels)
            Sequences, in either layout.
        reduce : {"sample", "timestep", "channel"} or None, default="sample"
            ``"sample"``: mean over time steps and channels, shape
            ``(n_samples,)``; ``"timestep"``: mean over channels, shape
            ``(n_samples, n_timesteps)``, which phase of the sequence is off;
            ``"channel"``: mean over time steps, shape ``(n_samples,
            n_channels)``, which channel is off; ``None``: every squared
            error, shape ``(n_samples, n_timesteps, n_channels)``.

        Returns
        -------
        errors : ndarray
            Squared errors, in the squared units of ``X``.
        """
        if reduce not in REDUCE_AXES:
            raise ValueError(
                "reduce must be one of 'sample', 'timestep', 'channel' or None; "
                f"got {reduce!r}."
            )
        return self._squared_errors(
            self._check_and_fold(X), REDUCE_AXES[reduce], scale=self._error_scale()
        )

    def _error_scale(self):
        """What each squared error is divided by before it is averaged."""
        return 1.0

    def _squared_errors(self, sequences, axes=(1, 2), scale=1.0):
        def squared_error(chunk, reconstruction):
            # float64 (the channel statistics are), as scikit-learn's outlier
            # contract expects of scores.
            residual = self._to_user_units(chunk, reconstruction) - chunk
            return (np.square(residual) / scale).mean(axis=axes)

        return self._predict_chunks(self.model_, sequences, squared_error)

    def attention_weights(self, X):
        """Self-attention weights of each attention layer for sequences ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps * n_channels) or \
                (n_samples, n_timesteps, n_channels)
            Sequences, in either layout.

        Returns
        -------
        weights : dict of str to ndarray of shape (n_samples, n_timesteps, \
                n_timesteps)
            ``"encoder_attention"`` and ``"decoder_attention"``: row ``t`` of a
            sample's matrix says how much step ``t`` attends to each step.
            With ``max_timesteps`` below ``n_timesteps`` the steps are the
            LSTMs' bins, at most ``max_timesteps`` of them.
        """
        sequences = self._check_and_fold(X)
        attention = attention_inputs(self.model_)
        if not attention:
            raise ValueError(
                "attention_weights needs a network with attention; this "
                f"{type(self).__name__} was fitted with use_attention=False."
            )
        return {
            name: self._predict_chunks(inputs, sequences, _weights_of(layer))
            for name, (inputs, layer) in attention.items()
        }

    def score(self, X, y=None):
        """Minus the mean reconstruction error of ``X`` (higher is better).

        With this sign, ``GridSearchCV`` without a ``scoring`` argument picks
        the configuration that reconstructs best.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps * n_channels) or \
                (n_samples, n_timesteps, n_channels)
            Sequences.
        y : Ignored
            Not used, present for API consistency by convention.

        Returns
        -------
        score : float
            ``-mean(reconstruction_error(X))``.
        """
        return -float(np.mean(self.reconstruction_error(X)))


def _weights_of(attention):
    """A chunk reducer that applies ``attention`` to its input, keeping weights."""
    return lambda _, attention_input: attention_scores(attention, attention_input)


def _chunks(inputs, size):
    return (inputs[start : start + size] for start in range(0, len(inputs), size))


def _as_float32(inputs):
    return inputs.astype(np.float32, copy=False)


def channel_statistics(sequences, standardize):
    """Per-channel mean and scale over samples and time steps (0 and 1 if off)."""
    n_channels = sequences.shape[-1]
    if not standardize:
        return np.zeros(n_channels), np.ones(n_channels)
    scale = sequences.std(axis=(0, 1), dtype=np.float64)
    # A constant channel keeps its values; dividing by 0 would make them NaN.
    return sequences.mean(axis=(0, 1), dtype=np.float64), np.where(
        scale > 0, scale, 1.0
    )
