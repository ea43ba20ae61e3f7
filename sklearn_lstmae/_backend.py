"""The little that differs between Keras backends, behind one face.

The package runs on whichever backend Keras was started with (TensorFlow,
JAX or PyTorch, chosen by the user through ``KERAS_BACKEND``) and never
imports a backend framework itself: everything else goes through ``keras``
and ``keras.ops``. What cannot, lives here:

- :func:`seeded`: seeding for one fit, with every global generator that
  ``keras.utils.set_random_seed`` touches put back afterwards. TensorFlow's
  and PyTorch's generators are reached through the modules Keras has already
  loaded, never imported from here.
- :func:`padded_batch_size`: the batch size at which to predict, so that JAX
  compiles its prediction function for a few shapes, not for every one, and
  :func:`predict_on_batch`, which predicts at that size.

Compilation is Keras's own choice on every backend (JAX compiles every step,
TensorFlow on a CPU and PyTorch run without XLA) unless the user routes
``compile__jit_compile``. XLA would train TensorFlow's long fits on the CPU
10-20 % faster, but TensorFlow never frees the code it compiles for a model:
about 1,300 memory mappings stay behind after every default transformer fit,
and a process that fits some forty to fifty models (a grid search, a
benchmark) aborts at Linux's default limit of 65,530 ("LLVM compilation
error: Cannot allocate memory"; ``benchmarks/README.md``, "No XLA for long
trainings").
"""

import random
import sys
from contextlib import contextmanager

import keras
import numpy as np
from keras.src.backend.common import global_state
from sklearn.utils import check_random_state

__all__ = [
    "name",
    "padded_batch_size",
    "predict_on_batch",
    "seeded",
]


def name():
    """The Keras backend this process runs: "tensorflow", "jax" or "torch"."""
    return keras.backend.backend()


def padded_batch_size(n_samples):
    """The batch size at which to predict ``n_samples`` sequences.

    JAX compiles the prediction function once per input shape, about a second
    for an LSTM on the CPU: scoring 1, 2, 3, ... sequences would compile each
    time. Padded up to a power of two, a model compiles at most 13 shapes up to
    the inference chunk of 4,096. TensorFlow relaxes the shape after its first
    retrace and PyTorch does not compile, so they predict at the size given.
    """
    if name() != "jax":
        return n_samples
    return 1 << (n_samples - 1).bit_length()


def predict_on_batch(model, batch):
    """``model.predict_on_batch`` as NumPy, padded to :func:`padded_batch_size`."""
    n_samples = len(batch)
    padding = padded_batch_size(n_samples) - n_samples
    if padding:
        batch = np.concatenate(
            [batch, np.zeros((padding, *batch.shape[1:]), batch.dtype)]
        )
    return np.asarray(model.predict_on_batch(batch))[:n_samples]


@contextmanager
def seeded(random_state):
    """Seed Python, NumPy, Keras and the backend; restore all of them after.

    ``None`` leaves every generator alone. Keras seeds TensorFlow's global
    generator whenever TensorFlow is installed (its ``tf.data`` pipelines may
    shuffle), whatever the backend, and PyTorch's on the torch backend.
    """
    if random_state is None:
        yield
        return
    seed = int(check_random_state(random_state).randint(np.iinfo(np.int32).max))
    python_state = random.getstate()
    numpy_state = np.random.get_state()  # noqa: NPY002 (restoring the legacy global)
    keras_seed = global_state.get_global_attribute("global_random_seed")
    torch_state = _torch_generator_state()
    keras.utils.set_random_seed(seed)
    try:
        yield
    finally:
        random.setstate(python_state)
        np.random.set_state(numpy_state)  # noqa: NPY002
        global_state.set_global_attribute("global_random_seed", keras_seed)
        global_state.set_global_attribute("global_seed_generator", None)
        _restore_framework_generators(keras_seed, torch_state)


def _torch_generator_state():
    """PyTorch's CPU and CUDA generator states, which ``manual_seed`` sets."""
    if name() != "torch":
        return None
    torch = sys.modules["torch"]
    cuda_states = torch.cuda.get_rng_state_all() if torch.cuda.is_available() else []
    return torch.random.get_rng_state(), cuda_states


def _restore_framework_generators(keras_seed, torch_state):
    # set_random_seed loaded TensorFlow if it is installed; a process that
    # never loaded it has no TensorFlow generator to restore.
    tensorflow = sys.modules.get("tensorflow")
    if tensorflow is not None:
        tensorflow.random.set_seed(keras_seed)
    if torch_state is not None:
        torch = sys.modules["torch"]
        cpu_state, cuda_states = torch_state
        torch.random.set_rng_state(cpu_state)
        if cuda_states:
            torch.cuda.set_rng_state_all(cuda_states)
