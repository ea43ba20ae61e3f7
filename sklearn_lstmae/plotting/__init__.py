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

from ._attention import AttentionDisplay
from ._error_heatmap import ErrorHeatmapDisplay
from ._latent_space import LatentSpaceDisplay
from ._reconstruction import ReconstructionDisplay
from ._score_histogram import ScoreHistogramDisplay
from ._stream import StreamDisplay

__all__ = [
    "AttentionDisplay",
    "ErrorHeatmapDisplay",
    "LatentSpaceDisplay",
    "ReconstructionDisplay",
    "ScoreHistogramDisplay",
    "StreamDisplay",
]
