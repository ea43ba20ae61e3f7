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
from pathlib import Path

import keras
import numpy as np

from ._validation import check_network_params, check_training_params
from .anomaly import LSTMAnomalyDetector
from .layers import AttentionLayer
from .transformer import LSTMAutoencoderTransformer

__all__ = ["load_estimator", "save_estimator"]

_FORMAT_VERSION = 1
_MODEL_ENTRY, _STATE_ENTRY = "model.keras", "estimator.json"
_TRUSTED_CLASSES = {
    cls.__name__: cls for cls in (LSTMAutoencoderTransformer, LSTMAnomalyDetector)
}
# dtype kinds of the arrays an archive may hold: numbers, bools, and the
# strings of feature_names_in_ (object arrays of str, as scikit-learn has them).
_ARRAY_KINDS = set("fiubOU")


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

    An archive is untrusted input, and nothing in it is executed: the JSON
    names one of this package's estimator classes and holds plain values, and
    the network is read by Keras with ``safe_mode=True``. Only the parameters
    the class has, valid as its ``fit`` would check them, and only the fitted
    attributes the class defines, each of its expected kind and consistent
    with the network, are accepted; anything else is a ``ValueError``.

    The archive does not depend on the Keras backend: one written under
    TensorFlow loads under JAX or PyTorch and scores the same within float32
    precision.

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
        # The plain-data part is checked in full before Keras reads the network.
        state = _read_state(archive)
        cls = _trusted_class(state)
        estimator = _estimator_from_params(cls, _decoded(state, "params"))
        fitted = _checked_fitted_state(cls, _decoded(state, "fitted"))
        for name, value in fitted.items():
            setattr(estimator, name, value)
        if _MODEL_ENTRY not in archive.namelist():
            raise ValueError(
                f"Not an archive written by save_estimator: no {_MODEL_ENTRY}."
            )
        archive.extract(_MODEL_ENTRY, tmp)
        model = keras.saving.load_model(
            Path(tmp) / _MODEL_ENTRY,
            custom_objects={"AttentionLayer": AttentionLayer},
            safe_mode=True,
        )
    _check_model_matches(estimator, model)
    estimator._attach_network(model)
    return estimator


def _read_state(archive):
    try:
        state = json.loads(archive.read(_STATE_ENTRY))
    except (KeyError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(
            f"Not an archive written by save_estimator: {error}"
        ) from error
    if not isinstance(state, dict):
        raise ValueError(
            f"Not an archive written by save_estimator: {_STATE_ENTRY} holds a "
            f"{type(state).__name__}, not an object."
        )
    return state


def _decoded(state, section):
    value = state.get(section)
    if not isinstance(value, dict):
        raise ValueError(
            f"The archive's {section!r} must be an object of names to values; "
            f"got {type(value).__name__}."
        )
    try:
        return _from_json(value)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"The archive's {section!r} hold a bad value: {error}"
        ) from error


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


def _estimator_from_params(cls, params):
    """``cls(**params)``, accepting only parameters that ``cls`` has, valid."""
    named = cls().get_params(deep=False)
    unknown = sorted(
        name
        for name in params
        if name not in named
        and ("__" not in name or name.split("__")[0] not in cls._routing_prefixes)
    )
    if unknown:
        raise ValueError(
            f"The archive holds parameter(s) {unknown}, which {cls.__name__} does "
            "not have."
        )
    estimator = cls(**params)
    try:
        estimator._validate_params()
        check_network_params(estimator)
        check_training_params(estimator, cls._routing_prefixes)
    except (TypeError, ValueError) as error:
        raise ValueError(f"The archive holds an invalid parameter: {error}") from error
    return estimator


def _checked_fitted_state(cls, fitted):
    """``fitted``, if it holds exactly the state ``cls`` declares, each of its kind.

    An archive may set nothing else: a name such as "score_samples" would
    replace a method, "threshold_" a property.
    """
    kinds = cls._fitted_state
    unknown = sorted(set(fitted) - set(kinds))
    missing = sorted(
        name for name, kind in kinds.items() if kind.required and name not in fitted
    )
    if unknown or missing:
        raise ValueError(
            f"The archive's fitted state for {cls.__name__} does not match the "
            f"class: unknown {unknown}, missing {missing}."
        )
    for name, value in fitted.items():
        if not kinds[name].holds(value):
            raise ValueError(
                f"The archive's fitted attribute {name!r} must be "
                f"{kinds[name].description}; got {_short_repr(value)}."
            )
    for name, kind in kinds.items():
        if name not in fitted:
            continue
        size, expected = kind.size(fitted[name]), kind.expected_size(fitted)
        if expected is not None and size != expected:
            counts = " and ".join(f"{count}={fitted[count]}" for count in kind.counts)
            raise ValueError(
                f"The archive's fitted attribute {name!r} has size {size}; "
                f"{counts} make{'s' if len(kind.counts) == 1 else ''} it "
                f"{expected}."
            )
    return fitted


def _check_model_matches(estimator, model):
    expected = (estimator.n_timesteps_, estimator.n_channels_)
    input_shape = estimator.input_shape
    if input_shape is not None and tuple(input_shape) != expected:
        raise ValueError(
            f"The archive's parameter input_shape={input_shape!r} contradicts "
            f"its fitted n_timesteps_ and n_channels_, {expected}."
        )
    for shape, side in ((model.input_shape, "input"), (model.output_shape, "output")):
        if not isinstance(shape, tuple) or tuple(shape[1:]) != expected:
            raise ValueError(
                f"The archive's network has {side} shape {shape}; the "
                f"estimator's fitted state says (None, {expected[0]}, "
                f"{expected[1]})."
            )


def _short_repr(value):
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:77]}..."


def _fitted_state(estimator):
    return {
        name: getattr(estimator, name)
        for name in estimator._fitted_state
        if hasattr(estimator, name)
    }


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
        dtype = np.dtype(value["dtype"])
        if dtype.kind not in _ARRAY_KINDS:
            raise ValueError(f"arrays of dtype {dtype} are not read")
        return np.asarray(value["__ndarray__"], dtype=dtype)
    return {key: _from_json(item) for key, item in value.items()}
