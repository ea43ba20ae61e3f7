"""Histogram of anomaly scores by label, with the threshold."""

import numpy as np

from ._common import _ax_or_new, _fitted_parts, _label_groups, _pyplot

_SCORE_LABELS = {
    "score_samples": "score_samples (higher = more normal)",
    "reconstruction_error": "reconstruction error (mean squared error)",
}


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
            ``"score_samples"``: the detector's scores (a transformer's:
            minus the reconstruction error), higher is more normal, threshold
            at ``offset_``; ``"reconstruction_error"``: the error itself,
            threshold at ``threshold_``. A detector that ``check_spread``
            flags for its spread alone has its error below that threshold.
            No threshold is drawn for one that flags nothing (``offset_`` is
            ``-inf``).
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
        offset = getattr(final, "offset_", None)
        # -inf: a contamination below every p-value, which flags nothing.
        if offset is not None and not np.isfinite(offset):
            offset = None
        if response_method == "reconstruction_error":
            scores = final.reconstruction_error(Xt)
            threshold = None if offset is None else -offset
        elif hasattr(final, "score_samples"):
            scores, threshold = final.score_samples(Xt), offset
        else:
            scores, threshold = -final.reconstruction_error(Xt), offset
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
