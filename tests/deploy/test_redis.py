"""The Explore view cache on a real Redis (a `redis-server` started on a free local port, stopped after): shared by
app processes, new data versions make views again, a Redis that is down or goes away never fails a request; and
compose.yaml wires the app to its Redis."""

from __future__ import annotations

import logging
import shutil
import socket
import subprocess
import time
from pathlib import Path

import flask
import pytest
import redis
import yaml
from flask_caching import Cache

from core.config import CACHE_DIR_ENV, PROJECT_ROOT
from layouts.state import REDIS_URL_ENV, ViewCache, cache_config, view_cache
from tests.app.test_view_cache import VALUES, counter, run_app_process

pytestmark = pytest.mark.redis


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """A throwaway redis-server on a free local port: no persistence, stopped by stop()."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--daemonize", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client, end = redis.Redis.from_url(self.url, socket_timeout=1), time.monotonic() + 10
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                if self.process.poll() is not None or time.monotonic() > end:
                    self.stop()
                    raise RuntimeError(f"redis-server did not start on port {self.port}") from None
                time.sleep(0.05)

    def stop(self) -> None:
        """Stop the server and wait for it."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def redis_server():
    """A running redis-server (skipped with a reason where the Debian package is not installed)."""
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server not installed (Debian package redis-server; scripts/test.sh installs it)")
    server = RedisServer()
    yield server
    server.stop()


def redis_views(url: str, version: str) -> ViewCache:
    """A view cache on the Redis at url, as create_app makes it with $REDIS_URL set."""
    return ViewCache(Cache(flask.Flask(__name__), config=cache_config({REDIS_URL_ENV: url})), version)


def test_the_config_takes_redis_when_redis_url_is_set(tmp_path, monkeypatch):
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path))
    assert cache_config({})["CACHE_TYPE"] == "FileSystemCache"
    assert cache_config({})["CACHE_DIR"] == str(tmp_path / "views") and cache_config({})["CACHE_THRESHOLD"] > 0
    config = cache_config({REDIS_URL_ENV: "redis://cache:6379/0"})
    assert config["CACHE_TYPE"] == "RedisCache" and config["CACHE_REDIS_URL"] == "redis://cache:6379/0"
    assert config["CACHE_DEFAULT_TIMEOUT"] == 86_400


def test_a_view_made_by_one_process_is_served_to_the_next_from_redis(redis_server, tmp_path):
    env = {REDIS_URL_ENV: redis_server.url, CACHE_DIR_ENV: str(tmp_path)}
    first = run_app_process(env)
    second = run_app_process(env)
    assert first["status"] == second["status"] == 200 and first["kpi"] and first["version"] == second["version"]
    assert (first["calls"], second["calls"]) == (1, 0) and second["digest"] == first["digest"]
    assert not (tmp_path / "views").exists()  # nothing went to files
    keys = redis.Redis.from_url(redis_server.url).keys("streaming-atlas:explore:*")
    assert len(keys) == 1


def test_a_new_data_version_makes_views_again_on_redis(redis_server):
    made, make = counter()
    old, same, new = (redis_views(redis_server.url, version) for version in ("v1", "v1", "v2"))
    old.get("a", lambda: make("a"))
    same.get("a", lambda: make("a"))
    assert made == ["a"]
    new.get("a", lambda: make("a"))
    assert made == ["a", "a"]


def test_a_redis_that_is_down_or_goes_away_never_fails_a_request(redis_server, caplog):
    made, make = counter()
    expected = make("a")
    made.clear()
    down = redis_views(f"redis://127.0.0.1:{free_port()}/0", "v1")
    with caplog.at_level(logging.WARNING, logger="layouts.state"):
        start = time.perf_counter()
        assert [down.get("a", lambda: make("a")) for _ in range(3)] == [expected] * 3
        assert time.perf_counter() - start < 3 and made == ["a"] * 3
    assert caplog.text.count("view cache: read failed") == 1
    up = redis_views(redis_server.url, "v1")
    up.get("a", lambda: make("a"))
    assert up.get("a", lambda: make("a")) == expected and len(made) == 4  # stored
    redis_server.stop()  # Redis goes away under a running app
    with caplog.at_level(logging.WARNING, logger="layouts.state"):
        assert up.get("a", lambda: make("a")) == expected
    assert len(made) == 5 and caplog.text.count("view cache: read failed") == 2


def test_the_app_answers_with_redis_down(tmp_path):
    answer = run_app_process({REDIS_URL_ENV: f"redis://127.0.0.1:{free_port()}/0", CACHE_DIR_ENV: str(tmp_path)},
                             VALUES)
    assert answer["status"] == 200 and answer["calls"] == 1 and answer["kpi"]


def test_compose_runs_the_app_with_redis_and_a_cache_volume():
    compose = yaml.safe_load((PROJECT_ROOT / "compose.yaml").read_text(encoding="utf-8"))
    app, cache = compose["services"]["app"], compose["services"]["redis"]
    assert app["build"] == "." and (PROJECT_ROOT / "Dockerfile").is_file()
    environment = app["environment"]
    assert environment[REDIS_URL_ENV] == "redis://redis:6379/0" and "redis" in app["depends_on"]
    assert environment[CACHE_DIR_ENV] == "/var/cache/streaming"
    volume, target = next(v.split(":")[:2] for v in app["volumes"] if v.endswith("/var/cache/streaming"))
    assert target == "/var/cache/streaming" and volume in compose["volumes"]
    assert cache["image"].startswith("redis:") and "ports" not in cache  # Redis only on the compose network
    assert any(str(port).endswith(":8050") for port in app["ports"])
    assert "/data:ro" in (PROJECT_ROOT / "compose.yaml").read_text(encoding="utf-8")  # the real-data line
