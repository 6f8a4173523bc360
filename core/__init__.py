"""All data and model logic of the streaming dashboard; never imports Dash."""

from __future__ import annotations

import importlib

from core.errors import DataError, InvalidQuery, NotFound, StreamingError

# Loaded on first use, so `import core` stays cheap and `python -m core.etl` runs its module only once.
_LAZY = {"Catalog": "core.catalog", "load_catalog": "core.catalog", "load_demo_catalog": "core.catalog",
         "load_recommender": "core.recommender", "HybridRecommender": "core.recommender"}

__all__ = ["DataError", "InvalidQuery", "NotFound", "StreamingError", *_LAZY]


def __getattr__(name: str):
    """Import `core.<module>.<name>` the first time `core.<name>` is used."""
    if name not in _LAZY:
        raise AttributeError(f"module 'core' has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value
