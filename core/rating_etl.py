"""The rating half of the ETL, out of core: the rating files are streamed into DuckDB, which runs the SQL of
core.rating_sql under a memory cap (spilling to a folder beside the output), and the results are streamed into
parquet. Memory stays flat as the ratings grow; only per-user totals (one row per user) are held whole."""

from __future__ import annotations

import os
import queue
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from core import rating_sql
from core.errors import DataError
from core.progress import Progress

RATING_COLUMNS = ["userId", "rating", "timestamp", "movieId"]
RAW_TYPES = {"userId": pa.int64(), "rating": pa.float64(), "timestamp": pa.float64(), "movieId": pa.string()}
RAW_SCHEMA = pa.schema([("user_id", pa.int64()), ("rating", pa.float64()), ("ts", pa.float64()),
                        ("code", pa.int32())])
MEMORY_ENV = "STREAMING_ETL_MEMORY"
DEFAULT_MEMORY = "500MB"  # DuckDB's cap; the process adds ~0.3 GB (Python, pandas, Arrow batches)
BLOCK_BYTES = 8 << 20  # CSV text per batch: ~280k rating rows
RATING_ROW_GROUP = 2_000_000  # rows per row group of ratings.parquet
SUMMARY_ROW_GROUP = 1 << 20  # pyarrow's default, as DataFrame.to_parquet wrote the summaries
LAST_DAY = 47_482  # 2100-01-01, the end of the timestamps kept


# ---------------------------------------------------------------------------------------------- reading
def read_problem(path: Path, exc: Exception) -> DataError:
    """A DataError naming the file and saying what pyarrow found wrong with it."""
    message = _first_line(exc)
    if "Empty CSV file" in message:
        what = "file is empty"
    elif missing := re.search(r"Column '(.+?)' in include_columns does not exist", message):
        what = f"missing column {missing.group(1)}; expected {','.join(RATING_COLUMNS)}"
    elif "conversion error" in message:
        what = f"non-numeric value in a numeric column ({message})"
    else:
        what = f"not a readable CSV file ({message})"
    return DataError(f"{path}: {what}")


def _first_line(exc: Exception) -> str:
    """First line of an exception message."""
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def file_batches(path: Path) -> Iterator[pa.RecordBatch]:
    """One raw ratings file (plain or gzip CSV) as numeric batches, or a DataError naming the file."""
    convert = pacsv.ConvertOptions(column_types=RAW_TYPES, include_columns=RATING_COLUMNS,
                                   strings_can_be_null=True)
    try:
        with pacsv.open_csv(path, read_options=pacsv.ReadOptions(block_size=BLOCK_BYTES),
                            convert_options=convert) as reader:
            yield from reader
    except (OSError, pa.ArrowException) as exc:
        raise read_problem(path, exc) from None


def raw_batch(batch: pa.RecordBatch, title_ids: pa.Array) -> pa.RecordBatch:
    """A batch as raw_ratings rows: NaN read as null, each movieId (trimmed, lower-cased) as its title's row."""
    movie_ids = pc.utf8_lower(pc.utf8_trim_whitespace(batch.column("movieId")))
    codes = pc.fill_null(pc.index_in(movie_ids, value_set=title_ids), -1)
    codes = pc.if_else(pc.is_null(movie_ids), pa.scalar(None, pa.int32()), codes)
    numbers = [pc.if_else(pc.is_nan(column), pa.scalar(None, pa.float64()), column)
               for column in (batch.column("rating"), batch.column("timestamp"))]
    return pa.record_batch([batch.column("userId"), *numbers, codes], schema=RAW_SCHEMA)


class RatingStream:
    """The rating files as one stream of raw_ratings batches, read by a few threads at once (pyarrow parses
    without the GIL); a bounded queue keeps only a few batches in memory. A bad file stops the stream early and
    `check` raises its DataError."""

    def __init__(self, paths: list[Path], title_ids: pa.Array, progress: Progress, workers: int) -> None:
        self.title_ids, self.progress = title_ids, progress
        self.queue: queue.Queue = queue.Queue(maxsize=2 * workers)
        self.stop = threading.Event()
        self.errors: list[DataError] = []
        self.threads = [threading.Thread(target=self._read, args=(paths[i::workers],), daemon=True)
                        for i in range(workers)]

    def reader(self) -> pa.RecordBatchReader:
        """Start the reading threads; the batches as an Arrow stream."""
        for thread in self.threads:
            thread.start()
        return pa.RecordBatchReader.from_batches(RAW_SCHEMA, self._batches())

    def _read(self, paths: list[Path]) -> None:
        """Thread body: read some files into the queue; always ends with a None."""
        try:
            for path in paths:
                for batch in file_batches(path):
                    if self.stop.is_set():
                        return
                    self.queue.put(raw_batch(batch, self.title_ids))
                self.progress.advance(path.stat().st_size / 2**20)
        except DataError as exc:
            self.errors.append(exc)
            self.stop.set()
        finally:
            self.queue.put(None)

    def _batches(self) -> Iterator[pa.RecordBatch]:
        """The batches the threads read, until each has finished (or one has failed)."""
        finished = 0
        while finished < len(self.threads):
            batch = self.queue.get()
            if batch is None:
                finished += 1
            elif not self.stop.is_set():
                yield batch

    def close(self) -> None:
        """Stop the threads (emptying the queue so none waits on it)."""
        self.stop.set()
        while any(thread.is_alive() for thread in self.threads):
            try:
                self.queue.get(timeout=0.05)
            except queue.Empty:
                pass

    def check(self) -> None:
        """Raise the first reading error, if any."""
        if self.errors:
            raise self.errors[0]


# ---------------------------------------------------------------------------------------------- the engine
class DuckDbEngine:
    """Runs core.rating_sql on DuckDB: each step materialised as a table, memory capped, spilling to disk."""

    def __init__(self, spill_dir: Path, memory_limit: str | None = None, threads: int | None = None) -> None:
        import duckdb  # imported late: only a cold ETL run needs it

        self.error = duckdb.Error
        self.con = duckdb.connect(config={
            "memory_limit": memory_limit or os.environ.get(MEMORY_ENV) or DEFAULT_MEMORY,
            "threads": threads or usable_cores(), "temp_directory": str(spill_dir),
            "preserve_insertion_order": False})

    def register(self, name: str, data: pa.Table | pa.RecordBatchReader) -> None:
        """Make Arrow data (a table, or a stream read once) a named input."""
        self.con.register(name, data)

    def materialise(self, *steps: str) -> None:
        """Run steps of core.rating_sql, each into a table of its name."""
        for name in steps:
            self._run(f"CREATE TABLE {name} AS {rating_sql.STEPS[name]}")

    def drop(self, name: str) -> None:
        """Free a table no later step needs."""
        self._run(f"DROP TABLE {name}")

    def rows(self, sql: str) -> list[tuple]:
        """A small result as tuples."""
        return self._run(sql).fetchall()

    def table(self, sql: str) -> pa.Table:
        """A result held whole (per-user or per-title totals)."""
        return pa.Table.from_batches(list(self.batches(sql)))

    def batches(self, sql: str, rows: int = 1 << 20) -> Iterator[pa.RecordBatch]:
        """A result streamed as Arrow batches."""
        try:
            yield from self.con.sql(sql).to_arrow_reader(rows)
        except self.error as exc:
            raise engine_problem(exc) from None

    def _run(self, sql: str):
        try:
            return self.con.execute(sql)
        except self.error as exc:
            raise engine_problem(exc) from None

    def close(self) -> None:
        """Release the connection (and its spill files)."""
        self.con.close()


def engine_problem(exc: Exception) -> DataError:
    """A short message for a failure inside the engine (out of memory or disk, most likely)."""
    return DataError(f"processing the ratings failed: {_first_line(exc)}")


def usable_cores() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def calendar() -> pa.Table:
    """Days since 1970-01-01 up to 2100-01-01 and their month as 'YYYY-MM'."""
    days = np.arange(LAST_DAY + 1)
    months = days.astype("datetime64[D]").astype("datetime64[M]").astype(str)
    return pa.table({"day": pa.array(days, pa.int64()), "month": pa.array(months, pa.string())})


# ---------------------------------------------------------------------------------------------- results
@dataclass(frozen=True)
class DuplicateCounts:
    """Usable rows, and how many were exact repeats or superseded by a later rating of the same title."""

    kept: int
    exact: int
    superseded: int


def problem_counts(engine: DuckDbEngine) -> tuple[int, int, list[tuple[str, int]]]:
    """(rows read, usable rows, report lines of the excluded rows: each problem counted on its own, a missing
    value hiding the others)."""
    problems = dict(engine.rows(rating_sql.RESULTS["problem_counts"]))
    lines = [(what, sum(n for bits, n in problems.items() if bits & bit)) for bit, what in rating_sql.PROBLEMS.items()]
    return sum(problems.values()), problems.get(0, 0), lines


def duplicate_counts(engine: DuckDbEngine, usable: int) -> DuplicateCounts:
    """What de-duplication kept and dropped (run after the `latest` step)."""
    kept, distinct = (int(n or 0) for n in engine.rows(rating_sql.RESULTS["duplicate_counts"])[0])
    return DuplicateCounts(kept, usable - distinct, distinct - kept)


def title_totals(engine: DuckDbEngine, n_titles: int) -> tuple[np.ndarray, np.ndarray]:
    """Ratings per title and their sum, by catalogue row."""
    table = engine.table(rating_sql.RESULTS["title_totals"])
    codes = table["code"].to_numpy()
    counts, sums = np.zeros(n_titles, np.int64), np.zeros(n_titles)
    counts[codes], sums[codes] = table["n_ratings"].to_numpy(), table["rating_sum"].to_numpy()
    return counts, sums


def users_frame(engine: DuckDbEngine) -> pd.DataFrame:
    """users.parquet: user_id, n_ratings, mean_rating; sorted by user_id."""
    table = engine.table(rating_sql.RESULTS["users"])
    counts = table["n_ratings"].to_numpy()
    return pd.DataFrame({"user_id": table["user_id"].to_numpy().astype(np.int32),
                         "n_ratings": counts.astype(np.int32),
                         "mean_rating": (table["rating_sum"].to_numpy() / counts).astype(np.float32)})


def write_ratings(engine: DuckDbEngine, title_ids: pa.Array, path: Path) -> None:
    """ratings.parquet: user_id, id (dictionary of every title id), rating, timestamp, date; sorted by user and
    title, streamed in row groups."""
    schema = pa.schema([("user_id", pa.int32()), ("id", pa.dictionary(pa.int32(), pa.string())),
                        ("rating", pa.float32()), ("timestamp", pa.int64()), ("date", pa.string())])
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        for batch in regrouped(engine.batches(rating_sql.RESULTS["ratings"]), RATING_ROW_GROUP):
            seconds = batch.column("ts")
            dates = pc.cast(pc.cast(seconds.cast(pa.timestamp("s")), pa.date32()), pa.string())
            ids = pa.DictionaryArray.from_arrays(batch.column("code"), title_ids)
            writer.write_table(pa.table([batch.column("user_id"), ids, batch.column("rating"), seconds, dates],
                                        schema=schema), row_group_size=RATING_ROW_GROUP)


def regrouped(batches: Iterator[pa.RecordBatch], rows: int) -> Iterator[pa.Table]:
    """Batches re-cut into tables of exactly `rows` rows (the last one shorter)."""
    held: list[pa.RecordBatch] = []
    size = 0
    for batch in batches:
        held.append(batch)
        size += batch.num_rows
        while size >= rows:
            table = pa.Table.from_batches(held)
            yield table.slice(0, rows).combine_chunks()
            rest = table.slice(rows)
            held, size = rest.to_batches(), rest.num_rows
    if size:
        yield pa.Table.from_batches(held).combine_chunks()


def write_segment_counts(engine: DuckDbEngine, name: str, segments: pd.DataFrame, columns: list[str],
                         path: Path) -> None:
    """user_segments.parquet or activity.parquet: the per-segment counts with each segment's platform, type
    and release year, as the frames DataFrame.to_parquet wrote (same dtypes, row groups and compression)."""
    writer = None
    try:
        for table in regrouped(engine.batches(rating_sql.RESULTS[name]), SUMMARY_ROW_GROUP):
            frame = segment_frame(table, segments)[columns]
            arrow = pa.Table.from_pandas(frame, preserve_index=False)
            writer = writer or pq.ParquetWriter(path, arrow.schema, compression="snappy")
            writer.write_table(arrow.cast(writer.schema), row_group_size=SUMMARY_ROW_GROUP)
    finally:
        if writer is not None:
            writer.close()


def segment_frame(table: pa.Table, segments: pd.DataFrame) -> pd.DataFrame:
    """Per-segment counts with the segment number replaced by its columns (platform and type categorical)."""
    frame = table.to_pandas()
    parts = segments.loc[frame.pop("segment").to_numpy()].reset_index(drop=True)
    frame = frame.astype({"n_ratings": "int32", **({"user_row": "int32"} if "user_row" in frame else {})})
    return pd.concat([frame, parts], axis=1)
