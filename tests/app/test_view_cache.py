"""The Explore view cache (layouts.state.ViewCache over Flask-Caching): made once, shared by every process through
files (here) or Redis (tests/deploy/test_redis.py), keyed by filters, theme and data version, never failing a call."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import flask
import pytest
from cachelib import FileSystemCache, SimpleCache
from flask_caching.backends.filesystemcache import FileSystemCache as FlaskFileSystemCache
from plotly.utils import PlotlyJSONEncoder

from callbacks import explore as cb
from core import eda
from core.config import CACHE_DIR_ENV, PLATFORMS, PROJECT_ROOT, cache_root
from layouts import ids
from layouts.state import REDIS_URL_ENV, ViewCache, local_views, view_cache

# One app process: build the app, count the views it computes, answer one Explore charts callback over HTTP.
CHILD = """
import hashlib, json, sys, time
import callbacks.explore as cb
from app import create_app
from layouts import ids

calls = []
compute = cb.filtered_view
cb.filtered_view = lambda *args, **kwargs: calls.append(1) or compute(*args, **kwargs)
app = create_app(model="deferred")
client = app.server.test_client()
dependency = next(d for d in client.get("/_dash-dependencies").get_json()
                  if d["output"].startswith(f"..{ids.EXPLORE_ALERT}.children"))
values = json.loads(sys.argv[1])
inputs = [{**spec, "value": value} for spec, value in zip(dependency["inputs"], values)]
outputs = [dict(zip(("id", "property"), part.rsplit(".", 1))) for part in dependency["output"][2:-2].split("...")]
body = {"output": dependency["output"], "outputs": outputs, "inputs": inputs, "state": [],
        "changedPropIds": [f"{spec['id']}.{spec['property']}" for spec in inputs]}
start = time.perf_counter()
response = client.post("/_dash-update-component", json=body)
ms = (time.perf_counter() - start) * 1000
answer = response.get_json()["response"]
print(json.dumps({"status": response.status_code, "calls": len(calls), "ms": ms,
                  "digest": hashlib.sha256(json.dumps(answer, sort_keys=True).encode()).hexdigest(),
                  "kpi": answer[ids.EXPLORE_HEADLINES]["children"] is not None,
                  "version": app.server.extensions["streaming"]["explore_views"].version}))
"""
VALUES = [["netflix", "hulu"], "movie", [2000, 2015], None, "dark"]  # platforms, type, years, genres, theme


def run_app_process(env: dict[str, str], values: list = VALUES) -> dict:
    """Start a fresh Python process that builds the app with env and answers one Explore charts callback."""
    child_env = {k: v for k, v in os.environ.items() if k not in (REDIS_URL_ENV, CACHE_DIR_ENV)} | env
    done = subprocess.run([sys.executable, "-c", CHILD, json.dumps(values)], cwd=PROJECT_ROOT, env=child_env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def counter() -> tuple[list[str], object]:
    """(names made, make(name)): a view maker that notes each call."""
    made: list[str] = []

    def make(name: str) -> list:
        made.append(name)
        return [None, [{"kpi": name}], {"data": [{"x": [1, 2], "type": "bar"}], "layout": {}}]
    return made, make


@pytest.fixture
def counted(monkeypatch) -> list[tuple]:
    """The (filters, theme) of every view Explore computes (rather than takes from a cache)."""
    calls: list[tuple] = []
    compute = cb.filtered_view
    monkeypatch.setattr(cb, "filtered_view", lambda cat, filters, theme: calls.append((filters, theme))
                        or compute(cat, filters, theme))
    return calls


@pytest.fixture(scope="module")
def bounds(data):
    """The catalogue's release-year bounds."""
    return eda.year_bounds(data.titles)


# ---------------------------------------------------------------------------------------------- ViewCache
def test_a_view_is_made_once_and_returned_as_decoded_json():
    made, make = counter()
    cache = ViewCache(SimpleCache(), "v1")
    first = cache.get(("a", "light"), lambda: make("a"))
    assert cache.get(("a", "light"), lambda: make("a")) == first == make("a") and made == ["a", "a"]
    assert isinstance(first, list) and first[2]["data"][0]["x"] == [1, 2]


def test_processes_sharing_a_folder_share_views_and_a_new_data_version_makes_them_again(tmp_path):
    made, make = counter()
    one, two = (ViewCache(FileSystemCache(str(tmp_path)), "v1") for _ in range(2))  # as two processes would
    one.get("a", lambda: make("a"))
    two.get("a", lambda: make("a"))
    assert made == ["a"]
    newer = ViewCache(FileSystemCache(str(tmp_path)), "v2")
    newer.get("a", lambda: make("a"))
    assert made == ["a", "a"] and one.key("a") != newer.key("a") and "v2" in newer.key("a")


class Broken:
    """A cache whose every call fails (Redis down, disk full)."""

    def __init__(self) -> None:
        self.calls = 0

    def get(self, key):
        """Fail."""
        self.calls += 1
        raise ConnectionError("cache unreachable")

    def set(self, key, value, timeout=None):
        """Fail."""
        self.calls += 1
        raise OSError("no space left on device")


def test_a_failing_cache_never_fails_a_call_and_warns_once(caplog):
    made, make = counter()
    backend = Broken()
    cache = ViewCache(backend, "v1", retry_after=60)
    with caplog.at_level(logging.WARNING, logger="layouts.state"):
        views = [cache.get("a", lambda: make("a")) for _ in range(3)]
    assert views[0] == views[2] == make("a") and made == ["a"] * 4
    assert backend.calls == 1  # left alone after the failure
    assert [r.getMessage() for r in caplog.records if "view cache" in r.getMessage()] == [
        "view cache: read failed (ConnectionError: cache unreachable); views are computed without it for 60 s"]
    cache._skip_until = 0.0  # the pause is over: tried again
    cache.get("a", lambda: make("a"))
    assert backend.calls == 2


def test_a_refused_write_or_an_unreadable_entry_is_not_an_error(caplog):
    class Refusing(SimpleCache):
        def set(self, key, value, timeout=None):
            """Refuse, as cachelib's file cache does on a full disk."""
            return False

    made, make = counter()
    with caplog.at_level(logging.WARNING, logger="layouts.state"):
        assert ViewCache(Refusing(), "v1").get("a", lambda: make("a")) == make("a")
    assert "write failed (OSError: the cache refused the write)" in caplog.text
    backend = SimpleCache()
    cache = ViewCache(backend, "v1")
    backend.set(cache.key("a"), "{not json")
    assert cache.get("a", lambda: make("a")) == make("a")
    assert cache.get("a", lambda: make("never")) == make("a")  # stored again, whole


def test_an_unusable_cache_folder_leaves_the_app_without_a_cache(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path))
    monkeypatch.delenv(REDIS_URL_ENV, raising=False)
    (tmp_path / "views").write_text("a file where the folder goes")
    made, make = counter()
    with caplog.at_level(logging.WARNING, logger="layouts.state"):
        cache = view_cache(flask.Flask(__name__), "v1")
    assert "FileSystemCache unusable" in caplog.text
    cache.get("a", lambda: make("a"))
    cache.get("a", lambda: make("a"))
    assert made == ["a", "a"]


# ---------------------------------------------------------------------------------------------- explore_view
def test_explore_view_reuses_a_view_of_the_same_filters_and_theme(data, bounds, counted):
    cache = local_views()
    view = cb.explore_view(data, ["netflix", "hulu"], "all", list(bounds), "light", cache)
    again = cb.explore_view(data, ["hulu", "netflix"], "all", [bounds[0], bounds[1]], None, cache)  # same filters
    assert again.outputs() == view.outputs() and len(counted) == 1
    assert cb.explore_view(data, ["hulu", "netflix"], "all", list(bounds), "dark", cache).outputs() != view.outputs()
    assert len(counted) == 2
    fresh = cb.explore_view(data, ["netflix", "hulu"], "all", list(bounds), "light")
    assert json.loads(json.dumps(fresh.outputs(), cls=PlotlyJSONEncoder)) == view.outputs()  # the same, as JSON
    assert set(view.figures) == set(ids.EXPLORE_CHARTS) and view.alert is None
    assert cb.explore_view(data, [], "all", list(bounds), "light", cache).alert is not None  # never kept
    assert cb.explore_view(data, ["netflix"], "all", [1, 2], "light", cache).alert is not None
    assert len(counted) == 3


def test_the_app_keeps_views_in_files_under_the_cache_root_keyed_by_its_data_version(app, data):
    cache = app.server.extensions["streaming"]["explore_views"]
    backend = next(iter(app.server.extensions["cache"].values())) if not os.environ.get(REDIS_URL_ENV) else None
    if backend is not None:
        assert isinstance(backend, FlaskFileSystemCache) and Path(backend._path) == cache_root() / "views"
    assert cache.version.startswith(f"{data.version_dir.name}-") and data.version_dir.name in cache.key("x")
    with app.server.test_request_context("/"):
        assert cb.explore_views() is cache


def post_charts(client, values: list) -> dict:
    """The Explore charts callback's answer over HTTP for (platforms, type, years, genres, theme)."""
    dependency = next(d for d in client.get("/_dash-dependencies").get_json()
                      if d["output"].startswith(f"..{ids.EXPLORE_ALERT}.children"))
    inputs = [{**spec, "value": value} for spec, value in zip(dependency["inputs"], values)]
    outputs = [dict(zip(("id", "property"), p.rsplit(".", 1))) for p in dependency["output"][2:-2].split("...")]
    response = client.post("/_dash-update-component", json={
        "output": dependency["output"], "outputs": outputs, "inputs": inputs, "state": [],
        "changedPropIds": [f"{spec['id']}.{spec['property']}" for spec in inputs]})
    assert response.status_code == 200
    return response.get_json()["response"]


def test_the_charts_callback_answers_the_same_from_the_cache(app, data, counted, monkeypatch):
    client = app.server.test_client()
    values = [["disney", "amazon"], "all", None, None, "light"]
    cache = app.server.extensions["streaming"]["explore_views"]
    monkeypatch.setattr(cache, "version", f"{cache.version}-{time.time_ns()}")  # nothing stored yet for this test
    filters = eda.make_filters(values[0], values[1], values[2], eda.year_bounds(data.titles))
    computed = post_charts(client, values)
    assert counted == [(filters, "light")] and filters.genres == ()
    assert post_charts(client, values) == computed and len(counted) == 1  # the second from the cache
    figure = computed[ids.EXPLORE_CHART_TYPES]["figure"]
    assert figure["data"] and figure["layout"] and computed[ids.EXPLORE_HEADLINES]["children"]


# ---------------------------------------------------------------------------------------------- processes
def test_a_view_made_by_one_process_is_served_to_the_next_from_the_shared_folder(tmp_path):
    env = {CACHE_DIR_ENV: str(tmp_path)}
    first = run_app_process(env)
    second = run_app_process(env)
    assert first["status"] == second["status"] == 200 and first["kpi"] and first["version"] == second["version"]
    assert (first["calls"], second["calls"]) == (1, 0) and second["digest"] == first["digest"]
    assert any((tmp_path / "views").iterdir())


# ---------------------------------------------------------------------------------------------- browser
@pytest.mark.browser
def test_browser_the_page_renders_from_cached_views(dash_duo, app, data, bounds, counted):
    cache = app.server.extensions["streaming"]["explore_views"]
    for theme in ("light", "dark"):  # what the first page asks for, in either theme
        cb.explore_view(data, list(PLATFORMS), "all", list(bounds), theme, cache)
    counted.clear()
    dash_duo.start_server(app)
    end = time.time() + 20
    while len(dash_duo.find_elements(f"#{ids.EXPLORE_CHART_TYPES} .bars")) == 0 and time.time() < end:
        time.sleep(0.1)
    assert len(dash_duo.find_elements(".js-plotly-plot")) >= len(ids.EXPLORE_CHARTS)
    dash_duo.wait_for_text_to_equal(f"#{ids.EXPLORE_KPI_TITLES}", f"{len(data.titles):,}", timeout=10)
    assert counted == []  # every chart came from the cache
    assert dash_duo.get_logs() == []
