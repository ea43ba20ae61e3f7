"""What differs between Keras backends, and archives that cross them."""

import ast
import importlib.util
import os
import random
import subprocess
import sys
import textwrap
from pathlib import Path

import keras
import numpy as np
import pytest
from keras.src.backend.common import global_state

import sklearn_lstmae
from sklearn_lstmae import (
    LSTMAnomalyDetector,
    LSTMAutoencoderTransformer,
    _backend,
    make_gait_cycles,
)
from sklearn_lstmae.persistence import load_estimator, save_estimator

from .conftest import TINY

X, _, _ = make_gait_cycles(30, random_state=0)
FRAMEWORKS = {"tensorflow", "jax", "jaxlib", "torch"}


def test_no_module_imports_a_backend_framework():
    package = Path(sklearn_lstmae.__file__).parent
    imports = []
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            imports += [
                (path.name, name) for name in names if name.split(".")[0] in FRAMEWORKS
            ]
    assert imports == []


def _global_draws():
    """One draw from each global generator that a seeded fit sets."""
    draws = [random.random(), np.random.random()]  # noqa: NPY002
    if _backend.name() == "torch":
        draws.append(float(sys.modules["torch"].rand(1)))
    return draws


def _seed_globals():
    random.seed(1)
    np.random.seed(1)  # noqa: NPY002 (the legacy global is what is restored)
    if _backend.name() == "torch":
        sys.modules["torch"].manual_seed(1)


@pytest.mark.all_backends
def test_a_seeded_fit_restores_the_global_generators():
    keras_seed = global_state.get_global_attribute("global_random_seed")
    _seed_globals()
    expected = _global_draws()
    _seed_globals()
    LSTMAnomalyDetector(**TINY, dropout_rate=0.5, random_state=0).fit(X)
    assert _global_draws() == expected
    assert global_state.get_global_attribute("global_random_seed") == keras_seed


class _RecordJitCompile(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.in_training = self.model.jit_compile


@pytest.mark.all_backends
def test_long_trainings_compile_as_keras_chooses():
    # 1,200 steps, the transformer's "auto" budget. TensorFlow never frees
    # what XLA compiles for a model, so no step count switches it on.
    recorder = _RecordJitCompile()
    transformer = LSTMAutoencoderTransformer(
        **{**TINY, "epochs": "auto"}, callbacks=[recorder], random_state=0
    ).fit(X)
    # JAX compiles every step (run eagerly, an LSTM is dispatched op by op);
    # TensorFlow on a CPU and PyTorch run without XLA.
    expected = {"tensorflow": False, "jax": True, "torch": False}[_backend.name()]
    assert recorder.in_training is expected
    assert transformer.model_.jit_compile is expected


@pytest.mark.all_backends
@pytest.mark.parametrize(
    "n_samples, padded", [(1, 1), (2, 2), (3, 4), (5, 8), (4096, 4096)]
)
def test_prediction_batches_are_padded_only_where_compiling_per_shape(
    n_samples, padded
):
    expected = padded if _backend.name() == "jax" else n_samples
    assert _backend.padded_batch_size(n_samples) == expected


@pytest.mark.all_backends
def test_padded_prediction_equals_one_sample_at_a_time():
    detector = LSTMAnomalyDetector(**TINY, random_state=0).fit(X)
    together = detector.score_samples(X[:5])
    alone = np.concatenate([detector.score_samples(X[i : i + 1]) for i in range(5)])
    np.testing.assert_allclose(together, alone, rtol=1e-5)


def _other_backend():
    other = "jax" if _backend.name() == "tensorflow" else "tensorflow"
    if importlib.util.find_spec(other) is None:
        pytest.skip(reason=f"the {other} backend is not installed")
    return other


def _run_under(backend, code, tmp_path):
    """Run ``code`` in a fresh process under ``backend``; it sees ``tmp_path``."""
    script = textwrap.dedent(
        f"""
        import numpy as np
        from pathlib import Path
        from sklearn_lstmae import LSTMAnomalyDetector, make_gait_cycles
        from sklearn_lstmae.persistence import load_estimator, save_estimator
        X, _, _ = make_gait_cycles(30, random_state=0)
        tmp = Path({str(tmp_path)!r})
        """
    ) + textwrap.dedent(code)
    environment = {**os.environ, "KERAS_BACKEND": backend}
    result = subprocess.run(
        [sys.executable, "-c", script],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]


def test_archive_written_here_scores_the_same_under_another_backend(tmp_path):
    other = _other_backend()
    detector = LSTMAnomalyDetector(
        **TINY, use_attention=True, contamination=0.1, random_state=0
    ).fit(X)
    save_estimator(detector, tmp_path / "detector.zip")
    _run_under(
        other,
        """
        restored = load_estimator(tmp / "detector.zip")
        np.save(tmp / "scores.npy", restored.score_samples(X))
        np.save(tmp / "labels.npy", restored.predict(X))
        """,
        tmp_path,
    )
    np.testing.assert_allclose(
        np.load(tmp_path / "scores.npy"), detector.score_samples(X), rtol=1e-5
    )
    np.testing.assert_array_equal(np.load(tmp_path / "labels.npy"), detector.predict(X))


def test_archive_written_under_another_backend_scores_the_same_here(tmp_path):
    other = _other_backend()
    _run_under(
        other,
        """
        detector = LSTMAnomalyDetector(lstm_units=(4,), latent_dim=2, epochs=1,
                                       use_attention=True, random_state=0).fit(X)
        save_estimator(detector, tmp / "detector.zip")
        np.save(tmp / "scores.npy", detector.score_samples(X))
        """,
        tmp_path,
    )
    restored = load_estimator(tmp_path / "detector.zip")
    np.testing.assert_allclose(
        restored.score_samples(X), np.load(tmp_path / "scores.npy"), rtol=1e-5
    )
    # Training continues from the archive's weights under this backend.
    restored.partial_fit(X)
    assert len(restored.history_["loss"]) == 2
