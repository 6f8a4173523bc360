"""The rating half of the ETL as it was before the SQL engine (ETL v4, pandas and numpy in memory), kept only to
check that the new engine writes the same outputs (tests/core/test_etl_engine.py). Verbatim from core/etl.py at
a3e00a5, except that the title half and the output helpers are imported from today's core.etl and ratings.parquet
takes the writer options of today's ETL (core.rating_etl.RATINGS_PARQUET)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from core.errors import DataError
from core.etl import SEGMENT_COLUMNS, QualityReport, check_raw_dir, load_titles, title_segments
from core.rating_etl import RATINGS_PARQUET
from core.rating_read import RATING_COLUMNS, read_problem
from core.rating_sql import TIMESTAMP_RANGE


def read_rating_file(path: Path) -> pa.Table:
    """One raw ratings file (plain or gzip CSV) with numeric columns, or a DataError."""
    types = {"userId": pa.int64(), "rating": pa.float64(), "timestamp": pa.float64(), "movieId": pa.string()}
    try:
        table = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(
            column_types=types, include_columns=RATING_COLUMNS, strings_can_be_null=True))
    except (OSError, pa.ArrowException) as exc:
        raise read_problem(path, exc) from None
    return table


def load_ratings(rating_files: list[Path], title_ids: pd.Index, report: QualityReport) -> pd.DataFrame:
    """All rating files: validated, joined to title ids, de-duplicated, sorted by user and title."""
    frame = pd.concat([_numeric_ratings(read_rating_file(path), title_ids) for path in rating_files],
                      ignore_index=True)
    report.add("ratings", "rows read", len(frame))
    frame = _drop_invalid_ratings(frame, report)
    if frame.empty:
        raise DataError(f"{rating_files[0].parent}: no usable rating in the ratings files")
    return _drop_duplicate_ratings(frame, len(title_ids), report)


def _numeric_ratings(table: pa.Table, title_ids: pd.Index) -> pd.DataFrame:
    """A raw ratings table as numbers, with each title id replaced by its catalogue position."""
    return pd.DataFrame({
        "user_id": table["userId"].to_numpy(zero_copy_only=False),
        "rating": table["rating"].to_numpy(zero_copy_only=False),
        "timestamp": table["timestamp"].to_numpy(zero_copy_only=False),
        "code": _title_codes(table["movieId"], title_ids),
    })


def _title_codes(movie_ids: pa.ChunkedArray, title_ids: pd.Index) -> np.ndarray:
    """Position of each rating's title in the catalogue; -1 for no match, -2 for a missing id."""
    cleaned = pc.utf8_lower(pc.utf8_trim_whitespace(movie_ids))
    codes = pc.index_in(cleaned, value_set=pa.array(title_ids.to_numpy(), pa.string()))
    codes = pc.if_else(pc.is_null(cleaned), -2, pc.fill_null(codes, -1))
    return codes.to_numpy().astype(np.int32)


def _drop_invalid_ratings(frame: pd.DataFrame, report: QualityReport) -> pd.DataFrame:
    """Exclude rows with a missing value, a rating outside 0.5-5, a broken timestamp or an unknown title."""
    missing = frame[["user_id", "rating", "timestamp"]].isna().any(axis=1) | (frame["code"] == -2)
    bad_rating = ~missing & ~frame["rating"].between(0.5, 5.0)
    bad_user = ~missing & ~frame["user_id"].between(1, np.iinfo(np.int32).max)
    bad_time = ~missing & ~frame["timestamp"].between(*TIMESTAMP_RANGE)
    unknown = ~missing & (frame["code"] == -1)
    report.add("ratings", "missing value: excluded", int(missing.sum()))
    report.add("ratings", "rating outside 0.5-5: excluded", int(bad_rating.sum()))
    report.add("ratings", "userId not a positive 32-bit integer: excluded", int(bad_user.sum()))
    report.add("ratings", "timestamp outside 1970-2100: excluded", int(bad_time.sum()))
    report.add("ratings", "movieId matches no title: excluded", int(unknown.sum()))
    kept = frame[~(missing | bad_rating | bad_user | bad_time | unknown)]
    return kept.astype({"user_id": "int32", "rating": "float32", "timestamp": "int64", "code": "int32"})


def _drop_duplicate_ratings(frame: pd.DataFrame, n_titles: int, report: QualityReport) -> pd.DataFrame:
    """Exact repeats are excluded; for one user and title rated more than once, the latest rating is kept."""
    pair = frame["user_id"].to_numpy(np.int64) * n_titles + frame["code"].to_numpy()
    stamp, rating = frame["timestamp"].to_numpy(), frame["rating"].to_numpy()
    order = np.lexsort((rating, stamp, pair))
    pair, stamp, rating = pair[order], stamp[order], rating[order]
    exact = np.r_[False, (pair[1:] == pair[:-1]) & (stamp[1:] == stamp[:-1]) & (rating[1:] == rating[:-1])]
    report.add("ratings", "exact duplicate row: excluded", int(exact.sum()))
    order, pair = order[~exact], pair[~exact]
    # Rows are in time order within a pair, so every row followed by the same pair is superseded.
    superseded = np.r_[pair[1:] == pair[:-1], False]
    report.add("ratings", "same user and title rated again: earlier rating excluded", int(superseded.sum()))
    return frame.iloc[order[~superseded]].reset_index(drop=True)


def ratings_table(ratings: pd.DataFrame, title_ids: pd.Index) -> pa.Table:
    """The processed ratings as an Arrow table with id and date columns."""
    seconds = pa.array(ratings["timestamp"].to_numpy(), pa.int64())
    dates = pc.cast(pc.cast(seconds.cast(pa.timestamp("s")), pa.date32()), pa.string())
    ids = pa.DictionaryArray.from_arrays(pa.array(ratings["code"].to_numpy(), pa.int32()),
                                         pa.array(title_ids.to_numpy(), pa.string()))
    return pa.table({"user_id": pa.array(ratings["user_id"].to_numpy(), pa.int32()), "id": ids,
                     "rating": pa.array(ratings["rating"].to_numpy(), pa.float32()),
                     "timestamp": seconds, "date": dates})


# ---------------------------------------------------------------------------------------------- aggregates
def add_scores(titles: pd.DataFrame, ratings: pd.DataFrame) -> pd.DataFrame:
    """Each title's mean user rating (`score`, NaN when unrated) and number of ratings."""
    codes = ratings["code"].to_numpy()
    counts = np.bincount(codes, minlength=len(titles))
    sums = np.bincount(codes, weights=ratings["rating"].to_numpy(np.float64), minlength=len(titles))
    out = titles.copy()
    out["score"] = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    out["n_ratings"] = counts.astype("int32")
    return out


def user_summary(ratings: pd.DataFrame) -> pd.DataFrame:
    """Per user: number of ratings and mean rating."""
    grouped = ratings.groupby("user_id", sort=True)["rating"]
    out = pd.DataFrame({"n_ratings": grouped.size().astype("int32"),
                        "mean_rating": grouped.mean().astype("float32")}).reset_index()
    return out

def _segment_sums(keys: pd.DataFrame, ratings: pd.DataFrame, segments: pd.DataFrame,
                  with_sum: bool) -> pd.DataFrame:
    """Ratings counted (and summed) per row of keys (segment and one more column), sorted by them; segment
    columns added."""
    grouped = keys.assign(rating=ratings["rating"].to_numpy(np.float64)).groupby(list(keys.columns), sort=True)
    out = grouped["rating"].agg(["size", "sum"] if with_sum else ["size"]).reset_index()
    out = out.rename(columns={"size": "n_ratings", "sum": "rating_sum"}).astype({"n_ratings": "int32"})
    parts = segments.iloc[out["segment"].to_numpy()].reset_index(drop=True)
    parts = parts.astype({"platform": "category", "type": "category"})
    return pd.concat([out.drop(columns="segment"), parts], axis=1)


def segment_aggregates(ratings: pd.DataFrame, titles: pd.DataFrame,
                       users: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(per user and segment, per month and segment) rating counts; the monthly ones with their sum."""
    codes, segments = title_segments(titles)
    segment = codes[ratings["code"].to_numpy()]
    user_row = np.searchsorted(users["user_id"].to_numpy(), ratings["user_id"].to_numpy()).astype(np.int32)
    # Keys segment first: rows come out sorted by segment, so core.eda filters them one run of rows at a time.
    per_user = _segment_sums(pd.DataFrame({"segment": segment, "user_row": user_row}), ratings, segments, False)
    # Group on integer month numbers; only the few distinct months are formatted as text.
    months = ratings["timestamp"].to_numpy().astype("datetime64[s]").astype("datetime64[M]").astype(np.int64)
    per_month = _segment_sums(pd.DataFrame({"segment": segment, "month": months}), ratings, segments, True)
    per_month["month"] = per_month["month"].to_numpy().astype("datetime64[M]").astype(str)
    return (per_user[["user_row", *SEGMENT_COLUMNS, "n_ratings"]],
            per_month[["month", *SEGMENT_COLUMNS, "n_ratings", "rating_sum"]])




def write_reference(raw_dir: Path, out_dir: Path) -> list[str]:
    """Run ETL v4 on a raw dir and write its five parquet files into out_dir as it did; its report lines."""
    title_files, rating_files = check_raw_dir(raw_dir)
    report = QualityReport()
    titles = load_titles(title_files, report)
    title_ids = pd.Index(titles["id"])
    ratings = load_ratings(rating_files, title_ids, report)
    titles = add_scores(titles, ratings)
    report.add("titles", "no rating at all: kept with null score", int((titles["n_ratings"] == 0).sum()))
    users = user_summary(ratings)
    user_segments, activity = segment_aggregates(ratings, titles, users)
    out_dir.mkdir(parents=True)
    titles.to_parquet(out_dir / "titles.parquet", index=False)
    pq.write_table(ratings_table(ratings, title_ids), out_dir / "ratings.parquet", row_group_size=2_000_000,
                   **RATINGS_PARQUET)
    for name, frame in {"users": users, "user_segments": user_segments, "activity": activity}.items():
        frame.to_parquet(out_dir / f"{name}.parquet", index=False)
    return report.lines()
