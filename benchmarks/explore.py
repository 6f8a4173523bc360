"""Latency of the Explore panel's callbacks on random filters: what one filter change costs the server.

    python -m benchmarks.explore [--data-dir DIR] [--calls 300] [--seed 0] [--quick]

Each call is the charts callback's whole body (headline cards and all ten figures, `callbacks.explore.explore_view`)
followed by its JSON encoding as Dash sends it; the top-titles table callback is timed the same way. Filters are
drawn like a user sets them: a non-empty set of platforms, a content type, and (two times in three) a release-year
range; a second series adds one to three canonical genres (those views sum the ratings per title, core.title_ratings). The app also keeps the views it made in a shared cache (layouts.state.ViewCache); the random draws are
timed without it, one revisited setting with its in-process form (`local_views`). Prints a markdown table and
writes it to benchmarks/results/explore.md.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path
from typing import Callable

import numpy as np
import plotly.utils

from callbacks.explore import explore_view, top_titles_view
from benchmarks import report_on_catalog
from core import Catalog, eda, title_ratings
from core.config import PLATFORMS
from layouts.state import local_views

RESULTS = Path(__file__).resolve().parent / "results" / "explore.md"


def random_filters(rng: random.Random, bounds: tuple[int, int]) -> tuple[list[str], str, list[int], str]:
    """(platforms, content type, years, theme) as the widgets would send them."""
    platforms = rng.sample(PLATFORMS, k=rng.randint(1, len(PLATFORMS)))
    start = rng.randint(*bounds)
    years = [start, rng.randint(start, bounds[1])] if rng.random() < 2 / 3 else list(bounds)
    return platforms, rng.choice(["all", "movie", "tv show"]), years, rng.choice(["light", "dark"])


def timed(call: Callable[[], object]) -> float:
    """Milliseconds to run a call and JSON-encode its result like Dash does."""
    started = time.perf_counter()
    json.dumps(call(), cls=plotly.utils.PlotlyJSONEncoder)
    return 1000 * (time.perf_counter() - started)


def run(catalog: Catalog, calls: int, seed: int) -> str:
    """The markdown report."""
    rng = random.Random(seed)
    bounds = eda.year_bounds(catalog.titles)
    draws = [random_filters(rng, bounds) for _ in range(calls)]
    known = eda.genre_names(catalog.titles)
    genres = [rng.sample(known, k=rng.randint(1, min(3, len(known)))) for _ in draws]
    started = time.perf_counter()
    eda.prepare(catalog.titles, catalog.user_segments, catalog.activity)  # as the app does when it starts
    title_ratings.for_catalog(catalog)
    prepared = 1000 * (time.perf_counter() - started)
    first = timed(lambda: explore_view(catalog, *random_filters(rng, bounds)).outputs())
    charts = [timed(lambda d=d: explore_view(catalog, *d).outputs()) for d in draws]
    by_genre = [timed(lambda d=d, g=g: explore_view(catalog, *d, genres=g).outputs()) for d, g in zip(draws, genres)]
    default = [timed(lambda: explore_view(catalog, list(PLATFORMS), "all", list(bounds), "light").outputs())
               for _ in range(max(5, calls // 10))]
    recent = local_views()
    explore_view(catalog, list(PLATFORMS), "all", list(bounds), "light", recent)
    kept = [timed(lambda: explore_view(catalog, list(PLATFORMS), "all", list(bounds), "light", recent).outputs())
            for _ in range(max(5, calls // 10))]
    tables = [timed(lambda d=d: top_titles_view(catalog, *d[:3], 100)) for d in draws]
    rows = [("charts callback: headline cards + 10 figures, random filters", charts),
            ("charts callback, the same filters and 1-3 random genres", by_genre),
            ("charts callback, no filter (the first page)", default),
            ("charts callback, a setting seen lately (view kept by the app)", kept),
            ("top-titles table callback, random filters", tables)]
    lines = [f"{calls:,} random filter settings on {len(catalog.titles):,} titles and "
             f"{len(catalog.user_segments):,} user × segment rows (one process, JSON encoding included). Indexes "
             f"built at app start (ratings per title loaded from their saved copy): {prepared:.0f} ms; first call "
             f"after them: {first:.0f} ms.", "",
             "| Explore callback | p50 ms | p95 ms | max ms |", "|---|---:|---:|---:|"]
    lines += [f"| {name} | {np.percentile(ms, 50):.1f} | {np.percentile(ms, 95):.1f} | {max(ms):.1f} |"
              for name, ms in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command line: python -m benchmarks.explore [--data-dir DIR] [--calls N] [--seed S] [--quick]."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.explore", description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", help="raw data dir (default: $STREAMING_DATA_DIR, else the demo data)")
    parser.add_argument("--calls", type=int, default=300, help="random filter settings (default 300)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="30 calls")
    parser.add_argument("--out", type=Path, default=RESULTS, help=f"markdown output (default {RESULTS})")
    args = parser.parse_args(argv)
    if args.calls < 1:
        parser.error("--calls must be at least 1")
    return report_on_catalog(args.data_dir, args.out,
                             lambda catalog: run(catalog, 30 if args.quick else args.calls, args.seed))


if __name__ == "__main__":
    sys.exit(main())
