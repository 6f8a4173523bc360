"""A build's processed folder served as it is (`python app.py --processed-dir DIR`, $STREAMING_PROCESSED_DIR): found,
checked and read without the raw data, never written.

DIR is what `python -m core.build RAW --out DIR` (or `python -m core.etl RAW --out DIR`) wrote: the folder whose
`current` link names the version to serve, or one version folder itself (a copy made without the link). What the app
derives at run time (a model the folder lacks or that another release fitted, the ratings per title) goes to a
folder of the cache dir instead, when one can be written there.
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import replace
from pathlib import Path

import pyarrow as pa

from core.catalog import Catalog, read_catalog
from core.config import cache_root
from core.errors import DataError
from core.etl import ETL_VERSION, OUTPUT_FILES, damage, read_manifest

log = logging.getLogger(__name__)


def served_catalog(processed_dir: Path) -> Catalog:
    """The Catalog of a processed folder, read as it is: no raw dir, no ETL, nothing written into it."""
    version_dir = version_folder(processed_dir)
    manifest = checked_manifest(version_dir)
    from core.demo import is_demo_raw_dir  # imported late: only this label needs the demo module

    source = "demo" if is_demo_raw_dir(manifest.get("raw_dir")) else str(processed_dir)
    try:
        catalog = read_catalog(version_dir, source, [str(line) for line in manifest.get("report", [])])
    except (OSError, ValueError, KeyError, pa.ArrowException) as exc:
        raise DataError(f"{version_dir}: processed files unreadable ({type(exc).__name__}: {exc})") from None
    return replace(catalog, origin="processed", work_dir=work_dir_for(version_dir, processed_dir))


def version_folder(processed_dir: Path) -> Path:
    """The version folder to serve: the folder itself when it holds a manifest, else the one its `current` link
    names; a DataError saying what the folder lacks."""
    if not processed_dir.is_dir():
        problem = "a file, not a processed folder" if processed_dir.exists() else "processed folder not found"
        raise DataError(f"{processed_dir}: {problem}")
    if (processed_dir / "manifest.json").is_file():
        return processed_dir.resolve()
    current = processed_dir / "current"
    if current.is_dir():
        return current.resolve()
    if current.is_symlink():
        raise DataError(f"{current}: links to {os.readlink(current)}, which is missing: copy the whole folder (links "
                        "included), or give the version folder itself")
    if (processed_dir / "titles").is_dir() and (processed_dir / "ratings").is_dir():
        raise DataError(f"{processed_dir}: a raw data dir, not a processed folder: serve it with --data-dir "
                        "(STREAMING_DATA_DIR)")
    raise DataError(f"{processed_dir}: not a processed folder (no manifest.json, no current version): give the "
                    "folder that python -m core.build RAW --out DIR wrote")


def checked_manifest(version_dir: Path) -> dict:
    """The manifest of a version folder once the folder is found whole, intact and of this release's ETL; else a
    DataError naming the problem."""
    missing = [name for name in OUTPUT_FILES if not (version_dir / name).is_file()]
    if missing:
        raise DataError(f"{version_dir}: not a whole processed folder: {', '.join(missing)} missing")
    try:
        manifest = read_manifest(version_dir)
    except (OSError, ValueError) as exc:
        raise DataError(f"{version_dir}: manifest.json unreadable ({type(exc).__name__})") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("sizes", {}), dict):
        raise DataError(f"{version_dir}: manifest.json is not a processed data manifest")
    if manifest.get("etl_version") != ETL_VERSION:
        raise DataError(f"{version_dir}: processed by ETL version {manifest.get('etl_version')}, this release reads "
                        f"version {ETL_VERSION}: build it again with this release")
    problem = damage(version_dir)
    if problem is not None:
        raise DataError(f"{version_dir}: {problem}")
    return manifest


def work_dir_for(version_dir: Path, processed_dir: Path) -> Path | None:
    """A cache folder for what the app derives from a served version (one per version folder); None when none
    can be written (then a missing model is reported, not fitted) or it would lie inside the served folder."""
    digest = hashlib.sha1(str(version_dir).encode()).hexdigest()[:10]
    folder = cache_root() / f"served-{version_dir.name}-{digest}"
    if any(folder.is_relative_to(served) for served in (version_dir, processed_dir.resolve())):
        log.warning("the cache dir %s lies inside the served folder, which is never written: no work folder",
                    cache_root())
        return None
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        log.warning("no writable work folder for %s in the cache dir (%s)", version_dir.name, exc)
        return None
    return folder if os.access(folder, os.W_OK) else None
