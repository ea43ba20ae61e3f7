"""Helpers shared by the displays: lazy matplotlib, axes, fitted estimators, labels."""

import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted


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


def _axes_column(caller, ax, n_axes, *, what, figsize):
    """``n_axes`` stacked Axes sharing x, new or taken from ``ax``."""
    plt = _pyplot(caller)
    if ax is None:
        _, axes = plt.subplots(
            n_axes, 1, sharex=True, squeeze=False, figsize=figsize, layout="constrained"
        )
        return axes.ravel()
    axes = np.ravel(np.asarray(ax, dtype=object))
    if len(axes) != n_axes:
        raise ValueError(f"ax must hold {what} ({n_axes}); got {len(axes)}.")
    return axes


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
