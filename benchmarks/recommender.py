"""Recommender benchmark: fit time and peak memory (own child process), load time, predict/recommend p50/p95.

    python -m benchmarks.recommender [--data-dir DIR] [--quick] [--out FILE]

The fit runs in a child process (`--fit-child`), so its peak RSS is the fit's own (ratings loaded included);
the fitted model is saved where the app loads it from. The query timings load that saved model in this process
and time each call on seeded random known users and titles, after a warm-up.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from benchmarks.etl import run_measured

RESULTS = Path(__file__).resolve().parent / "results"
SEED = 7


def fit_child(data_dir: str | None) -> int:
    """Child process: fit on every rating, save the model, print the timings as JSON."""
    from core.catalog import load_catalog
    from core.recommender import HybridRecommender, model_path

    catalog = load_catalog(data_dir)
    handed = [catalog.ratings(["user_id", "id", "rating"])]  # handed over to fit, as the app's build does
    n_ratings = len(handed[0])
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    model = HybridRecommender().fit(catalog.titles, handed.pop())
    fit_seconds = time.perf_counter() - started
    path = model.save(model_path(catalog.version_dir))
    print(json.dumps({"fit_seconds": fit_seconds, "rss_before_fit_mb": rss_before, "ratings": n_ratings,
                      "users": len(model.user_ids), "titles": len(model.title_ids), "model_path": str(path),
                      "model_mb": path.stat().st_size / 2**20}))
    return 0


def percentiles(seconds: list[float]) -> tuple[float, float]:
    """p50 and p95 in milliseconds."""
    return float(np.percentile(seconds, 50) * 1e3), float(np.percentile(seconds, 95) * 1e3)


def time_calls(call, arguments: list[tuple]) -> tuple[float, float]:
    """p50/p95 (ms) of call(*a) over the arguments, after a warm-up of ten calls."""
    for args in arguments[:10]:
        call(*args)
    seconds = []
    for args in arguments:
        started = time.perf_counter()
        call(*args)
        seconds.append(time.perf_counter() - started)
    return percentiles(seconds)


def measure_queries(data_dir: str | None, calls: int) -> dict:
    """Load time of the saved model and p50/p95 of predict, recommend (k=10) and similar_titles (k=10)."""
    from core.catalog import load_catalog
    from core.recommender import HybridRecommender, model_path

    catalog = load_catalog(data_dir)
    started = time.perf_counter()
    model = HybridRecommender.load(model_path(catalog.version_dir), catalog.titles)
    load_seconds = time.perf_counter() - started
    rng = np.random.default_rng(SEED)
    users = rng.choice(model.user_ids, calls).tolist()
    titles = rng.choice(model.title_ids, calls).tolist()
    pairs = list(zip(users, titles))
    new_users = [(int(model.user_ids.max()) + 1 + n, t) for n, t in enumerate(titles)]
    threadpool_limits(1)  # as the app serves (create_app): one BLAS thread per process
    return {"load_seconds": load_seconds, "calls": calls,
            "predict": time_calls(model.predict, pairs),
            "recommend": time_calls(lambda u, t: model.recommend(u, t, 10), pairs),
            "recommend (new user)": time_calls(lambda u, t: model.recommend(u, t, 10), new_users),
            "similar_titles": time_calls(lambda t: model.similar_titles(t, 10), [(t,) for t in titles])}


def markdown(fit: dict, peak_mb: float, queries: dict) -> str:
    """The results as a markdown table."""
    lines = [f"Fit on {fit['ratings']:,} ratings of {fit['users']:,} users and {fit['titles']:,} titles "
             f"(2 threads); model file {fit['model_mb']:.0f} MB, loaded in {queries['load_seconds'] * 1e3:.0f} ms.",
             "", "| what | figure |", "|---|---:|",
             f"| fit (wall) | {fit['fit_seconds']:.1f} s |",
             f"| peak RSS of the fitting process (ratings loaded: {fit['rss_before_fit_mb']:,.0f} MB) | "
             f"{peak_mb:,.0f} MB |",
             f"| load saved model | {queries['load_seconds'] * 1e3:.0f} ms |"]
    for name in ("predict", "recommend", "recommend (new user)", "similar_titles"):
        p50, p95 = queries[name]
        lines.append(f"| {name} p50 / p95 ({queries['calls']:,} calls) | {p50:.2f} / {p95:.2f} ms |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.recommender", description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=os.environ.get("STREAMING_DATA_DIR"),
                        help="raw data dir (default: $STREAMING_DATA_DIR, else the demo data)")
    parser.add_argument("--quick", action="store_true", help="fewer timed calls")
    parser.add_argument("--out", type=Path, default=RESULTS / "recommender.md")
    parser.add_argument("--fit-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.fit_child:
        return fit_child(args.data_dir)
    child = run_measured("benchmarks.recommender", "--fit-child",
                         *(["--data-dir", str(args.data_dir)] if args.data_dir else []))
    if child.returncode != 0:
        print(child.stderr[-3000:], file=sys.stderr)
        return 1
    fit = json.loads(child.stdout.strip().splitlines()[-1])
    queries = measure_queries(args.data_dir, 200 if args.quick else 2_000)
    text = markdown(fit, child.peak_mb, queries)
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
