"""Beyond one machine, on Dask: lazy scoring of dask arrays, training block by block.

Needs the ``dask`` extra: ``pip install 'sklearn-lstmae[dask]'`` (``dask[array]``
and ``distributed``).
"""

import math
from numbers import Integral

try:
    import dask
    import dask.array as da
except ImportError as error:
    raise ImportError(
        "sklearn_lstmae.dask needs Dask. Install the dask extra: "
        "pip install 'sklearn-lstmae[dask]' (dask[array] and distributed)."
    ) from error

import numpy as np
from sklearn.base import BaseEstimator, MetaEstimatorMixin, _fit_context, clone
from sklearn.utils import get_tags
from sklearn.utils._param_validation import HasMethods, Interval, validate_params
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from ._fitted_state import Fitted
from ._metaestimators import inner_has
from .stream import SlidingWindowDetector
from .windows import as_columns, n_windows

__all__ = ["ParallelPostFit", "fit_incremental"]


def _delegate(method, returns):
    """A method that applies the fitted estimator's ``method``, lazily to dask."""

    def apply(self, X, **kwargs):
        return self._apply(method, X, **kwargs)

    apply.__name__ = apply.__qualname__ = method
    apply.__doc__ = f"""The estimator's ``{method}``, lazily for a dask array.

        Parameters
        ----------
        X : array-like or dask array
            Input of the estimator's ``{method}``.
        **kwargs : dict
            Passed on, e.g. ``reduce="timestep"`` to ``reconstruction_error``.

        Returns
        -------
        {returns} : ndarray or dask array
            What the estimator returns; for a dask array input a dask array,
            chunked along samples (or time points) as the input.
        """
    return available_if(inner_has(method))(apply)


class ParallelPostFit(MetaEstimatorMixin, BaseEstimator):
    """Score, transform and predict dask arrays lazily, block by block.

    Fitting happens in this process; every method that follows returns a lazy
    dask array for a dask array input, computed wherever Dask runs it (on the
    workers of a ``dask.distributed`` cluster). The fitted estimator enters
    the task graph once, as one dependency of every block's task, so that it
    travels to each worker once, not once per block. NumPy and pandas input
    go straight to the estimator and give what it gives.

    Parameters
    ----------
    estimator : estimator
        :class:`~sklearn_lstmae.LSTMAutoencoderTransformer`,
        :class:`~sklearn_lstmae.LSTMAnomalyDetector`,
        :class:`~sklearn_lstmae.SlidingWindowDetector` or another
        scikit-learn estimator whose outputs have one row per input row.

    Attributes
    ----------
    estimator_ : estimator
        The fitted clone of ``estimator``.

    See Also
    --------
    fit_incremental : Train on a dask array too large to compute at once.

    Notes
    -----
    **Sequences** (2-D time-major or 3-D input) are chunked along samples
    only; an array chunked along other axes is rechunked first. Outputs keep
    the sample chunks; their dtype and trailing shape come from calling the
    fitted estimator on one sequence of zeros in this process.

    **A stream** (for :class:`~sklearn_lstmae.SlidingWindowDetector`, 1-D or
    2-D with rows as time) is cut into blocks that overlap by a whole number
    of strides, at least ``window_size`` points, so that every point's
    windows lie in its block: the result equals scoring the stream in one
    piece, to float32 round-off.

    Examples
    --------
    >>> import dask.array as da
    >>> from sklearn_lstmae import LSTMAnomalyDetector, make_gait_cycles
    >>> from sklearn_lstmae.dask import ParallelPostFit
    >>> X, _, _ = make_gait_cycles(64, random_state=0)
    >>> model = ParallelPostFit(
    ...     LSTMAnomalyDetector(lstm_units=(4,), latent_dim=2, epochs=1,
    ...                         random_state=0)).fit(X)
    >>> scores = model.score_samples(da.from_array(X, chunks=(16, 51, 2)))
    >>> scores.chunks
    ((16, 16, 16, 16),)
    >>> scores.compute().shape
    (64,)
    """

    _parameter_constraints = {"estimator": [HasMethods(["fit"])]}
    # What save_estimator writes and load_estimator accepts (_fitted_state.py).
    _fitted_state = {"estimator_": Fitted()}

    def __init__(self, estimator):
        self.estimator = estimator

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = get_tags(self.estimator)
        tags.estimator_type = inner.estimator_type
        tags.input_tags = inner.input_tags
        return tags

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None, **fit_params):
        """Fit a clone of ``estimator`` in this process.

        Parameters
        ----------
        X : array-like or dask array
            Training data as ``estimator`` takes it; a dask array is computed
            first, so it must fit in memory (see :func:`fit_incremental`).
        y : None
            Ignored.
        **fit_params : dict
            Passed to the estimator's ``fit``.

        Returns
        -------
        self : ParallelPostFit
            The fitted wrapper.
        """
        if isinstance(X, da.Array):
            X = X.compute()
        self.estimator_ = clone(self.estimator).fit(X, **fit_params)
        return self

    def _apply(self, method, X, **kwargs):
        check_is_fitted(self)
        if not isinstance(X, da.Array):
            return getattr(self.estimator_, method)(X, **kwargs)
        if isinstance(self.estimator_, SlidingWindowDetector):
            return _apply_to_stream(self.estimator_, method, X, kwargs)
        return _apply_to_samples(self.estimator_, method, X, kwargs)

    transform = _delegate("transform", "Xt")
    inverse_transform = _delegate("inverse_transform", "X_original")
    score_samples = _delegate("score_samples", "scores")
    decision_function = _delegate("decision_function", "decision")
    predict = _delegate("predict", "labels")
    reconstruction_error = _delegate("reconstruction_error", "errors")


def _call(block, estimator, method, kwargs):
    return getattr(estimator, method)(block, **kwargs)


def _map_blocks(estimator, method, X, kwargs, example):
    """``X.map_blocks`` of ``method``, with the estimator once in the graph."""
    axes = {}
    if example.ndim < X.ndim:
        axes["drop_axis"] = list(range(example.ndim, X.ndim))
    elif example.ndim > X.ndim:
        axes["new_axis"] = list(range(X.ndim, example.ndim))
    # A Delayed argument becomes one key that every block's task refers to.
    fitted = dask.delayed(estimator, pure=False, traverse=False)
    return X.map_blocks(
        _call,
        fitted,
        method,
        kwargs,
        dtype=example.dtype,
        chunks=(X.chunks[0], *((size,) for size in example.shape[1:])),
        meta=np.empty((0,) * example.ndim, dtype=example.dtype),
        **axes,
    )


def _apply_to_samples(estimator, method, X, kwargs):
    if X.ndim not in (2, 3):
        raise ValueError(
            "A dask array of sequences must be 2-D (n_samples, n_features) or "
            f"3-D (n_samples, n_timesteps, n_channels); got {X.ndim}-D."
        )
    X = X.rechunk({axis: -1 for axis in range(1, X.ndim)})
    example = getattr(estimator, method)(np.zeros((1, *X.shape[1:]), X.dtype), **kwargs)
    return _map_blocks(estimator, method, X, kwargs, np.asarray(example))


def _apply_to_stream(estimator, method, X, kwargs):
    X = as_columns(X)
    window_size, stride = estimator.window_size, estimator.stride
    n_windows(X.shape[0], window_size)
    # Blocks start on the stride's grid and reach a whole number of strides,
    # at least a window, into their neighbours: every window that covers a
    # block's own points lies in the extended block, as in the whole stream.
    depth = math.ceil(window_size / stride) * stride
    X = X.rechunk({0: _aligned_chunks(X.chunks[0], stride, depth), 1: -1})
    example = getattr(estimator, method)(
        np.zeros((window_size, X.shape[1]), X.dtype), **kwargs
    )
    extended = da.overlap.overlap(X, depth={0: depth, 1: 0}, boundary="none")
    scored = _map_blocks(estimator, method, extended, kwargs, np.asarray(example))
    return da.overlap.trim_internal(
        scored,
        {axis: depth if axis == 0 else 0 for axis in range(scored.ndim)},
        boundary="none",
    )


def _aligned_chunks(chunks, stride, depth):
    """Chunk sizes along time: multiples of ``stride``, none below ``depth``."""
    n_points = sum(chunks)
    size = max(math.ceil(max(chunks) / stride) * stride, depth)
    sizes = [size] * (n_points // size)
    remainder = n_points - size * len(sizes)
    if remainder and sizes and remainder < depth:
        sizes[-1] += remainder
    elif remainder:
        sizes.append(remainder)
    return tuple(sizes)


@validate_params(
    {
        "estimator": [HasMethods(["partial_fit"])],
        "X": "no_validation",
        "epochs": [Interval(Integral, 1, None, closed="left")],
    },
    prefer_skip_nested_validation=True,
)
def fit_incremental(estimator, X, *, epochs=1):
    """Train ``estimator`` on a dask array block by block, with ``partial_fit``.

    Each block is one ``partial_fit`` call: one epoch over that block, the
    weights and the optimizer's state carried on. The calls run as a chain of
    Dask tasks, each where its block is (on a cluster, the estimator is
    pickled from worker to worker, optimizer state included), so no machine
    ever holds more than one block.

    Parameters
    ----------
    estimator : estimator with ``partial_fit``
        E.g. :class:`~sklearn_lstmae.LSTMAnomalyDetector`. An unfitted one
        is initialised by the first block; a fitted one trains on.
    X : dask array of shape (n_samples, n_features) or \
            (n_samples, n_timesteps, n_channels)
        Training sequences, chunked along samples (rechunked otherwise).
    epochs : int, default=1
        Passes over all blocks.

    Returns
    -------
    estimator : estimator
        The trained estimator (a new object: it came back from the tasks).
        A detector's threshold is calibrated on the last block.
    """
    if not isinstance(X, da.Array):
        raise TypeError(
            f"fit_incremental takes a dask array; got {type(X).__name__}. Call "
            "the estimator's fit for data in memory."
        )
    X = X.rechunk({axis: -1 for axis in range(1, X.ndim)})
    trained = dask.delayed(estimator, traverse=False)
    for _ in range(epochs):
        for block in X.to_delayed().ravel():
            trained = dask.delayed(_partial_fit, pure=False)(trained, block)
    return trained.compute()


def _partial_fit(estimator, block):
    return estimator.partial_fit(block)
