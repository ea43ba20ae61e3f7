"""What both estimators share: SciKeras wiring, input folding, tags, checks.

This is the only module that imports SciKeras.
"""

import math
import warnings
from collections import defaultdict
from contextlib import contextmanager, suppress
from numbers import Integral, Real

import keras
import numpy as np
from scikeras.utils import metric_name
from scikeras.wrappers import BaseWrapper
from sklearn.base import BaseEstimator, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from . import _backend
from ._schedule import AUTO_STEPS, AutoSchedule, auto_epochs
from ._validation import (
    NETWORK_CONSTRAINTS,
    check_network_params,
    check_training_params,
    input_ndim,
    validate_sequences,
)
from .layers import AttentionLayer
from .network import build_autoencoder

__all__ = ["BaseLSTMAutoencoder"]

# Inference runs in chunks of this many sequences: large enough to keep the
# per-call overhead negligible, small enough to bound memory on huge inputs.
_CHUNK_SIZE = 4096

_REDUCE_AXES = {"sample": (1, 2), "timestep": (2,), "channel": (1,), None: ()}


class BaseLSTMAutoencoder(BaseWrapper):
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

    # SciKeras routes these prefixes; ``model__`` is not among them because
    # the network's parameters are named parameters of the estimator.
    _routing_prefixes = {"fit", "predict", "compile", "optimizer", "loss", "metrics"}

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
        standardize=True,
        optimizer="adam",
        loss="mse",
        metrics=None,
        epochs="auto",
        batch_size=32,
        validation_split=0.0,
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
            training, held_out = self._split_off_validation(sequences)
            if not continuing:
                self._build_network(sequences)
            self._train(training, held_out, epochs=epochs, continuing=continuing)
        self._check_training_converged()
        self._after_training(sequences if held_out is None else held_out)

    def _train(self, training, held_out, *, epochs, continuing):
        """Train in network units; ``held_out`` (or None) gives ``val_loss``."""
        training = self._to_network(training)
        validation_data = None
        if held_out is not None:
            validation_data = (self._to_network(held_out),) * 2
        schedule = None
        if epochs == "auto":
            epochs, repeats = auto_epochs(
                len(training), self.batch_size, self._auto_steps
            )
            if repeats > 1:
                training = np.tile(training, (repeats, 1, 1))
            schedule = AutoSchedule(epochs, "loss" if held_out is None else "val_loss")
        n_steps = epochs * math.ceil(len(training) / self.batch_size)
        initial_epoch = self.current_epoch if continuing else 0
        # Keras records the epochs into this History instead of its own, so
        # that an interrupted fit still knows which epochs ran.
        epochs_run = keras.callbacks.History()
        callbacks = self._fit_callbacks
        ours = [epochs_run] if schedule is None else [schedule, epochs_run]
        self._fit_callbacks = [*callbacks, *ours]
        try:
            with _training_jit_compile(self.model_, self._jit_compile_for(n_steps)):
                self._fit_keras_model(
                    training,
                    training,
                    sample_weight=None,
                    warm_start=continuing,
                    epochs=epochs,
                    initial_epoch=initial_epoch,
                    # Split already: Keras would take its tail of the repeated data.
                    validation_split=0.0,
                    validation_data=validation_data,
                )
        except KeyboardInterrupt:
            self._keep_interrupted_training(epochs_run, continuing, epochs)
        finally:
            self._fit_callbacks = callbacks
            if schedule is not None:
                schedule.restore_learning_rate()

    def _keep_interrupted_training(self, epochs_run, continuing, epochs):
        """After Ctrl-C: keep the weights and the epochs run, warn, go on fitting.

        As in skorch, the user gets a usable estimator: the fit goes on to
        calibrate on the weights reached. SciKeras records ``history_`` only
        when ``Model.fit`` returns, so the epochs run are added here, under the
        names SciKeras gives them.
        """
        if not continuing:
            self.history_ = defaultdict(list)
        for key, values in epochs_run.history.items():
            if key != "loss" and not key.startswith("val_"):
                with suppress(ValueError):
                    key = metric_name(key)
            self.history_[key] += values
        warnings.warn(
            f"Training was interrupted (KeyboardInterrupt) after "
            f"{len(epochs_run.history.get('loss', []))} of {epochs} epochs. This "
            f"{type(self).__name__} keeps the weights reached and is fitted "
            "on them.",
            ConvergenceWarning,
            stacklevel=4,
        )

    def _jit_compile_for(self, n_steps):
        """How to compile ``n_steps`` of training; a ``compile__jit_compile`` wins."""
        if "compile__jit_compile" in self.get_params():
            return self.model_.jit_compile
        return _backend.training_jit_compile(self.model_, n_steps)

    def _split_off_validation(self, sequences):
        """Keras's ``validation_split``: training head and held-out tail."""
        if self.validation_split == 0:
            return sequences, None
        start = math.floor(len(sequences) * (1.0 - self.validation_split))
        if start in (0, len(sequences)):
            raise ValueError(
                f"validation_split={self.validation_split} of {len(sequences)} "
                "samples leaves no sample to train on or none to validate on. "
                "Pass more samples or another validation_split."
            )
        return sequences[:start], sequences[start:]

    def _after_training(self, calibration):
        """Hook for what a subclass derives from the calibration sequences.

        They are the held-out tail with a ``validation_split``, else all the
        training sequences.
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
        self.channel_mean_, self.channel_scale_ = _channel_statistics(
            sequences, self.standardize
        )
        # SciKeras seeds through TF_DETERMINISTIC_OPS, which stays on for the
        # rest of the process and breaks later unseeded fits (DESIGN.md);
        # fitting seeds in its own context instead.
        self._random_state = None
        self.model_ = self._build_keras_model()
        self._initialize_callbacks()

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
        )
        autoencoder.compile(**compile_kwargs)
        return autoencoder

    def _initialize_callbacks(self):
        super()._initialize_callbacks()
        self._fit_callbacks = [*self._fit_callbacks, _StopOnNonFiniteLoss()]

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

    def _to_network(self, sequences):
        """User units to the standardised float32 units the network works in."""
        scaled = (sequences - self.channel_mean_) / self.channel_scale_
        return scaled.astype(np.float32, copy=False)

    def _to_user_units(self, _, network_sequences):
        """A chunk reducer mapping network output back to the user's units."""
        return network_sequences * self.channel_scale_ + self.channel_mean_

    def _predict_chunks(self, model, inputs, reduce_chunk=None, *, sequences_in=True):
        """Run ``model`` chunk by chunk, reducing each chunk as it comes.

        ``reduce_chunk(chunk, outputs)`` sees the chunk in the caller's units;
        ``sequences_in=False`` feeds latent vectors, which are not scaled.
        """
        reduce_chunk = reduce_chunk or (lambda _, outputs: outputs)
        prepare = self._to_network if sequences_in else _as_float32
        results = [
            reduce_chunk(chunk, _predict_on_batch(model, prepare(chunk)))
            for chunk in _chunks(inputs, _CHUNK_SIZE)
        ]
        return np.concatenate(results)

    # -- shared outputs --------------------------------------------------------

    def reconstruct(self, X):
        """Reconstruct sequences through the autoencoder.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps * n_channels) or \
                (n_samples, n_timesteps, n_channels)
            Sequences, in either layout.

        Returns
        -------
        X_reconstructed : ndarray of the same shape as ``X``
            The reconstruction, in ``X``'s own layout and units.
        """
        sequences = self._check_and_fold(X)
        reconstruction = self._predict_chunks(
            self.model_, sequences, self._to_user_units
        )
        return self._as_input_layout(reconstruction, input_ndim(X))

    def reconstruction_error(self, X, reduce="sample"):
        """Squared reconstruction error, averaged as ``reduce`` says.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps * n_channels) or \
                (n_samples, n_timesteps, n_channels)
            Sequences, in either layout.
        reduce : {"sample", "timestep", "channel"} or None, default="sample"
            ``"sample"``: mean over time steps and channels, shape
            ``(n_samples,)``; ``"timestep"``: mean over channels, shape
            ``(n_samples, n_timesteps)``, which phase of the sequence is off;
            ``"channel"``: mean over time steps, shape ``(n_samples,
            n_channels)``, which channel is off; ``None``: every squared
            error, shape ``(n_samples, n_timesteps, n_channels)``.

        Returns
        -------
        errors : ndarray
            Squared errors, in the squared units of ``X``.
        """
        if reduce not in _REDUCE_AXES:
            raise ValueError(
                "reduce must be one of 'sample', 'timestep', 'channel' or None; "
                f"got {reduce!r}."
            )
        return self._squared_errors(
            self._check_and_fold(X), _REDUCE_AXES[reduce], scale=self._error_scale()
        )

    def _error_scale(self):
        """What each squared error is divided by before it is averaged."""
        return 1.0

    def _squared_errors(self, sequences, axes=(1, 2), scale=1.0):
        def squared_error(chunk, reconstruction):
            # float64 (the channel statistics are), as scikit-learn's outlier
            # contract expects of scores.
            residual = self._to_user_units(chunk, reconstruction) - chunk
            return (np.square(residual) / scale).mean(axis=axes)

        return self._predict_chunks(self.model_, sequences, squared_error)

    def attention_weights(self, X):
        """Self-attention weights of each attention layer for sequences ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps * n_channels) or \
                (n_samples, n_timesteps, n_channels)
            Sequences, in either layout.

        Returns
        -------
        weights : dict of str to ndarray of shape (n_samples, n_timesteps, \
                n_timesteps)
            ``"encoder_attention"`` and ``"decoder_attention"``: row ``t`` of a
            sample's matrix says how much step ``t`` attends to each step.
        """
        sequences = self._check_and_fold(X)
        encoder = self.model_.get_layer("encoder")
        decoder = self.model_.get_layer("decoder")
        if not any(isinstance(layer, AttentionLayer) for layer in encoder.layers):
            raise ValueError(
                "attention_weights needs a network with attention; this "
                f"{type(self).__name__} was fitted with use_attention=False."
            )
        sequences_in = keras.Input(shape=encoder.input_shape[1:])
        attention_inputs = {
            "encoder_attention": _layer_input_model(encoder, "encoder_attention"),
            "decoder_attention": keras.Model(
                sequences_in,
                _layer_input_model(decoder, "decoder_attention")(encoder(sequences_in)),
            ),
        }
        attention_layers = {
            "encoder_attention": encoder.get_layer("encoder_attention"),
            "decoder_attention": decoder.get_layer("decoder_attention"),
        }
        return {
            name: self._predict_chunks(
                attention_inputs[name], sequences, _weights_of(layer)
            )
            for name, layer in attention_layers.items()
        }

    def score(self, X, y=None):
        """Minus the mean reconstruction error of ``X`` (higher is better).

        With this sign, ``GridSearchCV`` without a ``scoring`` argument picks
        the configuration that reconstructs best.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps * n_channels) or \
                (n_samples, n_timesteps, n_channels)
            Sequences.
        y : Ignored
            Not used, present for API consistency by convention.

        Returns
        -------
        score : float
            ``-mean(reconstruction_error(X))``.
        """
        return -float(np.mean(self.reconstruction_error(X)))

    # BaseWrapper.predict expects SciKeras's target encoders; each estimator
    # defines its own predict or has none.
    @available_if(lambda estimator: False)
    def predict(self, X):
        """Not available on this estimator."""


class _StopOnNonFiniteLoss(keras.callbacks.Callback):
    """Stop training at the end of the first epoch whose loss is NaN or inf.

    Unlike ``keras.callbacks.TerminateOnNaN``, it looks once per epoch: a
    check after every batch pulls the loss off the device each step and
    costs about a fifth of the training time of a small LSTM on the CPU.
    """

    def on_epoch_end(self, epoch, logs=None):
        if not np.isfinite((logs or {}).get("loss", 0.0)):
            self.model.stop_training = True


def _layer_input_model(network, layer_name):
    """The part of ``network`` that feeds its layer ``layer_name``."""
    return keras.Model(network.input, network.get_layer(layer_name).input)


def _weights_of(attention):
    """A chunk reducer that applies ``attention`` to its input, keeping weights."""

    def weights(_, attention_input):
        _, attention_weights = attention(attention_input, return_attention_scores=True)
        return keras.ops.convert_to_numpy(attention_weights)

    return weights


def _predict_on_batch(model, batch):
    """``model.predict_on_batch``, padded to the size the backend compiles best."""
    n_samples = len(batch)
    padding = _backend.padded_batch_size(n_samples) - n_samples
    if padding:
        batch = np.concatenate(
            [batch, np.zeros((padding, *batch.shape[1:]), batch.dtype)]
        )
    return np.asarray(model.predict_on_batch(batch))[:n_samples]


def _chunks(inputs, size):
    return (inputs[start : start + size] for start in range(0, len(inputs), size))


def _as_float32(inputs):
    return inputs.astype(np.float32, copy=False)


def _channel_statistics(sequences, standardize):
    """Per-channel mean and scale over samples and time steps (0 and 1 if off)."""
    n_channels = sequences.shape[-1]
    if not standardize:
        return np.zeros(n_channels), np.ones(n_channels)
    scale = sequences.std(axis=(0, 1), dtype=np.float64)
    # A constant channel keeps its values; dividing by 0 would make them NaN.
    return sequences.mean(axis=(0, 1), dtype=np.float64), np.where(
        scale > 0, scale, 1.0
    )


@contextmanager
def _training_jit_compile(model, jit_compile):
    """Train ``model`` with ``jit_compile``, then restore its own setting.

    Prediction keeps the model's own setting: on TensorFlow, XLA would compile
    it again for every new batch size, and single sequences are scored one at
    a time.
    """
    prediction_setting = model.jit_compile
    model.jit_compile = jit_compile
    try:
        yield
    finally:
        model.jit_compile = prediction_setting
