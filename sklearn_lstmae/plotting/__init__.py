"""Display objects in scikit-learn's style for the LSTM autoencoder estimators.

Each display computes what it shows in ``from_estimator`` (or takes it in
``__init__``) and draws it in ``plot(ax=...)``, which returns the display with
the matplotlib objects as attributes (``ax_``, ``figure_``, ...), as
:class:`sklearn.metrics.RocCurveDisplay` does. ``from_estimator`` accepts a
fitted :class:`~sklearn_lstmae.LSTMAutoencoderTransformer` or
:class:`~sklearn_lstmae.LSTMAnomalyDetector`, or a
:class:`~sklearn.pipeline.Pipeline` ending in one: the pipeline's earlier steps
transform ``X`` first, and reconstructions are mapped back through their
``inverse_transform``, so they are drawn in the units of ``X``.

matplotlib comes with the ``plot`` extra: ``pip install 'sklearn-lstmae[plot]'``.
"""

import numpy as np
from sklearn.decomposition import PCA
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

__all__ = [
    "AttentionDisplay",
    "ErrorHeatmapDisplay",
    "LatentSpaceDisplay",
    "ReconstructionDisplay",
    "ScoreHistogramDisplay",
]

_ATTENTION_LAYERS = ("encoder_attention", "decoder_attention")
_SCORE_LABELS = {
    "score_samples": "score_samples (higher = more normal)",
    "reconstruction_error": "reconstruction error (mean squared error)",
}


def _pyplot(caller):
    """Import ``matplotlib.pyplot``, saying how to install it when missing."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise ImportError(
            f"{caller} requires matplotlib, which is not installed. Install it "
            "with: pip install 'sklearn-lstmae[plot]'"
        ) from error
    return plt


def _ax_or_new(caller, ax, figsize):
    if ax is None:
        _, ax = _pyplot(caller).subplots(figsize=figsize, layout="constrained")
    else:
        _pyplot(caller)
    return ax


def _fitted_parts(estimator, X, caller):
    """The final LSTM estimator of ``estimator`` and ``X`` as it receives it."""
    head, final = (
        (estimator[:-1], estimator[-1])
        if isinstance(estimator, Pipeline)
        else (None, estimator)
    )
    if not hasattr(final, "reconstruction_error"):
        raise TypeError(
            f"{caller} needs a fitted LSTMAutoencoderTransformer or "
            "LSTMAnomalyDetector, or a Pipeline ending in one; got "
            f"{type(final).__name__}."
        )
    check_is_fitted(final, "model_")
    return head, final, (X if head is None else head.transform(X))


def _as_sequences(X, final):
    """``X`` in either layout as ``(n_samples, n_timesteps, n_channels)``."""
    X = np.asarray(X, dtype=float)
    return X.reshape(len(X), final.n_timesteps_, final.n_channels_)


def _time_axis(time, n_timesteps):
    return np.arange(n_timesteps) if time is None else np.asarray(time, dtype=float)


def _extent(time):
    """Pixel edges of evenly spaced ``time`` for ``imshow``."""
    half_step = (time[-1] - time[0]) / max(len(time) - 1, 1) / 2
    return time[0] - half_step, time[-1] + half_step


def _channel_names(channel_names, n_channels):
    if channel_names is None:
        return [f"channel {c}" for c in range(n_channels)]
    if len(channel_names) != n_channels:
        raise ValueError(
            f"channel_names has {len(channel_names)} names for {n_channels} channels."
        )
    return list(channel_names)


def _label_groups(y, n_samples):
    """``(legend label, mask)`` per label of ``y``, inliers (1, "normal") first."""
    if y is None:
        return [(None, np.ones(n_samples, dtype=bool))]
    y = np.asarray(y)
    classes = sorted(
        np.unique(y).tolist(), key=lambda label: label not in (1, "normal")
    )
    signs = set(classes) <= {-1, 1}
    names = {1: "normal (+1)", -1: "anomaly (-1)"} if signs else {}
    return [(names.get(label, str(label)), y == label) for label in classes]


def _add_colorbar(display, colorbar, label):
    if not colorbar:
        return None
    bar = display.figure_.colorbar(display.im_, ax=display.ax_)
    bar.set_label(label)
    return bar


def _mean_of(values, index):
    """``values[index]``, or the mean over all samples when ``index`` is None."""
    return values.mean(axis=0) if index is None else values[index]


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
        self.axes_ = self._channel_axes(ax, n_channels)
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

    @staticmethod
    def _channel_axes(ax, n_channels):
        plt = _pyplot("ReconstructionDisplay.plot")
        if ax is None:
            _, axes = plt.subplots(
                n_channels,
                1,
                sharex=True,
                squeeze=False,
                figsize=(6.4, 0.8 + 2.2 * n_channels),
                layout="constrained",
            )
            return axes.ravel()
        axes = np.ravel(np.asarray(ax, dtype=object))
        if len(axes) != n_channels:
            raise ValueError(
                f"ax must hold one Axes per channel ({n_channels}); got {len(axes)}."
            )
        return axes

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


class ScoreHistogramDisplay:
    """Histogram of anomaly scores, stacked by label, with the threshold.

    Shows how well the scores separate normal sequences from anomalies and
    where the detector's threshold cuts.

    Parameters
    ----------
    scores : array-like of shape (n_samples,)
        Scores or reconstruction errors.
    y : array-like of shape (n_samples,), default=None
        Labels to split the histogram by (+1 / -1, or names such as the
        ``kinds`` of :func:`~sklearn_lstmae.make_gait_cycles`).
    threshold : float, default=None
        Where to draw the threshold line; ``None`` draws none.
    score_name : str, default="score_samples"
        What the scores are: ``"score_samples"``, ``"reconstruction_error"``
        or any label for the x axis.

    Attributes
    ----------
    ax_ : matplotlib Axes
        The histogram's axes.
    figure_ : matplotlib Figure
        The figure of ``ax_``.
    patches_ : list
        The bars, one container per label.
    threshold_line_ : matplotlib Line2D or None
        The threshold line.

    Examples
    --------
    >>> from sklearn_lstmae import LSTMAnomalyDetector, make_gait_cycles
    >>> from sklearn_lstmae.plotting import ScoreHistogramDisplay
    >>> X, y, _ = make_gait_cycles(40, anomaly_fraction=0.2, random_state=0)
    >>> detector = LSTMAnomalyDetector(
    ...     lstm_units=(4,), latent_dim=2, epochs=1, random_state=0).fit(X)
    >>> display = ScoreHistogramDisplay.from_estimator(detector, X, y)
    >>> display.ax_.get_xlabel()
    'score_samples (higher = more normal)'
    >>> float(display.threshold_line_.get_xdata()[0]) == detector.offset_
    True
    """

    def __init__(self, scores, *, y=None, threshold=None, score_name="score_samples"):
        self.scores = np.asarray(scores)
        self.y = y
        self.threshold = threshold
        self.score_name = score_name

    def plot(self, ax=None, *, bins=30, log_scale=False):
        """Draw the histogram.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Where to draw; ``None`` creates a figure.
        bins : int, default=30
            Number of bins, shared by all labels.
        log_scale : bool, default=False
            Logarithmic x axis and bins, for positive, right-skewed values
            such as reconstruction errors.

        Returns
        -------
        ScoreHistogramDisplay
            The display, its matplotlib objects in ``ax_`` and ``figure_``.
        """
        self.ax_ = ax = _ax_or_new("ScoreHistogramDisplay.plot", ax, (6.4, 4))
        self.figure_ = ax.figure
        edges = self._bin_edges(bins, log_scale)
        groups = _label_groups(self.y, len(self.scores))
        _, _, bars = ax.hist(
            [self.scores[mask] for _, mask in groups],
            bins=edges,
            stacked=True,
            label=[name for name, _ in groups],
            color=[f"C{i}" for i in range(len(groups))],
        )
        # hist returns one container for one data set, a list for several.
        self.patches_ = list(bars) if len(groups) > 1 else [bars]
        self.threshold_line_ = None
        if self.threshold is not None:
            self.threshold_line_ = ax.axvline(
                self.threshold,
                color="k",
                ls="--",
                label=f"threshold ({self.threshold:.3g})",
            )
        if log_scale:
            ax.set_xscale("log")
        xlabel = _SCORE_LABELS.get(self.score_name, self.score_name)
        ax.set(xlabel=xlabel, ylabel="number of sequences")
        if self.y is not None or self.threshold is not None:
            ax.legend(fontsize="small")
        return self

    def _bin_edges(self, bins, log_scale):
        low, high = self.scores.min(), self.scores.max()
        if log_scale and low <= 0:
            raise ValueError(
                "log_scale=True needs positive scores; plot the reconstruction "
                "error (response_method='reconstruction_error') instead."
            )
        if low == high:  # matplotlib centres one bin on the value
            return bins
        spaced = np.geomspace if log_scale else np.linspace
        return spaced(low, high, bins + 1)

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        y=None,
        *,
        response_method="score_samples",
        ax=None,
        **plot_kwargs,
    ):
        """Histogram of the scores of ``X``, with the detector's threshold.

        Parameters
        ----------
        estimator : fitted estimator
            An LSTM autoencoder estimator or a Pipeline ending in one; the
            threshold is drawn for an :class:`~sklearn_lstmae.LSTMAnomalyDetector`.
        X : array-like of shape (n_samples, n_timesteps * n_channels) or \
                (n_samples, n_timesteps, n_channels)
            Sequences.
        y : array-like of shape (n_samples,), default=None
            Labels to split the histogram by.
        response_method : {"score_samples", "reconstruction_error"}, \
                default="score_samples"
            ``"score_samples"``: minus the reconstruction error, higher is
            more normal, threshold at ``offset_``; ``"reconstruction_error"``:
            the error itself, threshold at ``threshold_``.
        ax : matplotlib Axes, default=None
            Where to draw.
        **plot_kwargs : dict
            Passed to :meth:`plot` (``bins``, ``log_scale``).

        Returns
        -------
        ScoreHistogramDisplay
            The display, its matplotlib objects in ``ax_`` and ``figure_``.
        """
        _pyplot(f"{cls.__name__}.from_estimator")
        if response_method not in _SCORE_LABELS:
            raise ValueError(
                "response_method must be 'score_samples' or 'reconstruction_error'; "
                f"got {response_method!r}."
            )
        _, final, Xt = _fitted_parts(estimator, X, f"{cls.__name__}.from_estimator")
        errors = final.reconstruction_error(Xt)
        offset = getattr(final, "offset_", None)
        if response_method == "score_samples":
            scores, threshold = -errors, offset
        else:
            scores, threshold = errors, None if offset is None else -offset
        display = cls(scores, y=y, threshold=threshold, score_name=response_method)
        return display.plot(ax=ax, **plot_kwargs)

    @classmethod
    def from_predictions(
        cls,
        y_true,
        y_score,
        *,
        threshold=None,
        score_name="score_samples",
        ax=None,
        **plot_kwargs,
    ):
        """Histogram of scores computed elsewhere.

        Parameters
        ----------
        y_true : array-like of shape (n_samples,) or None
            Labels to split the histogram by; ``None`` for one histogram.
        y_score : array-like of shape (n_samples,)
            Scores or reconstruction errors.
        threshold : float, default=None
            Where to draw the threshold line.
        score_name : str, default="score_samples"
            What the scores are (see the class parameters).
        ax : matplotlib Axes, default=None
            Where to draw.
        **plot_kwargs : dict
            Passed to :meth:`plot` (``bins``, ``log_scale``).

        Returns
        -------
        ScoreHistogramDisplay
            The display, its matplotlib objects in ``ax_`` and ``figure_``.
        """
        _pyplot(f"{cls.__name__}.from_predictions")
        display = cls(y_score, y=y_true, threshold=threshold, score_name=score_name)
        return display.plot(ax=ax, **plot_kwargs)


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
        if layer not in _ATTENTION_LAYERS:
            raise ValueError(
                f"layer must be one of {list(_ATTENTION_LAYERS)}; got {layer!r}."
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
