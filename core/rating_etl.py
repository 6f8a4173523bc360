"""The rating half of the ETL, out of core: the rating files are streamed into DuckDB, which runs the SQL of
core.rating_sql under a memory cap ($STREAMING_ETL_MEMORY, default 600MB; what does not fit spills to a folder
beside the output), a range of users at a time, and the results are streamed into parquet. Memory stays flat as
the ratings grow: only the totals per title and per user (a row each) are held whole. The files are read by
core.rating_read."""

from __future__ import annotations

import functools
import os
import re
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from core import rating_read, rating_sql
from core.errors import DataError, first_line
from core.progress import Progress

if TYPE_CHECKING:
    from core.etl import QualityReport

MEMORY_ENV = "STREAMING_ETL_MEMORY"
DEFAULT_MEMORY = "600MB"  # DuckDB's cap; the process adds ~0.5 GB (Python, pandas, Arrow batches, writers)
RATING_ROW_GROUP = 2_000_000  # rows per row group of ratings.parquet
# ratings.parquet's writer options. The title ids' min/max statistics are left out: a dictionary column's are
# computed over its decoded strings (45 % of the file's writing time), and no reader filters on them; the dates'
# too: every row group spans the whole date range (rows are sorted by user), so no reader could skip one by date,
# and min/max over 11M strings cost 0.1 CPU-s. Timestamps are nearly all distinct: delta-packed rather than
# dictionary-encoded, the file writes 20 % faster, is 6 % smaller and its timestamps read twice as fast.
RATINGS_PARQUET = {"compression": "zstd", "write_statistics": ["user_id", "rating", "timestamp"],
                   "use_dictionary": ["user_id", "id", "rating", "date"],
                   "column_encoding": {"timestamp": "DELTA_BINARY_PACKED"}}
SUMMARY_ROW_GROUP = 1 << 20  # pyarrow's default, as DataFrame.to_parquet wrote the summaries
LAST_DAY = 47_482  # 2100-01-01, the end of the timestamps kept
# Engine memory per usable row of a part. A part's own steps take ~100 bytes a row; the checked rows (~28 bytes per
# row read) and the totals stay beside it, so a part gets a quarter of the cap: parts of 1.5M rows under the default,
# and the real data (300 MB of checked rows) runs in 8 parts with nothing spilled (in 3 parts of 4M rows it spilled
# 190 MB, which cost 1-1.6 CPU-s).
BYTES_PER_PART_ROW = 400


# ---------------------------------------------------------------------------------------------- the engine
class DuckDbEngine:
    """Runs core.rating_sql on DuckDB: each step materialised as a table, memory capped, spilling to disk."""

    def __init__(self, spill_dir: Path, memory: str | None = None, threads: int | None = None) -> None:
        import duckdb  # imported late: only a cold ETL run needs it

        self.error = duckdb.Error
        self.memory_bytes = memory_bytes(memory or os.environ.get(MEMORY_ENV) or DEFAULT_MEMORY)
        self.con = duckdb.connect(config={
            "memory_limit": f"{self.memory_bytes // 2**20}MiB", "threads": threads or rating_read.usable_cores(),
            "temp_directory": str(spill_dir), "preserve_insertion_order": False})
        self.stream: rating_read.RatingStream | None = None

    def register(self, name: str, data: pa.Table | pa.RecordBatchReader) -> None:
        """Make Arrow data a named input: a table is copied into the engine (joins on its own tables, with their
        statistics, run ~3x faster than on an Arrow scan), a stream is read once where it is used."""
        if isinstance(data, pa.RecordBatchReader):
            self.con.register(name, data)
            return
        self.con.register(f"{name}_arrow", data)
        self._run(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM {name}_arrow")
        self.con.unregister(f"{name}_arrow")

    def start_reading(self, paths: list[Path], progress: Progress) -> None:
        """Start parsing the rating files ahead (reader threads), before the titles are known; or take over the
        parsing the command started before it loaded pandas (rating_read.parse_ahead)."""
        self.stream = rating_read.stream(paths, progress)

    def read_ratings(self, paths: list[Path], title_ids: pa.Array, progress: Progress) -> None:
        """Stream the rating files into `raw_ratings` (reader threads) and check every row (rating_sql.BEFORE);
        the engine-specific step of process_ratings (Spark reads the files itself: core.spark_etl)."""
        if self.stream is None:
            self.start_reading(paths, progress)
        stream = self.stream
        self.register("raw_ratings", stream.reader(title_ids))
        try:
            self.materialise(rating_sql.BEFORE)
        finally:
            stream.close()
        stream.check()

    def materialise(self, steps: dict[str, str], how: str = "create") -> None:
        """Run steps into tables of their names: create them, replace them, or append to them."""
        for name, sql in steps.items():
            statement = {"create": f"CREATE TABLE {name} AS", "replace": f"CREATE OR REPLACE TABLE {name} AS",
                         "append": f"INSERT INTO {name}"}[how]
            self._run(f"{statement} {sql}")

    def select_part(self, first: int, last: int) -> None:
        """Point `part_rows` at the usable rows of the users from `first` to `last`."""
        self._run(f"CREATE OR REPLACE VIEW part_rows AS {rating_sql.PART_ROWS.format(first=first, last=last)}")

    def drop(self, *names: str) -> None:
        """Free tables no later step needs."""
        for name in names:
            self._run(f"DROP TABLE {name}")

    def rows(self, sql: str) -> list[tuple]:
        """A small result as tuples."""
        return self._run(sql).fetchall()

    def table(self, sql: str) -> pa.Table:
        """A result held whole (per-user or per-title totals)."""
        try:
            return self.con.sql(sql).to_arrow_table()
        except self.error as exc:
            raise engine_problem(exc) from None

    def batches(self, sql: str, rows: int = 1 << 20) -> Iterator[pa.RecordBatch]:
        """A result streamed as Arrow batches, through a connection of its own (so another thread can read it
        while this one runs the next statements)."""
        try:
            yield from self.con.cursor().sql(sql).to_arrow_reader(rows)
        except self.error as exc:
            raise engine_problem(exc) from None

    def _run(self, sql: str):
        try:
            return self.con.execute(sql)
        except self.error as exc:
            raise engine_problem(exc) from None

    def close(self) -> None:
        """Stop any reading and release the connection (and its spill files)."""
        if self.stream is not None:
            self.stream.close()
        self.con.close()


def memory_bytes(text: str) -> int:
    """'500MB', '1.5GB', '512MiB' -> bytes, or a DataError naming the setting."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(I?B)?\s*", text.upper())
    if not match or float(match.group(1)) == 0:
        raise DataError(f"{MEMORY_ENV}={text[:40]!r}: give an amount of memory such as 500MB or 2GB")
    base = 1024 if match.group(3) == "IB" else 1000
    return int(float(match.group(1)) * base ** " KMGT".index(match.group(2) or " "))


def engine_problem(exc: Exception) -> DataError:
    """A short message for a failure inside the engine (out of memory or disk, most likely)."""
    return DataError(f"processing the ratings failed: {first_line(exc)}")


def calendar() -> pa.Table:
    """Days since 1970-01-01 up to 2100-01-01 and their month (months since 1970-01)."""
    days = np.arange(LAST_DAY + 1)
    months = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    return pa.table({"day": pa.array(days, pa.int64()), "month": pa.array(months, pa.int32())})


# ---------------------------------------------------------------------------------------------- the steps
@dataclass(frozen=True)
class DuplicateCounts:
    """Rows kept, and how many were exact repeats or superseded by a later rating of the same title."""

    kept: int = 0
    exact: int = 0
    superseded: int = 0

    def __add__(self, other: DuplicateCounts) -> DuplicateCounts:
        return DuplicateCounts(self.kept + other.kept, self.exact + other.exact, self.superseded + other.superseded)


@dataclass(frozen=True)
class Part:
    """A range of user ids and how many usable rows they have."""

    first: int
    last: int
    rows: int


def process_ratings(engine: DuckDbEngine, paths: list[Path], title_ids: pa.Array, segments: np.ndarray,
                    report: QualityReport, progress: Progress, ratings: RatingsFile) -> None:
    """Stream the rating files into the engine, check every row, de-duplicate part by part (handing each part's
    sorted ratings to `ratings`) and add up the parts' totals; `segments` is each title's segment number. The report
    gets a line per problem found."""
    engine.register("title_segments", pa.table({"code": pa.array(np.arange(len(title_ids)), pa.int32()),
                                                "segment": pa.array(segments, pa.int32())}))
    engine.register("calendar", calendar())
    with progress.stage("reading ratings", total=sum(p.stat().st_size for p in paths) / 2**20, unit="MB"):
        engine.read_ratings(paths, title_ids, progress)
    problems = dict(engine.rows(rating_sql.RESULTS["problem_counts"]))
    report.add("ratings", "rows read", sum(problems.values()))
    for bit, what in rating_sql.PROBLEMS.items():
        report.add("ratings", what, sum(n for bits, n in problems.items() if bits & bit))
    if not problems.get(0):
        raise DataError(f"{paths[0].parent}: no usable rating in the ratings files")
    parts = plan_parts(engine, problems[0])
    with progress.stage("cleaning ratings", total=len(parts), unit="parts"):
        duplicates = clean_parts(engine, parts, ratings, progress)
    report.add("ratings", "exact duplicate row: excluded", duplicates.exact)
    report.add("ratings", "same user and title rated again: earlier rating excluded", duplicates.superseded)


def summarise(engine: DuckDbEngine) -> None:
    """Turn the parts' totals into totals per user, title, segment and month (the checked rows are dropped)."""
    engine.drop(*rating_sql.PER_PART, *rating_sql.BEFORE)
    engine.materialise(rating_sql.AFTER)


def plan_parts(engine: DuckDbEngine, usable: int) -> list[Part]:
    """Ranges of user ids whose usable rows fit the engine's memory a part at a time (one part if all do)."""
    per_part = max(1, engine.memory_bytes // BYTES_PER_PART_ROW)
    if usable <= per_part:
        return [Part(1, 2**31 - 1, usable)]
    per_part = -(-usable // -(-usable // per_part))  # as many parts as needed, of even size
    users = engine.table(rating_sql.RESULTS["user_rows_read"])
    ids, ends = users["user_id"].to_numpy(), np.cumsum(users["n_rows"].to_numpy())
    # A part ends at the last user whose rows still fit; a user with more rows than a part gets one alone.
    lasts = np.unique(np.r_[np.searchsorted(ends, np.arange(per_part, ends[-1], per_part), side="right") - 1,
                            len(ids) - 1])
    lasts = lasts[lasts >= 0]
    firsts = np.r_[0, lasts[:-1] + 1]
    return [Part(int(ids[a]), int(ids[b]), int(ends[b] - (ends[a - 1] if a else 0))) for a, b in zip(firsts, lasts)]


def clean_parts(engine: DuckDbEngine, parts: list[Part], ratings: RatingsFile,
                progress: Progress) -> DuplicateCounts:
    """For each part: keep the latest rating per user and title, hand it to the ratings file sorted (parts come in
    user order, so the file stays sorted) and add the part's totals."""
    duplicates = DuplicateCounts()
    with ThreadPoolExecutor(1) as sorter:
        for number, part in enumerate(parts):
            engine.select_part(part.first, part.last)
            engine.materialise(rating_sql.PER_PART, "replace")
            kept, distinct = (int(n or 0) for n in engine.rows(rating_sql.RESULTS["duplicate_counts"])[0])
            duplicates += DuplicateCounts(kept, part.rows - distinct, distinct - kept)
            # The part's ratings are sorted while the engine adds up its totals, then written while the engine goes
            # on: the sorted rows are the result's own, so `latest` can be replaced.
            ordered = sorter.submit(lambda: list(engine.batches(rating_sql.RESULTS["ratings"])))
            engine.materialise(rating_sql.PART_TOTALS, "append" if number else "create")
            ratings.add(ordered.result())
            progress.advance()
    return duplicates


# ---------------------------------------------------------------------------------------------- results
class RowGroupWriter:
    """A parquet file written from a stream of batches in row groups of a fixed size, each group converted by
    `convert` (Arrow table -> Arrow table) before it is written; the file's schema is the first group's, its
    writer options `options` (pyarrow's ParquetWriter)."""

    def __init__(self, path: Path, rows: int, convert: Callable[[pa.Table], pa.Table], **options) -> None:
        self.path, self.rows, self.convert, self.options = path, rows, convert, options
        self.held: list[pa.RecordBatch] = []
        self.size = 0
        self.writer: pq.ParquetWriter | None = None

    def __enter__(self) -> RowGroupWriter:
        return self

    def __exit__(self, kind, value, traceback) -> None:
        self.close(complete=kind is None)

    def close(self, complete: bool = True) -> None:
        """Write the rows held (unless the file is abandoned: `complete` false) and close the file; closing again
        does nothing."""
        try:
            if complete and self.size:
                self._write(pa.Table.from_batches(self.held))
        finally:
            self.held, self.size = [], 0
            if self.writer is not None:
                self.writer.close()
                self.writer = None

    def add(self, batches: Iterable[pa.RecordBatch]) -> None:
        """Hold batches; write every full row group."""
        for batch in batches:
            self.held.append(batch)
            self.size += batch.num_rows
            while self.size >= self.rows:
                table = pa.Table.from_batches(self.held)
                self._write(table.slice(0, self.rows))
                rest = table.slice(self.rows)
                self.held, self.size = rest.to_batches(), rest.num_rows

    def _write(self, table: pa.Table) -> None:
        converted = self.convert(table.combine_chunks())
        if self.writer is None:
            self.writer = pq.ParquetWriter(self.path, converted.schema, **self.options)
        self.writer.write_table(converted.cast(self.writer.schema), row_group_size=self.rows)


class RatingsFile:
    """ratings.parquet, written on a thread of its own as the parts' sorted ratings come (compression takes a core:
    it runs while the engine works on the next part, and the last part's while the summaries are written); at most
    one part waits to be written. `finish` starts completing the file on that thread, `close` waits for it."""

    def __init__(self, path: Path, title_ids: pa.Array) -> None:
        self.out = RowGroupWriter(path, RATING_ROW_GROUP, lambda table: ratings_table(table, title_ids),
                                  **RATINGS_PARQUET)
        self.thread = ThreadPoolExecutor(1)
        self.pending: Future | None = None

    def __enter__(self) -> RatingsFile:
        return self

    def __exit__(self, kind, value, traceback) -> None:
        self.close(complete=kind is None)

    def add(self, batches: list[pa.RecordBatch]) -> None:
        """Write a part's sorted rows once the part before is written."""
        self._wait()
        self.pending = self.thread.submit(self.out.add, batches)

    def finish(self) -> None:
        """Write the rows still held as the last row group and close the file, on the file's thread once the part
        being written is (without waiting for it here)."""
        self.pending = self.thread.submit(self._close_after, self.pending)

    def close(self, complete: bool = True) -> None:
        """Finish the writing (or, not `complete`, abandon it) and close the file; closing again does nothing."""
        try:
            if complete:
                self._wait()
        except BaseException:
            complete = False
            raise
        finally:
            self.thread.shutdown()
            if self.out is not None:
                self.out.close(complete)
            self.out = None

    def _wait(self) -> None:
        pending, self.pending = self.pending, None
        if pending is not None:
            pending.result()

    def _close_after(self, part: Future | None) -> None:
        if part is not None:
            part.result()  # done (the thread runs one task at a time), but a failure must not be lost
        self.out.close()


def ratings_table(table: pa.Table, title_ids: pa.Array) -> pa.Table:
    """Rows of the ratings result as ratings.parquet holds them: user_id, id (a dictionary of every title id),
    rating, timestamp, date (YYYY-MM-DD)."""
    seconds = table.column("ts")
    # Timestamps are checked to lie in 1970-2100: each day's text is looked up rather than formatted per row.
    dates = day_texts().take(pa.array(seconds.to_numpy() // rating_sql.SECONDS_PER_DAY))
    ids = pa.DictionaryArray.from_arrays(table.column("code").combine_chunks(), title_ids)
    return pa.table({"user_id": table.column("user_id"), "id": ids, "rating": table.column("rating"),
                     "timestamp": seconds, "date": dates})


@functools.cache
def day_texts() -> pa.Array:
    """'YYYY-MM-DD' of every day from 1970-01-01 to 2100-01-01, by days since 1970-01-01."""
    return pc.cast(pc.cast(pa.array(np.arange(LAST_DAY + 1), pa.int32()), pa.date32()), pa.string())


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


def write_segment_counts(engine: DuckDbEngine, name: str, segments: pd.DataFrame, columns: list[str],
                         path: Path) -> None:
    """user_segments.parquet or activity.parquet: the per-segment counts with each segment's platform, type and
    release year (`segments`: a row per segment number), as DataFrame.to_parquet wrote them (same dtypes, row
    groups, compression)."""
    def convert(table: pa.Table) -> pa.Table:
        numbers = table.column("segment").to_numpy()
        frame = {column: segments[column].array.take(numbers) for column in segments.columns}
        for column in ("user_row", "n_ratings", "rating_sum"):
            if column in table.column_names:
                frame[column] = table.column(column).to_numpy().astype(np.float64 if column == "rating_sum"
                                                                      else np.int32)
        if "month" in table.column_names:  # months since 1970-01 -> 'YYYY-MM'
            frame["month"] = table.column("month").to_numpy().astype("datetime64[M]").astype(str)
        return pa.Table.from_pandas(pd.DataFrame(frame)[columns], preserve_index=False)

    with RowGroupWriter(path, SUMMARY_ROW_GROUP, convert, compression="snappy") as out:
        out.add(engine.batches(rating_sql.RESULTS[name]))
