"""Input and parameter validation with messages that say what was expected.

Everything here runs before Keras, on any backend, sees the data or the
parameters.
"""

import inspect
from numbers import Integral, Real

import keras
import numpy as np
import scipy.sparse as sp
from sklearn.utils._param_validation import Interval, validate_parameter_constraints
from sklearn.utils.validation import check_array, validate_data

__all__ = [
    "NETWORK_CONSTRAINTS",
    "check_network_params",
    "check_training_params",
    "input_ndim",
    "validate_sequences",
]

NETWORK_CONSTRAINTS = {
    "input_shape": [tuple, list, None],
    "latent_dim": [Interval(Integral, 1, None, closed="left")],
    "lstm_units": [tuple, list],
    "dropout_rate": [Interval(Real, 0, 1, closed="left")],
    "l2_reg": [Interval(Real, 0, None, closed="left")],
    "use_attention": ["boolean"],
}


def validate_sequences(estimator, X, *, reset):
    """Check ``X`` and fold it into ``(n_samples, n_timesteps, n_channels)``.

    Parameters
    ----------
    estimator : estimator instance
        Holds ``input_shape``; on ``reset=True`` receives ``n_features_in_``,
        ``feature_names_in_`` (for DataFrames), ``n_timesteps_`` and
        ``n_channels_``, which later calls check ``X`` against.
    X : array-like of shape (n_samples, n_timesteps * n_channels) or \
            (n_samples, n_timesteps, n_channels)
        A 2-D input is time-major: column ``t * n_channels + c`` holds
        channel ``c`` at step ``t``.
    reset : bool
        Whether this is a call from ``fit``.

    Returns
    -------
    sequences : ndarray of shape (n_samples, n_timesteps, n_channels)
        Numeric, in ``X``'s own dtype; a 2-D array comes back as a view when
        it can. Callers cast to float32 chunk by chunk, so scoring a huge
        ``X`` never holds a full float32 copy.
    """
    if sp.issparse(X):
        raise TypeError(
            f"{type(estimator).__name__} does not accept sparse input; got a "
            f"{type(X).__name__}. Pass a dense array, e.g. X.toarray()."
        )
    ndim = input_ndim(X)
    if ndim not in (2, 3):
        raise ValueError(
            f"X must be 2-D (n_samples, n_timesteps * n_channels) or 3-D "
            f"(n_samples, n_timesteps, n_channels); got a {ndim}-D input. "
            "Reshape your data: a single sequence with X.reshape(1, -1) or "
            "X[np.newaxis]."
        )
    validate = _validate_3d if ndim == 3 else _validate_2d
    return validate(estimator, X, reset=reset)


def input_ndim(X):
    """Number of dimensions of an array-like, with a clear error if ragged."""
    ndim = getattr(X, "ndim", None)
    if isinstance(ndim, int):
        return ndim
    try:
        return np.asarray(X).ndim
    except ValueError as error:
        raise ValueError(
            "X must be rectangular: every sample needs the same number of time "
            f"steps and channels (numpy could not stack it: {error})"
        ) from None


def _validate_3d(estimator, X, *, reset):
    sequences = check_array(
        X,
        allow_nd=True,
        dtype="numeric",
        ensure_min_samples=2 if reset else 1,
        input_name="X",
    )
    n_samples, n_timesteps, n_channels = sequences.shape
    if reset:
        _check_input_shape_matches(estimator, (n_timesteps, n_channels))
    else:
        _check_fitted_shape(estimator, (n_timesteps, n_channels))
    # Feature-name and feature-count bookkeeping runs on the flat view, so a
    # model fitted on 3-D input also scores the equivalent 2-D input.
    validate_data(
        estimator,
        sequences.reshape(n_samples, -1),
        reset=reset,
        skip_check_array=True,
    )
    if reset:
        estimator.n_timesteps_, estimator.n_channels_ = n_timesteps, n_channels
    return sequences


def _validate_2d(estimator, X, *, reset):
    flat = validate_data(
        estimator,
        X,
        reset=reset,
        dtype="numeric",
        ensure_min_samples=2 if reset else 1,
    )
    if reset:
        estimator.n_timesteps_, estimator.n_channels_ = _fold_shape(
            estimator.input_shape, flat.shape[1]
        )
    return flat.reshape(flat.shape[0], estimator.n_timesteps_, estimator.n_channels_)


def _fold_shape(input_shape, n_features):
    if input_shape is None:
        return n_features, 1
    n_timesteps, n_channels = input_shape
    if n_timesteps * n_channels != n_features:
        raise ValueError(
            f"input_shape={tuple(input_shape)} folds {n_timesteps * n_channels} "
            f"columns (n_timesteps * n_channels), but X has {n_features} columns. "
            "Pass input_shape=(n_timesteps, n_channels) with "
            "n_timesteps * n_channels == X.shape[1], or a 3-D X."
        )
    return n_timesteps, n_channels


def _check_input_shape_matches(estimator, shape):
    input_shape = estimator.input_shape
    if input_shape is not None and tuple(input_shape) != shape:
        raise ValueError(
            f"input_shape={tuple(input_shape)} contradicts X, whose sequences have "
            f"shape {shape} (n_timesteps, n_channels). Set input_shape={shape} "
            "or input_shape=None."
        )


def _check_fitted_shape(estimator, shape):
    fitted = (estimator.n_timesteps_, estimator.n_channels_)
    if shape != fitted:
        raise ValueError(
            f"X has sequences of {shape[0]} time steps and {shape[1]} channels, "
            f"but {type(estimator).__name__} was fitted on {fitted[0]} time steps "
            f"and {fitted[1]} channels."
        )


def check_network_params(estimator, *, validate_ranges=False):
    """Check what ``_parameter_constraints`` cannot express about the network.

    ``validate_ranges=True`` also checks ``NETWORK_CONSTRAINTS``, for objects
    that are not scikit-learn estimators and so have no ``_validate_params``.
    """
    if validate_ranges:
        params = {name: getattr(estimator, name) for name in NETWORK_CONSTRAINTS}
        validate_parameter_constraints(
            NETWORK_CONSTRAINTS, params, caller_name=type(estimator).__name__
        )
    input_shape = estimator.input_shape
    if input_shape is not None and not _is_positive_int_sequence(input_shape, 2):
        raise ValueError(
            "input_shape must be None or a pair of positive integers "
            f"(n_timesteps, n_channels); got {input_shape!r}."
        )
    lstm_units = estimator.lstm_units
    if not _is_positive_int_sequence(lstm_units):
        raise ValueError(
            "lstm_units must be a non-empty sequence of positive integers, one per "
            f"encoder LSTM layer, e.g. (64, 32); got {lstm_units!r}."
        )


def check_training_params(estimator, routing_prefixes):
    """Resolve ``optimizer`` and ``loss`` names and check routed parameter names.

    Runs before Keras sees them, so a typo is named as such.
    """
    named = inspect.signature(type(estimator).__init__).parameters
    unknown = sorted(
        name
        for name in estimator.get_params(deep=False)
        if name not in named
        and ("__" not in name or name.split("__")[0] not in routing_prefixes)
    )
    if unknown:
        prefixes = ", ".join(f"{prefix}__" for prefix in sorted(routing_prefixes))
        raise ValueError(
            f"Unknown parameter(s) {unknown} for {type(estimator).__name__}. "
            f"Routed parameters start with one of {prefixes}."
        )
    for name, getter in (
        ("optimizer", keras.optimizers.get),
        ("loss", keras.losses.get),
    ):
        value = getattr(estimator, name)
        if isinstance(value, str):
            try:
                resolved = getter(value)
            except ValueError:
                resolved = None
            if resolved is None:
                raise ValueError(
                    f"Unknown {name} {value!r}. Pass a name Keras knows "
                    f"(e.g. {'adam' if name == 'optimizer' else 'mse'!r}) or a "
                    f"keras.{name}s object."
                )


def _is_positive_int_sequence(value, length=None):
    if isinstance(value, str | bytes) or not hasattr(value, "__len__"):
        return False
    if len(value) == 0 or (length is not None and len(value) != length):
        return False
    return all(
        isinstance(item, Integral) and not isinstance(item, bool) and item > 0
        for item in value
    )
