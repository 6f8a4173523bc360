"""core.rating_etl's ratings file: parts written on a thread of their own, in order, and errors not lost."""

from __future__ import annotations

import threading

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from core import rating_etl

TITLE_IDS = pa.array(["a1", "n2", "n3"])


def part(users: range) -> list[pa.RecordBatch]:
    """A part's sorted rows as the engine streams them: user_id, code, rating, ts."""
    rows = len(users)
    return [pa.record_batch({"user_id": pa.array(users, pa.int32()),
                             "code": pa.array([u % 3 for u in users], pa.int32()),
                             "rating": pa.array([4.5] * rows, pa.float32()),
                             "ts": pa.array([86_400 * u for u in users], pa.int64())})]


def test_parts_are_written_in_order_in_row_groups_of_the_set_size(tmp_path, monkeypatch):
    monkeypatch.setattr(rating_etl, "RATING_ROW_GROUP", 4)
    path = tmp_path / "ratings.parquet"
    with rating_etl.RatingsFile(path, TITLE_IDS) as ratings:
        for users in (range(1, 4), range(4, 10), range(10, 11)):
            ratings.add(part(users))
    written = pq.ParquetFile(path)
    assert [written.metadata.row_group(i).num_rows for i in range(written.num_row_groups)] == [4, 4, 2]
    table = written.read()
    assert table["user_id"].to_pylist() == list(range(1, 11))
    assert table["id"].to_pylist()[:3] == ["n2", "n3", "a1"] and table["date"].to_pylist()[1] == "1970-01-03"


def test_row_groups_carry_the_user_range_for_readers_to_skip_by(tmp_path, monkeypatch):
    monkeypatch.setattr(rating_etl, "RATING_ROW_GROUP", 4)
    path = tmp_path / "ratings.parquet"
    with rating_etl.RatingsFile(path, TITLE_IDS) as ratings:
        ratings.add(part(range(1, 11)))
    metadata = pq.read_metadata(path)
    users = [metadata.row_group(i).column(0).statistics for i in range(metadata.num_row_groups)]
    assert [(stats.min, stats.max) for stats in users] == [(1, 4), (5, 8), (9, 10)]
    columns = [metadata.row_group(0).column(i) for i in range(metadata.num_columns)]
    assert [column.path_in_schema for column in columns if not column.is_stats_set] == ["id", "date"]


def test_finish_completes_the_file_on_its_thread(tmp_path, monkeypatch):
    monkeypatch.setattr(rating_etl, "RATING_ROW_GROUP", 4)
    writers = []
    write = rating_etl.RowGroupWriter._write
    monkeypatch.setattr(rating_etl.RowGroupWriter, "_write",
                        lambda self, table: writers.append(threading.current_thread()) or write(self, table))
    path = tmp_path / "ratings.parquet"
    with rating_etl.RatingsFile(path, TITLE_IDS) as ratings:
        ratings.add(part(range(1, 7)))
        ratings.finish()
        ratings.close()
        assert pq.ParquetFile(path).metadata.num_rows == 6  # the 2 rows held are the last row group
    assert len(writers) == 2 and threading.current_thread() not in writers


@pytest.fixture
def full_disk(monkeypatch):
    """Every row group's writing fails as on a full disk."""
    def broken(table, title_ids):
        raise OSError("No space left on device")

    monkeypatch.setattr(rating_etl, "ratings_table", broken)


@pytest.mark.parametrize("row_group, finish", [(2, False), (2, True), (4, True)],
                         ids=["part's write, close", "part's write, finish then close", "last row group, finish"])
def test_a_failed_write_is_raised_when_the_file_is_completed(tmp_path, monkeypatch, full_disk, row_group, finish):
    monkeypatch.setattr(rating_etl, "RATING_ROW_GROUP", row_group)
    ratings = rating_etl.RatingsFile(tmp_path / "ratings.parquet", TITLE_IDS)
    ratings.add(part(range(1, 4)))  # 3 rows: a row group written with the part, or all held until the end
    if finish:
        ratings.finish()
    with pytest.raises(OSError, match="No space left"):
        ratings.close()
    ratings.close()  # closing again does nothing


def test_an_abandoned_file_writes_nothing_more(tmp_path, monkeypatch):
    monkeypatch.setattr(rating_etl, "RATING_ROW_GROUP", 4)
    path = tmp_path / "ratings.parquet"
    with pytest.raises(RuntimeError, match="engine failed"):
        with rating_etl.RatingsFile(path, TITLE_IDS) as ratings:
            ratings.add(part(range(1, 7)))
            raise RuntimeError("engine failed")
    assert pq.ParquetFile(path).metadata.num_rows == 4  # the full row group; the 2 rows held are dropped
