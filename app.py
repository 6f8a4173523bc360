"""The Dash app: `create_app(data_dir)` (or `create_app(processed_dir=...)`) builds it; `server` is the WSGI entry
point (`gunicorn app:server`)."""

from __future__ import annotations

import argparse
import ipaddress
import logging
import os
import sys
from pathlib import Path

import dash._callback as dash_callback_registry
from dash import Dash
from threadpoolctl import threadpool_limits

import callbacks  # noqa: F401  -- importing the package registers every panel's callbacks
from api import register_api
from security import harden, quiet_dev_server
from core import eda, load_catalog, search, title_ratings, titles
from core.errors import StreamingError
from core.etl import STAGES as ETL_STAGES
from core.model_service import ModelService
from core.progress import Progress
from core.queries import query_index
from layouts import page
from layouts.state import view_cache

log = logging.getLogger("streaming")
LOG_FORMAT = "[%(asctime)s] [%(process)d] [%(levelname)s] %(message)s"
MODEL_MODES = ("background", "wait", "deferred")

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


def create_app(data_dir: str | os.PathLike | None = None, model: str = "background",
               processed_dir: str | os.PathLike | None = None) -> Dash:
    """Build the dashboard over a raw data dir (None: $STREAMING_DATA_DIR, else the embedded demo data), or over a
    build's processed folder (processed_dir, else $STREAMING_PROCESSED_DIR; not both: a DataError).

    The ETL runs (or is reused) before this returns; a processed folder is read as it is, never written. A saved
    recommender model is loaded now; a missing one is fitted (for a processed folder: into the cache dir, or, when
    that is not writable, reported missing), by `model`: "background" in a thread started now (the Recommend panel
    says it is being prepared), "wait" before this returns, "deferred" in a thread that `start_background_work`
    starts in each process that serves (gunicorn's workers, forked from the master that built the app: threads do
    not survive a fork).
    """
    if model not in MODEL_MODES:
        raise ValueError(f"model must be one of {', '.join(MODEL_MODES)}, not {model!r}")
    # One BLAS thread per serving process: a request's matrix products are small, concurrency comes from the
    # workers, and BLAS threads spinning on cores the other workers use made a recommendation 4x slower (p50 8 ms
    # instead of 2 ms at load 5, p95 37 ms instead of 7 ms).
    threadpool_limits(1)
    progress = Progress(emit=lambda line: log.info("data: %s", line), every=5.0)
    progress.plan(ETL_STAGES)
    catalog = load_catalog(data_dir, progress=progress, processed_dir=processed_dir)
    # Indexes built here, once per worker, rather than on the first user's request.
    query_index(catalog)
    eda.prepare(catalog.titles, catalog.user_segments, catalog.activity)
    title_ratings.for_catalog(catalog)  # genre-filtered views and title pages: loaded, or built once per data version
    titles.ranks(catalog.titles)  # every title's places on its platform (title pages)
    search.title_index(catalog.titles)  # the Recommend pickers' search
    search.user_index(catalog.users)
    service = ModelService(catalog)
    if model == "wait":
        service.wait()
    elif not service.load_saved() and model == "background":
        service.ensure_started()
    _restore_global_callbacks()
    app = Dash(__name__, title="Streaming Atlas", assets_folder=str(ASSETS_DIR), use_pages=True,
               pages_folder="", suppress_callback_exceptions=True, update_title=None, enable_mcp=False,
               index_string=page.INDEX_STRING)
    # Explore views go to a cache every worker and server shares (files, or Redis with $REDIS_URL), per data version.
    app.server.extensions["streaming"] = {"catalog": catalog, "model": service,
                                          "explore_views": view_cache(app.server, catalog.version_dir.name)}
    page.register_pages(catalog)
    app.layout = page.frame(catalog)
    register_api(app.server, lambda: catalog, lambda: service)
    harden(app)
    return app


def start_background_work(server) -> None:
    """Start what a serving process prepares in the background (the model, when none was saved); gunicorn
    calls it in each worker after the fork (gunicorn.conf.py)."""
    server.extensions["streaming"]["model"].ensure_started()


def __getattr__(name: str):
    """`app.server` for gunicorn, built on first access so importing this module stays cheap. With
    `preload_app` the master builds it once and the forked workers share it."""
    if name == "server":
        if not logging.getLogger().handlers:  # `gunicorn app:server` without our config: still log progress
            logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
        try:
            server = create_app(model="deferred").server
        except StreamingError as exc:  # bad data settings: one line in the server's log, no traceback
            log.error("error: %s", exc)
            raise SystemExit(2) from None
        globals()["server"] = server
        return server
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def is_loopback(host: str) -> bool:
    """Whether a --host value only listens on this machine (127.0.0.0/8, ::1, localhost)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def main(argv: list[str] | None = None) -> int:
    """Command line: python app.py [--data-dir DIR | --processed-dir DIR] [--host H] [--port P] [--debug]."""
    parser = argparse.ArgumentParser(prog="python app.py", description="Streaming catalogue dashboard")
    parser.add_argument("--data-dir", help="raw data dir with titles/ and ratings/ (default: $STREAMING_DATA_DIR, "
                                           "else the embedded demo data)")
    parser.add_argument("--processed-dir", help="serve a build's output as it is, read-only, with no raw dir: the "
                                                "folder `python -m core.build RAW --out DIR` wrote (default: "
                                                "$STREAMING_PROCESSED_DIR)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8050)
    parser.add_argument("--debug", action="store_true", help="Dash debug mode (reloader, error overlay); only on a "
                                                              "loopback host: it runs code sent to it")
    args = parser.parse_args(argv)
    if args.data_dir and args.processed_dir:
        print("error: --data-dir and --processed-dir were both given: the app serves a raw data dir or a build's "
              "processed folder, not both", file=sys.stderr)
        return 2
    if args.debug and not is_loopback(args.host):
        print(f"error: --debug serves a debugger that runs code; it is refused on {args.host!r}. Use --host "
              "127.0.0.1 (the default), or leave --debug out", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    try:
        app = create_app(args.data_dir, processed_dir=args.processed_dir)
    except StreamingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    quiet_dev_server()
    app.run(host=args.host, port=args.port, debug=args.debug)
    return 0


if __name__ == "__main__":
    sys.exit(main())
