"""Training a built network: the ``"auto"`` budget, the NaN stop, Ctrl-C.

:func:`train` is where every network of the estimators learns, from ``fit``
and ``partial_fit`` alike; :func:`split_off_validation` decides which
sequences it learns from. The schedule of ``epochs="auto"`` itself is in
``_schedule.py``.
"""

import math
import warnings

import keras
import numpy as np
from sklearn.exceptions import ConvergenceWarning

from ._schedule import AutoSchedule, auto_epochs

__all__ = ["split_off_validation", "train"]


def split_off_validation(sequences, validation_split):
    """Keras's ``validation_split``: the training head and the held-out tail.

    The tail is None when ``validation_split`` is 0. A split that leaves
    nothing on one side is a ``ValueError``, raised before anything is built.
    """
    if validation_split == 0:
        return sequences, None
    start = math.floor(len(sequences) * (1.0 - validation_split))
    if start in (0, len(sequences)):
        raise ValueError(
            f"validation_split={validation_split} of {len(sequences)} "
            "samples leaves no sample to train on or none to validate on. "
            "Pass more samples or another validation_split."
        )
    return sequences[:start], sequences[start:]


def train(
    model,
    training,
    held_out,
    *,
    epochs,
    budget,
    initial_epoch,
    callbacks,
    fit_args,
    owner="estimator",
):
    """Train ``model`` to reconstruct ``training``; return the epochs' history.

    Parameters
    ----------
    model : keras.Model
        A built, compiled autoencoder.
    training : ndarray of shape (n_samples, n_timesteps, n_channels)
        Sequences in the network's units (standardised float32).
    held_out : ndarray or None
        Sequences in the same units that give ``val_loss``, or None.
    epochs : int or "auto"
        Epochs to run; ``"auto"`` trains for at most ``budget`` optimizer
        steps, the training set repeated within each epoch when it is small,
        under :class:`~sklearn_lstmae._schedule.AutoSchedule`.
    budget : int
        The optimizer steps of ``"auto"``.
    initial_epoch : int
        The epoch to count from (the epochs already run when training on).
    callbacks : list of keras.callbacks.Callback
        The user's callbacks; a stop at the first non-finite epoch loss, the
        schedule and a ``History`` are added after them.
    fit_args : dict
        Further arguments of ``keras.Model.fit``, ``batch_size`` among them.
    owner : str
        Who trains, for the warning after a ``KeyboardInterrupt``.

    Returns
    -------
    history : dict of str to list
        The epochs run, under Keras's names (``History.history``). After Ctrl-C
        training stops with the weights reached, a ``ConvergenceWarning``
        says so, and the epochs run so far are returned.
    """
    batch_size = fit_args["batch_size"]
    validation_data = None if held_out is None else (held_out, held_out)
    schedule = None
    steps_per_epoch = fit_args.get("steps_per_epoch")
    if epochs == "auto":
        epochs, repeats, steps_per_epoch = auto_epochs(
            len(training), batch_size, budget
        )
        if repeats > 1:
            training = np.tile(training, (repeats, 1, 1))
        schedule = AutoSchedule(epochs, "loss" if held_out is None else "val_loss")
        # Keras takes an epoch of steps_per_epoch batches as the next batches
        # of one pass over the data, not the first ones again.
        fit_args = {**fit_args, "steps_per_epoch": steps_per_epoch}
    # Keras records the epochs into this History instead of its own, so that
    # an interrupted fit still knows which epochs ran.
    epochs_run = keras.callbacks.History()
    ours = [_StopOnNonFiniteLoss(), *([] if schedule is None else [schedule])]
    try:
        model.fit(
            training,
            training,
            **fit_args,
            epochs=initial_epoch + epochs,
            initial_epoch=initial_epoch,
            # Split already: Keras would take its tail of the repeated data.
            validation_split=0.0,
            validation_data=validation_data,
            callbacks=[*callbacks, *ours, epochs_run],
        )
    except KeyboardInterrupt:
        _warn_interrupted(owner, len(epochs_run.history.get("loss", [])), epochs)
    finally:
        if schedule is not None:
            schedule.restore_learning_rate()
    return epochs_run.history


def _warn_interrupted(owner, n_epochs_run, n_epochs):
    # As in skorch, the user gets a usable estimator: the fit goes on to
    # calibrate on the weights reached.
    warnings.warn(
        f"Training was interrupted (KeyboardInterrupt) after {n_epochs_run} of "
        f"{n_epochs} epochs. This {owner} keeps the weights reached and is "
        "fitted on them.",
        ConvergenceWarning,
        stacklevel=5,
    )


class _StopOnNonFiniteLoss(keras.callbacks.Callback):
    """Stop training at the end of the first epoch whose loss is NaN or inf.

    Unlike ``keras.callbacks.TerminateOnNaN``, it looks once per epoch: a
    check after every batch pulls the loss off the device each step and
    costs about a fifth of the training time of a small LSTM on the CPU.
    """

    def on_epoch_end(self, epoch, logs=None):
        if not np.isfinite((logs or {}).get("loss", 0.0)):
            self.model.stop_training = True
