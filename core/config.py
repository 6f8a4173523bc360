"""Where data lives: the raw data dir or a build's processed folder (flag or variable) and the cache of processed
data."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING

from core.errors import DataError

if TYPE_CHECKING:
    from core.hadoop_fs import HadoopPath

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR_ENV = "STREAMING_DATA_DIR"
CACHE_DIR_ENV = "STREAMING_CACHE_DIR"
PROCESSED_DIR_ENV = "STREAMING_PROCESSED_DIR"
PLATFORMS: tuple[str, ...] = ("amazon", "disney", "hulu", "netflix")
TITLE_FILES: dict[str, str] = {
    "amazon": "amazon_prime_titles.csv",
    "disney": "disney_plus_titles.csv",
    "hulu": "hulu_titles.csv",
    "netflix": "netflix_titles.csv",
}


def chosen_data_dir(data_dir: str | os.PathLike | None = None) -> str | os.PathLike | None:
    """The raw data dir as given: the argument, else $STREAMING_DATA_DIR, else None (the embedded demo data)."""
    return data_dir if data_dir not in (None, "") else os.environ.get(DATA_DIR_ENV) or None


def resolve_data_dir(data_dir: str | os.PathLike | None = None) -> Path | None:
    """The raw data dir as an absolute path, or None (the embedded demo data); see chosen_data_dir."""
    chosen = chosen_data_dir(data_dir)
    return Path(chosen).expanduser().resolve() if chosen else None


def resolve_processed_dir(data_dir: str | os.PathLike | None = None,
                          processed_dir: str | os.PathLike | None = None) -> Path | None:
    """The processed folder to serve as it is: the argument, else $STREAMING_PROCESSED_DIR when no data dir is
    given; None: serve a raw data dir (or the demo data). Both arguments, or both variables: a DataError."""
    if processed_dir not in (None, ""):
        if data_dir not in (None, ""):
            raise DataError("a raw data dir and a processed folder were both given: the app serves one of them")
        return Path(processed_dir).expanduser().resolve()
    from_env = os.environ.get(PROCESSED_DIR_ENV)
    if data_dir not in (None, "") or not from_env:
        return None
    if os.environ.get(DATA_DIR_ENV):
        raise DataError(f"{PROCESSED_DIR_ENV} and {DATA_DIR_ENV} are both set: the app serves one of them "
                        "(a build's processed folder or a raw data dir); unset the other")
    return Path(from_env).expanduser().resolve()


def cache_root() -> Path:
    """Folder for generated and processed data: $STREAMING_CACHE_DIR, else data/cache in the repo."""
    return Path(os.environ.get(CACHE_DIR_ENV) or PROJECT_ROOT / "data" / "cache").expanduser().resolve()


def processed_dir_for(raw_dir: Path | HadoopPath) -> Path:
    """Default processed-output folder for a raw data dir (one per absolute path, or per URI for a HadoopPath)."""
    where = raw_dir.resolve() if isinstance(raw_dir, Path) else raw_dir
    digest = hashlib.sha1(str(where).encode()).hexdigest()[:10]
    return cache_root() / f"processed-{raw_dir.name or 'root'}-{digest}"
