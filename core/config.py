"""Where data lives: the raw data dir (flag or variable) and the cache of processed data."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.hadoop_fs import HadoopPath

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR_ENV = "STREAMING_DATA_DIR"
CACHE_DIR_ENV = "STREAMING_CACHE_DIR"
PLATFORMS: tuple[str, ...] = ("amazon", "disney", "hulu", "netflix")
TITLE_FILES: dict[str, str] = {
    "amazon": "amazon_prime_titles.csv",
    "disney": "disney_plus_titles.csv",
    "hulu": "hulu_titles.csv",
    "netflix": "netflix_titles.csv",
}


def resolve_data_dir(data_dir: str | os.PathLike | None = None) -> Path | None:
    """The raw data dir: the argument, else $STREAMING_DATA_DIR, else None (the embedded demo data)."""
    chosen = data_dir if data_dir not in (None, "") else os.environ.get(DATA_DIR_ENV) or None
    return Path(chosen).expanduser().resolve() if chosen else None


def cache_root() -> Path:
    """Folder for generated and processed data: $STREAMING_CACHE_DIR, else data/cache in the repo."""
    return Path(os.environ.get(CACHE_DIR_ENV) or PROJECT_ROOT / "data" / "cache").expanduser().resolve()


def processed_dir_for(raw_dir: Path | HadoopPath) -> Path:
    """Default processed-output folder for a raw data dir (one per absolute path, or per URI for a HadoopPath)."""
    where = raw_dir.resolve() if isinstance(raw_dir, Path) else raw_dir
    digest = hashlib.sha1(str(where).encode()).hexdigest()[:10]
    return cache_root() / f"processed-{raw_dir.name or 'root'}-{digest}"
