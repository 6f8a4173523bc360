"""ETL: raw Kaggle-format catalogues and ratings -> processed parquet files with a data-quality report.

Processed output (one version folder, reached through the ``current`` link of the output dir):
- ``titles.parquet``: one row per title -- id, show_id, platform, type, title, director, cast, country,
  date_added (YYYY-MM-DD), release_year, rating (maturity, null -> "g"), duration_int, duration_type
  ("min" | "season"), listed_in (the catalogue's own labels), genres (canonical genres, see core.genres), origin,
  audience, format, community, collection (the facets of the labels that are not genres), description, score
  (mean user rating, NaN when unrated), n_ratings. List columns are comma-separated.
- ``ratings.parquet``: user_id, id, rating, timestamp, date (YYYY-MM-DD); de-duplicated, sorted by user and title.
- ``users.parquet``: user_id, n_ratings, mean_rating; sorted by user_id.
- ``user_segments.parquet``: user_row (row of users.parquet), platform, type, release_year, n_ratings -- each
  user's ratings per segment (platform, type, release year) of the rated titles, so per-user totals can follow
  the title filters without reading the ratings; sorted by segment.
- ``activity.parquet``: month (YYYY-MM), platform, type, release_year, n_ratings, rating_sum -- ratings per month
  and segment; sorted by segment.
- ``manifest.json``: fingerprint of the raw files, row counts and the data-quality report.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import re
import shutil
import sys
import time
import uuid
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from core.config import PLATFORMS, TITLE_FILES, processed_dir_for
from core.errors import DataError
from core.genres import map_labels, vocabulary
from core.locks import file_lock
from core.progress import Progress

ETL_VERSION = 5  # 5: canonical genres and facets (core/genres.csv)
TITLE_COLUMNS = ["show_id", "type", "title", "director", "cast", "country", "date_added",
                 "release_year", "rating", "duration", "listed_in", "description"]
RATING_COLUMNS = ["userId", "rating", "timestamp", "movieId"]
TEXT_COLUMNS = ["show_id", "type", "title", "director", "cast", "country", "date_added", "rating",
                "duration", "listed_in", "description"]
LIST_COLUMNS = ["director", "cast", "country", "listed_in"]
CONTENT_TYPES = ("movie", "tv show")
# A line break followed by "id,movie," or "id,tv show," inside one field: records merged by a stray quote.
SWALLOWED_RECORD = r"[\r\n]+[^,\r\n]*,(?:movie|tv show),"
MAX_DURATION = 10_000  # minutes or seasons; the longest real title runs 312 minutes
DURATION_PATTERN = r"^(\d+)\s*(min|mins|minutes?|seasons?)$"
OUTPUT_FILES = ("titles.parquet", "ratings.parquet", "users.parquet", "user_segments.parquet", "activity.parquet",
                "manifest.json")
# What the Explore filters select titles by: ratings are also summed per segment of these (see core.eda).
SEGMENT_COLUMNS = ["platform", "type", "release_year"]
# Genres whose own name holds the list separator (amazon): written without commas so listed_in splits into whole genres.
GENRES_WITH_COMMAS = {"arts, entertainment, and culture": "arts/entertainment/culture"}
# Unix seconds of 1970-01-01 and 2100-01-01: anything outside is a broken timestamp, not a rating date.
TIMESTAMP_RANGE = (0, 4_102_444_800)
STAGES = ["reading titles", "reading ratings", "cleaning ratings", "summarising", "writing"]
log = logging.getLogger(__name__)


@dataclass
class QualityReport:
    """What the ETL repaired, set to null or excluded, with counts."""

    entries: list[tuple[str, str, int]] = field(default_factory=list)

    def add(self, scope: str, what: str, count: int) -> None:
        """Record one finding when its count is not zero."""
        if count:
            self.entries.append((scope, what, int(count)))

    def lines(self) -> list[str]:
        """The report as printable lines."""
        if not self.entries:
            return ["no data-quality problems found"]
        width = max(len(scope) for scope, _, _ in self.entries)
        return [f"{scope:<{width}}  {count:>8,}  {what}" for scope, what, count in self.entries]


@dataclass(frozen=True)
class EtlResult:
    """Where the processed data is, and what the run did."""

    version_dir: Path
    skipped: bool
    seconds: float
    report: list[str]
    counts: dict[str, int]


# ---------------------------------------------------------------------------------------------- inputs
def check_raw_dir(raw_dir: Path) -> tuple[dict[str, Path], list[Path]]:
    """The four title files and the rating files of a raw data dir, or a DataError saying what is missing."""
    if not raw_dir.is_dir():
        raise DataError(f"{raw_dir}: data folder not found")
    titles_dir, ratings_dir = raw_dir / "titles", raw_dir / "ratings"
    for folder in (titles_dir, ratings_dir):
        if not folder.is_dir():
            raise DataError(f"{folder}: folder not found (a data dir holds titles/ and ratings/)")
    title_files = {platform: titles_dir / name for platform, name in TITLE_FILES.items()}
    for path in title_files.values():
        if not path.is_file():
            raise DataError(f"{path}: file not found")
    rating_files = sorted(p for p in ratings_dir.iterdir()
                          if p.is_file() and (p.name.endswith(".csv") or p.name.endswith(".csv.gz")))
    if not rating_files:
        raise DataError(f"{ratings_dir}: no ratings file (*.csv or *.csv.gz)")
    return title_files, rating_files


def fingerprint(paths: list[Path]) -> str:
    """Hash of the ETL version and each raw file's name, size and modification time."""
    digest = hashlib.sha256(f"etl-v{ETL_VERSION}-genres-{vocabulary().digest}".encode())
    for path in paths:
        stat = path.stat()
        digest.update(f"{path.parent.name}/{path.name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:16]


def read_title_file(path: Path, report: QualityReport | None = None) -> pd.DataFrame:
    """One raw catalogue as text columns, or a DataError naming the file and the problem."""
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", pd.errors.ParserWarning)
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8-sig",
                                index_col=False)
        if report is not None and caught:
            report.add(f"titles/{path.name}", "rows with more fields than the header: extra fields dropped", 1)
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: file is empty") from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise DataError(f"{path}: not a readable CSV file ({_first_line(exc)})") from None
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    missing = [c for c in TITLE_COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(f"{path}: missing column(s) {', '.join(missing)}; expected {','.join(TITLE_COLUMNS)}")
    _check_no_swallowed_records(frame, path)
    return frame[TITLE_COLUMNS]


def _check_no_swallowed_records(frame: pd.DataFrame, path: Path) -> None:
    """A stray quote makes the parser swallow the next lines into one field: stop rather than lose rows."""
    for column in TITLE_COLUMNS:
        swallowed = frame[column].str.contains(SWALLOWED_RECORD, case=False, regex=True, na=False)
        if swallowed.any():
            show_id = frame.loc[swallowed.idxmax(), "show_id"]
            raise DataError(f"{path}: unbalanced quote in the {column} of show_id {show_id!r} swallows the "
                            "following lines; fix the quoting and run again")


def read_rating_file(path: Path) -> pa.Table:
    """One raw ratings file (plain or gzip CSV) with numeric columns, or a DataError."""
    types = {"userId": pa.int64(), "rating": pa.float64(), "timestamp": pa.float64(), "movieId": pa.string()}
    try:
        table = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(
            column_types=types, include_columns=RATING_COLUMNS, strings_can_be_null=True))
    except (OSError, pa.ArrowException) as exc:
        raise DataError(f"{path}: {_rating_problem(exc)}") from None
    return table


def _rating_problem(exc: Exception) -> str:
    """A user-facing sentence for a pyarrow CSV error."""
    message = _first_line(exc)
    if "Empty CSV file" in message:
        return "file is empty"
    missing = re.search(r"Column '(.+?)' in include_columns does not exist", message)
    if missing:
        return f"missing column {missing.group(1)}; expected {','.join(RATING_COLUMNS)}"
    if "conversion error" in message:
        return f"non-numeric value in a numeric column ({message})"
    return f"not a readable CSV file ({message})"


def _first_line(exc: Exception) -> str:
    """First line of an exception message."""
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


# ---------------------------------------------------------------------------------------------- titles
def clean_text(frame: pd.DataFrame, scope: str, report: QualityReport) -> pd.DataFrame:
    """Fold every whitespace run to one space, strip, blank -> null, tidy comma lists, lower-case."""
    out = frame.copy()
    for column in TEXT_COLUMNS:
        raw = out[column]
        tidy = raw.str.replace(r"\s+", " ", regex=True).str.strip()
        if column in LIST_COLUMNS:
            tidy = tidy.str.replace(r"\s*,[\s,]*", ", ", regex=True).str.strip(", ")
        tidy = tidy.where(tidy != "", None)
        report.add(scope, f"{column}: stray or odd spacing repaired", int((raw.notna() & tidy.notna() & (raw != tidy)).sum()))
        report.add(scope, f"{column}: blank value set to null", int((raw.notna() & tidy.isna()).sum()))
        out[column] = tidy.str.lower()
    return out


def move_misplaced_durations(frame: pd.DataFrame, scope: str, report: QualityReport) -> pd.DataFrame:
    """A duration found in the rating column moves to an empty duration column (else the rating is nulled)."""
    out = frame.copy()
    misplaced = out["rating"].str.match(DURATION_PATTERN, na=False)
    movable = misplaced & out["duration"].isna()
    report.add(scope, "rating held the duration: moved to duration, rating set to null", int(movable.sum()))
    report.add(scope, "rating held a duration already present: rating set to null", int((misplaced & ~movable).sum()))
    out.loc[movable, "duration"] = out.loc[movable, "rating"]
    out.loc[misplaced, "rating"] = None
    return out


def split_duration(duration: pd.Series, scope: str, report: QualityReport) -> pd.DataFrame:
    """'90 min' -> (90, 'min'); '1 season' / '3 seasons' -> (n, 'season'); anything else -> nulls."""
    parts = duration.str.extract(DURATION_PATTERN)
    amount = pd.to_numeric(parts[0])
    parts = parts.where(amount <= MAX_DURATION)  # beyond any real runtime or season count: a broken value
    unit = parts[1].str.startswith("season").map({True: "season", False: "min"}).where(parts[1].notna())
    report.add(scope, "duration unreadable: set to null", int((duration.notna() & parts[0].isna()).sum()))
    report.add(scope, "duration missing: duration_int/duration_type null", int(duration.isna().sum()))
    return pd.DataFrame({"duration_int": pd.to_numeric(parts[0]).astype("Int32"),
                         "duration_type": unit.astype("str").where(unit.notna(), None)}, index=duration.index)


def keep_genres_whole(listed_in: pd.Series, scope: str, report: QualityReport) -> pd.Series:
    """Genre names that contain commas rewritten without them (GENRES_WITH_COMMAS)."""
    for name, whole in GENRES_WITH_COMMAS.items():
        found = listed_in.str.contains(name, regex=False, na=False)
        report.add(scope, f"listed_in: '{name}' is one genre: written '{whole}'", int(found.sum()))
        listed_in = listed_in.str.replace(name, whole, regex=False)
    return listed_in


def canonical_genres(listed_in: pd.Series, scope: str, report: QualityReport) -> pd.DataFrame:
    """The canonical genres and facets of the labels (core.genres); labels mapped and left unmapped reported."""
    mapped = map_labels(listed_in)
    report.add(scope, f"listed_in: labels mapped to canonical genres/facets ({len(mapped.mapped)} distinct)",
               sum(mapped.mapped.values()))
    for label, count in sorted(mapped.unmapped.items()):
        report.add(scope, f"listed_in: label '{label}' not in core/genres.csv: kept as a genre of its own", count)
    report.add(scope, "genres: none left (only facet or type labels, or no listed_in)",
               int(mapped.columns["genres"].isna().sum()))
    return mapped.columns


def parse_dates(values: pd.Series, scope: str, report: QualityReport) -> pd.Series:
    """Kaggle 'september 25, 2021' (or ISO) dates -> 'YYYY-MM-DD'; unreadable -> null."""
    parsed = pd.to_datetime(values, format="%B %d, %Y", errors="coerce")
    iso = pd.to_datetime(values.where(parsed.isna()), format="%Y-%m-%d", errors="coerce")
    parsed = parsed.fillna(iso)
    report.add(scope, "date_added unreadable: set to null", int((values.notna() & parsed.isna()).sum()))
    return parsed.dt.strftime("%Y-%m-%d").astype("str").where(parsed.notna(), None)


def transform_titles(raw: pd.DataFrame, platform: str, report: QualityReport) -> pd.DataFrame:
    """Apply every catalogue rule to one platform's raw titles."""
    scope = f"titles/{platform}"
    frame = move_misplaced_durations(clean_text(raw, scope, report), scope, report)
    report.add(scope, "rating missing: set to 'g'", int(frame["rating"].isna().sum()))
    years = pd.to_numeric(frame["release_year"], errors="coerce")
    bad_year = years.notna() & ((years % 1 != 0) | (years < 1800) | (years > 2100))
    report.add(scope, "release_year unreadable: set to null",
               int((frame["release_year"].notna() & (years.isna() | bad_year)).sum()))
    unknown_type = frame["type"].notna() & ~frame["type"].isin(CONTENT_TYPES)
    report.add(scope, f"type not one of {'/'.join(CONTENT_TYPES)}: kept as given", int(unknown_type.sum()))
    out = pd.DataFrame({
        "id": platform[0] + frame["show_id"],
        "show_id": frame["show_id"],
        "platform": platform,
        "type": frame["type"],
        "title": frame["title"],
        "director": frame["director"],
        "cast": frame["cast"],
        "country": frame["country"],
        "date_added": parse_dates(frame["date_added"], scope, report),
        "release_year": years.where(~bad_year).astype("Int16"),
        "rating": frame["rating"].fillna("g"),
    })
    out = out.join(split_duration(frame["duration"], scope, report))
    out["listed_in"] = keep_genres_whole(frame["listed_in"], scope, report)
    out = out.join(canonical_genres(out["listed_in"], scope, report))
    out["description"] = frame["description"]
    return out


def drop_unusable_titles(titles: pd.DataFrame, report: QualityReport) -> pd.DataFrame:
    """Titles without a show_id, or repeating an id, cannot be joined: excluded and reported."""
    no_id = titles["show_id"].isna()
    report.add("titles", "no show_id: excluded", int(no_id.sum()))
    kept = titles[~no_id]
    repeated = kept["id"].duplicated()
    report.add("titles", "id repeated: later rows excluded", int(repeated.sum()))
    return kept[~repeated].reset_index(drop=True)


def load_titles(title_files: dict[str, Path], report: QualityReport,
                progress: Progress | None = None) -> pd.DataFrame:
    """All four catalogues, transformed and stacked."""
    progress = progress or Progress()
    frames = []
    for platform in PLATFORMS:
        frames.append(transform_titles(read_title_file(title_files[platform], report), platform, report))
        progress.advance()
    titles = drop_unusable_titles(pd.concat(frames, ignore_index=True), report)
    # Always said, zero included: a new label in a catalogue must be noticed and added to the vocabulary.
    unmapped = sum(map_labels(titles["listed_in"]).unmapped.values())
    report.entries.append(("titles", "listed_in labels left unmapped (not in core/genres.csv)", unmapped))
    if titles.empty:
        raise DataError(f"{title_files[PLATFORMS[0]].parent}: no usable title in the four catalogues")
    return titles


# ---------------------------------------------------------------------------------------------- ratings
def load_ratings(rating_files: list[Path], title_ids: pd.Index, report: QualityReport,
                 progress: Progress | None = None) -> pd.DataFrame:
    """All rating files: validated, joined to title ids, de-duplicated, sorted by user and title."""
    progress = progress or Progress()
    with progress.stage("reading ratings", total=megabytes(rating_files), unit="MB"):
        # One file at a time, straight to numbers: the 11M movieId strings are never all held at once.
        parts = []
        for path in rating_files:
            parts.append(_numeric_ratings(read_rating_file(path), title_ids))
            progress.advance(path.stat().st_size / 2**20)
        frame = pd.concat(parts, ignore_index=True)
        del parts
    with progress.stage("cleaning ratings"):
        report.add("ratings", "rows read", len(frame))
        frame = _drop_invalid_ratings(frame, report)
        if frame.empty:
            raise DataError(f"{rating_files[0].parent}: no usable rating in the ratings files")
        return _drop_duplicate_ratings(frame, len(title_ids), report)


def megabytes(paths: list[Path]) -> float:
    """Total size of some files in MiB."""
    return sum(path.stat().st_size for path in paths) / 2**20


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


def title_segments(titles: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
    """Each title's segment number and the segments (platform, type, release_year; null years kept)."""
    codes = titles.groupby(SEGMENT_COLUMNS, dropna=False, observed=True, sort=True).ngroup().to_numpy()
    segments = titles[SEGMENT_COLUMNS].assign(segment=codes).drop_duplicates("segment").set_index("segment")
    return codes, segments.sort_index()


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


# ---------------------------------------------------------------------------------------------- output
def current_version(out_dir: Path) -> Path | None:
    """The complete processed version an output dir points at, if any."""
    link = out_dir / "current"
    target = link.resolve() if link.is_symlink() else None
    if target and all((target / name).is_file() for name in OUTPUT_FILES):
        return target
    return None


def read_manifest(version_dir: Path) -> dict:
    """The manifest of a processed version."""
    return json.loads((version_dir / "manifest.json").read_text(encoding="utf-8"))


def damage(version_dir: Path) -> str | None:
    """What is wrong with a processed version's files (None: intact): an unreadable manifest, a file whose size
    differs from the one written, or a parquet file whose footer cannot be read (truncated or overwritten)."""
    try:
        sizes = read_manifest(version_dir).get("sizes", {})
    except (OSError, ValueError) as exc:
        return f"manifest.json unreadable ({_first_line(exc)})"
    for name in OUTPUT_FILES:
        path = version_dir / name
        if name in sizes and path.stat().st_size != sizes[name]:
            return f"{name} is {path.stat().st_size:,} bytes, {sizes[name]:,} were written"
        if name.endswith(".parquet"):
            try:
                pq.read_metadata(path)
            except (OSError, pa.ArrowException) as exc:
                return f"{name} unreadable ({_first_line(exc)})"
    return None


def reusable_version(out_dir: Path, fp: str) -> Path | None:
    """The current processed version when it was made from these raw files and is intact; damage is logged."""
    existing = current_version(out_dir)
    if existing is None:
        return None
    problem = damage(existing)
    if problem is not None:
        log.warning("processed data in %s is damaged: %s; rebuilding it", existing, problem)
        return None
    return existing if read_manifest(existing).get("fingerprint") == fp else None


def publish(tmp_dir: Path, out_dir: Path, fp: str) -> Path:
    """Move a finished temp folder into place and switch the `current` link to it atomically; the version it
    replaces is kept (a running process may still read it), older ones are removed."""
    # A fresh name every run: the folder `current` points at is never touched before the link moves.
    previous = current_version(out_dir)
    version_dir = out_dir / f"v-{fp}-{uuid.uuid4().hex[:8]}"
    os.replace(tmp_dir, version_dir)
    tmp_link = out_dir / f".current-{uuid.uuid4().hex}"
    tmp_link.symlink_to(version_dir.name)
    os.replace(tmp_link, out_dir / "current")
    for old in out_dir.glob("v-*"):
        if old not in (version_dir, previous):
            shutil.rmtree(old, ignore_errors=True)
    return version_dir


def write_outputs(tmp_dir: Path, titles: pd.DataFrame, ratings: pa.Table, summaries: dict[str, pd.DataFrame],
                  manifest: dict) -> None:
    """Write every processed file into a temp folder (summaries: file stem -> frame); the manifest, written
    last, records each file's size so a damaged copy is noticed."""
    tmp_dir.mkdir(parents=True)
    titles.to_parquet(tmp_dir / "titles.parquet", index=False)
    pq.write_table(ratings, tmp_dir / "ratings.parquet", compression="zstd", row_group_size=2_000_000)
    for name, frame in summaries.items():
        frame.to_parquet(tmp_dir / f"{name}.parquet", index=False)
    sizes = {path.name: path.stat().st_size for path in tmp_dir.iterdir()}
    (tmp_dir / "manifest.json").write_text(json.dumps({**manifest, "sizes": sizes}, indent=2), encoding="utf-8")


def _remove_temp_dirs(out_dir: Path) -> None:
    """Delete temp folders left by runs that were killed (called under the ETL lock: no other run is writing)."""
    for stale in out_dir.glob(".tmp-*"):
        shutil.rmtree(stale, ignore_errors=True)
    for stale in out_dir.glob(".current-*"):
        stale.unlink(missing_ok=True)


def run_etl(raw_dir: str | os.PathLike, out_dir: str | os.PathLike | None = None, force: bool = False,
            progress: Progress | None = None) -> EtlResult:
    """Process a raw data dir (skipped when its files are unchanged and the output intact); returns where the
    output is. A file lock in the output dir lets one process build while others wait and then reuse it."""
    started = time.perf_counter()
    raw_dir = Path(raw_dir).expanduser().resolve()
    title_files, rating_files = check_raw_dir(raw_dir)
    out_dir = Path(out_dir).expanduser().resolve() if out_dir else processed_dir_for(raw_dir)
    fp = fingerprint([*title_files.values(), *rating_files])
    existing = None if force else reusable_version(out_dir, fp)
    if existing is None:
        out_dir.mkdir(parents=True, exist_ok=True)
        with file_lock(out_dir / ".etl.lock", "processed data") as waited:
            # Whoever held the lock has just built it: reuse that, even when asked to force a rebuild.
            existing = reusable_version(out_dir, fp) if waited or not force else None
            if existing is None:
                _remove_temp_dirs(out_dir)
                return build_version(raw_dir, out_dir, title_files, rating_files, fp, progress, started)
    manifest = read_manifest(existing)
    return EtlResult(existing, True, time.perf_counter() - started, manifest["report"], manifest["counts"])


def build_version(raw_dir: Path, out_dir: Path, title_files: dict[str, Path], rating_files: list[Path], fp: str,
                  progress: Progress | None, started: float) -> EtlResult:
    """Run the ETL into a fresh version folder and publish it."""
    progress = progress or Progress()
    report = QualityReport()
    with progress.stage("reading titles", total=len(title_files), unit="files"):
        titles = load_titles(title_files, report, progress)
    title_ids = pd.Index(titles["id"])
    ratings = load_ratings(rating_files, title_ids, report, progress)
    with progress.stage("summarising"):
        titles = add_scores(titles, ratings)
        report.add("titles", "no rating at all: kept with null score", int((titles["n_ratings"] == 0).sum()))
        users = user_summary(ratings)
        user_segments, activity = segment_aggregates(ratings, titles, users)
    counts = {"titles": len(titles), "ratings": len(ratings), "users": len(users),
              **{f"titles_{p}": int((titles["platform"] == p).sum()) for p in PLATFORMS}}
    manifest = {"etl_version": ETL_VERSION, "fingerprint": fp, "raw_dir": str(raw_dir), "counts": counts,
                "report": report.lines(), "created": time.strftime("%Y-%m-%dT%H:%M:%S")}
    tmp_dir = out_dir / f".tmp-{uuid.uuid4().hex}"
    try:
        with progress.stage("writing"):
            summaries = {"users": users, "user_segments": user_segments, "activity": activity}
            write_outputs(tmp_dir, titles, ratings_table(ratings, title_ids), summaries, manifest)
            version_dir = publish(tmp_dir, out_dir, fp)
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)
    return EtlResult(version_dir, False, time.perf_counter() - started, manifest["report"], counts)


def main(argv: list[str] | None = None) -> int:
    """Command line: python -m core.etl RAW_DIR [--out DIR] [--force]."""
    parser = argparse.ArgumentParser(prog="python -m core.etl", description=__doc__.splitlines()[0])
    parser.add_argument("raw_dir", help="folder with titles/ and ratings/")
    parser.add_argument("--out", help="output folder (default: a folder under data/cache)")
    parser.add_argument("--force", action="store_true", help="run even when the raw files are unchanged")
    args = parser.parse_args(argv)
    try:
        result = run_etl(args.raw_dir, args.out, force=args.force, progress=Progress.for_stream(sys.stderr))
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    state = "unchanged raw files: reused" if result.skipped else "processed"
    try:
        print(f"{state} {result.version_dir} in {result.seconds:.1f} s")
        print("counts: " + ", ".join(f"{k}={v:,}" for k, v in result.counts.items()))
        print("data-quality report:")
        print("\n".join("  " + line for line in result.report), flush=True)
    except BrokenPipeError:  # the reader left early (`| head`): the work is done, so no traceback
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


if __name__ == "__main__":
    sys.exit(main())
