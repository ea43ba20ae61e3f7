"""How ``epochs="auto"`` trains: a step budget, a decaying rate, early stopping.

The measurements behind the numbers are in the user guide ("Training
defaults") and ``benchmarks/README.md``.
"""

import math

import keras
import numpy as np

__all__ = ["AUTO_STEPS", "AutoSchedule", "auto_epochs"]

# epochs="auto" trains the detector for at most this many optimizer steps,
# whatever the data size; the transformer sets its own budget.
AUTO_STEPS = 800
# A small training set is repeated within an epoch up to this many steps:
# Keras's fixed cost per epoch would dominate 1-step epochs, and the schedule
# below acts once per epoch.
_MIN_STEPS_PER_EPOCH = 50
# The rate starts at this multiple of the optimizer's own and decays along a
# cosine towards zero over the budget.
_PEAK_FACTOR = 3.0
# Training stops when the monitored loss has not fallen below (1 - _TOLERANCE)
# times its best for _PATIENCE epochs.
_TOLERANCE = 0.01
_PATIENCE = 4


def auto_epochs(n_training, batch_size, n_steps=AUTO_STEPS):
    """Epochs, how often each repeats the training data, and steps per epoch.

    A training set larger than one budget's batches gets one epoch of
    ``n_steps`` steps, which sees part of it: an epoch over all of it would
    run past the budget (a million sequences: 31,250 steps instead of 800).
    """
    repeats = math.ceil(_MIN_STEPS_PER_EPOCH * batch_size / n_training)
    steps_per_epoch = min(math.ceil(n_training * repeats / batch_size), n_steps)
    return math.ceil(n_steps / steps_per_epoch), repeats, steps_per_epoch


class AutoSchedule(keras.callbacks.Callback):
    """Cosine-decayed learning rate and early stopping with the best weights.

    Once per epoch (the JAX trainer reads variables back only between
    epochs): the learning rate is set to ``_PEAK_FACTOR`` times the
    optimizer's rate, decayed along a cosine over ``n_epochs``. An optimizer
    with a learning-rate schedule of its own keeps it. ``monitor`` is
    ``"val_loss"`` when there is held-out data, else ``"loss"``, the
    training loss averaged over an epoch of at least 50 steps; training stops
    in the second half of the schedule once it has not fallen by
    ``_TOLERANCE`` for ``_PATIENCE`` epochs. At the end,
    the weights of the best epoch are restored. The caller then calls
    :meth:`restore_learning_rate` (Keras skips ``on_train_end`` after a
    ``KeyboardInterrupt``), so that a later ``partial_fit`` or warm start
    uses the optimizer's own rate.

    Parameters
    ----------
    n_epochs : int
        Epochs the schedule spans.
    monitor : {"loss", "val_loss"}
        Which logged loss decides when to stop and which weights are best.
    """

    def __init__(self, n_epochs, monitor):
        super().__init__()
        self.n_epochs = n_epochs
        self.monitor = monitor

    def on_train_begin(self, logs=None):
        learning_rate = self.model.optimizer.learning_rate
        self._own_rate = (
            float(keras.ops.convert_to_numpy(learning_rate))
            if isinstance(learning_rate, keras.Variable)
            else None
        )
        self._first_epoch = None
        self._best_loss = np.inf
        self._best_weights = None
        self._epochs_without_progress = 0

    def on_epoch_begin(self, epoch, logs=None):
        if self._first_epoch is None:
            self._first_epoch = epoch
        if self._own_rate is not None:
            progress = (epoch - self._first_epoch) / self.n_epochs
            decay = 0.5 * (1.0 + math.cos(math.pi * progress))
            self.model.optimizer.learning_rate = self._own_rate * _PEAK_FACTOR * decay

    def on_epoch_end(self, epoch, logs=None):
        loss = (logs or {}).get(self.monitor, np.nan)
        if loss < self._best_loss * (1.0 - _TOLERANCE):
            self._epochs_without_progress = 0
        else:
            self._epochs_without_progress += 1
        if loss < self._best_loss:
            self._best_loss = loss
            self._best_weights = self.model.get_weights()
        # Not in the first half: on ArrowHead (12 sequences of 251 steps) the
        # loss stalled for 4 early epochs, and stopping there left the
        # detector at 6 times PCA's error (benchmarks/README.md).
        second_half = epoch - self._first_epoch >= self.n_epochs / 2
        if second_half and self._epochs_without_progress >= _PATIENCE:
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self._best_weights is not None:
            self.model.set_weights(self._best_weights)

    def restore_learning_rate(self):
        """Give the optimizer its own rate back; also after an interrupted fit."""
        if getattr(self, "_own_rate", None) is not None:
            self.model.optimizer.learning_rate = self._own_rate
