"""Save and load fitted estimators without pickle.

A pickle runs code when it is loaded: never unpickle a file from a source you
do not trust. :func:`save_estimator` writes a zip archive that holds no code:
the network as a ``.keras`` file, loaded back in Keras's safe mode, and the
estimator's parameters and fitted attributes as JSON. :func:`load_estimator`
rebuilds only this package's estimator classes from it.
"""

import importlib
import inspect
import io
import json
import tempfile
import zipfile
from pathlib import Path

import keras
import numpy as np
from sklearn.base import BaseEstimator

from ._base import BaseLSTMAutoencoder
from ._fitted_state import Fitted
from ._validation import check_network_params, check_training_params
from .layers import AttentionLayer, TimePositions, TimeResampling

__all__ = ["load_estimator", "save_estimator"]

_FORMAT_VERSION = 1
_MODEL_ENTRY, _STATE_ENTRY = "model.keras", "estimator.json"
# The classes an archive may name, and their modules: sklearn_lstmae.dask is
# imported only for an archive that holds a ParallelPostFit.
_TRUSTED_CLASSES = {
    "LSTMAutoencoderTransformer": "sklearn_lstmae.transformer",
    "LSTMAnomalyDetector": "sklearn_lstmae.anomaly",
    "SlidingWindowDetector": "sklearn_lstmae.stream",
    "ParallelPostFit": "sklearn_lstmae.dask",
}
# A meta-estimator's fitted inner estimator is an archive inside the archive;
# at most this many levels (ParallelPostFit > SlidingWindowDetector > detector).
_MAX_NESTING = 2
# Parameters added after archives were first written, with the value that
# gives what those archives hold: their network, their calibration.
_PARAMS_BEFORE = {
    "max_timesteps": None,
    "time_positions": False,
    "linear_path": False,
    "calibration_split": 0.0,
    "linear_view": False,
}
# dtype kinds of the arrays an archive may hold: numbers, bools, and the
# strings of feature_names_in_ (object arrays of str, as scikit-learn has them).
_ARRAY_KINDS = set("fiubOU")


def save_estimator(estimator, path):
    """Save a fitted estimator of this package to a zip archive, without pickle.

    Parameters
    ----------
    estimator : LSTMAutoencoderTransformer, LSTMAnomalyDetector, \
            SlidingWindowDetector or ParallelPostFit
        A fitted estimator whose parameters are plain values (numbers,
        strings, tuples, lists, dicts, None): Keras objects given as
        ``optimizer``, ``loss`` or ``callbacks`` cannot be written as JSON.
        The inner estimator of a ``SlidingWindowDetector`` or a
        ``ParallelPostFit`` must be one of these classes too (an
        ``IsolationForest`` inside cannot be written without pickle).
    path : str or path-like or file-like
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
    _save(estimator, path, nesting=0)


def _save(estimator, path, *, nesting):
    name = type(estimator).__name__
    if not _is_trusted(estimator):
        raise TypeError(
            f"save_estimator saves {sorted(_TRUSTED_CLASSES)}; got a {name}."
        )
    fitted = _fitted_state(estimator)
    if any(kind.required and key not in fitted for key, kind in _kinds(estimator)):
        raise ValueError(f"This {name} is not fitted yet; fit it before saving.")
    inner = {key: fitted.pop(key) for key, kind in _kinds(estimator) if _nests(kind)}
    if inner and nesting >= _MAX_NESTING:
        raise ValueError(_too_deep())
    state = {
        "format_version": _FORMAT_VERSION,
        "class": name,
        "params": _to_json(estimator.get_params(deep=False), "parameter"),
        "fitted": _to_json(fitted, "fitted attribute"),
    }
    compression = zipfile.ZIP_DEFLATED
    with (
        tempfile.TemporaryDirectory() as tmp,
        zipfile.ZipFile(path, "w", compression=compression) as archive,
    ):
        if isinstance(estimator, BaseLSTMAutoencoder):
            model_path = Path(tmp) / _MODEL_ENTRY
            estimator.model_.save(model_path)
            archive.write(model_path, _MODEL_ENTRY)
        for key, inner_estimator in inner.items():
            inner_archive = io.BytesIO()
            _save(inner_estimator, inner_archive, nesting=nesting + 1)
            archive.writestr(_inner_entry(key), inner_archive.getvalue())
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
    return _load(path, nesting=0)


def _load(path, *, nesting):
    with zipfile.ZipFile(path) as archive:
        # The plain-data part is checked in full before Keras reads the network.
        state = _read_state(archive)
        cls = _trusted_class(state)
        estimator = _estimator_from_params(cls, _decoded(state, "params"))
        fitted = _decoded(state, "fitted")
        fitted.update(_inner_estimators(archive, cls, nesting))
        for name, value in _checked_fitted_state(cls, fitted).items():
            setattr(estimator, name, value)
        if issubclass(cls, BaseLSTMAutoencoder):
            _attach_archived_network(estimator, archive)
        else:
            _check_inner_matches(estimator)
    return estimator


def _inner_estimators(archive, cls, nesting):
    """The fitted inner estimators a meta-estimator's archive holds, loaded."""
    inner = {}
    for key, kind in cls._fitted_state.items():
        if not _nests(kind) or _inner_entry(key) not in archive.namelist():
            continue
        if nesting >= _MAX_NESTING:
            raise ValueError(_too_deep())
        with archive.open(_inner_entry(key)) as entry:
            inner[key] = _load(io.BytesIO(entry.read()), nesting=nesting + 1)
    return inner


def _attach_archived_network(estimator, archive):
    with tempfile.TemporaryDirectory() as tmp:
        if _MODEL_ENTRY not in archive.namelist():
            raise ValueError(
                f"Not an archive written by save_estimator: no {_MODEL_ENTRY}."
            )
        archive.extract(_MODEL_ENTRY, tmp)
        model = keras.saving.load_model(
            Path(tmp) / _MODEL_ENTRY,
            custom_objects={
                layer.__name__: layer
                for layer in (AttentionLayer, TimePositions, TimeResampling)
            },
            safe_mode=True,
        )
    _check_model_matches(estimator, model)
    estimator._attach_network(model)


def _is_trusted(estimator):
    name = type(estimator).__name__
    return name in _TRUSTED_CLASSES and type(estimator) is _class_named(name)


def _class_named(name):
    return getattr(importlib.import_module(_TRUSTED_CLASSES[name]), name)


def _kinds(estimator):
    return type(estimator)._fitted_state.items()


def _nests(kind):
    return isinstance(kind, Fitted)


def _inner_entry(key):
    return f"{key}.zip"


def _too_deep():
    return (
        f"Archives nest estimators at most {_MAX_NESTING} deep (a ParallelPostFit "
        "of a SlidingWindowDetector of a detector)."
    )


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
    return _named_class(name)


def _named_class(name):
    if not isinstance(name, str) or name not in _TRUSTED_CLASSES:
        raise ValueError(
            f"The archive names class {name!r}; only {sorted(_TRUSTED_CLASSES)} "
            "are loaded."
        )
    return _class_named(name)


def _estimator_from_params(cls, params):
    """``cls(**params)``, accepting only parameters that ``cls`` has, valid."""
    # The named parameters of __init__; not self, not the **routed_params.
    named = [
        name
        for name, parameter in inspect.signature(cls.__init__).parameters.items()
        if parameter.kind == parameter.KEYWORD_ONLY
        or (parameter.kind == parameter.POSITIONAL_OR_KEYWORD and name != "self")
    ]
    routing_prefixes = getattr(cls, "_routing_prefixes", ())
    unknown = sorted(
        name
        for name in params
        if name not in named
        and ("__" not in name or name.split("__")[0] not in routing_prefixes)
    )
    if unknown:
        raise ValueError(
            f"The archive holds parameter(s) {unknown}, which {cls.__name__} does "
            "not have."
        )
    before = {name: value for name, value in _PARAMS_BEFORE.items() if name in named}
    params = {**before, **params}
    try:
        estimator = cls(**params)
        estimator._validate_params()
        if issubclass(cls, BaseLSTMAutoencoder):
            check_network_params(estimator)
            check_training_params(estimator, routing_prefixes)
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


def _check_inner_matches(estimator):
    """A stream detector's inner network must take its windows."""
    inner = estimator.estimator_
    window_size = getattr(estimator, "window_size", None)
    if window_size is None or not isinstance(inner, BaseLSTMAutoencoder):
        return
    expected = (window_size, estimator.n_features_in_)
    if (inner.n_timesteps_, inner.n_channels_) != expected:
        raise ValueError(
            f"The archive's inner estimator takes windows of "
            f"{(inner.n_timesteps_, inner.n_channels_)} (steps, channels); the "
            f"stream detector's window_size and n_features_in_ say {expected}."
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
    if isinstance(value, BaseEstimator):
        if not _is_trusted(value):
            raise TypeError(
                f"save_estimator writes inner estimators of "
                f"{sorted(_TRUSTED_CLASSES)} only; the {what} {name!r} is a "
                f"{type(value).__name__}. Use joblib with trusted files."
            )
        params = _to_json(value.get_params(deep=False), what)
        return {"__estimator__": type(value).__name__, "params": params}
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
    if "__estimator__" in value:
        params = _from_json(value.get("params"))
        if not isinstance(params, dict):
            raise ValueError("an inner estimator's params must be an object")
        return _estimator_from_params(_named_class(value["__estimator__"]), params)
    if "__ndarray__" in value:
        dtype = np.dtype(value["dtype"])
        if dtype.kind not in _ARRAY_KINDS:
            raise ValueError(f"arrays of dtype {dtype} are not read")
        return np.asarray(value["__ndarray__"], dtype=dtype)
    return {key: _from_json(item) for key, item in value.items()}
