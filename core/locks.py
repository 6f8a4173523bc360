"""A cross-process file lock (flock): one process builds an artefact while the others wait, then reuse it."""

from __future__ import annotations

import fcntl
import logging
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

log = logging.getLogger(__name__)


@contextmanager
def file_lock(path: Path, what: str) -> Iterator[bool]:
    """Hold an exclusive lock on `path` (created if missing); yields True when another process held it first
    (so the caller waited and should look again for what that process built). A folder where the lock cannot be
    created (read-only data) is not locked: nothing can be written there anyway."""
    try:
        handle = open(path, "a+")  # noqa: SIM115 -- closed below; closing releases the lock
    except OSError as exc:
        log.warning("no lock for %s (%s): going on without one", what, exc)
        yield False
        return
    try:
        waited = False
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.info("another process is building the %s: waiting for it", what)
            fcntl.flock(handle, fcntl.LOCK_EX)
            waited = True
        yield waited
    finally:
        handle.close()
