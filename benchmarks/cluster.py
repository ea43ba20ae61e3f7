"""sklearn_lstmae.dask on a 2-worker LocalCluster against the same work in process.

Run from the repository root (after ``pip install ".[dev]"``)::

    python benchmarks/cluster.py           # 10^6 sequences, ~15 min on 2 cores
    python benchmarks/cluster.py --quick   # 20,000 sequences, a smoke run

Scoring: a default-network ``LSTMAnomalyDetector`` scores ``n`` random
sequences of (51, 2), in process from a NumPy array and on the cluster from a
dask array generated on the workers, through ``ParallelPostFit``. Grid search:
4 candidates x 2 folds of a small detector, in process (``n_jobs=1``) and on
the cluster through joblib's dask backend, once with TensorFlow limited to one
thread per worker through the worker environment and once with its defaults.
"""

import argparse
import os
import pickle
import platform
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import dask.array as da  # noqa: E402
import joblib  # noqa: E402
import numpy as np  # noqa: E402
from distributed import Client, LocalCluster  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402

from sklearn_lstmae import LSTMAnomalyDetector, make_gait_cycles  # noqa: E402
from sklearn_lstmae.dask import ParallelPostFit  # noqa: E402

CHUNK = 20_000
ONE_THREAD = {
    "TF_NUM_INTRAOP_THREADS": "1",
    "TF_NUM_INTEROP_THREADS": "1",
    "OMP_NUM_THREADS": "1",
}


def peak_rss_mb():
    """This process's peak resident memory since it started its program.

    VmHWM, not getrusage's ru_maxrss: Linux carries ru_maxrss over from the
    parent through fork and exec, so a worker would report the client's peak.
    """
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


def warm_up(client):
    """Import TensorFlow on every worker before anything is timed."""
    client.run(lambda: __import__("sklearn_lstmae") and None)


def cluster(env):
    return LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        env={"TF_CPP_MIN_LOG_LEVEL": "2", **env},
    )


def bench_scoring(n_sequences):
    X_fit, _, _ = make_gait_cycles(100, random_state=0)
    model = ParallelPostFit(LSTMAnomalyDetector(epochs=1, random_state=0)).fit(X_fit)
    detector = model.estimator_
    X = np.random.default_rng(0).normal(size=(n_sequences, 51, 2)).astype(np.float32)
    start = time.perf_counter()
    detector.score_samples(X)
    in_process_s = time.perf_counter() - start
    del X
    with cluster(ONE_THREAD) as local, Client(local) as client:
        warm_up(client)
        lazy_X = (
            da.random.default_rng(0)
            .normal(size=(n_sequences, 51, 2), chunks=(CHUNK, 51, 2))
            .astype(np.float32)
        )
        lazy = model.score_samples(lazy_X)
        graph = dict(lazy.__dask_graph__())
        start = time.perf_counter()
        scores = lazy.compute()
        cluster_s = time.perf_counter() - start
        worker_rss = client.run(peak_rss_mb)
    n_tasks = lazy.numblocks[0]
    graph_bytes = len(pickle.dumps(graph))
    estimator_bytes = len(pickle.dumps(detector))
    print(
        f"scoring {n_sequences} sequences of (51, 2), {n_tasks} tasks of {CHUNK}:\n"
        f"  in process {in_process_s:.1f} s ({n_sequences / in_process_s:,.0f}/s), "
        f"peak RSS {peak_rss_mb():.0f} MB\n"
        f"  2 workers  {cluster_s:.1f} s ({n_sequences / cluster_s:,.0f}/s), "
        f"throughput ratio {in_process_s / cluster_s:.2f}x\n"
        f"  peak RSS per worker: "
        + ", ".join(f"{rss:.0f} MB" for rss in worker_rss.values())
        + f"\n  estimator pickled once per worker: {estimator_bytes:,} B; the rest"
        f" of the graph {(graph_bytes - estimator_bytes) / n_tasks:,.0f} B per task"
        f" (generated data never leaves its worker); result"
        f" {scores.nbytes / n_tasks:,.0f} B per task back to the client",
        flush=True,
    )


def bench_grid_search():
    X, _, _ = make_gait_cycles(200, random_state=0)
    X = (X - X.mean(axis=(0, 1))) / X.std(axis=(0, 1))
    search = GridSearchCV(
        LSTMAnomalyDetector(lstm_units=(32,), epochs=10, random_state=0),
        {"latent_dim": [2, 4, 6, 8]},
        cv=2,
        n_jobs=-1,
    )
    start = time.perf_counter()
    search.set_params(n_jobs=1).fit(X)
    print(f"grid search 4 x 2 folds: in process {time.perf_counter() - start:.1f} s")
    for label, env in (("1 TF thread per worker", ONE_THREAD), ("TF defaults", {})):
        with cluster(env) as local, Client(local) as client:
            warm_up(client)
            start = time.perf_counter()
            with joblib.parallel_config(backend="dask"):
                search.set_params(n_jobs=-1).fit(X)
            print(
                f"  2 workers, {label}: {time.perf_counter() - start:.1f} s",
                flush=True,
            )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20,000 sequences")
    args = parser.parse_args()
    print(
        f"sklearn-lstmae on Dask, {time.strftime('%Y-%m-%d')}, {platform.machine()}, "
        f"{os.cpu_count()} CPUs"
    )
    bench_scoring(20_000 if args.quick else 1_000_000)
    bench_grid_search()


if __name__ == "__main__":
    main()
