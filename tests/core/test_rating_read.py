"""core.rating_read: parsing started ahead by the ETL command is handed over to the ETL, or stopped."""

from __future__ import annotations

import contextlib
import runpy
import sys
import threading
import warnings
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from core import etl, rating_read
from core.errors import DataError
from core.progress import Progress
from tests.core.test_etl import write_raw


@pytest.fixture
def streams(monkeypatch):
    """Every RatingStream made during a test (none left parsing ahead afterwards)."""
    made = []
    original = rating_read.RatingStream.__init__

    def record(self, *args, **kwargs):
        original(self, *args, **kwargs)
        made.append(self)

    monkeypatch.setattr(rating_read.RatingStream, "__init__", record)
    yield made
    rating_read.stop_parsing_ahead()


def ratings_file(path: Path, user: int, rows: int) -> Path:
    """A plain rating file: `rows` ratings of title a1 by one user."""
    path.write_text(",".join(rating_read.RATING_COLUMNS) + "\n" + f"{user},4.0,86400,a1\n" * rows)
    return path


def parsing(stream: rating_read.RatingStream) -> bool:
    return any(thread.is_alive() for thread in stream.threads)


def run_command(*argv: str) -> int:
    """`python -m core.etl ARGV` in this process (the module run as __main__, as the command runs it)."""
    saved = sys.argv
    sys.argv = ["python -m core.etl", *argv]
    try:
        with warnings.catch_warnings():  # core.etl is imported already: runpy says so, and runs a fresh copy
            warnings.simplefilter("ignore", RuntimeWarning)
            runpy.run_module("core.etl", run_name="__main__")
    except SystemExit as exit_:
        return int(exit_.code)
    finally:
        sys.argv = saved
    return 0


def test_each_thread_takes_the_largest_file_left(tmp_path):
    paths = [ratings_file(tmp_path / f"{user}.csv", user, rows) for user, rows in [(1, 2), (2, 5), (3, 3)]]
    stream = rating_read.RatingStream(paths, workers=1)
    batches = stream.reader(pa.array(["a1"])).read_all()
    assert batches["user_id"].unique().to_pylist() == [2, 3, 1]
    stream.close()


def test_a_stopped_file_reads_as_ended(tmp_path, monkeypatch):
    monkeypatch.setattr(rating_read, "BLOCK_BYTES", 1 << 12)
    path = ratings_file(tmp_path / "1.csv", 1, 50_000)
    stop = threading.Event()
    batches = rating_read.file_batches(path, stop)
    rows = next(batches).num_rows
    stop.set()
    with contextlib.suppress(DataError):  # the text may end mid-line
        rows += sum(batch.num_rows for batch in batches)
    assert 0 < rows < 50_000  # what was read ahead, not the rest of the file


def test_a_stream_closed_mid_file_reads_its_files_to_their_end(tmp_path, monkeypatch):
    """pyarrow reads ahead on a thread of its own: no read of a file may be left under way when the stream is closed
    (one still under way when the process exits hangs pyarrow's thread pool), and the cut text is no error."""
    monkeypatch.setattr(rating_read, "BLOCK_BYTES", 1 << 12)
    opened = []
    open_file = rating_read.open_rating_file
    monkeypatch.setattr(rating_read, "open_rating_file", lambda path: opened.append(open_file(path)) or opened[-1])
    paths = [ratings_file(tmp_path / f"{user}.csv", user, 50_000) for user in (1, 2)]
    stream = rating_read.RatingStream(paths, workers=2)
    first = next(iter(stream.reader(pa.array(["a1"]))))
    stream.close()
    assert first.num_rows > 0 and not parsing(stream)
    assert len(opened) == 2 and all(source.closed for source in opened)
    stream.check()  # no error: the files were cut short on purpose


def test_the_stream_of_the_same_files_is_the_one_parsing_ahead(tmp_path, streams):
    raw = write_raw(tmp_path / "raw")
    rating_read.parse_ahead(str(raw))
    stream = rating_read.stream(rating_read.rating_files(raw.resolve() / "ratings"), Progress())
    assert streams == [stream]
    stream.close()


def test_parsing_ahead_of_other_files_is_stopped(tmp_path, streams):
    first, second = write_raw(tmp_path / "first"), write_raw(tmp_path / "second")
    rating_read.parse_ahead(str(first))
    stream = rating_read.stream(rating_read.rating_files(second / "ratings"), Progress())
    assert len(streams) == 2 and stream is streams[1] and not parsing(streams[0])
    stream.close()


@pytest.mark.parametrize("raw_dir", ["", "missing", "raw/titles"])
def test_no_rating_files_nothing_parsed_ahead(tmp_path, streams, raw_dir):
    write_raw(tmp_path / "raw")
    rating_read.parse_ahead(str(tmp_path / raw_dir) if raw_dir else "")
    assert streams == []


def test_the_command_hands_its_parsing_to_the_etl_with_the_same_output(tmp_path, streams):
    raw = write_raw(tmp_path / "raw")
    assert run_command(str(raw), "--out", str(tmp_path / "command")) == 0
    assert len(streams) == 1  # the one started before pandas was imported, taken over by the ETL
    reference = etl.run_etl(raw, tmp_path / "in-process")
    for name in etl.OUTPUT_FILES[:-1]:
        assert pq.read_table(tmp_path / "command" / "current" / name).equals(
            pq.read_table(reference.version_dir / name)), name


def test_a_forced_command_leaves_nothing_parsing(tmp_path, streams):
    raw, out = write_raw(tmp_path / "raw"), tmp_path / "out"
    etl.run_etl(raw, out)
    streams.clear()
    assert run_command("--force", str(raw), "--out", str(out)) == 0
    assert streams and not any(parsing(stream) for stream in streams)


def test_an_output_already_there_is_not_parsed_ahead(tmp_path, streams):
    """Most likely reused as it is: parsing would only be stopped again just before the process exits."""
    raw, out = write_raw(tmp_path / "raw"), tmp_path / "out"
    etl.run_etl(raw, out)
    streams.clear()
    assert run_command(str(raw), "--out", str(out)) == 0
    assert streams == []


@pytest.mark.parametrize("argv, parsed", [(["{raw}"], True), (["--out", "{out}", "{raw}"], False),
                                          (["{raw}", "--force", "--out", "{out}"], True), (["--out"], False),
                                          (["-h"], False), (["{raw}", "--bogus"], True)])
def test_the_command_line_is_read_as_the_command_reads_it(tmp_path, streams, monkeypatch, argv, parsed):
    raw, out = write_raw(tmp_path / "raw"), tmp_path / "out"
    etl.run_etl(raw, out)  # an output in --out, none in the default cache folder
    streams.clear()
    monkeypatch.setenv("STREAMING_CACHE_DIR", str(tmp_path / "cache"))
    rating_read.parse_ahead_for_command([arg.format(raw=raw, out=out) for arg in argv])
    assert bool(streams) == parsed


def test_a_bad_option_stops_the_parsing_ahead(tmp_path, streams, capsys):
    raw = write_raw(tmp_path / "raw")
    assert run_command(str(raw), "--bogus") == 2
    assert "unrecognized arguments: --bogus" in capsys.readouterr().err
    assert len(streams) == 1 and not parsing(streams[0])


def test_a_bad_raw_dir_stops_the_parsing_ahead(tmp_path, streams):
    raw = write_raw(tmp_path / "raw")
    (raw / "titles" / "hulu_titles.csv").unlink()
    assert run_command(str(raw)) == 2
    assert len(streams) == 1 and not parsing(streams[0])
