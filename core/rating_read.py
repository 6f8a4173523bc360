"""Reading the rating files: plain or gzip CSVs parsed into Arrow batches of raw_ratings rows by a few threads at
once (core.rating_etl streams them into the engine). Needs no pandas, so the ETL command can start parsing while
Python is still loading pandas and DuckDB (`parse_ahead`)."""

from __future__ import annotations

import argparse
import os
import queue
import re
import threading
from pathlib import Path
from typing import Iterator

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from isal import igzip, isal_zlib

from core.config import processed_dir_for
from core.errors import DataError, first_line
from core.progress import Progress

RATING_COLUMNS = ["userId", "rating", "timestamp", "movieId"]
RAW_TYPES = {"userId": pa.int64(), "rating": pa.float64(), "timestamp": pa.float64(), "movieId": pa.string()}
RAW_SCHEMA = pa.schema([("user_id", pa.int64()), ("rating", pa.float64()), ("ts", pa.float64()),
                        ("code", pa.int32())])
BLOCK_BYTES = 8 << 20  # CSV text per batch: ~280k rating rows
PARSED_AHEAD = 8  # batches parsed before the titles are ready (~2M rows, ~80 MB): memory bounded, not the data


def read_problem(path: Path, exc: Exception) -> DataError:
    """A DataError naming the file and saying what pyarrow found wrong with it."""
    message = first_line(exc)
    if "Empty CSV file" in message:
        what = "file is empty"
    elif missing := re.search(r"Column '(.+?)' in include_columns does not exist", message):
        what = f"missing column {missing.group(1)}; expected {','.join(RATING_COLUMNS)}"
    elif "conversion error" in message:
        what = f"non-numeric value in a numeric column ({message})"
    else:
        what = f"not a readable CSV file ({message})"
    return DataError(f"{path}: {what}")


def file_batches(path: Path, stop: threading.Event | None = None) -> Iterator[pa.RecordBatch]:
    """One raw ratings file (plain or gzip CSV) as numeric batches, or a DataError naming the file; once `stop` is
    set the file reads as ended, so the batches end soon after."""
    convert = pacsv.ConvertOptions(column_types=RAW_TYPES, include_columns=RATING_COLUMNS,
                                   strings_can_be_null=True)
    try:
        with open_rating_file(path) as source, \
                pacsv.open_csv(source if stop is None else StoppableSource(source, stop),
                               read_options=pacsv.ReadOptions(block_size=BLOCK_BYTES),
                               convert_options=convert) as reader:
            yield from reader
    except (OSError, EOFError, isal_zlib.error, pa.ArrowException) as exc:
        raise read_problem(path, exc) from None


class StoppableSource:
    """A rating file's stream that reads as ended once `stop` is set. pyarrow's CSV reader reads ahead on a thread
    of its own: a reader is run to its end rather than dropped mid-file, since a read of a Python file object
    still under way when the process exits leaves pyarrow's thread pool waiting for ever at exit."""

    def __init__(self, source: igzip.IGzipFile | pa.NativeFile, stop: threading.Event) -> None:
        self.source, self.stop = source, stop

    def read(self, size: int = -1) -> bytes:
        """The next bytes of the file, none once stopped."""
        return b"" if self.stop.is_set() else self.source.read(size)

    def readable(self) -> bool:
        """A source is read only."""
        return True

    @property
    def closed(self) -> bool:
        """Whether the file is closed."""
        return self.source.closed

    def close(self) -> None:
        """Close the file."""
        self.source.close()


def open_rating_file(path: Path) -> igzip.IGzipFile | pa.NativeFile:
    """A ratings file's text as a binary stream: gzip is inflated by ISA-L (twice as fast as the zlib pyarrow
    would use: inflating was a third of the parsing time)."""
    return igzip.open(path, "rb") if path.name.endswith(".gz") else pa.OSFile(str(path))


def raw_batch(batch: pa.RecordBatch, title_ids: pa.Array) -> pa.RecordBatch:
    """A batch as raw_ratings rows: NaN read as null, each movieId (trimmed, lower-cased) as its title's row."""
    movie_ids = batch.column("movieId")
    codes = pc.index_in(movie_ids, value_set=title_ids)
    # Title ids are trimmed and lower-case, so a movieId found as it is needs neither; only the rest are cleaned
    # and looked up again (cleaning every movieId took three times as long as the look-up).
    missed = pc.and_(pc.is_null(codes), pc.is_valid(movie_ids))
    if pc.any(missed).as_py():
        cleaned = pc.utf8_lower(pc.utf8_trim_whitespace(pc.filter(movie_ids, missed)))
        found = pc.fill_null(pc.index_in(cleaned, value_set=title_ids), -1)
        codes = pc.replace_with_mask(codes, missed, found)
    numbers = [nan_as_null(batch.column("rating")), nan_as_null(batch.column("timestamp"))]
    return pa.record_batch([batch.column("userId"), *numbers, codes.cast(pa.int32())], schema=RAW_SCHEMA)


def nan_as_null(column: pa.Array) -> pa.Array:
    """A float column with NaN read as null (copied only when it has a NaN: pyarrow already reads 'nan' as null)."""
    nan = pc.is_nan(column)
    return pc.if_else(nan, pa.scalar(None, pa.float64()), column) if pc.any(nan).as_py() else column


class RatingStream:
    """The rating files as one stream of raw_ratings batches, parsed by a few threads at once (pyarrow parses
    without the GIL). The threads start before the titles are known: they parse ahead into a bounded queue while
    the titles are cleaned; once the titles are known the threads also look up the title codes (the batches parsed
    before get theirs as they are taken). Each thread takes the largest file not yet taken, so the threads finish
    close together. A bad file stops the stream early and `check` raises its DataError."""

    def __init__(self, paths: list[Path], progress: Progress | None = None, workers: int | None = None) -> None:
        self.paths, self.progress = paths, progress or Progress()
        self.sizes = {path: path.stat().st_size for path in paths}
        self.untaken = queue.SimpleQueue()
        for path in sorted(paths, key=self.sizes.get, reverse=True):
            self.untaken.put(path)
        self.title_ids: pa.Array | None = None
        self.queue: queue.Queue = queue.Queue(maxsize=PARSED_AHEAD)
        self.stop = threading.Event()
        self.errors: list[DataError] = []
        self.threads = [threading.Thread(target=self._read, daemon=True)
                        for _ in range(workers or min(len(paths), usable_cores()))]
        for thread in self.threads:
            thread.start()

    def reader(self, title_ids: pa.Array) -> pa.RecordBatchReader:
        """The batches as an Arrow stream of raw_ratings rows, their movieIds looked up in `title_ids`."""
        self.title_ids = title_ids
        return pa.RecordBatchReader.from_batches(RAW_SCHEMA, self._batches(title_ids))

    def _read(self) -> None:
        """Thread body: parse files into the queue until none is left (each file's size after its last batch);
        ends with None."""
        try:
            while (path := self._next_file()) is not None:
                for batch in file_batches(path, self.stop):  # run to its end, stopped or not (StoppableSource)
                    if not self.stop.is_set():
                        title_ids = self.title_ids
                        self.queue.put(batch if title_ids is None else raw_batch(batch, title_ids))
                if self.stop.is_set():
                    return
                self.queue.put(self.sizes[path] / 2**20)
        except DataError as exc:
            if not self.stop.is_set():  # the first error counts; one after stopping is a file cut short
                self.errors.append(exc)
            self.stop.set()
        finally:
            self.queue.put(None)

    def _next_file(self) -> Path | None:
        """The largest file no thread has taken yet (None once all are taken)."""
        try:
            return self.untaken.get_nowait()
        except queue.Empty:
            return None

    def _batches(self, title_ids: pa.Array) -> Iterator[pa.RecordBatch]:
        """The batches the threads parsed, until each has finished (or one has failed); progress in MB read."""
        finished = 0
        while finished < len(self.threads):
            item = self.queue.get()
            if item is None:
                finished += 1
            elif isinstance(item, float):
                self.progress.advance(item)
            elif not self.stop.is_set():
                yield item if item.schema.equals(RAW_SCHEMA) else raw_batch(item, title_ids)

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


def usable_cores() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def rating_files(ratings_dir: Path) -> list[Path]:
    """The rating files of a raw dir's ratings/ folder (*.csv, *.csv.gz), sorted by name."""
    return sorted(path for path in ratings_dir.iterdir()
                  if path.is_file() and (path.name.endswith(".csv") or path.name.endswith(".csv.gz")))


# ---------------------------------------------------------------------------------------------- parsing ahead
_ahead: RatingStream | None = None  # parsing started before the ETL asked for it


def parse_ahead(raw_dir: str, out_dir: str | None = None, force: bool = False) -> None:
    """Start parsing a raw dir's rating files now, for `stream` to hand over (the ETL command calls it before it
    imports pandas and DuckDB: ~0.3 s of parsing on a core that would wait), when the ETL is about to build: forced,
    or no processed output yet. An output already there is most likely reused as it is, and parsing stopped just
    before the process exits is what pyarrow can hang on at exit (its read-ahead over a Python file object: apache/
    arrow#50482, #43604). A folder without rating files starts nothing: the ETL itself says what is wrong."""
    global _ahead
    if not raw_dir:
        return
    try:
        raw = Path(raw_dir).expanduser().resolve()
        out = Path(out_dir).expanduser().resolve() if out_dir else processed_dir_for(raw)
        paths = rating_files(raw / "ratings")
        if paths and (force or not (out / "current").exists()):
            stop_parsing_ahead()
            _ahead = RatingStream(paths)
    except (OSError, DataError):  # no such folder, a file gone, no cache dir: the ETL says what is wrong
        return


def parse_ahead_for_command(argv: list[str]) -> None:
    """`parse_ahead` for the arguments of `python -m core.etl RAW_DIR [--out DIR] [--force]`; arguments it cannot
    read are left to the command to report."""
    parser = argparse.ArgumentParser(add_help=False, exit_on_error=False)
    parser.add_argument("raw_dir", nargs="?")
    parser.add_argument("--out")
    parser.add_argument("--force", action="store_true")
    try:
        args, _ = parser.parse_known_args(argv)
    except argparse.ArgumentError:
        return
    parse_ahead(args.raw_dir or "", args.out, args.force)


def stream(paths: list[Path], progress: Progress) -> RatingStream:
    """A stream of these rating files: the one parsing them ahead, if any, else a new one."""
    global _ahead
    ahead, _ahead = _ahead, None
    if ahead is not None and ahead.paths == paths:
        ahead.progress = progress
        return ahead
    if ahead is not None:
        ahead.close()
    return RatingStream(paths, progress)


def stop_parsing_ahead() -> None:
    """Stop parsing that nothing took over (the output was up to date, or the raw dir had a problem)."""
    global _ahead
    ahead, _ahead = _ahead, None
    if ahead is not None:
        ahead.close()
