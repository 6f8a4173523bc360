"""All data and model logic of the streaming dashboard; never imports Dash."""

from core.catalog import Catalog, load_catalog, load_demo_catalog
from core.errors import DataError, InvalidQuery, NotFound, StreamingError

__all__ = ["Catalog", "DataError", "InvalidQuery", "NotFound", "StreamingError", "load_catalog", "load_demo_catalog"]
