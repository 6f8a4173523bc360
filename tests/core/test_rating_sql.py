"""The rating SQL is engine-neutral: Spark SQL runs core.rating_sql's statements unchanged and gets DuckDB's
results (marker `spark`: needs pyspark and Java; skipped with the reason otherwise)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from core import etl, rating_etl, rating_read, rating_sql
from tests.core.test_etl import RATINGS, write_raw
from tests.core.test_etl_engine import DEFECTS

ALL_USERS = {"first": 1, "last": 2**31 - 1}
# pyspark 4.x warns about pandas 3 on each conversion; the tables it is given here are plain Arrow.
pytestmark = [pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas"),
              pytest.mark.filterwarnings("ignore:The copy keyword is deprecated")]


def inputs(raw: Path) -> dict[str, pa.Table]:
    """The engine's input tables for a raw dir, as the ETL makes them."""
    title_files, rating_files = etl.check_raw_dir(raw)
    titles = etl.load_titles(title_files, etl.QualityReport())
    title_ids = pa.array(titles["id"].to_numpy(), pa.string())
    batches = [rating_read.raw_batch(batch, title_ids) for path in rating_files
               for batch in rating_read.file_batches(path)]
    return {"raw_ratings": pa.Table.from_batches(batches, rating_read.RAW_SCHEMA),
            "title_segments": pa.table({"code": pa.array(range(len(titles)), pa.int32()),
                                        "segment": pa.array(etl.title_segments(titles)[0], pa.int32())}),
            "calendar": rating_etl.calendar()}


def duckdb_results(tables: dict[str, pa.Table], spill: Path) -> dict[str, pd.DataFrame]:
    """Every result of the rating SQL on DuckDB, the users in one part."""
    engine = rating_etl.DuckDbEngine(spill)
    try:
        for name, table in tables.items():
            engine.register(name, table)
        engine.materialise(rating_sql.BEFORE)
        engine.select_part(**ALL_USERS)
        for steps in (rating_sql.PER_PART, rating_sql.PART_TOTALS, rating_sql.AFTER):
            engine.materialise(steps)
        return {name: engine.table(sql).to_pandas() for name, sql in rating_sql.RESULTS.items()}
    finally:
        engine.close()


def spark_results(spark, tables: dict[str, pa.Table]) -> dict[str, pd.DataFrame]:
    """The same statements through Spark SQL, each step a temp view of its name."""
    for name, table in tables.items():
        spark.createDataFrame(table).createOrReplaceTempView(name)
    steps = [rating_sql.BEFORE, {"part_rows": rating_sql.PART_ROWS.format(**ALL_USERS)}, rating_sql.PER_PART,
             rating_sql.PART_TOTALS, rating_sql.AFTER]
    for group in steps:
        for name, sql in group.items():
            spark.sql(sql).cache().createOrReplaceTempView(name)
    return {name: spark.sql(sql).toPandas() for name, sql in rating_sql.RESULTS.items()}


@pytest.fixture(scope="module")
def spark():
    """A local Spark session (one core, no UI), stopped at the end."""
    pyspark_sql = pytest.importorskip("pyspark.sql", reason="pyspark is not installed")
    if shutil.which("java") is None:
        pytest.skip("Spark needs Java: no `java` on PATH")
    session = (pyspark_sql.SparkSession.builder.master("local[1]").appName("rating-sql-test")
               .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2")
               .config("spark.sql.session.timeZone", "UTC").getOrCreate())
    yield session
    session.stop()


@pytest.mark.spark
def test_spark_runs_the_same_statements_with_the_same_results(spark, tmp_path):
    tables = inputs(write_raw(tmp_path / "raw", ratings=[*RATINGS, *DEFECTS]))
    expected = duckdb_results(tables, tmp_path / "spill")
    found = spark_results(spark, tables)
    assert len(expected["ratings"]) == 12 and len(expected["problem_counts"]) > 4
    for name, frame in expected.items():
        pd.testing.assert_frame_equal(found[name].astype("float64"), frame.astype("float64"), check_dtype=False,
                                      obj=name)
