"""The README's production command, `gunicorn -c gunicorn.conf.py app:server`, as a fresh deploy meets it: an empty
cache dir (demo data), two workers, and the recommender built after the start in a background thread. Both
workers must boot and serve, none may time out, a recommendation must be answered once ready; two servers
started at once on one empty cache build the data once; a restart reuses the build."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from core.config import PROJECT_ROOT
from tests.conftest import listing, read_only_copy

READY_WITHIN_S = 120  # the demo data's ETL and fit take ~5 s; a loaded CI machine may be much slower
BAD_LOG_LINES = ("WORKER TIMEOUT", "Worker failed to boot", "Traceback", "Exception in worker")

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="gunicorn needs a POSIX system")


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """`gunicorn -c gunicorn.conf.py app:server` on a free loopback port, its log in a file."""

    def __init__(self, cache: Path, log: Path, workers: int = 2, processed_dir: Path | None = None) -> None:
        self.port, self.log = free_port(), log
        env = {**os.environ, "STREAMING_CACHE_DIR": str(cache), "PORT": str(self.port), "HOST": "127.0.0.1",
               "WEB_CONCURRENCY": str(workers)}
        env.pop("STREAMING_DATA_DIR", None)  # the demo data, whatever CI points at
        env.pop("STREAMING_PROCESSED_DIR", None)
        if processed_dir is not None:  # a build's output, served as it is
            env["STREAMING_PROCESSED_DIR"] = str(processed_dir)
        with open(log, "wb") as out:
            self.process = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "app:server"],
                                            cwd=PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                            start_new_session=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def get(self, path: str, timeout: float = 10) -> tuple[int, dict | str]:
        """(status, JSON or text) of a GET; (0, reason) when nothing answers yet."""
        try:
            with urllib.request.urlopen(self.url(path), timeout=timeout) as response:
                return response.status, _body(response.read(), response.headers.get_content_type())
        except urllib.error.HTTPError as error:
            return error.code, _body(error.read(), error.headers.get_content_type())
        except (urllib.error.URLError, ConnectionError, TimeoutError) as error:
            return 0, str(error)

    def wait_ready(self) -> tuple[float, list[dict]]:
        """Seconds until /api/ready answers 200, and every health answer seen on the way."""
        started, seen = time.monotonic(), []
        while time.monotonic() - started < READY_WITHIN_S:
            assert self.process.poll() is None, f"gunicorn exited:\n{self.text()}"
            status, body = self.get("/api/health", timeout=5)
            if status == 200:
                seen.append(body)
                if body["status"] == "ok" and self.get("/api/ready")[0] == 200:
                    return time.monotonic() - started, seen
            time.sleep(0.2)
        raise AssertionError(f"not ready within {READY_WITHIN_S} s; health answers {seen[-3:]}\n{self.text()}")

    def get_when_ready(self, path: str, within_s: float = 30) -> tuple[int, dict | str]:
        """A GET answered by a worker whose model is ready: /api/ready is a worker's own, so a request may reach
        the other worker while it still loads the model file (503, "try again in a few seconds"); retried then,
        as a client would."""
        deadline = time.monotonic() + within_s
        while True:
            status, body = self.get(path)
            if status != 503 or time.monotonic() > deadline:
                return status, body
            time.sleep(0.2)

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def _body(raw: bytes, content_type: str) -> dict | str:
    return json.loads(raw) if content_type == "application/json" else raw.decode(errors="replace")


@pytest.fixture()
def servers(tmp_path):
    started: list[Server] = []

    def start(cache: Path, name: str = "gunicorn", processed_dir: Path | None = None) -> Server:
        server = Server(cache, tmp_path / f"{name}-{len(started)}.log", processed_dir=processed_dir)
        started.append(server)
        return server
    yield start
    for server in started:
        server.stop()


def worker_pids(log: str) -> set[str]:
    return set(re.findall(r"Booting worker with pid: (\d+)", log))


def served_by(log: str) -> set[str]:
    """Worker pids in the access log (gunicorn.conf.py's format ends with pid=<PID>)."""
    return set(re.findall(r"pid=<?(\d+)>?", log))


def some_title(server: Server) -> str:
    status, body = server.get("/api/longest_titles?n=1")
    assert status == 200, body
    return body["titles"][0]["id"]


def test_fresh_deploy_two_workers_serve_and_recommend(servers, tmp_path):
    server = servers(tmp_path / "cache")
    seconds, health = server.wait_ready()
    assert all(h["data"] == "ready" and h["status"] in ("starting", "ok") for h in health)
    assert {h["model"] for h in health} <= {"loading", "fitting", "waiting", "ready"}
    # Every kind of answer from both workers: each request opens a new connection, the kernel spreads them.
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(server.get, ["/", "/queries", "/recommend", "/api/health"] * 25))
    assert {status for status, _ in answers} == {200}
    assert "Streaming Atlas" in answers[0][1]
    title = some_title(server)
    started = time.monotonic()
    status, body = server.get(f"/api/recommend?user=1&title={title}&k=5")
    first_recommendation_s = time.monotonic() - started
    assert status == 200 and len(body["recommendations"]) == 5 and 0.5 <= body["predicted_rating"] <= 5
    log = server.text()
    assert len(worker_pids(log)) == 2 and worker_pids(log) <= served_by(log), log
    assert not [line for line in log.splitlines() if any(bad in line for bad in BAD_LOG_LINES)], log
    assert log.count("saving the model done") == 1  # one worker fitted; the other loaded its file
    assert first_recommendation_s < 5, f"ready after {seconds:.1f} s, first recommendation {first_recommendation_s}"


def test_two_servers_at_once_on_one_empty_cache_build_once(servers, tmp_path):
    cache = tmp_path / "cache"
    pair = [servers(cache, "first"), servers(cache, "second")]
    for server in pair:
        server.wait_ready()
        status, body = server.get_when_ready(f"/api/recommend?user=1&title={some_title(server)}")
        assert status == 200 and body["recommendations"], body
    logs = "\n".join(server.text() for server in pair)
    assert logs.count("[5/5] writing done") == 1, logs  # one ETL; the other master waited and reused it
    assert logs.count("saving the model done") == 1, logs  # one fit among four workers
    assert not [line for line in logs.splitlines() if any(bad in line for bad in BAD_LOG_LINES)], logs
    assert len(list(cache.glob("processed-*/v-*"))) == 1


def test_restart_reuses_the_build_and_loads_the_model_before_forking(servers, tmp_path):
    cache = tmp_path / "cache"
    built = subprocess.run([sys.executable, "-m", "core.build"], cwd=PROJECT_ROOT, capture_output=True, text=True,
                           env={**{k: v for k, v in os.environ.items() if k != "STREAMING_DATA_DIR"},
                                "STREAMING_CACHE_DIR": str(cache)}, timeout=300)
    assert built.returncode == 0, built.stderr
    server = servers(cache)
    seconds, health = server.wait_ready()
    assert all(h["model"] == "ready" for h in health)  # loaded by the master: ready from the first answer
    log = server.text()
    assert "data: [" not in log and "recommender: [" not in log  # nothing was built again
    server.stop()
    assert not [line for line in server.text().splitlines() if any(bad in line for bad in BAD_LOG_LINES)]


def test_a_build_served_read_only_with_streaming_processed_dir(servers, demo_build, tmp_path):
    folder = read_only_copy(demo_build.out, tmp_path / "build")
    before = listing(folder)
    server = servers(tmp_path / "cache", processed_dir=folder)
    seconds, health = server.wait_ready()
    assert all(h["model"] == "ready" and h["data_from"] == "processed" for h in health)  # its model, loaded
    status, body = server.get(f"/api/recommend?user=1&title={some_title(server)}&k=5")
    assert status == 200 and len(body["recommendations"]) == 5
    log = server.text()
    assert "data: [" not in log and "recommender: [" not in log  # nothing built
    assert not [line for line in log.splitlines() if any(bad in line for bad in BAD_LOG_LINES)], log
    assert listing(folder) == before


def test_a_bad_streaming_processed_dir_stops_gunicorn_with_one_line(servers, tmp_path):
    server = servers(tmp_path / "cache", processed_dir=tmp_path / "nowhere")
    assert server.process.wait(timeout=60) == 2
    log = server.text()
    assert f"error: {tmp_path / 'nowhere'}: processed folder not found" in log and "Traceback" not in log, log
