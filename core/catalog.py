"""The processed data of one raw data dir (or of the embedded demo data), loaded once per process."""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from core.config import resolve_data_dir
from core.etl import run_etl
from core.progress import Progress

log = logging.getLogger(__name__)
_LOCK = threading.Lock()
_LOADED: dict[Path | str | None, "Catalog"] = {}


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

    @property
    def is_demo(self) -> bool:
        """True when this is the embedded demo data."""
        return self.source == "demo"

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


def load_catalog(data_dir: str | os.PathLike | None = None, progress: Progress | None = None) -> Catalog:
    """The Catalog of a raw data dir (None: $STREAMING_DATA_DIR or the demo data); ETL run or reused, once."""
    key = resolve_data_dir(data_dir)
    with _LOCK:
        if key not in _LOADED:
            raw_dir, source = raw_dir_or_demo(data_dir)
            _LOADED[key] = processed_catalog(raw_dir, source, progress)
        return _LOADED[key]
