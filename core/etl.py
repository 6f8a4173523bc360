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

Titles are cleaned here with pandas; the ratings go through core.rating_etl (SQL on DuckDB, out of core).
"""

from __future__ import annotations

import sys

if __name__ == "__main__":
    # The command starts parsing the rating files before it imports pandas and DuckDB (~0.3 s on a core that would
    # wait otherwise) when it is about to build; the ETL takes the parsing over (core.rating_read.parse_ahead).
    from core.rating_read import parse_ahead_for_command

    parse_ahead_for_command(sys.argv[1:])

import argparse
import hashlib
import io
import json
import logging
import os
import shutil
import time
import uuid
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from core import rating_etl, rating_read
from core.config import PLATFORMS, TITLE_FILES, processed_dir_for
from core.errors import DataError, first_line
from core.genres import map_labels, vocabulary
from core.hadoop_fs import HadoopPath, RawPath, is_uri
from core.locks import file_lock
from core.progress import Progress

ETL_VERSION = 5  # 5: canonical genres and facets (core/genres.csv)
TITLE_COLUMNS = ["show_id", "type", "title", "director", "cast", "country", "date_added",
                 "release_year", "rating", "duration", "listed_in", "description"]
TEXT_COLUMNS = ["show_id", "type", "title", "director", "cast", "country", "date_added", "rating",
                "duration", "listed_in", "description"]
LIST_COLUMNS = ["director", "cast", "country", "listed_in"]
# Python's whitespace (str.isspace) as a character class: pandas runs a pattern with \s through Python's re row by
# row (RE2's \s misses some of these); with the class spelled out it runs in pyarrow, twice as fast.
SPACE_LIKE = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
WHITESPACE = f"[ {SPACE_LIKE}]"
# The whitespace that folding to one space changes: a run of two or more, or one character other than a space
# (a lone space is left as it is rather than replaced by itself: folding then takes a third of the time).
ODD_WHITESPACE = f"{WHITESPACE}{{2,}}|[{SPACE_LIKE}]"
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
def check_raw_dir(raw_dir: RawPath) -> tuple[dict[str, RawPath], list[RawPath]]:
    """The four title files and the rating files of a raw data dir (local, or a URI's HadoopPath), or a DataError
    saying what is missing."""
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
    rating_files = rating_read.rating_files(ratings_dir)
    if not rating_files:
        raise DataError(f"{ratings_dir}: no ratings file (*.csv or *.csv.gz)")
    return title_files, rating_files


def fingerprint(paths: list[RawPath]) -> str:
    """Hash of the ETL version and each raw file's name, size and modification time."""
    digest = hashlib.sha256(f"etl-v{ETL_VERSION}-genres-{vocabulary().digest}".encode())
    for path in paths:
        stat = path.stat()
        digest.update(f"{path.parent.name}/{path.name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:16]


def read_title_file(path: RawPath, report: QualityReport | None = None) -> pd.DataFrame:
    """One raw catalogue as text columns, or a DataError naming the file and the problem."""
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", pd.errors.ParserWarning)
            source = path if isinstance(path, Path) else io.BytesIO(path.read_bytes())  # a HadoopPath's bytes
            frame = pd.read_csv(source, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8-sig",
                                index_col=False)
        if report is not None and caught:
            report.add(f"titles/{path.name}", "rows with more fields than the header: extra fields dropped", 1)
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: file is empty") from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise DataError(f"{path}: not a readable CSV file ({first_line(exc)})") from None
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


# ---------------------------------------------------------------------------------------------- titles
def clean_text(frame: pd.DataFrame, scope: str, report: QualityReport) -> pd.DataFrame:
    """Fold every whitespace run to one space, strip, blank -> null, tidy comma lists, lower-case."""
    out = frame.copy()
    for column in TEXT_COLUMNS:
        raw = out[column]
        tidy = raw.str.replace(ODD_WHITESPACE, " ", regex=True).str.strip()
        if column in LIST_COLUMNS:
            tidy = tidy.str.replace(f"{WHITESPACE}*,(?:{WHITESPACE}|,)*", ", ", regex=True).str.strip(", ")
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


def load_titles(title_files: dict[str, RawPath], report: QualityReport,
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


# ---------------------------------------------------------------------------------------------- segments
def megabytes(paths: list[RawPath]) -> float:
    """Total size of some files in MiB."""
    return sum(path.stat().st_size for path in paths) / 2**20


def title_segments(titles: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
    """Each title's segment number and the segments (platform, type, release_year; null years kept)."""
    codes = titles.groupby(SEGMENT_COLUMNS, dropna=False, observed=True, sort=True).ngroup().to_numpy()
    segments = titles[SEGMENT_COLUMNS].assign(segment=codes).drop_duplicates("segment").set_index("segment")
    return codes, segments.sort_index()


# ---------------------------------------------------------------------------------------------- aggregates
def add_scores(titles: pd.DataFrame, counts: np.ndarray, sums: np.ndarray) -> pd.DataFrame:
    """Each title's mean user rating (`score`, NaN when unrated) and number of ratings."""
    out = titles.copy()
    out["score"] = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    out["n_ratings"] = counts.astype("int32")
    return out


def rated_segments(titles: pd.DataFrame) -> pd.DataFrame:
    """Every segment's platform, type and release year, a row per segment number; platform and type categorical
    over the segments that have ratings (as the summaries hold them)."""
    codes, segments = title_segments(titles)
    rated = segments.iloc[np.unique(codes[titles["n_ratings"].to_numpy() > 0])]
    out = segments.reset_index(drop=True)
    for column in ("platform", "type"):
        dtype = rated[column].astype("category").dtype
        out[column] = pd.Categorical.from_codes(dtype.categories.get_indexer(out[column]), dtype=dtype)
    return out


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
        return f"manifest.json unreadable ({first_line(exc)})"
    for name in OUTPUT_FILES:
        path = version_dir / name
        if name in sizes and path.stat().st_size != sizes[name]:
            return f"{name} is {path.stat().st_size:,} bytes, {sizes[name]:,} were written"
        if name.endswith(".parquet"):
            try:
                pq.read_metadata(path)
            except (OSError, pa.ArrowException) as exc:
                return f"{name} unreadable ({first_line(exc)})"
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


def summarise_ratings(engine: rating_etl.DuckDbEngine, titles: pd.DataFrame,
                      report: QualityReport) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The titles with their scores, and the users' totals, from the engine's rating totals."""
    rating_etl.summarise(engine)
    titles = add_scores(titles, *rating_etl.title_totals(engine, len(titles)))
    report.add("titles", "no rating at all: kept with null score", int((titles["n_ratings"] == 0).sum()))
    return titles, rating_etl.users_frame(engine)


def write_outputs(tmp_dir: Path, titles: pd.DataFrame, engine: rating_etl.DuckDbEngine, users: pd.DataFrame,
                  manifest: dict, ratings: rating_etl.RatingsFile) -> None:
    """Write the other processed files beside ratings.parquet in the temp folder (the per-segment counts streamed
    from the engine) while `ratings` finishes; the manifest, written last, records each file's size so a damaged
    copy is noticed."""
    ratings.finish()
    segments = rated_segments(titles)
    # The per-user counts (4M rows for the real data) are sorted and written on a thread while this one writes the
    # small files: each file's writing is mostly one core's work.
    with ThreadPoolExecutor(1) as writer:
        user_segments = writer.submit(rating_etl.write_segment_counts, engine, "user_segments", segments,
                                      ["user_row", *SEGMENT_COLUMNS, "n_ratings"], tmp_dir / "user_segments.parquet")
        titles.to_parquet(tmp_dir / "titles.parquet", index=False)
        users.to_parquet(tmp_dir / "users.parquet", index=False)
        rating_etl.write_segment_counts(engine, "activity", segments,
                                        ["month", *SEGMENT_COLUMNS, "n_ratings", "rating_sum"],
                                        tmp_dir / "activity.parquet")
        user_segments.result()
    ratings.close()
    sizes = {path.name: path.stat().st_size for path in tmp_dir.iterdir()}
    (tmp_dir / "manifest.json").write_text(json.dumps({**manifest, "sizes": sizes}, indent=2), encoding="utf-8")


def _remove_temp_dirs(out_dir: Path) -> None:
    """Delete temp folders left by runs that were killed (called under the ETL lock: no other run is writing)."""
    for stale in out_dir.glob(".tmp-*"):
        shutil.rmtree(stale, ignore_errors=True)
    for stale in out_dir.glob(".current-*"):
        stale.unlink(missing_ok=True)


def local_raw_dir(raw_dir: str | os.PathLike) -> Path:
    """A local raw dir as an absolute path; a URI (hdfs://, s3a://, file://) is a DataError: only Spark reads those."""
    if is_uri(raw_dir):
        raise uri_needs_spark(str(raw_dir))
    return Path(raw_dir).expanduser().resolve()


def uri_needs_spark(uri: str) -> DataError:
    """The error for a raw dir URI given to the local engine."""
    return DataError(f"{uri[:200]}: a raw dir URI needs the Spark engine (python -m core.build RAW_URI "
                     "--engine spark); the local engine reads local folders")


def run_etl(raw_dir: str | os.PathLike | HadoopPath, out_dir: str | os.PathLike | None = None,
            force: bool = False, progress: Progress | None = None,
            engine: Callable[[Path], Any] | None = None) -> EtlResult:
    """Process a raw data dir (skipped when its files are unchanged and the output intact); returns where the
    output is. A file lock in the output dir lets one process build while others wait and then reuse it.
    `engine(spill_dir)` makes the rating engine (default: DuckDB in this process; core.spark_etl: Spark, which
    also reads a raw dir given as a URI's HadoopPath)."""
    started = time.perf_counter()
    raw_dir = raw_dir if isinstance(raw_dir, HadoopPath) else local_raw_dir(raw_dir)
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
                return build_version(raw_dir, out_dir, title_files, rating_files, fp, progress, started,
                                     engine)
    manifest = read_manifest(existing)
    return EtlResult(existing, True, time.perf_counter() - started, manifest["report"], manifest["counts"])


def build_version(raw_dir: RawPath, out_dir: Path, title_files: dict[str, RawPath], rating_files: list[RawPath],
                  fp: str, progress: Progress | None, started: float,
                  make_engine: Callable[[Path], Any] | None = None) -> EtlResult:
    """Run the ETL into a fresh version folder (the rating engine: make_engine(spill_dir), default DuckDB) and
    publish it."""
    progress = progress or Progress()
    make_engine = make_engine or rating_etl.DuckDbEngine
    report = QualityReport()
    tmp_dir = out_dir / f".tmp-{uuid.uuid4().hex}"
    spill_dir = tmp_dir.with_name(tmp_dir.name + "-spill")  # the engine's overflow; a .tmp-* name like the rest
    engine = make_engine(spill_dir)
    try:
        # The engine starts on the rating files (DuckDB: parsing them on the other core) while the titles are cleaned.
        engine.start_reading(rating_files, progress)
        with progress.stage("reading titles", total=len(title_files), unit="files"):
            titles = load_titles(title_files, report, progress)
        tmp_dir.mkdir(parents=True)
        title_ids = pa.array(titles["id"].to_numpy(), pa.string())
        with rating_etl.RatingsFile(tmp_dir / "ratings.parquet", title_ids) as ratings:
            rating_etl.process_ratings(engine, rating_files, title_ids, title_segments(titles)[0], report,
                                       progress, ratings)
            with progress.stage("summarising"):
                titles, users = summarise_ratings(engine, titles, report)
            counts = {"titles": len(titles), "ratings": int(titles["n_ratings"].sum()), "users": len(users),
                      **{f"titles_{p}": int((titles["platform"] == p).sum()) for p in PLATFORMS}}
            manifest = {"etl_version": ETL_VERSION, "fingerprint": fp, "raw_dir": str(raw_dir), "counts": counts,
                        "report": report.lines(), "created": time.strftime("%Y-%m-%dT%H:%M:%S")}
            with progress.stage("writing"):
                write_outputs(tmp_dir, titles, engine, users, manifest, ratings)
                version_dir = publish(tmp_dir, out_dir, fp)
    finally:
        engine.close()
        shutil.rmtree(tmp_dir, ignore_errors=True)
        shutil.rmtree(spill_dir, ignore_errors=True)
    return EtlResult(version_dir, False, time.perf_counter() - started, manifest["report"], counts)


def main(argv: list[str] | None = None) -> int:
    """Command line: python -m core.etl RAW_DIR [--out DIR] [--force]."""
    parser = argparse.ArgumentParser(prog="python -m core.etl", description=__doc__.splitlines()[0])
    parser.add_argument("raw_dir", help="folder with titles/ and ratings/")
    parser.add_argument("--out", help="output folder (default: a folder under data/cache)")
    parser.add_argument("--force", action="store_true", help="run even when the raw files are unchanged")
    try:
        args = parser.parse_args(argv)
        result = run_etl(args.raw_dir, args.out, force=args.force, progress=Progress.for_stream(sys.stderr))
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        rating_read.stop_parsing_ahead()
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
