"""Save and load fitted estimators without pickle.

A pickle runs code when it is loaded: never unpickle a file from a source you
do not trust. :func:`save_estimator` writes a zip archive that holds no code:
the network as a ``.keras`` file, loaded back in Keras's safe mode, and the
estimator's parameters and fitted attributes as JSON. :func:`load_estimator`
rebuilds only this package's estimator classes from it.
"""

import json
import tempfile
import zipfile
from collections import defaultdict
from pathlib import Path

import keras
import numpy as np

from .anomaly import LSTMAnomalyDetector
from .layers import AttentionLayer
from .transformer import LSTMAutoencoderTransformer

__all__ = ["load_estimator", "save_estimator"]

_FORMAT_VERSION = 1
_MODEL_ENTRY, _STATE_ENTRY = "model.keras", "estimator.json"
_TRUSTED_CLASSES = {
    cls.__name__: cls for cls in (LSTMAutoencoderTransformer, LSTMAnomalyDetector)
}
# Fitted state that is not a public fitted attribute but is needed to predict.
_PRIVATE_STATE = ("_input_ndim",)


def save_estimator(estimator, path):
    """Save a fitted estimator of this package to a zip archive, without pickle.

    Parameters
    ----------
    estimator : LSTMAutoencoderTransformer or LSTMAnomalyDetector
        A fitted estimator whose parameters are plain values (numbers,
        strings, tuples, lists, dicts, None): Keras objects given as
        ``optimizer``, ``loss`` or ``callbacks`` cannot be written as JSON.
    path : str or path-like
        The archive to write, conventionally ending in ``.zip``.

    Examples
    --------
    >>> import os, tempfile
    >>> from sklearn_lstmae import LSTMAnomalyDetector, make_gait_cycles
    >>> from sklearn_lstmae.persistence import load_estimator, save_estimator
    >>> X, _, _ = make_gait_cycles(20, random_state=0)
    >>> detector = LSTMAnomalyDetector(lstm_units=(4,), latent_dim=2, epochs=1,
    ...                                random_state=0).fit(X)
    >>> path = os.path.join(tempfile.mkdtemp(), "detector.zip")
    >>> save_estimator(detector, path)
    >>> restored = load_estimator(path)
    >>> bool((restored.score_samples(X) == detector.score_samples(X)).all())
    True
    """
    name = type(estimator).__name__
    if name not in _TRUSTED_CLASSES:
        raise TypeError(
            f"save_estimator saves {sorted(_TRUSTED_CLASSES)}; got a {name}."
        )
    if not hasattr(estimator, "model_"):
        raise ValueError(f"This {name} is not fitted yet; fit it before saving.")
    state = {
        "format_version": _FORMAT_VERSION,
        "class": name,
        "params": _to_json(estimator.get_params(deep=False), "parameter"),
        "fitted": _to_json(_fitted_state(estimator), "fitted attribute"),
    }
    with tempfile.TemporaryDirectory() as tmp:
        model_path = Path(tmp) / _MODEL_ENTRY
        estimator.model_.save(model_path)
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.write(model_path, _MODEL_ENTRY)
            archive.writestr(_STATE_ENTRY, json.dumps(state, indent=1))


def load_estimator(path):
    """Load an estimator written by :func:`save_estimator`.

    Nothing in the archive is executed: the JSON names one of this package's
    estimator classes and holds plain values, and the network is read by
    Keras with ``safe_mode=True``.

    Parameters
    ----------
    path : str or path-like
        An archive written by :func:`save_estimator`.

    Returns
    -------
    estimator : LSTMAutoencoderTransformer or LSTMAnomalyDetector
        The fitted estimator, giving the same outputs as the one saved.

    Examples
    --------
    >>> import os, tempfile
    >>> from sklearn_lstmae import LSTMAutoencoderTransformer, make_gait_cycles
    >>> from sklearn_lstmae.persistence import load_estimator, save_estimator
    >>> X, _, _ = make_gait_cycles(20, random_state=0)
    >>> encoder = LSTMAutoencoderTransformer(lstm_units=(4,), latent_dim=2,
    ...                                      epochs=1).fit(X)
    >>> path = os.path.join(tempfile.mkdtemp(), "encoder.zip")
    >>> save_estimator(encoder, path)
    >>> load_estimator(path).transform(X[:3]).shape
    (3, 2)
    """
    with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(path) as archive:
        state = json.loads(archive.read(_STATE_ENTRY))
        cls = _trusted_class(state)
        archive.extract(_MODEL_ENTRY, tmp)
        model = keras.saving.load_model(
            Path(tmp) / _MODEL_ENTRY,
            custom_objects={"AttentionLayer": AttentionLayer},
            safe_mode=True,
        )
    estimator = cls(**_from_json(state["params"]))
    for name, value in _from_json(state["fitted"]).items():
        setattr(estimator, name, value)
    estimator.history_ = defaultdict(list, estimator.history_)
    estimator.model_ = model
    estimator._random_state = None
    estimator._initialize_callbacks()
    return estimator


def _trusted_class(state):
    version, name = state.get("format_version"), state.get("class")
    if version != _FORMAT_VERSION:
        raise ValueError(
            f"Unsupported archive format version {version!r}; this version of "
            f"sklearn-lstmae reads version {_FORMAT_VERSION}."
        )
    if name not in _TRUSTED_CLASSES:
        raise ValueError(
            f"The archive names class {name!r}; only {sorted(_TRUSTED_CLASSES)} "
            "are loaded."
        )
    return _TRUSTED_CLASSES[name]


def _fitted_state(estimator):
    public = {
        name: value
        for name, value in vars(estimator).items()
        if name.endswith("_") and not name.startswith("_") and name != "model_"
    }
    return {**public, **{name: getattr(estimator, name) for name in _PRIVATE_STATE}}


def _to_json(value, what, name=None):
    """Encode plain values; tuples and arrays are tagged so they come back."""
    if isinstance(value, dict):
        return {key: _to_json(item, what, key) for key, item in value.items()}
    if isinstance(value, tuple):
        return {"__tuple__": [_to_json(item, what, name) for item in value]}
    if isinstance(value, list):
        return [_to_json(item, what, name) for item in value]
    if isinstance(value, np.ndarray):
        return {"__ndarray__": value.tolist(), "dtype": value.dtype.str}
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise TypeError(
        f"save_estimator writes plain values only; the {what} {name!r} holds a "
        f"{type(value).__name__}. Pass it by name (e.g. optimizer='adam' with "
        "optimizer__learning_rate=...) or use joblib with trusted files."
    )


def _from_json(value):
    if isinstance(value, list):
        return [_from_json(item) for item in value]
    if not isinstance(value, dict):
        return value
    if "__tuple__" in value:
        return tuple(_from_json(item) for item in value["__tuple__"])
    if "__ndarray__" in value:
        return np.asarray(value["__ndarray__"], dtype=np.dtype(value["dtype"]))
    return {key: _from_json(item) for key, item in value.items()}
