"""Squared reconstruction error per time step and channel."""

import numpy as np

from ._common import (
    _add_colorbar,
    _ax_or_new,
    _channel_names,
    _extent,
    _fitted_parts,
    _pyplot,
    _time_axis,
)


class ErrorHeatmapDisplay:
    """Squared reconstruction error per time step and channel, as a heatmap.

    For one sequence it shows where, in time and in which channel, the
    reconstruction fails; for many, where errors usually concentrate.

    Parameters
    ----------
    errors : array-like of shape (n_timesteps, n_channels)
        Squared errors, e.g. ``reconstruction_error(X, reduce=None)``
        averaged over samples.
    time : array-like of shape (n_timesteps,), default=None
        Evenly spaced x values of the time steps.
    channel_names : list of str, default=None
        Row labels (``None``: "channel 0", ...).
    n_sequences : int, default=1
        How many sequences ``errors`` averages, for the title.
    normalized : bool, default=False
        Whether ``errors`` are a detector's normalised errors (squared errors
        divided by their typical size at each step and channel), for the
        labels.

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
    >>> from sklearn_lstmae.plotting import ErrorHeatmapDisplay
    >>> X, _, _ = make_gait_cycles(40, random_state=0)
    >>> detector = LSTMAnomalyDetector(
    ...     lstm_units=(4,), latent_dim=2, epochs=1, random_state=0).fit(X)
    >>> display = ErrorHeatmapDisplay.from_estimator(detector, X[:1])
    >>> display.im_.get_array().shape
    (2, 51)
    """

    def __init__(
        self, errors, *, time=None, channel_names=None, n_sequences=1, normalized=False
    ):
        self.errors = np.asarray(errors)
        self.time = time
        self.channel_names = channel_names
        self.n_sequences = n_sequences
        self.normalized = normalized

    def plot(self, ax=None, *, xlabel="time step", cmap="viridis", colorbar=True):
        """Draw the heatmap.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Where to draw; ``None`` creates a figure.
        xlabel : str, default="time step"
            Label of the time axis.
        cmap : str or matplotlib Colormap, default="viridis"
            Colour map.
        colorbar : bool, default=True
            Whether to add a colour bar.

        Returns
        -------
        ErrorHeatmapDisplay
            The display, its matplotlib objects in ``ax_`` and ``figure_``.
        """
        n_timesteps, n_channels = self.errors.shape
        self.ax_ = ax = _ax_or_new(
            "ErrorHeatmapDisplay.plot", ax, (6.4, 1.4 + 0.45 * n_channels)
        )
        self.figure_ = ax.figure
        start, stop = _extent(_time_axis(self.time, n_timesteps))
        self.im_ = ax.imshow(
            self.errors.T,
            aspect="auto",
            cmap=cmap,
            interpolation="nearest",
            extent=(start, stop, n_channels - 0.5, -0.5),
        )
        ax.set_yticks(range(n_channels), _channel_names(self.channel_names, n_channels))
        title = "squared reconstruction error"
        if self.normalized:
            title = f"normalised {title}"
        if self.n_sequences > 1:
            title += f" (mean of {self.n_sequences} sequences)"
        ax.set(xlabel=xlabel, title=title)
        label = "squared error / typical" if self.normalized else "squared error"
        self.colorbar_ = _add_colorbar(self, colorbar, label)
        return self

    @classmethod
    def from_estimator(
        cls, estimator, X, *, time=None, channel_names=None, ax=None, **plot_kwargs
    ):
        """Heatmap of the error of ``X``, averaged over its sequences.

        Parameters
        ----------
        estimator : fitted estimator
            An LSTM autoencoder estimator or a Pipeline ending in one.
        X : array-like of shape (n_samples, n_timesteps * n_channels) or \
                (n_samples, n_timesteps, n_channels)
            Sequences; pass ``X[[i]]`` to explain sequence ``i`` alone. Errors
            are the estimator's ``reconstruction_error``, in the units it sees
            (after a pipeline's scaling); a detector's are normalised by its
            ``error_scale_``.
        time : array-like of shape (n_timesteps,), default=None
            Evenly spaced x values of the time steps.
        channel_names : list of str, default=None
            Row labels.
        ax : matplotlib Axes, default=None
            Where to draw.
        **plot_kwargs : dict
            Passed to :meth:`plot` (``xlabel``, ``cmap``, ``colorbar``).

        Returns
        -------
        ErrorHeatmapDisplay
            The display, its matplotlib objects in ``ax_`` and ``figure_``.
        """
        _pyplot(f"{cls.__name__}.from_estimator")
        _, final, Xt = _fitted_parts(estimator, X, f"{cls.__name__}.from_estimator")
        errors = final.reconstruction_error(Xt, reduce=None)
        display = cls(
            errors.mean(axis=0),
            time=time,
            channel_names=channel_names,
            n_sequences=len(errors),
            normalized=getattr(final, "normalize_errors", False),
        )
        return display.plot(ax=ax, **plot_kwargs)
