"""SlidingWindowDetector on sensor streams: point scores and the training stride.

Run from the repository root, in the benchmark's environment (aeon ships
the public streams; see quality.py)::

    .venv-bench/bin/python benchmarks/stream.py    # 3 seeds, ~35 min on 2 cores
    .venv-bench/bin/python benchmarks/stream.py --quick   # 1 seed, small sensor
    .venv-bench/bin/python benchmarks/stream.py --streams public   # public only
    .venv-bench/bin/python benchmarks/stream.py --online  # live scoring speed

Each seed trains on a clean stream of ``make_sensor_stream`` (3 channels) and
scores another with 12 anomalies (spikes, level shifts, rhythm changes), both
from the same simulated machine; then on the two public labelled streams of
``public_streams`` (a real record from the UCR anomaly archive and a GutenTAG
ECG), each trained on its normal part. Per point: ROC-AUC, and the precision
among the ``n_anomalous`` lowest-scored points (how well scores locate
anomalies); per kind of anomaly on the sensor stream.

``--online`` measures ``SlidingWindowDetector.stream_scorer()``: points per
second fed in chunks of 1, 64, 1,000 and 10,000 points against
``score_samples`` of the whole stream in the same run, the latency of one
one-point chunk, and the peak memory traced while 10^7 points go through.
"""

import argparse
import functools
import os
import platform
import statistics
import time
import tracemalloc

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402
from sklearn.ensemble import IsolationForest  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402

from sklearn_lstmae import LSTMAnomalyDetector, SlidingWindowDetector  # noqa: E402
from sklearn_lstmae.datasets import STREAM_ANOMALY_KINDS, make_sensor_stream  # noqa: E402

WINDOW = 64


def streams(n_train, n_test, seed):
    X_train, _, _ = make_sensor_stream(n_train, random_state=seed)
    X_test, y_test, kinds = make_sensor_stream(
        n_test, n_anomalies=12, random_state=100 + seed
    )
    return X_train, X_test, y_test, kinds


def public_streams():
    """Two labelled streams that aeon ships: (train, test, labels, None) each.

    KDD-TSAD 135 is a real record from the UCR anomaly archive (SIGKDD 2021;
    a patient's physiological signal, 1,200 normal points to train on, 7,501
    to score with one 12-point anomaly); ``ecg-diff-count-3`` is a GutenTAG
    ECG from TimeEval (10,000 normal points, 10,000 to score with three
    100-point anomalies of different kinds). Both are z-scored with their
    training part's mean and spread; labels are -1 for anomalous points.
    aeon 1.6 deprecates the ECG's loader and 1.7 removes it: the benchmark
    extra pins aeon below 1.7.
    """
    from aeon.datasets import load_ecg_diff_count_3, load_kdd_tsad_135

    ecg_test, ecg_labels, ecg_train, _ = load_ecg_diff_count_3("semi-supervised")
    raw = {
        "KDD-TSAD 135": (load_kdd_tsad_135("train")[0], *load_kdd_tsad_135("test")),
        "ECG ecg-diff-count-3": (ecg_train, ecg_test, ecg_labels),
    }
    public = {}
    for name, (train, test, labels) in raw.items():
        mean, spread = train.mean(), train.std()
        public[name] = (
            ((train - mean) / spread)[:, np.newaxis],
            ((test - mean) / spread)[:, np.newaxis],
            np.where(labels == 1, -1, 1),
            None,
        )
    return public


def point_metrics(y, kinds, scores):
    """ROC-AUC overall and per kind (NaN without kinds); precision."""
    outlying = y == -1
    lowest = np.argsort(scores)[: outlying.sum()]
    row = {"auc": roc_auc_score(y, scores), "precision": outlying[lowest].mean()}
    for kind in STREAM_ANOMALY_KINDS:
        row[kind] = np.nan
        if kinds is not None:
            keep = (kinds == kind) | ~outlying
            row[kind] = roc_auc_score(y[keep], scores[keep])
    return row


def run_method(detector, data):
    X_train, X_test, y_test, kinds = data
    start = time.perf_counter()
    detector.fit(X_train)
    fit_seconds = time.perf_counter() - start
    rows = {}
    point_scores = ["step", "window"] if detector.point_score_ == "step" else ["window"]
    for point_score in point_scores:
        # The scoring path alone differs between the two: score the same
        # fitted network both ways instead of training it twice.
        detector.point_score_ = point_score
        rows[point_score] = point_metrics(y_test, kinds, detector.score_samples(X_test))
        rows[point_score]["fit_s"] = fit_seconds
        rows[point_score]["train_stride"] = detector.train_stride_
    return rows


def methods(seed):
    lstm = LSTMAnomalyDetector(random_state=seed)
    return {
        "LSTM, train_stride auto": SlidingWindowDetector(lstm, window_size=WINDOW),
        "LSTM, train_stride 1": SlidingWindowDetector(
            lstm, window_size=WINDOW, train_stride=1
        ),
        f"LSTM, train_stride {WINDOW}": SlidingWindowDetector(
            lstm, window_size=WINDOW, train_stride=WINDOW
        ),
        "IsolationForest": SlidingWindowDetector(
            IsolationForest(random_state=seed), window_size=WINDOW
        ),
        "PCA(8)": SlidingWindowDetector(
            PCA(8, random_state=seed), window_size=WINDOW, contamination=0.05
        ),
    }


# The training strides that differ from 'auto' are measured on the sensor.
PUBLIC_METHODS = ("LSTM, train_stride auto", "IsolationForest", "PCA(8)")


def points_per_second(score, n_points):
    start = time.perf_counter()
    score()
    return n_points / (time.perf_counter() - start)


def scored_online(detector, X, chunk_size):
    scorer = detector.stream_scorer()
    for start in range(0, len(X), chunk_size):
        scorer.update(X[start : start + chunk_size])
    return scorer.close()


def online(quick):
    """Online scoring against batch scoring of the same fitted detector."""
    X_train, _, _ = make_sensor_stream(20_000, random_state=0)
    X_test, _, _ = make_sensor_stream(20_000, n_anomalies=4, random_state=1)
    lstm = LSTMAnomalyDetector(epochs=1, random_state=0)
    detector = SlidingWindowDetector(lstm, window_size=WINDOW).fit(X_train)
    n_points = 5_000 if quick else len(X_test)
    X = X_test[:n_points]
    batch = points_per_second(lambda: detector.score_samples(X), n_points)
    print(
        f"LSTM inside, window {WINDOW}, stride 1: score_samples {batch:,.0f} points/s"
    )
    for chunk_size in (1, 64, 1_000, 10_000):
        # One point per call runs the network once per point: fewer points.
        n_chunked = 500 if chunk_size == 1 else n_points
        rate = points_per_second(
            functools.partial(scored_online, detector, X[:n_chunked], chunk_size),
            n_chunked,
        )
        print(
            f"  chunks of {chunk_size:>6,}: {rate:>9,.0f} points/s, {rate / batch:.2f}x"
        )
    scorer = detector.stream_scorer()
    scorer.update(X[:1000])
    latencies = []
    for point in X[1000:1200]:
        start = time.perf_counter()
        scorer.update(point[np.newaxis])
        latencies.append(time.perf_counter() - start)
    print(f"  one one-point chunk: median {statistics.median(latencies) * 1e3:.1f} ms")
    memory(quick)


def memory(quick):
    """Peak traced memory while a long stream goes through in chunks."""
    n_points, chunk_size = (10**5, 10**4) if quick else (10**7, 10**5)
    forest = IsolationForest(n_estimators=10, random_state=0)
    X_train, _, _ = make_sensor_stream(20_000, random_state=0)
    detector = SlidingWindowDetector(forest, window_size=WINDOW, stride=16)
    detector.fit(X_train)
    chunk, _, _ = make_sensor_stream(chunk_size, random_state=2)
    tracemalloc.start()
    start = time.perf_counter()
    scorer = detector.stream_scorer()
    n_scored = 0
    for _ in range(n_points // chunk_size):
        n_scored += len(scorer.update(chunk))
    n_scored += len(scorer.close())
    seconds = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"IsolationForest inside, stride 16: {n_scored:,} points in chunks of "
        f"{chunk_size:,}, {seconds:.0f} s, peak traced memory {peak / 2**20:.1f} MB "
        f"(the stream itself: {n_points * 3 * 8 / 2**20:,.0f} MB as float64)"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 seed, small streams")
    parser.add_argument("--online", action="store_true", help="live scoring only")
    parser.add_argument(
        "--streams",
        nargs="+",
        choices=["sensor", "public"],
        default=["sensor", "public"],
        help="make_sensor_stream's streams, public_streams(), or both",
    )
    args = parser.parse_args()
    if args.online:
        print(
            f"sklearn-lstmae live streams, {time.strftime('%Y-%m-%d')}, "
            f"{platform.machine()}, {os.cpu_count()} CPUs, Keras {keras.__version__} "
            f"({keras.backend.backend()})"
        )
        online(args.quick)
        return
    seeds = [0] if args.quick else [0, 1, 2]
    n_train, n_test = (5_000, 5_000) if args.quick else (50_000, 20_000)
    # The sizes are make_sensor_stream's; the public streams come with their own.
    sensor_sizes = (
        f", sensor train {n_train} points, test {n_test} points"
        if "sensor" in args.streams
        else ""
    )
    print(
        f"sklearn-lstmae streams, {time.strftime('%Y-%m-%d')}, {platform.machine()}, "
        f"{os.cpu_count()} CPUs, Keras {keras.__version__} "
        f"({keras.backend.backend()}); window {WINDOW}{sensor_sizes}, "
        f"streams {args.streams}, seeds {seeds}"
    )
    results = {}
    # The public streams are the same for every seed: only the fits differ.
    public = public_streams() if "public" in args.streams else {}
    for seed in seeds:
        data = {}
        if "sensor" in args.streams:
            data["sensor"] = streams(n_train, n_test, seed)
        for stream, stream_data in (data | public).items():
            for name, detector in methods(seed).items():
                if stream != "sensor" and name not in PUBLIC_METHODS:
                    continue
                for point_score, row in run_method(detector, stream_data).items():
                    results.setdefault((stream, name, point_score), []).append(row)
                    print(f"  seed {seed} {stream} {name} [{point_score}]: {row}")
    columns = ["auc", "precision", *STREAM_ANOMALY_KINDS, "fit_s", "train_stride"]
    print(
        f"\n{'stream':<21} {'method':<28} {'points':<7}"
        + "".join(f"{c:>13}" for c in columns)
    )
    for (stream, name, point_score), rows in results.items():
        means = [statistics.mean(row[c] for row in rows) for c in columns]
        print(
            f"{stream:<21} {name:<28} {point_score:<7}"
            + "".join(f"{m:13.3f}" for m in means)
        )


if __name__ == "__main__":
    main()
