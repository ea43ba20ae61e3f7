"""Self-attention weights as a time step x time step heatmap."""

import numpy as np

from ..network import ATTENTION_LAYERS
from ._common import (
    _add_colorbar,
    _ax_or_new,
    _extent,
    _fitted_parts,
    _pyplot,
    _time_axis,
)


def _mean_of(values, index):
    """``values[index]``, or the mean over all samples when ``index`` is None."""
    return values.mean(axis=0) if index is None else values[index]


class AttentionDisplay:
    """Self-attention weights as a time step x time step heatmap.

    Row ``t`` shows how much step ``t`` attends to each step of the same
    sequence: a bright diagonal means local attention, bright columns mean
    steps that the whole sequence looks at.

    Parameters
    ----------
    weights : array-like of shape (n_timesteps, n_timesteps)
        Attention weights, rows summing to 1.
    layer : {"encoder_attention", "decoder_attention"}, \
            default="encoder_attention"
        Which layer they come from, for the title.
    time : array-like of shape (n_timesteps,), default=None
        Evenly spaced values of the time steps.
    n_sequences : int, default=1
        How many sequences ``weights`` averages, for the title.

    Attributes
    ----------
    ax_ : matplotlib Axes
        The heatmap's axes.
    figure_ : matplotlib Figure
        The figure of ``ax_``.
    im_ : matplotlib AxesImage
        The heatmap.
    colorbar_ : matplotlib Colorbar or None
        Its colour bar.

    Examples
    --------
    >>> from sklearn_lstmae import LSTMAnomalyDetector, make_gait_cycles
    >>> from sklearn_lstmae.plotting import AttentionDisplay
    >>> X, _, _ = make_gait_cycles(40, random_state=0)
    >>> detector = LSTMAnomalyDetector(
    ...     lstm_units=(4,), latent_dim=2, epochs=1, use_attention=True,
    ...     random_state=0).fit(X)
    >>> display = AttentionDisplay.from_estimator(detector, X)
    >>> display.ax_.get_title()
    'encoder attention (mean of 40 sequences)'
    """

    def __init__(self, weights, *, layer="encoder_attention", time=None, n_sequences=1):
        self.weights = np.asarray(weights)
        self.layer = layer
        self.time = time
        self.n_sequences = n_sequences

    def plot(
        self,
        ax=None,
        *,
        xlabel="attended time step (key)",
        ylabel="attending time step (query)",
        cmap="viridis",
        colorbar=True,
    ):
        """Draw the heatmap.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Where to draw; ``None`` creates a figure.
        xlabel, ylabel : str, default="attended time step (key)", \
                "attending time step (query)"
            Axis labels: columns are the steps attended to, rows the steps
            attending.
        cmap : str or matplotlib Colormap, default="viridis"
            Colour map.
        colorbar : bool, default=True
            Whether to add a colour bar.

        Returns
        -------
        AttentionDisplay
            The display, its matplotlib objects in ``ax_`` and ``figure_``.
        """
        self.ax_ = ax = _ax_or_new("AttentionDisplay.plot", ax, (5.6, 4.6))
        self.figure_ = ax.figure
        start, stop = _extent(_time_axis(self.time, len(self.weights)))
        self.im_ = ax.imshow(
            self.weights,
            cmap=cmap,
            interpolation="nearest",
            extent=(start, stop, stop, start),
        )
        title = self.layer.replace("_", " ")
        if self.n_sequences > 1:
            title += f" (mean of {self.n_sequences} sequences)"
        ax.set(
            xlabel=xlabel,
            ylabel=ylabel,
            title=title,
        )
        uniform = 1 / len(self.weights)
        label = f"attention weight (uniform: {uniform:.3g})"
        self.colorbar_ = _add_colorbar(self, colorbar, label)
        return self

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        *,
        layer="encoder_attention",
        index=None,
        time=None,
        ax=None,
        **plot_kwargs,
    ):
        """Attention map of ``X[index]``, or the mean map over ``X``.

        Parameters
        ----------
        estimator : fitted estimator
            An LSTM autoencoder estimator fitted with ``use_attention=True``,
            or a Pipeline ending in one.
        X : array-like of shape (n_samples, n_timesteps * n_channels) or \
                (n_samples, n_timesteps, n_channels)
            Sequences.
        layer : {"encoder_attention", "decoder_attention"}, \
                default="encoder_attention"
            Which attention layer to show.
        index : int, default=None
            Which sequence to show; ``None`` averages the maps of all of ``X``.
        time : array-like of shape (n_timesteps,), default=None
            Evenly spaced values of the time steps.
        ax : matplotlib Axes, default=None
            Where to draw.
        **plot_kwargs : dict
            Passed to :meth:`plot` (``xlabel``, ``ylabel``, ``cmap``,
            ``colorbar``).

        Returns
        -------
        AttentionDisplay
            The display, its matplotlib objects in ``ax_`` and ``figure_``.

        Raises
        ------
        ValueError
            If the network has no attention layers.
        """
        _pyplot(f"{cls.__name__}.from_estimator")
        if layer not in ATTENTION_LAYERS:
            raise ValueError(
                f"layer must be one of {list(ATTENTION_LAYERS)}; got {layer!r}."
            )
        _, final, Xt = _fitted_parts(estimator, X, f"{cls.__name__}.from_estimator")
        weights = final.attention_weights(Xt)[layer]
        display = cls(
            _mean_of(weights, index),
            layer=layer,
            time=time,
            n_sequences=len(weights) if index is None else 1,
        )
        return display.plot(ax=ax, **plot_kwargs)
