"""The Dash app: `create_app(data_dir)` builds it; `server` is the WSGI entry point (`gunicorn app:server`)."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

import dash._callback as dash_callback_registry
from dash import Dash

import callbacks  # noqa: F401  -- importing the package registers every panel's callbacks
from core import eda, load_catalog
from core.errors import StreamingError
from core.queries import query_index
from layouts import page

ASSETS_DIR = Path(__file__).resolve().parent / "assets"
# `dash.callback` registers into module-level lists that the first app set up consumes; keep a copy so
# every app built in this process (tests build several) gets all callbacks.
# Clientside callbacks also leave their JavaScript in GLOBAL_INLINE_SCRIPTS, consumed the same way.
_CALLBACKS = (list(dash_callback_registry.GLOBAL_CALLBACK_LIST), dict(dash_callback_registry.GLOBAL_CALLBACK_MAP),
              list(dash_callback_registry.GLOBAL_INLINE_SCRIPTS))


def _restore_global_callbacks() -> None:
    """Put the registered callbacks back where the next Dash app will pick them up."""
    callback_list, callback_map, inline_scripts = _CALLBACKS
    dash_callback_registry.GLOBAL_CALLBACK_LIST[:] = callback_list
    dash_callback_registry.GLOBAL_CALLBACK_MAP.clear()
    dash_callback_registry.GLOBAL_CALLBACK_MAP.update(callback_map)
    dash_callback_registry.GLOBAL_INLINE_SCRIPTS[:] = inline_scripts


def create_app(data_dir: str | os.PathLike | None = None) -> Dash:
    """Build the dashboard over a raw data dir (None: $STREAMING_DATA_DIR, else the embedded demo data)."""
    catalog = load_catalog(data_dir)
    # Indexes built here, once per worker, rather than on the first user's request.
    query_index(catalog)
    eda.prepare(catalog.titles, catalog.user_segments, catalog.activity)
    _restore_global_callbacks()
    app = Dash(__name__, title="Streaming Atlas", assets_folder=str(ASSETS_DIR), use_pages=True,
               pages_folder="", suppress_callback_exceptions=True, update_title=None)
    app.server.extensions["streaming"] = {"catalog": catalog}
    page.register_pages(catalog)
    app.layout = page.frame(catalog)
    _register_api(app, catalog)
    return app


def _register_api(app: Dash, catalog) -> None:
    """Serve the JSON query routes from the app's own Flask server, when the API module is present."""
    try:
        from api import register_api
    except ImportError:  # the API lands in its own issue; the app works without it
        return
    register_api(app.server, lambda: catalog)


def __getattr__(name: str):
    """`app.server` for gunicorn, built on first access so importing this module stays cheap."""
    if name == "server":
        server = create_app().server
        globals()["server"] = server
        return server
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main(argv: list[str] | None = None) -> int:
    """Command line: python app.py [--data-dir DIR] [--host H] [--port P] [--debug]."""
    parser = argparse.ArgumentParser(prog="python app.py", description="Streaming catalogue dashboard")
    parser.add_argument("--data-dir", help="raw data dir with titles/ and ratings/ (default: $STREAMING_DATA_DIR, "
                                           "else the embedded demo data)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8050)
    parser.add_argument("--debug", action="store_true", help="Dash debug mode (reloader, error overlay)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    try:
        app = create_app(args.data_dir)
    except StreamingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    app.run(host=args.host, port=args.port, debug=args.debug)
    return 0


if __name__ == "__main__":
    sys.exit(main())
