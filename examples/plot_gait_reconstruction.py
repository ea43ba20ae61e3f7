"""
Reconstructing gait cycles
==========================

An :class:`~sklearn_lstmae.LSTMAutoencoderTransformer` compresses each gait
cycle, 51 samples of hip and knee flexion, into a few latent features and
rebuilds the cycle from them. This example trains one on normal cycles from
:func:`~sklearn_lstmae.make_gait_cycles`, checks how closely it reconstructs
new cycles, in degrees, and looks at what its latent space has learned.
"""

import os

import matplotlib.pyplot as plt
import numpy as np
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_lstmae import LSTMAutoencoderTransformer, make_gait_cycles
from sklearn_lstmae.datasets import CHANNELS
from sklearn_lstmae.plotting import LatentSpaceDisplay, ReconstructionDisplay

# Set LSTMAE_EXAMPLE_EPOCHS=2 for a quick run; LSTMAE_FIGURES_DIR to save figures.
EPOCHS = int(os.environ.get("LSTMAE_EXAMPLE_EPOCHS", "40"))
FIGURES_DIR = os.environ.get("LSTMAE_FIGURES_DIR")


def save_figure(figure, name):
    """Write ``figure`` to ``$LSTMAE_FIGURES_DIR/<name>.png`` when it is set."""
    if FIGURES_DIR:
        os.makedirs(FIGURES_DIR, exist_ok=True)
        figure.savefig(os.path.join(FIGURES_DIR, f"{name}.png"), dpi=120)


# %%
# Data and model
# --------------
# ``X`` has shape ``(n_cycles, 51, 2)``: 51 points of the gait cycle (0 to
# 100 %), hip and knee flexion in degrees. Flattened time-major with
# ``X.reshape(n, -1)`` it can go through a ``StandardScaler``, which
# standardises every point of every joint; ``input_shape=(51, 2)`` tells the
# autoencoder how to fold the 102 columns back into sequences. LSTMs train
# poorly on raw degrees, so some such scaling is needed.
X_train, _, _ = make_gait_cycles(300, random_state=0)
X_test, y_test, kinds_test = make_gait_cycles(150, anomaly_fraction=0.3, random_state=1)
X_train_2d, X_test_2d = X_train.reshape(300, -1), X_test.reshape(150, -1)
percent = np.linspace(0, 100, 51)

autoencoder = make_pipeline(
    StandardScaler(),
    LSTMAutoencoderTransformer(
        input_shape=(51, 2),
        lstm_units=(32,),
        latent_dim=6,
        epochs=EPOCHS,
        validation_split=0.2,
        random_state=0,
    ),
)
autoencoder.fit(X_train_2d)

# %%
# Training curve
# --------------
# ``history_`` keeps Keras's loss per epoch, on the training cycles and on the
# 20 % held out by ``validation_split``. Curves that end close together mean
# the network has not memorised its training cycles; a loss still falling at
# the last epoch means more epochs would reconstruct better (40 keep this
# example under a minute on two CPU cores).
history = autoencoder[-1].history_
figure, ax = plt.subplots(figsize=(6.4, 3.6), layout="constrained")
ax.plot(history["loss"], label="training")
ax.plot(history["val_loss"], label="validation")
ax.set(xlabel="epoch", ylabel="mean squared error (standardised)")
ax.set_title("Training curve")
ax.legend()
save_figure(figure, "training_curve")

# %%
# Reconstruction error in degrees
# -------------------------------
# ``reconstruct`` works on what the last pipeline step sees; the scaler's
# ``inverse_transform`` brings it back to degrees. The baseline predicts the
# mean training cycle for every cycle.
normal_test = X_test_2d[y_test == 1]
standardised = autoencoder[:-1].transform(normal_test)
reconstruction = autoencoder[:-1].inverse_transform(
    autoencoder[-1].reconstruct(standardised)
)
rmse = np.sqrt(np.mean((reconstruction - normal_test) ** 2))
baseline = np.sqrt(np.mean((X_train_2d.mean(axis=0) - normal_test) ** 2))
print(f"autoencoder RMSE on normal test cycles: {rmse:.2f} deg")
print(f"mean-cycle RMSE:                        {baseline:.2f} deg")

# %%
# :class:`~sklearn_lstmae.plotting.ReconstructionDisplay` does the same for
# one cycle, pipeline included, and draws it against the band of normal
# training cycles (mean +- 2 standard deviations at each point).
display = ReconstructionDisplay.from_estimator(
    autoencoder,
    normal_test,
    index=0,
    X_normal=X_train_2d,
    time=percent,
    channel_names=CHANNELS,
    xlabel="gait cycle (%)",
    ylabel="flexion (deg)",
)
display.figure_.suptitle("A normal test cycle")
save_figure(display.figure_, "normal_reconstruction")

# %%
# An autoencoder trained on normal cycles rebuilds what it knows. Given a
# crouch-gait cycle, whose knee stays flexed through stance, the
# reconstruction falls back towards normal gait: the gap between the two
# curves is what :class:`~sklearn_lstmae.LSTMAnomalyDetector` scores.
crouch = int(np.flatnonzero(kinds_test == "crouch")[0])
display = ReconstructionDisplay.from_estimator(
    autoencoder,
    X_test_2d,
    index=crouch,
    X_normal=X_train_2d,
    time=percent,
    channel_names=CHANNELS,
    xlabel="gait cycle (%)",
    ylabel="flexion (deg)",
)
display.figure_.suptitle("A crouch-gait cycle")
save_figure(display.figure_, "crouch_reconstruction")

# %%
# Latent space
# ------------
# ``transform`` maps each cycle to its 6 latent features;
# :class:`~sklearn_lstmae.plotting.LatentSpaceDisplay` shows their first two
# principal components, coloured by the kind of cycle. The network never saw
# an abnormal cycle, yet crouch and stiff-knee cycles land apart from the
# normal ones; artefacts, a few corrupted samples, mostly do not.
display = LatentSpaceDisplay.from_estimator(autoencoder, X_test_2d, kinds_test)
save_figure(display.figure_, "latent_space")

plt.show()
