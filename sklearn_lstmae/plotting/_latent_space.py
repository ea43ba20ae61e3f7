"""Latent vectors in two dimensions, coloured by label."""

import numpy as np
from sklearn.decomposition import PCA

from ._common import _ax_or_new, _label_groups, _pyplot


class LatentSpaceDisplay:
    """Latent vectors in two dimensions, coloured by label.

    With more than two latent features the display shows their first two
    principal components. Labels that form separate clusters are what a
    downstream classifier can learn from the latent features.

    Parameters
    ----------
    embedding : array-like of shape (n_samples, 2)
        The two coordinates of each sequence.
    y : array-like of shape (n_samples,), default=None
        Labels to colour by.
    axis_labels : tuple of str, default=("latent feature 0", "latent feature 1")
        Labels of the x and y axes.

    Attributes
    ----------
    ax_ : matplotlib Axes
        The scatter plot's axes.
    figure_ : matplotlib Figure
        The figure of ``ax_``.
    collections_ : list of matplotlib PathCollection
        One scatter per label.

    Examples
    --------
    >>> from sklearn_lstmae import LSTMAutoencoderTransformer, make_gait_cycles
    >>> from sklearn_lstmae.plotting import LatentSpaceDisplay
    >>> X, _, kinds = make_gait_cycles(40, anomaly_fraction=0.5, random_state=0)
    >>> encoder = LSTMAutoencoderTransformer(
    ...     lstm_units=(4,), latent_dim=3, epochs=1, random_state=0).fit(X)
    >>> display = LatentSpaceDisplay.from_estimator(encoder, X, kinds)
    >>> len(display.collections_), display.ax_.get_xlabel()[:4]
    (4, 'PC 1')
    """

    def __init__(self, embedding, *, y=None, axis_labels=None):
        self.embedding = np.asarray(embedding)
        self.y = y
        self.axis_labels = axis_labels

    def plot(self, ax=None, **scatter_kwargs):
        """Draw the scatter plot.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Where to draw; ``None`` creates a figure.
        **scatter_kwargs : dict
            Passed to ``Axes.scatter`` (e.g. ``s``, ``alpha``).

        Returns
        -------
        LatentSpaceDisplay
            The display, its matplotlib objects in ``ax_`` and ``figure_``.
        """
        self.ax_ = ax = _ax_or_new("LatentSpaceDisplay.plot", ax, (5.6, 4.6))
        self.figure_ = ax.figure
        scatter_kwargs = {"s": 18, "alpha": 0.8, **scatter_kwargs}
        self.collections_ = [
            ax.scatter(*self.embedding[mask].T, label=name, **scatter_kwargs)
            for name, mask in _label_groups(self.y, len(self.embedding))
        ]
        xlabel, ylabel = self.axis_labels or ("latent feature 0", "latent feature 1")
        ax.set(xlabel=xlabel, ylabel=ylabel, title="latent space")
        if self.y is not None:
            ax.legend(fontsize="small")
        return self

    @classmethod
    def from_estimator(cls, estimator, X, y=None, *, ax=None, **scatter_kwargs):
        """Encode ``X`` and plot the first two latent features or components.

        Parameters
        ----------
        estimator : fitted transformer
            A fitted :class:`~sklearn_lstmae.LSTMAutoencoderTransformer`, or a
            Pipeline ending in one (anything with ``transform``).
        X : array-like of shape (n_samples, n_timesteps * n_channels) or \
                (n_samples, n_timesteps, n_channels)
            Sequences.
        y : array-like of shape (n_samples,), default=None
            Labels to colour by.
        ax : matplotlib Axes, default=None
            Where to draw.
        **scatter_kwargs : dict
            Passed to ``Axes.scatter``.

        Returns
        -------
        LatentSpaceDisplay
            The display, its matplotlib objects in ``ax_`` and ``figure_``.
        """
        _pyplot(f"{cls.__name__}.from_estimator")
        if not hasattr(estimator, "transform"):
            raise TypeError(
                f"{cls.__name__}.from_estimator needs an estimator with transform, "
                f"such as LSTMAutoencoderTransformer; got {type(estimator).__name__}."
            )
        latent = np.asarray(estimator.transform(X), dtype=float)
        embedding, axis_labels = _project_2d(latent)
        display = cls(embedding, y=y, axis_labels=axis_labels)
        return display.plot(ax=ax, **scatter_kwargs)


def _project_2d(latent):
    """Two coordinates of ``latent`` and their axis labels."""
    if latent.shape[1] > 2:
        pca = PCA(n_components=2).fit(latent)
        shares = 100 * pca.explained_variance_ratio_
        labels = tuple(
            f"PC {i + 1} ({share:.0f} % of variance)" for i, share in enumerate(shares)
        )
        return pca.transform(latent), labels
    if latent.shape[1] == 2:
        return latent, ("latent feature 0", "latent feature 1")
    return np.column_stack([latent[:, 0], np.zeros(len(latent))]), (
        "latent feature 0",
        "",
    )
