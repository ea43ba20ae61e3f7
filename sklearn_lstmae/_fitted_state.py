"""The kinds of fitted state an estimator declares, checked where it is read back.

Each estimator class lists the state it needs to predict in ``_fitted_state``,
a dict of attribute name to one of the kinds below; ``persistence.py`` writes
exactly those attributes and reads back nothing else. A kind says what a value
must be (:meth:`holds`, described by ``description``) and, for sizes, which
other fitted counts it must agree with (:meth:`expected_size`).
"""

from abc import ABC, abstractmethod

import numpy as np

__all__ = [
    "Choice",
    "Count",
    "Fitted",
    "Floats",
    "History",
    "Names",
    "Number",
    "SortedScores",
]


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value):
    return isinstance(value, int | float) and not isinstance(value, bool)


class _Kind(ABC):
    """A kind of fitted value; ``required=False`` for state a fit may not set.

    ``counts`` names the fitted counts that the value's size follows from.
    """

    description = ""
    counts = ()

    def __init__(self, *, required=True):
        self.required = required

    @abstractmethod
    def holds(self, value):
        """Whether ``value`` is of this kind."""

    def size(self, value):
        """The size of ``value``, comparable with :meth:`expected_size`."""
        return None

    def expected_size(self, fitted):
        """The size that the ``counts`` in ``fitted`` give; None if unsized."""
        return None


class Count(_Kind):
    """A positive int, optionally the product of other counts."""

    description = "a positive int"

    def __init__(self, *, product_of=(), required=True):
        super().__init__(required=required)
        self.counts = product_of

    def holds(self, value):
        return _is_int(value) and value > 0

    def size(self, value):
        return value

    def expected_size(self, fitted):
        if not self.counts:
            return None
        return int(np.prod([fitted[name] for name in self.counts]))


class Choice(_Kind):
    """One of a few ints or strings."""

    def __init__(self, *values, required=True):
        super().__init__(required=required)
        self.values = values
        self.description = " or ".join(repr(value) for value in values)

    def holds(self, value):
        # type() rather than isinstance: True is not the int 1 here.
        return any(
            type(value) is type(choice) and value == choice for choice in self.values
        )


class Number(_Kind):
    """A finite number, optionally at least ``minimum`` (or -inf, if allowed)."""

    def __init__(self, *, minimum=None, minus_infinity=False, required=True):
        super().__init__(required=required)
        self.minimum = minimum
        self.minus_infinity = minus_infinity
        self.description = (
            "a finite number"
            + ("" if minimum is None else f" >= {minimum}")
            + (" or -inf" if minus_infinity else "")
        )

    def holds(self, value):
        if self.minus_infinity and _is_number(value) and value == -np.inf:
            return True
        return (
            _is_number(value)
            and bool(np.isfinite(value))
            and (self.minimum is None or value >= self.minimum)
        )


class _Array(_Kind):
    """An array whose shape is given by fitted counts, one name per axis."""

    def __init__(self, shape, *, required=True):
        super().__init__(required=required)
        self.counts = shape

    def size(self, value):
        return len(value) if value.ndim == 1 else value.shape

    def expected_size(self, fitted):
        sizes = tuple(fitted[name] for name in self.counts)
        return sizes[0] if len(sizes) == 1 else sizes


class Floats(_Array):
    """A float64 array of finite (optionally positive) values."""

    def __init__(self, shape, *, positive=False, required=True):
        super().__init__(shape, required=required)
        self.positive = positive
        self.description = (
            f"a {len(shape)}-D float64 array of finite "
            f"{'positive ' if positive else ''}values"
        )

    def holds(self, value):
        return (
            isinstance(value, np.ndarray)
            and value.dtype == np.float64
            and value.ndim == len(self.counts)
            and bool(np.isfinite(value).all())
            and (not self.positive or bool((value > 0).all()))
        )


class SortedScores(_Kind):
    """A non-empty 1-D float64 array of finite values in ascending order.

    The calibration scores that p-values are counted against; their number
    is the calibration set's, which no other fitted count gives.
    """

    description = "a non-empty 1-D float64 array of finite, ascending values"

    def holds(self, value):
        return (
            isinstance(value, np.ndarray)
            and value.dtype == np.float64
            and value.ndim == 1
            and len(value) > 0
            and bool(np.isfinite(value).all())
            and bool((np.diff(value) >= 0).all())
        )


class Names(_Array):
    """A 1-D array of str (``feature_names_in_``), one per counted feature."""

    description = "a 1-D array of str"

    def __init__(self, length, *, required=True):
        super().__init__((length,), required=required)

    def holds(self, value):
        return (
            isinstance(value, np.ndarray)
            and value.ndim == 1
            and all(isinstance(name, str) for name in value)
        )


class History(_Kind):
    """A dict of str to lists of numbers (``history_``)."""

    description = "a dict of str to lists of numbers"

    def holds(self, value):
        return isinstance(value, dict) and all(
            isinstance(key, str)
            and isinstance(losses, list)
            and all(_is_number(loss) for loss in losses)
            for key, losses in value.items()
        )


class Fitted(_Kind):
    """A fitted estimator of this package (a meta-estimator's ``estimator_``).

    It is not plain data: ``persistence.py`` writes it as an archive of its
    own inside the outer one and reads it back with the same checks.
    """

    description = "a fitted estimator of sklearn-lstmae"

    def holds(self, value):
        return hasattr(value, "_fitted_state")
