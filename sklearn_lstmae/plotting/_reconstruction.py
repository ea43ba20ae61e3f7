"""Original sequences against their reconstructions."""

import numpy as np

from ._common import (
    _axes_column,
    _channel_names,
    _fitted_parts,
    _pyplot,
    _time_axis,
)


def _as_sequences(X, final):
    """``X`` in either layout as ``(n_samples, n_timesteps, n_channels)``."""
    X = np.asarray(X, dtype=float)
    return X.reshape(len(X), final.n_timesteps_, final.n_channels_)


class ReconstructionDisplay:
    """Original sequence against its reconstruction, one panel per channel.

    A shaded band marks the normal range, mean +- ``n_std`` standard
    deviations of normal sequences at each time step, so a user sees where the
    sequence leaves it and where the autoencoder fails to follow.

    Parameters
    ----------
    original : array-like of shape (n_timesteps, n_channels)
        The sequence.
    reconstruction : array-like of shape (n_timesteps, n_channels)
        Its reconstruction.
    band_mean, band_std : array-like of shape (n_timesteps, n_channels), \
            default=None
        Mean and standard deviation of normal sequences per time step and
        channel; ``None`` draws no band.
    time : array-like of shape (n_timesteps,), default=None
        The x values of the time steps (``None``: 0, 1, ...).
    channel_names : list of str, default=None
        Panel titles (``None``: "channel 0", "channel 1", ...).

    Attributes
    ----------
    axes_ : ndarray of matplotlib Axes
        One per channel.
    figure_ : matplotlib Figure
        The figure of the axes.
    lines_ : ndarray of shape (n_channels, 2) of matplotlib Line2D
        Original and reconstruction of each channel.

    Examples
    --------
    >>> from sklearn_lstmae import LSTMAnomalyDetector, make_gait_cycles
    >>> from sklearn_lstmae.datasets import CHANNELS
    >>> from sklearn_lstmae.plotting import ReconstructionDisplay
    >>> X, _, _ = make_gait_cycles(40, random_state=0)
    >>> detector = LSTMAnomalyDetector(
    ...     lstm_units=(4,), latent_dim=2, epochs=1, random_state=0).fit(X)
    >>> display = ReconstructionDisplay.from_estimator(
    ...     detector, X, index=3, channel_names=CHANNELS)
    >>> [ax.get_title() for ax in display.axes_]
    ['hip_flexion', 'knee_flexion']
    """

    def __init__(
        self,
        original,
        reconstruction,
        *,
        band_mean=None,
        band_std=None,
        time=None,
        channel_names=None,
    ):
        self.original = np.asarray(original)
        self.reconstruction = np.asarray(reconstruction)
        self.band_mean = band_mean
        self.band_std = band_std
        self.time = time
        self.channel_names = channel_names

    def plot(self, ax=None, *, xlabel="time step", ylabel="value", n_std=2.0):
        """Draw the panels.

        Parameters
        ----------
        ax : array-like of matplotlib Axes, default=None
            One Axes per channel (a single Axes for one channel); ``None``
            creates a figure with the channels stacked.
        xlabel, ylabel : str, default="time step", "value"
            Axis labels, e.g. ``"gait cycle (%)"`` and ``"angle (deg)"``.
        n_std : float, default=2.0
            Half-width of the band in standard deviations.

        Returns
        -------
        ReconstructionDisplay
            The display, its matplotlib objects in ``axes_`` and ``figure_``.
        """
        n_timesteps, n_channels = self.original.shape
        time = _time_axis(self.time, n_timesteps)
        names = _channel_names(self.channel_names, n_channels)
        self.axes_ = _axes_column(
            "ReconstructionDisplay.plot",
            ax,
            n_channels,
            what="one Axes per channel",
            figsize=(6.4, 0.8 + 2.2 * n_channels),
        )
        self.figure_ = self.axes_[0].figure
        lines = []
        for c, axis in enumerate(self.axes_):
            if self.band_mean is not None:
                mean = np.asarray(self.band_mean)[:, c]
                spread = n_std * np.asarray(self.band_std)[:, c]
                axis.fill_between(
                    time,
                    mean - spread,
                    mean + spread,
                    color="C0",
                    alpha=0.2,
                    lw=0,
                    label=f"normal (mean ± {n_std:g} SD)",
                )
            (original,) = axis.plot(time, self.original[:, c], "k", label="original")
            (recon,) = axis.plot(
                time, self.reconstruction[:, c], "C1--", lw=2, label="reconstruction"
            )
            lines.append((original, recon))
            axis.set(title=names[c], ylabel=ylabel)
        self.axes_[-1].set_xlabel(xlabel)
        self.axes_[0].legend(fontsize="small")
        self.lines_ = np.asarray(lines, dtype=object)
        return self

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        *,
        index=0,
        X_normal=None,
        time=None,
        channel_names=None,
        ax=None,
        **plot_kwargs,
    ):
        """Reconstruct ``X[index]`` and plot it with the band of normal sequences.

        Parameters
        ----------
        estimator : fitted estimator
            An LSTM autoencoder estimator or a Pipeline ending in one.
        X : array-like of shape (n_samples, n_timesteps * n_channels) or \
                (n_samples, n_timesteps, n_channels)
            Sequences in the layout the estimator takes.
        index : int, default=0
            Which sequence of ``X`` to plot.
        X_normal : array-like, default=None
            Normal sequences, same layout, for the band; ``None`` takes all
            of ``X``.
        time : array-like of shape (n_timesteps,), default=None
            The x values of the time steps.
        channel_names : list of str, default=None
            Panel titles.
        ax : array-like of matplotlib Axes, default=None
            One Axes per channel.
        **plot_kwargs : dict
            Passed to :meth:`plot` (``xlabel``, ``ylabel``, ``n_std``).

        Returns
        -------
        ReconstructionDisplay
            The display, its matplotlib objects in ``axes_`` and ``figure_``.
        """
        _pyplot(f"{cls.__name__}.from_estimator")
        head, final, Xt = _fitted_parts(estimator, X, f"{cls.__name__}.from_estimator")
        index = range(len(Xt))[index]  # IndexError if out of range; -1 works
        reconstruction = final.reconstruct(Xt[index : index + 1])
        if head is not None:
            reconstruction = head.inverse_transform(reconstruction)
        normal = _as_sequences(X if X_normal is None else X_normal, final)
        display = cls(
            _as_sequences(X, final)[index],
            _as_sequences(reconstruction, final)[0],
            band_mean=normal.mean(axis=0),
            band_std=normal.std(axis=0),
            time=time,
            channel_names=channel_names,
        )
        return display.plot(ax=ax, **plot_kwargs)
