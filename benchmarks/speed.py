"""What the scikit-learn layer costs, as ratios against plain Keras in one run.

Run from the repository root (after ``pip install ".[dev]"``)::

    python benchmarks/speed.py            # the full measurement, ~15 min on 2 cores
    python benchmarks/speed.py --quick    # smaller sizes, a smoke run
    python benchmarks/speed.py --default-fit-only   # ~12 min
    python benchmarks/speed.py --stream-only        # ~6 min
    python benchmarks/speed.py --xla-only           # ~6 min, Linux

Every ratio is estimator time / plain-Keras time on the same network, data
and settings, measured interleaved in this process (medians of repeats), so
load on the machine affects both sides alike. Memory is measured in a fresh
subprocess per side, as peak resident set size.
"""

import argparse
import gc
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402

from sklearn_lstmae import (  # noqa: E402
    LSTMAnomalyDetector,
    LSTMAutoencoderTransformer,
    SlidingWindowDetector,
    make_gait_cycles,
)
from sklearn_lstmae.datasets import make_sensor_stream  # noqa: E402
from sklearn_lstmae.network import build_autoencoder  # noqa: E402
from sklearn_lstmae.windows import sliding_windows  # noqa: E402

# Streams: 3 channels, windows of 64 points. The memory run scores 10^7
# points with a small network at this stride, so that it takes minutes: what
# it measures, the windows never held at once, does not depend on either.
STREAM_WINDOW = 64
STREAM_MEMORY_STRIDE = 4

# The specification's network on both sides, unless a benchmark says
# otherwise; given in full, because the estimators' defaults differ from it.
NETWORK = {
    "lstm_units": (64, 32),
    "latent_dim": 8,
    "pooling": None,
    "max_timesteps": None,
    "time_positions": False,
    "linear_path": False,
}


def median_seconds(function, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def interleaved_medians(ours, plain, repeats):
    """Median seconds of ``ours`` and ``plain``, run alternately."""
    times = {ours: [], plain: []}
    for _ in range(repeats):
        for function in (plain, ours):
            times[function].append(median_seconds(function, 1))
    return statistics.median(times[ours]), statistics.median(times[plain])


def gait_sequences(n_samples, seed=0):
    X, _, _ = make_gait_cycles(n_samples, random_state=seed)
    mean, std = X.mean(axis=(0, 1)), X.std(axis=(0, 1))
    return ((X - mean) / std).astype(np.float32)


def plain_model(network=NETWORK, **compile_kwargs):
    autoencoder, encoder, _ = build_autoencoder(51, 2, **network)
    autoencoder.compile(optimizer="adam", loss="mse", **compile_kwargs)
    return autoencoder, encoder


def report(name, ours, theirs, target):
    ratio = ours / theirs
    verdict = "ok" if ratio <= target else "MISSED"
    print(
        f"{name:<44} {ours * 1e3:10.2f} ms {theirs * 1e3:10.2f} ms "
        f"{ratio:7.2f}x  (target <= {target}x: {verdict})",
        flush=True,
    )


def bench_fit(n_samples, epochs, repeats):
    X = gait_sequences(n_samples)

    def plain():
        model, _ = plain_model()
        model.fit(X, X, epochs=epochs, batch_size=32, verbose=0)

    def estimator():
        LSTMAutoencoderTransformer(
            **NETWORK, epochs=epochs, batch_size=32, validation_split=0.0
        ).fit(X)

    plain(), estimator()  # first calls pay for graph tracing on both sides
    ours, theirs = interleaved_medians(estimator, plain, repeats)
    report(f"fit ({n_samples} seq, {epochs} epochs)", ours, theirs, 1.05)


def bench_bulk(n_samples, repeats):
    X = gait_sequences(n_samples)
    detector = LSTMAnomalyDetector(**NETWORK, epochs=1).fit(X[:256])
    transformer = LSTMAutoencoderTransformer(**NETWORK, epochs=1).fit(X[:256])
    autoencoder, encoder = detector.model_, transformer.model_.get_layer("encoder")
    pairs = [
        (
            "score_samples",
            lambda: detector.score_samples(X),
            lambda: autoencoder.predict(X, batch_size=1024, verbose=0),
        ),
        (
            "transform",
            lambda: transformer.transform(X),
            lambda: encoder.predict(X, batch_size=1024, verbose=0),
        ),
    ]
    for name, ours, plain in pairs:
        ours(), plain()
        report(
            f"bulk {name} ({n_samples} seq)",
            median_seconds(ours, repeats),
            median_seconds(plain, repeats),
            1.1,
        )


def bench_single(repeats):
    X = gait_sequences(64)
    detector = LSTMAnomalyDetector(**NETWORK, epochs=1).fit(X)
    transformer = LSTMAutoencoderTransformer(**NETWORK, epochs=1).fit(X)
    one = X[:1]
    autoencoder, encoder = detector.model_, transformer.model_.get_layer("encoder")
    pairs = [
        ("score_samples", detector.score_samples, autoencoder.predict_on_batch),
        ("transform", transformer.transform, encoder.predict_on_batch),
    ]
    for name, ours, plain in pairs:
        ours(one), plain(one)
        report(
            f"single sequence {name}",
            median_seconds(lambda ours=ours: ours(one), repeats),
            median_seconds(lambda plain=plain: plain(one), repeats),
            1.5,
        )
    model_predict = median_seconds(lambda: autoencoder.predict(one, verbose=0), repeats)
    label = "  (keras Model.predict on one sequence)"
    print(f"{label:<44} {model_predict * 1e3:10.2f} ms")


def bench_grid_search(n_samples, epochs):
    X = gait_sequences(n_samples)
    grid = {"latent_dim": [4, 8], "lstm_units": [(16,), (32,)]}

    def search(n_jobs):
        estimator = LSTMAutoencoderTransformer(
            pooling=None, epochs=epochs, batch_size=32
        )
        return lambda: GridSearchCV(estimator, grid, cv=2, n_jobs=n_jobs).fit(X)

    search(2)()  # start the worker processes once, as a session would
    serial, parallel = median_seconds(search(1), 1), median_seconds(search(2), 1)
    speedup = serial / parallel
    verdict = "ok" if speedup >= 1.5 else "MISSED"
    print(
        f"{'GridSearchCV n_jobs=2 vs n_jobs=1':<44} {parallel:10.2f} s  "
        f"{serial:10.2f} s  speed-up {speedup:.2f}x (target >= 1.5x: {verdict})",
        flush=True,
    )


def bench_memory(n_samples):
    rows = {
        side: child_memory_mb(side, n_samples)[0]
        for side in ("input only", "score_samples")
    }
    extra = rows["score_samples"] - rows["input only"]
    input_mb = n_samples * 51 * 2 * 8 / 2**20
    print(
        f"{f'peak RSS scoring {n_samples} seq (float64 input {input_mb:.0f} MB)':<44}"
        f" {rows['score_samples']:8.0f} MB  (input alone {rows['input only']:.0f} MB,"
        f" scoring adds {extra:.0f} MB)",
        flush=True,
    )


def bench_stream_scoring(n_windows, repeats):
    """Scoring a stream window by window against the same windows as one array."""
    stream, _, _ = make_sensor_stream(n_windows + STREAM_WINDOW - 1, random_state=0)
    inner = LSTMAnomalyDetector(**NETWORK, epochs=1)
    detector = SlidingWindowDetector(inner, window_size=STREAM_WINDOW)
    detector.fit(stream[:2000])
    windows = np.ascontiguousarray(sliding_windows(stream, STREAM_WINDOW))

    def ours():
        detector.score_samples(stream)

    def plain():
        detector.estimator_.score_samples(windows)

    ours(), plain()
    ours, theirs = interleaved_medians(ours, plain, repeats)
    # The other side here is our own LSTMAnomalyDetector, not plain Keras:
    # this ratio is what chunking and mapping windows to points cost.
    report(f"stream score_samples ({n_windows} windows)", ours, theirs, 1.2)


def bench_stream_memory(n_points):
    (alone,) = child_memory_mb("stream only", n_points)
    scoring, traced = child_memory_mb("stream score_samples", n_points)
    all_windows_mb = n_points * STREAM_WINDOW * 3 * 4 / 2**20
    print(
        f"{f'peak RSS scoring a stream of {n_points} x 3 points':<44}"
        f" {scoring:8.0f} MB  (stream and fit alone {alone:.0f} MB; NumPy's "
        f"peak while scoring {traced:.0f} MB; all windows at stride 1 in float32 "
        f"would be {all_windows_mb:.0f} MB)",
        flush=True,
    )


def child_memory_mb(side, size):
    """What ``memory_child(side, size)`` prints last, in MB, from a fresh process.

    The peak RSS, then for a stream what NumPy allocated at most while
    scoring (``tracemalloc``), above what it held before.
    """
    command = [sys.executable, __file__, "--memory-child", side, str(size)]
    output = subprocess.run(command, capture_output=True, text=True, check=True)
    return [float(value) for value in output.stdout.strip().splitlines()[-1].split()]


def memory_child(side, n_samples):
    if side.startswith("stream"):
        stream_memory_child(side, n_samples)
        return
    detector = LSTMAnomalyDetector(**NETWORK, epochs=1).fit(gait_sequences(64))
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n_samples, 51, 2))
    if side == "score_samples":
        detector.score_samples(X)
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def stream_memory_child(side, n_points):
    stream = np.random.default_rng(0).normal(size=(n_points, 3))
    inner = LSTMAnomalyDetector(lstm_units=(8,), latent_dim=2, epochs=1)
    detector = SlidingWindowDetector(
        inner, window_size=STREAM_WINDOW, stride=STREAM_MEMORY_STRIDE
    ).fit(stream[:5000])
    if side == "stream only":
        print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        return
    tracemalloc.start()
    detector.score_samples(stream)
    traced_peak = tracemalloc.get_traced_memory()[1] / 2**20
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, traced_peak)


def bench_training_throughput(n_samples, epochs):
    X = gait_sequences(n_samples)
    X_val = gait_sequences(500, seed=1)
    print(f"\ntraining throughput ({n_samples} seq, {epochs} epochs, plain Keras):")
    print(
        f"{'batch_size':>10} {'jit_compile':>12} {'1st epoch s':>12} "
        f"{'later s/epoch':>14} {'val MSE':>9}"
    )
    for batch_size in (32, 64, 128):
        for jit_compile in ("auto", True):
            keras.utils.set_random_seed(0)
            model, _ = plain_model(jit_compile=jit_compile)
            # The first epoch pays for tracing (and XLA compilation); a fresh
            # fit of a small data set is mostly that epoch.
            first = median_seconds(
                lambda model=model, batch_size=batch_size: model.fit(
                    X, X, epochs=1, batch_size=batch_size, verbose=0
                ),
                1,
            )
            start = time.perf_counter()
            model.fit(X, X, epochs=epochs - 1, batch_size=batch_size, verbose=0)
            per_epoch = (time.perf_counter() - start) / (epochs - 1)
            val_mse = float(np.mean((model.predict(X_val, verbose=0) - X_val) ** 2))
            print(
                f"{batch_size:>10} {jit_compile!s:>12} {first:12.2f} "
                f"{per_epoch:14.2f} {val_mse:9.4f}",
                flush=True,
            )


def bench_default_fit(estimator_class, n_samples, plain_steps, repeats):
    """A default fit against ``plain_steps`` plain-Keras steps at batch 32.

    Both sides have the estimator's default network (plain Keras's linear
    maps, if any, are not set to a PCA: the same work, not the same fit).
    The estimator gets the cycles in degrees and standardises them itself
    and holds out what its defaults hold out; plain Keras gets them
    standardised, all of them. Both build and trace a fresh model in every
    repeat, as a user's fit does.
    """
    defaults = estimator_class().get_params()
    network = {name: defaults[name] for name in NETWORK}
    X, _, _ = make_gait_cycles(n_samples, random_state=0)
    X_test, y_test, _ = make_gait_cycles(300, anomaly_fraction=0.3, random_state=1)
    mean, std = X.mean(axis=(0, 1)), X.std(axis=(0, 1))
    X_scaled = ((X - mean) / std).astype(np.float32)
    steps_per_epoch = -(-n_samples // 32)
    fits = {"plain": [], "ours": []}

    def plain():
        model, _ = plain_model(network)
        epochs = plain_steps // steps_per_epoch
        model.fit(X_scaled, X_scaled, epochs=epochs, batch_size=32, verbose=0)
        fits["plain"].append(model)

    def estimator():
        fits["ours"].append(estimator_class(**network).fit(X))

    ours, theirs = interleaved_medians(estimator, plain, repeats)
    report(
        f"default {estimator_class.__name__[4:]} fit vs {plain_steps} steps",
        ours,
        theirs,
        0.4,
    )
    estimator = fits["ours"][-1]
    plain_reconstruction = fits["plain"][-1].predict((X_test - mean) / std, verbose=0)
    plain_errors = np.mean(
        (plain_reconstruction * std + mean - X_test) ** 2, axis=(1, 2)
    )
    normal = y_test == 1
    for label, errors, steps in (
        (
            "estimator",
            np.mean((estimator.reconstruct(X_test) - X_test) ** 2, axis=(1, 2)),
            estimator.model_.optimizer.iterations,
        ),
        ("plain Keras", plain_errors, plain_steps),
    ):
        rmse = np.sqrt(errors[normal].mean())
        auc = roc_auc_score(normal, -errors)
        print(
            f"  {label}: {int(steps)} steps, test RMSE {rmse:.3f} deg, "
            f"ROC-AUC {auc:.3f}",
            flush=True,
        )


def bench_xla(n_fits):
    """Default transformer fits without and with XLA: seconds, memory maps left.

    TensorFlow never frees what XLA compiles for a model: the memory
    mappings a fit leaves behind count towards Linux's ``vm.max_map_count``
    (65,530 by default), at which the process aborts. Hence no XLA unless
    asked for (``_backend.py``).
    """
    X, _, _ = make_gait_cycles(100, random_state=0)
    print("\nXLA: default transformer fits on 100 gait cycles, interleaved")
    print(f"{'jit_compile':>12} {'fit s':>8} {'maps left':>10}")
    for _ in range(n_fits):
        for jit_compile in (False, True):
            before = _memory_maps()
            start = time.perf_counter()
            LSTMAutoencoderTransformer(
                compile__jit_compile=jit_compile, random_state=0
            ).fit(X)
            seconds = time.perf_counter() - start
            gc.collect()
            print(
                f"{jit_compile!s:>12} {seconds:8.1f} {_memory_maps() - before:10d}",
                flush=True,
            )


def _memory_maps():
    with open("/proc/self/maps") as maps:
        return sum(1 for _ in maps)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes")
    parser.add_argument(
        "--default-fit-only",
        action="store_true",
        help="only the default fit against 2,000 plain-Keras steps",
    )
    parser.add_argument(
        "--stream-only",
        action="store_true",
        help="only SlidingWindowDetector's scoring speed and memory",
    )
    parser.add_argument(
        "--xla-only",
        action="store_true",
        help="only default transformer fits without and with XLA (Linux)",
    )
    parser.add_argument("--memory-child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        memory_child(args.memory_child[0], int(args.memory_child[1]))
        return
    quick = args.quick
    if args.default_fit_only:
        bench_default_fits(quick)
        return
    if args.stream_only:
        bench_streams(quick)
        return
    if args.xla_only:
        bench_xla(n_fits=1 if quick else 3)
        return
    print(
        f"sklearn-lstmae speed, {time.strftime('%Y-%m-%d')}, {platform.machine()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"Keras {keras.__version__}, devices: "
        f"{[device.device_type for device in _devices()]}"
    )
    print(f"{'':<44} {'estimator':>13} {'plain Keras':>13} {'ratio':>8}")
    bench_fit(
        n_samples=256 if quick else 2000,
        epochs=1 if quick else 3,
        repeats=3 if quick else 7,
    )
    bench_bulk(n_samples=2000 if quick else 10000, repeats=3 if quick else 5)
    bench_single(repeats=50 if quick else 300)
    bench_grid_search(n_samples=64 if quick else 300, epochs=1 if quick else 5)
    bench_memory(n_samples=20_000 if quick else 1_000_000)
    bench_training_throughput(
        n_samples=256 if quick else 2000, epochs=1 if quick else 5
    )
    bench_default_fits(quick)
    bench_streams(quick)


def bench_default_fits(quick):
    for estimator_class in (LSTMAnomalyDetector, LSTMAutoencoderTransformer):
        bench_default_fit(
            estimator_class, n_samples=100, plain_steps=2000, repeats=1 if quick else 3
        )


def bench_streams(quick):
    bench_stream_scoring(
        n_windows=4_000 if quick else 40_000, repeats=1 if quick else 5
    )
    bench_stream_memory(n_points=100_000 if quick else 10_000_000)


def _devices():
    import tensorflow as tf

    return tf.config.list_physical_devices()


if __name__ == "__main__":
    main()
