"""Dash callbacks: each module wires one panel (parse inputs -> call core -> render)."""

from callbacks import theme  # noqa: F401
from callbacks import explore  # noqa: F401
from callbacks import queries  # noqa: F401
from callbacks import recommend  # noqa: F401
from callbacks import title  # noqa: F401
