"""Throughput of the estimators against plain Keras on every installed backend.

Made for a GPU machine that has JAX and/or PyTorch, maybe no TensorFlow and no
package index; it runs on a CPU too. Each backend runs in its own process
(Keras picks its backend once per process), and prints, against plain Keras on
the same network and data in the same process:

- ``fit`` throughput at batch 32, 256 and 1024 (sequences per second, ratio);
- bulk ``score_samples`` and ``transform`` against ``Model.predict``;
- one sequence's latency against a compiled ``predict_on_batch``;
- whether the LSTMs ran the fused cuDNN kernel.

It closes with every backend's figures against the first one's.

Run from the repository root::

    python benchmarks/gpu.py               # every backend that imports
    python benchmarks/gpu.py --quick       # small sizes: a smoke run, e.g. on a CPU
    python benchmarks/gpu.py --backends jax

On a machine without a package index, carry the wheels. On a machine with one,
for the target's Python version and platform (``pip download`` takes
``--python-version`` and ``--platform`` when they differ from this one)::

    pip wheel --no-deps -w wheels .
    pip download --no-deps -d wheels keras namex optree absl-py rich \\
        markdown-it-py mdurl pygments h5py ml-dtypes packaging scikeras \\
        scikit-learn scipy joblib threadpoolctl pandas python-dateutil six tzdata

and on the GPU machine, whose own numpy, JAX and PyTorch stay as they are::

    pip install --no-index --no-deps wheels/*.whl
    python benchmarks/gpu.py

(``--no-deps`` skips the package's TensorFlow requirement: nothing in it
imports TensorFlow unless Keras runs on it.)
"""

import argparse
import importlib
import json
import os
import platform
import subprocess
import sys
import time

BACKENDS = ("tensorflow", "jax", "torch")
FULL = {"n_fit": 16384, "batches": (32, 256, 1024), "n_bulk": 65536, "repeats": 3}
QUICK = {"n_fit": 2048, "batches": (32, 256, 1024), "n_bulk": 8192, "repeats": 3}
# The data are standardised once (speed.gait_sequences), so the estimators do
# not standardise again; the network is speed.py's, the specification's.
ESTIMATOR = {"standardize": False, "epochs": 1, "validation_split": 0.0}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes")
    parser.add_argument("--backends", nargs="+", choices=BACKENDS, default=BACKENDS)
    parser.add_argument("--child", choices=BACKENDS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL
    if args.child:
        print(json.dumps(measure(sizes)), flush=True)
        return
    python = sys.version.split()[0]
    print(f"{platform.machine()}, {os.cpu_count()} CPU cores, Python {python}")
    results = {}
    for backend in args.backends:
        if not _importable(backend):
            print(f"\n{backend}: not installed, skipped")
            continue
        results[backend] = _run_child(backend, args.quick)
    if len(results) > 1:
        _print_across_backends(results)


def _importable(backend):
    module = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}[backend]
    probe = subprocess.run([sys.executable, "-c", f"import {module}"], check=False)
    return probe.returncode == 0


def _run_child(backend, quick):
    command = [sys.executable, __file__, "--child", backend, *(["--quick"] * quick)]
    environment = {
        **os.environ,
        "KERAS_BACKEND": backend,
        "TF_CPP_MIN_LOG_LEVEL": "2",
        # Several JAX processes may share the GPU (shared/DESIGN.md).
        "XLA_PYTHON_CLIENT_PREALLOCATE": "false",
    }
    child = subprocess.run(
        command, env=environment, capture_output=True, text=True, check=False
    )
    if child.returncode != 0:
        print(f"\n{backend}: failed\n{child.stderr[-3000:]}")
        return None
    result = json.loads(child.stdout.strip().splitlines()[-1])
    _print_backend(backend, result)
    return result


def measure(sizes):
    """All measurements on the backend this process runs; a JSON-able dict."""
    import keras
    import numpy as np

    # Keras, and with it speed.py's helpers, are imported in the child only:
    # the first import of Keras fixes the backend.
    from speed import gait_sequences

    fused = _record_fused_lstm()
    X = gait_sequences(sizes["n_fit"])
    bulk = np.tile(X, (sizes["n_bulk"] // len(X) + 1, 1, 1))[: sizes["n_bulk"]]
    result = {
        "backend": keras.backend.backend(),
        "device": _device(),
        "fit": {str(b): _fit_throughput(X, b) for b in sizes["batches"]},
        "bulk": _bulk(bulk, sizes["repeats"]),
        "single": _single(X[:1]),
    }
    result["fused_lstm"] = fused["ran"]
    return result


def _fit_throughput(X, batch_size):
    """Sequences per second over one epoch, after one epoch of warm-up.

    The warm-up compiles the training step at this batch size, so the timed
    epoch measures training, not compilation.
    """
    from speed import NETWORK, plain_model

    from sklearn_lstmae import LSTMAutoencoderTransformer

    warm_up = X[: 2 * batch_size]
    plain, _ = plain_model()
    plain.fit(warm_up, warm_up, batch_size=batch_size, epochs=1, verbose=0)
    start = time.perf_counter()
    plain.fit(X, X, batch_size=batch_size, epochs=1, verbose=0)
    plain_seconds = time.perf_counter() - start
    # The transformer: the detector's fit also scores the data to calibrate.
    estimator = LSTMAutoencoderTransformer(
        **NETWORK, **ESTIMATOR, batch_size=batch_size
    )
    estimator.fit(warm_up)
    start = time.perf_counter()
    estimator.partial_fit(X)
    estimator_seconds = time.perf_counter() - start
    return {
        "plain": len(X) / plain_seconds,
        "estimator": len(X) / estimator_seconds,
        "ratio": estimator_seconds / plain_seconds,
    }


def _bulk(X, repeats):
    from speed import NETWORK, median_seconds, plain_model

    from sklearn_lstmae import LSTMAnomalyDetector, LSTMAutoencoderTransformer

    plain, encoder = plain_model()
    detector = LSTMAnomalyDetector(**NETWORK, **ESTIMATOR).fit(X[:256])
    transformer = LSTMAutoencoderTransformer(**NETWORK, **ESTIMATOR).fit(X[:256])
    for estimator in (detector, transformer):
        estimator.model_.set_weights(plain.get_weights())
    pairs = {
        "score_samples": (
            lambda: detector.score_samples(X),
            lambda: plain.predict(X, batch_size=1024, verbose=0),
        ),
        "transform": (
            lambda: transformer.transform(X),
            lambda: encoder.predict(X, batch_size=1024, verbose=0),
        ),
    }
    result = {}
    for name, (ours, theirs) in pairs.items():
        ours(), theirs()  # compile both first
        ours_s = median_seconds(ours, repeats)
        theirs_s = median_seconds(theirs, repeats)
        result[name] = {
            "estimator": len(X) / ours_s,
            "plain": len(X) / theirs_s,
            "ratio": ours_s / theirs_s,
        }
    return result


def _single(one):
    from speed import NETWORK, median_seconds, plain_model

    from sklearn_lstmae import LSTMAnomalyDetector

    plain, _ = plain_model()
    estimator = LSTMAnomalyDetector(**NETWORK, **ESTIMATOR).fit(one.repeat(8, axis=0))
    estimator.model_.set_weights(plain.get_weights())
    ours = lambda: estimator.score_samples(one)  # noqa: E731
    theirs = lambda: plain.predict_on_batch(one)  # noqa: E731
    ours(), theirs()
    ours_s, theirs_s = median_seconds(ours, 50), median_seconds(theirs, 50)
    return {
        "estimator_ms": ours_s * 1e3,
        "plain_ms": theirs_s * 1e3,
        "ratio": ours_s / theirs_s,
    }


def _record_fused_lstm():
    """Note when Keras's fused (cuDNN) LSTM kernel returns a result.

    Keras's LSTM layer calls ``keras.src.backend.lstm``. On TensorFlow and JAX
    that raises ``NotImplementedError`` to decline (no GPU, a mask, or a
    configuration cuDNN cannot run) and the layer runs its generic loop; on
    PyTorch it falls back to a loop inside, and only ``_cudnn_lstm`` is fused.
    """
    import keras
    from keras.src import backend

    if keras.backend.backend() == "torch":
        # The package re-exports a function named rnn over its module.
        owner = importlib.import_module("keras.src.backend.torch.rnn")
        name = "_cudnn_lstm"
    else:
        owner, name = backend, "lstm"
    fused = {"ran": False}
    kernel = getattr(owner, name)

    def recording_kernel(*args, **kwargs):
        output = kernel(*args, **kwargs)
        fused["ran"] = True
        return output

    setattr(owner, name, recording_kernel)
    return fused


def _device():
    import keras

    name = keras.backend.backend()
    if name == "jax":
        import jax

        return str(jax.devices()[0])
    if name == "torch":
        import torch

        return torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu"
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    return str(gpus[0]) if gpus else "cpu"


def _print_backend(backend, result):
    device, fused = result["device"], result["fused_lstm"]
    print(f"\n{backend} on {device}; fused cuDNN LSTM ran: {fused}")
    print(f"{'measurement':<34} {'estimator':>12} {'plain Keras':>12} {'ratio':>7}")
    for batch, fit in result["fit"].items():
        print(
            f"{'fit, batch ' + batch + ' (seq/s)':<34} {fit['estimator']:12,.0f} "
            f"{fit['plain']:12,.0f} {fit['ratio']:6.2f}x"
        )
    for name, bulk in result["bulk"].items():
        print(
            f"{'bulk ' + name + ' (seq/s)':<34} {bulk['estimator']:12,.0f} "
            f"{bulk['plain']:12,.0f} {bulk['ratio']:6.2f}x"
        )
    single = result["single"]
    print(
        f"{'one sequence, score_samples (ms)':<34} {single['estimator_ms']:12.2f} "
        f"{single['plain_ms']:12.2f} {single['ratio']:6.2f}x"
    )


def _print_across_backends(results):
    present = {name: result for name, result in results.items() if result}
    reference_name, reference = next(iter(present.items()))
    print(f"\nestimator time against {reference_name} (lower is faster)")
    for name, result in present.items():
        reference_fit = reference["fit"]
        figures = [
            f"fit b{batch} {reference_fit[batch]['estimator'] / fit['estimator']:.2f}x"
            for batch, fit in result["fit"].items()
        ]
        figures += [
            f"{kind} {reference['bulk'][kind]['estimator'] / bulk['estimator']:.2f}x"
            for kind, bulk in result["bulk"].items()
        ]
        single = result["single"]["estimator_ms"] / reference["single"]["estimator_ms"]
        print(f"{name:<11} " + ", ".join([*figures, f"one sequence {single:.2f}x"]))


if __name__ == "__main__":
    main()
