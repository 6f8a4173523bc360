"""Shared fixtures: the real data dir (when $STREAMING_DATA_DIR names one), the demo data, Chromium options."""

from __future__ import annotations

import atexit
import os
import shutil
import stat
import tempfile
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest
from selenium.webdriver.chrome.options import Options

from core.config import resolve_data_dir

_BROWSER_PROFILES = Path(tempfile.mkdtemp(prefix="streaming-chromium-"))
atexit.register(shutil.rmtree, _BROWSER_PROFILES, ignore_errors=True)


def pytest_setup_options() -> Options:
    """Headless Chromium for dash_duo, each browser with its own profile folder (removed at exit)."""
    options = Options()
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-extensions",
                 "--window-size=1280,1024"):
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tempfile.mkdtemp(dir=_BROWSER_PROFILES)}")
    return options


# How long a browser test's teardown waits for a model fit the test started (the real data's fit takes ~1 min).
FIT_WAIT_S = 600


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_teardown(item) -> None:
    """Before dash_duo stops its server, let a model fit that the test started (a title page, a recommendation)
    finish. dash_duo stops the server by raising SystemExit in every thread started during the test, the fit's
    own and its pool's included: a fit killed that way once left its pool waiting forever, and the lock it held
    hung the rest of the run. Finished, the model is saved and the later tests load it."""
    if "dash_duo" not in getattr(item, "fixturenames", ()):
        return
    from core.model_service import THREAD_NAME

    for thread in threading.enumerate():
        if thread.name == THREAD_NAME:
            thread.join(FIT_WAIT_S)
            if thread.is_alive():
                warnings.warn(f"{item.nodeid}: the model fit it started still runs after {FIT_WAIT_S} s", stacklevel=1)


@pytest.fixture(scope="session")
def real_raw_dir() -> Path:
    """The real raw data dir from $STREAMING_DATA_DIR; tests that need it are skipped without it."""
    raw = resolve_data_dir()
    if raw is None or not (raw / "titles").is_dir():
        pytest.skip("real data not available: set STREAMING_DATA_DIR to the raw data dir (CI does)")
    return raw


@pytest.fixture(scope="session")
def real_catalog(real_raw_dir):
    """The processed real data (ETL run once per cache, then reused)."""
    from core import load_catalog

    return load_catalog(real_raw_dir)


@pytest.fixture(scope="session")
def demo_catalog():
    """The processed embedded demo data."""
    from core import load_demo_catalog

    return load_demo_catalog()


# One Spark session for every Spark test: two cores, no UI, few shuffle partitions (the default 200 is for clusters).
SPARK_TEST_SETTINGS = {"spark.ui.enabled": "false", "spark.sql.shuffle.partitions": "2", "spark.driver.memory": "2g"}


@pytest.fixture(scope="session")
def spark():
    """A local[2] SparkSession shared by the Spark tests; they are skipped, with the reason, where pyspark or Java
    is missing."""
    from core import spark_session

    problem = spark_session.unavailable()
    if problem:
        pytest.skip(f"Spark cannot run here: {problem}")
    session = spark_session.start_session("local[2]", SPARK_TEST_SETTINGS)
    yield session
    session.stop()


@dataclass(frozen=True)
class DemoBuild:
    """The demo data built with `core.build --out` into a temp folder: its cache dir (with the demo raw dir) and
    the output folder."""

    cache: Path
    raw: Path
    out: Path


@pytest.fixture(scope="session")
def demo_build(tmp_path_factory) -> DemoBuild:
    """The demo data built once per session by core.build with --out (ETL, model, ratings per title), as a
    cluster build's output would be: a processed folder away from the cache dir the app reads."""
    from core.build import build
    from core.demo import ensure_demo_raw

    root = tmp_path_factory.mktemp("demo-build")
    with pytest.MonkeyPatch.context() as patch:
        for name in ("STREAMING_DATA_DIR", "STREAMING_PROCESSED_DIR"):
            patch.delenv(name, raising=False)
        patch.setenv("STREAMING_CACHE_DIR", str(root / "cache"))
        result = build(out_dir=root / "out")
        raw = ensure_demo_raw()
    assert result.etl.version_dir.parent == root / "out" and result.model_path.is_file()
    return DemoBuild(root / "cache", raw, root / "out")


def read_only_copy(source: Path, target: Path) -> Path:
    """A copy of a folder (links kept as links) with every write permission removed, as on a read-only mount."""
    shutil.copytree(source, target, symlinks=True)
    for folder, dirs, files in os.walk(target):
        for name in files + dirs + ["."]:
            path = Path(folder, name)
            if not path.is_symlink():
                path.chmod(path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    return target


def listing(folder: Path) -> dict[str, tuple[int, int]]:
    """Every entry under a folder (links not followed) with its size and modification time in ns."""
    entries = {}
    for root, dirs, files in os.walk(folder):
        for name in [".", *dirs, *files]:
            path = Path(root, name)
            info = path.lstat()
            entries[str(path.relative_to(folder))] = (info.st_size, info.st_mtime_ns)
    return entries
