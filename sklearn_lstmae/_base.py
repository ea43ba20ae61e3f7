"""What both estimators share: SciKeras wiring, input folding, tags, checks.

This is the only module that imports SciKeras. Training is in
``_training.py``, the network and its parts in ``network.py``.
"""

from collections import defaultdict
from contextlib import suppress
from numbers import Integral, Real

import keras
import numpy as np
from scikeras.utils import metric_name
from scikeras.wrappers import BaseWrapper
from sklearn.base import BaseEstimator, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from . import _backend
from ._fitted_state import Choice, Count, Floats, History, Names
from ._inference import InferenceMixin, channel_statistics
from ._linear_path import fit_linear_path
from ._schedule import AUTO_STEPS
from ._training import split_off_validation, train
from ._validation import (
    NETWORK_CONSTRAINTS,
    check_network_params,
    check_training_params,
    input_ndim,
    validate_sequences,
)
from .network import build_autoencoder

__all__ = ["BaseLSTMAutoencoder"]


class BaseLSTMAutoencoder(InferenceMixin, BaseWrapper):
    """Base class of the scikit-learn estimators around the LSTM autoencoder.

    Not meant to be used directly: use
    :class:`~sklearn_lstmae.LSTMAutoencoderTransformer` or
    :class:`~sklearn_lstmae.LSTMAnomalyDetector`.
    """

    _parameter_constraints = {
        **NETWORK_CONSTRAINTS,
        # Not a NETWORK_CONSTRAINT: LSTMAutoencoder, the specification, has no
        # pooling parameter.
        "pooling": [StrOptions({"last", "mean", "flatten"}), None],
        "max_timesteps": [Interval(Integral, 2, None, closed="left"), None],
        "time_positions": ["boolean"],
        "linear_path": ["boolean"],
        "standardize": ["boolean"],
        "optimizer": [str, keras.optimizers.Optimizer, type],
        "loss": [str, keras.losses.Loss, callable],
        "metrics": [list, None],
        "epochs": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "validation_split": [Interval(Real, 0, 1, closed="left")],
        "callbacks": [list, keras.callbacks.Callback, None],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
        "warm_start": ["boolean"],
    }

    # How many optimizer steps epochs="auto" trains for at most.
    _auto_steps = AUTO_STEPS

    # What a fitted estimator needs besides model_ to predict, and of which
    # kind: what save_estimator writes and load_estimator accepts.
    _fitted_state = {
        "n_features_in_": Count(product_of=("n_timesteps_", "n_channels_")),
        "feature_names_in_": Names("n_features_in_", required=False),
        "n_timesteps_": Count(),
        "n_channels_": Count(),
        "channel_mean_": Floats(("n_channels_",)),
        "channel_scale_": Floats(("n_channels_",), positive=True),
        "history_": History(),
        "_input_ndim": Choice(2, 3),
    }

    # SciKeras routes these prefixes; ``model__`` is not among them because
    # the network's parameters are named parameters of the estimator.
    _routing_prefixes = {"fit", "predict", "compile", "optimizer", "loss", "metrics"}

    # The transformer's defaults; the detector's __init__ passes its own.
    def __init__(
        self,
        *,
        input_shape=None,
        latent_dim=8,
        lstm_units=(64, 32),
        dropout_rate=0.0,
        l2_reg=0.0,
        use_attention=False,
        pooling="flatten",
        max_timesteps=64,
        time_positions=True,
        linear_path=True,
        standardize=True,
        optimizer="adam",
        loss="mse",
        metrics=None,
        epochs="auto",
        batch_size=32,
        validation_split=0.2,
        callbacks=None,
        verbose=0,
        random_state=None,
        warm_start=False,
        **routed_params,
    ):
        # BaseWrapper.__init__ is not called: it would add parameters these
        # estimators do not have (model, build_fn, shuffle, ...).
        self.input_shape = input_shape
        self.latent_dim = latent_dim
        self.lstm_units = lstm_units
        self.dropout_rate = dropout_rate
        self.l2_reg = l2_reg
        self.use_attention = use_attention
        self.pooling = pooling
        self.max_timesteps = max_timesteps
        self.time_positions = time_positions
        self.linear_path = linear_path
        self.standardize = standardize
        self.optimizer = optimizer
        self.loss = loss
        self.metrics = metrics
        self.epochs = epochs
        self.batch_size = batch_size
        self.validation_split = validation_split
        self.callbacks = callbacks
        self.verbose = verbose
        self.random_state = random_state
        self.warm_start = warm_start
        # SciKeras builds the optimizer, loss and metrics and routes the fit
        # and predict arguments from get_params(): a routed parameter
        # (optimizer__learning_rate=...) must be an attribute that get_params
        # lists, as SciKeras's own BaseWrapper stores it. _get_param_names
        # lists them; test_base.py checks the get_params/set_params/clone
        # round trip.
        vars(self).update(routed_params)

    def _get_param_names(self):
        # scikit-learn takes the __init__ signature; SciKeras every public
        # attribute. Take the signature plus what came in **routed_params (all
        # public non-fitted attributes), so set_params accepts what __init__
        # did; fit then rejects names that no routing prefix explains.
        named = super(BaseWrapper, self)._get_param_names()
        extra = [
            name
            for name in vars(self)
            if name not in named and not name.startswith("_") and not name.endswith("_")
        ]
        return sorted([*named, *extra])

    __repr__ = BaseEstimator.__repr__

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.input_tags.sparse = False
        tags.non_deterministic = False
        return tags

    # -- fitting ---------------------------------------------------------------

    def _fit_validated(self, X, *, epochs, continue_training):
        """Validate, train in this estimator's own seed context, then calibrate."""
        self._validate_params()
        check_network_params(self)
        check_training_params(self, self._routing_prefixes)
        continuing = continue_training and hasattr(self, "model_")
        with _backend.seeded(None if continuing else self.random_state):
            sequences = self._validate_data(X, reset=not continuing)
            # Split before the network is built: a split that leaves nothing
            # to train on fails with nothing fitted.
            fit_indices, held_out = self._split_for_calibration(len(sequences))
            fitted = sequences if not len(held_out) else sequences[fit_indices]
            training, validation = split_off_validation(fitted, self.validation_split)
            if not continuing:
                self._build_network(fitted)
                if self.linear_path:
                    fit_linear_path(self.model_, self._to_network(training))
            self._train(training, validation, epochs=epochs, continuing=continuing)
        self._check_training_converged()
        unseen = [sequences[held_out]] + ([] if validation is None else [validation])
        self._after_training(
            training, np.concatenate(unseen) if sum(map(len, unseen)) else None
        )

    def _split_for_calibration(self, n_samples):
        """Sequences to fit on and those held out to calibrate on (none here)."""
        indices = np.arange(n_samples)
        return indices, indices[:0]

    def _train(self, training, held_out, *, epochs, continuing):
        """Train in network units; ``held_out`` (or None) gives ``val_loss``."""
        epochs_run = train(
            self.model_,
            self._to_network(training),
            None if held_out is None else self._to_network(held_out),
            epochs=epochs,
            budget=self._auto_steps,
            initial_epoch=self.current_epoch if continuing else 0,
            callbacks=self._fit_callbacks,
            fit_args=self._keras_fit_args(),
            owner=type(self).__name__,
        )
        if not continuing:
            self.history_ = defaultdict(list)
        for key, values in epochs_run.items():
            # SciKeras's names, as its own fit would record them.
            if key != "loss" and not key.startswith("val_"):
                with suppress(ValueError):
                    key = metric_name(key)
            self.history_[key] += values

    def _keras_fit_args(self):
        """``Model.fit`` arguments from the parameters, routed as SciKeras does."""
        routed = {
            name.removeprefix("fit__"): value
            for name, value in self.get_params().items()
            if name.startswith("fit__") and not name.startswith("fit__callbacks")
        }
        return {"batch_size": self.batch_size, "verbose": self.verbose, **routed}

    def _after_training(self, training, unseen):
        """Hook for what a subclass derives from the data after training.

        ``training`` is what the network fitted; ``unseen`` the sequences it
        did not (those :meth:`_split_for_calibration` held out and the
        ``validation_split`` tail), None if there are none.
        """

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Train the autoencoder on sequences ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps * n_channels) or \
                (n_samples, n_timesteps, n_channels)
            Training sequences: 3-D channels-last, or 2-D time-major
            (``X3d.reshape(n_samples, -1)``), numpy or pandas.
        y : Ignored
            Not used, present for API consistency by convention.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        self._fit_validated(X, epochs=self.epochs, continue_training=self.warm_start)
        return self

    def partial_fit(self, X, y=None):
        """Train for one more epoch, keeping the weights (a first call fits).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps * n_channels) or \
                (n_samples, n_timesteps, n_channels)
            Training sequences.
        y : Ignored
            Not used, present for API consistency by convention.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        self._fit_validated(X, epochs=1, continue_training=True)
        return self

    def _initialize(self, X, y=None):
        sequences = self._validate_data(X, reset=True)
        self._build_network(sequences)
        return sequences, sequences

    def _build_network(self, sequences):
        """Channel statistics of ``sequences`` and a fresh, compiled network."""
        self.channel_mean_, self.channel_scale_ = channel_statistics(
            sequences, self.standardize
        )
        # SciKeras seeds the build through TF_DETERMINISTIC_OPS, which stays on
        # for the rest of the process and breaks later unseeded fits
        # (DESIGN.md); fitting seeds in its own context instead.
        self._random_state = None
        self._attach_network(self._build_keras_model())

    def _attach_network(self, model):
        """Make ``model`` the fitted network, with the state SciKeras derives.

        The one place that sets up what is not fitted state: after a build, a
        :func:`~sklearn_lstmae.persistence.load_estimator` and an unpickling.
        """
        self.model_ = model
        if hasattr(self, "history_"):
            self.history_ = defaultdict(list, self.history_)
        self._initialize_callbacks()

    def __getstate__(self):
        # The callback lists are derived from the parameters: rebuilt on
        # unpickling by _attach_network, as after loading an archive.
        state = dict(super().__getstate__())
        for derived in ("_fit_callbacks", "_predict_callbacks"):
            state.pop(derived, None)
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        if "model_" in state:
            self._attach_network(self.model_)

    def _check_model_param(self):
        return self._keras_build_fn

    def _keras_build_fn(self, compile_kwargs):
        autoencoder, _, _ = build_autoencoder(
            self.n_timesteps_,
            self.n_channels_,
            latent_dim=self.latent_dim,
            lstm_units=self.lstm_units,
            dropout_rate=self.dropout_rate,
            l2_reg=self.l2_reg,
            use_attention=self.use_attention,
            pooling=self.pooling,
            max_timesteps=self.max_timesteps,
            time_positions=self.time_positions,
            linear_path=self.linear_path,
        )
        autoencoder.compile(**compile_kwargs)
        return autoencoder

    def _check_training_converged(self):
        losses = self.history_["loss"]
        if np.all(np.isfinite(losses)):
            return
        epoch = int(np.argmin(np.isfinite(losses))) + 1
        for name in [name for name in vars(self) if name.endswith("_")]:
            delattr(self, name)
        raise ValueError(
            f"Training diverged: the loss became {losses[epoch - 1]} at epoch "
            f"{epoch}. The estimator was left unfitted. Lower the learning rate "
            "(optimizer__learning_rate), scale the input (e.g. with "
            "StandardScaler) or add gradient clipping (optimizer__clipnorm)."
        )

    # -- data ------------------------------------------------------------------

    def _validate_data(self, X, y=None, reset=False):
        """Fold ``X`` into numeric 3-D sequences; ``y`` is ignored."""
        if reset:
            self._input_ndim = input_ndim(X)
        return validate_sequences(self, X, reset=reset)

    def _check_and_fold(self, X):
        check_is_fitted(self, "model_")
        return self._validate_data(X, reset=False)

    def _as_input_layout(self, sequences, ndim):
        return sequences if ndim == 3 else sequences.reshape(len(sequences), -1)

    # BaseWrapper.predict expects SciKeras's target encoders; each estimator
    # defines its own predict or has none.
    @available_if(lambda estimator: False)
    def predict(self, X):
        """Not available on this estimator."""
