"""The data the running app was built over (set once by `create_app` in its Flask server's extensions), and the
cache of Explore views that every worker and server of the app shares (Flask-Caching: files, or Redis)."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
from typing import Any, Callable, Hashable, Protocol

import dash
import flask
import plotly
from cachelib import SimpleCache
from flask_caching import Cache
from plotly.utils import PlotlyJSONEncoder

from core import Catalog
from core.config import PROJECT_ROOT, cache_root

log = logging.getLogger(__name__)
REDIS_URL_ENV = "REDIS_URL"
VIEW_TIMEOUT_S = 86_400  # a day: the data version is in the key, so this only bounds how long unused views stay
VIEW_FILES = 2_000  # filesystem cache: views kept before the oldest go (~60-150 KB each: ~0.3 GB at most)
RETRY_AFTER_S = 30.0  # a cache that failed is left alone this long, so an outage costs one timeout, not one a call
EXPLORE_VIEWS = 16  # an in-process cache (`local_views`): benchmarks and tests without a shared cache


def app_state() -> dict:
    """The app's shared, read-only state (catalog, recommender handle, view cache)."""
    # The Flask app serving the request is the exact app; dash.get_app() is the fallback outside a request and,
    # with several apps in one process (tests), means the most recently built one.
    if flask.has_app_context() and "streaming" in flask.current_app.extensions:
        return flask.current_app.extensions["streaming"]
    return dash.get_app().server.extensions["streaming"]


def catalog() -> Catalog:
    """The catalog of the running app."""
    return app_state()["catalog"]


def recommender():
    """The app's fitted recommender, shared by every request of this process. While it is being prepared (a
    model that was not saved is fitted in a background thread, never in a request) this raises NotReady with
    the progress; the caller shows it."""
    return app_state()["model"].get()


class Backend(Protocol):
    """What ViewCache needs of a cache: Flask-Caching's Cache and cachelib's caches all have it."""

    def get(self, key: str) -> Any: ...  # noqa: D102

    def set(self, key: str, value: Any, timeout: int | None = None) -> Any: ...  # noqa: D102


class ViewCache:
    """Views by key, stored as JSON text in a cache shared by every process and returned decoded; one data version.

    A cache that fails (Redis down, disk full) never fails a call: one warning, then the view is made here and
    the cache is left alone for `retry_after` seconds.
    """

    def __init__(self, backend: Backend, version: str, name: str = "explore",
                 retry_after: float = RETRY_AFTER_S) -> None:
        self.backend, self.version, self.name, self.retry_after = backend, version, name, retry_after
        self._skip_until = 0.0
        self._lock = threading.Lock()

    def key(self, key: Hashable) -> str:
        """The cache key of a view: name, data version and a digest of the view's own (normalised) key."""
        return f"{self.name}:{self.version}:{hashlib.sha256(repr(key).encode()).hexdigest()[:32]}"

    def get(self, key: Hashable, make: Callable[[], Any]) -> Any:
        """The view stored for key (decoded JSON), else make()'s JSON-ready value, stored and returned decoded."""
        name = self.key(key)
        text = self._call("read", lambda: self.backend.get(name))
        if isinstance(text, (str, bytes)):
            try:
                return json.loads(text)
            except ValueError:
                log.warning("view cache: unreadable entry %s: made again", name)
        text = json.dumps(make(), cls=PlotlyJSONEncoder)

        def write() -> None:
            """Store the view; a refused write (cachelib's file cache says False) counts as a failure."""
            if self.backend.set(name, text) is False:
                raise OSError("the cache refused the write")

        self._call("write", write)
        return json.loads(text)

    def _call(self, what: str, action: Callable[[], Any]) -> Any:
        """action()'s result, or None when the cache fails or is being left alone after a failure."""
        if time.monotonic() < self._skip_until:
            return None
        try:
            return action()
        except Exception as exc:  # noqa: BLE001 -- any backend error: the view is made here instead
            with self._lock:
                if time.monotonic() >= self._skip_until:
                    log.warning("view cache: %s failed (%s: %s); views are computed without it for %.0f s",
                                what, type(exc).__name__, exc, self.retry_after)
                self._skip_until = time.monotonic() + self.retry_after
            return None


def code_version() -> str:
    """A digest of the code that draws views (this app's Python files, Dash's and Plotly's versions): a new
    release never serves views drawn by the old one."""
    digest = hashlib.sha256(f"{dash.__version__} {plotly.__version__}".encode())
    for path in sorted(p for folder in ("core", "layouts", "callbacks") for p in (PROJECT_ROOT / folder).rglob("*.py")):
        digest.update(path.relative_to(PROJECT_ROOT).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def cache_config(environ: os._Environ | dict = os.environ) -> dict:
    """Flask-Caching's config: Redis when $REDIS_URL is set, else files under <cache root>/views."""
    common = {"CACHE_DEFAULT_TIMEOUT": VIEW_TIMEOUT_S, "CACHE_KEY_PREFIX": "streaming-atlas:"}
    if environ.get(REDIS_URL_ENV):
        return {**common, "CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": environ[REDIS_URL_ENV],
                "CACHE_OPTIONS": {"socket_connect_timeout": 1.0, "socket_timeout": 1.0}}
    return {**common, "CACHE_TYPE": "FileSystemCache", "CACHE_DIR": str(cache_root() / "views"),
            "CACHE_THRESHOLD": VIEW_FILES}


def view_cache(server: flask.Flask, version: str) -> ViewCache:
    """The app's shared Explore view cache (made once per app, in `create_app`); a cache that cannot even be
    set up (unwritable folder, bad URL) is replaced by none, with a warning."""
    config = cache_config()
    try:
        cache = Cache(server, config=config)
    except Exception as exc:  # noqa: BLE001 -- serve without a cache rather than not at all
        log.warning("view cache: %s unusable (%s: %s); views are computed on every call", config["CACHE_TYPE"],
                    type(exc).__name__, exc)
        cache = Cache(server, config={"CACHE_TYPE": "NullCache", "CACHE_NO_NULL_WARNING": True})
    return ViewCache(cache, f"{version}-{code_version()}")


def local_views(size: int = EXPLORE_VIEWS) -> ViewCache:
    """A view cache inside this process only (no app needed): for benchmarks and tests."""
    return ViewCache(SimpleCache(threshold=size, default_timeout=0), "local")


def explore_views() -> ViewCache:
    """The app's Explore view cache."""
    return app_state()["explore_views"]
