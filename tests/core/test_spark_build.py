"""The build on Apache Spark (`python -m core.build --engine spark`): the same processed files as the local engine,
a model the app loads and serves from, and an RMSE within 0.01 of the local model's on the evaluation's split.
Marker `spark` (run them alone with `pytest -m spark`): one local[2] session for all of them (tests/conftest.py)."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core import etl
from core import build as build_module
from core.build import build
from core.catalog import read_catalog
from core.config import PROJECT_ROOT, processed_dir_for
from core.errors import DataError
from core.evaluate import rating_metrics, split_ratings
from core.hadoop_fs import HadoopPath
from core.recommender import HybridRecommender, load_or_fit, model_path
from tests.core.test_etl import RATINGS, write_raw
from tests.core.test_etl_engine import DEFECTS

PARQUET_FILES = ("titles", "ratings", "users", "user_segments", "activity")


def spark_engine(spark):
    """run_etl's engine argument for the test session's Spark."""
    from core.spark_etl import SparkEngine

    return lambda spill_dir: SparkEngine(spark)


def assert_same_files(spark_dir: Path, local_dir: Path) -> None:
    """Every processed parquet file of two versions: same rows, keys and dtypes, values equal to float tolerance."""
    for name in PARQUET_FILES:
        built, expected = (pd.read_parquet(folder / f"{name}.parquet") for folder in (spark_dir, local_dir))
        assert len(built) == len(expected), name
        pd.testing.assert_frame_equal(built, expected, check_exact=False, rtol=1e-9, obj=name)


@pytest.fixture(scope="module")
def spark_built(spark, tmp_path_factory):
    """`build(engine="spark")` of the demo data into an empty cache dir (ETL on Spark SQL, model on MLlib and
    pandas UDFs): (result, cache dir, demo raw dir)."""
    from core.demo import ensure_demo_raw

    cache = tmp_path_factory.mktemp("spark-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("STREAMING_CACHE_DIR", str(cache))
        raw = ensure_demo_raw()
        yield build(raw, engine="spark", master="local[2]"), cache, raw


@pytest.mark.spark
def test_spark_build_writes_the_local_engines_files(spark_built, tmp_path):
    result, _, raw = spark_built
    local = etl.run_etl(raw, tmp_path / "local")
    assert result.engine == "spark" and not result.etl.skipped and result.app_dir is None
    assert result.etl.report == local.report and result.etl.counts == local.counts
    assert local.counts["ratings"] > 200_000
    assert_same_files(result.etl.version_dir, local.version_dir)


@pytest.mark.spark
def test_the_app_loads_the_spark_built_model_and_recommends(spark_built, monkeypatch):
    from app import create_app

    result, cache, raw = spark_built
    monkeypatch.setenv("STREAMING_CACHE_DIR", str(cache))
    path = model_path(result.etl.version_dir)
    saved = path.stat().st_mtime_ns
    server = create_app(raw, model="deferred").server  # deferred: a model it had to fit would not be ready
    model = server.extensions["streaming"]["model"].get()
    assert path.stat().st_mtime_ns == saved  # loaded, not fitted again
    user = int(model.known_user_ids()[0])
    response = server.test_client().get(f"/api/recommend?user={user}&title=ns1&k=5")
    assert response.status_code == 200, response.get_data(as_text=True)
    answer = response.get_json()
    assert len(answer["recommendations"]) == 5 and 0.5 <= answer["predicted_rating"] <= 5
    assert all(row["id"] not in model.title_ids[model.rated_rows(model.user_row(user))] for row in
               answer["recommendations"])


@pytest.mark.spark
def test_spark_model_rmse_within_001_of_the_local_model(spark, demo_catalog):
    from core.spark_model import SparkFitter

    train, test = split_ratings(demo_catalog.ratings(["user_id", "id", "rating", "timestamp"]))
    local = HybridRecommender().fit(demo_catalog.titles, train)
    on_spark = HybridRecommender().fit(demo_catalog.titles, train, fit_parts=SparkFitter(spark))
    local_rmse = rating_metrics(local, train, test)["hybrid"]["rmse"]
    spark_rmse = rating_metrics(on_spark, train, test)["hybrid"]["rmse"]
    assert abs(spark_rmse - local_rmse) <= 0.01, (spark_rmse, local_rmse)
    # The biases are the same alternating means, as aggregations: equal to float tolerance.
    assert on_spark.mean == pytest.approx(local.mean, abs=1e-9)
    np.testing.assert_allclose(on_spark.user_bias, local.user_bias, atol=1e-5)
    np.testing.assert_allclose(on_spark.item_bias, local.item_bias, atol=1e-5)
    assert on_spark.blend_weights.min() > 0  # both parts carry signal on the demo data, as locally
    assert np.array_equal(on_spark.rated_items, local.rated_items) and np.array_equal(on_spark.user_ids,
                                                                                      local.user_ids)


@pytest.mark.spark
def test_spark_etl_handles_every_rating_defect_as_the_local_engine(spark, tmp_path):
    raw = write_raw(tmp_path / "raw", ratings=[*RATINGS, *DEFECTS])
    on_spark = etl.run_etl(raw, tmp_path / "spark", engine=spark_engine(spark))
    local = etl.run_etl(raw, tmp_path / "local")
    assert on_spark.report == local.report
    assert_same_files(on_spark.version_dir, local.version_dir)


@pytest.mark.spark
@pytest.mark.parametrize("ratings, problem", [
    (["userId,rating,timestamp", "1,4.0,1425941529"], "missing column movieId; expected userId,rating,timestamp"),
    (["userId,rating,timestamp,movieId", "1,four,1425941529,ns1"], "non-numeric value in a numeric column"),
    (["userId,rating,timestamp,movieId", "1.5,4.0,1425941529,ns1"], "non-numeric value in a numeric column"),
])
def test_bad_rating_files_stop_with_the_file_named_and_nothing_written(spark, tmp_path, ratings, problem):
    raw = write_raw(tmp_path / "raw")
    (raw / "ratings" / "3.csv").write_text("\n".join(ratings) + "\n")
    with pytest.raises(DataError, match="3.csv: " + problem):
        etl.run_etl(raw, tmp_path / "out", engine=spark_engine(spark))
    assert not (tmp_path / "out" / "current").exists() and not list((tmp_path / "out").glob(".tmp-*"))


# ---------------------------------------------------------------------------------------------- raw dir as a URI
@pytest.fixture(scope="module")
def uri_etl(spark, tmp_path_factory):
    """The Spark ETL of the demo data read from its file:// URI through Hadoop's FileSystem API, into the default
    processed dir of that URI: (result, the URI's HadoopPath, the demo raw dir)."""
    from core.demo import ensure_demo_raw

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("STREAMING_CACHE_DIR", str(tmp_path_factory.mktemp("uri-cache")))
        raw = ensure_demo_raw()
        uri = HadoopPath.of(spark, raw.as_uri())
        yield etl.run_etl(uri, engine=spark_engine(spark)), uri, raw


@pytest.mark.spark
def test_spark_etl_of_a_file_uri_writes_the_local_engines_files(uri_etl, tmp_path):
    result, uri, raw = uri_etl
    local = etl.run_etl(raw, tmp_path / "local")
    assert not result.skipped and result.report == local.report and result.counts == local.counts
    assert_same_files(result.version_dir, local.version_dir)
    assert etl.read_manifest(result.version_dir)["raw_dir"] == raw.as_uri()
    # The default output: a folder per URI, named after its last part, beside (not in) the local path's.
    assert result.version_dir.parent == processed_dir_for(uri) != processed_dir_for(raw)
    assert result.version_dir.parent.name.startswith(f"processed-{raw.name}-")


@pytest.mark.spark
def test_a_build_of_an_unchanged_uri_has_nothing_to_do(spark, uri_etl):
    result, uri, raw = uri_etl
    again = etl.run_etl(HadoopPath.of(spark, raw.as_uri() + "/"), engine=spark_engine(spark))
    assert again.skipped and again.version_dir == result.version_dir  # same files: same fingerprint and folder
    # The model file is the same whichever engine fits it: fitted locally here (seconds, not Spark's minutes).
    load_or_fit(read_catalog(result.version_dir, str(uri), result.report))
    built = build(raw.as_uri(), engine="spark", master="local[2]")
    assert built.etl.skipped and built.model_reused and built.etl.version_dir == result.version_dir
    assert built.app_dir is None and "processed data: up to date" in build_module.report(built)


@pytest.mark.spark
def test_a_uri_and_a_local_copy_keeping_its_times_have_one_fingerprint(spark, tmp_path):
    raw = write_raw(tmp_path / "raw")
    for path in raw.glob("*/*.csv*"):
        os.utime(path, ns=(1_700_000_000_123_000_000,) * 2)  # whole milliseconds: what Hadoop keeps
    local, on_hadoop = (etl.fingerprint([*titles.values(), *ratings]) for titles, ratings in
                        (etl.check_raw_dir(raw), etl.check_raw_dir(HadoopPath.of(spark, raw.as_uri()))))
    assert local == on_hadoop


def break_raw(raw: Path, how: str) -> str:
    """A URI of a raw dir broken one way (a fixture made from write_raw), or an unusable URI."""
    if how == "no ratings folder":
        for path in (raw / "ratings").iterdir():
            path.unlink()
        (raw / "ratings").rmdir()
    elif how == "title file without its columns":
        (raw / "titles" / "netflix_titles.csv").write_text("show_id,title\ns1,x\n")
    elif how == "gzip rating file without movieId":
        with gzip.open(raw / "ratings" / "3.csv.gz", "wt") as handle:
            handle.write("userId,rating,timestamp\n1,4.0,1425941529\n")
    return {"no such folder": raw.as_uri() + "/nowhere", "unknown scheme": "nosuch://host/raw",
            "s3a without hadoop-aws": "s3a://bucket/raw"}.get(how, raw.as_uri())


# How a raw dir URI is bad, and what the one error line says.
BAD_URIS = [
    ("no such folder", "/nowhere: data folder not found"),
    ("no ratings folder", "/ratings: folder not found (a data dir holds titles/ and ratings/)"),
    ("title file without its columns", "/titles/netflix_titles.csv: missing column(s) type, director"),
    ("gzip rating file without movieId", "/ratings/3.csv.gz: missing column movieId"),
    ("unknown scheme", "nosuch://host/raw: no Hadoop FileSystem for nosuch:// in this Spark"),
    ("s3a without hadoop-aws", "s3a://bucket/raw: no Hadoop FileSystem for s3a:// in this Spark: add its "
                               "connector (spark-submit --packages org.apache.hadoop:hadoop-aws:"),
]


@pytest.mark.spark
@pytest.mark.parametrize("how, message", BAD_URIS, ids=[how for how, _ in BAD_URIS])
def test_a_bad_raw_dir_uri_is_one_message_exit_2_and_nothing_written(spark, tmp_path, monkeypatch, capsys, how,
                                                                      message):
    monkeypatch.setenv("STREAMING_CACHE_DIR", str(tmp_path / "cache"))
    uri = break_raw(write_raw(tmp_path / "raw"), how)
    assert build_module.main([uri, "--engine", "spark", "--master", "local[2]"]) == 2
    error = capsys.readouterr().err
    last = error.splitlines()[-1]  # after any progress lines: the URI named, as the user wrote it
    assert last.startswith(f"error: {uri.split('://')[0]}://") and message in last and "Traceback" not in error
    assert {path.name for path in tmp_path.glob("cache/processed-*/*")} <= {".etl.lock"}


# ---------------------------------------------------------------------------------------------- command line
def run_build(*args: str, cache: Path) -> subprocess.CompletedProcess:
    """`python -m core.build ARGS` in a child process with its own cache dir."""
    env = {"STREAMING_CACHE_DIR": str(cache), "PATH": "/usr/bin:/bin", "PYTHONPATH": str(PROJECT_ROOT)}
    return subprocess.run([sys.executable, "-m", "core.build", *args], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("args, message", [
    (["--master", "local[2]"], "--master needs --engine spark"),
    (["--engine", "spark", "--master", "nowhere"], "error: --master 'nowhere': give local[N], yarn"),
    (["--engine", "flink"], "invalid choice: 'flink'"),
])
def test_command_line_bad_engine_options_are_one_message_and_exit_2(tmp_path, args, message):
    done = run_build(*args, cache=tmp_path)
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr
    assert not list(tmp_path.glob("processed-*/v-*"))
