"""
Latent features for a classifier, tuned with GridSearchCV
=========================================================

:class:`~sklearn_lstmae.LSTMAutoencoderTransformer` is a scikit-learn
transformer: its latent features can feed any classifier in a
:class:`~sklearn.pipeline.Pipeline`, and :class:`~sklearn.model_selection.GridSearchCV`
tunes the autoencoder and the classifier together. Here the pipeline tells
the kind of a gait cycle from :func:`~sklearn_lstmae.make_gait_cycles`:
normal, stiff knee, crouch gait or sensor artefact.
"""

import os
from tempfile import mkdtemp

import matplotlib.pyplot as plt
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import ConfusionMatrixDisplay
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_lstmae import LSTMAutoencoderTransformer, make_gait_cycles
from sklearn_lstmae.plotting import LatentSpaceDisplay

# Set LSTMAE_EXAMPLE_EPOCHS=2 for a quick run; LSTMAE_FIGURES_DIR to save figures.
EPOCHS = int(os.environ.get("LSTMAE_EXAMPLE_EPOCHS", "12"))
FIGURES_DIR = os.environ.get("LSTMAE_FIGURES_DIR")


def save_figure(figure, name):
    """Write ``figure`` to ``$LSTMAE_FIGURES_DIR/<name>.png`` when it is set."""
    if FIGURES_DIR:
        os.makedirs(FIGURES_DIR, exist_ok=True)
        figure.savefig(os.path.join(FIGURES_DIR, f"{name}.png"), dpi=120)


# %%
# Data
# ----
# 300 cycles, 60 % of them abnormal, split evenly over the three kinds. The
# cycles are flattened time-major, ``X.reshape(n, -1)``, so that a
# ``StandardScaler`` can come first in the pipeline.
X, _, kinds = make_gait_cycles(300, anomaly_fraction=0.6, random_state=0)
X_train, X_test, kinds_train, kinds_test = train_test_split(
    X.reshape(len(X), -1), kinds, test_size=0.3, stratify=kinds, random_state=0
)

# %%
# The pipeline
# ------------
# Scaler, autoencoder, logistic regression. ``memory`` caches the fitted
# scaler and autoencoder, so trying several values of the classifier's ``C``
# does not retrain the network for each of them.
pipeline = Pipeline(
    [
        ("scale", StandardScaler()),
        (
            "autoencoder",
            LSTMAutoencoderTransformer(
                input_shape=(51, 2), lstm_units=(16,), epochs=EPOCHS, random_state=0
            ),
        ),
        ("classify", LogisticRegression(max_iter=1000)),
    ],
    memory=mkdtemp(),
)

# %%
# Tuning
# ------
# The grid crosses the width of the latent space with the regularisation of
# the classifier. ``GridSearchCV`` scores with the classifier's accuracy.
# Thanks to ``memory``, the 2-fold search trains 2 x 2 autoencoders, not
# 4 x 2, then one more on all the training data. ``n_jobs=1``: TensorFlow
# already uses every core in each fit.
search = GridSearchCV(
    pipeline,
    {"autoencoder__latent_dim": [2, 6], "classify__C": [0.1, 10.0]},
    cv=2,
    n_jobs=1,
)
search.fit(X_train, kinds_train)
results = pd.DataFrame(search.cv_results_)
print(
    results[["param_autoencoder__latent_dim", "param_classify__C", "mean_test_score"]]
    .sort_values("mean_test_score", ascending=False)
    .to_string(index=False)
)
print(f"best: {search.best_params_}")
print(f"test accuracy: {search.score(X_test, kinds_test):.3f}")

# %%
# For comparison, the same classifier on the 102 standardised angles, with no
# autoencoder. The latent features are a few numbers per cycle instead of
# 102; the comparison shows what that compression keeps.
raw = Pipeline([("scale", StandardScaler()), ("classify", LogisticRegression())])
raw.fit(X_train, kinds_train)
print(f"raw angles, test accuracy: {raw.score(X_test, kinds_test):.3f}")

# %%
# Which kinds get confused: the confusion matrix of the tuned pipeline on the
# test cycles. Stiff-knee and crouch cycles change the shape of a whole phase
# and are told apart well. Artefacts, a spike or a dropout over a few samples,
# are mostly taken for normal cycles: the autoencoder smooths them away.
# That is why its reconstruction error flags them well (see the anomaly
# detection example) while its latent features do not describe them.
figure, ax = plt.subplots(figsize=(5.6, 4.6), layout="constrained")
ConfusionMatrixDisplay.from_estimator(search, X_test, kinds_test, ax=ax)
ax.set_title("Tuned pipeline on the test cycles")
save_figure(figure, "confusion_matrix")

# %%
# The latent space of the tuned autoencoder (the pipeline without its
# classifier), coloured by kind. With more than two latent features the
# display shows their first two principal components.
encoder = search.best_estimator_[:-1]
display = LatentSpaceDisplay.from_estimator(encoder, X_test, kinds_test)
save_figure(display.figure_, "latent_space_by_kind")

plt.show()
