"""The recommender as a served app needs it: loaded or fitted in a background thread, never inside a request,
with a status (and the fit's progress) for the health route and the Recommend panel."""

from __future__ import annotations

import logging
import os
import threading
import time

from core.errors import ModelMissing, NotReady
from core.progress import Progress, summary
from core.recommender import (MODEL_MISSING, MODEL_STAGES, HybridRecommender, expected_fit_seconds,
                              recommender_for, saved_recommender, shared_progress)

log = logging.getLogger(__name__)
RETRY_AFTER_S = 30.0  # a failed preparation is tried again on a request this long after it failed
THREAD_NAME = "recommender-prepare"


class ModelService:
    """One catalog's recommender in one process: `get()` returns it or raises NotReady while it is prepared.

    States: "absent" (nothing started), "loading" (reading the saved model, or waiting for the lock), "fitting"
    (this process fits it), "waiting" (another process fits it; this one loads it after), "ready", "failed",
    "missing" (a served build has no usable model and there is nowhere to save one: it is not fitted).
    """

    def __init__(self, catalog) -> None:
        self.catalog = catalog
        self._model: HybridRecommender | None = None
        self._state, self._error, self._failed_at = "absent", "", 0.0
        self._progress: Progress | None = None
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()
        self._lock = threading.Lock()

    def load_saved(self) -> bool:
        """Load the saved model now if there is a usable one (fast: no fit); True when ready."""
        if self._model is None:
            model = saved_recommender(self.catalog)
            if model is not None:
                self._model, self._state = model, "ready"
        return self._model is not None

    def ensure_started(self) -> None:
        """Start preparing the model in a background thread of this process, unless it is ready or under way
        (a process forked from the one that started it has no such thread: it starts its own)."""
        if self._model is not None:
            return
        if self.catalog.write_dir is None:  # fitted in every process at every start otherwise: say it is missing
            self._state = "missing"
            return
        with self._lock:
            running = self._thread is not None and self._thread.is_alive() and self._pid == os.getpid()
            recently_failed = self._state == "failed" and time.monotonic() - self._failed_at < RETRY_AFTER_S
            if self._model is not None or running or recently_failed:
                return
            self._pid, self._state = os.getpid(), "loading"
            self._thread = threading.Thread(target=self._prepare, name=THREAD_NAME, daemon=True)
            self._thread.start()

    def _prepare(self) -> None:
        """Load or fit the model (a file lock makes one process fit while the others wait for its file)."""
        progress = Progress(emit=lambda line: log.info("recommender: %s", line), every=5.0)
        progress.plan(MODEL_STAGES, expected_fit_seconds(int(self.catalog.users["n_ratings"].sum())))
        self._progress = progress
        started = time.monotonic()
        try:
            model = recommender_for(self.catalog, progress)
        except Exception as exc:  # noqa: BLE001 -- reported by status() and retried later, never raised in a request
            log.exception("recommender could not be prepared")
            self._state, self._error, self._failed_at = "failed", public_reason(exc), time.monotonic()
            return
        self._model, self._state = model, "ready"
        log.info("recommender ready in %.1f s", time.monotonic() - started)

    def status(self) -> dict:
        """{"model": state, "progress": {...} while it is prepared, "error": "..." when it failed}."""
        if self._model is not None:
            return {"model": "ready"}
        if self._state == "failed":
            return {"model": "failed", "error": self._error}
        if self._state == "missing":
            return {"model": "missing", "error": MODEL_MISSING}
        own = self._progress.snapshot() if self._progress is not None else {"stage": None}
        if own.get("stage") is not None:
            return {"model": "fitting", "progress": own}
        other = shared_progress(self.catalog.write_dir) if self.catalog.write_dir is not None else None
        if other is not None:
            return {"model": "waiting", "progress": other}
        return {"model": self._state}

    def get(self) -> HybridRecommender:
        """The model, or NotReady (with the progress) while it is being prepared; starts preparing if need be."""
        model = self._model
        if model is not None:
            return model
        self.ensure_started()
        status = self.status()
        if status["model"] == "ready":
            return self._model
        if status["model"] == "missing":
            raise ModelMissing(MODEL_MISSING)
        raise NotReady(not_ready_message(status), status.get("progress"))

    def wait(self, timeout: float | None = None) -> HybridRecommender:
        """Block until the model is ready (or raise NotReady after timeout seconds / when it failed or is missing)."""
        if self.load_saved():
            return self._model
        self.ensure_started()
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return self.get()


def public_reason(exc: Exception) -> str:
    """A failure's cause fit to show anyone: an OS error's reason without its file name, else the error's kind
    (messages can name server paths; the log has the whole story)."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return type(exc).__name__


def not_ready_message(status: dict) -> str:
    """A sentence for a model that is not ready yet."""
    if status["model"] == "failed":
        return f"The recommender could not be prepared ({status.get('error')}); it is tried again shortly"
    progress = status.get("progress")
    where = f" ({summary(progress)})" if progress and progress.get("stage") else ""
    return f"The recommender is being prepared{where}; try again in a few seconds"
