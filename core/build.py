"""One build step before serving: `python -m core.build [RAW_DIR] [--force]` runs the ETL and fits and saves the
recommender, so a server (or a container) starts on ready-made data and loads the model in a fraction of a second.

RAW_DIR defaults to $STREAMING_DATA_DIR, else the embedded demo data; output goes to the cache dir
($STREAMING_CACHE_DIR, default data/cache). Idempotent: unchanged raw files and an intact saved model mean nothing
to do. Safe to run beside a server or another build: file locks make one process build while the others wait and
then reuse its output. Progress goes to stderr (a bar on a terminal, plain lines in a log); exit code 2 with one
message on bad input.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from core import title_ratings
from core.catalog import raw_dir_or_demo, read_catalog
from core.errors import StreamingError
from core.etl import STAGES as ETL_STAGES, EtlResult, check_raw_dir, megabytes, run_etl
from core.progress import Progress

# Seconds per MiB of raw ratings files (gzip CSV) of each ETL stage, measured on the real data (96 MiB, 2 cores).
ETL_SECONDS_PER_MB = {"reading titles": 0.007, "reading ratings": 0.03, "cleaning ratings": 0.065,
                      "summarising": 0.002, "writing": 0.008}
# Ratings per MiB of raw ratings files, to estimate the fit's length before the ETL has counted them.
RATINGS_PER_MB = 115_000


@dataclass(frozen=True)
class BuildResult:
    """What a build did: the processed data version, whether each part was reused, and how long it took."""

    etl: EtlResult
    model_path: Path
    model_reused: bool
    model_seconds: float
    seconds: float


def build(data_dir: str | os.PathLike | None = None, force: bool = False,
          progress: Progress | None = None) -> BuildResult:
    """Run the ETL, fit and save the recommender and save the ratings per title (core.title_ratings) of a raw data
    dir (None: $STREAMING_DATA_DIR or the demo)."""
    started = time.perf_counter()
    progress = progress or Progress()
    raw_dir, source = raw_dir_or_demo(data_dir)
    plan_stages(progress, raw_dir)
    etl = run_etl(raw_dir, force=force, progress=progress)
    from core.recommender import model_path  # imported late: the up-to-date case needs no model code

    path = model_path(etl.version_dir)
    model_started = time.perf_counter()
    reused = not force and etl.skipped and model_is_current(path)
    catalog = None
    if not reused:
        from core.recommender import load_or_fit

        catalog = read_catalog(etl.version_dir, source, etl.report)
        load_or_fit(catalog, progress, force)
    if not (etl.version_dir / title_ratings.FILE_NAME).is_file():  # else the app loads it at start
        title_ratings.for_catalog(catalog or read_catalog(etl.version_dir, source, etl.report))
    return BuildResult(etl, path, reused, time.perf_counter() - model_started, time.perf_counter() - started)


def plan_stages(progress: Progress, raw_dir: Path) -> None:
    """Tell the progress every stage to come and a rough length of each, from the size of the ratings files."""
    from core.recommender import MODEL_STAGES, expected_fit_seconds

    ratings_mb = megabytes(check_raw_dir(raw_dir)[1])  # the files the ETL reads (a bad dir: its DataError)
    expected = {stage: rate * ratings_mb for stage, rate in ETL_SECONDS_PER_MB.items()}
    expected.update(expected_fit_seconds(int(ratings_mb * RATINGS_PER_MB)))
    progress.plan([*ETL_STAGES, *MODEL_STAGES], expected)


def model_is_current(path: Path) -> bool:
    """Whether a saved model is whole (every member's CRC checks out: ~0.1 s for the real model) and was fitted
    with today's defaults and model version."""
    from core.recommender import MODEL_VERSION, HybridRecommender, Params

    try:
        with zipfile.ZipFile(path) as archive:
            if archive.testzip() is not None:
                return False
        with np.load(path, allow_pickle=False) as saved:
            complete = set(HybridRecommender.ARRAYS) <= {name.removesuffix(".npy") for name in saved.files}
            return (complete and int(saved["version"]) == MODEL_VERSION
                    and json.loads(str(saved["params"])) == asdict(Params()))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return False


def main(argv: list[str] | None = None) -> int:
    """Command line: python -m core.build [RAW_DIR] [--force]."""
    parser = argparse.ArgumentParser(prog="python -m core.build", description=__doc__.splitlines()[0])
    parser.add_argument("raw_dir", nargs="?", help="folder with titles/ and ratings/ (default: $STREAMING_DATA_DIR, "
                                                   "else the embedded demo data)")
    parser.add_argument("--force", action="store_true", help="rebuild even when everything is up to date")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    try:
        result = build(args.raw_dir, args.force, Progress.for_stream(sys.stderr))
    except StreamingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(report(result), flush=True)
    return 0


def report(result: BuildResult) -> str:
    """What the build did, in a few lines."""
    etl, counts = result.etl, result.etl.counts
    data = (f"{counts['titles']:,} titles, {counts['ratings']:,} ratings, {counts['users']:,} users "
            f"in {etl.version_dir}")
    lines = [f"processed data: {'up to date' if etl.skipped else f'built in {etl.seconds:.1f} s'}: {data}"]
    if not etl.skipped:
        lines += ["data-quality report:", *("  " + line for line in etl.report)]
    size = result.model_path.stat().st_size / 2**20 if result.model_path.is_file() else 0
    state = "up to date" if result.model_reused else f"ready in {result.model_seconds:.1f} s"
    lines.append(f"recommender: {state}: {result.model_path.name} ({size:,.0f} MB)")
    lines.append(f"build done in {result.seconds:.1f} s; serve with: gunicorn -c gunicorn.conf.py app:server")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
