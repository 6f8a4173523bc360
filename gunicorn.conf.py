"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py app:server`.

The master builds what is missing (ETL; progress in the log) and loads the data and, when saved, the model once
(`preload_app`); the workers are forked from it and share those read-only arrays copy-on-write. A model that is
not built yet is fitted in one worker's background thread (the others wait for its file and load it), so no
request ever fits and `/api/health` says `"model": "fitting"` until it is ready.

The data: STREAMING_DATA_DIR (a raw dir; the demo data when unset) or STREAMING_PROCESSED_DIR (a build's output,
served read-only as it is); bad data settings stop the master with one `error: ...` line, exit code 2.

Settings from the environment: PORT (8050), HOST (127.0.0.1; the container image sets 0.0.0.0),
WEB_CONCURRENCY (workers; default: usable cores, at least 2), GUNICORN_THREADS (4), GUNICORN_TIMEOUT (60 s).
"""

from __future__ import annotations

import logging
import os


def _usable_cores() -> int:
    """Cores this process may run on (a container's CPU set, not the host's count)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


bind = f"{os.environ.get('HOST', '127.0.0.1')}:{int(os.environ.get('PORT', '8050'))}"
# Callbacks are CPU-bound and short (1-100 ms): one process per core does the work; a few threads per process
# let cheap requests (health checks, JSON, assets) and keep-alive connections through while one callback runs.
workers = int(os.environ.get("WEB_CONCURRENCY") or max(2, _usable_cores()))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
preload_app = True
# No request fits a model or runs the ETL, so a worker silent for a minute is stuck: restart it.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# Heartbeat files in memory, not on a container's overlay disk (gunicorn's advice for Docker).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
# gunicorn 25.1+ opens a control socket in $HOME; not used here, and two servers of one user would share its path.
control_socket_disable = True
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms pid=%(p)s'


def on_starting(server) -> None:
    """The app's own log lines (build progress, warnings) go to stderr beside gunicorn's."""
    logging.basicConfig(level=logging.INFO, format="[%(asctime)s] [%(process)d] [%(levelname)s] %(message)s",
                        datefmt="%Y-%m-%d %H:%M:%S %z", force=True)


def post_worker_init(worker) -> None:
    """Each worker starts preparing the model if the master found none saved (threads do not survive a fork)."""
    from app import start_background_work

    start_background_work(worker.wsgi)
