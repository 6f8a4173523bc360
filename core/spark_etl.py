"""The rating half of the ETL on Apache Spark: Spark reads the rating files (plain or gzip CSV) and runs the same
SQL as DuckDB (core.rating_sql) through Spark SQL, each step a cached temp view; the results stream back to the
driver as Arrow batches, which core.rating_etl writes into the very files the local engine writes."""

from __future__ import annotations

import csv
import functools
import gzip
import io
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from core import rating_sql
from core.errors import DataError, StreamingError
from core.hadoop_fs import HadoopPath, RawPath
from core.progress import Progress
from core.rating_read import RATING_COLUMNS
from core.spark_session import spark_problem

HEADER_BYTES = 1 << 16  # read of a rating file for its header line
RESULT_ROWS = 1 << 20  # rows per Arrow message sent from an executor to the driver
# What pyarrow's CSV reader (the local engine) reads as null: the same cells are null here.
NULL_TEXTS = tuple(pacsv.ConvertOptions().null_values)
# Numbers as pyarrow reads them: userId a whole number, rating and timestamp decimal or scientific, inf or nan
# (anything else stops the run, as it does locally).
WHOLE_NUMBER = r"^-?[0-9]+$"
DECIMAL_NUMBER = r"^\\s*[+-]?(([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?|(?i:inf|infinity|nan))\\s*$"


def _nullable(column: str) -> str:
    """SQL: a text cell, or null when it is one of the null texts."""
    texts = ", ".join("'" + text.replace("'", "''") + "'" for text in NULL_TEXTS)
    return f"CASE WHEN `{column}` IN ({texts}) THEN NULL ELSE `{column}` END"


# The cells of every rating file as raw_ratings wants them (see core.rating_sql), with the first cell that is not
# a number named in `bad_value`; movieIds trimmed (any Unicode space) and lower-cased, then looked up.
PARSED = rf"""
WITH cells AS (
  SELECT file, {_nullable("userId")} AS user_text, {_nullable("rating")} AS rating_text,
         {_nullable("timestamp")} AS ts_text,
         lower(regexp_replace({_nullable("movieId")}, '(?U)^\\s+|\\s+$', '')) AS movie
  FROM rating_text
), typed AS (
  SELECT file, user_text, rating_text, ts_text, movie,
         CASE WHEN user_text RLIKE '{WHOLE_NUMBER}' THEN TRY_CAST(user_text AS BIGINT) END AS user_id,
         CASE WHEN rating_text RLIKE '{DECIMAL_NUMBER}' THEN TRY_CAST(trim(rating_text) AS DOUBLE) END AS rating,
         CASE WHEN ts_text RLIKE '{DECIMAL_NUMBER}' THEN TRY_CAST(trim(ts_text) AS DOUBLE) END AS ts
  FROM cells
)
SELECT user_id,
       CASE WHEN isnan(typed.rating) THEN NULL ELSE typed.rating END AS rating,
       CASE WHEN isnan(typed.ts) THEN NULL ELSE typed.ts END AS ts,
       CAST(CASE WHEN movie IS NULL THEN NULL ELSE COALESCE(t.code, -1) END AS INTEGER) AS code,
       file,
       CASE WHEN user_text IS NOT NULL AND user_id IS NULL THEN 'userId ' || user_text
            WHEN rating_text IS NOT NULL AND typed.rating IS NULL THEN 'rating ' || rating_text
            WHEN ts_text IS NOT NULL AND typed.ts IS NULL THEN 'timestamp ' || ts_text END AS bad_value
FROM typed LEFT JOIN title_codes t ON t.title_id = typed.movie
"""


def file_header(path: RawPath) -> list[str]:
    """The column names of a rating file (plain or gzip; local or on a Hadoop FileSystem), or a DataError naming
    the file."""
    try:
        text = io.TextIOWrapper(io.BytesIO(first_bytes(path)), encoding="utf-8-sig", newline="")
        header = next(csv.reader(text), None)
    except (OSError, UnicodeDecodeError, EOFError, csv.Error) as exc:
        raise DataError(f"{path}: not a readable CSV file ({str(exc)[:120]})") from None
    if not header:
        raise DataError(f"{path}: file is empty")
    missing = [name for name in RATING_COLUMNS if name not in header]
    if missing:
        raise DataError(f"{path}: missing column {missing[0]}; expected {','.join(RATING_COLUMNS)}")
    return header


def first_bytes(path: RawPath) -> bytes:
    """The first HEADER_BYTES of a rating file, decompressed (enough for its header line)."""
    if isinstance(path, HadoopPath):
        return path.head(HEADER_BYTES)
    with (gzip.open if path.name.endswith(".gz") else open)(path, "rb") as handle:
        return handle.read(HEADER_BYTES)


def ipc_messages(batches: Iterator[pa.RecordBatch], rows: int) -> Iterator[pa.RecordBatch]:
    """Executor side: a partition's batches as Arrow IPC messages of about `rows` rows, one binary cell each (so
    the driver receives a few large cells instead of millions of rows)."""
    held: list[pa.RecordBatch] = []
    size = 0
    for batch in batches:
        held.append(batch)
        size += batch.num_rows
        if size >= rows:
            yield _message(held)
            held, size = [], 0
    if size:
        yield _message(held)


def _message(batches: list[pa.RecordBatch]) -> pa.RecordBatch:
    """Some batches as one Arrow IPC stream in a one-cell batch."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, batches[0].schema) as writer:
        for batch in batches:
            writer.write_batch(batch)
    return pa.record_batch([pa.array([sink.getvalue().to_pybytes()], pa.binary())], names=["ipc"])


class SparkEngine:
    """Runs core.rating_sql on Spark SQL, with the interface of rating_etl.DuckDbEngine: each step a cached temp
    view (memory and disk), results streamed to the driver in order, partition by partition."""

    # No memory cap to plan parts by: Spark spreads the rows over its executors and spills by itself, so the
    # ratings are one part (rating_etl.plan_parts).
    memory_bytes = 1 << 62

    def __init__(self, spark: Any) -> None:
        self.spark = spark
        self.cached: dict[str, Any] = {}

    def register(self, name: str, data: pa.Table) -> None:
        """Make a small Arrow table a named input (titles' segments, the calendar)."""
        self._run(lambda: self.spark.createDataFrame(data).createOrReplaceTempView(name))

    def start_reading(self, paths: list[Path], progress: Progress) -> None:
        """Nothing to start ahead: Spark reads the rating files itself, in read_ratings."""

    def read_ratings(self, paths: list[Path], title_ids: pa.Array, progress: Progress) -> None:
        """Spark reads the rating files into `raw_ratings`, and every row is checked (rating_sql.BEFORE); a cell
        that is not a number stops the run with the file named, as with the local engine."""
        self.register("title_codes", pa.table({"title_id": title_ids,
                                               "code": pa.array(np.arange(len(title_ids)), pa.int32())}))
        self._run(lambda: self._text_view(paths))
        self.materialise({"parsed": PARSED})
        bad = self.rows("SELECT file, bad_value FROM parsed WHERE bad_value IS NOT NULL LIMIT 1")
        if bad:
            raise DataError(f"{local_path(bad[0][0])}: non-numeric value in a numeric column "
                            f"({bad[0][1][:60]!r})")
        self._run(lambda: self.spark.sql("CREATE OR REPLACE TEMP VIEW raw_ratings AS "
                                         "SELECT user_id, rating, ts, code FROM parsed"))
        self.materialise(rating_sql.BEFORE)
        self.drop("parsed")
        progress.advance(sum(path.stat().st_size for path in paths) / 2**20)

    def _text_view(self, paths: list[Path]) -> None:
        """`rating_text`: the four columns of every file as text (files grouped by header, each column found by
        its name) and the file each row came from."""
        from pyspark.sql import functions as F
        from pyspark.sql.types import StringType, StructField, StructType

        groups: dict[tuple[str, ...], list[str]] = {}
        for path in paths:
            groups.setdefault(tuple(file_header(path)), []).append(str(path))
        frames = []
        for header, files in groups.items():
            schema = StructType([StructField(f"c{n}", StringType()) for n in range(len(header))])
            frame = self.spark.read.csv(files, schema=schema, header=True, mode="FAILFAST", escape='"')
            frames.append(frame.select(*[F.col(f"c{header.index(name)}").alias(name) for name in RATING_COLUMNS],
                                       F.col("_metadata.file_path").alias("file")))
        functools.reduce(lambda a, b: a.unionByName(b), frames).createOrReplaceTempView("rating_text")

    def materialise(self, steps: dict[str, str], how: str = "create") -> None:
        """Run steps into cached views of their names: create them, replace them, or append to them."""
        for name, sql in steps.items():
            def cache(name: str = name, sql: str = sql) -> None:
                frame = self.spark.sql(sql)
                if how == "append":
                    frame = self.cached[name].unionByName(frame)
                frame = frame.persist()
                frame.count()  # computed now: the stage's time is spent here, and a bad file shows here
                old = self.cached.get(name)
                frame.createOrReplaceTempView(name)
                self.cached[name] = frame
                if old is not None:
                    old.unpersist()
            self._run(cache)

    def select_part(self, first: int, last: int) -> None:
        """Point `part_rows` at the usable rows of the users from `first` to `last`."""
        part = rating_sql.PART_ROWS.format(first=first, last=last)
        self._run(lambda: self.spark.sql(f"CREATE OR REPLACE TEMP VIEW part_rows AS {part}"))

    def drop(self, *names: str) -> None:
        """Free cached steps no later step needs."""
        for name in names:
            frame = self.cached.pop(name, None)
            if frame is not None:
                frame.unpersist()
            self.spark.catalog.dropTempView(name)

    def rows(self, sql: str) -> list[tuple]:
        """A small result as tuples."""
        return self._run(lambda: [tuple(row) for row in self.spark.sql(sql).collect()])

    def table(self, sql: str) -> pa.Table:
        """A result held whole on the driver (per-user or per-title totals)."""
        return self._run(lambda: self.spark.sql(sql).toArrow())

    def batches(self, sql: str, rows: int = RESULT_ROWS) -> Iterator[pa.RecordBatch]:
        """A result streamed to the driver in its order, one partition at a time, as Arrow batches."""
        frame = self._run(lambda: self.spark.sql(sql))
        messages = frame.mapInArrow(functools.partial(ipc_messages, rows=rows), "ipc binary")
        try:
            for row in messages.toLocalIterator(prefetchPartitions=True):
                yield from pa.ipc.open_stream(row.ipc)
        except StreamingError:
            raise
        except Exception as exc:  # noqa: BLE001 -- Spark's errors are Java exceptions in Python clothes
            raise spark_problem(exc, "processing the ratings on Spark") from None

    def _run(self, action):
        """Run a Spark action; a failure becomes one DataError (naming the rating file when Spark names it)."""
        try:
            return action()
        except StreamingError:
            raise
        except Exception as exc:  # noqa: BLE001 -- Spark's errors are Java exceptions in Python clothes
            raise spark_problem(exc, "processing the ratings on Spark") from None

    def close(self) -> None:
        """Free every cached step and view (the session stays: it belongs to the caller)."""
        self.drop(*list(self.cached))
        for name in ("rating_text", "title_codes", "raw_ratings", "part_rows", "title_segments", "calendar"):
            self.spark.catalog.dropTempView(name)


def local_path(uri: str) -> str:
    """A file:// URI as a plain path (other URIs as given)."""
    return uri.removeprefix("file://") if uri.startswith("file:///") else uri
