"""The build on Apache Spark (`python -m core.build --engine spark`): the same processed files as the local engine,
a model the app loads and serves from, and an RMSE within 0.01 of the local model's on the evaluation's split.
Marker `spark` (run them alone with `pytest -m spark`): one local[2] session for all of them (tests/conftest.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core import etl
from core.build import build
from core.config import PROJECT_ROOT
from core.errors import DataError
from core.evaluate import rating_metrics, split_ratings
from core.recommender import HybridRecommender, model_path
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
