"""epochs="auto": a step budget, a decaying learning rate, early stopping."""

import math

import keras
import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from sklearn_lstmae import LSTMAnomalyDetector, LSTMAutoencoderTransformer
from sklearn_lstmae._schedule import AUTO_STEPS

from .conftest import TINY

AUTO = {**TINY, "epochs": "auto", "batch_size": 32}


@pytest.fixture(scope="module")
def noise():
    """White noise: a tiny network soon learns what it can, then the loss wanders."""
    return np.random.default_rng(0).normal(size=(80, 6, 1))


class _RecordLearningRate(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        rate = keras.ops.convert_to_numpy(self.model.optimizer.learning_rate)
        self.rates = [*getattr(self, "rates", []), float(rate)]


@pytest.mark.all_backends
def test_auto_stops_on_the_held_out_loss_and_restores_the_best_weights(noise):
    # No calibration_split: the last 20 of the 80 sequences are the held out.
    detector = LSTMAnomalyDetector(
        **AUTO,
        calibration_split=0,
        validation_split=0.25,
        optimizer__learning_rate=0.01,
        random_state=0,
    ).fit(noise)
    val_loss = detector.history_["val_loss"]
    # 60 training sequences, repeated within 50-step epochs: 16 epochs of
    # 50 steps are the budget.
    steps_per_epoch = int(detector.model_.optimizer.iterations) // len(val_loss)
    assert len(val_loss) < AUTO_STEPS / steps_per_epoch
    assert np.argmin(val_loss) < len(val_loss) - 1
    # The weights kept are those of the best epoch, not the last: one channel,
    # so the held-out loss in the network's standardised units is the error
    # divided by the squared channel scale.
    tail = noise[60:]
    held_out_loss = ((detector.reconstruct(tail) - tail) ** 2).mean() / (
        detector.channel_scale_[0] ** 2
    )
    assert held_out_loss == pytest.approx(min(val_loss), rel=1e-4)
    assert held_out_loss != pytest.approx(val_loss[-1], rel=1e-4)


@pytest.mark.all_backends
def test_an_int_epochs_means_exactly_that_many_passes(noise):
    detector = LSTMAnomalyDetector(
        **{**AUTO, "epochs": 25},
        calibration_split=0,
        validation_split=0.25,
        random_state=0,
    ).fit(noise)
    assert len(detector.history_["loss"]) == 25
    # 60 training sequences are 2 steps of 32: no repetition, no early stop.
    assert int(detector.model_.optimizer.iterations) == 25 * 2


@pytest.mark.parametrize(
    "Estimator, budget",
    [(LSTMAnomalyDetector, 800), (LSTMAutoencoderTransformer, 1200)],
)
def test_auto_trains_at_most_the_step_budget_in_epochs_of_50_steps(
    gait, Estimator, budget
):
    estimator = Estimator(**AUTO, random_state=0)
    if "calibration_split" in estimator.get_params():
        estimator.set_params(calibration_split=0)  # train on all 30
    estimator.fit(gait[0][:30])
    n_epochs = len(estimator.history_["loss"])
    # 30 cycles are one step of 32: "auto" repeats them 54 times in an epoch
    # of 51 steps, for at most 16 epochs (816 steps) or 24 (1,224); early
    # stopping may end it in the second half only.
    max_epochs = math.ceil(budget / 51)
    assert max_epochs / 2 <= n_epochs <= max_epochs
    assert int(estimator.model_.optimizer.iterations) == n_epochs * 51


class _SmallBudgetDetector(LSTMAnomalyDetector):
    """A real detector whose "auto" budget is 30 steps: 200 sequences exceed it."""

    _auto_steps = 30


@pytest.mark.all_backends
def test_auto_keeps_its_budget_on_more_data_than_one_budget_of_batches(noise):
    many = np.concatenate([noise, noise, noise[:40]])
    detector = _SmallBudgetDetector(**{**AUTO, "batch_size": 4}, random_state=0).fit(
        many
    )
    # 160 of the 200 sequences train (40 are held out to calibrate): 40
    # batches of 4, one epoch over all of them would be 40 steps; "auto"
    # stops at its 30.
    assert len(detector.history_["loss"]) == 1
    assert int(detector.model_.optimizer.iterations) == 30


@pytest.mark.all_backends
def test_auto_decays_the_rate_from_three_times_the_optimizers_and_gives_it_back(gait):
    recorder = _RecordLearningRate()
    transformer = LSTMAutoencoderTransformer(
        **AUTO, callbacks=[recorder], optimizer__learning_rate=2e-3, random_state=0
    ).fit(gait[0][:30])
    rates = recorder.rates
    assert rates[0] == pytest.approx(6e-3, rel=1e-5)
    assert np.all(np.diff(rates) < 0)
    rate_after_fit = keras.ops.convert_to_numpy(
        transformer.model_.optimizer.learning_rate
    )
    assert float(rate_after_fit) == pytest.approx(2e-3, rel=1e-5)
    # A later partial_fit trains at the optimizer's own rate.
    transformer.partial_fit(gait[0][:30])
    assert recorder.rates[-1] == pytest.approx(2e-3, rel=1e-5)


class _CtrlCInSecondEpoch(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        if epoch == 1:
            raise KeyboardInterrupt


def test_an_interrupted_auto_fit_gives_the_optimizer_its_rate_back(gait):
    transformer = LSTMAutoencoderTransformer(
        **AUTO, callbacks=[_CtrlCInSecondEpoch()], random_state=0
    )
    with pytest.warns(ConvergenceWarning, match="after 1 of 24 epochs"):
        transformer.fit(gait[0][:30])
    rate = keras.ops.convert_to_numpy(transformer.model_.optimizer.learning_rate)
    assert float(rate) == pytest.approx(1e-3, rel=1e-5)


def test_an_optimizers_own_schedule_is_left_alone(gait):
    decay = keras.optimizers.schedules.ExponentialDecay(1e-3, 100, 0.5)
    recorder = _RecordLearningRate()
    transformer = LSTMAutoencoderTransformer(
        **AUTO,
        optimizer=keras.optimizers.Adam(learning_rate=decay),
        callbacks=[recorder],
        random_state=0,
    ).fit(gait[0][:30])
    steps = int(transformer.model_.optimizer.iterations)
    assert recorder.rates[-1] == pytest.approx(1e-3 * 0.5 ** (steps / 100), rel=1e-4)
