"""What the meta-estimators share (``SlidingWindowDetector``, ``ParallelPostFit``)."""

__all__ = ["inner_has"]


def inner_has(attribute, default=None):
    """An ``available_if`` check: does the inner estimator have ``attribute``?

    The fitted ``estimator_`` answers once there is one, else the
    ``estimator`` parameter, or ``default`` (e.g. the class that ``None``
    stands for) when that is None.
    """

    def check(self):
        inner = getattr(self, "estimator_", None)
        if inner is None:
            inner = default if self.estimator is None else self.estimator
        return hasattr(inner, attribute)

    return check
