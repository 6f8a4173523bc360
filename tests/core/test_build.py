"""The one build step (`python -m core.build`): idempotent, safe when run twice at once, rebuilds damaged output,
keeps the version a running process may still read, and reports progress."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from core import build as build_module
from core import etl
from core.catalog import processed_catalog
from core.config import PROJECT_ROOT
from core.demo import ensure_demo_raw
from core.errors import DataError
from core.progress import Progress, describe, resident_mb, summary
from core.recommender import HybridRecommender, _try_load, model_path
from tests.core.test_etl import write_raw


@pytest.fixture()
def cache(tmp_path, monkeypatch) -> Path:
    """An empty cache dir for this test (the demo raw data is generated into it)."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("STREAMING_CACHE_DIR", str(folder))
    monkeypatch.delenv("STREAMING_DATA_DIR", raising=False)
    return folder


def run_build(cache: Path, *args: str) -> subprocess.CompletedProcess:
    """`python -m core.build ARGS` with the given cache dir and no data dir (the demo data)."""
    env = {"STREAMING_CACHE_DIR": str(cache), "PATH": "/usr/bin:/bin", "PYTHONPATH": str(PROJECT_ROOT)}
    return subprocess.run([sys.executable, "-m", "core.build", *args], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def versions(cache: Path) -> list[Path]:
    """The processed version folders of the demo data under a cache dir."""
    return sorted(cache.glob("processed-*/v-*"))


def test_build_then_a_second_build_reuses_everything(cache):
    first = build_module.build()
    assert not first.etl.skipped and not first.model_reused and first.model_path.is_file()
    assert first.model_path.parent == first.etl.version_dir
    second = build_module.build()
    assert second.etl.skipped and second.model_reused and second.etl.version_dir == first.etl.version_dir
    assert "up to date" in build_module.report(second) and "gunicorn -c gunicorn.conf.py" in build_module.report(second)
    forced = build_module.build(force=True)
    assert not forced.etl.skipped and not forced.model_reused and forced.etl.version_dir != first.etl.version_dir


def test_command_line_builds_once_and_then_has_nothing_to_do(cache):
    built = run_build(cache)
    assert built.returncode == 0, built.stderr
    assert "processed data: built" in built.stdout and "recommender: ready" in built.stdout
    assert "serve with: gunicorn -c gunicorn.conf.py app:server\n" in built.stdout  # where the app looks
    assert "[12/12] saving the model done" in built.stderr  # plain progress lines off a terminal
    again = run_build(cache)
    assert again.returncode == 0 and "processed data: up to date" in again.stdout
    assert "recommender: up to date" in again.stdout and "[" not in again.stderr  # no stage ran


def test_command_line_bad_input_is_one_message_and_exit_2(cache, tmp_path):
    missing = run_build(cache, str(tmp_path / "nope"))
    assert missing.returncode == 2 and missing.stderr.strip() == f"error: {tmp_path / 'nope'}: data folder not found"
    assert not versions(cache)
    raw = write_raw(tmp_path / "raw", ratings=["not,a,rating,file", "x,y,z,w"])
    broken = run_build(cache, str(raw))
    assert broken.returncode == 2 and broken.stderr.splitlines()[-1].startswith("error: ")
    assert "Traceback" not in broken.stderr


def test_a_raw_dir_uri_needs_the_spark_engine_one_message_and_nothing_written(cache, tmp_path, monkeypatch):
    needs_spark = "a raw dir URI needs the Spark engine (python -m core.build RAW_URI --engine spark)"
    done = run_build(cache, "hdfs://namenode:8020/data/raw")
    assert done.returncode == 2 and len(done.stderr.splitlines()) == 1
    assert done.stderr.startswith(f"error: hdfs://namenode:8020/data/raw: {needs_spark}")
    monkeypatch.setenv("STREAMING_DATA_DIR", "s3a://bucket/raw")
    with pytest.raises(DataError, match=f"^s3a://bucket/raw: {re.escape(needs_spark)}"):
        build_module.build()
    with pytest.raises(DataError, match=re.escape(f"file:///data/raw: {needs_spark}")):
        etl.run_etl("file:///data/raw", tmp_path / "out")
    assert not cache.exists() and not (tmp_path / "out").exists()


def test_two_builds_at_once_on_an_empty_cache_build_once(cache):
    ensure_demo_raw()  # generated once up front: this test is about the ETL and the fit
    with ThreadPoolExecutor(2) as pool:
        done = list(pool.map(lambda _: run_build(cache), range(2)))
    assert [d.returncode for d in done] == [0, 0], [d.stderr for d in done]
    outputs = "\n".join(d.stdout + d.stderr for d in done)
    assert outputs.count("processed data: built") == 1 and outputs.count("processed data: up to date") == 1
    assert outputs.count("saving the model done") == 1  # one fit; the other process loaded its file
    assert len(versions(cache)) == 1 and model_path(versions(cache)[0]).is_file()


def test_damaged_model_is_rebuilt_not_fatal(cache, caplog):
    first = build_module.build()
    path, catalog = first.model_path, processed_catalog(ensure_demo_raw(), "demo")
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])  # truncated, as by a full disk
    assert not build_module.model_is_current(path)
    with caplog.at_level("WARNING"):
        assert _try_load(path, catalog.titles) is None
    assert "not usable" in caplog.text and "fitting it again" in caplog.text
    again = build_module.build()
    assert not again.model_reused and build_module.model_is_current(path)
    assert isinstance(HybridRecommender.load(path, catalog.titles), HybridRecommender)


def test_model_with_a_bad_checksum_is_refitted(cache, caplog):
    first = build_module.build()
    path, catalog = first.model_path, processed_catalog(ensure_demo_raw(), "demo")
    data = bytearray(path.read_bytes())
    data[len(data) // 3] ^= 0xFF  # one flipped byte inside an array: the zip's CRC catches it
    path.write_bytes(bytes(data))
    with caplog.at_level("WARNING"):
        assert _try_load(path, catalog.titles) is None  # what a server starting on this file finds
    assert "not usable" in caplog.text and "CRC" in caplog.text
    assert not build_module.model_is_current(path) and not build_module.build().model_reused  # refitted
    assert HybridRecommender.load(path, catalog.titles).fitted  # saved again, whole


@pytest.mark.parametrize("damage", ["truncate", "garble"])
def test_damaged_processed_data_is_rebuilt(cache, caplog, damage):
    first = build_module.build().etl.version_dir
    target = first / "users.parquet"
    data = target.read_bytes()
    target.write_bytes(data[: len(data) // 2] if damage == "truncate" else bytes(len(data)))
    with caplog.at_level("WARNING"):
        result = etl.run_etl(ensure_demo_raw())
    assert not result.skipped and result.version_dir != first and "damaged" in caplog.text
    assert etl.damage(result.version_dir) is None
    catalog = processed_catalog(ensure_demo_raw(), "demo")
    assert len(catalog.users) == result.counts["users"]


def test_publish_keeps_the_current_and_the_previous_version(tmp_path):
    raw, out = write_raw(tmp_path / "raw"), tmp_path / "out"
    made = [etl.run_etl(raw, out, force=True).version_dir for _ in range(3)]
    kept = sorted(out.glob("v-*"))
    assert kept == sorted(made[1:])  # the one a running process may still read survives one more build
    assert (out / "current").resolve() == made[2] and etl.damage(made[1]) is None


HOLD_LOCK_THEN_BUILD = """
import fcntl, sys, time
from pathlib import Path
from core import etl
raw, out = Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve()
lock = open(out / ".etl.lock", "a+")
fcntl.flock(lock, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(1.5)
titles, ratings = etl.check_raw_dir(raw)
etl.build_version(raw, out, titles, ratings, etl.fingerprint([*titles.values(), *ratings]), None, 0.0)
"""


def test_a_build_waits_for_the_one_holding_the_lock_and_reuses_its_output(tmp_path):
    raw, out = write_raw(tmp_path / "raw"), tmp_path / "out"
    out.mkdir()
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK_THEN_BUILD, str(raw), str(out)], cwd=PROJECT_ROOT,
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    started = time.monotonic()
    result = etl.run_etl(raw, out, force=True)  # even a forced run reuses what the lock holder just built
    holder.wait(timeout=60)
    assert holder.returncode == 0 and time.monotonic() - started > 1.0
    assert result.skipped and len(list(out.glob("v-*"))) == 1


def test_progress_lines_bar_and_estimate():
    lines: list[str] = []
    progress = Progress(emit=lines.append, every=0)
    progress.plan(["one", "two", "three"], {"two": 10.0, "three": 5.0})
    with progress.stage("one", total=4, unit="files"):
        progress.advance(2)
        snap = progress.snapshot()
        assert snap["step"] == 1 and snap["fraction"] == 0.5 and snap["seconds_left"] >= 15.0
    with progress.stage("two"):
        assert progress.snapshot()["seconds_left"] <= 15.0  # two's expected remainder plus three
    assert lines[0].startswith("[1/3] one [") and "0/4 files" in lines[0] and "about" in lines[0]
    assert any(line.startswith("[1/3] one done in ") for line in lines)
    assert progress.snapshot()["stage"] is None
    assert summary({"stage": "tastes", "step": 4, "steps": 7, "fraction": 0.25, "seconds_left": 3}) == (
        "step 4 of 7: tastes, 25 % done, about 3 s left")
    assert describe({"stage": "x", "elapsed_s": 1.0}) == "x, 1.0 s"


def test_each_stage_reports_its_own_peak_memory():
    import numpy as np

    lines: list[str] = []
    progress = Progress(emit=lines.append)
    before = resident_mb()
    with progress.stage("big"):
        block = np.ones(40_000_000)  # 305 MB, touched
        del block
    with progress.stage("small"):
        time.sleep(0.2)
    assert progress.peaks["big"] > before + 250
    assert progress.peaks["small"] < progress.peaks["big"] - 200  # not the process peak of the stage before
    assert any(line.startswith("big done in ") and line.endswith(" MB") and "peak memory" in line for line in lines)


def test_progress_redraws_a_bar_on_a_terminal_and_prints_lines_elsewhere():
    class Terminal(io.StringIO):
        def isatty(self):
            return True
    terminal, log = Terminal(), io.StringIO()
    for stream in (terminal, log):
        progress = Progress.for_stream(stream)
        with progress.stage("reading", total=2):
            progress.advance(2)
    assert terminal.getvalue().startswith("\r\033[K") and terminal.getvalue().endswith("\n")
    assert "\r" not in log.getvalue() and log.getvalue().splitlines()[-1].startswith("reading done in")


def test_fit_progress_is_shared_with_waiting_processes(cache):
    from core.recommender import ProgressFile, progress_path, shared_progress

    version = build_module.build().etl.version_dir
    assert shared_progress(version) is None  # removed when the fit ends
    writer = ProgressFile(progress_path(version), every=0)
    writer({"stage": "tastes", "step": 4, "steps": 7})
    assert shared_progress(version) == {"stage": "tastes", "step": 4, "steps": 7}
    progress_path(version).write_text("{not json")
    assert shared_progress(version) is None
    assert json.loads(json.dumps(build_module.build().etl.counts))["titles"] > 0


def test_a_build_with_out_says_how_to_serve_that_folder(demo_build, monkeypatch):
    monkeypatch.setenv("STREAMING_CACHE_DIR", str(demo_build.cache))
    for name in ("STREAMING_DATA_DIR", "STREAMING_PROCESSED_DIR"):
        monkeypatch.delenv(name, raising=False)
    again = build_module.build(out_dir=demo_build.out)  # up to date: nothing built
    assert again.etl.skipped and again.model_reused and not again.own_folder
    text = build_module.report(again)
    assert f"serve with: STREAMING_PROCESSED_DIR={demo_build.out} gunicorn -c gunicorn.conf.py app:server" in text
    assert f"python app.py --processed-dir {demo_build.out}" in text
    assert f"or copy or link {demo_build.out} to {again.app_dir}" in text
