"""A build's processed folder served as it is (core.processed): found through its `current` link or as a version
folder, read equal to the raw dir's own ETL output, never written, and every kind of wrong folder refused with one
message naming it."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

from core import title_ratings
from core.catalog import load_catalog, processed_catalog
from core.config import resolve_processed_dir
from core.errors import DataError
from core.etl import ETL_VERSION, read_manifest
from core.processed import served_catalog, version_folder, work_dir_for
from core.recommender import MODEL_MISSING, model_path, saved_recommender
from tests.conftest import listing, read_only_copy


@pytest.fixture()
def cache(tmp_path, monkeypatch) -> Path:
    """An empty cache dir of this test: where the app puts what it derives from a served folder."""
    monkeypatch.setenv("STREAMING_CACHE_DIR", str(tmp_path / "cache"))
    for name in ("STREAMING_DATA_DIR", "STREAMING_PROCESSED_DIR"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path / "cache"


@pytest.fixture()
def served(demo_build, tmp_path) -> Path:
    """A read-only copy of the build's output folder."""
    return read_only_copy(demo_build.out, tmp_path / "served")


def writable_copy(demo_build, target: Path) -> Path:
    """The build's current version folder copied alone (no `current` link), to be damaged by a test."""
    return Path(shutil.copytree((demo_build.out / "current").resolve(), target))


def test_served_folder_reads_like_the_raw_dirs_own_output_and_writes_nothing(demo_build, served, cache,
                                                                             monkeypatch):
    before = listing(served)
    catalog = served_catalog(served)
    monkeypatch.setenv("STREAMING_CACHE_DIR", str(demo_build.cache))
    own = processed_catalog(demo_build.raw, "demo")  # the raw dir's own ETL output, made by the app
    for name in ("titles", "users", "user_segments", "activity"):
        pd.testing.assert_frame_equal(getattr(catalog, name), getattr(own, name))
    pd.testing.assert_frame_equal(catalog.ratings(), own.ratings())
    assert catalog.version_dir == (served / "current").resolve() and catalog.version_dir.parent == served
    assert catalog.origin == "processed" and catalog.is_demo and catalog.report == own.report
    # Its own model and ratings per title are used: loaded, not fitted or built.
    assert saved_recommender(catalog) is not None
    assert title_ratings.for_catalog(catalog).stars.sum() == len(own.ratings())
    assert catalog.derived_dirs == (catalog.version_dir, catalog.write_dir) and catalog.write_dir.parent == cache
    assert not list(catalog.write_dir.iterdir())  # nothing needed deriving
    assert listing(served) == before


def test_a_version_folder_itself_or_the_current_link_serves_too(demo_build, served, cache):
    version = (served / "current").resolve()
    assert version_folder(version) == version_folder(served / "current") == version_folder(served) == version
    assert served_catalog(version).version_dir == version


def test_load_catalog_serves_the_folder_from_the_argument_or_the_variable(served, cache, monkeypatch):
    assert load_catalog(processed_dir=served).origin == "processed"
    monkeypatch.setenv("STREAMING_PROCESSED_DIR", str(served))
    assert load_catalog() is load_catalog(processed_dir=served)  # loaded once per process


def test_processed_dir_and_data_dir_are_one_or_the_other(tmp_path, monkeypatch):
    for name in ("STREAMING_DATA_DIR", "STREAMING_PROCESSED_DIR"):
        monkeypatch.delenv(name, raising=False)
    assert resolve_processed_dir() is None and resolve_processed_dir(tmp_path) is None
    assert resolve_processed_dir(None, tmp_path) == tmp_path.resolve()
    with pytest.raises(DataError, match="both given"):
        resolve_processed_dir(tmp_path, tmp_path)
    monkeypatch.setenv("STREAMING_PROCESSED_DIR", str(tmp_path / "build"))
    assert resolve_processed_dir() == tmp_path / "build"
    assert resolve_processed_dir(tmp_path / "raw") is None  # an explicit data dir beats the variable
    monkeypatch.setenv("STREAMING_DATA_DIR", str(tmp_path / "raw"))
    with pytest.raises(DataError, match="STREAMING_PROCESSED_DIR and STREAMING_DATA_DIR are both set"):
        resolve_processed_dir()
    assert resolve_processed_dir(None, tmp_path / "other") == tmp_path / "other"  # the argument beats both


def damage_manifest(version: Path) -> None:
    (version / "manifest.json").write_text("{not json")


def older_etl(version: Path) -> None:
    manifest = read_manifest(version)
    (version / "manifest.json").write_text(json.dumps({**manifest, "etl_version": ETL_VERSION - 1}))


def truncate_users(version: Path) -> None:
    data = (version / "users.parquet").read_bytes()
    (version / "users.parquet").write_bytes(data[: len(data) // 2])


@pytest.mark.parametrize("spoil, message", [
    (lambda v: (v / "activity.parquet").unlink(), "not a whole processed folder: activity.parquet missing"),
    (damage_manifest, "manifest.json unreadable"),
    (older_etl, f"processed by ETL version {ETL_VERSION - 1}, this release reads version {ETL_VERSION}"),
    (truncate_users, "users.parquet is"),
])
def test_a_damaged_folder_is_one_message_naming_it(demo_build, tmp_path, cache, spoil, message):
    version = writable_copy(demo_build, tmp_path / "copy")
    spoil(version)
    with pytest.raises(DataError, match=message) as caught:
        served_catalog(version)
    assert str(caught.value).startswith(str(version))


def test_a_folder_that_is_no_processed_folder_is_one_message(demo_build, tmp_path, cache):
    (tmp_path / "file").write_text("x")
    (tmp_path / "dangling").mkdir()
    (tmp_path / "dangling" / "current").symlink_to("v-gone")
    cases = {tmp_path / "nowhere": "processed folder not found", tmp_path / "file": "a file, not a processed folder",
             tmp_path / "dangling": "links to v-gone, which is missing",
             demo_build.raw: "a raw data dir, not a processed folder: serve it with --data-dir",
             tmp_path: "not a processed folder \\(no manifest.json, no current version\\)"}
    for folder, message in cases.items():
        with pytest.raises(DataError, match=message):
            served_catalog(folder)


def test_work_folder_only_where_it_can_be_written_and_never_inside_the_served_folder(served, tmp_path,
                                                                                     monkeypatch):
    version = (served / "current").resolve()
    (tmp_path / "file").write_text("x")
    monkeypatch.setenv("STREAMING_CACHE_DIR", str(tmp_path / "file" / "cache"))  # cannot be made
    assert work_dir_for(version, served) is None
    monkeypatch.setenv("STREAMING_CACHE_DIR", str(served / "cache"))
    assert work_dir_for(version, served) is None and not (served / "cache").exists()


def test_a_missing_model_is_fitted_into_the_cache_or_said_missing(demo_build, tmp_path, cache, monkeypatch):
    from core.recommender import load_or_fit

    stripped = writable_copy(demo_build, tmp_path / "stripped")
    model_path(stripped).unlink()
    (stripped / title_ratings.FILE_NAME).unlink()
    before = listing(stripped)
    catalog = served_catalog(stripped)
    assert saved_recommender(catalog) is None
    assert load_or_fit(catalog) is not None and model_path(catalog.write_dir).is_file()
    assert title_ratings.for_catalog(catalog) is not None and (catalog.write_dir / title_ratings.FILE_NAME).is_file()
    assert listing(stripped) == before  # a writable folder is not written either
    # With no writable cache: the ratings per title built in memory, the model reported missing, not fitted.
    monkeypatch.setenv("STREAMING_CACHE_DIR", str(stripped / "titles.parquet" / "cache"))
    homeless = served_catalog(Path(os.fspath(stripped)))
    assert homeless.write_dir is None and homeless.derived_dirs == (stripped,)
    with pytest.raises(DataError, match="model is missing"):
        load_or_fit(homeless)
    assert MODEL_MISSING.startswith("The recommender model is missing")
    assert listing(stripped) == before
