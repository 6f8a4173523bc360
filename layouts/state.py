"""The data the running app was built over (set once by `create_app` in its Flask server's extensions), and the
caches each process keeps beside it (the recommender service, recent Explore views)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Callable, Hashable, TypeVar

import dash
import flask

from core import Catalog

T = TypeVar("T")
EXPLORE_VIEWS = 16  # Explore views kept per process: the first page, Reset and back/forward revisit recent ones


def app_state() -> dict:
    """The app's shared, read-only state (catalog, recommender handle)."""
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


class RecentViews:
    """The last few computed views of one app, by key (a thread-safe LRU; views are never changed once made)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._views: OrderedDict[Hashable, object] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, make: Callable[[], T]) -> T:
        """The view kept for key, else make() (kept, pushing out the least recently used one)."""
        with self._lock:
            if key in self._views:
                self._views.move_to_end(key)
                return self._views[key]
        view = make()  # outside the lock: a slow view does not hold up the others
        with self._lock:
            self._views[key] = view
            while len(self._views) > self._size:
                self._views.popitem(last=False)
        return view


def explore_views() -> RecentViews:
    """The app's recent Explore views (made on first use)."""
    return app_state().setdefault("explore_views", RecentViews(EXPLORE_VIEWS))
