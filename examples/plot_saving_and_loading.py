"""
Saving and loading models safely
================================

Three ways to keep a trained model:

* a fitted estimator goes to a zip archive with
  :func:`~sklearn_lstmae.persistence.save_estimator`: the network as a
  ``.keras`` file and everything else as JSON, with no pickle in it, so it is
  safe to load from anywhere;
* a fitted scikit-learn estimator (or a pipeline holding one) goes through
  :mod:`pickle` or :mod:`joblib`, like any scikit-learn estimator;
* the Keras-level :class:`~sklearn_lstmae.LSTMAutoencoder` saves to a
  ``.keras`` file, which Keras loads in its safe mode.

.. warning::

   Loading a pickle runs code chosen by whoever wrote the file. Never load a
   pickle or joblib file from a source you do not trust. A ``.keras`` file
   loaded with :meth:`~sklearn_lstmae.LSTMAutoencoder.load` holds
   configuration and weights only; Keras's safe mode refuses code (lambda
   layers) stored in it.
"""

import json
import os
import pickle
from pathlib import Path
from tempfile import mkdtemp

import joblib
import numpy as np
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_lstmae import LSTMAnomalyDetector, LSTMAutoencoder, make_gait_cycles
from sklearn_lstmae.persistence import load_estimator, save_estimator

# Set LSTMAE_EXAMPLE_EPOCHS=2 for a quick run.
EPOCHS = int(os.environ.get("LSTMAE_EXAMPLE_EPOCHS", "10"))

X_train, _, _ = make_gait_cycles(200, random_state=0)
X_test, _, _ = make_gait_cycles(50, anomaly_fraction=0.2, random_state=1)
X_train_2d, X_test_2d = X_train.reshape(200, -1), X_test.reshape(50, -1)
folder = Path(mkdtemp())

# %%
# A fitted detector, without pickle
# ---------------------------------
# :func:`~sklearn_lstmae.persistence.save_estimator` writes the network as a
# ``.keras`` file and the parameters, threshold and training history as JSON.
# :func:`~sklearn_lstmae.persistence.load_estimator` rebuilds only this
# package's estimator classes and reads the network in Keras's safe mode:
# nothing in the file is executed. It saves a single estimator, so scale the
# data yourself (here per joint) and keep the statistics next to it.
mean, std = X_train.mean(axis=(0, 1)), X_train.std(axis=(0, 1))
plain_detector = LSTMAnomalyDetector(
    lstm_units=(16,), latent_dim=4, epochs=EPOCHS, random_state=0
).fit((X_train - mean) / std)
save_estimator(plain_detector, folder / "detector.zip")
safe_copy = load_estimator(folder / "detector.zip")
same = np.array_equal(
    safe_copy.score_samples((X_test - mean) / std),
    plain_detector.score_samples((X_test - mean) / std),
)
print(f"save_estimator: same scores after loading: {same}")

# %%
# A fitted pipeline, with joblib
# ------------------------------
# The whole pipeline, scaler and network weights included, goes into one
# file. The loaded copy scores exactly as the original: a saved model can be
# checked by comparing its outputs on a few known inputs.
detector = make_pipeline(
    StandardScaler(),
    LSTMAnomalyDetector(
        input_shape=(51, 2),
        lstm_units=(16,),
        latent_dim=4,
        epochs=EPOCHS,
        random_state=0,
    ),
)
detector.fit(X_train_2d)

joblib.dump(detector, folder / "detector.joblib")
loaded = joblib.load(folder / "detector.joblib")  # only files you trust!
same = np.array_equal(loaded.predict(X_test_2d), detector.predict(X_test_2d))
print(f"joblib: same labels after loading: {same}")
np.testing.assert_allclose(
    loaded.score_samples(X_test_2d), detector.score_samples(X_test_2d), rtol=1e-6
)

# %%
# :mod:`pickle` works the same way, in a file or, as here, in memory.
restored = pickle.loads(pickle.dumps(detector))  # only bytes you trust!
print(f"pickle: same threshold: {restored[-1].threshold_ == detector[-1].threshold_}")

# %%
# The Keras-level model, as a ``.keras`` file
# -------------------------------------------
# :class:`~sklearn_lstmae.LSTMAutoencoder` is driven like a Keras model; it
# expects inputs of unit scale, here each joint standardised with the
# training mean and standard deviation. :meth:`~sklearn_lstmae.LSTMAutoencoder.save`
# picks the format from the extension: ``.keras`` is the current Keras format
# (``.h5``, the legacy one, also loads, uncompiled).
autoencoder = LSTMAutoencoder(
    input_shape=(51, 2), latent_dim=4, lstm_units=[16], use_attention=True
)
autoencoder.compile(optimizer="adam", loss="mse")
autoencoder.fit((X_train - mean) / std, epochs=EPOCHS, verbose=0)

path = folder / "gait_autoencoder.keras"
autoencoder.save(path)
reloaded = LSTMAutoencoder.load(path)
latent = autoencoder.latent_representation((X_test - mean) / std, verbose=0)
latent_reloaded = reloaded.latent_representation((X_test - mean) / std, verbose=0)
print(f".keras: same latent vectors: {np.allclose(latent, latent_reloaded)}")
print(f".keras: attention kept: {reloaded.use_attention}")

# %%
# The ``.keras`` file holds the network only: keep the scaling statistics
# with it, e.g. in a small JSON file, which is as safe to load as the network.
scaling = {"mean": mean.tolist(), "std": std.tolist()}
(folder / "gait_autoencoder_scaling.json").write_text(json.dumps(scaling))
scaling = json.loads((folder / "gait_autoencoder_scaling.json").read_text())
print(f"scaling kept: {np.allclose(scaling['mean'], mean)}")
