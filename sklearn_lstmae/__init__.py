"""LSTM autoencoders with optional self-attention as scikit-learn estimators."""

import os as _os

# TensorFlow prints C++ start-up banners unless told otherwise; keep user choice.
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from ._calibration import select_fdr  # noqa: E402
from .anomaly import LSTMAnomalyDetector  # noqa: E402
from .autoencoder import LSTMAutoencoder  # noqa: E402
from .datasets import make_gait_cycles  # noqa: E402
from .layers import AttentionLayer  # noqa: E402
from .stream import SlidingWindowDetector  # noqa: E402
from .transformer import LSTMAutoencoderTransformer  # noqa: E402

__all__ = [
    "AttentionLayer",
    "LSTMAnomalyDetector",
    "LSTMAutoencoder",
    "LSTMAutoencoderTransformer",
    "SlidingWindowDetector",
    "make_gait_cycles",
    "select_fdr",
]
__version__ = "0.1.0.dev0"
