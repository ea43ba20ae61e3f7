import pickle

import keras
import numpy as np
import pytest
from sklearn.base import clone

from sklearn_lstmae import LSTMAnomalyDetector, LSTMAutoencoderTransformer

from .conftest import TINY

ROUTED = {
    "optimizer__learning_rate": 0.01,
    "fit__shuffle": False,
    "compile__jit_compile": False,
}


@pytest.mark.all_backends
@pytest.mark.parametrize("cls", [LSTMAutoencoderTransformer, LSTMAnomalyDetector])
def test_routed_parameters_round_trip_get_params_set_params_and_clone(cls):
    estimator = cls(latent_dim=3, **ROUTED)
    params = estimator.get_params()
    assert {name: params[name] for name in ROUTED} == ROUTED
    assert params["latent_dim"] == 3

    cloned = clone(estimator)
    assert cloned.get_params() == params
    assert cls().set_params(**params).get_params() == params

    cloned.set_params(optimizer__learning_rate=0.1, loss__reduction="sum")
    assert cloned.get_params()["optimizer__learning_rate"] == 0.1
    assert clone(cloned).get_params()["loss__reduction"] == "sum"
    assert estimator.get_params()["optimizer__learning_rate"] == 0.01
    with pytest.raises(ValueError, match="Invalid parameter not_a_parameter"):
        cloned.set_params(not_a_parameter=1)


def test_routed_fit_arguments_reach_keras_fit(gait):
    X = gait[0][:48]
    shuffled, in_order = (
        LSTMAutoencoderTransformer(**TINY, random_state=0, fit__shuffle=shuffle).fit(X)
        for shuffle in (True, False)
    )
    assert not np.array_equal(shuffled.transform(X), in_order.transform(X))
    again = LSTMAutoencoderTransformer(**TINY, random_state=0, fit__shuffle=False)
    np.testing.assert_array_equal(again.fit(X).transform(X), in_order.transform(X))


class _EpochCounter(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.n_epochs = 0

    def on_epoch_end(self, epoch, logs=None):
        self.n_epochs += 1


@pytest.mark.all_backends
def test_an_unpickled_estimator_trains_on_with_its_callbacks(gait):
    X = gait[0][:32]
    detector = LSTMAnomalyDetector(
        **TINY, callbacks=[_EpochCounter()], random_state=0
    ).fit(X)
    restored = pickle.loads(pickle.dumps(detector))
    restored.partial_fit(X)
    assert len(restored.history_["loss"]) == len(detector.history_["loss"]) + 1
    assert restored.callbacks[0].n_epochs == detector.callbacks[0].n_epochs + 1
    np.testing.assert_array_equal(
        detector.score_samples(X),
        pickle.loads(pickle.dumps(detector)).score_samples(X),
    )
