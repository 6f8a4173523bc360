"""One build step before serving: the ETL and the recommender's fit, on this machine or on Apache Spark.

`python -m core.build [RAW_DIR] [--force] [--engine local|spark] [--master URL] [--out DIR]` runs the ETL and fits
and saves the recommender, so a server (or a container) starts on ready-made data and loads the model in a
fraction of a second.

RAW_DIR defaults to $STREAMING_DATA_DIR, else the embedded demo data; with --engine spark it may be a URI of any
Hadoop-compatible FileSystem (hdfs://, s3a://, file://), listed and read through Spark. Output goes to the cache dir
($STREAMING_CACHE_DIR, default data/cache; a folder per raw dir, per URI for a URI), or to --out: always local;
the app serves it from anywhere with `python app.py --processed-dir DIR` ($STREAMING_PROCESSED_DIR), read-only.
The engine: `local` (DuckDB and numpy in this process) or `spark` (the rating SQL on Spark SQL and the model on Spark: MLlib's ALS and pandas UDFs; --master local[N],
yarn, spark://HOST:PORT, or what spark-submit says), with the same output files. Idempotent: unchanged raw files
and an intact saved model mean nothing to do. Safe to run beside a server or another build: file locks make one process build while the others wait and
then reuse its output. Progress goes to stderr (a bar on a terminal, plain lines in a log); exit code 2 with one
message on bad input.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shlex
import sys
import time
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from core import title_ratings
from core.catalog import raw_dir_or_demo, read_catalog
from core.config import chosen_data_dir, processed_dir_for
from core.errors import DataError, StreamingError
from core.etl import STAGES as ETL_STAGES, EtlResult, check_raw_dir, megabytes, run_etl, uri_needs_spark
from core.hadoop_fs import HadoopPath, RawPath, is_uri
from core.progress import Progress

# Seconds per MiB of raw ratings files (gzip CSV) of each ETL stage, measured on the real data (96 MiB, 2 cores).
ETL_SECONDS_PER_MB = {"reading titles": 0.007, "reading ratings": 0.03, "cleaning ratings": 0.065,
                      "summarising": 0.002, "writing": 0.008}
# Ratings per MiB of raw ratings files, to estimate the fit's length before the ETL has counted them.
RATINGS_PER_MB = 115_000
ENGINES = ("local", "spark")


@dataclass(frozen=True)
class BuildResult:
    """What a build did: the processed data version, whether each part was reused, and how long it took."""

    etl: EtlResult
    model_path: Path
    model_reused: bool
    model_seconds: float
    seconds: float
    engine: str = "local"
    app_dir: Path | None = None  # where the app looks for this raw dir's build, when --out put it elsewhere
    own_folder: bool = True  # written where the app finds it from the raw dir (else: served with --processed-dir)


def build(data_dir: str | os.PathLike | None = None, force: bool = False, progress: Progress | None = None,
          engine: str = "local", master: str | None = None,
          out_dir: str | os.PathLike | None = None) -> BuildResult:
    """Run the ETL, fit and save the recommender and save the ratings per title (core.title_ratings) of a raw data
    dir (None: $STREAMING_DATA_DIR or the demo) on an engine (local or spark; master: Spark's, None for
    spark-submit's or local[*]) into out_dir (None: the cache dir, where the app looks)."""
    if engine not in ENGINES:
        raise DataError(f"unknown engine {engine[:40]!r}: choose one of {', '.join(ENGINES)}")
    started = time.perf_counter()
    spark = None
    if engine == "spark":
        from core.spark_session import SparkBuild  # imported late: the local engine needs no pyspark

        spark = SparkBuild(master)  # a bad master stops here, before anything is read
    progress = progress or Progress()
    try:
        raw_dir, source = raw_source(data_dir, spark)
        plan_stages(progress, raw_dir)
        etl = run_etl(raw_dir, out_dir, force=force, progress=progress, engine=spark and spark.rating_engine)
        from core.recommender import model_path  # imported late: the up-to-date case needs no model code

        path = model_path(etl.version_dir)
        model_started = time.perf_counter()
        reused = not force and etl.skipped and model_is_current(path)
        catalog = None
        if not reused:
            from core.recommender import load_or_fit

            catalog = read_catalog(etl.version_dir, source, etl.report)
            load_or_fit(catalog, progress, force, spark and spark.fit_parts)
    finally:
        if spark is not None:
            spark.stop()
    if not (etl.version_dir / title_ratings.FILE_NAME).is_file():  # else the app loads it at start
        title_ratings.for_catalog(catalog or read_catalog(etl.version_dir, source, etl.report))
    app_dir = processed_dir_for(raw_dir) if isinstance(raw_dir, Path) else None  # the app reads local folders
    own = etl.version_dir.parent == app_dir
    return BuildResult(etl, path, reused, time.perf_counter() - model_started, time.perf_counter() - started,
                       engine, None if own else app_dir, own)


def raw_source(data_dir: str | os.PathLike | None, spark: Any) -> tuple[RawPath, str]:
    """The raw dir to build and its label: a URI (hdfs://, s3a://, file://) on Spark's Hadoop FileSystem, else
    the local folder or the demo data (raw_dir_or_demo)."""
    chosen = chosen_data_dir(data_dir)
    if not is_uri(chosen):
        return raw_dir_or_demo(data_dir)
    if spark is None:
        raise uri_needs_spark(str(chosen))
    raw_dir = HadoopPath.of(spark.session, str(chosen))
    return raw_dir, str(raw_dir)


def plan_stages(progress: Progress, raw_dir: RawPath) -> None:
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
    """Command line: python -m core.build [RAW_DIR] [--force] [--engine local|spark] [--master URL] [--out DIR]."""
    parser = argparse.ArgumentParser(prog="python -m core.build", description=__doc__.splitlines()[0])
    parser.add_argument("raw_dir", nargs="?", help="folder with titles/ and ratings/ (default: $STREAMING_DATA_DIR, "
                                                   "else the embedded demo data); with --engine spark also a URI: "
                                                   "hdfs://..., s3a://..., file:///...")
    parser.add_argument("--force", action="store_true", help="rebuild even when everything is up to date")
    parser.add_argument("--engine", choices=ENGINES, default="local",
                        help="local: this process (default); spark: Spark SQL and MLlib (pip install -r "
                             "requirements-spark.txt; Java 17)")
    parser.add_argument("--master", help="Spark master for --engine spark: local[N], yarn, spark://HOST:PORT "
                                         "(default: what spark-submit says, else local[*])")
    parser.add_argument("--out", help="processed output folder, local (default: under $STREAMING_CACHE_DIR or "
                                      "data/cache, the one the app reads for a local raw dir; for a URI: "
                                      "processed-<its last part>-<hash of the URI>); the app serves any such "
                                      "folder with --processed-dir or $STREAMING_PROCESSED_DIR")
    args = parser.parse_args(argv)
    if args.master and args.engine != "spark":
        parser.error("--master needs --engine spark")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    try:
        result = build(args.raw_dir, args.force, Progress.for_stream(sys.stderr), args.engine, args.master,
                       args.out)
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
    out = shlex.quote(str(result.etl.version_dir.parent))
    serve = ("gunicorn -c gunicorn.conf.py app:server" if result.own_folder else
             f"STREAMING_PROCESSED_DIR={out} gunicorn -c gunicorn.conf.py app:server (or python app.py "
             f"--processed-dir {out}), read-only, on any machine with a copy of it")
    lines.append(f"build done in {result.seconds:.1f} s ({result.engine} engine); serve with: {serve}")
    if result.app_dir is not None:
        lines.append(f"note: or copy or link {out} to {result.app_dir}, where the app looks for this raw dir's build")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
