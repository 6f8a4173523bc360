"""Exceptions of the project: each carries a message a user can act on."""

from __future__ import annotations


class StreamingError(Exception):
    """Base class of every error this project raises on purpose."""


class DataError(StreamingError):
    """Raw or processed data is missing or malformed; the message names the file and the problem."""


class InvalidQuery(StreamingError, ValueError):
    """A query or recommender argument is invalid; the message says what is allowed."""


class NotFound(StreamingError, LookupError):
    """A well-formed request matched nothing (unknown title id, empty result)."""


class NotReady(StreamingError):
    """Something is still being prepared (the recommender model); `progress` says how far it is."""

    def __init__(self, message: str, progress: dict | None = None) -> None:
        super().__init__(message)
        self.progress = progress or {}


class ModelMissing(NotReady):
    """A served build has no usable model and nowhere to fit one: it will not become ready by waiting."""


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (its type's name when it has none)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
