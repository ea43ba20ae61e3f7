import warnings

import pytest

from sklearn_lstmae import make_gait_cycles

# Tiny networks: the tests check behaviour, not model quality at scale.
TINY = {"lstm_units": (4,), "latent_dim": 2, "epochs": 1, "batch_size": 16}


@pytest.fixture(autouse=True)
def _quiet_tensorflow():
    with warnings.catch_warnings():
        # TensorFlow's tf.data logs and NumPy 2.4's copy-keyword warning from
        # inside Keras's saving are known noise on the pinned stack.
        warnings.filterwarnings(
            "ignore", message=".*__array__ implementation doesn't accept a copy"
        )
        yield


@pytest.fixture(scope="session")
def gait():
    """Normal training cycles and labelled test cycles, degrees, (n, 51, 2)."""
    X_train, _, _ = make_gait_cycles(120, random_state=0)
    X_test, y_test, kinds_test = make_gait_cycles(
        200, anomaly_fraction=0.3, random_state=1
    )
    return X_train, X_test, y_test, kinds_test
