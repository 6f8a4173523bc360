"""The served recommender: prepared in a background thread (never in a request), with states and progress for the
health route and the panel; waits for another process that fits; a failure is reported and retried; a forked
process starts its own thread."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time

import pytest

from core import model_service
from core.catalog import processed_catalog
from core.config import PROJECT_ROOT
from core.demo import ensure_demo_raw
from core.errors import NotReady
from core.model_service import ModelService, not_ready_message
from core.recommender import model_path, progress_path


@pytest.fixture()
def catalog(tmp_path, monkeypatch):
    """The demo catalog processed into an empty cache dir (so no model is saved yet)."""
    monkeypatch.setenv("STREAMING_CACHE_DIR", str(tmp_path / "cache"))
    return processed_catalog(ensure_demo_raw(), "demo")


def wait_for(condition, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def test_no_saved_model_is_fitted_in_the_background_and_requests_get_not_ready(catalog):
    service = ModelService(catalog)
    assert not service.load_saved() and service.status() == {"model": "absent"}
    with pytest.raises(NotReady) as raised:
        service.get()  # starts the thread and answers at once
    assert "being prepared" in str(raised.value)
    assert service.status()["model"] in ("loading", "fitting", "ready")
    model = service.wait(120)
    assert service.status() == {"model": "ready"} and service.get() is model
    assert model_path(catalog.version_dir).is_file()  # saved for the next process
    again = ModelService(catalog)
    assert again.load_saved() and again.status() == {"model": "ready"}


def test_fitting_reports_its_stage_and_progress(catalog):
    seen: list[dict] = []
    service = ModelService(catalog)
    service.ensure_started()
    while service.status()["model"] != "ready":
        seen.append(service.status())
        time.sleep(0.01)
    fitting = [s["progress"] for s in seen if s["model"] == "fitting"]
    assert fitting and all(p["steps"] == 7 and 1 <= p["step"] <= 7 for p in fitting)
    assert any(p["stage"] == "rating parts" and p["fraction"] is not None for p in fitting) or len(fitting) < 5
    assert "step" in not_ready_message({"model": "fitting", "progress": fitting[0]})


HOLD_MODEL_LOCK = """
import fcntl, json, sys, time
lock = open(sys.argv[1], "a+")
fcntl.flock(lock, fcntl.LOCK_EX)
with open(sys.argv[2], "w") as out:
    json.dump({"stage": "latent factors", "step": 5, "steps": 7, "fraction": 0.5, "seconds_left": 9}, out)
print("locked", flush=True)
sys.stdin.readline()
"""


def test_waits_for_another_process_that_fits_and_shows_its_progress(catalog):
    path = model_path(catalog.version_dir)
    other = subprocess.Popen([sys.executable, "-c", HOLD_MODEL_LOCK, str(path.with_suffix(".lock")),
                              str(progress_path(catalog.version_dir))], cwd=PROJECT_ROOT, stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    try:
        assert other.stdout.readline().strip() == "locked"
        service = ModelService(catalog)
        service.ensure_started()
        time.sleep(0.3)
        status = service.status()
        assert status["model"] == "waiting" and status["progress"]["stage"] == "latent factors"
        with pytest.raises(NotReady) as raised:
            service.get()
        assert raised.value.progress["fraction"] == 0.5 and "50 % done" in str(raised.value)
    finally:
        progress_path(catalog.version_dir).unlink(missing_ok=True)
        other.communicate("go\n", timeout=30)  # the other process ends without a model: this one fits it
    service.wait(120)
    assert service.status() == {"model": "ready"}


def test_a_failure_is_reported_then_tried_again(catalog, monkeypatch):
    calls = []

    def broken(catalog, progress=None):
        calls.append(1)
        raise OSError(28, "No space left on device", "/srv/secret/model-v1.npz")
    monkeypatch.setattr(model_service, "recommender_for", broken)
    service = ModelService(catalog)
    service.ensure_started()
    wait_for(lambda: service.status()["model"] == "failed")
    assert service.status() == {"model": "failed", "error": "no space left on device"}  # no server path
    with pytest.raises(NotReady, match="could not be prepared .no space left on device."):
        service.get()
    assert len(calls) == 1  # not retried on every request...
    monkeypatch.undo()  # ...but after a pause (none here), and now the cause is gone
    monkeypatch.setattr(model_service, "RETRY_AFTER_S", 0.0)
    service.ensure_started()
    service.wait(120)
    assert service.status()["model"] == "ready"


def test_a_forked_process_starts_its_own_thread(catalog, monkeypatch):
    started = []
    monkeypatch.setattr(model_service.threading.Thread, "start", lambda self: started.append(self.name))
    service = ModelService(catalog)
    service.ensure_started()
    service._thread.is_alive = lambda: True  # the parent's thread, still running
    service.ensure_started()
    assert len(started) == 1  # under way in this process: not started twice
    service._pid = -1  # as seen in a child forked after the start: the thread did not come along
    service.ensure_started()
    assert len(started) == 2


def test_progress_file_of_a_finished_fit_is_gone(catalog):
    service = ModelService(catalog)
    service.wait(120)
    assert not progress_path(catalog.version_dir).exists()
    assert json.loads(json.dumps(service.status())) == {"model": "ready"}


def test_a_fit_under_way_does_not_hold_up_a_saved_model_lookup(catalog, monkeypatch):
    """A second app in the same process (or the health route) asks for the saved model while a fit runs: it gets
    None at once rather than waiting behind the fit (it once waited forever behind a fit whose threads died)."""
    from core import recommender

    fitting, release = threading.Event(), threading.Event()

    def slow_fit(catalog, progress=None, force=False):
        fitting.set()
        release.wait(30)
        raise RuntimeError("released")

    monkeypatch.setattr(recommender, "load_or_fit", slow_fit)
    fit = threading.Thread(target=lambda: pytest.raises(RuntimeError, recommender.recommender_for, catalog))
    fit.start()
    try:
        assert fitting.wait(10)
        started = time.monotonic()
        assert recommender.saved_recommender(catalog) is None
        assert time.monotonic() - started < 5
        assert ModelService(catalog).status() == {"model": "absent"}
    finally:
        release.set()
        fit.join(10)
    assert not fit.is_alive()
