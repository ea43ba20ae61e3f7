"""The linear path of a network: a PCA of the training data, as its start."""

import numpy as np

__all__ = ["fit_linear_path"]


def fit_linear_path(autoencoder, sequences):
    """Set the linear maps of ``autoencoder`` to a whitened PCA of ``sequences``.

    The encoder's ``linear_encoding`` maps a flattened sequence to its
    principal-component scores divided by their spread, the decoder's
    ``linear_decoding`` maps those back: with the LSTM branches at zero the
    network reconstructs as PCA with ``latent_dim`` components does, and its
    latent values have unit variance on the training data. Components beyond
    the data's rank are left at zero.

    Parameters
    ----------
    autoencoder : keras.Model
        A network built with ``linear_path=True``.
    sequences : ndarray of shape (n_samples, n_timesteps, n_channels)
        The training sequences in the network's units.
    """
    flat = sequences.reshape(len(sequences), -1).astype(np.float64)
    mean = flat.mean(axis=0)
    _, singular_values, components = np.linalg.svd(flat - mean, full_matrices=False)
    encoding = autoencoder.get_layer("encoder").get_layer("linear_encoding")
    latent_dim = encoding.units
    n_components = min(latent_dim, len(components))
    spread = singular_values[:n_components] / np.sqrt(max(len(flat) - 1, 1))
    # A component without spread (constant data) is kept unscaled.
    spread = np.where(spread > 1e-12 * max(spread.max(initial=0.0), 1.0), spread, 1.0)
    kernel = np.zeros((flat.shape[1], latent_dim))
    kernel[:, :n_components] = components[:n_components].T / spread
    encoding.set_weights([kernel, -mean @ kernel])
    decoding = autoencoder.get_layer("decoder").get_layer("linear_decoding")
    back = np.zeros((latent_dim, flat.shape[1]))
    back[:n_components] = components[:n_components] * spread[:, np.newaxis]
    decoding.set_weights([back, mean])
