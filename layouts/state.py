"""The data the running app was built over, reached through `dash.get_app()` (set once by `create_app`)."""

from __future__ import annotations

import dash

from core import Catalog


def app_state() -> dict:
    """The app's shared, read-only state (catalog, recommender handle)."""
    return dash.get_app().server.extensions["streaming"]


def catalog() -> Catalog:
    """The catalog of the running app."""
    return app_state()["catalog"]
