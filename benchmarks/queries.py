"""Latency of the four catalogue queries beside a naive pandas version of each, in one run, on the same inputs.

    python -m benchmarks.queries [--data-dir DIR] [--calls 2000] [--naive-calls 60] [--seed 0]

The naive versions are what the original API did minus its file re-reading: filter the titles table per call,
and for the score count filter the full ratings table (11M rows, held in memory) and average per title.
Every naive answer is compared with the fast one; a mismatch stops the run. Prints a markdown table and writes
it to benchmarks/results/queries.md.
"""

from __future__ import annotations

import argparse
import os
import platform as host
import sys
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from benchmarks import report_on_catalog
from core import Catalog
from core import queries as q
from core.config import PLATFORMS

RESULTS = Path(__file__).resolve().parent / "results" / "queries.md"


# ---------------------------------------------------------------------------------------------- naive versions
def naive_max_duration(titles: pd.DataFrame, year: int, platform: str, duration_type: str) -> str | None:
    """Longest title by filtering and sorting the titles table; returns its id."""
    rows = titles[(titles["duration_type"] == duration_type) & titles["duration_int"].notna()
                  & (titles["release_year"] == year) & (titles["platform"] == platform)]
    rows = rows.sort_values(["duration_int", "title", "id"], ascending=[False, True, True])
    return None if rows.empty else rows["id"].iloc[0]


def naive_score_count(titles: pd.DataFrame, ratings: pd.DataFrame, platform: str, scored: float, year: int,
                      content_type: str) -> int:
    """Mean rating of each matching title from the full ratings table, then count the means above `scored`."""
    rows = titles[(titles["platform"] == platform) & (titles["release_year"] == year)]
    if content_type != "all":
        rows = rows[rows["type"] == content_type]
    means = ratings[ratings["id"].isin(rows["id"])].groupby("id", observed=True)["rating"].mean()
    return int((means > scored).sum())


def naive_count_platform(titles: pd.DataFrame, platform: str) -> dict[str, int]:
    """Titles of a platform counted by type."""
    kinds = titles.loc[titles["platform"] == platform, "type"].value_counts()
    return {"movies": int(kinds.get("movie", 0)), "tv_shows": int(kinds.get("tv show", 0)),
            "total": int(kinds.sum())}


def naive_actor(titles: pd.DataFrame, platform: str, year: int) -> tuple[str, int] | None:
    """Split, explode and count the casts of the matching titles."""
    rows = titles[(titles["platform"] == platform) & (titles["release_year"] == year) & titles["cast"].notna()]
    names = rows.assign(actor=rows["cast"].str.split(",")).explode("actor")
    names["actor"] = names["actor"].str.strip()
    names = names[names["actor"].map(lambda a: isinstance(a, str) and q.is_name(a))].drop_duplicates(["id", "actor"])
    if names.empty:
        return None
    counts = names["actor"].value_counts().rename("count").reset_index()
    top = counts.sort_values(["count", "actor"], ascending=[False, True]).iloc[0]
    return str(top["actor"]), int(top["count"])


# ---------------------------------------------------------------------------------------------- cases
def random_inputs(rng: np.random.Generator, years: tuple[int, int]) -> dict[str, Any]:
    """One random set of query inputs, as a user would send them (strings for year and score)."""
    return {"platform": str(rng.choice(PLATFORMS)), "year": int(rng.integers(years[0], years[1] + 1)),
            "duration_type": str(rng.choice(q.DURATION_TYPES)), "scored": round(float(rng.uniform(0, 5)), 1),
            "content_type": str(rng.choice(q.CONTENT_TYPES))}


def cases(catalog: Catalog, ratings: pd.DataFrame) -> dict[str, tuple[Callable, Callable, Callable]]:
    """Per query: the fast call, the naive call, and the fast answer in the naive one's shape."""
    t = catalog.titles
    max_fast = lambda p: q.get_max_duration(catalog, p["year"], p["platform"], p["duration_type"])  # noqa: E731
    return {
        "get_max_duration": (max_fast,
                             lambda p: naive_max_duration(t, p["year"], p["platform"], p["duration_type"]),
                             lambda r: r["id"] if r else None),
        "get_score_count": (lambda p: q.get_score_count(catalog, p["platform"], p["scored"], p["year"],
                                                        p["content_type"]),
                            lambda p: naive_score_count(t, ratings, p["platform"], p["scored"], p["year"],
                                                        p["content_type"]),
                            lambda r: r),
        "get_count_platform": (lambda p: q.get_count_platform(catalog, p["platform"]),
                               lambda p: naive_count_platform(t, p["platform"]),
                               lambda r: {k: r[k] for k in ("movies", "tv_shows", "total")}),
        "get_actor": (lambda p: q.get_actor(catalog, p["platform"], p["year"]),
                      lambda p: naive_actor(t, p["platform"], p["year"]),
                      lambda r: (r["actor"], r["count"]) if r else None),
    }


def timed(call: Callable, inputs: list[dict]) -> tuple[np.ndarray, list]:
    """Milliseconds of each call, and the answers."""
    times, answers = [], []
    for params in inputs:
        started = time.perf_counter()
        answers.append(call(params))
        times.append((time.perf_counter() - started) * 1000)
    return np.array(times), answers


def api_round_trips(catalog: Catalog, inputs: list[dict]) -> np.ndarray:
    """Milliseconds of in-process GET requests to the original API paths (routing, parsing, JSON included)."""
    import flask

    from api import register_api

    server = flask.Flask(__name__)
    register_api(server, lambda: catalog)
    client = server.test_client()
    urls = []
    for i, p in enumerate(inputs):
        urls.append([f"/max_duration/{p['year']}/{p['platform']}/{p['duration_type']}",
                     f"/score_count/{p['platform']}/{p['scored']}/{p['year']}",
                     f"/count_platform/{p['platform']}", f"/get_actor/{p['platform']}/{p['year']}"][i % 4])
    client.get(urls[0])  # warm-up
    times = []
    for url in urls:
        started = time.perf_counter()
        status = client.get(url).status_code
        times.append((time.perf_counter() - started) * 1000)
        if status not in (200, 404):
            raise SystemExit(f"{url}: HTTP {status}")
    return np.array(times)


# ---------------------------------------------------------------------------------------------- run
def run(catalog: Catalog, calls: int, naive_calls: int, seed: int) -> str:
    """Benchmark every query; the markdown report."""
    started = time.perf_counter()
    q.query_index(catalog)
    index_ms = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    ratings = catalog.ratings(["id", "rating"]).astype({"rating": "float64"})
    ratings_s = time.perf_counter() - started
    ranges = q.query_ranges(catalog)
    rng = np.random.default_rng(seed)
    # Years of the last three decades, where nearly all titles are: the realistic and the heavier inputs.
    years = (max(ranges["year_max"] - 30, ranges["year_min"]), ranges["year_max"])
    inputs = [random_inputs(rng, years) for _ in range(calls)]
    rows = []
    for name, (fast, naive, shape) in cases(catalog, ratings).items():
        fast(inputs[0])  # warm-up
        fast_ms, _ = timed(fast, inputs)
        naive_ms, naive_answers = timed(naive, inputs[:naive_calls])
        mismatches = [p for p, a in zip(inputs, naive_answers) if shape(fast(p)) != a]
        if mismatches:
            raise SystemExit(f"{name}: fast and naive answers differ for {mismatches[0]}")
        p50, p95 = np.percentile(fast_ms, [50, 95])
        n50, n95 = np.percentile(naive_ms, [50, 95])
        rows.append(f"| `{name}` | {p50:.3f} | {p95:.3f} | {n50:.1f} / {n95:.1f} | {n50 / p50:,.0f}× |")
    api_ms = api_round_trips(catalog, inputs)
    rows.append(f"| JSON API, the 4 original paths in turn (Flask test client) | {np.percentile(api_ms, 50):.3f} "
                f"| {np.percentile(api_ms, 95):.3f} | — | — |")
    return "\n".join([
        f"Data: {catalog.source} — {len(catalog.titles):,} titles, {len(ratings):,} ratings. "
        f"{calls:,} calls per query ({naive_calls} for the naive versions, on the same inputs, answers compared), "
        f"random platform, year {years[0]}–{years[1]}, score, duration and content type; "
        f"Python {host.python_version()}, pandas {pd.__version__}, {host.machine()}, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f} at the start.",
        "",
        "| query | p50 ms | p95 ms | naive p50 / p95 ms | speed-up (naive p50 / p50) |",
        "| --- | ---: | ---: | ---: | ---: |",
        *rows,
        "",
        f"One-time costs per process: query index {index_ms:.0f} ms (first query); "
        f"the naive score count also needs the ratings in memory ({ratings_s:.1f} s to read, not counted above).",
    ])


def main(argv: list[str] | None = None) -> int:
    """Command line: python -m benchmarks.queries [--data-dir DIR] [--calls N] [--naive-calls N] [--seed S]."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.queries", description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", help="raw data dir (default: $STREAMING_DATA_DIR, else the demo data)")
    parser.add_argument("--calls", type=int, default=2000, help="calls per query (default 2000)")
    parser.add_argument("--naive-calls", type=int, default=60, help="calls per naive query (default 60)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS, help=f"markdown output (default {RESULTS})")
    args = parser.parse_args(argv)
    if args.calls < 1 or not 1 <= args.naive_calls <= args.calls:
        parser.error("need 1 <= --naive-calls <= --calls")
    return report_on_catalog(args.data_dir, args.out,
                             lambda catalog: run(catalog, args.calls, args.naive_calls, args.seed))


if __name__ == "__main__":
    sys.exit(main())
