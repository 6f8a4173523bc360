"""The processed data of one raw data dir (or of the embedded demo data, or a build's processed folder served as it
is), loaded once per process."""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Literal, TypeVar

import pandas as pd

from core.config import resolve_data_dir, resolve_processed_dir
from core.etl import run_etl
from core.progress import Progress

log = logging.getLogger(__name__)
_LOCK = threading.Lock()
T = TypeVar("T")
_LOADED: dict[Path | str | tuple[str, Path] | None, "Catalog"] = {}


@dataclass(frozen=True)
class Catalog:
    """Processed titles with scores, per-user and per-month rating summaries; ratings read on demand."""

    titles: pd.DataFrame
    users: pd.DataFrame
    user_segments: pd.DataFrame
    activity: pd.DataFrame
    version_dir: Path
    source: str
    report: tuple[str, ...]
    # "raw": the ETL output of a raw dir, this app's own (what it derives is saved beside it); "processed": a build's
    # folder served as it is, never written (what it derives goes to work_dir, a cache folder; None: none writable).
    origin: Literal["raw", "processed"] = "raw"
    work_dir: Path | None = None

    @property
    def is_demo(self) -> bool:
        """True when this is the embedded demo data."""
        return self.source == "demo"

    @property
    def derived_dirs(self) -> tuple[Path, ...]:
        """Folders where files derived from the data (the model, the ratings per title) are looked for, in order."""
        if self.origin == "raw" or self.work_dir is None:
            return (self.version_dir,)
        return (self.version_dir, self.work_dir)

    def first_derived(self, load: Callable[[Path], T | None]) -> T | None:
        """The first thing `load` finds (not None) in the derived_dirs, in their order."""
        return next((found for found in map(load, self.derived_dirs) if found is not None), None)

    @property
    def write_dir(self) -> Path | None:
        """Where derived files are saved: beside a raw dir's ETL output, else the work dir (None: nowhere)."""
        return self.version_dir if self.origin == "raw" else self.work_dir

    def ratings(self, columns: list[str] | None = None) -> pd.DataFrame:
        """The processed ratings (11M rows on the real data): for model fitting and evaluation, not requests."""
        return pd.read_parquet(self.version_dir / "ratings.parquet", columns=columns)


def read_catalog(version_dir: Path, source: str, report: list[str]) -> Catalog:
    """A Catalog from a processed version folder."""
    titles = pd.read_parquet(version_dir / "titles.parquet")
    return Catalog(titles=titles.set_index("id", drop=False).rename_axis(None),
                   users=pd.read_parquet(version_dir / "users.parquet"),
                   user_segments=pd.read_parquet(version_dir / "user_segments.parquet"),
                   activity=pd.read_parquet(version_dir / "activity.parquet"),
                   version_dir=version_dir, source=source, report=tuple(report))


def raw_dir_or_demo(data_dir: str | os.PathLike | None) -> tuple[Path, str]:
    """The raw dir to process and a label: the given/env data dir, else the generated demo data."""
    resolved = resolve_data_dir(data_dir)
    if resolved is not None:
        return resolved, str(resolved)
    from core.demo import ensure_demo_raw  # imported late: only the demo path needs the generator

    return ensure_demo_raw(), "demo"


def processed_catalog(raw_dir: Path, source: str, progress: Progress | None = None) -> Catalog:
    """Run (or reuse) the ETL of a raw dir and read its output; output that cannot be read is rebuilt once."""
    result = run_etl(raw_dir, progress=progress)
    try:
        return read_catalog(result.version_dir, source, result.report)
    except (OSError, ValueError) as exc:  # pyarrow's errors are both; a damaged file is not fatal
        log.warning("processed data in %s unreadable (%s): rebuilding it", result.version_dir, exc)
    result = run_etl(raw_dir, force=True, progress=progress)
    return read_catalog(result.version_dir, source, result.report)


def load_demo_catalog() -> Catalog:
    """The Catalog of the embedded demo data, whatever $STREAMING_DATA_DIR says."""
    from core.demo import ensure_demo_raw

    with _LOCK:
        if "demo" not in _LOADED:
            _LOADED["demo"] = processed_catalog(ensure_demo_raw(), "demo")
        return _LOADED["demo"]


def load_catalog(data_dir: str | os.PathLike | None = None, progress: Progress | None = None,
                 processed_dir: str | os.PathLike | None = None) -> Catalog:
    """The Catalog of a raw data dir (None: $STREAMING_DATA_DIR or the demo data), ETL run or reused, once; or of a
    build's processed folder (processed_dir, else $STREAMING_PROCESSED_DIR), read as it is, once."""
    folder = resolve_processed_dir(data_dir, processed_dir)
    if folder is not None:
        from core.processed import served_catalog  # imported late: a cycle (it builds Catalogs)

        with _LOCK:
            if ("processed", folder) not in _LOADED:
                _LOADED["processed", folder] = served_catalog(folder)
            return _LOADED["processed", folder]
    key = resolve_data_dir(data_dir)
    with _LOCK:
        if key not in _LOADED:
            raw_dir, source = raw_dir_or_demo(data_dir)
            _LOADED[key] = processed_catalog(raw_dir, source, progress)
        return _LOADED[key]
